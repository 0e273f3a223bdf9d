/**
 * Artifacts (seed 003: objects players own or build) between the store and the world stream.
 *
 *   create/place ──> row in SQLite (durable) ──> '_ar' server event ──> MainSim body + ownership
 *                    (+ the script the row keeps, attached to the new body in the event's tick)
 *   take         ──> '_ax' server event; the row keeps its last state and is marked held
 *                    (its script too: source, version, author, store; not timers)
 *   sync(loop)   <── every snapshot and at stop: ownership, physics state and script of the placed ones
 *   restoreInto  ──> a world started without a snapshot gets its placed artifacts back
 *
 * The world snapshot and log are the authority for artifacts in a world (they restore bit for
 * bit); the rows are the durable, queryable record (inventories, a world reset, other nodes).
 *
 * Local and remote records (seed 001): a record's origin is 'local' or the node it was fetched
 * from. Remote records are a cache: `remote()` returns the cached copy while it is fresher than
 * `maxAgeMs`, else fetches it again through a RemoteRecordSource (the cluster transport comes
 * later); when the fetch fails a stale copy is returned marked stale. They are never edited
 * here: changes go to their origin node.
 */
import type { ArtifactRecord, ArtifactStore } from './store';
import { PersistError } from './migrations';
import type { OwnershipRule } from '../sim/main-sim';
import { ARTIFACT_PLACE, ARTIFACT_TAKE, type ArtifactPlacement, type ArtifactShape } from '../sim/event-bodies';
import type { EventStream } from '../sim/stream';
import type { WorldLoop } from '../sim/world-loop';

/** Fetches a record from the node that owns it. Rejects when the node cannot be reached or has no such record. */
export interface RemoteRecordSource {
  fetchArtifact(origin: string, remoteId: number): Promise<Omit<ArtifactRecord, 'id' | 'origin' | 'remoteId' | 'fetchedMs' | 'stream'>>;
}

/** What a new artifact is. Position m, velocity m/s, mass kg; owner and master are account ids (null = the world). */
export interface ArtifactSpec {
  owner: number | null;
  master?: number | null;
  rule?: OwnershipRule;
  shape: ArtifactShape;
  mass?: number;
  position: [number, number, number];
  velocity?: [number, number, number];
  custom?: unknown;
}

/** A remote record and whether it is older than asked for (the origin could not be reached). */
export interface CachedRecord {
  record: ArtifactRecord;
  stale: boolean;
}

const mm = (v: readonly number[]): [number, number, number] => [Math.round(v[0] * 1000), Math.round(v[1] * 1000), Math.round(v[2] * 1000)];

