/**
 * The typed event bodies (src/sim/event-bodies.ts): every kind round-trips; fixed values encode
 * to the exact strings the host wrote before the module existed (written out literally: the log,
 * the golden hashes and docs/protocol.md depend on them); and the bodies the sim's old parsers
 * refused are refused (null), while the leniencies they had (Number() on '_id' and '_ta', extra
 * '_id' fields, a missing chat `to`) are kept.
 */
import {
  ADMIN,
  ARTIFACT_PLACE,
  ARTIFACT_TAKE,
  AVATAR,
  adminCommandOf,
  BLOCK,
  CHAT,
  CONTACT,
  decodeHandle,
  encodeHandle,
  GROUP_EVENT,
  IDENTITY,
  INPUT,
  metresToMm,
  OBJECT_INPUT,
  OWNERSHIP,
  PLACE,
  rawToMm,
  redactIdentity,
  SPAWN,
  TEMP_ADMIN,
  type ArtifactPlacement,
} from '../src/sim/event-bodies';

const h = (slot: number, gen: number): bigint => (BigInt(gen) << 32n) | BigInt(slot);

describe("'in' input", () => {
  it('encodes the exact old body and round-trips', () => {
    expect(INPUT.encode({ walkX: -1000, walkZ: 250, jump: true })).toBe('-1000,250,1');
    expect(INPUT.encode({ walkX: 0, walkZ: 0, jump: false })).toBe('0,0,0');
    expect(INPUT.decode('-1000,250,1')).toEqual({ walkX: -1000, walkZ: 250, jump: true });
    expect(INPUT.decode(INPUT.encode({ walkX: 7, walkZ: -3, jump: false }))).toEqual({ walkX: 7, walkZ: -3, jump: false });
  });
  it('protocol 4: a sequenced input carries its seq as a fourth field (1..2^32-1); seq 0 or absent keeps the old body', () => {
    expect(INPUT.encode({ walkX: 5, walkZ: -5, jump: true, seq: 4294967295 })).toBe('5,-5,1,4294967295');
    expect(INPUT.encode({ walkX: 5, walkZ: -5, jump: true, seq: 0 })).toBe('5,-5,1');
    expect(INPUT.decode('5,-5,1,42')).toEqual({ walkX: 5, walkZ: -5, jump: true, seq: 42 });
  });
  it.each(['1,2,0,0', '1,2,0,01', '1,2,0,-1', '1,2,0,4294967296', '1,2,0,1,2', '1,2,0,', '1001,0,0,1', '1,2,0,1.5'])('refuses the sequenced %j', (b) =>
    expect(INPUT.decode(b)).toBeNull(),
  );
  it.each(['', '1,2', '1,2,0,0', '1.5,0,0', 'a,0,0', '1001,0,0', '0,-1001,0', '0,0,2', '0,0,-1', ' 1,0,0', '1,0,0 ', '+1,0,0', '1234567890,0,0'])(
    'refuses %j',
    (b) => expect(INPUT.decode(b)).toBeNull(),
  );
});

describe("'sp' spawn", () => {
  it('encodes the exact old body and round-trips', () => {
    const v = { position: [1000, -2500, 0] as [number, number, number], velocity: [0, 50000, -7] as [number, number, number] };
    expect(SPAWN.encode(v)).toBe('1000,-2500,0,0,50000,-7');
    expect(SPAWN.decode('1000,-2500,0,0,50000,-7')).toEqual(v);
    // the host's raw -> mm conversion: 1.5 m raw, -0.25 m raw
    expect(SPAWN.encode({ position: [rawToMm(98304n), rawToMm(-16384n), rawToMm(0n)], velocity: [0, 0, 0] })).toBe('1500,-250,0,0,0,0');
  });
  it('keeps the range and speed limits out of the decoder (the sim refuses them with their own messages)', () => {
    expect(SPAWN.decode('999999999,0,0,999999999,0,0')).not.toBeNull();
  });
  it.each(['', '1,2,3,4,5', '1,2,3,4,5,6,7', '1,2,3,4,5,x', '1,2,3,4,5,6.0', '1,2,3,4,5,1e3', '1234567890,0,0,0,0,0'])('refuses %j', (b) =>
    expect(SPAWN.decode(b)).toBeNull(),
  );
});

