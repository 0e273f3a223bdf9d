/**
 * Every benchmark scene by name, with the sizes the runner uses when none are given.
 * Scene definitions: scenes.ts (pile, rain), scenes-rest.ts (resting, drop, mixed,
 * sparse-active, sparse-alone), scenes-level.ts (level, level-few, raycast), scenes-boxes.ts
 * (box-pile, pyramid), scenes-characters.ts (characters).
 */
import { boxPileScene, pyramidScene } from './scenes-boxes';
import { charactersScene } from './scenes-characters';
import { pileScene, rainScene, type SceneName, type SceneSpec } from './scenes';
import { levelFewScene, levelScene, raycastScene } from './scenes-level';
import { dropScene, mixedScene, restingScene, sparseActiveScene, sparseAloneScene } from './scenes-rest';

export type { SceneName };

/**
 * Scene builders: (N, seed) -> SceneSpec. N counts dynamic spheres (box-pile: boxes), except
 * sparse-active where it is the moving part (100 N spheres in all) and pyramid where it is the
 * base (N (N+1) (2N+1) / 6 boxes).
 */
export const SCENES: Record<SceneName, (n: number, seed?: number) => SceneSpec> = {
  pile: pileScene,
  rain: rainScene,
  resting: restingScene,
  drop: dropScene,
  mixed: mixedScene,
  'sparse-active': sparseActiveScene,
  'sparse-alone': sparseAloneScene,
  level: levelScene,
  'level-few': levelFewScene,
  raycast: raycastScene,
  'box-pile': boxPileScene,
  pyramid: pyramidScene,
  characters: charactersScene,
};

/** Sizes per scene when the command line gives none (the sizes). */
export const DEFAULT_SIZES: Record<SceneName, number[]> = {
  pile: [1000, 5000, 20000],
  rain: [1000, 5000, 20000],
  resting: [20000, 100000],
  drop: [20000],
  mixed: [5000],
  'sparse-active': [10000],
  'sparse-alone': [10000],
  level: [2000],
  'level-few': [2000],
  raycast: [2000],
  'box-pile': [5000, 20000],
  pyramid: [20],
  characters: [1000],
};

export const SCENE_NAMES = Object.keys(SCENES) as SceneName[];

/** Is `s` a scene name? */
export function isSceneName(s: string): s is SceneName {
  return s in SCENES;
}

/** Builds scene `kind` of size N (see SCENES). Throws for an unknown name or a bad N. */
export function makeScene(kind: SceneName, n: number, seed = 1): SceneSpec {
  const make = SCENES[kind];
  if (!make) throw new Error(`unknown scene ${String(kind)} (known: ${SCENE_NAMES.join(', ')})`);
  return make(n, seed);
}
