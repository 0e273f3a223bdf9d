/**
 * The acceptance scenes of the shard tests (issue 4) as the cluster tests run them: a pile
 * across borders, rain with a teleport command every tick, walkers through a four-region corner
 * (300, 300 and 24 bodies, the seeds of test/physics-determinism.test.ts), and the unsharded
 * core's hash and event digest of every tick, computed once per scene and tick count.
 */
import { createHash } from 'node:crypto';
import { PhysicsWorld, type WorldConfig } from '../../src/physics/world';
import { bodyEvents, type BodyEvent } from '../../src/physics/sharded';
import { buildPile, buildRain, buildWalkers, pileConfig, rainConfig, walkersConfig, type SceneTarget } from './scenes';

/** A world hash as 16 hex digits. */
export const hex = (h: bigint): string => `0x${h.toString(16).padStart(16, '0')}`;

/** SHA-1 of a tick's merged events (kind, body, other), in their order. */
export const eventsDigest = (list: BodyEvent[]): string =>
  createHash('sha1')
    .update(list.map((e) => `${e.kind}${e.body}:${e.other}`).join(','))
    .digest('hex');

/** A scene: its world settings and a builder that returns the per-tick function (commands, then step). */
export interface AcceptanceScene {
  config: WorldConfig;
  build(target: SceneTarget): () => void;
}

/** The three acceptance scenes. */
export const ACCEPTANCE: Record<'pile' | 'rain' | 'walkers', AcceptanceScene> = {
  pile: { config: pileConfig(300), build: (w) => buildPile(w, 300, 11, { layers: 6 }).tick },
  rain: { config: rainConfig(300), build: (w) => buildRain(w, 300, 12).tick },
  walkers: { config: walkersConfig(24), build: (w) => buildWalkers(w, 24, 13).tick },
};

const cache = new Map<string, Array<[string, string]>>();

/** [hash, events digest] after each of the first `ticks` ticks of the scene on the unsharded core. */
export function unshardedRun(name: keyof typeof ACCEPTANCE, ticks: number): Array<[string, string]> {
  const key = `${name}/${ticks}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const w = PhysicsWorld.create(ACCEPTANCE[name].config);
  const tick = ACCEPTANCE[name].build(w);
  const out: Array<[string, string]> = [];
  for (let t = 0; t < ticks; t++) {
    tick();
    out.push([hex(w.hash()), eventsDigest(bodyEvents(w.events()))]);
  }
  cache.set(key, out);
  return out;
}
