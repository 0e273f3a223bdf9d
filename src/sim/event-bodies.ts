/**
 * The bodies of the world stream's events, one typed value and one encoder/decoder pair per
 * event type. Producers (the host's sessions, the temporary-admin rule, the artifact store, the
 * main sim's derived events, the viewer) call `encode`; consumers (MainSim, SocialSim, the
 * host's fan-out, bots, the viewer) call `decode`. A new message kind touches its value here,
 * its producer and its consumer.
 *
 *   type   value              body on the wire and in the log             units
 *   'in'   InputBody          "walkX,walkZ,jump[,seq]"                    walk in 1/1000 of the walk speed (-1000..1000), jump 0|1,
 *                                                                     seq: the client's input seq (protocol 4, src/net/inputs.ts; 1..2^32-1)
 *   'sp'   SpawnBody          "x,y,z,vx,vy,vz"                            mm, mm/s (integers, at most 9 digits)
 *   '_p'   PlaceBody          "publicId,x,y,z"                            mm
 *   '_id'  IdentityBody       "publicId,accountId,role"                   account 0 = guest; clients get "publicId,role" (redactIdentity)
 *   '_ta'  TempAdminBody      "accountId"                                 0 = none
 *   '_ar'  ArtifactPlacement  JSON {id, owner, master, rule, shape, mass, p, v}   p mm, v mm/s, shape m, mass kg
 *   '_ax'  ArtifactTakeBody   "artifactId"
 *   'ch'   ChatBody           JSON {c, to, t}                             c: CHAT_CHANNEL
 *   'ow'   OwnershipBody      JSON {a, o, r?, p?, e?}                     o: handle "slot:generation"
 *   'ad'   AdminBody          JSON {cmd, args}
 *   'cg'   GroupBody          JSON {a, g}                                 a: join | leave
 *   'bk'   BlockBody          JSON {a, p}                                 a: block | unblock, p: public id
 *   'ob'   ObjectInputBody    JSON {o, k, v}                              v: mN s (impulse) or mm (move)
 *   '_av'  AvatarBody         "publicId slot:gen"                         derived (MainSim output)
 *   '_h'   ContactBody        "begin|end publicId slot:gen slot:gen"      derived (MainSim output)
 *   '_z'   TriggerBody        "begin|end zoneName slot:gen"               derived (MainSim output); zone names match ZONE_NAME
 *
 * Byte compatibility: these bodies are hashed (test/determinism.test.ts), replayed from
 * persisted logs and documented in docs/protocol.md. Each encoder produces exactly the string
 * the host produced before this module existed, and each decoder accepts and refuses exactly
 * what the sim's parsing accepted and refused (including its leniencies, e.g. '_id' ignores
 * fields after the third and reads them with Number(), so "" is 0). `decode` returns null for a
 * malformed body; the consumer keeps its own refusal message. Checks that need the world (an
 * avatar, a distance, a spawn speed, a chat length) stay in the sim.
 */
import { CHAT_CHANNEL } from '../protocol/messages';
import { SCRIPT_ERROR, type ScriptErrorCode } from '../script/types';

/**
 * A body handle (physics/world.ts BodyHandle: slot in the low 32 bits, generation above), and an
 * ownership rule (social-sim.ts OwnershipRule). Spelled out here rather than imported so that the
 * browser pages (web/, no Node types) can use this module without pulling in the physics core.
 */
type BodyHandle = bigint;
type OwnershipRule = 'ask' | 'deny' | 'allow';

/** One event type's body: its type string, encoder and decoder (null = malformed). */
export interface EventBody<T> {
  readonly type: string;
  encode(value: T): string;
  decode(body: string): T | null;
}

// ---- shared pieces ----

const INT = /^-?\d{1,9}$/;

/** `n` comma-separated integers of at most 9 digits (optional '-'); null otherwise. */
function ints(body: string, n: number): number[] | null {
  const parts = body.split(',');
  if (parts.length !== n || parts.some((p) => !INT.test(p))) return null;
  return parts.map(Number);
}

