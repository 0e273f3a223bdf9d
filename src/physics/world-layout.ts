/**
 * Raw memory layout of one physics world: the single definition of every header slot,
 * per-body array and record offset. `scripts/gen-layout.mjs` writes the AssemblyScript
 * constants (assembly/physics/layout.ts, generated, committed) from this file, and the
 * bindings write each array's absolute address into the world header at creation, so the
 * core and JavaScript can never disagree on an offset.
 *
 * ```
 *  base
 *  +---------------------------+  HEADER_SLOTS x i64: counters, config, then the address
 *  | header                    |  of every array (slot OFFSETS_AT + field index)
 *  +---------------------------+
 *  | body arrays (SoA)         |  one array per field, capacity elements, 64-byte aligned
 *  |  PX PY PZ VX ... (i64)    |  hot solver data first, then properties, then i32 fields
 *  +---------------------------+
 *  | world arrays              |  free list, static and moving lists, static tree,
 *  |                           |  grid buckets, contacts, touching pairs (current,
 *  |                           |  previous), events, query hits
 *  +---------------------------+
 * ```
 *
 * Units: positions in metres, velocities m/s, angular velocities rad/s, all raw Q47.16
 * unless a field says otherwise.
 */

/** Header slots (i64 each). */
export const HEADER = {
  MAGIC: 0,
  VERSION: 1,
  CAPACITY: 2,
  CONTACT_CAPACITY: 3,
  EVENT_CAPACITY: 4,
  GRID_BUCKETS: 5,
  TICK: 6,
  /** Live bodies of every kind. */
  LIVE: 7,
  /** Free-list stack height. */
  FREE_TOP: 8,
  /** Slots ever used (slots >= this were never allocated). */
  HIGH_WATER: 9,
  /** Live dynamic and kinematic bodies. */
  DYNAMIC_COUNT: 10,
  /** Live static bodies (the static list). */
  STATIC_COUNT: 11,
  CONTACT_COUNT: 12,
  TOUCH_COUNT: 13,
  PREV_TOUCH_COUNT: 14,
  EVENT_COUNT: 15,
  /** Status bits of the last step (STATUS_* below); 0 = fine. */
  STATUS: 16,
  HIT_COUNT: 17,
  /** Bodies on the awake list (live dynamic awake bodies and kinematic bodies): what moves this tick. */
  AWAKE_COUNT: 18,
  /** Participants of the last step: awake bodies plus the sleeping bodies that were contact partners. */
  PART_COUNT: 19,
  /** Work counter of the last step: per-body visits summed over every per-body loop (a cost figure, not state). */
  WORK: 20,
  /** Most body slots the world may grow to (src/physics/grow.ts); CAPACITY when it never grows. */
  MAX_CAPACITY: 21,
  /** Joint records the JOINTS array holds (WorldSizes.joints; 0 = none: the world has no joints). */
  JOINT_CAPACITY: 22,
  /** Joint entries ever in use: JOINTS[0, JOINT_HIGH_WATER) (free entries have KIND 0; assembly/physics/joints.ts). */
  JOINT_HIGH_WATER: 23,
  // configuration
  GRAVITY_X: 24,
  GRAVITY_Y: 25,
  GRAVITY_Z: 26,
  /** Ticks per second (integer). */
  TICK_RATE: 27,
  /** Substeps per tick (integer). */
  SUBSTEPS: 28,
  /** Contact margin: pairs closer than this (surface distance, raw) enter the solver. */
  MARGIN: 29,
  /** Broadphase cell size (raw): at least the largest body diameter plus the margin. */
  CELL_SIZE: 30,
  /** Largest bounding radius of any non-static body (raw), kept by addBody. */
  MAX_RADIUS: 31,
  /** 1 = bodies may sleep. */
  SLEEP_ENABLED: 32,
  /** Speed below which a body counts as resting (raw m/s). */
  SLEEP_SPEED: 33,
  /** Ticks a body must rest before it sleeps. */
  SLEEP_TICKS: 34,
  /** Speed limit of every body (raw m/s); faster bodies are clamped. */
  MAX_SPEED: 35,
  /** Relative normal speed below which restitution is ignored (raw m/s). */
  RESTITUTION_THRESHOLD: 36,
  /** floor(2^32 / CELL_SIZE): cell coordinate = (p * INV_CELL) >> 32. */
  INV_CELL: 39,
  /** Separation up to which a character counts as standing on a contact (raw metres). */
  GROUND_TOLERANCE: 40,
  /** Fastest speed at which overlap is pushed out, beyond the approach of the substep (raw m/s). */
  MAX_PUSH: 41,
  /** Over-relaxation of the Jacobi averaging (Q16): a body moves by RELAX / n of its n corrections' sum. */
  RELAX: 42,
  /** Rolling resistance coefficient of spheres on static ground (Q16, dimensionless; 0 = none; see assembly/physics/rolling.ts). */
  ROLLING: 43,
  /** xxHash64 (seed 0) of GEOMETRY[0, GEOMETRY_DIGEST_WORDS): a cache of the world hash (step.ts worldHash), not state. */
  GEOMETRY_DIGEST: 44,
  /** The GEOMETRY_USED that GEOMETRY_DIGEST was computed for (0: none yet). */
  GEOMETRY_DIGEST_WORDS: 45,
  /** i64 words of the GEOMETRY array (its capacity; WorldSizes.geometry). */
  GEOMETRY_CAPACITY: 46,
  /** i64 words of the GEOMETRY array in use: static heightfields and meshes (assembly/physics/terrain.ts), appended by the bindings. */
  GEOMETRY_USED: 47,
  /** Ticks per second times substeps: 1 / h for the substep h (integer). */
  INV_H: 37,
  /** Substep h in Q32 seconds: round(2^32 / INV_H). */
  H_Q32: 38,
  // static geometry (assembly/physics/static-tree.ts)
  /** 1 = the static tree is out of date (a static was created, removed, moved or imported); rebuilt before its next use. */
  STATIC_DIRTY: 48,
  /** Static boxes in the tree: entries [0, STATIC_BOXES) of STATIC_ORDER. */
  STATIC_BOXES: 49,
  /** Other statics (planes; static spheres and capsules): entries [STATIC_BOXES, STATIC_BOXES + STATIC_OTHERS) of STATIC_ORDER. */
  STATIC_OTHERS: 50,
  /** Nodes of the static tree (STATIC_NODES array, depth-first order). */
  STATIC_NODE_COUNT: 51,
  /** Work counter: static tree builds since the world was created. */
  STATIC_BUILDS: 52,
  /** Work counter: static bodies given an exact test (or added as candidates) by the last step (narrowphase and sweeps). */
  STATIC_TESTS: 53,
  /** Work counter: static tree nodes visited by the last step. */
  STATIC_VISITS: 54,
  /** Work counter: bodies given an exact test by the last query (raycast, overlap). */
  QUERY_TESTS: 55,
  /** Work counter: static tree nodes visited by the last query. */
  QUERY_VISITS: 56,
  /** Most boxes per static tree leaf (read by the next build; set STATIC_DIRTY to 1); 0 = the default 4, values below 4 count as 4. */
  STATIC_LEAF: 57,
  /**
   * 1 = no tree (read by the next build; set STATIC_DIRTY to 1): STATIC_ORDER holds the boxes
   * in slot order and every step and query tests every one of them, and queries scan the
   * MOVING list instead of the moving tree: the brute-force scan that test/static-tree.test.ts
   * and test/query-moving.test.ts compare the trees against (same results, more work).
   */
  STATIC_SCAN: 58,
  // moving bodies for queries (assembly/physics/moving-tree.ts)
  /** 1 = the moving tree is out of date (a step ran, or a moving body was created, removed, moved or imported). */
  MOVING_DIRTY: 59,
  /** Nodes of the moving tree (MOVING_NODES array, depth-first order). */
  MOVING_NODE_COUNT: 60,
  /** Work counter: moving tree builds since the world was created. */
  MOVING_BUILDS: 61,
  /** Queries since MOVING_DIRTY was set (the tree is built by the MOVING_BUILD_AFTER-th; the ones before scan). */
  MOVING_QUERIES: 62,
  /**
   * 1 = body tags may differ from slots (a shard world: assembly/physics/shard.ts numbers the
   * bodies it holds densely and tags each with its slot in the whole world); 0 = every
   * body's tag is its slot and TAG is never read. Every order the step depends on is tag order.
   */
  TAGGED: 63,
  /** Start of the array address table. */
  OFFSETS_AT: 64,
} as const;

