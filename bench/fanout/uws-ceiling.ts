/**
 * The ceiling: raw uWebSockets.js pub/sub with no Tessera code in the loop, in its own process
 * (forked by run-fanout.ts). Every WebSocket on /ws subscribes to one topic; `run` publishes one
 * message of `size` bytes to it at 20 Hz for `seconds`, on the same drift-free setTimeout
 * schedule as Host (next due = previous due + 50 ms; far behind: restart from now).
 *
 *   message = tick u32 LE @0 | publish wall ms f64 LE @4 | run id u32 LE @12 | zeros to `size`
 *
 * A message is a fresh Uint8Array per tick (the host also encodes a fresh buffer per tick).
 * Timed per tick: app.publish alone (uWS queues to every subscriber; its own write-out may
 * happen later in the same loop iteration, so the event loop utilisation and the achieved
 * rate are reported too). Same WebSocket settings as the host where they apply: no
 * compression, maxBackpressure 4 MiB (the host's uWS limit), closeOnBackpressureLimit off
 * (uWS drops a message for a subscriber over the limit: the clients count what arrives).
 */
import { uws, type WebSocket, type us_listen_socket } from '../../src/net/uws';
import { serve, log } from './ipc';
import { LoadMark, openFileLimits, wallNow, spread, type Spread, type ProcLoad } from './stats';

/** Result of one publish run. */
export interface CeilingRun {
  size: number;
  runId: number;
  ticks: number;
  subscribers: number;
  /** Duration from the first to the last tick start + one period, s. */
  seconds: number;
  achievedHz: number;
  /** app.publish time per tick, ms. */
  publishMs: Spread;
  /** Interval between tick starts, ms. */
  intervalMs: Spread;
  load: ProcLoad;
  /** Largest getBufferedAmount over the sockets right after the run, bytes. */
  maxBuffered: number;
  /** Sum of getBufferedAmount right after the run, bytes. */
  totalBuffered: number;
}

interface Conn {
  open: boolean;
}

async function main(): Promise<void> {
  const sockets = new Set<WebSocket<Conn>>();
  const app = uws.App().ws<Conn>('/ws', {
    compression: uws.DISABLED,
    maxPayloadLength: 16 * 1024,
    maxBackpressure: 4 * 1024 * 1024,
    closeOnBackpressureLimit: 0,
    idleTimeout: 32,
    sendPingsAutomatically: true,
    open: (ws) => {
      ws.getUserData().open = true;
      ws.subscribe('f');
      sockets.add(ws);
    },
    message: () => {
      /* clients send nothing but pongs (handled by uWS) */
    },
    close: (ws) => {
      ws.getUserData().open = false;
      sockets.delete(ws);
    },
  });
  const { sock, port } = await new Promise<{ sock: us_listen_socket; port: number }>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (s) => (s ? resolve({ sock: s, port: uws.us_socket_local_port(s) }) : reject(new Error('cannot listen'))));
  });
  log(`listening on ${port}; open files ${JSON.stringify(openFileLimits())}`);

  const run = (size: number, seconds: number, runId: number): Promise<CeilingRun> =>
    new Promise((resolve) => {
      const period = 50;
      const total = Math.round((seconds * 1000) / period);
      const publishMs: number[] = [],
        starts: number[] = [];
      const mark = new LoadMark();
      let tick = 0;
      const once = (): void => {
        const start = performance.now();
        starts.push(start);
        const msg = new Uint8Array(publishedSize(size));
        const dv = new DataView(msg.buffer);
        dv.setUint32(0, tick, true);
        dv.setFloat64(4, wallNow(), true);
        dv.setUint32(12, runId, true);
        app.publish('f', msg, true);
        publishMs.push(performance.now() - start);
        tick++;
      };
      const schedule = (due: number): void => {
        const next = due + period;
        setTimeout(
          () => {
            once();
            if (tick >= total) {
              finish();
              return;
            }
            const now = performance.now();
            schedule(now - next > 5 * period ? now : next);
          },
          Math.max(0, next - performance.now()),
        );
      };
      const finish = (): void => {
        let maxBuffered = 0,
          totalBuffered = 0;
        for (const ws of sockets) {
          const b = ws.getBufferedAmount();
          totalBuffered += b;
          if (b > maxBuffered) maxBuffered = b;
        }
        const intervals = starts.slice(1).map((t, i) => t - starts[i]);
        const secs = (starts[starts.length - 1] - starts[0] + period) / 1000;
        resolve({
          size: publishedSize(size),
          runId,
          ticks: tick,
          subscribers: app.numSubscribers('f'),
          seconds: secs,
          achievedHz: tick / secs,
          publishMs: spread(publishMs),
          intervalMs: spread(intervals),
          load: mark.since(),
          maxBuffered,
          totalBuffered,
        });
      };
      once();
      schedule(performance.now());
    });

  serve(async (m) => {
    switch (m.cmd) {
      case 'listening':
        return { port, pid: process.pid, files: openFileLimits() };
      case 'run':
        return run(Number(m.size), Number(m.seconds), Number(m.runId));
      case 'stop':
        uws.us_listen_socket_close(sock);
        for (const ws of sockets) ws.end(1001, 'done');
        setTimeout(() => process.exit(0), 50);
        return { stopped: true };
      default:
        throw new Error(`unknown command ${m.cmd}`);
    }
  });
}

/** Bytes actually published for a requested size (at least the 16-byte header). */
function publishedSize(size: number): number {
  return Math.max(16, size);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
