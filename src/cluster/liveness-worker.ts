/**
 * A shard process's answer to the coordinator's pings (shard-process.ts starts it), on a thread
 * and a NATS connection of its own, so a long step or a large message on the process's event
 * loop does not make it look dead. It answers while the event loop beat within `leaseMs` (5 s:
 * a decode of a large message or a long pause for garbage collection is not a death; `beat` is
 * written every 250 ms), or while the loop is inside one long piece of work it
 * announced (`busySince`) for at most `busyMs`: a process that hangs outside such work, or
 * stays busy past that bound, stops answering and its regions move. SIGSTOP and kill -9 stop
 * this thread with the process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '@nats-io/transport-node';
import { clusterConnectOptions } from './auth';
import { LIVE, names } from './subjects';

interface LivenessData {
  nats: string;
  world: string;
  id: string;
  nkeyFile?: string;
  sab: SharedArrayBuffer;
  leaseMs: number;
  busyMs: number;
}

async function main(): Promise<void> {
  const d = workerData as LivenessData;
  const live = new Float64Array(d.sab, 0, LIVE.WORDS);
  const nc = await connect(clusterConnectOptions({ nats: d.nats, name: `tessera-shard-${d.id}-live`, id: d.id, nkeyFile: d.nkeyFile }));
  const now = (): number => performance.timeOrigin + performance.now();
  nc.subscribe(names(d.world).ping(d.id), {
    callback: (e, m) => {
      if (e) return; // refused by the server (a key made for another process): the process itself leaves
      const t = now();
      const busy = live[LIVE.BUSY_SINCE];
      if (t - live[LIVE.BEAT] < d.leaseMs || (busy > 0 && t - busy < d.busyMs)) m.respond(new TextEncoder().encode(String(live[LIVE.TICK])));
    },
  });
  await nc.flush();
  parentPort?.postMessage('subscribed'); // the process starts its heartbeats now
}

void main();
