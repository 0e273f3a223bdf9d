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

/** Starts one `tessera shard` per spec, joined to `world` through `nats`. */
export function startShards(nats: string, world: string, specs: Array<{ id: string; standby?: boolean; env?: Record<string, string> }>): ShardChild[] {
  const cli = __filename.endsWith('.js') ? CLI_FROM_DIST : CLI;
  return specs.map(({ id, standby, env }) => {
    const args = [cli, 'shard', '--world', world, '--nats', nats, '--id', id, '--log-level', 'info'];
    if (standby) args.push('--standby');
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
