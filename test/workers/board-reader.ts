/**
 * Reader thread for the torn-read stress test: reads published ticks of a sharded world
 * while the shards write the next one, and checks each read against the writer's checksum.
 * validate = true: through BoardReader (seqlock); false: straight from the board of the
 * published tick, no seqlock (the negative control: torn reads show up as mismatches).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BoardReader, type BoardSource } from '../../src/physics/sharded';
import { Core } from '../../src/physics/wasm';
import type { WorldExports } from '../../src/physics/world';

const { source, until, validate } = workerData as { source: BoardSource; until: number; validate: boolean };
const core = Core.instantiate(source.memory, 'release');
const x = core.exports as unknown as WorldExports;
const reader = new BoardReader(source);
let reads = 0,
  mismatches = 0;
const ticks = new Set<number>();
while (reader.published < until) {
  if (reader.published === 0) continue;
  if (validate) {
    const ok = reader.read((v) => {
      ticks.add(v.tick);
      return BigInt.asUintN(64, x.boardRecordsHash(v.address)) === v.checksum;
    });
    if (!ok) mismatches++;
  } else {
    const tick = reader.published;
    const address = source.boards[tick % 2];
    const h = new BigInt64Array(source.memory.buffer, address, 16);
    const sum = BigInt.asUintN(64, h[2]);
    if (BigInt.asUintN(64, x.boardRecordsHash(address)) !== sum) mismatches++;
    ticks.add(tick);
  }
  reads++;
}
parentPort!.postMessage({ reads, mismatches, retries: reader.retries, ticks: ticks.size });