/** A JSON object (not an array, not null); null when the body is not one. */
function jsonObject(body: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(body) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const HANDLE = /^(\d{1,9}):(\d{1,9})$/;

/** A body handle from its text "slot:generation" (each 1..9 digits); null otherwise. */
export function decodeHandle(s: unknown): BodyHandle | null {
  const m = typeof s === 'string' ? HANDLE.exec(s) : null;
  return m ? (BigInt(m[2]) << 32n) | BigInt(m[1]) : null;
}

/** "slot:generation" of a handle (slot = low 32 bits, generation = high bits). */
export function encodeHandle(h: BodyHandle): string {
  return `${Number(h & 0xffffffffn)}:${Number(h >> 32n)}`;
}

// ---- 'in': avatar input ----

/**
 * 'in': walk in thousandths of the avatar's walk speed (integers, -1000..1000) and jump; `seq`
 * (protocol 4) the client's input sequence number the host acknowledges (src/net/inputs.ts),
 * absent for an unsequenced input. The sim ignores seq: it only tells which input the log holds.
 */
export interface InputBody {
  walkX: number;
  walkZ: number;
  jump: boolean;
  seq?: number;
}

const SEQ = /^[1-9]\d{0,9}$/;

/**
 * 'in' "walkX,walkZ,jump" or "walkX,walkZ,jump,seq", jump 0 or 1, seq 1..4294967295 (written
 * only when given and not 0, so a protocol-3 input keeps its bytes). Decoding refuses other field
 * counts, non-integers, |walk| > 1000, jump not 0/1 and a seq outside 1..2^32-1.
 */
export const INPUT: EventBody<InputBody> = {
  type: 'in',
  encode: (v) => (v.seq ? `${v.walkX},${v.walkZ},${v.jump ? 1 : 0},${v.seq}` : `${v.walkX},${v.walkZ},${v.jump ? 1 : 0}`),
  decode: (body) => {
    const parts = body.split(',');
    let seq: number | undefined;
    if (parts.length === 4) {
      const q = parts.pop() as string;
      if (!SEQ.test(q) || Number(q) > 0xffffffff) return null;
      seq = Number(q);
      body = parts.join(',');
    }
    const v = ints(body, 3);
    if (!v || Math.abs(v[0]) > 1000 || Math.abs(v[1]) > 1000 || (v[2] !== 0 && v[2] !== 1)) return null;
    return seq === undefined ? { walkX: v[0], walkZ: v[1], jump: v[2] === 1 } : { walkX: v[0], walkZ: v[1], jump: v[2] === 1, seq };
  },
};

// ---- 'sp': sphere spawn ----

/** 'sp': where a client spawns a sphere, mm, and its velocity, mm/s (integers). */
export interface SpawnBody {
  position: [number, number, number];
  velocity: [number, number, number];
}

/**
 * 'sp' "x,y,z,vx,vy,vz" (mm, mm/s). Decoding refuses anything but six integers of at most 9
 * digits; the range and speed limits are the sim's (they depend on the avatar and give their own refusals).
 */
export const SPAWN: EventBody<SpawnBody> = {
  type: 'sp',
  encode: (v) => [...v.position, ...v.velocity].join(','),
  decode: (body) => {
    const v = ints(body, 6);
    return v ? { position: [v[0], v[1], v[2]], velocity: [v[3], v[4], v[5]] } : null;
  },
};

/** Raw Q47.16 fixed point to whole millimetres (rounded), as the host converts a spawn message. */
export function rawToMm(r: bigint): number {
  return Math.round((Number(r) * 1000) / 65536);
}

// ---- '_p': an avatar put back where its account left it ----

/** '_p': a public id and the position its avatar is put at, mm (integers). */
export interface PlaceBody {
  publicId: number;
  position: [number, number, number];
}

/** '_p' "publicId,x,y,z" (mm). Decoding refuses anything but four integers of at most 9 digits. */
export const PLACE: EventBody<PlaceBody> = {
  type: '_p',
  encode: (v) => [v.publicId, ...v.position].join(','),
  decode: (body) => {
    const v = ints(body, 4);
    return v ? { publicId: v[0], position: [v[1], v[2], v[3]] } : null;
  },
};

/** Metres to whole millimetres (rounded): a PlaceBody position from an avatar record. */
export function metresToMm(p: readonly [number, number, number]): [number, number, number] {
  return [Math.round(p[0] * 1000), Math.round(p[1] * 1000), Math.round(p[2] * 1000)];
}

// ---- '_id': who a joining client is ----

/** Roles a '_id' may carry. */
export type IdentityRole = 'admin' | 'moderator' | 'player';
const ROLES: ReadonlySet<string> = new Set(['admin', 'moderator', 'player']);

/** '_id': a joining client's public id, account (0 = guest) and role. */
export interface IdentityBody {
  publicId: number;
  accountId: number;
  role: IdentityRole;
}

/**
 * '_id' "publicId,accountId,role". Decoding reads the first three comma-separated fields with
 * Number() (so "" reads 0; fields after the third are ignored) and refuses a public id that is
 * not a safe integer > 0, an account that is not a safe integer >= 0, or an unknown role.
 */
export const IDENTITY: EventBody<IdentityBody> = {
  type: '_id',
  encode: (v) => `${v.publicId},${v.accountId},${v.role}`,
  decode: (body) => {
    const [p, a, r] = body.split(',');
    const publicId = Number(p),
      accountId = Number(a);
    if (!(Number.isSafeInteger(publicId) && publicId > 0 && Number.isSafeInteger(accountId) && accountId >= 0) || !ROLES.has(r)) return null;
    return { publicId, accountId, role: r as IdentityRole };
  },
};

// ---- '_ta': the temporary admin ----

/** '_ta': the temporary admin's account id (0 = none). */
export interface TempAdminBody {
  accountId: number;
}

/** '_ta' "accountId". Decoding reads it with Number() ("" reads 0) and refuses anything but a safe integer >= 0. */
export const TEMP_ADMIN: EventBody<TempAdminBody> = {
  type: '_ta',
  encode: (v) => String(v.accountId),
  decode: (body) => {
    const a = Number(body);
    return Number.isSafeInteger(a) && a >= 0 ? { accountId: a } : null;
  },
};

// ---- '_ar' / '_ax': artifacts ----

/** The body of an artifact: a dynamic sphere or upright capsule (metres, kilograms). */
export type ArtifactShape = { kind: 'sphere'; radius: number } | { kind: 'capsule'; radius: number; halfHeight: number };

/**
 * The body of an '_ar' event: artifact `id` (the store's id), its ownership (account ids, null =
 * the world), shape and mass, position (mm) and velocity (mm/s) as integers so the event is exact.
 */
export interface ArtifactPlacement {
  id: number;
  owner: number | null;
  master: number | null;
  rule: OwnershipRule;
  shape: ArtifactShape;
  mass: number;
  p: [number, number, number];
  v: [number, number, number];
  /**
   * The script the artifact carries (it had one when it was last taken out of a world or synced):
   * attached to the new body in the tick of this event (src/script/world-scripts.ts
   * `attachCarried`). Absent: no script (and the event's text is what it was before scripts).
   */
  script?: CarriedScript;
}

/**
 * A script kept with an artifact while it is out of the world (the artifacts row's `script`
 * column, migration 9) and carried back in by '_ar': source, version, author (`by`: account id,
 * minus a guest's public id, 0 the world), admin flag, the store's canonical JSON text and the
 * suspension (a suspended script comes back suspended). Timers, pending commands and the count of
 * spawned spheres are not carried (they belong to the world the body left).
 */
export interface CarriedScript {
  src: string;
  v: number;
  by: number;
  adm: boolean;
  store: string;
  susp: { code: ScriptErrorCode; message: string } | null;
}

/** Is `x` a CarriedScript (src non-empty, v >= 1, by a safe integer, store a JSON object's text, susp null or a known code)? */
export function isCarriedScript(x: unknown): x is CarriedScript {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const c = x as Record<string, unknown>;
  if (typeof c.src !== 'string' || c.src === '' || !Number.isSafeInteger(c.v) || (c.v as number) < 1) return false;
  if (!Number.isSafeInteger(c.by) || typeof c.adm !== 'boolean' || typeof c.store !== 'string') return false;
  try {
    const st = JSON.parse(c.store) as unknown;
    if (typeof st !== 'object' || st === null || Array.isArray(st)) return false;
  } catch {
    return false;
  }
  if (c.susp === null) return true;
  const s = c.susp as Record<string, unknown> | undefined;
  return typeof s === 'object' && s !== null && (Object.values(SCRIPT_ERROR) as unknown[]).includes(s.code) && typeof s.message === 'string';
}

const RULES: readonly string[] = ['ask', 'deny', 'allow'];

/**
 * '_ar' JSON {id, owner, master, rule, shape, mass, p, v[, script]} in that key order (shape as
 * given; `script` only when the artifact carries one, so placements without one are unchanged).
 * Decoding refuses: not JSON; id not a safe integer > 0; owner/master not null or a safe integer
 * > 0; rule not ask|deny|allow; p or v not three safe integers within ±1e9; mass not in (0, 10000];
 * shape not a sphere or capsule with radius (and halfHeight) in [0.05, 4] m; a script present that
 * is not a CarriedScript (isCarriedScript). The decoded value is the parsed object itself (extra
 * fields included), as the sim kept it.
 */
export const ARTIFACT_PLACE: EventBody<ArtifactPlacement> = {
  type: '_ar',
  encode: (a) =>
    JSON.stringify({
      id: a.id,
      owner: a.owner,
      master: a.master,
      rule: a.rule,
      shape: a.shape,
      mass: a.mass,
      p: a.p,
      v: a.v,
      ...(a.script ? { script: { src: a.script.src, v: a.script.v, by: a.script.by, adm: a.script.adm, store: a.script.store, susp: a.script.susp } } : {}),
    }),
  decode: (body) => {
    let a: ArtifactPlacement;
    try {
      a = JSON.parse(body) as ArtifactPlacement;
    } catch {
      return null;
    }
    const id = (x: unknown): boolean => x === null || (Number.isSafeInteger(x) && (x as number) > 0);
    const mm = (v: unknown): boolean => Array.isArray(v) && v.length === 3 && v.every((c) => Number.isSafeInteger(c) && Math.abs(c as number) <= 1e9);
    const len = (x: unknown): boolean => typeof x === 'number' && x >= 0.05 && x <= 4;
    if (typeof a !== 'object' || a === null || !Number.isSafeInteger(a.id) || a.id <= 0 || !id(a.owner) || !id(a.master) || !RULES.includes(a.rule))
      return null;
    if (!mm(a.p) || !mm(a.v) || !(typeof a.mass === 'number' && a.mass > 0 && a.mass <= 10_000)) return null;
    const sh = a.shape as ArtifactShape | undefined;
    if (!sh || !((sh.kind === 'sphere' && len(sh.radius)) || (sh.kind === 'capsule' && len(sh.radius) && len(sh.halfHeight)))) return null;
    if (a.script !== undefined && !isCarriedScript(a.script)) return null;
    return a;
  },
};

/** '_ax': the artifact taken out of the world. */
export interface ArtifactTakeBody {
  id: number;
}

/**
 * '_ax' "artifactId". Decoding reads it with Number() and refuses anything but a safe integer
 * > 0 (no artifact has another id, so the sim's answer, "not in the world", is unchanged).
 */
export const ARTIFACT_TAKE: EventBody<ArtifactTakeBody> = {
  type: '_ax',
  encode: (v) => String(v.id),
  decode: (body) => {
    const id = Number(body);
    return Number.isSafeInteger(id) && id > 0 ? { id } : null;
  },
};

// ---- 'ch': chat ----

/** 'ch': a chat line: channel (CHAT_CHANNEL 0-3), to (a public id as text, or a group name; '' when unused), text. */
export interface ChatBody {
  c: number;
  to: string;
  t: string;
}

/**
 * 'ch' JSON {c, to, t} in that key order. Decoding refuses: not a JSON object; c not one of
 * 0..3; to present (not null) and not a string; t not a string. A missing or null `to` reads ''.
 * Length, Unicode and rate checks are the sim's.
 */
export const CHAT: EventBody<ChatBody> = {
  type: 'ch',
  encode: (v) => JSON.stringify({ c: v.c, to: v.to, t: v.t }),
  decode: (body) => {
    const m = jsonObject(body);
    const c = m?.c,
      to = m?.to ?? '',
      t = m?.t;
    if (!m || typeof c !== 'number' || !Object.values(CHAT_CHANNEL).includes(c as 0) || typeof to !== 'string' || typeof t !== 'string') return null;
    return { c, to, t };
  },
};

// ---- 'ow': ownership ----

/**
 * 'ow': an ownership action on object `o` (handle text "slot:generation"). `a` is request |
 * release | grant | refuse | rule | owner (any string decodes; the sim refuses the others);
 * r, p, e are as the client sent them (checked by the action that reads them): r a rule, p a
 * principal (grant/refuse: the requester; owner: the new owner, null = the world), e the owner
 * the requester saw.
 */
export interface OwnershipBody {
  a: string;
  o: string;
  r?: unknown;
  p?: unknown;
  e?: unknown;
}

/**
 * 'ow' JSON {a, o, r?, p?, e?} in that key order, absent fields left out. Decoding refuses:
 * not a JSON object; o not a handle "slot:generation" (1..9 digits each); a not a string.
 */
export const OWNERSHIP: EventBody<OwnershipBody> = {
  type: 'ow',
  encode: (v) => {
    const body: Record<string, unknown> = { a: v.a, o: v.o };
    if (v.r !== undefined) body.r = v.r;
    if (v.p !== undefined) body.p = v.p;
    if (v.e !== undefined) body.e = v.e;
    return JSON.stringify(body);
  },
  decode: (body) => {
    const m = jsonObject(body);
    if (!m || decodeHandle(m.o) === null || typeof m.a !== 'string') return null;
    const v: OwnershipBody = { a: m.a, o: m.o as string };
    if (m.r !== undefined) v.r = m.r;
    if (m.p !== undefined) v.p = m.p;
    if (m.e !== undefined) v.e = m.e;
    return v;
  },
};

// ---- 'ad': admin command ----

/** 'ad': an admin command and its arguments (strings; see ADMIN_COMMANDS in social-sim.ts). */
export interface AdminBody {
  cmd: string;
  args: string[];
}

/**
 * 'ad' JSON {cmd, args} in that key order. Decoding refuses: not a JSON object; args not an
 * array of strings. A cmd that is not a string reads '' (unknown command: the sim's answer).
 */
export const ADMIN: EventBody<AdminBody> = {
  type: 'ad',
  encode: (v) => JSON.stringify({ cmd: v.cmd, args: v.args }),
  decode: (body) => {
    const m = jsonObject(body);
    const raw: unknown = m?.args;
    if (!Array.isArray(raw) || !raw.every((a) => typeof a === 'string')) return null;
    return { cmd: adminCommandOf(body), args: raw as string[] };
  },
};

/** The command named by an 'ad' body even when it is malformed ('' when there is none): what a refused command is audited as. */
export function adminCommandOf(body: string): string {
  const m = jsonObject(body);
  return typeof m?.cmd === 'string' ? m.cmd : '';
}

// ---- 'cg', 'bk', 'ob': client events published as they are (the 'publish' message) ----

const GROUP = /^[A-Za-z0-9_-]{1,32}$/;

/** 'cg': join or leave a chat group `g` (1..32 of A-Z a-z 0-9 _ -). */
export interface GroupBody {
  a: 'join' | 'leave';
  g: string;
}

/** 'cg' JSON {a, g} in that key order. Decoding refuses: not a JSON object; a not join|leave; g not a valid group name. */
export const GROUP_EVENT: EventBody<GroupBody> = {
  type: 'cg',
  encode: (v) => JSON.stringify({ a: v.a, g: v.g }),
  decode: (body) => {
    const m = jsonObject(body);
    if (!m || (m.a !== 'join' && m.a !== 'leave') || typeof m.g !== 'string' || !GROUP.test(m.g)) return null;
    return { a: m.a, g: m.g };
  },
};

/** 'bk': block or unblock the chat of public id `p`. */
export interface BlockBody {
  a: 'block' | 'unblock';
  p: number;
}

/**
 * 'bk' JSON {a, p} in that key order. Decoding refuses: not a JSON object; a not block|unblock;
 * Number(p) not a safe integer > 0 (no public id is anything else, so the sim's refusal of a
 * player who is not online is unchanged; p is read with Number(), so "3" reads 3, as before).
 */
export const BLOCK: EventBody<BlockBody> = {
  type: 'bk',
  encode: (v) => JSON.stringify({ a: v.a, p: v.p }),
  decode: (body) => {
    const m = jsonObject(body);
    const p = m ? Number(m.p) : NaN;
    if (!m || (m.a !== 'block' && m.a !== 'unblock') || !(Number.isSafeInteger(p) && p > 0)) return null;
    return { a: m.a, p };
  },
};

/** 'ob': an input to object `o` (handle text "slot:generation"): k impulse (v in mN s) or move (v = position, mm); integers. */
export interface ObjectInputBody {
  o: string;
  k: 'impulse' | 'move';
  v: [number, number, number];
}

/**
 * 'ob' JSON {o, k, v} in that key order. Decoding refuses: not a JSON object; o not a handle;
 * k not impulse|move; v not three safe integers within ±1e7.
 */
export const OBJECT_INPUT: EventBody<ObjectInputBody> = {
  type: 'ob',
  encode: (x) => JSON.stringify({ o: x.o, k: x.k, v: x.v }),
  decode: (body) => {
    const m = jsonObject(body);
    const v = m?.v;
    if (
      !m ||
      decodeHandle(m.o) === null ||
      (m.k !== 'impulse' && m.k !== 'move') ||
      !Array.isArray(v) ||
      v.length !== 3 ||
      !v.every((x) => Number.isSafeInteger(x) && Math.abs(x as number) <= 1e7)
    )
      return null;
    return { o: m.o as string, k: m.k, v: [v[0], v[1], v[2]] };
  },
};

/**
 * '_id' as clients receive it: "publicId,role" (a player's account id is not shown to other
 * players). A body without exactly three fields becomes its first field ('' when empty).
 */
export function redactIdentity(body: string): string {
  const parts = body.split(',');
  return parts.length === 3 ? `${parts[0]},${parts[2]}` : (parts[0] ?? '');
}

// ---- derived: '_av', '_h' ----

/** '_av': the avatar body spawned for a public id. */
export interface AvatarBody {
  publicId: number;
  body: BodyHandle;
}

/** '_av' "publicId slot:gen". Decoding refuses other shapes (a public id of 1..15 digits, a handle). */
export const AVATAR: EventBody<AvatarBody> = {
  type: '_av',
  encode: (v) => `${v.publicId} ${encodeHandle(v.body)}`,
  decode: (body) => {
    const parts = body.split(' ');
    if (parts.length !== 2 || !/^\d{1,15}$/.test(parts[0])) return null;
    const h = decodeHandle(parts[1]);
    return h === null ? null : { publicId: Number(parts[0]), body: h };
  },
};

/** '_h': an avatar's contact began or ended: the avatar's public id, its body and the other body. */
export interface ContactBody {
  kind: 'begin' | 'end';
  publicId: number;
  body: BodyHandle;
  other: BodyHandle;
}

/** '_h' "begin|end publicId slot:gen slot:gen". Decoding refuses other shapes. */
export const CONTACT: EventBody<ContactBody> = {
  type: '_h',
  encode: (v) => `${v.kind} ${v.publicId} ${encodeHandle(v.body)} ${encodeHandle(v.other)}`,
  decode: (body) => {
    const parts = body.split(' ');
    if (parts.length !== 4 || (parts[0] !== 'begin' && parts[0] !== 'end') || !/^\d{1,15}$/.test(parts[1])) return null;
    const a = decodeHandle(parts[2]),
      b = decodeHandle(parts[3]);
    return a === null || b === null ? null : { kind: parts[0], publicId: Number(parts[1]), body: a, other: b };
  },
};

// ---- derived: '_z' (trigger zones, src/physics/sensors.ts) ----

/** A trigger zone's name: 1..64 of A-Z a-z 0-9 _ . - (no spaces: it is a field of '_z'). */
export const ZONE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** '_z': a moving body began or ended overlapping a named trigger zone of the scene. */
export interface TriggerBody {
  kind: 'begin' | 'end';
  zone: string;
  body: BodyHandle;
}

/** '_z' "begin|end zoneName slot:gen". Decoding refuses other shapes (a name not matching ZONE_NAME, a bad handle). */
export const TRIGGER: EventBody<TriggerBody> = {
  type: '_z',
  encode: (v) => `${v.kind} ${v.zone} ${encodeHandle(v.body)}`,
  decode: (body) => {
    const parts = body.split(' ');
    if (parts.length !== 3 || (parts[0] !== 'begin' && parts[0] !== 'end') || !ZONE_NAME.test(parts[1])) return null;
    const h = decodeHandle(parts[2]);
    return h === null ? null : { kind: parts[0], zone: parts[1], body: h };
  },
};
