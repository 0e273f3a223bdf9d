/**
 * A userspace delay proxy (issue 17, "Machines, simulated"; for tests and the cluster bench only):
 * a TCP relay that listens on host:port and forwards every connection to a target, holding each
 * chunk for `delayMs` in each direction. This kernel has no `tc netem` (docs/cluster/plan.md
 * section 4), so a shard process in its own network namespace reaches nats-server through one of
 * these, listening on the root side of its veth: its link to the server then has `delayMs` of
 * added one-way delay each way.
 *
 * Per connection and direction, a FIFO of (due time, chunk): a chunk read at time t is written
 * at t + delayMs or later, in the order it was read (the order of a TCP stream is kept; chunks
 * are not merged or split). There is one timer per direction, for the head of the queue, not one
 * per chunk: when it fires, every chunk already due is written and the timer is set again for the
 * new head. Node timers have a 1 ms granularity (a setTimeout below 1 ms waits 1 ms), so the
 * last stretch of less than 1.5 ms is waited with setImmediate turns (the event loop keeps
 * polling sockets meanwhile): a 0.2 ms delay is 0.2 ms, not 1 ms, at the price of spinning
 * while a chunk is pending. Delay 0 writes straight through.
 *
 * End of stream: the end (FIN) of one side goes through the queue behind the data read before
 * it; when it comes out, the other side is ended and the whole connection (both sockets) is
 * closed. An error on either socket destroys both at once. Backpressure: when the writing side's
 * buffer is full the reading side is paused until it drains (time spent paused adds to the
 * delay, as a full link would).
 *
 * As a program (the bench and tests run it as its own process: a coordinator's main thread
 * blocks in Atomics.wait during a tick, so a proxy in its event loop would stall):
 *
 *   node build/dist/bench/cluster/delay-proxy.js --delay MS --route LHOST:LPORT=THOST:TPORT [--route ...]
 *
 * prints one line `ready <json>` ({ routes: [{ host, port, target }] }, port 0 = any free port)
 * on stdout once every route listens, and runs until SIGTERM / SIGINT or its stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/** Settings of one relay. */
export interface DelayProxyOptions {
  /** Address to listen on (e.g. '10.231.0.1' or '127.0.0.1'). */
  host: string;
  /** Port to listen on; 0 (default) = any free port. */
  port?: number;
  /** Where each connection goes. */
  targetHost: string;
  targetPort: number;
  /** Added one-way delay, ms (each direction), >= 0. */
  delayMs: number;
}

/** A listening relay. */
export interface DelayProxy {
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Bytes relayed so far, client to target and target to client. */
  readonly bytes: { up: number; down: number };
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

const END = Symbol('end');
type Item = { due: number; chunk: Buffer | typeof END };

/** Moves one direction (src to dst) through a delayed FIFO. */
class DelayedPipe {
  private readonly q: Item[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private spinning: NodeJS.Immediate | null = null;
  bytes = 0;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly delayMs: number,
    private readonly onEnd: () => void,
    private readonly count: (n: number) => void,
  ) {
    src.on('data', (c: Buffer) => this.push(c));
    src.on('end', () => this.push(END));
  }

  private push(chunk: Buffer | typeof END): void {
    if (this.delayMs <= 0) {
      this.emit(chunk);
      return;
    }
    this.q.push({ due: performance.now() + this.delayMs, chunk });
    if (this.q.length - this.head === 1) this.arm();
  }

  /** Sets the one timer (or immediate) for the head of the queue. */
  private arm(): void {
    if (this.timer || this.spinning || this.head >= this.q.length) return;
    const left = this.q[this.head].due - performance.now();
    if (left >= 1.5) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.flush();
        },
        Math.floor(left - 0.5),
      );
    } else {
      this.spinning = setImmediate(() => {
        this.spinning = null;
        this.flush();
      });
    }
  }

  /** Writes every chunk that is due, then re-arms for the next. */
  private flush(): void {
    const now = performance.now();
    while (this.head < this.q.length && this.q[this.head].due <= now) {
      const { chunk } = this.q[this.head++];
      this.emit(chunk);
    }
    if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q.splice(0, this.head);
      this.head = 0;
    }
    this.arm();
  }

  private emit(chunk: Buffer | typeof END): void {
    if (this.dst.destroyed) return;
    if (chunk === END) {
      this.onEnd();
      return;
    }
    this.bytes += chunk.length;
    this.count(chunk.length);
    if (!this.dst.write(chunk) && !this.src.isPaused()) {
      this.src.pause();
      this.dst.once('drain', () => this.src.resume());
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.spinning) clearImmediate(this.spinning);
    this.timer = null;
    this.spinning = null;
    this.q.length = 0;
    this.head = 0;
  }
}

/**
 * Starts a relay (see the module comment). Resolves once it listens. Rejects with the listen
 * error (e.g. EADDRNOTAVAIL for an address this namespace does not have, EADDRINUSE).
 */
