/**
 * Simulated machines for cluster tests and the cluster bench (issue 17): `count` network
 * namespaces (netns.ts), each with a delay proxy (delay-proxy.ts, one process serving every
 * route) listening on the root end of its veth and forwarding to nats-server on the root's
 * loopback. A shard process started with `wrap[k]` and `urls[k]` runs in namespace k and reaches
 * NATS only through the proxy, so each of its messages to and from the server takes the added
 * one-way `delayMs` (two processes talking through the server: 2 x delayMs one way).
 *
 *   namespace k (10.231.x.2) --veth--> root 10.231.x.1:P  [proxy, +d each way] --> 127.0.0.1:<nats port>
 *
 * The coordinator and nats-server stay in the root namespace.
 */
import { spawnDelayProxy, type DelayProxyProcess } from './delay-proxy';
import { createNamespaces, deleteNamespaces, inNamespace, type Namespace } from './netns';

/** Namespaces, their proxy, and how a process in each reaches NATS. */
export interface SimulatedMachines {
  namespaces: Namespace[];
  proxy: DelayProxyProcess;
  /** Per namespace: the NATS URL to use from inside it (its proxy). */
  urls: string[];
  /** Per namespace: the command prefix that runs a command inside it. */
  wraps: string[][];
  /** Stops the proxy and deletes the namespaces. */
  close(): Promise<void>;
}

/**
 * Makes `count` simulated machines joined to the NATS server at `natsUrl` (nats://127.0.0.1:PORT
 * in the root namespace) with `delayMs` added each way. Needs root (see netns.ts
 * probeNamespaces) and a build (the proxy runs compiled). Throws when a namespace or the proxy
 * cannot be made (what was made is removed).
 */
export async function simulateMachines(count: number, delayMs: number, natsUrl: string): Promise<SimulatedMachines> {
  const u = new URL(natsUrl);
  const targetHost = u.hostname,
    targetPort = Number(u.port || 4222);
  const namespaces = createNamespaces(count);
  let proxy: DelayProxyProcess;
  try {
    proxy = await spawnDelayProxy(
      delayMs,
      namespaces.map((ns) => ({ host: ns.rootAddress, port: 0, targetHost, targetPort })),
    );
  } catch (e) {
    deleteNamespaces(namespaces);
    throw e;
  }
  return {
    namespaces,
    proxy,
    urls: proxy.routes.map((r) => `nats://${r.host}:${r.port}`),
    wraps: namespaces.map(inNamespace),
    close: async () => {
      await proxy.stop();
      deleteNamespaces(namespaces);
    },
  };
}
