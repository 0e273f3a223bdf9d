/**
 * The host under abuse, in its own process (forked by run-abuse.ts), so its RSS is its own:
 * `node abuse-host.js '<HostOptions subset json>'`. Starts Host with guests on and the default
 * bounds (plus the overrides given), a real tick timer, and sends `{port}` to the parent over IPC.
 * The runner reads figures from GET /stats (HostStats + rss) and stops the process with SIGTERM.
 */
import { Host, type HostOptions } from '../../src/net/host';

type Overrides = Pick<
  HostOptions,
  'maxStreams' | 'maxStreamsPerPrincipal' | 'maxJoinsPerSecond' | 'maxClients' | 'idleStreamMs' | 'streamRetainTicks' | 'maxGuestSessions'
>;

async function main(): Promise<void> {
  const over = JSON.parse(process.argv[2] ?? '{}') as Overrides;
  const host = await Host.start({ port: 0, ...over });
  process.send?.({ port: host.port });
  const stop = (): void => {
    void host.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

void main();
