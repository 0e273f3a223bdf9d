/**
 * Object scripts in the world (issue 21, tick integration): the part of MainSim's state that is
 * the scripts attached to bodies, their timers, the spheres they spawned and the commands they
 * queued for the next tick. It lives inside MainSim.apply, so a replay of the log, a replica and
 * a world restored from a snapshot re-run the scripts exactly as the live world did (nothing a
 * script produced is read back from the log).
 *
 * World-stream events (client events, published with the ordinary `publish` message; the main sim
 * decides, so a replay decides the same):
 *   'sa' body = JSON {o: "slot:generation", src: string}   attach (or replace) the object's script;
 *            src "" detaches. Only the object's master or an admin; else refused NOT_ALLOWED
 *            (ERROR 4000). Every accepted attach is an audit record ('script.attach') and an
 *            adminResult to the sender; `attached` lists it for the store (src/persist).
 *   'sr' body = JSON {o}   read the object's private store: adminResult 'script.store' with the
 *            store's canonical JSON to its master or an admin; anyone else is refused NOT_ALLOWED.
 *   'sm' body = JSON {o, t: text}   a chat line addressed to the object's script (event 'chat').
 *
 * The tick (MainSim.apply(t)): events of tick t (attaches, reads, chat) -> `beginTick`: the
 * commands the scripts queued at the end of apply(t - 1) become physics commands, spheres and chat
 * -> physics step (state t + 1) -> `afterStep`: every scripted object, in slot order, gets its
 * events (due timers, contact begins 'touch' and ends 'untouch' from the step's contact list, chat
 * lines of tick t) keyed [kind, mix32(receiver, source), seq] (kind 0 timer, 1 touch/untouch,
 * 2 chat), with the view of state t + 1; its commands wait for apply(t + 1).
 *
 * Rules on commands: an impulse moves the script's own object, and only while the object's owner
 * is nobody or the principal that attached the script (an admin's script: always); a spawn is a
 * sphere (0.25 m, 1 kg) within maxSpawnOffset of the object, at most `spawnLimit` of a script's
 * spheres live at once (more are refused, not a suspension); a chat line goes to every present
 * client on the world channel, `to` = the object's handle; timers count ticks of state.
 * Refused commands are listed in the tick's refusals ('script' events).
 *
 * Suspension: a call that fails (src/script/engine.ts codes) suspends the script for good (until
 * the next attach): its sandbox is freed, its master's sessions get an adminResult
 * 'script.suspended' "handle CODE: message", and an audit record is written. A replay suspends it
 * at the same tick.
 *
 * Checkpoint rule (docs/scripts/design.md): at every state tick that is a multiple of
 * `checkpointEvery`, after the calls, every running script is reset to a fresh sandbox from source
 * and store, which is what a world restored from a snapshot of that tick builds. Those fresh
 * sandboxes are built ahead, a share per tick over the `prepareTicks` ticks before the checkpoint
 * (Script.prepareReset), so the checkpoint tick only swaps them in. Snapshots should
 * be taken at checkpoint ticks (WorldLoop persist.snapshotEvery a multiple of checkpointEvery);
 * one taken elsewhere restores the same stores, timers and commands but not closure caches.
 */
import type { BodyHandle, Command, Vec3 } from '../physics/world';
import type { ShardedWorld } from '../physics/sharded';
import type { StreamEvent } from '../protocol/messages';
import { CHAT_CHANNEL } from '../protocol/messages';
import { ERROR, type ErrorCode } from '../protocol/errors';
import { type CarriedScript, decodeHandle, encodeHandle } from '../sim/event-bodies';
import type { SocialSim } from '../social/social-sim';
import { type Script, type ScriptEngine, type ScriptSpec, scriptSeed } from './engine';
import { RemoteScript, ScriptThreads, type ThreadOp } from './script-threads';
import type { ScriptCommand, ScriptErrorCode, ScriptEvent, ScriptLimits, ScriptSelfView } from './types';

