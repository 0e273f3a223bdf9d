/**
 * The wire messages as plain TypeScript values: what `encode*` produces bytes from and what
 * `decode*` (verify first, then read) returns. The FlatBuffers schemas in schemas/ are the
 * wire format; these types are the one shape the host, the main sim and the client library
 * share, so nothing outside src/protocol/ touches generated FlatBuffers code.
 *
 *   client --ClientMessage ("TSCL")--> host --ServerMessage ("TSSV")--> client
 *   host  --ShardMessage  ("TSSH")--> shard (and shard <-> shard, shard -> host)
 *
 * Units: every physical quantity is a raw fixed-point integer (bigint, Q47.16: metres, m/s)
 * unless the field says "quantised"; ticks are u32 counters; public ids are u32 (0 = the
 * server, written '_' in the JSON endpoint).
 */

/**
 * Version of the wire protocol; Hello carries it and the host refuses any other (BAD_VERSION).
 * 2: static heightfields and meshes on the wire (BodyShape shapes 4 and 5 with the asset id in
 * `sx`, and the ServerGeometry message; docs/protocol.md sections 5 and 14).
 * 3: joints on the wire (JointInfo in snapshots and deltas, removed joints in deltas;
 * docs/protocol.md section 16).
 */
export const PROTOCOL_VERSION = 4;

/** The WebSocket subprotocol of this version (`tessera.v<PROTOCOL_VERSION>`). */
export const SUBPROTOCOL = `tessera.v${PROTOCOL_VERSION}`;

/** Most values (i32) in one ServerGeometry part: 16,384, so a part is at most 64 KiB of values plus about 100 bytes. */
export const GEOMETRY_PART_VALUES = 16384;

/** A body handle: slot index and generation. */
export interface Handle {
  index: number;
  generation: number;
}

/** A raw Q47.16 3-vector. */
export type RawVec3 = readonly [bigint, bigint, bigint];

/** Public id of the server as an event origin. */
export const SERVER_ORIGIN = 0;

/**
 * An event of a stream (GoEventStream): the tick it applies to, its type ('_a' reset, '_c'
 * connect, '_d' disconnect, '_'-prefixed server types, anything else a client type), its origin
 * (public id, 0 = server) and an arbitrary UTF-8 body.
 */
export interface StreamEvent {
  tick: number;
  type: string;
  origin: number;
  body: string;
}

/**
 * A client's movement input for one tick (hot path, a fixed-size struct on the wire):
 * walk direction in thousandths (-1000..1000 on x and z, the character's target velocity
 * as a fraction of its walk speed), jump, and a client sequence number for acknowledgement.
 */
export interface InputFrame {
  seq: number;
  walkX: number;
  walkZ: number;
  jump: boolean;
}

/** Interest: the client's centre (avatar or camera) and the radius in grid cells around it. */
export interface Interest {
  center: RawVec3;
  cells: number;
}

/** Chat channel kinds. */
export const CHAT_CHANNEL = { WORLD: 0, LOCAL: 1, PRIVATE: 2, GROUP: 3 } as const;

/** Ownership rules (seed 002) and request actions. */
export const OWNERSHIP_RULE = { ASK: 0, DENY: 1, ALLOW: 2 } as const;
export const OWNERSHIP_ACTION = { REQUEST: 0, RELEASE: 1, GRANT: 2, REFUSE: 3, SET_RULE: 4 } as const;

/**
 * Body shapes in a BodyShape (match the core's shape codes). HULL: sx its asset id (its vertices
 * and faces in the body's frame come as ServerGeometry); ROTATING_CAPSULE: sx its radius, sy the
 * half length of its core along its local y axis, turned by the body's rotation; COMPOUND: sx its
 * asset id (its children's triangles in the body's frame come as ServerGeometry).
 */
export const SHAPE = { SPHERE: 0, CAPSULE: 1, BOX: 2, PLANE: 3, HEIGHTFIELD: 4, MESH: 5, HULL: 6, ROTATING_CAPSULE: 7, COMPOUND: 8 } as const;

