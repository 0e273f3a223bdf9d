/**
 * The social and governance layer of the world stream: chat, roles and admin commands, object
 * ownership (seed 002). Like MainSim (which owns one), it is a pure function of the events of
 * each tick in canonical order, so a log replays to the same decisions, the same per-recipient
 * messages in the same order, and the same hash. Everything it decides is an event in the log:
 * the client's request (below) and the server's facts ('_id', '_ta').
 *
 * Client events (origin = the sender's public id; bodies are JSON):
 *   'ch' {c, to, t}      chat: c = 0 world, 1 local, 2 private (to = public id), 3 group (to = name)
 *   'cg' {a, g}          group: a = "join" | "leave", g = name (1..32 of [A-Za-z0-9_-])
 *   'bk' {a, p}          block list: a = "block" | "unblock", p = public id (their chat is not delivered to me)
 *   'ow' {a, o, r?, p?, e?}  ownership: a = "request" | "release" | "grant" | "refuse" | "rule" | "owner",
 *                        o = body handle "slot:generation", r = rule, p = a principal (grant/refuse:
 *                        the requester; owner: the new owner, null = the world), e = the owner the
 *                        requester saw (a request is refused if it changed since)
 *   'ob' {o, k, v}       an input to an object: k = "impulse" (v in mN s) | "move" (v = position, mm)
 *   'ad' {cmd, args}     an admin command (see ADMIN_COMMANDS)
 * Server events:
 *   '_id' "publicId,accountId,role"   who a joining client is (account 0 = guest; role player |
 *                                     moderator | admin), published by the host at join
 *   '_ta' "accountId"                 the temporary admin now (0 = none; src/social/temp-admin.ts)
 *
 * Principals: an account is its account id (> 0); a guest is minus its public id. Owners and
 * masters are principals, so an account's ownership survives reconnects and restarts.
 *
 * Ownership (seed 002): every object has a master, an owner and a rule (ask | deny | allow).
 * Objects without an entry (the scene) belong to the world with rule allow. Only the owner's
 * inputs ('ob') change an object; anyone else's are refused (NOT_OWNER). A request under allow is
 * granted at once (also from a current owner), under deny refused, under ask sent to the master,
 * who grants or refuses within askTimeoutTicks (no answer: refused). The master can take it, set
 * the owner or the rule at any time; admins can do anything. Only one request per object waits
 * at a time: a second is refused while one is pending. Two players requesting the same object
 * under allow in one tick (seed 002's "two people pick up the same gun"): the stream's canonical
 * order decides, the first becomes owner and the second is refused, since it could not have
 * seen the first's result; a request may also carry the owner its sender saw (`e`) and is refused
 * when that changed. Fallbacks when players leave: an owner who
 * leaves hands the object to its master if the master is online, else to the world; a guest
 * master who leaves is replaced by the world (accounts stay masters: they come back).
 * Physics authority (which shard simulates a body) is separate and never changed here.
 */
import type { BodyHandle, Command, Vec3 } from '../physics/world';
import type { ServerMessage, StreamEvent } from '../protocol/messages';
import { ERROR, type ErrorCode } from '../protocol/errors';
import { CHAT_CHANNEL, OWNERSHIP_RULE } from '../protocol/messages';
import { maySetRole } from './temp-admin';
import {
  ADMIN,
  adminCommandOf,
  BLOCK,
  CHAT,
  decodeHandle,
  encodeHandle,
  GROUP_EVENT,
  IDENTITY,
  OBJECT_INPUT,
  OWNERSHIP,
  type IdentityBody,
  type TempAdminBody,
} from '../sim/event-bodies';
import { toRaw, toRawVec, withinDistance, type RawVec3 } from '../physics/integer';
import type { createHash } from 'node:crypto';

/** Ownership rule of an object (seed 002). */
export type OwnershipRule = 'ask' | 'deny' | 'allow';

/** Roles, strongest first. A temporary admin has the 'admin' powers of its account's session. */
export type Role = 'admin' | 'moderator' | 'player';

/** Master, owner and rule of an object; principals (account id, or minus a guest's public id), null = the world. */
export interface Ownership {
  owner: number | null;
  master: number | null;
  rule: OwnershipRule;
}

/** Options of the social layer. */
export interface SocialOptions {
  /** Ticks per second (for rate limits and timeouts). Default 20. */
  tickRate?: number;
  /** Longest chat message, code points. Default 500. */
  maxChatLength?: number;
  /** Chat messages a player may send per second (sustained) and in a burst. Default 1/s, burst 5. */
  chatRate?: { perSecond: number; burst: number };
  /** Radius of local chat, m. Default 20. */
  localRadius?: number;
  /** Ticks the master has to answer an Ask request. Default 10 s of ticks. */
  askTimeoutTicks?: number;
  /** Chat history kept per channel in memory (the store keeps all). Default 200. */
  historyInMemory?: number;
}

/** A chat line as delivered and stored: channel kind, the channel's key for history, sender, text, tick. */
export interface ChatLine {
  channel: number;
  key: string;
  from: number;
  to: string;
  text: string;
  tick: number;
}

