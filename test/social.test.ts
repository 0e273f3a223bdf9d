/**
 * The social layer on the world stream (src/social/social-sim.ts), driven through WorldLoop
 * with real events: chat channels deliver to exactly the right players (local by distance),
 * rate limit, mute, block, length and Unicode checks; ownership for every rule x requester x
 * outcome, the Ask timeout, two simultaneous requests under Allow, inputs only from owners,
 * fallbacks when players leave; admin commands by role with their audit records, the temporary
 * admin's powers and limits; and a replay of the recorded session giving the same hash and the
 * same per-recipient messages in the same order.
 */
import { EventStream } from '../src/sim/stream';
import { WorldLoop } from '../src/sim/world-loop';
import { handleText } from '../src/sim/main-sim';
import { replayLog } from '../src/sim/replay';
import type { ServerMessage } from '../src/protocol/messages';
import { ERROR } from '../src/protocol/errors';
import type { SocialOutput } from '../src/social/social-sim';
import { testWorld } from './helpers/world-setup';

/** A world with players p1..pn (accounts 100 + i, roles given), their avatars on the spawn ring (10 m radius, 45 degrees apart). */
class Table {
  readonly loop: WorldLoop;
  readonly ids: number[] = [];
  /** Every social output, per tick. */
  readonly outputs: SocialOutput[] = [];
  constructor(roles: string[], opts: { localRadius?: number; askTimeoutTicks?: number } = {}) {
    const setup = { ...testWorld({ spheres: 0 }), social: { localRadius: opts.localRadius ?? 8, askTimeoutTicks: opts.askTimeoutTicks ?? 40 } };
    this.loop = new WorldLoop(new EventStream('world', { seed: '00112233445566778899aabbccddeeff' }), setup, {});
    roles.forEach((role, i) => {
      const { publicId } = this.loop.stream.connect(`p${i + 1}`);
      this.ids.push(publicId);
      this.loop.stream.publishServer('_id', `${publicId},${role === 'guest' ? 0 : 101 + i},${role === 'guest' ? 'player' : role}`);
    });
    this.step();
  }
  /** Publishes a client event from player i (1-based). */
  send(i: number, type: string, body: unknown): void {
    this.loop.stream.publish(`p${i}`, type, typeof body === 'string' ? body : JSON.stringify(body));
  }
  step(n = 1): SocialOutput {
    let r!: SocialOutput;
    for (let k = 0; k < n; k++) {
      for (let i = 1; i <= this.ids.length; i++) this.loop.stream.heard(`p${i}`);
      this.loop.step();
      r = this.loop.sim.social.output;
      this.outputs.push(r);
    }
    return r;
  }
  /** Messages player i got in an output. */
  got(out: SocialOutput, i: number): ServerMessage[] {
    return out.outbox.filter((o) => o.to.includes(this.ids[i - 1])).map((o) => o.msg);
  }
  chats(out: SocialOutput, i: number): string[] {
    return this.got(out, i)
      .filter((m) => m.kind === 'chat')
      .map((m) => (m as { text: string }).text);
  }
  errors(out: SocialOutput, i: number): number[] {
    return this.got(out, i)
      .filter((m) => m.kind === 'error')
      .map((m) => (m as { code: number }).code);
  }
  close(): Promise<void> {
    return this.loop.close();
  }
}