/** Messages a client sends. */
export type ClientMessage =
  /**
   * predict (protocol 4, optional): the client predicts its avatar, so after each state the host
   * also sends it an 'avatarRecord' (docs/protocol.md section 19). Decoding leaves it out when false.
   */
  | {
      kind: 'hello';
      version: number;
      token: string;
      stream: string;
      privateId: string;
      lastKnownTick: number | null;
      interest: Interest | null;
      predict?: boolean;
      /**
       * predictRadius (protocol 4, optional, with predict): millimetres around the avatar within
       * which the host adds the dynamic bodies' raw records to each 'avatarRecord' (`nearby`;
       * docs/protocol.md section 19.1). Decoding leaves it out when 0.
       */
      predictRadius?: number;
      /**
       * packedDeltas (protocol 4, optional): the client decodes ServerDelta.packed (docs/protocol.md
       * section 7.2, src/sim/packed-state.ts), so the host may send changed bodies as per-field
       * differences against the acknowledged base. Decoding leaves it out when false.
       */
      packedDeltas?: boolean;
      /**
       * predictedDeltas (protocol 4, optional; issue 22): the client decodes ServerDelta.predicted
       * (docs/protocol.md section 7.3, src/sim/packed-state.ts unpackPredicted): changed bodies as
       * residuals against the base extrapolated by its velocity. A host that knows it sends those
       * instead of `packed`. Absent or false: nothing changes.
       */
      predictedDeltas?: boolean;
      /**
       * quietTicks (protocol 4, optional; issue 22): the client understands 'quiet' (docs/protocol.md
       * section 7.4), so for a tick with no stream event and nothing changed in its view the host
       * may send one 'quiet' instead of the tick's 'events' and 'delta'. Absent or false: both, always.
       */
      quietTicks?: boolean;
    }
  /**
   * tick (protocol 4): the tick the client meant the input for; absent or 0 = none (the open tick
   * on arrival; docs/protocol.md section 18). Decoding leaves it out when it is 0.
   */
  | { kind: 'input'; input: InputFrame; tick?: number }
  | { kind: 'publish'; type: string; body: string }
  | { kind: 'chat'; channel: number; to: string; text: string }
  | { kind: 'spawn'; shape: number; position: RawVec3; velocity: RawVec3; size: RawVec3 }
  | { kind: 'ownership'; body: Handle; action: number; rule: number; target: number }
  | { kind: 'admin'; command: string; args: string[] }
  | { kind: 'ack'; tick: number }
  | { kind: 'interest'; interest: Interest }
  | { kind: 'ping'; nonce: bigint }
  /** Lag-compensated raycast (protocol 4): origin, direction (raw Q47.16), length (raw Q47.16 m) against the poses of `tick`. */
  | { kind: 'lagRaycast'; nonce: number; tick: number; origin: RawVec3; direction: RawVec3; length: bigint };

/**
 * A body's state in a snapshot or delta, quantised: position in 1/1024 m (i32, raw >> 6,
 * +-2,097 km), rotation as a unit quaternion x 32768 (raw >> 1, i16 each, clamped to +-32767), linear velocity in 1/256 m/s
 * (i16, +-128 m/s, clamped), and the shard with authority (255 = none / static).
 */
export interface BodyState {
  index: number;
  generation: number;
  px: number;
  py: number;
  pz: number;
  qx: number;
  qy: number;
  qz: number;
  qw: number;
  vx: number;
  vy: number;
  vz: number;
  shard: number;
}

/** What a body looks like, sent once per body when it enters a client's interest: shape, kind, size in 1/1024 m (radius, half extents / half height). */
export interface BodyShape {
  index: number;
  generation: number;
  shape: number;
  kind: number;
  sx: number;
  sy: number;
  sz: number;
}

/**
 * One part of a static geometry asset (ServerGeometry, schemas/server.fbs): the asset `id`
 * (what the body's BodyShape carries in `sx`), its shape (SHAPE.HEIGHTFIELD or SHAPE.MESH) and
 * header, and its values `first` .. `first + values.length - 1`. The values of a heightfield
 * are its nx * nz heights, raw Q47.16 metres, row-major by z; of a mesh, vertexCount vertices
 * (x, y, z raw Q47.16 metres) then indexCount vertex indices (three per triangle,
 * counter-clockwise seen from the front). Heightfield header (0 for a mesh): samples nx, nz;
 * cell sizes cellX, cellZ and the position of sample (0, 0) originX, originZ, raw Q47.16 metres.
 */
export interface GeometryPart {
  kind: 'geometry';
  id: number;
  shape: number;
  nx: number;
  nz: number;
  cellX: number;
  cellZ: number;
  originX: number;
  originZ: number;
  vertexCount: number;
  indexCount: number;
  first: number;
  values: Int32Array;
}

/** Joint kinds of a JointInfo (the core's JOINT_KIND codes; 0 is never sent). */
export const JOINT_KIND = { FIXED: 1, HINGE: 2, BALL: 3, DISTANCE: 4 } as const;

/**
 * Flag bits of a JointInfo: LIMITS (lower/upper hold), MOTOR (a velocity motor), TARGET (the
 * motor drives the hinge to `target`). On the wire bit 8 (JOINT_WIRE_WORLD) says B is the static
 * world; in the value that is `b: null`.
 */
export const JOINT_FLAG = { LIMITS: 1, MOTOR: 2, TARGET: 4 } as const;
/** The wire's flag bit for "B is the world" (JointInfo.b === null). */
export const JOINT_WIRE_WORLD = 8;

/**
 * A joint in a client's interest (protocol 3; schemas/server.fbs JointInfo): its handle, kind,
 * flags (JOINT_FLAG), the bodies it holds (b null: the static world), the anchors in each body's
 * own frame in 1/1024 m (anchorB a world point when b is null), the axes in each body's frame as
 * unit vectors x 32768 (axisB a world direction when b is null; 0 for ball and distance joints),
 * hinge limits and motor target in 1/65536 rad (0 unless the flag says), a distance joint's
 * shortest and longest anchor distance in 1/1024 m (0 for other kinds).
 */