describe("'_p' place", () => {
  it('encodes the exact old body and round-trips', () => {
    expect(PLACE.encode({ publicId: 7, position: metresToMm([1.2346, -0.0004, 20]) })).toBe('7,1235,0,20000');
    expect(PLACE.decode('7,1235,0,20000')).toEqual({ publicId: 7, position: [1235, 0, 20000] });
  });
  it.each(['', '7,1,2', '7,1,2,3,4', '7,1,2,x', '7,1.5,2,3'])('refuses %j', (b) => expect(PLACE.decode(b)).toBeNull());
});

describe("'_id' identity", () => {
  it('encodes the exact old body and round-trips', () => {
    expect(IDENTITY.encode({ publicId: 3, accountId: 0, role: 'player' })).toBe('3,0,player');
    expect(IDENTITY.encode({ publicId: 12, accountId: 101, role: 'admin' })).toBe('12,101,admin');
    expect(IDENTITY.decode('12,101,moderator')).toEqual({ publicId: 12, accountId: 101, role: 'moderator' });
  });
  it("keeps the old parser's leniencies (Number() fields, extra fields ignored)", () => {
    expect(IDENTITY.decode('3,,player')).toEqual({ publicId: 3, accountId: 0, role: 'player' });
    expect(IDENTITY.decode('3,5,player,extra')).toEqual({ publicId: 3, accountId: 5, role: 'player' });
  });
  it.each(['', '3', '3,0', '0,0,player', '-1,0,player', '1.5,0,player', '3,-1,player', '3,0.5,player', 'x,0,player', '3,0,king', '3,0,toString', '3,0,'])(
    'refuses %j',
    (b) => expect(IDENTITY.decode(b)).toBeNull(),
  );
});

describe("'_ta' temporary admin", () => {
  it('encodes the exact old body and round-trips', () => {
    expect(TEMP_ADMIN.encode({ accountId: 0 })).toBe('0');
    expect(TEMP_ADMIN.encode({ accountId: 42 })).toBe('42');
    expect(TEMP_ADMIN.decode('42')).toEqual({ accountId: 42 });
    expect(TEMP_ADMIN.decode('')).toEqual({ accountId: 0 }); // Number('') is 0, as before
  });
  it.each(['-1', '1.5', 'x', '9007199254740993'])('refuses %j', (b) => expect(TEMP_ADMIN.decode(b)).toBeNull());
});

describe("'_ar' / '_ax' artifacts", () => {
  const a: ArtifactPlacement = {
    id: 5,
    owner: 101,
    master: null,
    rule: 'ask',
    shape: { kind: 'capsule', radius: 0.3, halfHeight: 0.5 },
    mass: 2.5,
    p: [1000, -20, 3],
    v: [0, 0, -4],
  };
  const text =
    '{"id":5,"owner":101,"master":null,"rule":"ask","shape":{"kind":"capsule","radius":0.3,"halfHeight":0.5},"mass":2.5,"p":[1000,-20,3],"v":[0,0,-4]}';
  it('encodes the exact old body and round-trips', () => {
    expect(ARTIFACT_PLACE.encode(a)).toBe(text);
    expect(ARTIFACT_PLACE.decode(text)).toEqual(a);
    expect(ARTIFACT_TAKE.encode({ id: 5 })).toBe('5');
    expect(ARTIFACT_TAKE.decode('5')).toEqual({ id: 5 });
  });
  it.each([
    ['not JSON', '{'],
    ['null', 'null'],
    ['id 0', JSON.stringify({ ...a, id: 0 })],
    ['owner 0', JSON.stringify({ ...a, owner: 0 })],
    ['bad rule', JSON.stringify({ ...a, rule: 'maybe' })],
    ['p of 2', JSON.stringify({ ...a, p: [1, 2] })],
    ['v out of range', JSON.stringify({ ...a, v: [0, 0, 2e9] })],
    ['mass 0', JSON.stringify({ ...a, mass: 0 })],
    ['mass too big', JSON.stringify({ ...a, mass: 10001 })],
    ['radius too small', JSON.stringify({ ...a, shape: { kind: 'sphere', radius: 0.01 } })],
    ['capsule without halfHeight', JSON.stringify({ ...a, shape: { kind: 'capsule', radius: 0.3 } })],
    ['unknown shape', JSON.stringify({ ...a, shape: { kind: 'box', radius: 0.3 } })],
  ])("'_ar' refuses %s", (_, b) => expect(ARTIFACT_PLACE.decode(b)).toBeNull());
  it.each(['', '0', '-5', '1.5', 'x'])("'_ax' refuses %j (no artifact has that id)", (b) => expect(ARTIFACT_TAKE.decode(b)).toBeNull());
});

