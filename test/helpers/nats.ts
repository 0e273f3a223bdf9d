/**
 * NATS for tests (issue 17, docs/cluster/plan.md section 6, S0).
 *
 * Two ways to get a server:
 *
 *   natsUrl()    the shared server: `.ci/run` starts one for the whole test run and exports
 *                TESSERA_NATS_URL; a developer running jest by hand has none, so the first call
 *                starts one for this test file (lazily, once) instead of skipping the test.
 *                Tests keep out of each other's way with `uniqueWorld()` ids in their subjects
 *                and bucket names.
 *   startNats()  a private server, for tests that stop, restart, pause or kill it.
 *
 * Every server started here is `nats-server -a 127.0.0.1 -p -1 -m -1 -js -sd <temp>/store`:
 * loopback only, a port the server picks itself (`-p -1`: no race between choosing a free port
 * and binding it), JetStream with its own file store. The ports it bound are read from the
 * ports file it writes (`--ports_file_dir`), and it counts as started when its monitoring
 * endpoint `/healthz` answers 200 (that includes JetStream being ready).
 *
 * Clean-up, whatever happens: each server process gets a watchdog (`sh`, reading a pipe from
 * this process); when this process ends in any way (even SIGKILL), the pipe closes and the
 * watchdog kills the server and removes its temp dir. A planned stop tells the watchdog to
 * stand down first. A `process.on('exit')` hook also kills every live server synchronously.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A nats-server started by `startNats()`. */
export interface NatsServer {
  /** Client URL, `nats://127.0.0.1:<port>`; unchanged by `restart()`. */
  readonly url: string;
  /** Client port (TCP, loopback); unchanged by `restart()`. */
  readonly port: number;
  /** Process id of the current server process (a new one after `restart()`). */
  readonly pid: number;
  /** The temp dir holding the JetStream store (`<dir>/store`) and the server log (`<dir>/server.log`). */
  readonly dir: string;
  /**
   * Stops the server with SIGINT (its clean shutdown; SIGCONT too, in case it is paused), waits
   * for it to exit (SIGKILL after 10 s), removes the temp dir. Resolves with how it exited
   * (nats-server 2.9 exits with code 0 on SIGINT). Idempotent: a second call resolves with the
   * first result.
   */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Stops the server as `stop()` does but keeps the store, then starts it again on the same
   * port with the same store (JetStream streams and KV buckets survive). Resolves when the new
   * process is healthy. Rejects if it cannot start (e.g. another process took the port meanwhile).
   */
  restart(): Promise<void>;
  /** SIGSTOP: the server freezes (connections stay open, nothing is answered) until `resume()`. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** The server log so far (empty after `stop()` removed it). */
  log(): string;
}

/** Options of `startNats()`. */
export interface StartNatsOptions {
  /** Extra nats-server arguments, appended (see `nats-server --help`). */
  args?: string[];
  /** Milliseconds to wait for the server to become healthy (default 30 000: a busy machine). */
  readyTimeoutMs?: number;
}