/** Total header slots (the address table follows OFFSETS_AT). */
export const HEADER_SLOTS = 192;

/**
 * Header magic ("TESSWRLD" as little-endian bytes) and layout version: a saved world of another
 * version is refused (BAD_HEADER). 5: rotating boxes (the solver state's angular velocity before
 * the accumulators, BOX_SCRATCH) and static geometry (header slots 44-47, GEOMETRY). 6: the
 * rotating boxes' per-tick inertia frames and contact normal responses (BOX_INERTIA, BOX_NORMAL).
 */
export const WORLD_MAGIC = 0x444c525753534554n;
export const WORLD_VERSION = 6n;

/** Status bits reported in HEADER.STATUS after a step. */
export const STATUS = {
  /** More candidate pairs than CONTACT_CAPACITY: some contacts were dropped this step. */
  CONTACT_OVERFLOW: 1,
  /** More contact events than EVENT_CAPACITY: the rest were dropped this step. */
  EVENT_OVERFLOW: 2,
} as const;

/**
 * Shape kinds (SHAPE field). CAPSULE is the upright (rotation-locked) capsule of characters;
 * HULL (6) a dynamic convex hull (src/physics/hull.ts, assembly/physics/hull.ts: CHAR_STEP holds
 * the word index of its GEOMETRY block); ROTATING_CAPSULE (7) a dynamic capsule that tumbles
 * (assembly/physics/capsule-contacts.ts: RADIUS its bounding sphere, HX its radius, HY the half
 * length of its core segment along its local y axis); COMPOUND (8) a dynamic body made of 2 to 16
 * child shapes (src/physics/compound.ts, assembly/physics/compound.ts: CHAR_STEP holds the word
 * index of its GEOMETRY block, HX..HZ its equivalent box, RADIUS its bounding sphere).
 */
export const SHAPE = { SPHERE: 0, CAPSULE: 1, BOX: 2, PLANE: 3, HEIGHTFIELD: 4, MESH: 5, HULL: 6, ROTATING_CAPSULE: 7, COMPOUND: 8 } as const;
/** Body kinds (KIND field). Static bodies never move; kinematic bodies move by velocity only. */
export const KIND = { DYNAMIC: 0, KINEMATIC: 1, STATIC: 2 } as const;
/** Body flag bits (FLAGS field). */
export const FLAG = {
  /** The slot holds a live body. */
  LIVE: 1,
  SLEEPING: 2,
  /** Character controller (capsule): walk / jump input, walls do not lift it. */
  CHARACTER: 4,
  /** Set by the step when a character stands on walkable ground. */
  GROUNDED: 8,
  /** A jump was requested (consumed by the next step if grounded). */
  JUMP: 16,
  /** Never sleeps. */
  NO_SLEEP: 32,
  /** Set while the body is an end of a joint (assembly/physics/joints.ts): its orientation advances by its solved rotation. */
  JOINTED: 128,
} as const;
/** Contact event kinds. */
export const EVENT_KIND = { BEGIN: 1, END: 2 } as const;

/** Per-body arrays: [name, bytes per element]. Order is memory order (hot data first). */
export const BODY_FIELDS = [
  // hot solver state (i64, raw Q47.16)
  ['PX', 8],
  ['PY', 8],
  ['PZ', 8],
  ['VX', 8],
  ['VY', 8],
  ['VZ', 8],
  ['WX', 8],
  ['WY', 8],
  ['WZ', 8],
  // positions at the start of the tick (Q16)
  ['X0X', 8],
  ['X0Y', 8],
  ['X0Z', 8],
  ['INV_MASS', 8],
  ['INV_INERTIA', 8],
  // orientation and shape
  ['QX', 8],
  ['QY', 8],
  ['QZ', 8],
  ['QW', 8],
  /** sphere / capsule radius; box: unused; plane: offset d of n.x = d. */
  ['RADIUS', 8],
  /** capsule half height of the segment; box half extents in HX, HY, HZ; plane normal in HX..HZ. */
  ['HX', 8],
  ['HY', 8],
  ['HZ', 8],
  // material and motion properties
  ['RESTITUTION', 8],
  ['FRICTION', 8],
  /** Per-substep damping factors 1 / (1 + c h) in Q32. */
  ['LIN_DAMP', 8],
  ['ANG_DAMP', 8],
  ['GRAVITY_SCALE', 8],
  // accumulated force (N, raw), applied over the next tick and cleared
  ['FX', 8],
  ['FY', 8],
  ['FZ', 8],
  // character controller
  ['CHAR_TX', 8],
  ['CHAR_TZ', 8],
  ['CHAR_JUMP', 8],
  ['CHAR_STEP', 8],
  ['CHAR_SLOPE_COS', 8],
  /** Ground normal found for a character this tick (unit, pointing up from the ground). */
  ['GNX', 8],
  ['GNY', 8],
  ['GNZ', 8],
  // i32 fields
  ['GENERATION', 4],
  ['SHAPE', 4],
  ['KIND', 4],
  ['FLAGS', 4],
  ['LAYER', 4],
  ['MASK', 4],
  /** Packed broadphase cell (21 bits per axis): of the tick for awake bodies, the cell a sleeping body sleeps in. */
  ['CELL_KEY', 8],
  ['SLEEP_COUNT', 4],
  ['BUCKET', 4],
  /** Position in the STATICS list (static bodies). */
  ['STATIC_POS', 4],
  /** Position in the MOVING list (dynamic and kinematic bodies). */
  ['MOVING_POS', 4],
  /** Set during the wake pass: 1 = wake this body before solving. */
  ['WAKE', 4],
  /** First contact record of this body as body I, and how many (contacts are grouped by I). */
  ['CFIRST', 4],
  ['CCOUNT', 4],
  /** Position of an awake body in the AWAKE list (meaningful only while AWAKE[AWAKE_POS] is the slot). */
  ['AWAKE_POS', 4],
  /** Sleeping bodies: neighbours in their sleep-hash bucket chain, as slot + 1 (0 = none). */
  ['SLEEP_NEXT', 4],
  ['SLEEP_PREV', 4],
  /** 1 while the body is on the participant list of the tick being built (cleared after). */
  ['MARK', 4],
  /** Static boxes near the body at its last narrowphase (STATIC_CACHE record below; a cache, not state). */
  ['STATIC_CACHE', 80],
  /**
   * The body's tag: its slot in the whole world, the key of every canonical order (pair
   * orientation, participants, candidates, touch keys, records). Read only when HEADER.TAGGED
   * is 1 (shard worlds); elsewhere the tag is the slot itself (LAMMPS's atom tags: local
   * storage index and global identity are separate, so a process stores only its atoms).
   */
  ['TAG', 4],
] as const;

