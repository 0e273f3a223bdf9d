/**
 * Replays a failover run's kept log and one of its snapshots offline (the files
 * bench/failover/snapshot-audit.ts writes with TESSERA_FAILOVER_LOGS=<dir>): a copy applies the
 * log from tick 0 (the bench's small scene, test/helpers/replica.ts SMALL_SCENE), the snapshot's
 * world is compared with the copy's state at its tick, then a copy restored from the snapshot and
 * the copy from tick 0 go on together, and the first tick whose saved state or hash differs is
 * printed with the differing records and sections (test/helpers/state-diff.ts).
 *
 * Usage: node build/dist/bench/failover/replay-snapshot.js --dir DIR --snap TICK [--ticks 200]
 * Exit code 0 when the restored copy matched the log for every tick replayed, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScene, sceneSetup } from '../../src/scene';
import { WorldFollower } from '../../src/replica/follower';
import { decodeSnapshot, restoreSnapshot } from '../../src/replica/snapshots';
import { SMALL_SCENE } from '../../test/helpers/replica';
import { stateDiff } from '../../test/helpers/state-diff';
import { readLogFile } from './snapshot-audit';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt?: string): string => {
    const i = argv.indexOf(name);
    if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1];
    if (dflt === undefined) throw new Error(`${name} is required (see the comment at the top of bench/failover/replay-snapshot.ts)`);
    return dflt;
  };
  const dir = arg('--dir'),
    at = Number(arg('--snap')),
    span = Number(arg('--ticks', '200'));
  const setup = () => sceneSetup(parseScene(SMALL_SCENE), 0);
  const log = readLogFile(readFileSync(join(dir, 'log.bin')));
  // a copy: a Buffer from readFileSync may sit unaligned in Node's pool (the physics views need 4-byte alignment)
  const snap = decodeSnapshot(new Uint8Array(readFileSync(join(dir, `snap-${at}.bin`))));
  process.stdout.write(`log: ticks ${log[0]?.tick}..${log[log.length - 1]?.tick}; snapshot of tick ${snap.tick}\n`);
  const ref = new WorldFollower(setup());
  for (const t of log) {
    if (t.tick > snap.tick) break;
    if (!ref.apply(t)) {
      process.stdout.write(`the copy from tick 0 differs from the log at tick ${t.tick}\n`);
      return 1;
    }
  }
  const d0 = stateDiff(ref.sim.save(), snap.world, 40);
  process.stdout.write(
    d0.length
      ? `snapshot world differs from the copy's at tick ${snap.tick}:\n  ${d0.join('\n  ')}\n`
      : `snapshot world equals the copy's at tick ${snap.tick}\n`,
  );
  const sim = await restoreSnapshot(setup(), snap);
  const copy = WorldFollower.fromSnapshot(sim.setup, snap, sim);
  let bad = 0,
    stateShown = false;
  for (const t of log) {
    if (t.tick <= snap.tick) continue;
    if (t.tick > snap.tick + span) break;
    ref.apply(t);
    const ok = copy.apply(t);
    if (!stateShown) {
      const d = stateDiff(ref.sim.save(), copy.sim.save(), 40);
      if (d.length > 0) {
        stateShown = true;
        process.stdout.write(`after tick ${t.tick} the restored copy's state differs from the copy from tick 0's:\n  ${d.join('\n  ')}\n`);
      }
    }
    if (!ok) {
      bad++;
      process.stdout.write(`the restored copy's hash differs from the log at tick ${t.tick}\n`);
      break;
    }
  }
  if (!bad) process.stdout.write(`the restored copy matched the log for ${span} ticks\n`);
  await ref.close();
  await copy.close();
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(2);
  },
);