/** Every server process started here and not yet stopped: killed by the exit hook. */
const live = new Set<ChildProcess>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** The nats-server binary: $NATS_SERVER, else `nats-server` on PATH, else /usr/sbin/nats-server (Debian's package). */
function serverBinary(): string {
  if (process.env.NATS_SERVER) return process.env.NATS_SERVER;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  if (existsSync('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  throw new Error('nats-server not found: install it (Debian: apt-get install nats-server) or set NATS_SERVER');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET `url`, resolving with the status code (0 when the connection fails). */
function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** One server process plus its watchdog. */
interface Running {
  child: ChildProcess;
  watchdog: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns nats-server on `port` (-1: the server picks) with the store in `dir`; resolves with the
 * bound client port once `/healthz` answers 200. Rejects (after killing it) if it exits first or
 * is not healthy within `timeoutMs`.
 */
async function launch(dir: string, port: number, extra: string[], timeoutMs: number): Promise<Running & { port: number }> {
  hookExit();
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-m',
    '-1',
    '--ports_file_dir',
    dir,
    '-js',
    '-sd',
    join(dir, 'store'),
    '-l',
    join(dir, 'server.log'),
    ...extra,
  ];
  const child = spawn(serverBinary(), args, { stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let spawnError: Error | null = null;
  child.once('error', (e) => (spawnError = e));
  live.add(child);
  void exited.then(() => live.delete(child));
  // the watchdog: `read` returns at EOF when this process is gone (its end of the pipe closes):
  // then kill the server, wait (at most 5 s) until it is gone or a zombie (nobody may reap it
  // soon), and remove the dir; a planned stop writes "keep" first
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'read x; [ "$x" = keep ] && exit 0; kill -9 "$1" 2>/dev/null; n=0; while kill -0 "$1" 2>/dev/null && ! grep -qs "^State:.*Z" "/proc/$1/status" && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done; rm -rf "$2"',
      'sh',
      String(child.pid ?? 0),
      dir,
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  // neither process nor the pipe keeps the test process alive: the exit hook and the watchdog end them
  watchdog.stdin?.on('error', () => {}); // EPIPE if the watchdog is gone: nothing left to tell it
  watchdog.unref();
  (watchdog.stdin as unknown as Socket).unref();
  child.unref();
  const running: Running = { child, watchdog, exited };
  const end = Date.now() + timeoutMs;
  const fail = async (why: string): Promise<never> => {
    await halt(running, 'SIGKILL');
    throw new Error(`nats-server ${why}: ${readLog(dir).slice(-2000)}`);
  };
  let ports: { nats: string[]; monitoring: string[] } | null = null;
  const portsFile = join(dir, `nats-server_${child.pid}.ports`);
  const monitor = (): string => ports?.monitoring?.[0] ?? '';
  for (;;) {
    if (spawnError) return fail(`could not be spawned (${String(spawnError)})`);
    if (child.exitCode !== null || child.signalCode !== null) return fail(`exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    if (Date.now() > end) return fail(`not healthy within ${timeoutMs} ms`);
    if (!ports && existsSync(portsFile)) {
      try {
        ports = JSON.parse(readFileSync(portsFile, 'utf8'));
      } catch {
        ports = null; // written but not complete yet: read it again
      }
    }
    if (ports && (await httpStatus(`${monitor()}/healthz`)) === 200) break;
    await sleep(50);
  }
  const bound = Number(new URL(ports!.nats[0]).port);
  return { ...running, port: bound };
}

/** Stops one server process (SIGINT: clean; SIGCONT so a paused one handles it; SIGKILL after 10 s) and dismisses its watchdog. */
async function halt(r: Running, signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (r.child.exitCode === null && r.child.signalCode === null) {
    r.child.kill(signal);
    r.child.kill('SIGCONT');
  }
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
  const how = await r.exited;
  clearTimeout(timer);
  if (r.watchdog.stdin && !r.watchdog.stdin.writableEnded) r.watchdog.stdin.end('keep\n');
  return how;
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8');
  } catch {
    return '';
  }
}

/**
 * Starts a private nats-server (JetStream on, own temp store, a random free loopback port) for
 * a test that stops, restarts, pauses or kills it; see `NatsServer`. Call `stop()` in
 * `afterAll`. Rejects if nats-server is missing or does not become healthy in time.
 */
export async function startNats(opts: StartNatsOptions = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nats-'));
  const extra = opts.args ?? [];
  const timeout = opts.readyTimeoutMs ?? 30_000;
  let current: Running & { port: number };
  try {
    current = await launch(dir, -1, extra, timeout);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const port = current.port;
  let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.child.pid ?? 0;
    },
    dir,
    stop() {
      stopped ??= halt(current).then((how) => {
        rmSync(dir, { recursive: true, force: true });
        return how;
      });
      return stopped;
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await halt(current);
      // the old process's ports file is gone with it; the new one writes its own
      for (const f of readdirSync(dir)) if (f.endsWith('.ports')) rmSync(join(dir, f), { force: true });
      current = await launch(dir, port, extra, timeout);
    },
    pause() {
      current.child.kill('SIGSTOP');
      // the signal is delivered asynchronously: a server still running on the other core
      // answered one more request in CI. Return only once it is stopped (state T, /proc on Linux)
      const pid = current.child.pid;
      const stat = `/proc/${pid}/stat`;
      for (let k = 0; k < 1000 && existsSync(stat); k++) {
        if (/^\d+ \(.*\) T/.test(readFileSync(stat, 'utf8'))) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
    },
    resume() {
      current.child.kill('SIGCONT');
    },
    log: () => readLog(dir),
  };
}

let shared: Promise<string> | null = null;

/**
 * URL of the shared NATS server: TESSERA_NATS_URL (set by `.ci/run`) or, when that is unset,
 * a server started for this test process on first call (same for every later call; killed,
 * with its store, when the process exits). Tests never skip for want of a server: without
 * nats-server installed this rejects. Do not stop, pause or restart the shared server: use
 * `startNats()` for that.
 */
export function natsUrl(): Promise<string> {
  const env = process.env.TESSERA_NATS_URL;
  if (env) return Promise.resolve(env);
  shared ??= startNats().then((s) => s.url);
  return shared;
}

let worlds = 0;

/**
 * A world id unique to this call, safe in NATS subject tokens and KV bucket names: lower-case
 * letters, digits and `_` only (`prefix` is lower-cased, other characters become `_`), e.g.
 * `facts_1a2b_3_9f0c41d2` (prefix, process id and call count in base 36, 32 random bits).
 */
export function uniqueWorld(prefix = 'w'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const rand = Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
  return `${clean}_${process.pid.toString(36)}_${(worlds++).toString(36)}_${rand}`;
}