/** Bytes of the BOX_SCRATCH world array (assembly/physics/box-contacts.ts lays it out). */
export const BOX_SCRATCH_BYTES = 4096;

/** Per-world arrays: [name, element bytes, count expression]. */
export const WORLD_ARRAYS = [
  ['STATE', 'STATE_BYTES', 'capacity'],
  ['FREE', 4, 'capacity'],
  ['STATICS', 4, 'capacity'],
  /** Live dynamic and kinematic bodies (DYNAMIC_COUNT slots, unordered: swap-remove), for queries. */
  ['MOVING', 4, 'capacity'],
  /** Static tree entries: box slots in tree order, then the other statics' slots (assembly/physics/static-tree.ts). */
  ['STATIC_ORDER', 4, 'capacity'],
  /** Static tree nodes (STATIC_NODE below), depth-first; at most max(1, boxes - 1) of them. */
  ['STATIC_NODES', 'STATIC_NODE_BYTES', 'capacity'],
  ['BUCKET_START', 4, 'buckets+2'],
  ['SORTED', 4, 'capacity'],
  /** Broadphase records in SORTED order (GRID_REC below): scanned sequentially per bucket. */
  ['SORTED_REC', 'GRID_REC_BYTES', 'capacity'],
  /** Candidate pairs of the tick as (I << 32) | J, then the J lists grouped by I. */
  ['PAIRS', 8, 'contacts'],
  ['PAIR_J', 4, 'contacts'],
  ['CONTACTS', 'CONTACT_BYTES', 'contacts'],
  ['TOUCH', 'TOUCH_BYTES', 'contacts'],
  ['PREV_TOUCH', 'TOUCH_BYTES', 'contacts'],
  ['EVENTS', 'EVENT_BYTES', 'events'],
  ['HITS', 16, 'capacity'],
  ['HASH_REC', 8, 'hashRecord'],
  ['BODY_DEF', 8, 'bodyDef'],
  /** Awake bodies (dense, any order; AWAKE_POS per slot): the bodies that move this tick. */
  ['AWAKE', 4, 'capacity'],
  /** Participants of the tick (awake bodies and sleeping contact partners), sorted by slot. */
  ['PART', 4, 'capacity'],
  /**
   * Sleep hash, per bucket (i32 pair): the first sleeping body of its chain (slot + 1, 0 = none),
   * by the cell it sleeps in (CELL_KEY), and the OR of the chain's cell signatures (one bit per cell).
   */
  ['SLEEP_HEAD', 8, 'buckets+2'],
  /** Digit counts of the participants' radix sort. */
  ['SORT_COUNTS', 4, 'radix'],
  /**
   * Sleepers per block of 8 x 8 x 8 cells (i32), the blocks wrapped onto a torus of buckets / 8
   * entries like the sleep hash's cells (assembly/physics/world.ts sleepBlockOf): an awake body
   * whose cells lie in blocks that count 0 skips its sleep-hash lookups.
   */
  ['SLEEP_BLOCKS', 4, 'blocks'],
  /** Moving tree entries: the moving bodies' slots in tree order (assembly/physics/moving-tree.ts). */
  ['MOVING_ORDER', 4, 'capacity'],
  /** Moving tree nodes (STATIC_NODE records), depth-first; at most max(1, moving - 1) of them. */
  ['MOVING_NODES', 'STATIC_NODE_BYTES', 'capacity'],
  /**
   * The static boxes' AABBs in tree order (entry e of STATIC_ORDER: | LO x y z | HI x y z |, i64
   * raw metres, 48 bytes), written by each build: the tree's leaf tests and the static-box
   * caches read one contiguous, spatially ordered array instead of six per-body arrays.
   */
  ['STATIC_AABB', 48, 'capacity'],
  /**
   * Scratch of the rotating boxes' narrowphase and static-point solver (assembly/physics/
   * box-contacts.ts: box frames, clipping buffers, per-point sums), in the world's own memory:
   * a static segment of the module would be shared by every instance on a shared memory.
   */
  ['BOX_SCRATCH', BOX_SCRATCH_BYTES, 'one'],
  /**
   * A rotating box's inertia frame for the tick (assembly/physics/box-contacts.ts
   * boxInertiaBegin): its rotation matrix columns (9 i64, Q16) and principal inverse inertias
   * (3 i64, Q16 1/(kg m^2)), written by solveBegin for every participant box, read by every
   * I^-1 product of its contacts; the orientation changes only in finishTick. A cache, not state.
   */
  ['BOX_INERTIA', 96, 'capacity'],
  /**
   * Per contact of the tick, for rotating-box contacts between two bodies (CF_BOX without
   * CF_J_STATIC; box-contacts.ts boxPrepareNormals): the generalized inverse mass along the
   * normal w_i + w_j (i64 Q16) and each moving body's angular response I^-1 (r x n) (3 + 3 i64,
   * Q16); for a static point of a moving box (CF_BOX | CF_J_STATIC), the box's own w and
   * I^-1 (r x n). Constant over the tick (the arms, normal and orientations are), so the
   * substeps' position and velocity passes read them instead of recomputing them. A cache, not state.
   */
  ['BOX_NORMAL', 64, 'contacts'],
  /**
   * Static geometry blocks (i64 words): heightfields and triangle meshes, quantised to raw Q16
   * by src/assets/geometry.ts and appended by PhysicsWorld.addGeometry; a HEIGHTFIELD or MESH
   * body's RADIUS is the word index of its block (block formats: assembly/physics/terrain.ts).
   * Last, so a world without geometry keeps every offset and its size. Covered by the world hash (assembly/physics/step.ts worldHash) when any is in use.
   */
  ['GEOMETRY', 8, 'geometry'],
  /**
   * Joints (JOINT records below, JOINT_BYTES each; assembly/physics/joints.ts): WorldSizes.joints
   * entries, none by default. After GEOMETRY, so a world without joints keeps every offset and
   * its size. Covered by the world hash when any is in use; saved with the world.
   */
  ['JOINTS', 'JOINT_BYTES', 'joints'],
] as const;

