/**
 * Issue 19's test "20 kill -9 of the primary under 200 bot clients: every acknowledged input is in
 * the log, the hashes equal a replay of the JetStream log from tick 0". It runs bench:failover
 * (bench/failover/run-failover.ts, built) with 20 kills (SIGKILL, and SIGSTOP past the lease on
 * every other round) and 200 players of the client library given every node's address, and
 * reads its results file: every kill was taken over, a copy applying the log from tick 0 matched
 * every logged hash with no tick missing or repeated, each deposed leader exited by itself,
 * every input seq a player saw acknowledged is in the log under its public id and none is in it
 * twice, and no player's public id changed. The times (takeover, stall, players back) are
 * recorded by the benchmark (bench/results/<machine>/failover.md), not asserted here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BENCH = join(__dirname, '..', 'build', 'dist', 'bench', 'failover', 'run-failover.js');

test('20 kills of the leader under 200 players: no acknowledged input lost or applied twice, the log replays to every hash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-failover-bots-'));
  const out = join(dir, 'failover.json');
  try {
    const child = spawn(process.execPath, [BENCH, '--kills', '20', '--bots', '200', '--run-s', '1.5', '--write', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    child.stdout.on('data', (d: Buffer) => lines.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => lines.push(d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const f = JSON.parse(readFileSync(out, 'utf8')) as {
      kills: Array<{ signal: string; deposedExit: number | null }>;
      ticksChecked: number;
      bad: string[];
      error?: string;
      bots: { count: number; acknowledged: number; ackedMissing: number; ackedUnread: number; missingDetail: string[]; duplicates: number; idChanged: number };
    };
    // on a failure, the benchmark's own last lines (rounds, the leader's last lines) say where
    const tail = f.error || f.bad.length ? lines.join('').slice(-3000) : '';
    expect({ error: f.error, bad: f.bad.slice(0, 3), tail }).toEqual({ error: undefined, bad: [], tail: '' });
    expect(f.kills).toHaveLength(20);
    expect(f.kills.filter((k) => k.signal === 'SIGSTOP').map((k) => k.deposedExit)).toEqual(Array(10).fill(0));
    expect(f.bots).toMatchObject({ count: 200, ackedMissing: 0, ackedUnread: 0, missingDetail: [], duplicates: 0, idChanged: 0 });
    expect(f.bots.acknowledged).toBeGreaterThan(200 * 20); // players kept playing through the kills
    expect(f.ticksChecked).toBeGreaterThan(20 * 30);
    expect({ code, tail: code === 0 ? '' : lines.join('').slice(-2000) }).toEqual({ code: 0, tail: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