/** Scripts in a world (WorldSetup.scripts). */
export interface WorldScriptOptions {
  /** The QuickJS module (`await ScriptEngine.create(worldSeed)`); its world seed seeds Math.random. */
  engine: ScriptEngine;
  /** Limits of every script (default DEFAULT_SCRIPT_LIMITS). */
  limits?: Partial<ScriptLimits>;
  /** Checkpoint ticks: every state tick that is a multiple of this (module comment). Default 200. */
  checkpointEvery?: number;
  /** Spheres one script may have live at once. Default 4. */
  spawnLimit?: number;
  /**
   * Ticks before each checkpoint over which the fresh sandboxes of the checkpoint are built ahead
   * (`Script.prepareReset`, about 6 ms per script), an equal share of the scripts per tick, so the
   * checkpoint tick only swaps them in (`Script.reset`). At most `checkpointEvery - 1` is used.
   * 0 builds them all inside the checkpoint tick (a stall of about 6 ms per script). The results
   * and the hash are the same for every value. Default 20 ticks.
   */
  prepareTicks?: number;
  /**
   * Script worker threads (src/script/script-threads.ts): 0 (default) runs every script on the
   * world thread; N >= 1 runs them on N worker threads (an object on thread objectId mod N, one
   * request per thread per tick). Results and hash are the same for every value.
   */
  threads?: number;
}

/** A script's sandbox: on the world thread (Script) or on a script thread (its mirror). */
type Sandbox = Script | RemoteScript;

/** An accepted attach or detach (what the store records; `source` "" = detached). */
export interface ScriptAttach {
  tick: number;
  body: BodyHandle;
  version: number;
  source: string;
  /** Principal that attached it (account id, or minus a guest's public id). */
  by: number;
  admin: boolean;
}

/** One attached script. */
interface Attached {
  body: BodyHandle;
  source: string;
  version: number;
  /** Tick of the 'sa' event that attached this version (0 for a scene's script); not in the hash. */
  at: number;
  by: number;
  admin: boolean;
  /** The sandbox; null when suspended. */
  script: Sandbox | null;
  suspended: { code: ScriptErrorCode; message: string } | null;
  /** Store text of a suspended script (the sandbox is gone). */
  frozenStore: string;
  /** Due state ticks, ascending. */
  timers: number[];
  /** Spheres it spawned (live or not; dead ones are dropped when counted). */
  spawned: BodyHandle[];
  /** Commands for the next apply. */
  pending: ScriptCommand[];
  /** hashText's serialized head of this script (b, src, v, by, adm), made on first use; those fields never change. */
  hashHead?: string;
}

/** Saved form of one script (MainSim.save game JSON 'scripts'). */
interface SavedScript {
  b: string;
  src: string;
  v: number;
  /** Attach tick (absent in saves made before it was kept: restored as -1). Left out of hashText. */
  at?: number;
  by: number;
  adm: boolean;
  store: string;
  timers: number[];
  spawned: string[];
  pending: ScriptCommand[];
  susp: { code: ScriptErrorCode; message: string } | null;
}

/** What the scripts need of the main sim. */
export interface ScriptWorld {
  world: ShardedWorld;
  social: SocialSim;
  /** Is `h` a live moving body? */
  isBody(h: BodyHandle): boolean;
  /** Adds a sphere; its handle, or the refusal text. */
  spawnSphere(position: Vec3, velocity: Vec3): BodyHandle | string;
  refuse(e: StreamEvent, code: ErrorCode, message: string): void;
}

/** The body of 'sa', 'sr' and 'sm' as parsed (fields checked where used). */
type ScriptMessage = { o?: unknown; src?: unknown; t?: unknown };

const SLOT = (h: BodyHandle): number => Number(h & 0xffffffffn);
/** The u32 id a script sees as self.id and seeds Math.random with: slot mixed with generation. */
export const objectIdOf = (h: BodyHandle): number => mix32(SLOT(h), Number(h >> 32n));
/** mix32(a, b): scriptSeed's fmix32 chain over two u32 values, as a u32 (an order key part). */
const mix32 = (a: number, b: number): number => scriptSeed(a, b, 0x5c) >>> 0;
const mm = (raw: bigint): number => Number((raw * 1000n) >> 16n);

/**
 * The attached scripts by body, with their slot order cached (`inOrder`): the order is asked for
 * several times a tick (commands, calls, checkpoint, hash) and changes only on an attach, a
 * detach, a body leaving or a load. Every mutation of the map drops the cache.
 */
class ScriptTable extends Map<BodyHandle, Attached> {
  private order: Attached[] | null = null;

  override set(h: BodyHandle, a: Attached): this {
    this.order = null;
    return super.set(h, a);
  }

  override delete(h: BodyHandle): boolean {
    this.order = null;
    return super.delete(h);
  }

  override clear(): void {
    this.order = null;
    super.clear();
  }