/** Digit bits of the participants' radix sort (SORT_COUNTS holds 2^RADIX_BITS + 1 counts). */
export const RADIX_BITS = 11;

/**
 * The solver's per-body record for one tick (array STATE, STATE_BYTES per body): everything a
 * contact pass touches sits in the first two cache lines, so a contact costs a few cache
 * lines per body instead of one per field (Box2D v3 keeps b2BodyState apart for the same
 * reason). Q32 values: 2^-32 m, m/s, rad.
 *
 * ```
 *   0 DX DY DZ      displacement since the tick start        | line 0
 *  24 SDX SDY SDZ   displacement at the substep start        |
 *  48 UX UY UZ      velocity                                 |
 *  72 RX RY RZ      rotation since the tick start (small angle) | line 1
 *  96 INV_MASS INV_INERTIA (Q16 copies)                      |
 * 112 MOVES i32, CNT i32, CNT_V i32, NSTATIC i32 (static contacts) |
 * 128 OX OY OZ      angular velocity (read by a rotating box's contacts) | line 2
 * 152 AX AY AZ      Jacobi accumulator, linear               |
 * 176 TX TY TZ      Jacobi accumulator, angular              | line 3
 * 200 PDX PDY PDZ   predicted displacement of the substep    |
 * 224 REST_MIN i32   least rest counter of the contact partners + 1 (0: none; sleep.ts)
 * 232 SRX SRY SRZ   rotation at the substep start (RX.. minus it: the substep's rotation)
 * ```
 */
export const STATE = {
  DX: 0,
  DY: 8,
  DZ: 16,
  SDX: 24,
  SDY: 32,
  SDZ: 40,
  UX: 48,
  UY: 56,
  UZ: 64,
  RX: 72,
  RY: 80,
  RZ: 88,
  INV_MASS: 96,
  INV_INERTIA: 104,
  MOVES: 112,
  CNT: 116,
  CNT_V: 120,
  NSTATIC: 124,
  OX: 128,
  OY: 136,
  OZ: 144,
  AX: 152,
  AY: 160,
  AZ: 168,
  TX: 176,
  TY: 184,
  TZ: 192,
  PDX: 200,
  PDY: 208,
  PDZ: 216,
  REST_MIN: 224,
  SRX: 232,
  SRY: 240,
  SRZ: 248,
} as const;
/** Bytes per STATE record (a power of two: the address is base + (slot << 8)). */
export const STATE_BYTES = 256;
/**
 * Bytes of a STATE record the shards exchange per solver pass (shard.ts PASS_BYTES): those
 * before the accumulators, all a contact lets into its partner's state.
 */
export const PASS_BYTES = STATE.AX;

/**
 * Broadphase record of one moving body, written by the counting sort in bucket order, so a
 * bucket scan reads contiguous memory instead of one array per field:
 * | cell key i64 | slot i32 | layer i32 | mask i32 | active i32 | x y z i64 | reach i64 | tag i32 | pad |
 */
export const GRID_REC = { KEY: 0, SLOT: 8, LAYER: 12, MASK: 16, ACTIVE: 20, X: 24, Y: 32, Z: 40, REACH: 48, TAG: 56 } as const;
export const GRID_REC_BYTES = 64;

/**
 * Byte offsets inside one contact record (64 bytes, one cache line):
 * | I i32 | J i32 | N x y z i32 (Q16 unit normal, I -> J) | FLAGS i32 | SEP0 i64 (Q32 m) |
 * | SHARE_I i32 | ARM_I i32 | KT i64 | ARM_J i32 | MU i32 | E i32 | VN_PRE i32 (Q16 m/s) |
 * SHARE_J is not stored: it is ONE - SHARE_I when J moves, else 0.
 */
export const CONTACT = {
  /** Body slot of the first body (the lower slot of two moving bodies, or the moving one). */
  I: 0,
  /** Body slot of the second body (any kind). */
  J: 4,
  /** Unit normal from I towards J (Q16, i32). */
  NX: 8,
  NY: 12,
  NZ: 16,
  FLAGS: 20,
  /** Separation along the normal at the start of the tick (Q32 metres, i64; < 0 = overlap). */
  SEP0: 24,
  /** Share of a normal correction taken by I: w_i / (w_i + w_j) (Q16, i32). */
  SHARE_I: 32,
  /** Lever arm of I: distance from its centre to the contact point along n (raw metres, i32). */
  ARM_I: 36,
  /** 1 / (w~_i + w~_j) for tangential (friction) corrections, rotational terms included (Q16 kg, i64). */
  KT: 40,
  /** Lever arm of J (raw metres, i32). */
  ARM_J: 48,
  /** Combined friction coefficient and restitution (Q16, i32). */
  MU: 52,
  E: 56,
  /** Relative normal velocity before the substep's position pass (Q16 m/s, i32). */
  VN_PRE: 60,
} as const;
/** Bytes per contact record. */
export const CONTACT_BYTES = 64;

/**
 * Node of the static tree (64 bytes, one cache line), nodes in depth-first order:
 * | LO x y z i64 | HI x y z i64 | SKIP i32 | FIRST i32 | COUNT i32 | pad |
 * LO / HI: the union of the AABBs of the boxes below (raw metres). SKIP: index of the next
 * node once this subtree is done (the left child is always the next node). FIRST, COUNT: the
 * node's entries in STATIC_ORDER; COUNT = 0 marks an internal node.
 */
export const STATIC_NODE = { LO_X: 0, LO_Y: 8, LO_Z: 16, HI_X: 24, HI_Y: 32, HI_Z: 40, SKIP: 48, FIRST: 52, COUNT: 56 } as const;
export const STATIC_NODE_BYTES = 64;

/**
 * A moving body's static-box cache (body field STATIC_CACHE, 80 bytes; assembly/physics/
 * static-tree.ts staticBoxesNear): the static boxes whose AABB touches a fattened box around the
 * body's last narrowphase reach, so later ticks whose reach stays inside it skip the tree walk.
 * | LO x y z i64 | HI x y z i64 | BUILD i32 | COUNT i32 | LIST 6 x i32 |
 * LO / HI: the fattened box (raw metres); BUILD: STATIC_BUILDS when filled (0 = empty; a
 * rebuilt tree empties every cache); LIST: the boxes' entries in STATIC_ORDER (tree order),
 * COUNT of them (at most STATIC_CACHE_MAX; a body near more boxes keeps no cache).
 */