export interface JointInfo {
  index: number;
  generation: number;
  kind: number;
  flags: number;
  a: Handle;
  b: Handle | null;
  anchorA: [number, number, number];
  anchorB: [number, number, number];
  axisA: [number, number, number];
  axisB: [number, number, number];
  lower: number;
  upper: number;
  target: number;
  minLength: number;
  maxLength: number;
}

/** Messages the host sends to a client. */
export type ServerMessage =
  | { kind: 'welcome'; version: number; publicId: number; stream: string; tick: number; tickRate: number; seed: string }
  /**
   * inputSeq/inputTick (protocol 4): for the recipient, the highest input seq applied before `tick`
   * and the tick it was applied at; absent = 0 (none yet). Always on the wire; decoding leaves
   * each out when it is 0.
   */
  | { kind: 'snapshot'; tick: number; bodies: BodyState[]; shapes: BodyShape[]; joints: JointInfo[]; inputSeq?: number; inputTick?: number }
  | {
      kind: 'delta';
      baseTick: number;
      tick: number;
      bodies: BodyState[];
      shapes: BodyShape[];
      removed: Handle[];
      joints: JointInfo[];
      removedJoints: Handle[];
      inputSeq?: number;
      inputTick?: number;
      /**
       * (protocol 4, optional: only to a client whose hello set packedDeltas) The changed bodies the
       * client holds at baseTick, bit-packed against their state there (src/sim/packed-state.ts
       * packBody / unpackBodies; docs/protocol.md section 7.2); `bodies` then holds only bodies new
       * to the client. Absent when there are none (decoding leaves an empty vector out).
       */
      packed?: Uint8Array;
      /**
       * (protocol 4, optional: only to a client whose hello set predictedDeltas) The changed
       * bodies the client holds at baseTick as residuals against their prediction from the base
       * (docs/protocol.md section 7.3; src/sim/packed-state.ts unpackPredicted). Never together
       * with `packed`.
       */
      predicted?: Uint8Array;
    }
  | { kind: 'events'; tick: number; events: StreamEvent[] }
  | { kind: 'chat'; channel: number; from: number; to: string; text: string; tick: number }
  | { kind: 'ownership'; body: Handle; owner: number; master: number; rule: number; tick: number }
  | { kind: 'adminResult'; command: string; ok: boolean; message: string }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'pong'; nonce: bigint; tick: number }
  /**
   * Answer to a lagRaycast (protocol 4): code 0 (cast; hit, body, distance and point raw Q47.16 m
   * when hit) or OUT_OF_WINDOW / BAD_VALUE (not cast).
   */
  | { kind: 'lagRaycast'; nonce: number; tick: number; code: number; hit: boolean; body: Handle; distance: bigint; point: RawVec3 }
  /**
   * (protocol 4, optional: only to a client whose hello set `predict`) The raw body record of the
   * recipient's avatar (`body`) in the state of `tick`: BODY_RECORD_BYTES (312) bytes as the core
   * exports them (src/physics/world-layout.ts BODY_RECORD; raw Q47.16 fields). docs/protocol.md section 19.
   * `nearby` (only with hello.predictRadius): the raw records of the dynamic bodies near the avatar
   * in the same state, BODY_RECORD_BYTES each, concatenated in slot order (section 19.1); absent when none.
   */
  | { kind: 'avatarRecord'; tick: number; body: Handle; record: Uint8Array; nearby?: Uint8Array }
  /**
   * (protocol 4, optional: only to a client whose hello set quietTicks) Tick `tick` brought the
   * recipient nothing: it stands for an 'events' of `tick` with no events and a 'delta' from
   * `baseTick` to `tick` with every vector empty and these inputSeq / inputTick
   * (docs/protocol.md section 7.4). Acknowledge `tick` as that delta.
   */
  | { kind: 'quiet'; baseTick: number; tick: number; inputSeq: number; inputTick: number }
  | GeometryPart;

/** Physics command kinds on the shard protocol (match src/physics/world.ts Command). */
export const SHARD_COMMAND = { DESPAWN: 0, SET_POSITION: 1, SET_VELOCITY: 2, IMPULSE: 3, FORCE: 4, CHARACTER_INPUT: 5 } as const;

/** One physics command: body, kind, a raw vector (walk x/z in value[0]/value[2] for character input), jump. */
export interface ShardCommand {
  body: Handle;
  kind: number;
  value: RawVec3;
  jump: boolean;
}

/** A physics event: BEGIN (0) or END (1) of a contact of `body` (which the sender has authority over) with `other`. */
export interface PhysicsEventMsg {
  kind: number;
  body: Handle;
  other: Handle;
}

/** Messages between the host and shards and between neighbouring shards. */
export type ShardMessage =
  | { kind: 'advance'; tick: number; commands: ShardCommand[] }
  | { kind: 'ghosts'; tick: number; from: number; records: Uint8Array[] }
  | { kind: 'handoff'; tick: number; from: number; to: number; records: Uint8Array[] }
  | { kind: 'physicsEvents'; tick: number; shard: number; events: PhysicsEventMsg[] }
  | { kind: 'hash'; tick: number; shard: number; hash: bigint };
