/**
 * Crash safety: a world writing every tick to SQLite is killed with SIGKILL at 50 random
 * moments. After each kill: `PRAGMA integrity_check` is ok; every tick the process had
 * acknowledged (printed after its commit) is in the store with the hash it acknowledged; the
 * world restores to the last durable tick; and its hash equals a reference replay of the whole
 * stored log from tick 0 in this process. The next run continues from the restored world.
 * Every other run writes its snapshots on a SnapshotWriter thread in 4 KiB chunks, so kills
 * also land between a snapshot's chunks and its header row.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/persist/sqlite-store';
import { WorldLoop } from '../src/sim/world-loop';
import { replayLog } from '../src/sim/replay';
import { mulberry32 } from './helpers/bigref';
import { testWorld } from './helpers/world-setup';
import { builtHelper } from './helpers/child-host';

const KILLS = 50;

/** Runs the writer until it has acknowledged a few ticks, then kills it after `ms`; returns its acknowledgements. */
async function runAndKill(file: string, ms: number, writer: boolean): Promise<{ start: number; acks: Array<[number, string]> }> {
  const proc = spawn(process.execPath, [builtHelper('persist-process'), file, ...(writer ? ['writer'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Array<[number, string]> = [];
  let start = -1,
    buf = '',
    err = '';
  proc.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('START ')) {
          start = Number(line.slice(6));
          timer = setTimeout(() => {
            proc.kill('SIGKILL');
            resolve();
          }, ms);
        } else if (line.startsWith('ACK ')) {
          const [, t, h] = line.split(' ');
          acks.push([Number(t), h]);
        }
      }
    });
    void exited.then(() => {
      if (!timer) reject(new Error(`writer exited before starting: ${err}`));
    });
  });
  await exited;
  return { start, acks };
}

test(`${KILLS} kill -9 during continuous writes: integrity, no acknowledged tick lost, restore = reference replay`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
  const file = join(dir, 'world.sqlite');
  const rng = mulberry32(17);
  let lastDurable = -1,
    totalAcks = 0,
    midSnapshot = 0;
  try {
    for (let k = 0; k < KILLS; k++) {
      // odd runs write snapshots on the writer thread in small chunks: kills land inside snapshot writes
      const { start, acks } = await runAndKill(file, 20 + Math.floor((rng() / 2 ** 32) * 300), k % 2 === 1);
      expect(start).toBe(lastDurable + 1); // it resumed right after the last durable tick
      totalAcks += acks.length;
      const store = SqliteStore.open(file);
      try {
        expect(store.integrityCheck()).toBe('ok');
        const orphans = store.db
          .prepare('SELECT count(*) AS n FROM snapshot_chunks c WHERE NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.stream = c.stream AND s.tick = c.tick)')
          .get() as { n: number };
        if (k % 2 === 1 && orphans.n > 0) midSnapshot++; // a writer run removes older orphans at its start
        const stored = new Map(store.ticksFrom('world', 0).map((t) => [t.tick, t.hash]));
        for (const [t, h] of acks) expect(stored.get(t)).toBe(h); // nothing acknowledged is missing
        const last = store.lastTick('world') as number;
        expect(last).toBeGreaterThanOrEqual(acks.length ? acks[acks.length - 1][0] : lastDurable);
        const restored = WorldLoop.restore('world', testWorld(), store) as WorldLoop;
        expect(restored.stream.tick).toBe(last + 1);
        if (k % 10 === 9 || k === KILLS - 1) {
          const log = store.ticksFrom('world', 0).flatMap((t) => t.events);
          const reference = await replayLog(testWorld(), log, last + 1);
          expect(restored.sim.hash()).toBe(reference);
        }
        expect(restored.sim.hash().toString(16)).toBe(stored.get(last));
        await restored.close();
        lastDurable = last;
      } finally {
        store.close();
      }
    }
    console.log(`crash: ${KILLS} kills (${midSnapshot} inside a snapshot write), ${totalAcks} acknowledged ticks, ${lastDurable + 1} ticks durable`);
    expect(midSnapshot).toBeGreaterThan(0); // the chunked path's crash window was hit
    expect(lastDurable).toBeGreaterThan(KILLS * 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);