export const STATIC_CACHE = { LO_X: 0, LO_Y: 8, LO_Z: 16, HI_X: 24, HI_Y: 32, HI_Z: 40, BUILD: 48, COUNT: 52, LIST: 56 } as const;
export const STATIC_CACHE_BYTES = 80;
export const STATIC_CACHE_MAX = 6;

/** Touching-pair record: | key u64 = (I << 32) | J | I generation u32 | J generation u32 |. */
export const TOUCH = { KEY: 0, I_GEN: 8, J_GEN: 12 } as const;
export const TOUCH_BYTES = 16;

/** Contact record flag bits. */
export const CONTACT_FLAG = {
  /** J is dynamic and awake: corrections are applied to it. */
  J_MOVES: 1,
  /** Overlapping in the current substep's position pass. */
  ACTIVE: 2,
  /** Overlapping in any substep of this tick (the touching set for events). */
  TOUCHED: 4,
  /** J is static (box or plane). */
  J_STATIC: 8,
  /** Overlapping in the previous substep (restitution applies only to new impacts). */
  WAS_ACTIVE: 16,
  /**
   * A contact point of a rotating box's manifold (assembly/physics/box-contacts.ts): I's lever
   * arm to the point is a vector, kept in ARM_I, ARM_J and the low word of KT (raw metres, i32
   * each), and box-contacts.ts solves it instead of the sphere paths of solver.ts.
   */
  BOX: 32,
} as const;

/**
 * Body definition record (i64 slots) that JavaScript fills before calling bodyCreate.
 * Integers are plain; physical values raw Q47.16 (metres, m/s, kg, 1/s).
 */
export const BODY_DEF = {
  KIND: 0,
  SHAPE: 1,
  FLAGS: 2,
  LAYER: 3,
  MASK: 4,
  PX: 5,
  PY: 6,
  PZ: 7,
  VX: 8,
  VY: 9,
  VZ: 10,
  WX: 11,
  WY: 12,
  WZ: 13,
  QX: 14,
  QY: 15,
  QZ: 16,
  QW: 17,
  RADIUS: 18,
  HX: 19,
  HY: 20,
  HZ: 21,
  /** Mass in kg (dynamic bodies; > 0). */
  MASS: 22,
  RESTITUTION: 23,
  FRICTION: 24,
  /** Damping coefficients c in dv/dt = -c v (1/s). */
  LIN_DAMPING: 25,
  ANG_DAMPING: 26,
  GRAVITY_SCALE: 27,
  /** Character: max step height (m), cos of the max walkable slope, jump speed (m/s). */
  CHAR_STEP: 28,
  CHAR_SLOPE_COS: 29,
  CHAR_JUMP: 30,
} as const;
export const BODY_DEF_SLOTS = 32;

/** Error codes returned (negated) by the core's body functions. */
export const BODY_ERROR = {
  FULL: 1,
  STALE_HANDLE: 2,
  BAD_SHAPE: 3,
  TOO_LARGE: 4,
  BAD_MASS: 5,
  BAD_KIND: 6,
  NOT_CHARACTER: 7,
  /** Every joint entry is in use (WorldConfig.jointCapacity). */
  JOINTS_FULL: 8,
  /** A joint definition the core refuses: unknown kind, an end that is not a live body, both ends static, a zero axis, limits or lengths out of order. */
  BAD_JOINT: 9,
} as const;

/**
 * A joint record (JOINTS array and the definition written at BODY_DEF for jointCreate): i64
 * words. Anchors are raw metres (Q16) in the body's own frame (B's anchor is a world point
 * when B is -1, the static world); axes and reference directions are Q16 unit vectors in the
 * body's frame; angles are raw radians (Q16), speeds raw rad/s or m/s, torque raw N m
 * (for a distance joint: force, N), lengths raw metres. A and B are body slots with their
 * generations (B = -1: the world). GEN is the joint's own generation (its handle is
 * GEN << 32 | index). KIND 0 = free entry.
 */
export const JOINT = {
  KIND: 0,
  FLAGS: 1,
  A: 2,
  A_GEN: 3,
  B: 4,
  B_GEN: 5,
  GEN: 6,
  AAX: 7,
  AAY: 8,
  AAZ: 9,
  ABX: 10,
  ABY: 11,
  ABZ: 12,
  XAX: 13,
  XAY: 14,
  XAZ: 15,
  XBX: 16,
  XBY: 17,
  XBZ: 18,
  RAX: 19,
  RAY: 20,
  RAZ: 21,
  RBX: 22,
  RBY: 23,
  RBZ: 24,
  LOWER: 25,
  UPPER: 26,
  MOTOR_SPEED: 27,
  MOTOR_MAX: 28,
  TARGET: 29,
  MIN_LEN: 30,
  MAX_LEN: 31,
} as const;
/** Bytes per joint record (32 i64 words: fits the BODY_DEF scratch the definition is written to). */
export const JOINT_BYTES = 256;
/** Joint kinds (JOINT.KIND). */
export const JOINT_KIND = { FIXED: 1, HINGE: 2, BALL: 3, DISTANCE: 4 } as const;
/**
 * Joint flag bits (JOINT.FLAGS): LIMITS = the hinge keeps its angle in [LOWER, UPPER]; MOTOR =
 * a velocity motor drives the hinge at MOTOR_SPEED with at most MOTOR_MAX torque; TARGET = the
 * motor drives the hinge to the angle TARGET instead (at most MOTOR_SPEED, MOTOR_MAX);
 * AUTO_B (definition only) = B's anchor is where A's anchor is at creation; AUTO_LEN
 * (definition only) = a distance joint's lengths are both its length at creation.
 */
export const JOINT_FLAG = { LIMITS: 1, MOTOR: 2, TARGET: 4, AUTO_B: 8, AUTO_LEN: 16 } as const;

/** Bytes per event record: | kind u32 | a slot u32 | a generation u32 | b slot u32 | b generation u32 | pad |. */
export const EVENT = { KIND: 0, A: 4, A_GEN: 8, B: 12, B_GEN: 16 } as const;
export const EVENT_BYTES = 24;

/** i64 slots of the per-body record the state hash is computed over. */
export const HASH_RECORD_SLOTS = 64;

/** Bytes of one body record (assembly/physics/transfer.ts: slot, generation, every simulated field). */
export const BODY_RECORD_BYTES = 312;

/**
 * Byte offsets in a body record (assembly/physics/transfer.ts writes them). Little-endian:
 * the i64 at ID holds generation in its low u32 and slot in its high u32; the one at
 * KIND_SHAPE holds shape low, kind high; FLAGS holds the sleep count low, flags high.
 * Every field from PX on is an i64 raw Q47.16 value.
 */
