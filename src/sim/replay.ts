/**
 * Replay: rebuilds the world stream's state from its log (GoEventStream: the stream is the
 * state). Every tick from 0 to `ticks - 1` is applied in order, empty ticks included (they leave
 * no trace in the log but still step the physics), so the result equals the live run at every
 * tick whatever the shard layout or worker count (invariant 1, live vs replay).
 */
import type { StreamEvent } from '../protocol/messages';
import { MainSim, type WorldSetup } from './main-sim';
import type { ShardedWorld } from '../physics/sharded';
import type { SocialOutput } from '../social/social-sim';

/** Per-tick result of a replay: the tick applied, the state hash after it, the derived events. */
export interface ReplayTick {
  tick: number;
  hash: bigint;
  derived: Array<{ type: string; body: string }>;
  social: SocialOutput;
}

/**
 * Replays `events` (a stream log in canonical order, ticks ascending) on a fresh MainSim built
 * from `setup`, for ticks 0..ticks-1, calling `onTick` after each. Derived '_av'/'_h'/'_z' events in the
 * log are outputs: the replay recomputes them (compare with `derivedInLog`). Returns the final
 * hash. `attach`, when given, runs once the world is built and before tick 0: the place to hand
 * its shards to a cluster (src/cluster/coordinator.ts; then it closes what it attached after the
 * replay, or the caller does). Throws RangeError if the log's ticks are not ascending or reach `ticks`.
 */
export async function replayLog(
  setup: WorldSetup,
  events: readonly StreamEvent[],
  ticks: number,
  onTick?: (r: ReplayTick) => void,
  attach?: (world: ShardedWorld) => Promise<void>,
): Promise<bigint> {
  const sim = new MainSim(setup);
  try {
    await attach?.(sim.world);
    let i = 0;
    for (let t = 0; t < ticks; t++) {
      const start = i;
      while (i < events.length && events[i].tick === t) i++;
      if (i < events.length && events[i].tick < t) throw new RangeError(`log ticks are not ascending at event ${i}`);
      const r = sim.apply(t, events.slice(start, i));
      onTick?.({ tick: t, hash: sim.hash(), derived: r.derived, social: r.social });
    }
    if (i < events.length) throw new RangeError(`the log has events at tick ${events[i].tick}, beyond the ${ticks} ticks replayed`);
    return sim.hash();
  } finally {
    await sim.close();
  }
}

/** Event types MainSim derives (TickResult.derived). */
const DERIVED = new Set(['_av', '_h', '_z']);

/** The derived events of tick t+1 in a log: what apply(t) produced in the live run. */
export function derivedInLog(events: readonly StreamEvent[], tick: number): Array<{ type: string; body: string }> {
  return events.filter((e) => e.tick === tick + 1 && DERIVED.has(e.type)).map((e) => ({ type: e.type, body: e.body }));
}
