/**
 * The orphan guard (src/parent-watch.ts): a process started with TESSERA_WATCH_PID=<pid> stops
 * itself within about a second of that process's end (a crashed test run leaves no server
 * behind); without the variable it keeps running (an operator's process is not watched).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processExists } from '../src/parent-watch';

const WATCH = join(__dirname, '..', 'build', 'dist', 'src', 'parent-watch.js');

const alive = processExists; // a zombie (ended, not reaped: this container's pid 1 does not reap) is gone

/**
 * Starts a middle process that starts a long-lived child (watching the middle one, or not),
 * prints the child's pid and exits at once (often before the child has even started).
 */
async function orphan(watch: boolean): Promise<number> {
  const child = `require(${JSON.stringify(WATCH)}).exitWithWatchedProcess(); setInterval(() => {}, 1000);`;
  const env = watch ? '{ ...process.env, TESSERA_WATCH_PID: String(process.pid) }' : '{ ...process.env, TESSERA_WATCH_PID: "" }';
  const middle = `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'ignore', detached: true, env: ${env} }); console.log(c.pid); process.exit(0);`;
  const p = spawn(process.execPath, ['-e', middle], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((r) => p.once('exit', r));
  return Number(out.trim());
}

test('a watched process stops when its parent is gone; an unwatched one does not', async () => {
  expect(existsSync(WATCH)).toBe(true); // npm test builds first
  const watched = await orphan(true),
    free = await orphan(false);
  try {
    const until = Date.now() + 5000;
    while (alive(watched) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(alive(watched)).toBe(false);
    await new Promise((r) => setTimeout(r, 1500)); // longer than a check
    expect(alive(free)).toBe(true);
  } finally {
    for (const pid of [watched, free]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}, 20_000);