/** Something for the host to do outside the sim (the decision is already in the log). */
export type Effect =
  | { kind: 'kick'; publicId: number; reason: string }
  | { kind: 'ban'; publicId: number | null; accountId: number; minutes: number; reason: string }
  | { kind: 'shutdown'; reason: string }
  | { kind: 'tickRate'; value: number }
  | { kind: 'role'; accountId: number; role: Role };

/** One audited admin action (who, what, when, outcome). */
export interface AuditRecord {
  tick: number;
  actor: number;
  actorPublicId: number;
  command: string;
  args: string[];
  ok: boolean;
  message: string;
}

/** What the social layer produced in one tick, in canonical order. */
export interface SocialOutput {
  /** Messages for given public ids (chat, admin results, errors), in the order they were decided. */
  outbox: Array<{ to: number[]; msg: ServerMessage }>;
  /** Ownership changes (for every client that has the body in its interest). */
  ownership: Array<{ body: BodyHandle } & Ownership>;
  /** Chat lines to keep in history (world, group and private channels). */
  chat: ChatLine[];
  effects: Effect[];
  audit: AuditRecord[];
}

/** What the social layer needs from the world sim. */
export interface SocialWorld {
  /** Position of a client's avatar, raw Q47.16 (distances are decided on integers), or null. */
  avatarPositionRaw(publicId: number): RawVec3 | null;
  avatarOf(publicId: number): BodyHandle | undefined;
  /** Is this a live, moving body (not a static, not a stale handle)? */
  isBody(h: BodyHandle): boolean;
  /** Spawns a sphere for an admin (m, m/s); returns its handle, or why the world cannot take it (full, too large). */
  spawnSphere(position: Vec3, velocity: Vec3, radius: number): BodyHandle | string;
  /** Sets the world's gravity (m/s^2) from the next step. */
  setGravity(g: Vec3): void;
  /** Sets the world's tick rate (Hz) from the next step; throws RangeError for a rate the world cannot take. */
  setTickRate(rate: number): void;
  /** Is this body a client's avatar? */
  isAvatar(h: BodyHandle): boolean;
}

interface Who {
  account: number;
  role: Role;
}
interface Pending {
  requester: number;
  requesterPid: number;
  tick: number;
}

const RULE_CODE: Record<OwnershipRule, number> = { ask: OWNERSHIP_RULE.ASK, deny: OWNERSHIP_RULE.DENY, allow: OWNERSHIP_RULE.ALLOW };
const RULES = new Set(['ask', 'deny', 'allow']);

/** Admin commands, the least role that may run each, and their arguments. */
export const ADMIN_COMMANDS = {
  kick: { role: 'moderator', args: '<publicId> [reason]' },
  ban: { role: 'admin', args: '<publicId> <minutes> [reason]' },
  mute: { role: 'moderator', args: '<publicId> <seconds>' },
  unmute: { role: 'moderator', args: '<publicId>' },
  teleport: { role: 'moderator', args: '<publicId> <x> <y> <z> (m)' },
  spawn: { role: 'admin', args: '<x> <y> <z> [radius] (m)' },
  despawn: { role: 'admin', args: '<slot:generation>' },
  broadcast: { role: 'moderator', args: '<text...>' },
  gravity: { role: 'admin', args: '<x> <y> <z> (m/s^2)' },
  tickrate: { role: 'admin', args: '<ticks per second> (from the configured rate up to 120)' },
  role: { role: 'admin', args: '<publicId> <player|moderator|admin>' },
  shutdown: { role: 'admin', args: '[reason]' },
} as const satisfies Record<string, { role: Role; args: string }>;

const RANK: Record<Role, number> = { player: 0, moderator: 1, admin: 2 };

/** How far from its avatar a player carries an object ('ob' move), raw Q47.16: 5 m. */
const CARRY_RANGE_RAW = 5n << 16n;

/** Marks a guest in a principal on the wire (ServerOwnership.owner/master are uint). */
export const GUEST_BIT = 0x80000000;

/** A principal as the wire carries it: account id, GUEST_BIT + public id for a guest, 0 = the world. */
export function wirePrincipal(p: number | null): number {
  return p === null ? 0 : p > 0 ? p : (GUEST_BIT + -p) >>> 0;
}

/** Parses a handle "slot:generation". */
export function parseHandle(s: unknown): BodyHandle | null {
  return decodeHandle(s);
}

const handleText = encodeHandle;

