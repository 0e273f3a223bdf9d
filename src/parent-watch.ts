/**
 * Orphan guard for processes started by the test suite and the benchmarks: with the environment
 * variable TESSERA_WATCH_PID=<pid> (test/helpers/jest-env.ts sets it to the test process's pid for
 * every test file, so every process a test starts, and the ones they start, inherit it), a
 * process sends itself SIGTERM once that process is gone, which stops a `tessera serve` or a test
 * host gracefully and ends any other. A test run that crashes or is killed then leaves no server
 * behind holding a port and a core. Checked once a second (the timer does not keep a process
 * alive); a watched process that is already gone at the start is noticed at the first check.
 * Without the variable (an operator's process) nothing is watched.
 */
import { readFileSync } from 'node:fs';

export function exitWithWatchedProcess(env: NodeJS.ProcessEnv = process.env): void {
  const pid = Number(env.TESSERA_WATCH_PID);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
  setInterval(() => {
    if (!processExists(pid)) process.kill(process.pid, 'SIGTERM');
  }, 1000).unref();
}

/** Whether process `pid` exists and has not ended (on Linux a zombie, ended but not yet reaped, counts as gone). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, not ours to signal
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; the comm may hold spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(pid, 0) said it exists
  }
}