  /** The scripts in slot order (a shared array: callers must not change it). */
  inOrder(): readonly Attached[] {
    this.order ??= [...this.values()].sort((x, y) => SLOT(x.body) - SLOT(y.body));
    return this.order;
  }
}

/** The scripts of one world. */
export class WorldScripts {
  private readonly scripts = new ScriptTable();
  /** Chat lines for scripts received in the tick being applied: [receiver, from publicId, text]. */
  private inbox: Array<[BodyHandle, number, string]> = [];
  /** Attaches accepted in the tick being applied. */
  attached: ScriptAttach[] = [];
  readonly checkpointEvery: number;
  readonly spawnLimit: number;
  /** Ticks before a checkpoint during which its sandboxes are built (WorldScriptOptions.prepareTicks, capped). */
  readonly prepareTicks: number;
  /** The script threads (WorldScriptOptions.threads >= 1), or null: scripts run on the world thread. */
  private readonly pool: ScriptThreads | null;

  constructor(readonly opts: WorldScriptOptions) {
    this.checkpointEvery = opts.checkpointEvery ?? 200;
    this.spawnLimit = opts.spawnLimit ?? 4;
    const prepare = opts.prepareTicks ?? 20;
    if (!(Number.isSafeInteger(prepare) && prepare >= 0)) throw new RangeError('prepareTicks is an integer >= 0');
    this.prepareTicks = Math.min(prepare, this.checkpointEvery - 1);
    const threads = opts.threads ?? 0;
    if (!(Number.isSafeInteger(threads) && threads >= 0)) throw new RangeError('threads is an integer >= 0');
    this.pool = threads > 0 ? new ScriptThreads(threads, opts.engine.worldSeed) : null;
    if (!(Number.isSafeInteger(this.checkpointEvery) && this.checkpointEvery >= 1)) throw new RangeError('checkpointEvery is an integer >= 1');
    if (!(Number.isSafeInteger(this.spawnLimit) && this.spawnLimit >= 0)) throw new RangeError('spawnLimit is an integer >= 0');
  }

  /** Script worker threads (0: the scripts run on the world thread). */
  get threads(): number {
    return this.pool?.count ?? 0;
  }

  /** Scripted objects now. */
  get size(): number {
    return this.scripts.size;
  }

  /**
   * Source, version, attach tick (`tick`: of the 'sa' event; 0 for a scene's script, -1 when
   * restored from a save that did not keep it), author (`by`: account id, minus a guest's public
   * id, 0 the world), admin flag and suspension of an object's script, or null. Anyone who sees the
   * object may fetch the source (GET /objects/<id>/script, src/net/web-endpoints.ts).
   */
  info(h: BodyHandle): {
    source: string;
    version: number;
    tick: number;
    by: number;
    admin: boolean;
    suspended: { code: ScriptErrorCode; message: string } | null;
  } | null {
    const a = this.scripts.get(h);
    return a ? { source: a.source, version: a.version, tick: a.at, by: a.by, admin: a.admin, suspended: a.suspended } : null;
  }

  /** The store's canonical JSON of an object's script (host view; clients read it with 'sr'), or null. */
  storeOf(h: BodyHandle): string | null {
    const a = this.scripts.get(h);
    return a ? (a.script?.serializeStore() ?? a.frozenStore) : null;
  }

  /** Starts applying a tick. */
  begin(): void {
    this.attached = [];
    this.inbox = [];
  }

