/**
 * What the object-script world tests share (test/script-world, script-threads, script-checkpoint):
 * the example scripts, the players that attach them and talk to them, and the scripted pile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeHandle } from '../../src/sim/event-bodies';
import type { WorldLoop } from '../../src/sim/world-loop';

/** The source of scenes/scripts/<name>.js. */
export const exampleScript = (name: string): string => readFileSync(join(__dirname, '..', '..', 'scenes', 'scripts', `${name}.js`), 'utf8');
export const DOOR = exampleScript('door'),
  SPAWNER = exampleScript('spawner'),
  SCOREBOARD = exampleScript('scoreboard');
/** A script that loops for ever when touched (suspended by its budget). */
export const LOOPER = `on('touch', () => { for (;;) {} });`;

/**
 * One tick of players: an admin (account 1) attaches a door, spawner or scoreboard to every body
 * at tick 2 (the looper on body 17), a guest talks to some objects every 7 ticks and asks for a
 * spawn every 10 (new touches on the pile).
 */
export function driveScripted(loop: WorldLoop, t: number, bodies: bigint[]): void {
  const s = loop.stream;
  if (t === 0) {
    const admin = s.connect('admin').publicId;
    s.publishServer('_id', `${admin},1,admin`);
    s.connect('guest');
  }
  s.heard('admin');
  s.heard('guest');
  if (t === 2) {
    bodies.forEach((b, k) => {
      const src = k === 17 ? LOOPER : [DOOR, SPAWNER, SCOREBOARD][k % 3];
      s.publish('admin', 'sa', JSON.stringify({ o: encodeHandle(b), src }));
    });
  }
  if (t >= 5 && t % 7 === 0) {
    for (let k = t % 5; k < bodies.length; k += 9) s.publish('guest', 'sm', JSON.stringify({ o: encodeHandle(bodies[k]), t: k % 3 === 1 ? 'spawn' : 'score' }));
  }
  // a drop on the pile every 10 ticks: new touches for the scripts
  if (t % 10 === 3) s.publish('guest', 'sm', JSON.stringify({ o: encodeHandle(bodies[(t * 13) % bodies.length]), t: 'spawn' }));
}

/** The handles of every moving body of `loop`'s world but the avatars (the scripted pile of a fresh testWorld). */
export function scriptedPile(loop: WorldLoop): bigint[] {
  const avatars = new Set(loop.sim.avatars.values());
  return loop.sim.world.handles().filter((h) => !avatars.has(h) && isMoving(loop, h));
}

function isMoving(loop: WorldLoop, h: bigint): boolean {
  try {
    loop.sim.world.authorityOf(h);
    return true;
  } catch {
    return false;
  }
}