describe('chat', () => {
  test('world, local (by distance), private and group deliver to exactly the right players; blocks apply', async () => {
    const t = new Table(['player', 'player', 'player', 'player', 'player']); // on the ring at 0, 45, 90, 135, 180 degrees
    try {
      t.send(1, 'ch', { c: 0, to: '', t: 'hello world' });
      t.send(1, 'ch', { c: 1, to: '', t: 'hello neighbours' }); // p2 is 7.7 m away, p3 14.1 m
      t.send(1, 'ch', { c: 2, to: String(t.ids[2]), t: 'psst p3' });
      t.send(2, 'cg', { a: 'join', g: 'builders' });
      t.send(4, 'cg', { a: 'join', g: 'builders' });
      let out = t.step();
      expect([1, 2, 3, 4, 5].map((i) => t.chats(out, i))).toEqual([
        ['hello world', 'hello neighbours', 'psst p3'],
        ['hello world', 'hello neighbours'],
        ['hello world', 'psst p3'],
        ['hello world'],
        ['hello world'],
      ]);
      expect(out.chat.map((l) => l.key)).toEqual(['world', `private:101:103`]); // local lines are not kept in history
      t.send(2, 'ch', { c: 3, to: 'builders', t: 'meet at the ramp' });
      t.send(1, 'ch', { c: 3, to: 'builders', t: 'can I come' }); // not a member
      t.send(3, 'bk', { a: 'block', p: t.ids[0] });
      out = t.step();
      expect([1, 2, 3, 4, 5].map((i) => t.chats(out, i))).toEqual([[], ['meet at the ramp'], [], ['meet at the ramp'], []]);
      expect(t.errors(out, 1)).toEqual([ERROR.NOT_ALLOWED]);
      t.send(1, 'ch', { c: 0, to: '', t: 'anyone?' });
      out = t.step();
      expect([1, 2, 3, 4, 5].map((i) => t.chats(out, i).length)).toEqual([1, 1, 0, 1, 1]); // p3 blocked p1
      t.send(4, 'cg', { a: 'leave', g: 'builders' });
      t.step();
      t.send(2, 'ch', { c: 3, to: 'builders', t: 'alone now' });
      out = t.step();
      expect(t.chats(out, 4)).toEqual([]);
      expect(t.loop.sim.social.members('builders')).toEqual([t.ids[1]]);
    } finally {
      await t.close();
    }
  });

  test('the chat budget is per principal: an account has one over all its sessions and private ids, a new private id does not refill it; refilled budgets are forgotten', async () => {
    const t = new Table(['player', 'player']);
    const s = t.loop.stream;
    const join = (c: string): number => {
      const { publicId } = s.connect(c);
      s.publishServer('_id', `${publicId},101,player`);
      return publicId;
    }; // account of p1
    try {
      const second = join('p1-second');
      t.step();
      for (let k = 0; k < 3; k++) {
        t.send(1, 'ch', { c: 0, to: '', t: `a${k}` });
        s.publish('p1-second', 'ch', JSON.stringify({ c: 0, to: '', t: `b${k}` }));
      }
      let out = t.step();
      expect(t.chats(out, 2)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']); // burst 5 for account 101, not 5 per session (canonical order: by origin)
      expect(out.outbox.filter((o) => o.to.includes(second) && o.msg.kind === 'error').map((o) => (o.msg as { code: number }).code)).toEqual([
        ERROR.RATE_LIMITED,
      ]);
      s.disconnect('p1-second');
      t.step();
      join('p1-third'); // a new private id of the same account
      t.step();
      s.publish('p1-third', 'ch', JSON.stringify({ c: 0, to: '', t: 'fresh budget?' }));
      out = t.step();
      expect(t.chats(out, 2)).toEqual([]);
      const budgets = (): unknown[] => (JSON.parse(t.loop.sim.social.save()) as { chatBudget: unknown[] }).chatBudget;
      expect(budgets().length).toBe(1);
      for (let k = 0; k < 120; k++) {
        s.heard('p1-third');
        t.step();
      } // 6 s: the budget is full again
      expect(budgets()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  test('rate limit (burst 5, then 1 per second), mute with expiry, length and Unicode checks, all with clear errors', async () => {
    const t = new Table(['player', 'moderator']);
    try {
      for (let k = 0; k < 7; k++) t.send(1, 'ch', { c: 0, to: '', t: `m${k}` });
      let out = t.step();
      expect(t.chats(out, 2)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      expect(t.errors(out, 1)).toEqual([ERROR.RATE_LIMITED, ERROR.RATE_LIMITED]);
      t.step(19);
      t.send(1, 'ch', { c: 0, to: '', t: 'after a second' });
      t.send(1, 'ch', { c: 0, to: '', t: 'too soon' });
      out = t.step();
      expect(t.chats(out, 2)).toEqual(['after a second']);
      expect(t.errors(out, 1)).toEqual([ERROR.RATE_LIMITED]);
      t.send(2, 'ad', { cmd: 'mute', args: [String(t.ids[0]), '2'] });
      t.step(100); // budget refills meanwhile
      t.send(2, 'ad', { cmd: 'mute', args: [String(t.ids[0]), '2'] });
      out = t.step();
      t.send(1, 'ch', { c: 0, to: '', t: 'am I muted' });
      out = t.step();
      expect(t.errors(out, 1)).toEqual([ERROR.MUTED]);
      t.step(40);
      t.send(1, 'ch', { c: 0, to: '', t: 'free again' });
      t.send(1, 'ch', { c: 0, to: '', t: 'x'.repeat(501) });
      t.send(1, 'ch', '{"c":0,"to":"","t":"broken \\ud800 surrogate"}');
      t.send(1, 'ch', 'not json');
      out = t.step();
      expect(t.chats(out, 2)).toEqual(['free again']);
      expect(t.errors(out, 1)).toEqual([ERROR.BAD_VALUE, ERROR.BAD_VALUE, ERROR.BAD_VALUE]);
      const bad = t
        .got(out, 1)
        .filter((m) => m.kind === 'error')
        .map((m) => (m as { message: string }).message);
      expect(bad[0]).toMatch(/1 to 500 characters/);
      expect(bad[1]).toMatch(/lone surrogate/);
      t.send(1, 'ch', { c: 0, to: '', t: 'ｈｅｌｌｏ 🌍' }); // multi-byte text counts code points
      expect(t.chats(t.step(), 2)).toEqual(['ｈｅｌｌｏ 🌍']);
    } finally {
      await t.close();
    }
  });
});

describe('ownership', () => {
  /** master p1 (account 101), owner p2 (102), other p3 (103), admin p4 (104); an artifact with that ownership. */
  async function setup(rule: 'ask' | 'deny' | 'allow', opts: { askTimeoutTicks?: number } = {}): Promise<{ t: Table; o: string; body: bigint }> {
    const t = new Table(['player', 'player', 'player', 'admin'], { askTimeoutTicks: opts.askTimeoutTicks });
    t.loop.stream.publishServer(
      '_ar',
      JSON.stringify({ id: 1, owner: 102, master: 101, rule, shape: { kind: 'sphere', radius: 0.4 }, mass: 1, p: [3000, 500, 3000], v: [0, 0, 0] }),
    );
    t.step();
    const body = t.loop.sim.artifacts.get(1)!.body;
    return { t, o: handleText(body), body };
  }
  const ROLE = { owner: 2, master: 1, other: 3, admin: 4 } as const;
  const PRINCIPAL = { owner: 102, master: 101, other: 103, admin: 104 } as const;

  // every rule x requester; 'ask' from the other player is decided by the master (grant / refuse / no answer)
  const cases: Array<[string, 'ask' | 'deny' | 'allow', keyof typeof ROLE, 'granted' | 'refused' | 'unchanged', string]> = [];
  for (const rule of ['allow', 'deny', 'ask'] as const) {
    cases.push([`${rule}: the owner asks for what it owns`, rule, 'owner', 'unchanged', 'none']);
    cases.push([`${rule}: the master takes it back`, rule, 'master', 'granted', 'none']);
    cases.push([`${rule}: an admin overrides`, rule, 'admin', 'granted', 'none']);
  }
  cases.push(['allow: another player gets it at once', 'allow', 'other', 'granted', 'none']);
  cases.push(['deny: another player is refused', 'deny', 'other', 'refused', 'none']);
  cases.push(['ask: the master grants', 'ask', 'other', 'granted', 'grant']);
  cases.push(['ask: the master refuses', 'ask', 'other', 'refused', 'refuse']);
  cases.push(['ask: no answer within the timeout is a refusal', 'ask', 'other', 'refused', 'timeout']);

  test.each(cases)('%s', async (_n, rule, who, outcome, answer) => {
    const { t, o, body } = await setup(rule);
    try {
      t.send(ROLE[who], 'ow', { a: 'request', o });
      let out = t.step();
      const errs: number[] = [...t.errors(out, ROLE[who])];
      if (answer === 'grant' || answer === 'refuse') {
        expect(t.loop.sim.social.ownershipOf(body).owner).toBe(PRINCIPAL.owner); // waiting for the master
        t.send(ROLE.master, 'ow', { a: answer, o, p: PRINCIPAL.other });
        out = t.step();
        errs.push(...t.errors(out, ROLE[who]));
      } else if (answer === 'timeout') {
        out = t.step(39);
        expect(t.errors(out, ROLE[who])).toEqual([]);
        out = t.step(); // the 40th tick after the request
        errs.push(...t.errors(out, ROLE[who]));
        t.send(ROLE.master, 'ow', { a: 'grant', o }); // too late: nothing waits
        out = t.step();
        expect(t.errors(out, ROLE.master)).toEqual([ERROR.NOT_FOUND]);
      }
      const owner = t.loop.sim.social.ownershipOf(body).owner;
      if (outcome === 'granted') {
        expect(owner).toBe(PRINCIPAL[who]);
        expect(errs).toEqual([]);
      }
      if (outcome === 'unchanged') {
        expect(owner).toBe(PRINCIPAL.owner);
        expect(errs).toEqual([]);
      }
      if (outcome === 'refused') {
        expect(owner).toBe(PRINCIPAL.owner);
        expect(errs).toEqual([ERROR.NOT_ALLOWED]);
      }
    } finally {
      await t.close();
    }
  });

  test('two simultaneous requests under allow: the first in canonical order wins, the second is refused', async () => {
    const { t, o, body } = await setup('allow');
    try {
      t.loop.stream.connect('p5');
      t.send(3, 'ow', { a: 'request', o });
      t.send(5, 'ow', { a: 'request', o });
      const out = t.step();
      expect(t.loop.sim.social.ownershipOf(body).owner).toBe(103); // p3's event came first in the tick
      expect(t.errors(out, 3)).toEqual([]);
      const p5 = t.loop.stream.publicIdOf('p5')!;
      expect(out.outbox.filter((m) => m.to.includes(p5)).map((m) => m.msg)).toMatchObject([
        { kind: 'error', code: ERROR.NOT_ALLOWED, message: expect.stringMatching(/first one wins/) },
      ]);
      expect(out.ownership.map((c) => c.owner)).toEqual([103]);
      // a request that names the owner it saw is refused once that changed
      t.send(5, 'ow', { a: 'request', o, e: 102 });
      expect(
        t
          .step()
          .outbox.filter((m) => m.to.includes(p5))
          .map((m) => m.msg),
      ).toMatchObject([{ kind: 'error', code: ERROR.NOT_ALLOWED, message: expect.stringMatching(/changed owner/) }]);
      t.send(5, 'ow', { a: 'request', o, e: 103 });
      t.step();
      expect(t.loop.sim.social.ownershipOf(body).owner).toBe(-t.loop.stream.publicIdOf('p5')!); // a guest principal
    } finally {
      await t.close();
    }
  });

  test("only the owner's inputs move an object; the master sets the rule and owner; owner and master leaving fall back", async () => {
    const { t, o, body } = await setup('deny');
    try {
      t.step(30); // it comes to rest
      const v0 = t.loop.sim.world.velocity(body);
      t.send(ROLE.other, 'ob', { o, k: 'impulse', v: [0, 3000, 0] });
      t.send(ROLE.master, 'ob', { o, k: 'impulse', v: [0, 3000, 0] });
      let out = t.step();
      expect(t.errors(out, ROLE.other)).toEqual([ERROR.NOT_OWNER]);
      expect(t.errors(out, ROLE.master)).toEqual([ERROR.NOT_OWNER]); // mastering is not owning
      expect(t.loop.sim.world.velocity(body)[1]).toBeCloseTo(v0[1], 1);
      t.send(ROLE.owner, 'ob', { o, k: 'impulse', v: [0, 3000, 0] });
      out = t.step();
      expect(t.errors(out, ROLE.owner)).toEqual([]);
      expect(t.loop.sim.world.velocity(body)[1]).toBeGreaterThan(1); // 3 N s on 1 kg
      t.send(ROLE.other, 'ow', { a: 'rule', o, r: 'allow' });
      t.send(ROLE.master, 'ow', { a: 'rule', o, r: 'allow' });
      out = t.step();
      expect(t.errors(out, ROLE.other)).toEqual([ERROR.NOT_ALLOWED]);
      expect(t.loop.sim.social.ownershipOf(body)).toEqual({ owner: 102, master: 101, rule: 'allow' });
      // the owner leaves while the master is online: the master takes it
      t.loop.stream.disconnect('p2');
      t.step();
      expect(t.loop.sim.social.ownershipOf(body).owner).toBe(101);
      t.send(ROLE.master, 'ow', { a: 'owner', o, p: 103 });
      t.step();
      // the owner (p3) leaves while the master (p1) is gone too: the world holds it
      t.loop.stream.disconnect('p1');
      t.step();
      t.loop.stream.disconnect('p3');
      t.step();
      expect(t.loop.sim.social.ownershipOf(body)).toEqual({ owner: null, master: 101, rule: 'allow' });
    } finally {
      await t.close();
    }
  });
});

describe('admin', () => {
  test('commands by role, their effects and one audit record each', async () => {
    const t = new Table(['player', 'moderator', 'admin', 'player']);
    try {
      const [p1, , , p4] = t.ids;
      t.send(1, 'ad', { cmd: 'kick', args: [String(p4)] }); // a player may not
      t.send(2, 'ad', { cmd: 'ban', args: [String(p4), '10'] }); // a moderator may not ban
      t.send(2, 'ad', { cmd: 'kick', args: [String(p4), 'spamming'] });
      t.send(3, 'ad', { cmd: 'ban', args: [String(p1), '60', 'griefing'] });
      t.send(3, 'ad', { cmd: 'teleport', args: [String(p1), '5', '2', '-5'] });
      t.send(3, 'ad', { cmd: 'spawn', args: ['0', '4', '0', '0.5'] });
      t.send(3, 'ad', { cmd: 'broadcast', args: ['server', 'restarts', 'soon'] });
      t.send(3, 'ad', { cmd: 'frobnicate', args: [] });
      let out = t.step();
      expect(out.audit.map((a) => [a.actor, a.command, a.ok])).toEqual([
        [101, 'kick', false],
        [102, 'ban', false],
        [102, 'kick', true],
        [103, 'ban', true],
        [103, 'teleport', true],
        [103, 'spawn', true],
        [103, 'broadcast', true],
        [103, 'frobnicate', false],
      ]);
      expect(out.audit.every((a) => a.tick === out.audit[0].tick)).toBe(true);
      expect(out.effects).toEqual([
        { kind: 'kick', publicId: p4, reason: 'spamming' },
        { kind: 'ban', publicId: p1, accountId: 101, minutes: 60, reason: 'griefing' },
      ]);
      expect(t.got(out, 1).find((m) => m.kind === 'adminResult')).toMatchObject({ ok: false, message: expect.stringMatching(/needs the moderator role/) });
      expect([1, 2, 3, 4].map((i) => t.chats(out, i))).toEqual([
        ['server restarts soon'],
        ['server restarts soon'],
        ['server restarts soon'],
        ['server restarts soon'],
      ]);
      t.step();
      const at = t.loop.avatarPosition(p1)!;
      expect(Math.hypot(at[0] - 5, at[2] + 5)).toBeLessThan(0.2);
      const spawned = t.outputs[t.outputs.length - 2].audit.find((a) => a.command === 'spawn')!.message.split(' ')[1];
      // gravity upwards: the spawned sphere rises
      t.send(3, 'ad', { cmd: 'gravity', args: ['0', '9.81', '0'] });
      t.step(20);
      const sphere = [...t.loop.sim.social.objects.keys()].find((h) => handleText(h) === spawned)!;
      expect(t.loop.sim.world.velocity(sphere)[1]).toBeGreaterThan(1);
      t.send(3, 'ad', { cmd: 'despawn', args: [spawned] });
      t.send(3, 'ad', { cmd: 'tickrate', args: ['10'] }); // below the configured 20: refused
      t.send(3, 'ad', { cmd: 'tickrate', args: ['30'] });
      t.send(3, 'ad', { cmd: 'shutdown', args: ['maintenance'] });
      out = t.step();
      expect(out.audit.map((a) => [a.command, a.ok])).toEqual([
        ['despawn', true],
        ['tickrate', false],
        ['tickrate', true],
        ['shutdown', true],
      ]);
      expect(out.effects).toEqual([
        { kind: 'tickRate', value: 30 },
        { kind: 'shutdown', reason: 'maintenance' },
      ]);
      expect(t.loop.sim.social.objects.has(sphere)).toBe(false);
    } finally {
      await t.close();
    }
  });

  test('a temporary admin can act as an admin, cannot touch the admin role, and loses its powers when the rule says so', async () => {
    const t = new Table(['admin', 'player', 'player']);
    try {
      t.loop.stream.publishServer('_ta', '102');
      t.step();
      t.send(2, 'ad', { cmd: 'kick', args: [String(t.ids[2])] });
      t.send(2, 'ad', { cmd: 'role', args: [String(t.ids[1]), 'admin'] }); // itself
      t.send(2, 'ad', { cmd: 'role', args: [String(t.ids[2]), 'admin'] });
      t.send(2, 'ad', { cmd: 'role', args: [String(t.ids[2]), 'moderator'] });
      t.send(2, 'ad', { cmd: 'ban', args: [String(t.ids[0]), '5'] }); // a permanent admin
      let out = t.step();
      expect(out.audit.map((a) => [a.command, a.ok])).toEqual([
        ['kick', true],
        ['role', false],
        ['role', false],
        ['role', true],
        ['ban', false],
      ]);
      expect(out.audit[1].message).toMatch(/temporary admin cannot give or take the admin role/);
      expect(out.effects).toEqual([
        { kind: 'kick', publicId: t.ids[2], reason: 'kicked by an admin' },
        { kind: 'role', accountId: 103, role: 'moderator' },
      ]);
      t.loop.stream.publishServer('_ta', '0'); // a permanent admin logged in
      t.step();
      t.send(2, 'ad', { cmd: 'kick', args: [String(t.ids[2])] });
      out = t.step();
      expect(out.audit.map((a) => a.ok)).toEqual([false]);
    } finally {
      await t.close();
    }
  });
});

test('replay: a recorded session with chat, admin actions and ownership changes gives the same hash and the same per-recipient messages in order', async () => {
  const t = new Table(['admin', 'player', 'player', 'guest'], { askTimeoutTicks: 15 });
  const live: string[] = [];
  try {
    t.loop.stream.publishServer(
      '_ar',
      JSON.stringify({
        id: 9,
        owner: 102,
        master: 102,
        rule: 'ask',
        shape: { kind: 'capsule', radius: 0.3, halfHeight: 0.4 },
        mass: 2,
        p: [0, 2000, 4000],
        v: [0, 0, 0],
      }),
    );
    t.step();
    const o = handleText(t.loop.sim.artifacts.get(9)!.body);
    const script: Array<[number, number, string, unknown]> = [
      [2, 2, 'ch', { c: 0, to: '', t: 'hi all' }],
      [3, 3, 'cg', { a: 'join', g: 'crew' }],
      [3, 4, 'cg', { a: 'join', g: 'crew' }],
      [4, 3, 'ch', { c: 3, to: 'crew', t: 'crew only' }],
      [5, 3, 'ow', { a: 'request', o }],
      [8, 2, 'ow', { a: 'grant', o }],
      [9, 4, 'ow', { a: 'request', o }],
      [12, 1, 'ad', { cmd: 'mute', args: ['2', '1'] }],
      [13, 2, 'ch', { c: 0, to: '', t: 'muted?' }],
      [14, 4, 'ch', { c: 2, to: '1', t: 'hello admin' }],
      [20, 1, 'ad', { cmd: 'broadcast', args: ['bye'] }],
      [21, 3, 'ob', { o, k: 'impulse', v: [500, 0, 0] }],
    ];
    const start = t.loop.stream.tick;
    for (let k = 0; k < 40; k++) {
      for (const [at, who, type, body] of script) if (at === k) t.send(who, type, body);
      if (k === 30) t.loop.stream.disconnect('p3');
      const out = t.step();
      for (const m of out.outbox) live.push(`${t.loop.stream.tick - 1} ${m.to.join(',')} ${JSON.stringify(m.msg)}`);
    }
    // hi all, crew only, the mute's result, MUTED, the private line, broadcast and its result, the Ask timeout
    expect(live).toHaveLength(8);
    expect(live.filter((l) => l.includes('"code":4005') || l.includes('did not answer'))).toHaveLength(2);
    const hash = t.loop.sim.hash();
    const log = t.loop.stream.since(0);
    const events = 'events' in log ? log.events : [];
    const replayed: string[] = [];
    const end = t.loop.stream.tick;
    const h = await replayLog({ ...testWorld({ spheres: 0 }), social: { localRadius: 8, askTimeoutTicks: 15 } }, events, end, (r) => {
      if (r.tick >= start) for (const m of r.social.outbox) replayed.push(`${r.tick} ${m.to.join(',')} ${JSON.stringify(m.msg)}`);
    });
    expect(h).toBe(hash);
    expect(replayed).toEqual(live);
    // the same log on a 2 x 2 shard layout decides the same and reaches the same hash
    const again: string[] = [];
    const h2 = await replayLog(
      { ...testWorld({ spheres: 0, partition: { xCuts: [0], zCuts: [0] } }), social: { localRadius: 8, askTimeoutTicks: 15 } },
      events,
      end,
      (r) => {
        if (r.tick >= start) for (const m of r.social.outbox) again.push(`${r.tick} ${m.to.join(',')} ${JSON.stringify(m.msg)}`);
      },
    );
    expect(h2).toBe(hash);
    expect(again).toEqual(live);
  } finally {
    await t.close();
  }
});
