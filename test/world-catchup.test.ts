/**
 * A late joiner learns who is who (issue 15): the '_s' catch-up snapshot carries the '_id' of
 * every present player and the current '_ta', so a client that catches up from a snapshot (the
 * '_id' and '_ta' events before it trimmed or skipped) knows the temporary admin and the roles
 * of the players already there, as a client that saw every event does.
 */
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { testWorld } from './helpers/world-setup';

/** What a client knows after a catch-up: the '_s' payload's ids and ta, then the '_id', '_ta' and '_d' events after it. */
function learned(c: ReturnType<EventStream['catchUp']>): { roles: Map<number, string>; ta: string | null } {
  const roles = new Map<number, string>();
  let ta: string | null = null;
  const id = (body: string): void => {
    const [p, a, r] = body.split(',');
    roles.set(Number(p), `${a} ${r}`);
  };
  if (c.kind === 'snapshot') {
    const s = JSON.parse(String(c.snapshot.payload)) as { ids?: string[]; ta?: string };
    for (const b of s.ids ?? []) id(b);
    ta = s.ta ?? null;
  }
  for (const e of c.events) {
    if (e.type === '_id') id(e.body);
    if (e.type === '_ta') ta = e.body;
    if (e.type === '_d') roles.delete(Number(e.body));
  }
  return { roles, ta };
}

test('a client joining after the snapshot learns the temporary admin and the roles of the players present', async () => {
  const clock = { t: 0 };
  const stream = new EventStream('world', { clock: { now: () => clock.t }, seed: '0123456789abcdef0123456789abcdef' });
  const loop = new WorldLoop(stream, testWorld({ spheres: 0 }), { snapshotEvery: 10, retainTicks: 10 });
  try {
    const ids: Record<string, number> = {};
    for (let t = 0; t < 45; t++) {
      if (t === 0) {
        for (const [c, account, role] of [
          ['admin', 1, 'admin'],
          ['mod', 2, 'moderator'],
          ['guest', 0, 'player'],
          ['gone', 4, 'player'],
        ] as const) {
          ids[c] = stream.connect(c).publicId;
          stream.publishServer('_id', `${ids[c]},${account},${role}`);
        }
      }
      if (t === 3) stream.publishServer('_ta', '2'); // the moderator's account is temporary admin
      if (t === 5) stream.disconnect('gone');
      if (t === 41) {
        ids.late = stream.connect('late').publicId;
        stream.publishServer('_id', `${ids.late},5,player`);
      }
      for (const c of Object.keys(ids)) if (c !== 'gone') stream.heard(c);
      clock.t += 50;
      loop.step();
    }
    // a new client: lastKnownTick 0, the log before tick 30 is trimmed -> the '_s' snapshot of tick 40
    const c = stream.catchUp(0);
    expect(c.kind).toBe('snapshot');
    if (c.kind !== 'snapshot') return;
    expect(c.snapshot.tick).toBe(40);
    expect(c.events.some((e) => e.type === '_ta' || (e.type === '_id' && e.tick < 40))).toBe(false); // the events cannot tell it
    const { roles, ta } = learned(c);
    expect(ta).toBe('2');
    expect([...roles].sort((a, b) => a[0] - b[0])).toEqual([
      [ids.admin, '1 admin'],
      [ids.mod, '2 moderator'],
      [ids.guest, '0 player'],
      [ids.late, '5 player'],
    ]);
    // the snapshot says what the sim holds
    expect(loop.sim.social.tempAdminAccount).toBe(2);
  } finally {
    await loop.close();
  }
});
