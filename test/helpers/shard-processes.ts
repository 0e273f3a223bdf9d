/**
 * `tessera shard` child processes for cluster tests (src/cluster/shard-process.ts), run from the
 * compiled CLI (build/dist: `npm test` builds first). Each child is killed when the test
 * process exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'build', 'dist', 'src', 'cli.js');
const CLI_FROM_DIST = join(__dirname, '..', '..', 'src', 'cli.js'); // when this file runs compiled

/** A running shard process. */
export interface ShardChild {
  id: string;
  proc: ChildProcess;
  /** Resolves with the exit code (null after a signal) when the process ends. */
  exited: Promise<number | null>;
  /** Its output so far (stdout and stderr: pino lines). */
  output(): string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** One shard process to start. */
export interface ShardSpec {
  id: string;
  standby?: boolean;
  env?: Record<string, string>;
  /** NATS URL of this process (default: startShards' `nats`), e.g. a delay proxy's. */
  nats?: string;
  /**
   * Command prefix, e.g. `['ip', 'netns', 'exec', 'tsr-1-0']` (bench/cluster/netns.ts inNamespace):
   * it must exec the node process, so that killing the child kills the shard process.
   */
  wrap?: string[];
  /** node options before the CLI script (e.g. ['--no-liftoff']). */
  execArgv?: string[];
  /** pino level (default 'info'). */
  logLevel?: string;
}

/** Starts one `tessera shard` per spec, joined to `world` through `nats`. */
export function startShards(nats: string, world: string, specs: ShardSpec[]): ShardChild[] {
  const cli = __filename.endsWith('.js') ? CLI_FROM_DIST : CLI;
  return specs.map(({ id, standby, env, nats: own, wrap, execArgv, logLevel }) => {
    const args = [...(execArgv ?? []), cli, 'shard', '--world', world, '--nats', own ?? nats, '--id', id, '--log-level', logLevel ?? 'info'];
    if (standby) args.push('--standby');
    const [cmd, ...pre] = wrap?.length ? [...wrap, process.execPath] : [process.execPath];
    const proc = spawn(cmd, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    live.add(proc);
    let out = '';
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    proc.stderr?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const exited = new Promise<number | null>((r) =>
      proc.once('exit', (code) => {
        live.delete(proc);
        r(code);
      }),
    );
    return { id, proc, exited, output: () => out };
  });
}

/** Stops shard processes (SIGTERM, then SIGKILL after 3 s) and waits for them. */
export async function stopShards(children: ShardChild[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
      c.proc.kill('SIGCONT');
      c.proc.kill('SIGTERM');
      const t = setTimeout(() => c.proc.kill('SIGKILL'), 3000);
      await c.exited;
      clearTimeout(t);
    }),
  );
}
