/**
 * Request / reply over a forked child's IPC channel, and the messages the fan-out processes
 * exchange. Every request carries an `id`; the child answers `{ id, ok: true, value }` or
 * `{ id, ok: false, error }`. Besides replies a child may send `{ log }` lines.
 *
 *   run-fanout (parent) ──call──> host-process    mark | tick | stop
 *                       ──call──> uws-ceiling     run | stop
 *                       ──call──> load-clients    grow | mark | sample | report | close
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** A forked child answering requests (see the module comment). */
export class Child {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;
  readonly stderr: string[] = [];

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    log: (line: string) => void,
  ) {
    proc.on('message', (m: Reply | { log: string }) => {
      if ('log' in m) {
        log(`[${name}] ${m.log}`);
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(new Error(`${name}: ${m.error}`));
    });
    proc.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      this.stderr.push(d.toString());
      if (this.stderr.length > 200) this.stderr.shift();
    });
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        for (const w of this.waiting.values()) w.reject(new Error(`${name} exited with ${code}: ${this.stderr.join('').slice(-2000)}`));
        this.waiting.clear();
        resolve(code);
      }),
    );
  }

  /**
   * Forks `script` with `args`; `cpus` (e.g. "0") pins every thread of the child to those CPUs
   * with `taskset -a -p` (threads started later inherit it). Returns once forked.
   */
  static start(name: string, script: string, args: string[], opts: { cpus?: string; execArgv?: string[]; log: (line: string) => void }): Child {
    const proc = fork(script, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: opts.execArgv ?? [] });
    if (opts.cpus !== undefined && proc.pid !== undefined) {
      execFileSync('taskset', ['-a', '-p', '-c', opts.cpus, String(proc.pid)], { stdio: 'ignore' });
    }
    return new Child(name, proc, opts.log);
  }

  /** Sends a request; resolves with the reply's value. Rejects on an error reply, exit or timeout. */
  call<T>(msg: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: no reply to ${String(msg.cmd)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (!this.proc.connected) {
        this.waiting.get(id)?.reject(new Error(`${this.name}: not connected (exit code ${this.proc.exitCode})`));
        this.waiting.delete(id);
        return;
      }
      this.proc.send({ ...msg, id }, (err) => {
        if (!err) return;
        this.waiting.get(id)?.reject(new Error(`${this.name}: ${err.message}`));
        this.waiting.delete(id);
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async kill(graceMs = 5000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** Child side: answers every request with `handle` (sync or async); a thrown error becomes an error reply. */
export function serve(handle: (msg: { cmd: string; id: number } & Record<string, unknown>) => unknown): void {
  process.on('message', (m: { cmd: string; id: number } & Record<string, unknown>) => {
    Promise.resolve()
      .then(() => handle(m))
      .then((value) => process.send?.({ id: m.id, ok: true, value }))
      .catch((e: unknown) => process.send?.({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
  });
  process.on('disconnect', () => process.exit(0));
  // an orderly exit on the parent's SIGTERM, so `--cpu-prof` (--host-node-args) writes its profile
  process.on('SIGTERM', () => process.exit(0));
}

/** Child side: a log line shown by the parent. */
export function log(line: string): void {
  process.send?.({ log: line });
}
