/**
 * A world that writes continuously, for the crash test: `node persist-process.js <file> [writer]` opens
 * the SQLite store, restores the world (or creates it), then steps as fast as it can with
 * scripted players whose inputs are a function of the tick, printing `ACK <tick> <hash>` after
 * each tick is durably stored (what a client would have been sent). Killed with SIGKILL by the
 * test at random moments. With `writer`, snapshots go through a SnapshotWriter thread in 4 KiB
 * chunks (so many kills land inside a snapshot write); without, they are written in the tick.
 */
import { SqliteStore } from '../../src/persist/sqlite-store';
import { SnapshotWriter } from '../../src/persist/snapshot-writer';
import { EventStream } from '../../src/sim/stream';
import { WorldLoop } from '../../src/sim/world-loop';
import { testWorld } from './world-setup';

const PLAYERS = ['p1', 'p2', 'p3'];

/** Scripted input of player i at tick t (pure). */
export function crashInput(i: number, t: number): string {
  const a = ((t * 7 + i * 131) % 360) * (Math.PI / 180);
  return `${Math.round(Math.cos(a) * 1000)},${Math.round(Math.sin(a) * 1000)},${(t + i) % 53 === 0 ? 1 : 0}`;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  const store = SqliteStore.open(file);
  const sink = process.argv[3] === 'writer' ? await SnapshotWriter.start(file, { chunkBytes: 4096 }) : undefined;
  if (sink) store.handOverCheckpoints();
  const persist = { store, snapshotEvery: 40, sink };
  const loop = WorldLoop.restore('world', testWorld(), store, { persist }) ?? new WorldLoop(new EventStream('world'), testWorld(), { persist });
  process.stdout.write(`START ${loop.stream.tick}\n`);
  const step = (): void => {
    for (let b = 0; b < 5; b++) {
      const t = loop.stream.tick;
      PLAYERS.forEach((p, i) => {
        loop.stream.connect(p);
        loop.stream.publish(p, 'in', crashInput(i, t));
        const at = loop.avatarPosition(loop.stream.publicIdOf(p) ?? 0);
        if (t % 25 === i && at)
          loop.stream.publish(p, 'sp', `${Math.round(at[0] * 1000)},${Math.round(at[1] * 1000) + 2000},${Math.round(at[2] * 1000)},0,0,0`);
      });
      const r = loop.step();
      process.stdout.write(`ACK ${r.tick} ${r.hash.toString(16)}\n`);
    }
    setImmediate(step);
  };
  step();
}

if (require.main === module) void main();