export const BODY_RECORD = {
  ID: 0,
  KIND_SHAPE: 8,
  FLAGS: 16,
  LAYER_MASK: 24,
  PX: 32,
  PY: 40,
  PZ: 48,
  VX: 56,
  VY: 64,
  VZ: 72,
  WX: 80,
  WY: 88,
  WZ: 96,
  QX: 104,
  QY: 112,
  QZ: 120,
  QW: 128,
  RADIUS: 136,
  HX: 144,
  HY: 152,
  HZ: 160,
  /** A character's input: target horizontal velocity along x and z, raw m/s (characterSetInput). */
  CHAR_TX: 248,
  CHAR_TZ: 256,
  /** A character's step height; a hull's geometry block (its word index in GEOMETRY: the hull's asset id on the wire). */
  CHAR_STEP: 272,
} as const;

/**
 * Configuration block of one physics shard (i64 slots, SHARD_CFG_SLOTS per shard), written
 * by src/physics/sharded.ts and read by assembly/physics/shard.ts. Addresses are absolute
 * byte offsets in the shared memory; lengths are in the unit named.
 */
export const SHARD_CFG = {
  /** This shard's index k and the shard count K. */
  INDEX: 0,
  COUNT: 1,
  /** Regions along x (x cuts + 1) and along z. */
  NX: 2,
  NZ: 3,
  /** Address of the cuts (raw metres, i64): NX - 1 x cuts, then NZ - 1 z cuts. */
  CUTS: 4,
  /** Ghost band (halo) width, raw metres. */
  HALO: 5,
  /** Address of this shard's world. */
  WORLD: 6,
  /** Tick t being stepped (state t is read, state t + 1 written). */
  TICK: 7,
  /** Slots ever used in the whole sharded world (the registry's high water). */
  HIGH_WATER: 8,
  /** Boards of state t (front, read only) and state t + 1 (back). */
  FRONT: 9,
  BACK: 10,
  /** Command overlay: records (capacity x BODY_RECORD_BYTES), stamp (i32, t + 1 = valid for tick t), owner (i32). */
  OVERLAY_REC: 11,
  OVERLAY_TICK: 12,
  OVERLAY_OWNER: 13,
  /**
   * u8 per slot: bit 0, this shard had authority over the slot in its last step; bit 1, the body
   * then lay within HALO of another region (its border flag when this shard last published it).
   */
  OWNED: 14,
  /** Scratch of this shard: owned list (i32 x capacity), counts (i32 x capacity + 2), three entry buffers. */
  SCR_OWNED: 15,
  SCR_COUNTS: 16,
  SCR_A: 17,
  SCR_B: 18,
  SCR_C: 19,
  /** Entries each scratch buffer holds (TOUCH_BYTES each). */
  SCR_ENTRIES: 20,
  /** Entries of this shard's touch list and event list in a board. */
  TOUCH_CAP: 21,
  EVENT_CAP: 22,
  /** Slot capacity of the sharded world. */
  CAPACITY: 23,
  // results of the last step
  HANDOFFS: 24,
  STATUS: 25,
  OWNED_COUNT: 26,
  GHOST_COUNT: 27,
  /** Test hook: non-zero = the next step traps (a WebAssembly `unreachable`) after the ghost sync. */
  TRAP: 28,
  /**
   * Wall time of the shard's last step, ns, written by the thread that ran it (a worker or the
   * coordinator). For the operator's figures only: never read by the core, hashed or saved.
   */
  STEP_NS: 29,
  /**
   * Address of the region table (i32, shared by every shard): row m (COUNT + 1 entries) is the
   * number of other regions whose rectangle lies within HALO of region m, then their indices.
   */
  NEAR: 30,
  /** The command overlay's list of slots stamped for this tick (i32 x OVERLAY_COUNT), written by the coordinator. */
  OVERLAY_LIST: 31,
  OVERLAY_COUNT: 32,
  /** Moving bodies this shard's world holds after its last sync, in slot order (i32 x capacity), and their count. */
  HELD: 33,
  HELD_COUNT: 34,
  /** i32 per slot: the SYNC_SEQ of the last sync that listed the slot (deduplication without a sweep). */
  MARK: 35,
  /** Syncs run so far by this shard (incremented by each shardTick, never reset). */
  SYNC_SEQ: 36,
  /** Scratch: two slot lists (i32 x capacity each), and one i32 per shard. */
  SCR_SLOTS: 37,
  SCR_SHARDS: 38,
  /**
   * Work counters of the last step: list entries the sync visited (held bodies, overlay, the
   * neighbours' published lists, the slots walked), and touch entries of t - 1 the event step read.
   */
  SYNC_VISITS: 39,
  EVENT_VISITS: 40,
  /**
   * Work counters of the last step: body records the sync read into the shard's world (owned
   * bodies taken over or changed by a command, ghosts refreshed; a sleeping ghost whose record
   * did not change is not read again), and records the publish step wrote to the back board
   * (a body that slept through the tick untouched is not written: see BOARD.VERSION).
   */
  IMPORTS: 41,
  PUBLISHED: 42,
  /** i64 per slot: the board VERSION of the record this shard last imported as a ghost (-1: none or from the overlay). */
  IMPORT_VERSION: 43,
  /** Non-zero: write every record this tick (a tick re-run after a recovery: the failed attempt may have left torn records). */
  FULL_PUBLISH: 44,
  /**
   * i32 per slot of the whole world: 1 + the slot of the shard's world that holds the body
   * with that tag (0 = not held). Shard worlds number their bodies densely (shard.ts).
   */
  LOCAL: 45,
  /**
   * Border exchange: 0 = once per tick (the halo covers the solver's whole interaction range),
   * 1 = once per solver pass (the halo is two contact distances; the coordinator runs the
   * tick's phases shard by shard: shard.ts shardPhase 0 to 2 SUBSTEPS + 1).
   */
  EXCHANGE: 46,
  /**
   * Per-pass exchange: two buffers (b = 0, 1) of PASS_BYTES per shard and slot of the whole
   * world, dense by shard: entry (b, j, q) at PASS_STATE + ((b COUNT + j) CAPACITY + q)
   * PASS_BYTES holds the part of the solver STATE of shard j's q-th border participant (shared).
   */
  PASS_STATE: 47,
  /** Per-pass exchange, last tick: border participants published and ghost participants copied per pass. */
  PASS_BORDER: 48,
  PASS_GHOSTS: 49,
  /**
   * Per-pass exchange: the exchange band (raw metres, at most HALO): a ghost participant's
   * STATE is copied each pass when it lies within it of this shard's region, and a border
   * participant's published when it lies within it of another region (shard.ts shardBegin).
   * One contact distance (2 maxBodyRadius + margin) plus an eighth for rounding.
   */
  PASS_BAND: 50,
  /** Per-pass exchange: i32 per slot of the whole world, the body's place q in its owner's border participants this tick (shared). */
  PASS_INDEX: 51,
} as const;
export const SHARD_CFG_SLOTS = 56;