describe("'ch' chat", () => {
  it('encodes the exact old body and round-trips', () => {
    expect(CHAT.encode({ c: 3, to: 'crew', t: 'hi "all"' })).toBe('{"c":3,"to":"crew","t":"hi \\"all\\""}');
    expect(CHAT.decode('{"c":3,"to":"crew","t":"hi \\"all\\""}')).toEqual({ c: 3, to: 'crew', t: 'hi "all"' });
    expect(CHAT.decode('{"c":0,"t":"x"}')).toEqual({ c: 0, to: '', t: 'x' }); // a missing `to` reads '', as before
    expect(CHAT.decode('{"c":0,"to":null,"t":"x"}')).toEqual({ c: 0, to: '', t: 'x' });
  });
  it.each([
    '',
    'x',
    '[]',
    'null',
    '{"c":4,"to":"","t":"x"}',
    '{"c":"0","to":"","t":"x"}',
    '{"c":0,"to":5,"t":"x"}',
    '{"c":0,"to":"","t":5}',
    '{"to":"","t":"x"}',
  ])('refuses %j', (b) => expect(CHAT.decode(b)).toBeNull());
});

describe("'ow' ownership", () => {
  it('encodes the exact old bodies and round-trips', () => {
    expect(OWNERSHIP.encode({ a: 'request', o: '4:1' })).toBe('{"a":"request","o":"4:1"}');
    expect(OWNERSHIP.encode({ a: 'rule', o: '4:1', r: 'deny' })).toBe('{"a":"rule","o":"4:1","r":"deny"}');
    expect(OWNERSHIP.encode({ a: 'grant', o: '4:1', p: 101 })).toBe('{"a":"grant","o":"4:1","p":101}');
    expect(OWNERSHIP.encode({ a: 'owner', o: '4:1', p: null })).toBe('{"a":"owner","o":"4:1","p":null}');
    for (const v of [
      { a: 'request', o: '4:1', e: null },
      { a: 'owner', o: '0:0', p: -3 },
    ])
      expect(OWNERSHIP.decode(OWNERSHIP.encode(v))).toEqual(v);
  });
  it.each(['', 'null', '[]', '{"a":"request"}', '{"a":"request","o":"4"}', '{"a":"request","o":"1234567890:1"}', '{"a":1,"o":"4:1"}', '{"o":"4:1"}'])(
    'refuses %j',
    (b) => expect(OWNERSHIP.decode(b)).toBeNull(),
  );
});

describe("'ad' admin", () => {
  it('encodes the exact old body and round-trips', () => {
    expect(ADMIN.encode({ cmd: 'mute', args: ['3', '60'] })).toBe('{"cmd":"mute","args":["3","60"]}');
    expect(ADMIN.decode('{"cmd":"mute","args":["3","60"]}')).toEqual({ cmd: 'mute', args: ['3', '60'] });
    expect(ADMIN.decode('{"cmd":7,"args":[]}')).toEqual({ cmd: '', args: [] }); // unknown command: the sim's answer
  });
  it.each(['', 'null', '{"cmd":"mute"}', '{"cmd":"mute","args":[3]}', '{"cmd":"mute","args":"3"}'])('refuses %j', (b) => expect(ADMIN.decode(b)).toBeNull());
  it('names the command of a refused body for the audit', () => {
    expect(adminCommandOf('{"cmd":"mute","args":[3]}')).toBe('mute');
    expect(adminCommandOf('nope')).toBe('');
  });
});

describe("derived '_av' and '_h'", () => {
  it('encodes the exact old bodies and round-trips', () => {
    expect(encodeHandle(h(12, 3))).toBe('12:3');
    expect(decodeHandle('12:3')).toBe(h(12, 3));
    expect(AVATAR.encode({ publicId: 7, body: h(12, 3) })).toBe('7 12:3');
    expect(AVATAR.decode('7 12:3')).toEqual({ publicId: 7, body: h(12, 3) });
    expect(CONTACT.encode({ kind: 'begin', publicId: 7, body: h(12, 3), other: h(0, 1) })).toBe('begin 7 12:3 0:1');
    expect(CONTACT.decode('end 7 12:3 0:1')).toEqual({ kind: 'end', publicId: 7, body: h(12, 3), other: h(0, 1) });
  });
  it.each(['', '7', '7 12', '7 12:3 1', 'x 12:3'])("'_av' refuses %j", (b) => expect(AVATAR.decode(b)).toBeNull());
  it.each(['', 'begin 7 12:3', 'start 7 12:3 0:1', 'end x 12:3 0:1', 'end 7 12:3 0'])("'_h' refuses %j", (b) => expect(CONTACT.decode(b)).toBeNull());
});