/** Artifacts of one node. */
export class ArtifactService {
  constructor(
    private readonly store: ArtifactStore,
    private readonly opts: { now?: () => number; remote?: RemoteRecordSource } = {},
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /**
   * Creates an artifact (the row is committed before this returns) and, with `stream`, places
   * it in that world stream (an '_ar' event in its open tick). Throws PersistError BAD_VALUE for
   * a spec the world would refuse (shape sizes 0.05..4 m, mass 0..10,000 kg, positions within
   * 1,000 km).
   */
  create(spec: ArtifactSpec, stream?: EventStream): ArtifactRecord {
    const rec = this.store.createArtifact({
      origin: 'local',
      remoteId: null,
      ownerId: spec.owner,
      masterId: spec.master ?? spec.owner,
      rule: spec.rule ?? 'ask',
      shape: spec.shape,
      mass: spec.mass ?? 1,
      position: spec.position,
      velocity: spec.velocity ?? [0, 0, 0],
      custom: JSON.stringify(spec.custom ?? {}),
      stream: null,
      fetchedMs: null,
      updatedMs: this.now(),
    });
    if (!ARTIFACT_PLACE.decode(ARTIFACT_PLACE.encode(placement(rec)))) {
      this.store.deleteArtifact(rec.id);
      throw new PersistError('BAD_VALUE', 'artifact spec out of range: shape sizes 0.05..4 m, mass 0..10000 kg, positions within 1000 km');
    }
    return stream ? this.place(rec.id, stream) : rec;
  }

  /**
   * Places a held local artifact in `stream` at its stored position (or `at`, m). Throws
   * PersistError NOT_FOUND (no such artifact) or CONFLICT (already placed, or a remote record).
   * Whether the caller may place it is the game's decision (ownership rules).
   */
  place(id: number, stream: EventStream, at?: [number, number, number]): ArtifactRecord {
    const rec = this.local(id);
    if (rec.stream !== null) throw new PersistError('CONFLICT', `artifact ${id} is already placed in ${rec.stream}`);
    const placed = { ...rec, position: at ?? rec.position, stream: stream.name, updatedMs: this.now() };
    this.store.updateArtifacts([placed]);
    stream.publishServer(ARTIFACT_PLACE.type, ARTIFACT_PLACE.encode(placement(placed)));
    return placed;
  }

  /**
   * Takes a placed artifact out of its world ('_ax'), keeping its state as of now in `loop`, with
   * its body's script (source, version, author, admin flag, store, suspension: WorldScripts.carry)
   * when the world runs scripts. The next `place` carries that script back in its '_ar'.
   * Throws PersistError NOT_FOUND / CONFLICT (not placed in this loop's stream).
   */
  take(id: number, loop: WorldLoop): ArtifactRecord {
    const rec = this.local(id);
    if (rec.stream !== loop.stream.name) throw new PersistError('CONFLICT', `artifact ${id} is not placed in ${loop.stream.name}`);
    const [now] = this.stateIn(loop, [rec]);
    const held = { ...now, stream: null };
    this.store.updateArtifacts([held]);
    loop.stream.publishServer(ARTIFACT_TAKE.type, ARTIFACT_TAKE.encode({ id }));
    return held;
  }

  /**
   * Writes the ownership and physics state of every artifact placed in `loop`'s world to the
   * store, in one transaction: call after each snapshot and at a graceful stop. Returns how
   * many rows were written.
   */
  sync(loop: WorldLoop): number {
    const rows = this.stateIn(
      loop,
      this.store.artifactsIn(loop.stream.name).filter((r) => loop.sim.artifacts.has(r.id)),
    );
    this.store.updateArtifacts(rows);
    return rows.length;
  }

  /**
   * For a world that started fresh (no snapshot, e.g. a reset or a new scene): publishes '_ar'
   * for every artifact the store has placed in its stream, where it was last synced. Returns how many.
   */
  restoreInto(loop: WorldLoop): number {
    const rows = this.store.artifactsIn(loop.stream.name).filter((r) => !loop.sim.artifacts.has(r.id));
    for (const r of rows) loop.stream.publishServer(ARTIFACT_PLACE.type, ARTIFACT_PLACE.encode(placement(r)));
    return rows.length;
  }

  /** Artifacts an account owns on this node. */
  ownedBy(accountId: number): ArtifactRecord[] {
    return this.store.artifactsOwnedBy(accountId);
  }

  /**
   * A record of another node: the cached copy if fetched within `maxAgeMs`, else fetched again
   * and cached. When the origin cannot be reached, the cached copy marked stale; without one,
   * PersistError NOT_FOUND. Throws BAD_VALUE for origin 'local' and NOT_FOUND without a RemoteRecordSource.
   */
  async remote(origin: string, remoteId: number, maxAgeMs = 60_000): Promise<CachedRecord> {
    if (origin === 'local') throw new PersistError('BAD_VALUE', "remote() is for other nodes' records; use get() for local ones");
    const cached = this.store.remoteArtifact(origin, remoteId);
    if (cached && cached.fetchedMs !== null && this.now() - cached.fetchedMs <= maxAgeMs) return { record: cached, stale: false };
    const src = this.opts.remote;
    if (!src) {
      if (cached) return { record: cached, stale: true };
      throw new PersistError('NOT_FOUND', `no remote source configured to fetch ${origin} artifact ${remoteId}`);
    }
    try {
      const got = await src.fetchArtifact(origin, remoteId);
      const record = this.store.cacheRemoteArtifact({ ...got, origin, remoteId, stream: null, fetchedMs: this.now() });
      return { record, stale: false };
    } catch (e) {
      if (cached) return { record: cached, stale: true };
      throw new PersistError('NOT_FOUND', `${origin} artifact ${remoteId}: ${(e as Error).message}`);
    }
  }

  /** A local artifact. Throws PersistError NOT_FOUND, or CONFLICT for a remote record (edit it on its origin node). */
  get(id: number): ArtifactRecord {
    return this.local(id);
  }

  private local(id: number): ArtifactRecord {
    const rec = this.store.artifact(id);
    if (!rec) throw new PersistError('NOT_FOUND', `no artifact ${id}`);
    if (rec.origin !== 'local') throw new PersistError('CONFLICT', `artifact ${id} is a cached record of ${rec.origin}: change it on that node`);
    return rec;
  }

  /**
   * The records with ownership, physics state and script (WorldScripts.carry) as the world has
   * them now. Called between ticks, this is the state an '_ax' published now removes.
   */
  private stateIn(loop: WorldLoop, rows: readonly ArtifactRecord[]): ArtifactRecord[] {
    const at = this.now();
    return rows.map((r) => {
      const a = loop.sim.artifacts.get(r.id);
      if (!a) return r;
      const o = loop.sim.social.ownershipOf(a.body);
      // guests (negative principals) do not keep artifacts across sessions: the world holds them
      const account = (x: number | null): number | null => (x !== null && x > 0 ? x : null);
      // a world without scripts leaves the row's script as it was (its '_ar' ignored the script)
      const scripts = loop.sim.scripts;
      return {
        ...r,
        script: scripts ? scripts.carry(a.body) : (r.script ?? null),
        ownerId: account(o.owner),
        masterId: account(o.master),
        rule: o.rule,
        position: loop.sim.world.position(a.body),
        velocity: loop.sim.world.velocity(a.body),
        updatedMs: at,
      };
    });
  }
}

/** The '_ar' body of a record. */
function placement(r: ArtifactRecord): ArtifactPlacement {
  return {
    id: r.id,
    owner: r.ownerId,
    master: r.masterId,
    rule: r.rule,
    shape: r.shape,
    mass: r.mass,
    p: mm(r.position),
    v: mm(r.velocity),
    ...(r.script ? { script: r.script } : {}),
  };
}
