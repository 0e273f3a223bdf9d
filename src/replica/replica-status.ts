/**
 * A replica's own HTTP port while it waits to lead (issue 19): `tessera serve --replicate --follow`
 * does not run a host until it wins the lease, so without this an operator could not see how far
 * its copy is, whether it resynced, or who leads. It listens on the node's `host`/`port` (the
 * port the host takes over once the node leads: this server closes first) and answers:
 *
 * ```
 *  GET /metrics   Prometheus text: tessera_replication_leader 0, tessera_replica_next_tick (the
 *                 copy's next tick), tessera_replica_applied_ticks_total,
 *                 tessera_replication_mismatches_total, _resyncs_total,
 *                 _snapshots_refused_total, tessera_replica_failed (1: stopped, will not lead)
 *  GET /status    200 JSON { role: "replica", world, nextTick, applied, mismatches, resyncs,
 *                 failed, leader: { id, sinceMs } | null }
 *  anything else  503 JSON { code: "NOT_LEADER", message, leader } (a client that reached a
 *                 replica: it should try another address; WebSocket upgrades get the same answer)
 * ```
 *
 * `/metrics` follows the host's `publicMetrics` rule only as far as this: it carries no client
 * data, only the copy's counters, so it is always public while the node waits.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { readGauge, totalCounter } from '../net/prom-counter';
import type { ReplicaNode } from './replica-node';

/** The running status server. */
export interface ReplicaStatus {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Listens on `host`:`port` for replica `node` of world `world` (module comment). Rejects with the
 * listen error (e.g. EADDRINUSE).
 */
export async function startReplicaStatus(o: {
  host: string;
  port: number;
  world: string;
  node: Pick<ReplicaNode, 'stats' | 'leaderNow'>;
}): Promise<ReplicaStatus> {
  const registry = new Registry();
  const gauge = (name: string, help: string, read: () => number): void => readGauge(registry, name, help, read);
  gauge('tessera_replication_leader', '1 while this node holds the world leader lease', () => 0);
  gauge('tessera_replica_next_tick', "The next tick this replica's copy will apply", () => o.node.stats().next);
  gauge('tessera_replica_failed', '1 when the copy stopped (a mismatch it could not resync, a bad log): this node will not lead', () =>
    o.node.stats().failed ? 1 : 0,
  );
  totalCounter(registry, 'tessera_replica_applied_ticks_total', 'Ticks the copy applied', () => o.node.stats().applied);
  totalCounter(registry, 'tessera_replication_mismatches_total', "Ticks the copy's hash differed from the log's", () => o.node.stats().mismatches);
  totalCounter(registry, 'tessera_replication_resyncs_total', 'Resyncs of the copy from a snapshot', () => o.node.stats().resyncs);
  totalCounter(registry, 'tessera_replication_snapshots_refused_total', 'Snapshots the copy refused', () =>
    Object.values(o.node.stats().refused).reduce((a, b) => a + b, 0),
  );
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const leader = async (): Promise<{ id: string; sinceMs: number } | null> => o.node.leaderNow().catch(() => null);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
      return;
    }
    const s = o.node.stats();
    if (req.method === 'GET' && path === '/status') {
      json(res, 200, {
        role: 'replica',
        world: o.world,
        nextTick: s.next,
        applied: s.applied,
        mismatches: s.mismatches,
        resyncs: s.resyncs,
        failed: s.failed,
        leader: await leader(),
      });
      return;
    }
    json(res, 503, {
      code: 'NOT_LEADER',
      message: `this node is a replica of world ${o.world} waiting to lead: connect to the leader`,
      leader: await leader(),
    });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // a WebSocket upgrade (a client's /ws) gets the same 503 as a plain request
  server.on('upgrade', (_req: IncomingMessage, socket) => {
    void leader().then((l) => {
      const body = JSON.stringify({ code: 'NOT_LEADER', message: `this node is a replica of world ${o.world}: connect to the leader`, leader: l });
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