describe("'cg', 'bk', 'ob' (published by clients as they are)", () => {
  it('encode the exact bodies clients send and round-trip', () => {
    expect(GROUP_EVENT.encode({ a: 'join', g: 'crew_1' })).toBe('{"a":"join","g":"crew_1"}');
    expect(GROUP_EVENT.decode('{"a":"leave","g":"crew_1"}')).toEqual({ a: 'leave', g: 'crew_1' });
    expect(BLOCK.encode({ a: 'block', p: 3 })).toBe('{"a":"block","p":3}');
    expect(BLOCK.decode('{"a":"unblock","p":3}')).toEqual({ a: 'unblock', p: 3 });
    expect(BLOCK.decode('{"a":"block","p":"3"}')).toEqual({ a: 'block', p: 3 }); // Number(p), as before
    // the viewer's carry input: metres -> mm
    expect(OBJECT_INPUT.encode({ o: '4:1', k: 'move', v: metresToMm([1.5, 0.8, -2.0004]) })).toBe('{"o":"4:1","k":"move","v":[1500,800,-2000]}');
    expect(OBJECT_INPUT.decode('{"o":"4:1","k":"impulse","v":[0,10000000,-5]}')).toEqual({ o: '4:1', k: 'impulse', v: [0, 10000000, -5] });
  });
  it.each(['', '[]', '{"a":"join"}', '{"a":"part","g":"x"}', '{"a":"join","g":""}', `{"a":"join","g":"${'x'.repeat(33)}"}`, '{"a":"join","g":"a b"}'])(
    "'cg' refuses %j",
    (b) => expect(GROUP_EVENT.decode(b)).toBeNull(),
  );
  it.each(['', '{"a":"block"}', '{"a":"mute","p":3}', '{"a":"block","p":0}', '{"a":"block","p":-3}', '{"a":"block","p":"x"}', '{"a":"block","p":1.5}'])(
    "'bk' refuses %j",
    (b) => expect(BLOCK.decode(b)).toBeNull(),
  );
  it.each([
    '',
    '{"k":"move","v":[0,0,0]}',
    '{"o":"4","k":"move","v":[0,0,0]}',
    '{"o":"4:1","k":"push","v":[0,0,0]}',
    '{"o":"4:1","k":"move","v":[0,0]}',
    '{"o":"4:1","k":"move","v":[0,0,0.5]}',
    '{"o":"4:1","k":"move","v":[0,0,10000001]}',
  ])("'ob' refuses %j", (b) => expect(OBJECT_INPUT.decode(b)).toBeNull());
  it("redacts '_id' for clients as the fan-out did", () => {
    expect(redactIdentity('3,101,admin')).toBe('3,admin');
    expect(redactIdentity('3,101')).toBe('3');
    expect(redactIdentity('')).toBe('');
  });
});

/**
 * Differential check: the parsers the sim had before this module (copied here verbatim from
 * main-sim.ts and social-sim.ts at de22728, as the reference) and the decoders agree on which
 * bodies are malformed, over a fixed corpus of near-miss bodies (every CSV of up to three
 * boundary tokens, seeded random longer ones and JSON objects).
 */