  /** Handles 'sa', 'sr', 'sm'. */
  handle(e: StreamEvent, w: ScriptWorld): void {
    let m: ScriptMessage | null = null;
    try {
      const v = JSON.parse(e.body) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) m = v as ScriptMessage;
    } catch {
      m = null;
    }
    const h = m ? decodeHandle(m.o) : null;
    if (!m || h === null) {
      w.refuse(e, ERROR.BAD_VALUE, `${e.type} body is JSON {o: "slot:generation"${e.type === 'sa' ? ', src' : e.type === 'sm' ? ', t' : ''}}`);
      return;
    }
    const name = encodeHandle(h);
    if (!w.isBody(h)) {
      w.refuse(e, ERROR.NOT_FOUND, `no object ${name}`);
      return;
    }
    const social = w.social;
    const me = social.principal(e.origin),
      admin = social.roleOf(e.origin) === 'admin';
    const master = social.ownershipOf(h).master;
    if (e.type === 'sm') {
      if (typeof m.t !== 'string' || m.t.length > 500) {
        w.refuse(e, ERROR.BAD_VALUE, 'script chat t is a string of at most 500 characters');
        return;
      }
      if (this.scripts.has(h)) this.inbox.push([h, e.origin, m.t]);
      else w.refuse(e, ERROR.NOT_FOUND, `${name} has no script`);
      return;
    }
    if (!admin && (master === null || master !== me)) {
      const what = e.type === 'sa' ? 'attaches or replaces its script' : "reads its script's store";
      w.refuse(e, ERROR.NOT_ALLOWED, `only the master of ${name} or an admin ${what}`);
      return;
    }
    const out = social.output;
    if (e.type === 'sr') {
      const store = this.storeOf(h);
      if (store === null) w.refuse(e, ERROR.NOT_FOUND, `${name} has no script`);
      else out.outbox.push({ to: [e.origin], msg: { kind: 'adminResult', command: 'script.store', ok: true, message: store } });
      return;
    }
    if (typeof m.src !== 'string') {
      w.refuse(e, ERROR.BAD_VALUE, 'sa body is JSON {o, src: string} (src "" detaches)');
      return;
    }
    const old = this.scripts.get(h);
    const version = (old?.version ?? 0) + 1;
    if (old) {
      // the store belongs to the object: a replaced script keeps it
      this.drop(old);
      this.scripts.delete(h);
    }
    let message: string;
    if (m.src === '') {
      message = old ? `script of ${name} detached` : `${name} had no script`;
    } else {
      const store = old ? old.frozenStore : undefined;
      const script = this.loadSandbox({ objectId: objectIdOf(h), source: m.src, store, limits: this.opts.limits });
      const a: Attached = {
        body: h,
        source: m.src,
        version,
        at: e.tick,
        by: me,
        admin,
        script,
        suspended: null,
        frozenStore: '{}',
        timers: [],
        spawned: [],
        pending: [],
      };
      this.scripts.set(h, a);
      message = `script v${version} attached to ${name}`;
      if (script.suspended) {
        this.suspend(a, script.suspended, w, e.tick);
        message += `, but it does not load: ${script.suspended.code}`;
      }
    }
    this.attached.push({ tick: e.tick, body: h, version, source: m.src, by: me, admin });
    out.outbox.push({ to: [e.origin], msg: { kind: 'adminResult', command: 'script.attach', ok: true, message } });
    out.audit.push({ tick: e.tick, actor: me, actorPublicId: e.origin, command: 'script.attach', args: [name, String(version)], ok: true, message });
  }

  /**
   * A scene's script on one of its bodies, before tick 0: attached by the world (principal 0, admin
   * rights), version 1. A source that does not load stays attached, suspended.
   */
  attachInitial(body: BodyHandle, source: string): void {
    const script = this.loadSandbox({ objectId: objectIdOf(body), source, limits: this.opts.limits });
    const suspended = script.suspended;
    if (suspended) this.free(script);
    this.scripts.set(body, {
      body,
      source,
      version: 1,
      at: 0,
      by: 0,
      admin: true,
      script: suspended ? null : script,
      suspended,
      frozenStore: '{}',
      timers: [],
      spawned: [],
      pending: [],
    });
  }

  /**
   * What an artifact's body keeps of its script when it leaves the world (src/persist/artifacts.ts
   * `take` and `sync` write it to the artifact's row): source, version, author, admin flag, the
   * store's canonical JSON and the suspension, or null without a script. Timers, pending commands
   * and spawned spheres are not kept (event-bodies CarriedScript). Read between ticks, this is the
   * state the script has when an '_ax' published now removes the body: the apply of that tick
   * despawns the body before the scripts' calls, so the script is not called again.
   */
  carry(h: BodyHandle): CarriedScript | null {
    const a = this.scripts.get(h);
    if (!a) return null;
    return { src: a.source, v: a.version, by: a.by, adm: a.admin, store: a.script?.serializeStore() ?? a.frozenStore, susp: a.suspended };
  }

  /**
   * '_ar' with a carried script (MainSim.placeArtifact, in the event's tick): attaches `c` to the
   * artifact's new body `body` with its version, author, admin flag, store and suspension; no
   * timers, no pending commands. No permission is checked: the script was attached by the
   * artifact's master or an admin, and '_ar' is a server event. It is listed in `attached` (a
   * scripts row for the new body) and audited as 'script.attach' by the script's author
   * (actorPublicId 0: the server), args [body, version, "artifact <id>"].
   */
  attachCarried(body: BodyHandle, c: CarriedScript, tick: number, w: ScriptWorld, artifactId: number): void {
    const old = this.scripts.get(body);
    if (old) {
      this.drop(old);
      this.scripts.delete(body);
    }
    const a: Attached = {
      body,
      source: c.src,
      version: c.v,
      at: tick,
      by: c.by,
      admin: c.adm,
      script: null,
      suspended: c.susp,
      frozenStore: c.store,
      timers: [],
      spawned: [],
      pending: [],
    };
    this.scripts.set(body, a);
    const name = encodeHandle(body);
    let message = `script v${c.v} of artifact ${artifactId} re-attached to ${name}`;
    if (!c.susp) {
      const script = this.loadSandbox({ objectId: objectIdOf(body), source: c.src, store: c.store, limits: this.opts.limits });
      a.script = script;
      if (script.suspended) {
        this.suspend(a, script.suspended, w, tick);
        message += `, but it does not load: ${script.suspended.code}`;
      }
    } else message += `, suspended (${c.susp.code})`;
    this.attached.push({ tick, body, version: c.v, source: c.src, by: c.by, admin: c.adm });
    w.social.output.audit.push({
      tick,
      actor: c.by,
      actorPublicId: 0,
      command: 'script.attach',
      args: [name, String(c.v), `artifact ${artifactId}`],
      ok: true,
      message,
    });
  }

  /** The commands queued by the last calls: impulses into `commands`, spheres added, chat lines out. */
  beginTick(tick: number, w: ScriptWorld, commands: Command[]): void {
    if (this.scripts.size === 0) return;
    const present = presentIds(w.social);
    for (const a of this.sorted()) {
      const pending = a.pending;
      if (pending.length === 0) continue;
      a.pending = [];
      const name = encodeHandle(a.body);
      const refuse = (code: ErrorCode, message: string): void =>
        w.refuse({ tick, type: 'script', origin: 0, body: name }, code, `script of ${name}: ${message}`);
      for (const c of pending) {
        if (!w.isBody(a.body)) break;
        if (c.kind === 'impulse') {
          const owner = w.social.ownershipOf(a.body).owner;
          if (!a.admin && owner !== null && owner !== a.by) refuse(ERROR.NOT_OWNER, 'an impulse on an object owned by another');
          else commands.push({ kind: 'impulse', body: a.body, value: [c.x / 1000, c.y / 1000, c.z / 1000] });
        } else if (c.kind === 'spawn') {
          a.spawned = a.spawned.filter((s) => w.isBody(s));
          if (a.spawned.length >= this.spawnLimit) {
            refuse(ERROR.FULL, `at most ${this.spawnLimit} spawned spheres live at once`);
            continue;
          }
          const p = w.world.positionRaw(a.body);
          const pos: Vec3 = [(mm(p[0]) + c.dx) / 1000, (mm(p[1]) + c.dy) / 1000, (mm(p[2]) + c.dz) / 1000];
          const s = w.spawnSphere(pos, [c.vx / 1000, c.vy / 1000, c.vz / 1000]);
          if (typeof s === 'string') refuse(ERROR.FULL, s);
          else {
            a.spawned.push(s);
            const who = a.by === 0 ? null : a.by; // a scene's script spawns the world's spheres
            w.social.setObject(s, { owner: who, master: who, rule: 'ask' });
          }
        } else if (c.kind === 'chat') {
          const out = w.social.output;
          out.outbox.push({ to: present, msg: { kind: 'chat', channel: CHAT_CHANNEL.WORLD, from: 0, to: name, text: c.text, tick } });
          out.chat.push({ channel: CHAT_CHANNEL.WORLD, key: 'world', from: 0, to: name, text: c.text, tick });
        }
      }
    }
  }

  /**
   * After the step: every scripted object's events of the tick, its call, its commands queued;
   * then the checkpoint when the new state tick is one. `tick` is the applied tick (state tick + 1 now).
   */
  afterStep(tick: number, w: ScriptWorld): void {
    if (this.scripts.size === 0) return;
    const state = tick + 1;
    const touches = new Map<BodyHandle, Array<{ kind: 'begin' | 'end'; other: BodyHandle }>>();
    for (const ev of w.world.events()) {
      if (!this.scripts.has(ev.body)) continue;
      let l = touches.get(ev.body);
      if (!l) touches.set(ev.body, (l = []));
      l.push({ kind: ev.kind, other: ev.other });
    }
    const chats = new Map<BodyHandle, Array<[number, string]>>();
    for (const [h, from, text] of this.inbox) {
      let l = chats.get(h);
      if (!l) chats.set(h, (l = []));
      l.push([from, text]);
    }
    const calls: Array<{ a: Attached; self: ScriptSelfView; events: ScriptEvent[] }> = [];
    for (const a of this.sorted()) {
      if (!w.isBody(a.body)) {
        // the object left the world: its script goes with it
        this.drop(a);
        this.scripts.delete(a.body);
        continue;
      }
      if (!a.script) continue;
      const id = objectIdOf(a.body);
      const events: ScriptEvent[] = [];
      let seq = 0;
      while (a.timers.length > 0 && a.timers[0] <= state) events.push({ type: 'timer', order: [0, 0, seq++], data: { due: a.timers.shift() as number } });
      for (const t of touches.get(a.body) ?? []) {
        const other = SLOT(t.other);
        events.push({ type: t.kind === 'begin' ? 'touch' : 'untouch', order: [1, mix32(id, other), seq++], data: { other: encodeHandle(t.other) } });
      }
      for (const [from, text] of chats.get(a.body) ?? []) events.push({ type: 'chat', order: [2, mix32(id, from), seq++], data: { from, text } });
      if (events.length === 0) continue;
      const p = w.world.positionRaw(a.body),
        v = w.world.velocity(a.body);
      const self = {
        id,
        tick: state,
        position: [mm(p[0]), mm(p[1]), mm(p[2])] as const,
        velocity: [Math.round(v[0] * 1000), Math.round(v[1] * 1000), Math.round(v[2] * 1000)] as const,
      };
      calls.push({ a, self, events });
    }
    // the calls (on the world thread one after another, or one request per script thread), then
    // their results in slot order: nothing a call does changes another call's inputs
    const pool = this.pool;
    let results: Array<{ ok: true; commands: ScriptCommand[] } | { ok: false; code: ScriptErrorCode; message: string }>;
    if (pool) {
      const every = this.checkpointEvery,
        left = every - (state % every);
      const checkpoint: ThreadOp | null = left === every ? { op: 'reset' } : left <= this.prepareTicks ? { op: 'prepare', left } : null;
      results = pool.run(
        calls.map((c) => ({ script: c.a.script as RemoteScript, self: c.self, events: c.events })),
        checkpoint,
      ) as typeof results;
    } else {
      results = calls.map((c) => (c.a.script as Script).deliver(c.self, c.events));
    }
    calls.forEach(({ a }, i) => {
      const r = results[i];
      if (!r.ok) {
        this.suspend(a, { code: r.code, message: r.message }, w, tick);
        return;
      }
      for (const c of r.commands) {
        if (c.kind === 'timer') insertSorted(a.timers, state + c.ticks);
        else a.pending.push(c);
      }
    });
    // with script threads, each thread did its share of the checkpoint work in the request
    if (!pool) this.checkpoint(state);
  }

  /**
   * Running scripts whose fresh sandbox for the next checkpoint is not built yet (0 right before a
   * checkpoint tick when `prepareTicks` > 0: that tick then only swaps sandboxes).
   */
  get resetsToBuild(): number {
    if (this.pool) return this.pool.toBuild;
    let n = 0;
    for (const a of this.scripts.values()) if (a.script && !(a.script as Script).resetReady) n++;
    return n;
  }

  /**
   * The checkpoint rule at state tick `state` (after the calls): at a checkpoint every running
   * script is reset (swapping in the sandbox built ahead, or building it now); in the
   * `prepareTicks` state ticks before one, an equal share of the scripts still without a fresh
   * sandbox gets one built (slot order), so the last tick before the checkpoint leaves none.
   * Building early gives the sandbox a build at the checkpoint would (Script.prepareReset), so
   * the results do not depend on `prepareTicks`.
   */
  private checkpoint(state: number): void {
    const every = this.checkpointEvery;
    if (state % every === 0) {
      for (const a of this.sorted()) (a.script as Script | null)?.reset();
      return;
    }
    // applies left before the checkpoint tick's state, this one included: 1 in the last one
    const left = every - (state % every);
    if (left > this.prepareTicks) return;
    const todo = this.sorted().filter((a) => a.script && !(a.script as Script).resetReady);
    const share = Math.ceil(todo.length / left);
    for (let i = 0; i < share; i++) (todo[i].script as Script).prepareReset();
  }

  /** The scripts' part of the state hash ('' without scripts: a world without them hashes as before). */
  hashText(): string {
    if (this.scripts.size === 0) return '';
    // the text JSON.stringify(this.save(false)) gives (tested), built without the objects and with
    // each script's constant head (handle, source, version, author) serialized once per attach
    const parts: string[] = [];
    for (const a of this.sorted()) {
      a.hashHead ??= `{"b":${JSON.stringify(a.body.toString())},"src":${JSON.stringify(a.source)},"v":${JSON.stringify(a.version)},"by":${JSON.stringify(a.by)},"adm":${JSON.stringify(a.admin)}`;
      parts.push(
        `${a.hashHead},"store":${JSON.stringify(a.script?.serializeStore() ?? a.frozenStore)},"timers":${JSON.stringify(a.timers)},"spawned":${JSON.stringify(a.spawned.map((h) => h.toString()))},"pending":${JSON.stringify(a.pending)},"susp":${JSON.stringify(a.suspended)}}`,
      );
    }
    return `|scripts:[${parts.join(',')}]`;
  }

  /**
   * The scripts' state (MainSim.save), slot order. `withTick` false leaves out the attach tick
   * (what hashText hashes: the hash is the same as before the tick was kept).
   */
  save(withTick = true): SavedScript[] {
    return this.sorted().map((a) => ({
      b: a.body.toString(),
      src: a.source,
      v: a.version,
      ...(withTick ? { at: a.at } : {}),
      by: a.by,
      adm: a.admin,
      store: a.script?.serializeStore() ?? a.frozenStore,
      timers: a.timers,
      spawned: a.spawned.map((h) => h.toString()),
      pending: a.pending,
      susp: a.suspended,
    }));
  }

  /** Restores `save()`'s output: every running script gets a fresh sandbox from source and store. */
  load(saved: SavedScript[]): void {
    for (const s of saved) {
      const body = BigInt(s.b);
      const script = s.susp ? null : this.loadSandbox({ objectId: objectIdOf(body), source: s.src, store: s.store, limits: this.opts.limits });
      this.scripts.set(body, {
        body,
        source: s.src,
        version: s.v,
        at: s.at ?? -1,
        by: s.by,
        admin: s.adm,
        script,
        suspended: s.susp,
        frozenStore: s.store,
        timers: [...s.timers],
        spawned: s.spawned.map((h) => BigInt(h)),
        pending: [...s.pending],
      });
    }
  }

  /** Frees every sandbox and stops the script threads. */
  dispose(): void {
    for (const a of this.scripts.values()) this.drop(a);
    this.scripts.clear();
    this.pool?.close();
  }

  /** A sandbox on the world thread or on the object's script thread. */
  private loadSandbox(spec: ScriptSpec): Sandbox {
    return this.pool ? this.pool.load(spec) : this.opts.engine.load(spec);
  }

  private free(s: Sandbox): void {
    if (s instanceof RemoteScript) this.pool?.dispose(s);
    else s.dispose();
  }

  private sorted(): readonly Attached[] {
    return this.scripts.inOrder();
  }

  private drop(a: Attached): void {
    if (a.script) {
      a.frozenStore = a.script.serializeStore();
      this.free(a.script);
      a.script = null;
    }
  }

  private suspend(a: Attached, why: { code: ScriptErrorCode; message: string }, w: ScriptWorld, tick: number): void {
    this.drop(a);
    a.suspended = why;
    a.pending = [];
    a.timers = [];
    const name = encodeHandle(a.body);
    const message = `${name} ${why.code}: ${why.message}`;
    const out = w.social.output;
    const to = presentIds(w.social).filter((p) => w.social.principal(p) === a.by);
    if (to.length > 0) out.outbox.push({ to, msg: { kind: 'adminResult', command: 'script.suspended', ok: false, message } });
    out.audit.push({ tick, actor: a.by, actorPublicId: 0, command: 'script.suspended', args: [name, String(a.version), why.code], ok: false, message });
  }
}

/** Public ids present now, ascending (SocialSim.identities). */
function presentIds(social: SocialSim): number[] {
  return social.identities().map((s) => Number(s.split(',')[0]));
}

function insertSorted(list: number[], v: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1] > v) i--;
  list.splice(i, 0, v);
}
