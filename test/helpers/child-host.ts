/**
 * Starts test/helpers/host-process in a child process (from build/dist: `npm test` builds it
 * first) and follows its STATS lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostStats } from '../../src/net/host';

export interface ChildHost {
  proc: ChildProcess;
  port: number;
  stats: Array<HostStats & { rss: number }>;
  exit: Promise<number | null>;
  stderr: string[];
  lines: string[];
  /**
   * Sends one control line to a host started with `manualTicks` (see host-process.ts: `tick <n>`,
   * `clock <ms>`, `stats`) and resolves with the first reply line starting with `reply` (its rest).
   * Rejects if the process exits first.
   */
  command(line: string, reply: string): Promise<string>;
}

/**
 * Path of the compiled form of a test helper (`name` under test/helpers/, without extension) in
 * build/dist, from TypeScript sources or from build/dist itself. Throws if the build is missing.
 */
export function builtHelper(name: string): string {
  let root = __dirname;
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  const script = join(root, 'build', 'dist', 'test', 'helpers', `${name}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  return script;
}

/** Spawns a host process with `cfg`; resolves once it listens. Throws if the build is missing. */
export async function startChildHost(cfg: Record<string, unknown>): Promise<ChildHost> {
  const script = builtHelper('host-process');
  const proc = spawn(process.execPath, [script, JSON.stringify(cfg)], { stdio: [cfg.manualTicks ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const stats: ChildHost['stats'] = [];
  const waiting: Array<{ prefix: string; resolve: (rest: string) => void }> = [];
  const stderr: string[] = [];
  const lines: string[] = [];
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = waiting.findIndex((x) => line.startsWith(x.prefix));
        if (w >= 0) {
          const [x] = waiting.splice(w, 1);
          x.resolve(line.slice(x.prefix.length));
        }
        if (line.startsWith('PORT ')) resolve(Number(line.slice(5)));
        else if (line.startsWith('STATS ')) stats.push(JSON.parse(line.slice(6)));
        else lines.push(line);
      }
    });
    void exit.then((code) => reject(new Error(`host process exited with ${code}: ${stderr.join('')}`)));
  });
  const command = (line: string, reply: string): Promise<string> =>
    new Promise((res, rej) => {
      waiting.push({ prefix: `${reply} `, resolve: res });
      void exit.then((code) => rej(new Error(`host process exited with ${code} before answering ${line}`)));
      proc.stdin?.write(`${line}\n`);
    });
  return { proc, port, stats, exit, stderr, lines, command };
}

/** The compiled CLI (build/dist/src/cli.js). Throws if the build is missing. */
export function builtCli(): string {
  return join(dirname(dirname(dirname(builtHelper('net')))), 'src', 'cli.js');
}

/** A `tessera serve` process: its stdout lines (pino JSON), exit code, and its `listening` line. */
export interface ServeProcess {
  lines: string[];
  exit: Promise<number | null>;
  kill: (s: NodeJS.Signals) => void;
  listening: Promise<{ port: number; tick: number }>;
}

/** Spawns `tessera serve <args>` from build/dist; `listening` rejects if it exits before listening. */
export function startServe(args: string[]): ServeProcess {
  const proc = spawn(process.execPath, [builtCli(), 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '',
    err = '';
  const exit = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const listening = new Promise<{ port: number; tick: number }>((resolve, reject) => {
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        const j = JSON.parse(line) as { msg: string; port: number; tick: number };
        if (j.msg === 'listening') resolve(j);
      }
    });
    void exit.then((c) => reject(new Error(`serve exited with ${c}: ${err}`)));
  });
  return { lines, exit, kill: (s) => proc.kill(s), listening };
}