export function startDelayProxy(o: DelayProxyOptions): Promise<DelayProxy> {
  if (!(o.delayMs >= 0)) throw new RangeError(`delayMs must be >= 0 (got ${o.delayMs})`);
  const open = new Set<Socket>();
  let accepted = 0;
  const bytes = { up: 0, down: 0 };
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    accepted++;
    const target = connect({ host: o.targetHost, port: o.targetPort, noDelay: true, allowHalfOpen: true });
    open.add(client);
    open.add(target);
    let closed = false;
    const closeBoth = (): void => {
      if (closed) return;
      closed = true;
      up.stop();
      down.stop();
      client.destroy();
      target.destroy();
      open.delete(client);
      open.delete(target);
    };
    // An end that came through the queue: end the other side (its pending writes are flushed
    // first by the socket), then close the connection.
    const endThen = (s: Socket) => (): void => {
      s.end(() => closeBoth());
      setTimeout(closeBoth, 1000).unref(); // a peer that never reads: do not wait for ever
    };
    const up = new DelayedPipe(client, target, o.delayMs, endThen(target), (n) => {
      bytes.up += n;
    });
    const down = new DelayedPipe(target, client, o.delayMs, endThen(client), (n) => {
      bytes.down += n;
    });
    client.on('error', closeBoth);
    target.on('error', closeBoth);
    client.on('close', closeBoth);
    target.on('close', closeBoth);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        host: o.host,
        port,
        get accepted() {
          return accepted;
        },
        bytes,
        close: () =>
          new Promise<void>((r) => {
            for (const s of open) s.destroy();
            open.clear();
            server.close(() => r());
          }),
      });
    });
  });
}

/** One `--route` of the program: listen on host:port, forward to target. */
export interface Route {
  host: string;
  port: number;
  targetHost: string;
  targetPort: number;
}

/** Parses `LHOST:LPORT=THOST:TPORT`. Throws RangeError on anything else. */
export function parseRoute(s: string): Route {
  const m = /^([^:=]+):(\d+)=([^:=]+):(\d+)$/.exec(s);
  if (!m) throw new RangeError(`route must be LHOST:LPORT=THOST:TPORT (got ${s})`);
  return { host: m[1], port: Number(m[2]), targetHost: m[3], targetPort: Number(m[4]) };
}

/** A delay proxy running as its own process (`spawnDelayProxy`). */
export interface DelayProxyProcess {
  proc: ChildProcess;
  /** Per route, in order: where it listens. */
  routes: Array<{ host: string; port: number }>;
  /** SIGTERM, SIGKILL after 2 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Runs the program (compiled: build/dist/bench/cluster/delay-proxy.js, so `npm run build` first)
 * with these routes and resolves when every route listens. Rejects when it exits first (e.g. an
 * address that does not exist). The proxy also exits when this process does (its stdin closes).
 */
export function spawnDelayProxy(delayMs: number, routes: Route[]): Promise<DelayProxyProcess> {
  const script = __filename.endsWith('.js') ? __filename : join(__dirname, '..', '..', 'build', 'dist', 'bench', 'cluster', 'delay-proxy.js');
  const args = [script, '--delay', String(delayMs), ...routes.flatMap((r) => ['--route', `${r.host}:${r.port}=${r.targetHost}:${r.targetPort}`])];
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let out = '',
      err = '';
    proc.stderr?.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    proc.once('exit', (code, sig) => reject(new Error(`delay-proxy exited (${code ?? sig}) before it was ready: ${err.trim()}`)));
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const line = /^ready (.*)$/m.exec(out);
      if (!line) return;
      const info = JSON.parse(line[1]) as { routes: Array<{ host: string; port: number }> };
      resolve({
        proc,
        routes: info.routes.map(({ host, port }) => ({ host, port })),
        stop: async () => {
          if (proc.exitCode === null && proc.signalCode === null) {
            proc.kill('SIGTERM');
            const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
            await exited;
            clearTimeout(t);
          }
        },
      });
    });
  });
}

async function main(argv: string[]): Promise<void> {
  let delayMs = Number.NaN;
  const routes: Route[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--delay') delayMs = Number(argv[++i]);
    else if (argv[i] === '--route') routes.push(parseRoute(argv[++i] ?? ''));
    else throw new RangeError(`unknown argument ${argv[i]}`);
  }
  if (!(delayMs >= 0) || routes.length === 0) throw new RangeError('usage: delay-proxy --delay MS --route LHOST:LPORT=THOST:TPORT [--route ...]');
  const proxies = await Promise.all(routes.map((r) => startDelayProxy({ ...r, delayMs })));
  const stop = (): void => {
    void Promise.all(proxies.map((p) => p.close())).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop); // the parent went away
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.stdout.write(
    `ready ${JSON.stringify({ delayMs, routes: proxies.map((p, k) => ({ host: p.host, port: p.port, target: `${routes[k].targetHost}:${routes[k].targetPort}` })) })}\n`,
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`delay-proxy: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