/** SHARD_CFG.STATUS bits. */
export const SHARD_STATUS = { TOUCH_OVERFLOW: 1, EVENT_OVERFLOW: 2, WORLD_OVERFLOW: 4, IMPORT_FAILED: 8, SCRATCH_OVERFLOW: 16 } as const;

/** Owner marks in a board (values >= 0 are shard indices). */
export const OWNER = { NONE: -1, STATIC: -2 } as const;

/**
 * A board: the published state of one tick of a sharded world. Two boards alternate (state t
 * is read while state t + 1 is written). Header slots (i64); addresses absolute.
 * SEQ is a seqlock word (Int32 at byte 0): odd while the board is being written.
 */
export const BOARD = {
  SEQ: 0,
  TICK: 1,
  /** Checksum of the board's live records (xxHash64 chained per record, seeded with the tick), when publishing checksums. */
  CHECKSUM: 2,
  HIGH_WATER: 3,
  /** BODY_RECORD_BYTES per slot. */
  RECORDS: 4,
  /** i32 per slot: OWNER.NONE, OWNER.STATIC or the shard with authority. */
  OWNER: 5,
  /** Per shard: TOUCH_CAP touch entries (TOUCH layout, key = A << 32 | B: "A touches B", A the body reported on). */
  TOUCH: 6,
  /** Per shard: EVENT_CAP events (EVENT layout, A the body reported on). */
  EVENTS: 7,
  /** Addresses of the per-shard counts (i64 x COUNT each). */
  TOUCH_COUNT: 8,
  EVENT_COUNT: 9,
  /**
   * Per shard j: the slots j wrote on this board (i32 x CAPACITY at LISTS + j x CAPACITY x 4), in
   * 2 COUNT buckets: 2m holds the bodies now owned by m that lie farther than the halo from every
   * other region, 2m + 1 those of m within the halo of another region (border bodies); each
   * bucket in slot order. LIST_START + j x (2 COUNT + 1) x 4: the buckets' i32 start offsets.
   */
  LISTS: 10,
  LIST_START: 11,
  /** i32 per slot: the shard that wrote the slot's record on this board (valid for moving bodies). */
  PUBLISHER: 12,
  /**
   * Per shard j: indices into j's touch list (i32 x TOUCH_CAP at HANDED + j x TOUCH_CAP x 4) of the
   * entries whose subject j handed to another shard, bucketed by the new owner;
   * HANDED_START + j x (COUNT + 1) x 4: the buckets' i32 start offsets.
   */
  HANDED: 13,
  HANDED_START: 14,
  /** Static bodies (the same in both boards): address of an i32 count followed by the slots. */
  STATICS: 15,
  /** Shard count and slot capacity of the sharded world (strides of the lists above). */
  SHARDS: 16,
  CAPACITY: 17,
  /**
   * The board's live slots in slot order (i32 x CAPACITY), their count, and the tick they are
   * valid for (BOARD.TICK; -1: none): written by the coordinator while publishing checksums, so
   * boardRecordsHash runs over the live bodies only.
   */
  LIVE: 18,
  LIVE_COUNT: 19,
  LIVE_TICK: 20,
  /**
   * Per shard j: its touch list's entries by subject (the moving body reported on), as pairs
   * (subject u32, entry index u32) sorted by subject, stably (TOUCH_COUNT pairs at
   * BY_SUBJECT + j x TOUCH_CAP x 8): a shard finds the entries of one body in O(log n).
   */
  BY_SUBJECT: 21,
  /**
   * i64 per slot: the version of the slot's record, the earliest state tick since which it has
   * not changed. A shard that publishes a body that slept through the tick untouched (asleep
   * after the sync, not re-imported, still asleep after the step) carries the version over and,
   * when it is at most the tick before this board's, does not rewrite the record: the board
   * already holds it from two ticks ago. Any other publish sets the board's tick. A shard holding
   * a sleeping ghost whose record still has the version it imported does not import it again.
   */
  VERSION: 22,
} as const;
export const BOARD_HEADER_SLOTS = 24;

/** Control block words (Int32): the step barrier, worker epochs and the published tick. */
export const CONTROL = {
  /** Step generation: the coordinator increments it, workers wait on it. */
  GEN: 0,
  /** Shards stepped in this generation. */
  DONE: 1,
  QUIT: 2,
  /** 1 + index of a shard whose step threw (0 = none). */
  FAILURE: 3,
  /** The pool's current set of workers; a worker of an older epoch exits. */
  EPOCH: 4,
  /** The last published tick (state readers follow it). */
  PUBLISHED: 6,
  /**
   * Workers inside a shard's step right now. A worker adds 1 and then checks EPOCH before a
   * shard (and leaves if it is stale); the coordinator bumps EPOCH and then waits for 0 before it
   * re-runs a failed tick (ShardWorkerPool.restart): seq-cst atomics (Dekker's pattern) so a
   * worker that was only slow past the timeout never writes into the re-run.
   */
  ACTIVE: 7,
  /**
   * Wakes of a worker from its wait on GEN that found GEN unchanged (counted, then it waits
   * again). Atomics.wait returned 'ok' without a new generation under load (seen in
   * test/shard-acceptance and /tmp lockstep runs, 1 in ~100 runs of 2,000 ticks); a worker that
   * took such a wake for a step ran its shards twice and put them one tick ahead.
   */
  STRAY_WAKES: 8,
  /** Workers of the current epoch that have loaded the core and wait for steps (ShardWorkerPool.runAll waits for all before timing a step). */
  READY: 9,
  /**
   * Exchange 'pass' (SHARD_CFG.EXCHANGE = 1): workers that finished the tick's phases so far,
   * summed (a worker adds 1 after each phase, then waits until every worker has done that
   * phase: the pass barrier). The coordinator clears it before each step.
   */
  ARRIVE: 10,
} as const;
/** Int32 words of the control block. */
export const CONTROL_WORDS = 16;

/** Alignment of every array (bytes). */
export const ARRAY_ALIGN = 64;

/** Sizes that fix a world's memory footprint. */
export interface WorldSizes {
  /** Body slots (static bodies included). */
  capacity: number;
  /** Contact records per tick. */
  contacts: number;
  /** Contact events per tick. */
  events: number;
  /** Broadphase hash buckets (a power of two). */
  buckets: number;
  /** i64 words of static geometry (heightfields, meshes: the GEOMETRY array). Default none (0 words). */
  geometry?: number;
  /** Joint records (the JOINTS array). Default none (0). */
  joints?: number;
}

