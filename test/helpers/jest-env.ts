/**
 * Jest setup for every test file (jest.config.js setupFiles): the processes a test starts (and
 * theirs) inherit TESSERA_WATCH_PID, this test process's pid, and stop themselves once it is gone
 * (src/parent-watch.ts), so a crashed or killed run leaves no server behind.
 */
process.env.TESSERA_WATCH_PID = String(process.pid);
