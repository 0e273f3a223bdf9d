/**
 * A thrown sphere matched by identity (issue 20: "a thrown sphere ... is matched to the server's
 * body when it arrives"; src/client/projectiles.ts claim). The host makes the spawner the owner of
 * the sphere its spawn made and says so in an 'ownership' message; the client claims that body for
 * its oldest waiting ghost, and match() pairs them wherever the server's sphere is, even far from
 * the ghost's path (where matching by place, the fallback, would not); a key already seen is not
 * claimed again.
 */
import { Host } from '../src/net/host';
import { createNodeClient } from '../src/client/node';
import { ProjectilePrediction } from '../src/client/projectiles';
import type { PredictWorld } from '../src/client/predict-world';
import type { ServerMessage } from '../src/protocol/messages';
import type { WorldSetup } from '../src/sim/main-sim';
import { request, waitFor } from './helpers/net';
import { addClosedBox } from './helpers/scenes';

const RATE = 50;
const setup: WorldSetup = {
  config: { capacity: 64, tickRate: RATE, maxBodyRadius: 1, sleep: { enabled: true } },
  scene: (w) => addClosedBox(w, 24, 12),
  spawnPoints: [[0, 1.2, 0]],
};
const raw = (m: number): bigint => BigInt(Math.round(m * 65536));

test("the host's ownership message of a spawned sphere matches it to the ghost by identity, not place", async () => {
  const host = await Host.start({ port: 0, tickRate: RATE, world: setup });
  try {
    const world = (await request('GET', `http://127.0.0.1:${host.port}/predict`)).json as PredictWorld;
    const p = new ProjectilePrediction(world);
    const owned: ServerMessage[] = [];
    const claims: Array<string | null> = [];
    const c = createNodeClient(
      { url: `ws://127.0.0.1:${host.port}/ws`, token: 'guest', privateId: 'thrower' },
      {
        onMessage: (m) => {
          if (m.kind !== 'ownership') return;
          owned.push(m);
          const key = `${m.body.index}:${m.body.generation}`;
          if (m.owner === 0x80000000 + c.publicId) claims.push(p.claim(key) ? key : null);
        },
      },
    );
    await c.connect();
    await waitFor(() => c.state !== null && c.bodies().length > 6, 10_000, 'the avatar in the state');
    p.markSeen(c.bodies().map((b) => `${b.index}:${b.generation}`));
    // a ghost thrown from (0, 2, 1), and the spawn the host gets
    const g = p.throwSphere([0, 2, 1], [0, 3, 4], 0);
    expect(c.spawn([raw(0), raw(2), raw(1)], [raw(0), raw(3), raw(4)])).toBe(true);
    await waitFor(() => claims.length > 0, 5000, 'the ownership message of the spawned sphere');
    const key = claims[0] as string;
    expect(key).not.toBeNull();
    // the server's sphere, reported 5 m from any point of the ghost's path: matched all the same
    const m = p.match([{ key, position: [10, 0.25, -10] }]);
    expect(m).toHaveLength(1);
    expect(m[0].ghost.id).toBe(g.id);
    expect(m[0].key).toBe(key);
    expect(p.ghosts).toEqual([]);
    // without the claim, the same far sphere is not matched by place
    const q = new ProjectilePrediction(world);
    q.throwSphere([0, 2, 1], [0, 3, 4], 0);
    expect(q.match([{ key, position: [10, 0.25, -10] }])).toEqual([]);
    // a key already seen is not claimed again
    expect(p.claim(key)).toBeNull();
    c.close();
  } finally {
    await host.stop();
  }
}, 30_000);