/** Is `s` well-formed UTF-16 (no lone surrogates)? */
function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** A map's entries sorted by key (numbers, bigints or strings): the one iteration order of decisions, hash and save. */
function sorted<K extends number | bigint | string, V>(m: Map<K, V>): Array<[K, V]> {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The social state of one world stream. */
export class SocialSim {
  private readonly o: Required<SocialOptions>;
  /** Connected public ids and who they are. */
  private readonly who = new Map<number, Who>();
  private tempAdmin = 0;
  private readonly groups = new Map<string, Set<number>>();
  /** publicId -> principals it blocks. */
  private readonly blocks = new Map<number, Set<number>>();
  /** principal -> tick the mute ends. */
  private readonly mutes = new Map<number, number>();
  /**
   * principal -> [tokens (fixed-point x1000), last tick]: one chat budget per account over all its
   * sessions and private ids (a guest's is its public id's). No entry = a full budget, so an
   * entry that has refilled is dropped (end(): once a second), whether its principal is here or not.
   */
  private readonly chatBudget = new Map<number, [number, number]>();
  /** Objects with an entry (artifacts, spawned bodies). */
  readonly objects = new Map<BodyHandle, Ownership>();
  private readonly pending = new Map<BodyHandle, Pending>();
  /** Objects whose owner changed in the current tick (not state: cleared by begin()). */
  private readonly changedThisTick = new Set<BodyHandle>();
  private gravity: Vec3 | null = null;
  private tickRate: number | null = null;
  private out: SocialOutput = SocialSim.empty();

  constructor(opts: SocialOptions = {}) {
    const tickRate = opts.tickRate ?? 20;
    this.o = {
      tickRate,
      maxChatLength: 500,
      chatRate: { perSecond: 1, burst: 5 },
      localRadius: 20,
      askTimeoutTicks: 10 * tickRate,
      historyInMemory: 200,
      ...opts,
    };
  }

  private static empty(): SocialOutput {
    return { outbox: [], ownership: [], chat: [], effects: [], audit: [] };
  }

  /** The principal of a connected public id (account id, or minus the public id for a guest). */
  principal(publicId: number): number {
    const w = this.who.get(publicId);
    return w && w.account > 0 ? w.account : -publicId;
  }

  /** Effective role: an account's role, 'admin' for the temporary admin's sessions. */
  roleOf(publicId: number): Role {
    const w = this.who.get(publicId);
    if (!w) return 'player';
    return w.account > 0 && w.account === this.tempAdmin && RANK[w.role] < RANK.admin ? 'admin' : w.role;
  }

  /** Ownership of a body: its entry, or the world's default (no owner, no master, allow). */
  ownershipOf(h: BodyHandle): Ownership {
    return this.objects.get(h) ?? { owner: null, master: null, rule: 'allow' };
  }

  /** The temporary admin's account id (0 = none). */
  get tempAdminAccount(): number {
    return this.tempAdmin;
  }

  /** Gravity set by an admin (null: the configuration's). */
  get gravitySetting(): Vec3 | null {
    return this.gravity;
  }

  /** Tick rate set by an admin (null: the configuration's). Rate limits and timeouts keep counting in ticks of the configured rate. */
  get tickRateSetting(): number | null {
    return this.tickRate;
  }

  /** Registers an object (a spawned body or a placed artifact) with its ownership. */
  setObject(h: BodyHandle, o: Ownership): void {
    this.objects.set(h, { ...o });
    this.out.ownership.push({ body: h, ...o });
  }

  /** Forgets a removed object. */
  dropObject(h: BodyHandle): void {
    this.objects.delete(h);
    this.pending.delete(h);
  }

  /** Starts a tick: clears the outputs of the previous one. */
  begin(): void {
    this.out = SocialSim.empty();
    this.changedThisTick.clear();
  }

  /** The outputs of this tick (after every event was handled and end() ran). */
  get output(): SocialOutput {
    return this.out;
  }

  /** A client joined ('_c'). */
  connected(publicId: number): void {
    if (!this.who.has(publicId)) this.who.set(publicId, { account: 0, role: 'player' });
  }

  /** A client left ('_d'): groups and blocks go (the principal's chat budget stays until it has refilled); ownership falls back (module comment). */
  disconnected(publicId: number): void {
    const me = this.principal(publicId);
    const guest = me < 0;
    this.who.delete(publicId);
    this.blocks.delete(publicId);
    for (const members of this.groups.values()) members.delete(publicId);
    for (const [name, members] of this.groups) if (members.size === 0) this.groups.delete(name);
    // an account with another session online keeps what it has
    if (!guest && this.isOnline(me)) return;
    for (const [h, ob] of sorted(this.objects)) {
      let next: Ownership = ob;
      if (ob.owner === me) next = { ...next, owner: this.isOnline(ob.master) ? ob.master : null };
      if (guest && ob.master === me) next = { ...next, master: null, owner: next.owner === me ? null : next.owner };
      if (next !== ob) this.changeOwnership(h, next);
    }
    for (const [h, p] of sorted(this.pending)) {
      const ob = this.ownershipOf(h);
      if (p.requester === me) this.pending.delete(h);
      else if (ob.master === me || ob.master === null) this.refusePending(h, p, 'the master left');
    }
  }

  /** '_id': who a joining client is (decoded by main-sim with IDENTITY.decode). */
  identify(id: IdentityBody): void {
    this.who.set(id.publicId, { account: id.accountId, role: id.role });
  }

  /**
   * Who is present, as the '_id' bodies that would say it now: "publicId,accountId,role" for
   * every connected public id, ascending (a guest is account 0; the role is the account's, as
   * changed by the role command; the temporary admin is `tempAdminAccount`, i.e. '_ta'). What a
   * catch-up snapshot gives a late joiner instead of the '_id' events it missed.
   */
  identities(): string[] {
    return sorted(this.who).map(([publicId, w]) => IDENTITY.encode({ publicId, accountId: w.account, role: w.role }));
  }

  /** '_ta': the temporary admin now (0 = none; decoded by main-sim with TEMP_ADMIN.decode). */
  setTempAdmin(ta: TempAdminBody): void {
    this.tempAdmin = ta.accountId;
  }

  /**
   * Handles one client event of the social layer (types ch, cg, bk, ow, ob, ad); `commands`
   * receives physics commands (object inputs, teleports). Returns false for types it does not handle.
   */
  handle(e: StreamEvent, world: SocialWorld, commands: Command[]): boolean {
    switch (e.type) {
      case 'ch':
        this.chat(e, world);
        return true;
      case 'cg':
        this.group(e);
        return true;
      case 'bk':
        this.block(e);
        return true;
      case 'ow':
        this.ownership(e, world);
        return true;
      case 'ob':
        this.objectInput(e, world, commands);
        return true;
      case 'ad':
        this.admin(e, world, commands);
        return true;
      default:
        return false;
    }
  }

  /** Ends a tick: Ask requests past their timeout are refused, expired mutes dropped, refilled chat budgets dropped (once a second). */
  end(tick: number): void {
    if (tick % this.o.tickRate === 0) {
      for (const [p, b] of [...this.chatBudget]) if (this.chatTokens(b, tick) >= this.o.chatRate.burst * 1000) this.chatBudget.delete(p);
    }
    for (const [h, p] of sorted(this.pending)) {
      if (tick - p.tick >= this.o.askTimeoutTicks) this.refusePending(h, p, `the master did not answer within ${this.o.askTimeoutTicks} ticks`);
    }
    for (const [who, until] of [...this.mutes]) if (until <= tick) this.mutes.delete(who);
  }

  // ---- chat ----

  private error(to: number, code: ErrorCode, message: string): void {
    this.out.outbox.push({ to: [to], msg: { kind: 'error', code, message } });
  }

  /** Tokens (x1000) of a budget entry at `tick`, refilled at chatRate.perSecond up to the burst. */
  private chatTokens(b: [number, number], tick: number): number {
    const { perSecond, burst } = this.o.chatRate;
    return Math.min(burst * 1000, b[0] + Math.floor(((tick - b[1]) * perSecond * 1000) / this.o.tickRate));
  }

  /** Takes a chat token from the principal's budget (account: shared by its sessions). */
  private takeChatToken(principal: number, tick: number): boolean {
    const b = this.chatBudget.get(principal) ?? [this.o.chatRate.burst * 1000, tick];
    let tokens = this.chatTokens(b, tick);
    if (tokens < 1000) {
      this.chatBudget.set(principal, [tokens, tick]);
      return false;
    }
    tokens -= 1000;
    this.chatBudget.set(principal, [tokens, tick]);
    return true;
  }

  private chat(e: StreamEvent, world: SocialWorld): void {
    const from = e.origin,
      m = CHAT.decode(e.body);
    if (!m) {
      this.error(from, ERROR.BAD_VALUE, 'chat is JSON {c: channel 0-3, to, t: text}');
      return;
    }
    const { c, to, t: text } = m;
    const length = [...text].length;
    if (length === 0 || length > this.o.maxChatLength) {
      this.error(from, ERROR.BAD_VALUE, `chat text must be 1 to ${this.o.maxChatLength} characters`);
      return;
    }
    if (!wellFormed(text)) {
      this.error(from, ERROR.BAD_VALUE, 'chat text is not valid Unicode (lone surrogate)');
      return;
    }
    const until = this.mutes.get(this.principal(from));
    if (until !== undefined && until > e.tick) {
      this.error(from, ERROR.MUTED, `you are muted for ${Math.ceil((until - e.tick) / this.o.tickRate)} more seconds`);
      return;
    }
    if (!this.takeChatToken(this.principal(from), e.tick)) {
      this.error(from, ERROR.RATE_LIMITED, `chat is limited to ${this.o.chatRate.perSecond} message(s) per second (burst ${this.o.chatRate.burst})`);
      return;
    }
    let recipients: number[];
    let key: string | null;
    switch (c) {
      case CHAT_CHANNEL.WORLD:
        recipients = [...this.who.keys()];
        key = 'world';
        break;
      case CHAT_CHANNEL.LOCAL: {
        const at = world.avatarPositionRaw(from);
        if (!at) {
          this.error(from, ERROR.NOT_FOUND, 'local chat needs your avatar in the world');
          return;
        }
        // squared distances in raw fixed point (src/physics/integer.ts), not floats
        const r = toRaw(this.o.localRadius);
        recipients = [...this.who.keys()].filter((p) => {
          const q = world.avatarPositionRaw(p);
          return q !== null && withinDistance(q, at, r);
        });
        key = null; // local lines are of a place and a moment: not kept in history
        break;
      }
      case CHAT_CHANNEL.PRIVATE: {
        const target = Number(to);
        if (!this.who.has(target)) {
          this.error(from, ERROR.NOT_FOUND, `no player ${to} is online`);
          return;
        }
        recipients = target === from ? [from] : [from, target];
        const [a, b] = [this.principal(from), this.principal(target)].sort((x, y) => x - y);
        key = `private:${a}:${b}`;
        break;
      }
      default: {
        const members = this.groups.get(to);
        if (!members?.has(from)) {
          this.error(from, ERROR.NOT_ALLOWED, `join group ${JSON.stringify(to)} before writing to it`);
          return;
        }
        recipients = [...members];
        key = `group:${to}`;
      }
    }
    const sender = this.principal(from);
    recipients = recipients.filter((p) => p === from || !this.blocks.get(p)?.has(sender)).sort((a, b) => a - b);
    this.out.outbox.push({ to: recipients, msg: { kind: 'chat', channel: c, from, to, text, tick: e.tick } });
    if (key) this.out.chat.push({ channel: c, key, from, to, text, tick: e.tick });
  }

  private group(e: StreamEvent): void {
    const m = GROUP_EVENT.decode(e.body);
    if (!m) {
      this.error(e.origin, ERROR.BAD_VALUE, 'group is JSON {a: "join" | "leave", g: 1-32 of A-Z a-z 0-9 _ -}');
      return;
    }
    if (m.a === 'join') {
      const members = this.groups.get(m.g) ?? new Set<number>();
      members.add(e.origin);
      this.groups.set(m.g, members);
    } else {
      this.groups.get(m.g)?.delete(e.origin);
      if (this.groups.get(m.g)?.size === 0) this.groups.delete(m.g);
    }
  }

  private block(e: StreamEvent): void {
    const m = BLOCK.decode(e.body);
    const target = m ? m.p : NaN;
    if (!m || !this.who.has(target)) {
      this.error(e.origin, ERROR.BAD_VALUE, 'block is JSON {a: "block" | "unblock", p: an online public id}');
      return;
    }
    const set = this.blocks.get(e.origin) ?? new Set<number>();
    if (m.a === 'block') set.add(this.principal(target));
    else set.delete(this.principal(target));
    this.blocks.set(e.origin, set);
  }

  /** Members of a group, sorted (empty when it does not exist). */
  members(group: string): number[] {
    return [...(this.groups.get(group) ?? [])].sort((a, b) => a - b);
  }

  // ---- ownership ----

  private changeOwnership(h: BodyHandle, next: Ownership): void {
    this.changedThisTick.add(h);
    this.objects.set(h, next);
    this.out.ownership.push({ body: h, ...next });
  }

  private refusePending(h: BodyHandle, p: Pending, why: string): void {
    this.pending.delete(h);
    if (this.who.has(p.requesterPid)) this.error(p.requesterPid, ERROR.NOT_ALLOWED, `ownership of ${handleText(h)} refused: ${why}`);
  }

  private ownership(e: StreamEvent, world: SocialWorld): void {
    const from = e.origin,
      me = this.principal(from),
      admin = this.roleOf(from) === 'admin';
    const m = OWNERSHIP.decode(e.body);
    const h = m ? decodeHandle(m.o) : null;
    if (!m || h === null) {
      this.error(from, ERROR.BAD_VALUE, 'ownership is JSON {a, o: "slot:generation", r?, p?}');
      return;
    }
    if (!this.objects.has(h) && !world.isBody(h)) {
      this.error(from, ERROR.NOT_FOUND, `no object ${m.o}`);
      return;
    }
    const ob = this.ownershipOf(h);
    const isMaster = ob.master !== null && ob.master === me;
    switch (m.a) {
      case 'request': {
        if (ob.owner === me) return; // already yours
        if (m.e !== undefined && m.e !== ob.owner) {
          this.error(from, ERROR.NOT_ALLOWED, `${m.o} changed owner since you saw it (now ${ob.owner ?? 'the world'})`);
          return;
        }
        if (admin || isMaster) {
          this.changeOwnership(h, { ...ob, owner: me });
          return;
        }
        if (ob.rule === 'allow') {
          // allow transfers at once, but within one tick the first request wins: a second one
          // could not have seen the first's result (seed 002's "two people pick up the same gun")
          if (this.changedThisTick.has(h)) {
            this.error(from, ERROR.NOT_ALLOWED, `${m.o} was just taken by another request in the same tick (rule allow: the first one wins)`);
            return;
          }
          this.changeOwnership(h, { ...ob, owner: me });
          return;
        }
        if (ob.rule === 'deny') {
          this.error(from, ERROR.NOT_ALLOWED, `ownership of ${m.o} is refused (rule deny)`);
          return;
        }
        if (ob.master === null || !this.isOnline(ob.master)) {
          this.error(from, ERROR.NOT_ALLOWED, `ownership of ${m.o} is refused: its master is not here to ask`);
          return;
        }
        if (this.pending.has(h)) {
          this.error(from, ERROR.NOT_ALLOWED, `another request for ${m.o} is waiting for its master`);
          return;
        }
        this.pending.set(h, { requester: me, requesterPid: from, tick: e.tick });
        return; // the master sees this 'ow' event in the stream
      }
      case 'grant':
      case 'refuse': {
        const p = this.pending.get(h);
        if (!isMaster && !admin) {
          this.error(from, ERROR.NOT_ALLOWED, `only the master of ${m.o} answers its requests`);
          return;
        }
        if (!p || (m.p !== undefined && m.p !== p.requester)) {
          this.error(from, ERROR.NOT_FOUND, `no request for ${m.o} is waiting`);
          return;
        }
        this.pending.delete(h);
        if (m.a === 'grant') this.changeOwnership(h, { ...ob, owner: p.requester });
        else this.refusePending(h, p, 'the master refused');
        return;
      }
      case 'release': {
        if (ob.owner !== me && !admin) {
          this.error(from, ERROR.NOT_OWNER, `you do not own ${m.o}`);
          return;
        }
        this.changeOwnership(h, { ...ob, owner: this.isOnline(ob.master) ? ob.master : null });
        return;
      }
      case 'rule': {
        if (!isMaster && !admin) {
          this.error(from, ERROR.NOT_ALLOWED, `only the master of ${m.o} sets its rule`);
          return;
        }
        if (typeof m.r !== 'string' || !RULES.has(m.r)) {
          this.error(from, ERROR.BAD_VALUE, 'rule is "ask", "deny" or "allow"');
          return;
        }
        this.changeOwnership(h, { ...ob, rule: m.r as OwnershipRule });
        return;
      }
      case 'owner': {
        if (!isMaster && !admin) {
          this.error(from, ERROR.NOT_ALLOWED, `only the master of ${m.o} sets its owner`);
          return;
        }
        if (!(m.p === null || (Number.isSafeInteger(m.p) && m.p !== 0))) {
          this.error(from, ERROR.BAD_VALUE, 'owner is a principal (account id, or minus a guest public id) or null');
          return;
        }
        this.pending.delete(h);
        this.changeOwnership(h, { ...ob, owner: m.p as number | null });
        return;
      }
      default:
        this.error(from, ERROR.BAD_VALUE, 'ownership action is request, release, grant, refuse, rule or owner');
    }
  }

  /** Is a session of this principal (account id, or minus a guest's public id) connected? */
  isOnline(principal: number | null): boolean {
    if (principal === null) return false;
    for (const p of this.who.keys()) if (this.principal(p) === principal) return true;
    return false;
  }

  private objectInput(e: StreamEvent, world: SocialWorld, commands: Command[]): void {
    const from = e.origin,
      m = OBJECT_INPUT.decode(e.body),
      h = m ? decodeHandle(m.o) : null;
    if (!m || h === null) {
      this.error(from, ERROR.BAD_VALUE, 'object input is JSON {o: "slot:generation", k: "impulse" | "move", v: [x, y, z] (mN s or mm)}');
      return;
    }
    if (!world.isBody(h)) {
      this.error(from, ERROR.NOT_FOUND, `no object ${m.o}`);
      return;
    }
    const ob = this.ownershipOf(h);
    if (ob.owner !== this.principal(from) && this.roleOf(from) !== 'admin') {
      this.error(from, ERROR.NOT_OWNER, `only the owner of ${m.o} moves it: request ownership first`);
      return;
    }
    const v = m.v;
    const value: Vec3 = [v[0] / 1000, v[1] / 1000, v[2] / 1000];
    if (m.k === 'move') {
      // the body gets exactly toRaw(value): compare that with the avatar, squared, in raw fixed point
      const at = world.avatarPositionRaw(from);
      if (at && !withinDistance(toRawVec(value), at, CARRY_RANGE_RAW) && this.roleOf(from) !== 'admin') {
        this.error(from, ERROR.NOT_ALLOWED, 'objects are carried within 5 m of your avatar');
        return;
      }
      commands.push({ kind: 'setPosition', body: h, value }, { kind: 'setVelocity', body: h, value: [0, 0, 0] });
    } else {
      commands.push({ kind: 'impulse', body: h, value });
    }
  }

  // ---- admin ----

  private admin(e: StreamEvent, world: SocialWorld, commands: Command[]): void {
    const from = e.origin,
      m = ADMIN.decode(e.body);
    const cmd = m ? m.cmd : adminCommandOf(e.body);
    const args = m ? m.args : null;
    const result = (ok: boolean, message: string): void => {
      this.out.outbox.push({ to: [from], msg: { kind: 'adminResult', command: cmd, ok, message } });
      this.out.audit.push({ tick: e.tick, actor: this.principal(from), actorPublicId: from, command: cmd, args: args ?? [], ok, message });
    };
    if (!args) {
      result(false, 'admin is JSON {cmd, args: [strings]}');
      return;
    }
    const spec = (ADMIN_COMMANDS as Record<string, { role: Role; args: string }>)[cmd];
    if (!spec) {
      result(false, `unknown command; commands: ${Object.keys(ADMIN_COMMANDS).join(', ')}`);
      return;
    }
    const role = this.roleOf(from);
    if (RANK[role] < RANK[spec.role]) {
      result(false, `${cmd} needs the ${spec.role} role; you are ${role}`);
      return;
    }
    const usage = `usage: ${cmd} ${spec.args}`;
    const num = (s: string | undefined): number => (s !== undefined && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : NaN);
    const target = (s: string | undefined): number | null => {
      const p = Number(s);
      return this.who.has(p) ? p : null;
    };
    switch (cmd) {
      case 'kick': {
        const t = target(args[0]);
        if (t === null) {
          result(false, `no player ${args[0]} online; ${usage}`);
          return;
        }
        if (RANK[this.roleOf(t)] > RANK[role]) {
          result(false, 'you cannot kick a stronger role');
          return;
        }
        this.out.effects.push({ kind: 'kick', publicId: t, reason: args.slice(1).join(' ') || 'kicked by an admin' });
        result(true, `kicked ${t}`);
        return;
      }
      case 'ban': {
        const t = target(args[0]),
          minutes = num(args[1]);
        if (t === null || !(minutes > 0)) {
          result(false, usage);
          return;
        }
        const account = this.who.get(t)?.account ?? 0;
        if (account === 0) {
          this.out.effects.push({ kind: 'kick', publicId: t, reason: 'banned' });
          result(true, `${t} is a guest: kicked (guests cannot be banned by account)`);
          return;
        }
        if (this.who.get(t)?.role === 'admin') {
          result(false, 'a permanent admin cannot be banned');
          return;
        }
        this.out.effects.push({ kind: 'ban', publicId: t, accountId: account, minutes, reason: args.slice(2).join(' ') || 'banned by an admin' });
        result(true, `banned account ${account} for ${minutes} minutes`);
        return;
      }
      case 'mute': {
        const t = target(args[0]),
          secs = num(args[1]);
        if (t === null || !(secs > 0)) {
          result(false, usage);
          return;
        }
        this.mutes.set(this.principal(t), e.tick + Math.ceil(secs * this.o.tickRate));
        result(true, `muted ${t} for ${secs} s`);
        return;
      }
      case 'unmute': {
        const t = target(args[0]);
        if (t === null) {
          result(false, usage);
          return;
        }
        this.mutes.delete(this.principal(t));
        result(true, `unmuted ${t}`);
        return;
      }
      case 'teleport': {
        const t = target(args[0]),
          p: Vec3 = [num(args[1]), num(args[2]), num(args[3])];
        const body = t === null ? undefined : world.avatarOf(t);
        if (body === undefined || !p.every((c) => Number.isFinite(c) && Math.abs(c) <= 1e6)) {
          result(false, usage);
          return;
        }
        commands.push({ kind: 'setPosition', body, value: p }, { kind: 'setVelocity', body, value: [0, 0, 0] });
        result(true, `teleported ${t}`);
        return;
      }
      case 'spawn': {
        const p: Vec3 = [num(args[0]), num(args[1]), num(args[2])],
          r = args[3] === undefined ? 0.25 : num(args[3]);
        if (!p.every((c) => Number.isFinite(c) && Math.abs(c) <= 1e6) || !(r >= 0.05 && r <= 4)) {
          result(false, usage);
          return;
        }
        const h = world.spawnSphere(p, [0, 0, 0], r);
        if (typeof h === 'string') {
          result(false, h);
          return;
        }
        this.setObject(h, { owner: null, master: null, rule: 'allow' });
        result(true, `spawned ${handleText(h)}`);
        return;
      }
      case 'despawn': {
        const h = parseHandle(args[0]);
        if (h === null || !world.isBody(h) || world.isAvatar(h)) {
          result(false, `no object ${args[0]} (avatars are kicked, not despawned); ${usage}`);
          return;
        }
        commands.push({ kind: 'despawn', body: h });
        this.dropObject(h);
        result(true, `despawned ${args[0]}`);
        return;
      }
      case 'broadcast': {
        const text = args.join(' ');
        if (!text || [...text].length > this.o.maxChatLength || !wellFormed(text)) {
          result(false, usage);
          return;
        }
        this.out.outbox.push({
          to: [...this.who.keys()].sort((a, b) => a - b),
          msg: { kind: 'chat', channel: CHAT_CHANNEL.WORLD, from: 0, to: '', text, tick: e.tick },
        });
        this.out.chat.push({ channel: CHAT_CHANNEL.WORLD, key: 'world', from: 0, to: '', text, tick: e.tick });
        result(true, 'broadcast sent');
        return;
      }
      case 'gravity': {
        const g: Vec3 = [num(args[0]), num(args[1]), num(args[2])];
        if (!g.every((c) => Number.isFinite(c) && Math.abs(c) <= 50)) {
          result(false, `${usage}; each component within +-50`);
          return;
        }
        this.gravity = g;
        world.setGravity(g);
        result(true, `gravity is ${g.join(', ')} m/s^2`);
        return;
      }
      case 'tickrate': {
        const r = num(args[0]);
        if (!(Number.isInteger(r) && r <= 120)) {
          result(false, usage);
          return;
        }
        try {
          world.setTickRate(r);
        } catch (err) {
          result(false, (err as Error).message);
          return;
        }
        this.tickRate = r;
        this.out.effects.push({ kind: 'tickRate', value: r });
        result(true, `the tick rate is ${r} Hz from the next tick`);
        return;
      }
      case 'role': {
        const t = target(args[0]),
          newRole = args[1] as Role;
        const w = t === null ? undefined : this.who.get(t);
        if (t === null || !w || !(newRole in RANK)) {
          result(false, usage);
          return;
        }
        if (w.account === 0) {
          result(false, 'guests have no account to give a role');
          return;
        }
        const actor = this.who.get(from) as Who;
        const isTemp = actor.account > 0 && actor.account === this.tempAdmin && actor.role !== 'admin';
        if (!maySetRole({ id: actor.account, role: actor.role, temporaryAdmin: isTemp }, { id: w.account, role: w.role }, newRole)) {
          result(false, isTemp ? 'a temporary admin cannot give or take the admin role (not even its own)' : 'you cannot change this role');
          return;
        }
        for (const [p, x] of this.who) if (x.account === w.account) this.who.set(p, { ...x, role: newRole });
        this.out.effects.push({ kind: 'role', accountId: w.account, role: newRole });
        result(true, `account ${w.account} is now ${newRole}`);
        return;
      }
      case 'shutdown': {
        this.out.effects.push({ kind: 'shutdown', reason: args.join(' ') || 'shutdown by an admin' });
        result(true, 'shutting down');
        return;
      }
    }
  }

  /**
   * The ServerMessage of an ownership change. Owner and master travel as uint (schemas/server.fbs):
   * an account id, GUEST_BIT + public id for a guest (principal -publicId), 0 for the world.
   */
  static ownershipMessage(c: { body: BodyHandle } & Ownership, tick: number): ServerMessage {
    return {
      kind: 'ownership',
      body: { index: Number(c.body & 0xffffffffn), generation: Number(c.body >> 32n) },
      owner: wirePrincipal(c.owner),
      master: wirePrincipal(c.master),
      rule: RULE_CODE[c.rule],
      tick,
    };
  }

  /** Hash input of the social state (sorted; the same for a live run and a replay). */
  hashInto(h: ReturnType<typeof createHash>): void {
    h.update(this.hashText());
  }

  /** The text hashInto feeds the hash (one string: the same digest as an update per part, at a fraction of the calls). */
  hashText(): string {
    const parts: string[] = [`|ta${this.tempAdmin}|g${this.gravity?.join(',') ?? ''}|r${this.tickRate ?? ''}`];
    for (const [p, w] of sorted(this.who)) parts.push(`|w${p}:${w.account}:${w.role}`);
    for (const [k, m] of sorted(this.groups)) parts.push(`|gr${k}:${[...m].sort((a, b) => a - b).join(',')}`);
    for (const [k, m] of sorted(this.blocks)) parts.push(`|b${k}:${[...m].sort((a, b) => a - b).join(',')}`);
    for (const [k, v] of sorted(this.mutes)) parts.push(`|m${k}:${v}`);
    for (const [k, v] of sorted(this.chatBudget)) parts.push(`|cb${k}:${v[0]}:${v[1]}`);
    for (const [k, o] of sorted(this.objects)) parts.push(`|o${k}:${o.owner}:${o.master}:${o.rule}`);
    for (const [k, p] of sorted(this.pending)) parts.push(`|q${k}:${p.requester}:${p.requesterPid}:${p.tick}`);
    return parts.join('');
  }

  /** The state as JSON (for snapshots); `SocialSim.load` restores it. */
  save(): string {
    return JSON.stringify({
      tempAdmin: this.tempAdmin,
      gravity: this.gravity,
      tickRate: this.tickRate,
      who: sorted(this.who),
      groups: sorted(this.groups).map(([k, m]) => [k, [...m]]),
      blocks: sorted(this.blocks).map(([k, m]) => [k, [...m]]),
      mutes: sorted(this.mutes),
      chatBudget: sorted(this.chatBudget),
      objects: sorted(this.objects).map(([k, o]) => [k.toString(), o]),
      pending: sorted(this.pending).map(([k, p]) => [k.toString(), p]),
    });
  }

  /** Restores save() output into this (empty) instance. Throws SyntaxError for bad JSON. */
  load(text: string): void {
    const s = JSON.parse(text) as {
      tempAdmin: number;
      gravity: Vec3 | null;
      tickRate?: number | null;
      who: Array<[number, Who]>;
      groups: Array<[string, number[]]>;
      blocks: Array<[number, number[]]>;
      mutes: Array<[number, number]>;
      chatBudget: Array<[number, [number, number]]>;
      objects: Array<[string, Ownership]>;
      pending: Array<[string, Pending]>;
    };
    this.tempAdmin = s.tempAdmin;
    this.gravity = s.gravity;
    this.tickRate = s.tickRate ?? null;
    for (const [k, v] of s.who) this.who.set(k, v);
    for (const [k, v] of s.groups) this.groups.set(k, new Set(v));
    for (const [k, v] of s.blocks) this.blocks.set(k, new Set(v));
    for (const [k, v] of s.mutes) this.mutes.set(k, v);
    for (const [k, v] of s.chatBudget) this.chatBudget.set(k, v);
    for (const [k, v] of s.objects) this.objects.set(BigInt(k), v);
    for (const [k, v] of s.pending) this.pending.set(BigInt(k), v);
  }
}