describe('decoders refuse exactly what the old parsers refused', () => {
  const INT = /^-?\d{1,9}$/;
  const ints = (body: string, n: number): number[] | null => {
    const parts = body.split(',');
    if (parts.length !== n || parts.some((p) => !INT.test(p))) return null;
    return parts.map(Number);
  };
  const json = (body: string): Record<string, unknown> | null => {
    try {
      const v = JSON.parse(body) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  const HANDLE = /^(\d{1,9}):(\d{1,9})$/;
  const RANK = { player: 0, moderator: 1, admin: 2 };
  const old: Record<string, (b: string) => boolean> = {
    // protocol 4 (issue 20) extends 'in' with an optional fourth field, the input's seq
    // (1..2^32-1, no leading zero): the old parser, after that field is taken off
    in: (b) => {
      const parts = b.split(',');
      if (parts.length === 4) {
        const q = parts.pop() as string;
        if (!/^[1-9]\d{0,9}$/.test(q) || Number(q) > 0xffffffff) return false;
        b = parts.join(',');
      }
      const v = ints(b, 3);
      return !(!v || Math.abs(v[0]) > 1000 || Math.abs(v[1]) > 1000 || (v[2] !== 0 && v[2] !== 1));
    },
    sp: (b) => ints(b, 6) !== null,
    _p: (b) => ints(b, 4) !== null,
    _id: (b) => {
      const [p, a, r] = b.split(',');
      const publicId = Number(p),
        account = Number(a);
      return !(!(Number.isSafeInteger(publicId) && publicId > 0 && Number.isSafeInteger(account) && account >= 0) || !Object.hasOwn(RANK, r));
    },
    _ta: (b) => {
      const a = Number(b);
      return Number.isSafeInteger(a) && a >= 0;
    },
    ch: (b) => {
      const m = json(b);
      const c = m?.c,
        to = m?.to ?? '',
        text = m?.t;
      return !(!m || typeof c !== 'number' || ![0, 1, 2, 3].includes(c) || typeof to !== 'string' || typeof text !== 'string');
    },
    ow: (b) => {
      const m = json(b);
      return !(!m || !(typeof m.o === 'string' && HANDLE.test(m.o)) || typeof m.a !== 'string');
    },
    ad: (b) => {
      const raw: unknown = json(b)?.args;
      return Array.isArray(raw) && raw.every((a) => typeof a === 'string');
    },
    cg: (b) => {
      const m = json(b);
      return !(!m || (m.a !== 'join' && m.a !== 'leave') || typeof m.g !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(m.g));
    },
  };
  const decoders: Record<string, (b: string) => unknown> = {
    in: INPUT.decode,
    sp: SPAWN.decode,
    _p: PLACE.decode,
    _id: IDENTITY.decode,
    _ta: TEMP_ADMIN.decode,
    ch: CHAT.decode,
    ow: OWNERSHIP.decode,
    ad: ADMIN.decode,
    cg: GROUP_EVENT.decode,
  };
  // near-miss bodies: CSV of integer-ish tokens, and JSON objects of plausible fields
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
  const tokens = [
    '0',
    '1',
    '-1',
    '1000',
    '1001',
    '-1000',
    '999999999',
    '1234567890',
    '1.5',
    '',
    ' 1',
    'x',
    '-0',
    '2',
    'player',
    'admin',
    'king',
    '1e3',
    '0x10',
  ];
  const values: unknown[] = [0, 1, 4, -3, 1.5, '', 'x', '4:1', '4', 'join', 'leave', 'request', null, [], ['a'], [1], true, 'crew', 'a b'];
  const keys = ['a', 'o', 'c', 'to', 't', 'g', 'cmd', 'args', 'r', 'p'];
  const corpus: string[] = [
    '',
    'null',
    '[]',
    '{',
    '"x"',
    '5',
    '-1000,250,1',
    '1,2,3,4,5,6',
    '7,1,2,3',
    '3,101,admin',
    '3,,player',
    '{"c":0,"to":"","t":"hi"}',
    '{"c":2,"t":"hi"}',
    '{"a":"request","o":"4:1"}',
    '{"cmd":"mute","args":["3"]}',
    '{"a":"join","g":"crew"}',
  ];
  // every CSV of 1 to 3 tokens, then random longer ones and JSON objects
  for (const a of tokens) {
    corpus.push(a);
    for (const b of tokens) {
      corpus.push(`${a},${b}`);
      for (const c of tokens) corpus.push(`${a},${b},${c}`);
    }
  }
  for (let i = 0; i < 3000; i++) {
    if (i % 2 === 0) corpus.push(Array.from({ length: 4 + rnd(4) }, () => pick(tokens)).join(','));
    else {
      const o: Record<string, unknown> = {};
      for (let k = rnd(5); k > 0; k--) o[pick(keys)] = pick(values);
      corpus.push(JSON.stringify(o));
    }
  }
  it.each(Object.keys(old))('%s', (type) => {
    const disagree = corpus.filter((b) => old[type](b) !== (decoders[type](b) !== null));
    expect(disagree).toEqual([]);
    // the corpus has bodies of both outcomes for every type (the check cannot pass vacuously)
    expect(corpus.some((b) => old[type](b))).toBe(true);
    expect(corpus.some((b) => !old[type](b))).toBe(true);
  });
});
