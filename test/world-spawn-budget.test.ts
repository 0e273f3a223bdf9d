/**
 * Spawn budget per principal and the despawn policy for what departed players left behind
 * (issue 15): an account's sessions share one budget (a new private id is not a new budget);
 * a guest's budget is its public id's; the spheres of a principal go when its last session
 * leaves ('_d'), or `spawnLingerTicks` later, unless it comes back first; churn of departing
 * players does not grow the saved state.
 */
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { MainSim, handleText, type WorldSetup } from '../src/sim/main-sim';
import { replayLog } from '../src/sim/replay';
import { testWorld } from './helpers/world-setup';

const SEED = '0123456789abcdef0123456789abcdef';

class World {
  readonly clock = { t: 0 };
  readonly stream = new EventStream('world', { clock: { now: () => this.clock.t }, seed: SEED });
  readonly loop: WorldLoop;
  readonly hashes: bigint[] = [];
  constructor(readonly setup: WorldSetup) {
    this.loop = new WorldLoop(this.stream, setup);
  }
  /** Connects private id `c` as account `account` (0 = guest). */
  join(c: string, account: number): number {
    const { publicId } = this.stream.connect(c);
    this.stream.publishServer('_id', `${publicId},${account},player`);
    return publicId;
  }
  spawn(c: string): void {
    const p = this.loop.avatarPosition(this.stream.publicIdOf(c) as number) as [number, number, number];
    this.stream.publish(c, 'sp', `${Math.round(p[0] * 1000)},${Math.round(p[1] * 1000) + 1500},${Math.round(p[2] * 1000)},0,0,0`);
  }
  step(n = 1): void {
    for (let k = 0; k < n; k++) {
      for (const [c] of this.stream.idTable()) this.stream.heard(c);
      this.clock.t += 50;
      this.hashes.push(this.loop.step().hash);
    }
  }
  /** Moving bodies that are not avatars: the spawned spheres. */
  spheres(): number {
    return (
      this.loop.sim.world.handles().filter((h) => {
        try {
          this.loop.sim.world.authorityOf(h);
          return true;
        } catch {
          return false;
        }
      }).length - this.loop.sim.avatars.size
    );
  }
  close(): Promise<void> {
    return this.loop.close();
  }
}

const setup = (o: Partial<WorldSetup> = {}): WorldSetup => ({ ...testWorld({ spheres: 0 }), spawnLimit: 3, ...o });

test('an account has one spawn budget over all its sessions and private ids; a guest has its own', async () => {
  const w = new World(setup());
  try {
    w.join('acct-a', 5);
    w.join('acct-b', 5); // one account, two private ids
    w.join('guest-1', 0);
    w.join('guest-2', 0);
    w.step();
    for (let k = 0; k < 3; k++) {
      w.spawn('acct-a');
      w.spawn('acct-b');
      w.spawn('guest-1');
      w.step();
    }
    // account 5: 6 requests, budget 3 (the oldest went first); guest-1: 3
    expect(w.spheres()).toBe(3 + 3);
    w.spawn('guest-2');
    w.step();
    expect(w.spheres()).toBe(3 + 3 + 1);
  } finally {
    await w.close();
  }
});

test("a sphere an admin despawned no longer counts against its spawner's budget", async () => {
  const w = new World(setup());
  try {
    w.join('acct-a', 5);
    w.join('boss', 1);
    w.stream.publishServer('_id', `${w.stream.publicIdOf('boss')},1,admin`);
    w.step();
    const mine: string[] = [];
    for (let k = 0; k < 3; k++) {
      w.spawn('acct-a');
      w.step();
      mine.push(...w.loop.sim.social.output.ownership.map((o) => handleText(o.body)));
    }
    expect(w.spheres()).toBe(3);
    w.stream.publish('boss', 'ad', JSON.stringify({ cmd: 'despawn', args: [mine[2]] })); // the newest
    w.step();
    expect(w.spheres()).toBe(2);
    w.spawn('acct-a');
    w.step();
    expect(w.spheres()).toBe(3); // within the budget again: the oldest stays
  } finally {
    await w.close();
  }
});

test("a principal's spheres go in the tick its last session leaves; an account's stay while another session is online", async () => {
  const w = new World(setup());
  try {
    w.join('acct-a', 5);
    w.join('acct-b', 5);
    w.join('guest-1', 0);
    w.step();
    w.spawn('acct-a');
    w.spawn('guest-1');
    w.step();
    w.spawn('acct-b');
    w.step();
    expect(w.spheres()).toBe(3);
    w.stream.disconnect('guest-1');
    w.step();
    expect(w.spheres()).toBe(2);
    w.stream.disconnect('acct-a');
    w.step();
    expect(w.spheres()).toBe(2); // acct-b (same account) is still here
    w.stream.disconnect('acct-b');
    w.step();
    expect(w.spheres()).toBe(0);
  } finally {
    await w.close();
  }
});

test('with spawnLingerTicks, the spheres stay that many ticks after the leave, and stay for good when the principal comes back', async () => {
  const w = new World(setup({ spawnLingerTicks: 10 }));
  try {
    w.join('acct-a', 5);
    w.join('guest-1', 0);
    w.step();
    w.spawn('acct-a');
    w.spawn('guest-1');
    w.step();
    w.stream.disconnect('acct-a');
    w.stream.disconnect('guest-1');
    w.step(); // '_d' at tick t
    // the lingering departures are state: saved, restored, hashed
    const restored = new MainSim(w.setup, w.loop.sim.save());
    expect(restored.hash()).toBe(w.loop.sim.hash());
    expect(JSON.parse(w.loop.sim.save().game).lingering).toHaveLength(2);
    await restored.close();
    w.step(9);
    expect(w.spheres()).toBe(2); // t + 1 .. t + 9: still there
    w.join('acct-c', 5); // account 5 is back (a new private id)
    w.step();
    expect(w.spheres()).toBe(1); // the guest's went at t + 10, the account's stay
    w.step(20);
    expect(w.spheres()).toBe(1);
    // the same decisions on a replay on 4 shards
    const final = await replayLog({ ...setup({ spawnLingerTicks: 10 }), partition: { xCuts: [0], zCuts: [0] } }, w.stream.log(), w.hashes.length);
    expect(final).toBe(w.hashes[w.hashes.length - 1]);
  } finally {
    await w.close();
  }
});

test('departed players do not grow the saved state: churn leaves the snapshot as it was', async () => {
  const w = new World(setup());
  try {
    w.join('resident', 9);
    w.step();
    const churn = (round: number): void => {
      for (let i = 0; i < 20; i++) w.join(`r${round}-g${i}`, 0);
      w.step();
      for (let k = 0; k < 2; k++) {
        for (let i = 0; i < 20; i++) w.spawn(`r${round}-g${i}`);
        w.step();
      }
      for (let i = 0; i < 20; i++) w.stream.disconnect(`r${round}-g${i}`);
      w.step(2);
    };
    const before = w.loop.sim.save();
    churn(1);
    const after1 = w.loop.sim.save();
    churn(2);
    const after2 = w.loop.sim.save();
    expect(w.spheres()).toBe(0);
    expect(after1.game.length).toBe(before.game.length);
    expect(after2.game.length).toBe(before.game.length);
    expect(after2.physics.byteLength).toBe(after1.physics.byteLength);
  } finally {
    await w.close();
  }
});
