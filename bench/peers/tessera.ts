/**
 * Tessera's own fixed-point core behind the peer-benchmark interface, so it runs the same
 * scenes as Rapier and cannon-es, in the same runner.
 *
 * Settings: the release WASM build (-O3), one thread; tick rate 1 / dt, 4 substeps (the
 * default), sleeping disabled, spheres and static boxes exactly as the scene defines them.
 * Numbers are converted to raw Q47.16 once at creation and on recycle.
 */
import type { PeerAdapter, PeerAdapterLoader, PeerWorld } from './adapter';
import { checksumPositions, type SceneSpec } from './scenes';
import { PhysicsWorld, type BodyHandle } from '../../src/physics/world';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function createWorld(scene: SceneSpec, substeps: number): PeerWorld {
  const world = PhysicsWorld.create({
    capacity: scene.n + scene.statics.length + 8,
    tickRate: Math.round(1 / scene.dt),
    substeps,
    gravity: scene.gravity,
    maxBodyRadius: scene.radius,
    sleep: { enabled: false },
  });
  for (const b of scene.statics) {
    world.addBox({ position: b.center, half: b.halfExtents, friction: scene.friction, restitution: scene.restitution });
  }
  const spheres: BodyHandle[] = [];
  const p = scene.positions,
    v = scene.velocities;
  for (let i = 0; i < scene.n; i++) {
    spheres.push(
      world.addSphere({
        position: [p[3 * i], p[3 * i + 1], p[3 * i + 2]],
        velocity: [v[3 * i], v[3 * i + 1], v[3 * i + 2]],
        radius: scene.radius,
        mass: scene.sphereMass,
        friction: scene.friction,
        restitution: scene.restitution,
      }),
    );
  }
  const readPositions = (out: Float64Array): void => {
    spheres.forEach((h, i) => {
      const [x, y, z] = world.position(h);
      out[3 * i] = x;
      out[3 * i + 1] = y;
      out[3 * i + 2] = z;
    });
  };
  return {
    step: () => world.step(),
    recycle: (idx, pos, vel) => {
      world.setPosition(spheres[idx], [pos[0], pos[1], pos[2]]);
      world.setVelocity(spheres[idx], [vel[0], vel[1], vel[2]]);
      world.setAngularVelocity(spheres[idx], [0, 0, 0]);
    },
    positionsChecksum: () => {
      const out = new Float64Array(3 * scene.n);
      readPositions(out);
      return checksumPositions(out);
    },
    readPositions,
    bodyCount: world.bodyCount,
    dispose: () => {
      /* the memory is released with the world object */
    },
  };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Tessera, release build, default 4 substeps. */
export const loadTessera: PeerAdapterLoader = async (): Promise<PeerAdapter> => ({
  name: 'tessera',
  pkg: 'tessera (this repository)',
  version: version(),
  notes: 'fixed-point Q47.16 WASM (release, -O3), one thread; 4 substeps of 1/240 s, Jacobi PBD solver; sleeping disabled',
  create: (scene) => createWorld(scene, 4),
});