/** Field index of every array: body fields first, then world arrays. */
export const FIELD_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  [...BODY_FIELDS.map(([n]) => n), ...WORLD_ARRAYS.map(([n]) => n)].map((n, i) => [n, i]),
);

/** A planned world: total bytes and the byte offset (relative to base) of every array. */
export interface WorldPlan {
  readonly sizes: WorldSizes;
  readonly bytes: number;
  readonly offsets: Readonly<Record<string, number>>;
}

/**
 * Lays out a world of the given sizes. Offsets are relative to the world's base address.
 * Throws RangeError for non-positive or non-integer sizes or a bucket count that is not a
 * power of two.
 */
export function planWorld(sizes: WorldSizes): WorldPlan {
  for (const [k, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`world ${k} must be a positive integer, got ${v}`);
  }
  if ((sizes.buckets & (sizes.buckets - 1)) !== 0) throw new RangeError(`world buckets must be a power of two, got ${sizes.buckets}`);
  const offsets: Record<string, number> = {};
  let at = HEADER_SLOTS * 8;
  const place = (name: string, bytes: number): void => {
    at = Math.ceil(at / ARRAY_ALIGN) * ARRAY_ALIGN;
    offsets[name] = at;
    at += bytes;
  };
  for (const [name, el] of BODY_FIELDS) place(name, el * sizes.capacity);
  const count = {
    capacity: sizes.capacity,
    'buckets+2': sizes.buckets + 2,
    blocks: Math.max(1, sizes.buckets >> 3),
    contacts: sizes.contacts,
    events: sizes.events,
    hashRecord: HASH_RECORD_SLOTS,
    bodyDef: BODY_DEF_SLOTS,
    radix: (1 << RADIX_BITS) + 1,
    // no geometry: no words, and the world's size and every offset stay those of a world before geometry
    geometry: sizes.geometry ?? 0,
    joints: sizes.joints ?? 0,
    one: 1,
  };
  const elBytes = { CONTACT_BYTES, EVENT_BYTES, TOUCH_BYTES, STATE_BYTES, GRID_REC_BYTES, STATIC_NODE_BYTES, JOINT_BYTES };
  for (const [name, el, n] of WORLD_ARRAYS) {
    const e = typeof el === 'number' ? el : elBytes[el];
    place(name, e * count[n]);
  }
  return { sizes, bytes: Math.ceil(at / ARRAY_ALIGN) * ARRAY_ALIGN, offsets };
}

/**
 * The AssemblyScript constants for this layout (written to assembly/physics/layout.ts by
 * scripts/gen-layout.mjs; committed; checked by test/world-layout.test.ts).
 */
export function assemblyScriptConstants(): string {
  const lines = [
    '// Generated from src/physics/world-layout.ts by scripts/gen-layout.mjs: do not modify.',
    '// Header slot indices (i64), array field indices, record offsets and status bits.',
    '',
  ];
  const inl = (name: string, type: string, v: number | bigint): void => {
    lines.push('// @ts-ignore: decorator', `@inline export const ${name}: ${type} = ${v};`);
  };
  for (const [k, v] of Object.entries(HEADER)) inl(`H_${k}`, 'i32', v);
  inl('HEADER_SLOTS', 'i32', HEADER_SLOTS);
  inl('RADIX_BITS', 'i32', RADIX_BITS);
  inl('WORLD_MAGIC', 'u64', WORLD_MAGIC);
  inl('WORLD_VERSION', 'i64', WORLD_VERSION);
  for (const [k, v] of Object.entries(STATUS)) inl(`STATUS_${k}`, 'i64', v);
  for (const [k, v] of Object.entries(FIELD_INDEX)) inl(`F_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(SHAPE)) inl(`SHAPE_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(KIND)) inl(`KIND_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(FLAG)) inl(`FLAG_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(EVENT_KIND)) inl(`EVENT_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(CONTACT)) inl(`C_${k}`, 'i32', v);
  inl('CONTACT_BYTES', 'i32', CONTACT_BYTES);
  for (const [k, v] of Object.entries(STATE)) inl(`S_${k}`, 'i32', v);
  inl('STATE_BYTES', 'i32', STATE_BYTES);
  inl('PASS_BYTES', 'i32', PASS_BYTES);
  for (const [k, v] of Object.entries(GRID_REC)) inl(`G_${k}`, 'i32', v);
  inl('GRID_REC_BYTES', 'i32', GRID_REC_BYTES);
  for (const [k, v] of Object.entries(CONTACT_FLAG)) inl(`CF_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(STATIC_NODE)) inl(`N_${k}`, 'i32', v);
  inl('STATIC_NODE_BYTES', 'i32', STATIC_NODE_BYTES);
  for (const [k, v] of Object.entries(STATIC_CACHE)) inl(`K_${k}`, 'i32', v);
  inl('STATIC_CACHE_BYTES', 'i32', STATIC_CACHE_BYTES);
  inl('STATIC_CACHE_MAX', 'i32', STATIC_CACHE_MAX);
  for (const [k, v] of Object.entries(TOUCH)) inl(`T_${k}`, 'i32', v);
  inl('TOUCH_BYTES', 'i32', TOUCH_BYTES);
  for (const [k, v] of Object.entries(BODY_DEF)) inl(`D_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(BODY_ERROR)) inl(`ERR_${k}`, 'i64', -v);
  inl('HASH_RECORD_SLOTS', 'i32', HASH_RECORD_SLOTS);
  for (const [k, v] of Object.entries(EVENT)) inl(`EV_${k}`, 'i32', v);
  inl('EVENT_BYTES', 'i32', EVENT_BYTES);
  inl('BODY_RECORD_BYTES', 'i32', BODY_RECORD_BYTES);
  for (const [k, v] of Object.entries(JOINT)) inl(`J_${k}`, 'i32', v);
  inl('JOINT_BYTES', 'i32', JOINT_BYTES);
  for (const [k, v] of Object.entries(JOINT_KIND)) inl(`JK_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(JOINT_FLAG)) inl(`JF_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(SHARD_CFG)) inl(`SC_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(SHARD_STATUS)) inl(`SS_${k}`, 'i64', v);
  for (const [k, v] of Object.entries(OWNER)) inl(`OWNER_${k}`, 'i32', v);
  for (const [k, v] of Object.entries(BOARD)) inl(`BD_${k}`, 'i32', v);
  lines.push('', '// Array addresses of the bound world (module globals: one set per instance).');
  for (const k of Object.keys(FIELD_INDEX)) lines.push(`export let P_${k}: usize = 0;`);
  lines.push(
    '',
    '/** Loads every array address from the header of the world at `base` (offsets are relative). */',
    'export function bindArrays(base: usize): void {',
  );
  for (const [k, v] of Object.entries(FIELD_INDEX)) {
    lines.push(`  P_${k} = base + <usize>load<i64>(base + ${(HEADER.OFFSETS_AT + v) * 8});`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
