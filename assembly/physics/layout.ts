// Generated from src/physics/world-layout.ts by scripts/gen-layout.mjs: do not modify.
// Header slot indices (i64), array field indices, record offsets and status bits.

// @ts-ignore: decorator
@inline export const H_MAGIC: i32 = 0;
// @ts-ignore: decorator
@inline export const H_VERSION: i32 = 1;
// @ts-ignore: decorator
@inline export const H_CAPACITY: i32 = 2;
// @ts-ignore: decorator
@inline export const H_CONTACT_CAPACITY: i32 = 3;
// @ts-ignore: decorator
@inline export const H_EVENT_CAPACITY: i32 = 4;
// @ts-ignore: decorator
@inline export const H_GRID_BUCKETS: i32 = 5;
// @ts-ignore: decorator
@inline export const H_TICK: i32 = 6;
// @ts-ignore: decorator
@inline export const H_LIVE: i32 = 7;
// @ts-ignore: decorator
@inline export const H_FREE_TOP: i32 = 8;
// @ts-ignore: decorator
@inline export const H_HIGH_WATER: i32 = 9;
// @ts-ignore: decorator
@inline export const H_DYNAMIC_COUNT: i32 = 10;
// @ts-ignore: decorator
@inline export const H_STATIC_COUNT: i32 = 11;
// @ts-ignore: decorator
@inline export const H_CONTACT_COUNT: i32 = 12;
// @ts-ignore: decorator
@inline export const H_TOUCH_COUNT: i32 = 13;
// @ts-ignore: decorator
@inline export const H_PREV_TOUCH_COUNT: i32 = 14;
// @ts-ignore: decorator
@inline export const H_EVENT_COUNT: i32 = 15;
// @ts-ignore: decorator
@inline export const H_STATUS: i32 = 16;
// @ts-ignore: decorator
@inline export const H_HIT_COUNT: i32 = 17;
// @ts-ignore: decorator
@inline export const H_AWAKE_COUNT: i32 = 18;
// @ts-ignore: decorator
@inline export const H_PART_COUNT: i32 = 19;
// @ts-ignore: decorator
@inline export const H_WORK: i32 = 20;
// @ts-ignore: decorator
@inline export const H_MAX_CAPACITY: i32 = 21;
// @ts-ignore: decorator
@inline export const H_JOINT_CAPACITY: i32 = 22;
// @ts-ignore: decorator
@inline export const H_JOINT_HIGH_WATER: i32 = 23;
// @ts-ignore: decorator
@inline export const H_GRAVITY_X: i32 = 24;
// @ts-ignore: decorator
@inline export const H_GRAVITY_Y: i32 = 25;
// @ts-ignore: decorator
@inline export const H_GRAVITY_Z: i32 = 26;
// @ts-ignore: decorator
@inline export const H_TICK_RATE: i32 = 27;
// @ts-ignore: decorator
@inline export const H_SUBSTEPS: i32 = 28;
// @ts-ignore: decorator
@inline export const H_MARGIN: i32 = 29;
// @ts-ignore: decorator
@inline export const H_CELL_SIZE: i32 = 30;
// @ts-ignore: decorator
@inline export const H_MAX_RADIUS: i32 = 31;
// @ts-ignore: decorator
@inline export const H_SLEEP_ENABLED: i32 = 32;
// @ts-ignore: decorator
@inline export const H_SLEEP_SPEED: i32 = 33;
// @ts-ignore: decorator
@inline export const H_SLEEP_TICKS: i32 = 34;
// @ts-ignore: decorator
@inline export const H_MAX_SPEED: i32 = 35;
// @ts-ignore: decorator
@inline export const H_RESTITUTION_THRESHOLD: i32 = 36;
// @ts-ignore: decorator
@inline export const H_INV_CELL: i32 = 39;
// @ts-ignore: decorator
@inline export const H_GROUND_TOLERANCE: i32 = 40;
// @ts-ignore: decorator
@inline export const H_MAX_PUSH: i32 = 41;
// @ts-ignore: decorator
@inline export const H_RELAX: i32 = 42;
// @ts-ignore: decorator
@inline export const H_ROLLING: i32 = 43;
// @ts-ignore: decorator
@inline export const H_GEOMETRY_DIGEST: i32 = 44;
// @ts-ignore: decorator
@inline export const H_GEOMETRY_DIGEST_WORDS: i32 = 45;
// @ts-ignore: decorator
@inline export const H_GEOMETRY_CAPACITY: i32 = 46;
// @ts-ignore: decorator
@inline export const H_GEOMETRY_USED: i32 = 47;
// @ts-ignore: decorator
@inline export const H_INV_H: i32 = 37;
// @ts-ignore: decorator
@inline export const H_H_Q32: i32 = 38;
// @ts-ignore: decorator
@inline export const H_STATIC_DIRTY: i32 = 48;
// @ts-ignore: decorator
@inline export const H_STATIC_BOXES: i32 = 49;
// @ts-ignore: decorator
@inline export const H_STATIC_OTHERS: i32 = 50;
// @ts-ignore: decorator
@inline export const H_STATIC_NODE_COUNT: i32 = 51;
// @ts-ignore: decorator
@inline export const H_STATIC_BUILDS: i32 = 52;
// @ts-ignore: decorator
@inline export const H_STATIC_TESTS: i32 = 53;
// @ts-ignore: decorator
@inline export const H_STATIC_VISITS: i32 = 54;
// @ts-ignore: decorator
@inline export const H_QUERY_TESTS: i32 = 55;
// @ts-ignore: decorator
@inline export const H_QUERY_VISITS: i32 = 56;
// @ts-ignore: decorator
@inline export const H_STATIC_LEAF: i32 = 57;
// @ts-ignore: decorator
@inline export const H_STATIC_SCAN: i32 = 58;
// @ts-ignore: decorator
@inline export const H_MOVING_DIRTY: i32 = 59;
// @ts-ignore: decorator
@inline export const H_MOVING_NODE_COUNT: i32 = 60;
// @ts-ignore: decorator
@inline export const H_MOVING_BUILDS: i32 = 61;
// @ts-ignore: decorator
@inline export const H_MOVING_QUERIES: i32 = 62;
// @ts-ignore: decorator
@inline export const H_TAGGED: i32 = 63;
// @ts-ignore: decorator
@inline export const H_OFFSETS_AT: i32 = 64;
// @ts-ignore: decorator
@inline export const HEADER_SLOTS: i32 = 192;
// @ts-ignore: decorator
@inline export const RADIX_BITS: i32 = 11;
// @ts-ignore: decorator
@inline export const WORLD_MAGIC: u64 = 4921399027822708052;
// @ts-ignore: decorator
@inline export const WORLD_VERSION: i64 = 6;
// @ts-ignore: decorator
@inline export const STATUS_CONTACT_OVERFLOW: i64 = 1;
// @ts-ignore: decorator
@inline export const STATUS_EVENT_OVERFLOW: i64 = 2;
// @ts-ignore: decorator
@inline export const F_PX: i32 = 0;
// @ts-ignore: decorator
@inline export const F_PY: i32 = 1;
// @ts-ignore: decorator
@inline export const F_PZ: i32 = 2;
// @ts-ignore: decorator
@inline export const F_VX: i32 = 3;
// @ts-ignore: decorator
@inline export const F_VY: i32 = 4;
// @ts-ignore: decorator
@inline export const F_VZ: i32 = 5;
// @ts-ignore: decorator
@inline export const F_WX: i32 = 6;
// @ts-ignore: decorator
@inline export const F_WY: i32 = 7;
// @ts-ignore: decorator
@inline export const F_WZ: i32 = 8;
// @ts-ignore: decorator
@inline export const F_X0X: i32 = 9;
// @ts-ignore: decorator
@inline export const F_X0Y: i32 = 10;
// @ts-ignore: decorator
@inline export const F_X0Z: i32 = 11;
// @ts-ignore: decorator
@inline export const F_INV_MASS: i32 = 12;
// @ts-ignore: decorator
@inline export const F_INV_INERTIA: i32 = 13;
// @ts-ignore: decorator
@inline export const F_QX: i32 = 14;
// @ts-ignore: decorator
@inline export const F_QY: i32 = 15;
// @ts-ignore: decorator
@inline export const F_QZ: i32 = 16;
// @ts-ignore: decorator
@inline export const F_QW: i32 = 17;
// @ts-ignore: decorator
@inline export const F_RADIUS: i32 = 18;
// @ts-ignore: decorator
@inline export const F_HX: i32 = 19;
// @ts-ignore: decorator
@inline export const F_HY: i32 = 20;
// @ts-ignore: decorator
@inline export const F_HZ: i32 = 21;
// @ts-ignore: decorator
@inline export const F_RESTITUTION: i32 = 22;
// @ts-ignore: decorator
@inline export const F_FRICTION: i32 = 23;
// @ts-ignore: decorator
@inline export const F_LIN_DAMP: i32 = 24;
// @ts-ignore: decorator
@inline export const F_ANG_DAMP: i32 = 25;
// @ts-ignore: decorator
@inline export const F_GRAVITY_SCALE: i32 = 26;
// @ts-ignore: decorator
@inline export const F_FX: i32 = 27;
// @ts-ignore: decorator
@inline export const F_FY: i32 = 28;
// @ts-ignore: decorator
@inline export const F_FZ: i32 = 29;
// @ts-ignore: decorator
@inline export const F_CHAR_TX: i32 = 30;
// @ts-ignore: decorator
@inline export const F_CHAR_TZ: i32 = 31;
// @ts-ignore: decorator
@inline export const F_CHAR_JUMP: i32 = 32;
// @ts-ignore: decorator
@inline export const F_CHAR_STEP: i32 = 33;
// @ts-ignore: decorator
@inline export const F_CHAR_SLOPE_COS: i32 = 34;
// @ts-ignore: decorator
@inline export const F_GNX: i32 = 35;
// @ts-ignore: decorator
@inline export const F_GNY: i32 = 36;
// @ts-ignore: decorator
@inline export const F_GNZ: i32 = 37;
// @ts-ignore: decorator
@inline export const F_GENERATION: i32 = 38;
// @ts-ignore: decorator
@inline export const F_SHAPE: i32 = 39;
// @ts-ignore: decorator
@inline export const F_KIND: i32 = 40;
// @ts-ignore: decorator
@inline export const F_FLAGS: i32 = 41;
// @ts-ignore: decorator
@inline export const F_LAYER: i32 = 42;
// @ts-ignore: decorator
@inline export const F_MASK: i32 = 43;
// @ts-ignore: decorator
@inline export const F_CELL_KEY: i32 = 44;
// @ts-ignore: decorator
@inline export const F_SLEEP_COUNT: i32 = 45;
// @ts-ignore: decorator
@inline export const F_BUCKET: i32 = 46;
// @ts-ignore: decorator
@inline export const F_STATIC_POS: i32 = 47;
// @ts-ignore: decorator
@inline export const F_MOVING_POS: i32 = 48;
// @ts-ignore: decorator
@inline export const F_WAKE: i32 = 49;
// @ts-ignore: decorator
@inline export const F_CFIRST: i32 = 50;
// @ts-ignore: decorator
@inline export const F_CCOUNT: i32 = 51;
// @ts-ignore: decorator
@inline export const F_AWAKE_POS: i32 = 52;
// @ts-ignore: decorator
@inline export const F_SLEEP_NEXT: i32 = 53;
// @ts-ignore: decorator
@inline export const F_SLEEP_PREV: i32 = 54;
// @ts-ignore: decorator
@inline export const F_MARK: i32 = 55;
// @ts-ignore: decorator
@inline export const F_STATIC_CACHE: i32 = 56;
// @ts-ignore: decorator
@inline export const F_TAG: i32 = 57;
// @ts-ignore: decorator
@inline export const F_STATE: i32 = 58;
// @ts-ignore: decorator
@inline export const F_FREE: i32 = 59;
// @ts-ignore: decorator
@inline export const F_STATICS: i32 = 60;
// @ts-ignore: decorator
@inline export const F_MOVING: i32 = 61;
// @ts-ignore: decorator
@inline export const F_STATIC_ORDER: i32 = 62;
// @ts-ignore: decorator
@inline export const F_STATIC_NODES: i32 = 63;
// @ts-ignore: decorator
@inline export const F_BUCKET_START: i32 = 64;
// @ts-ignore: decorator
@inline export const F_SORTED: i32 = 65;
// @ts-ignore: decorator
@inline export const F_SORTED_REC: i32 = 66;
// @ts-ignore: decorator
@inline export const F_PAIRS: i32 = 67;
// @ts-ignore: decorator
@inline export const F_PAIR_J: i32 = 68;
// @ts-ignore: decorator
@inline export const F_CONTACTS: i32 = 69;
// @ts-ignore: decorator
@inline export const F_TOUCH: i32 = 70;
// @ts-ignore: decorator
@inline export const F_PREV_TOUCH: i32 = 71;
// @ts-ignore: decorator
@inline export const F_EVENTS: i32 = 72;
// @ts-ignore: decorator
@inline export const F_HITS: i32 = 73;
// @ts-ignore: decorator
@inline export const F_HASH_REC: i32 = 74;
// @ts-ignore: decorator
@inline export const F_BODY_DEF: i32 = 75;
// @ts-ignore: decorator
@inline export const F_AWAKE: i32 = 76;
// @ts-ignore: decorator
@inline export const F_PART: i32 = 77;
// @ts-ignore: decorator
@inline export const F_SLEEP_HEAD: i32 = 78;
// @ts-ignore: decorator
@inline export const F_SORT_COUNTS: i32 = 79;
// @ts-ignore: decorator
@inline export const F_SLEEP_BLOCKS: i32 = 80;
// @ts-ignore: decorator
@inline export const F_MOVING_ORDER: i32 = 81;
// @ts-ignore: decorator
@inline export const F_MOVING_NODES: i32 = 82;
// @ts-ignore: decorator
@inline export const F_STATIC_AABB: i32 = 83;
// @ts-ignore: decorator
@inline export const F_BOX_SCRATCH: i32 = 84;
// @ts-ignore: decorator
@inline export const F_BOX_INERTIA: i32 = 85;
// @ts-ignore: decorator
@inline export const F_BOX_NORMAL: i32 = 86;
// @ts-ignore: decorator
@inline export const F_GEOMETRY: i32 = 87;
// @ts-ignore: decorator
@inline export const F_JOINTS: i32 = 88;
// @ts-ignore: decorator
@inline export const SHAPE_SPHERE: i32 = 0;
// @ts-ignore: decorator
@inline export const SHAPE_CAPSULE: i32 = 1;
// @ts-ignore: decorator
@inline export const SHAPE_BOX: i32 = 2;
// @ts-ignore: decorator
@inline export const SHAPE_PLANE: i32 = 3;
// @ts-ignore: decorator
@inline export const SHAPE_HEIGHTFIELD: i32 = 4;
// @ts-ignore: decorator
@inline export const SHAPE_MESH: i32 = 5;
// @ts-ignore: decorator
@inline export const SHAPE_HULL: i32 = 6;
// @ts-ignore: decorator
@inline export const SHAPE_ROTATING_CAPSULE: i32 = 7;
// @ts-ignore: decorator
@inline export const SHAPE_COMPOUND: i32 = 8;
// @ts-ignore: decorator
@inline export const KIND_DYNAMIC: i32 = 0;
// @ts-ignore: decorator
@inline export const KIND_KINEMATIC: i32 = 1;
// @ts-ignore: decorator
@inline export const KIND_STATIC: i32 = 2;
// @ts-ignore: decorator
@inline export const FLAG_LIVE: i32 = 1;
// @ts-ignore: decorator
@inline export const FLAG_SLEEPING: i32 = 2;
// @ts-ignore: decorator
@inline export const FLAG_CHARACTER: i32 = 4;
// @ts-ignore: decorator
@inline export const FLAG_GROUNDED: i32 = 8;
// @ts-ignore: decorator
@inline export const FLAG_JUMP: i32 = 16;
// @ts-ignore: decorator
@inline export const FLAG_NO_SLEEP: i32 = 32;
// @ts-ignore: decorator
@inline export const FLAG_JOINTED: i32 = 128;
// @ts-ignore: decorator
@inline export const EVENT_BEGIN: i32 = 1;
// @ts-ignore: decorator
@inline export const EVENT_END: i32 = 2;
// @ts-ignore: decorator
@inline export const C_I: i32 = 0;
// @ts-ignore: decorator
@inline export const C_J: i32 = 4;
// @ts-ignore: decorator
@inline export const C_NX: i32 = 8;
// @ts-ignore: decorator
@inline export const C_NY: i32 = 12;
// @ts-ignore: decorator
@inline export const C_NZ: i32 = 16;
// @ts-ignore: decorator
@inline export const C_FLAGS: i32 = 20;
// @ts-ignore: decorator
@inline export const C_SEP0: i32 = 24;
// @ts-ignore: decorator
@inline export const C_SHARE_I: i32 = 32;
// @ts-ignore: decorator
@inline export const C_ARM_I: i32 = 36;
// @ts-ignore: decorator
@inline export const C_KT: i32 = 40;
// @ts-ignore: decorator
@inline export const C_ARM_J: i32 = 48;
// @ts-ignore: decorator
@inline export const C_MU: i32 = 52;
// @ts-ignore: decorator
@inline export const C_E: i32 = 56;
// @ts-ignore: decorator
@inline export const C_VN_PRE: i32 = 60;
// @ts-ignore: decorator
@inline export const CONTACT_BYTES: i32 = 64;
// @ts-ignore: decorator
@inline export const S_DX: i32 = 0;
// @ts-ignore: decorator
@inline export const S_DY: i32 = 8;
// @ts-ignore: decorator
@inline export const S_DZ: i32 = 16;
// @ts-ignore: decorator
@inline export const S_SDX: i32 = 24;
// @ts-ignore: decorator
@inline export const S_SDY: i32 = 32;
// @ts-ignore: decorator
@inline export const S_SDZ: i32 = 40;
// @ts-ignore: decorator
@inline export const S_UX: i32 = 48;
// @ts-ignore: decorator
@inline export const S_UY: i32 = 56;
// @ts-ignore: decorator
@inline export const S_UZ: i32 = 64;
// @ts-ignore: decorator
@inline export const S_RX: i32 = 72;
// @ts-ignore: decorator
@inline export const S_RY: i32 = 80;
// @ts-ignore: decorator
@inline export const S_RZ: i32 = 88;
// @ts-ignore: decorator
@inline export const S_INV_MASS: i32 = 96;
// @ts-ignore: decorator
@inline export const S_INV_INERTIA: i32 = 104;
// @ts-ignore: decorator
@inline export const S_MOVES: i32 = 112;
// @ts-ignore: decorator
@inline export const S_CNT: i32 = 116;
// @ts-ignore: decorator
@inline export const S_CNT_V: i32 = 120;
// @ts-ignore: decorator
@inline export const S_NSTATIC: i32 = 124;
// @ts-ignore: decorator
@inline export const S_OX: i32 = 128;
// @ts-ignore: decorator
@inline export const S_OY: i32 = 136;
// @ts-ignore: decorator
@inline export const S_OZ: i32 = 144;
// @ts-ignore: decorator
@inline export const S_AX: i32 = 152;
// @ts-ignore: decorator
@inline export const S_AY: i32 = 160;
// @ts-ignore: decorator
@inline export const S_AZ: i32 = 168;
// @ts-ignore: decorator
@inline export const S_TX: i32 = 176;
// @ts-ignore: decorator
@inline export const S_TY: i32 = 184;
// @ts-ignore: decorator
@inline export const S_TZ: i32 = 192;
// @ts-ignore: decorator
@inline export const S_PDX: i32 = 200;
// @ts-ignore: decorator
@inline export const S_PDY: i32 = 208;
// @ts-ignore: decorator
@inline export const S_PDZ: i32 = 216;
// @ts-ignore: decorator
@inline export const S_REST_MIN: i32 = 224;
// @ts-ignore: decorator
@inline export const S_SRX: i32 = 232;
// @ts-ignore: decorator
@inline export const S_SRY: i32 = 240;
// @ts-ignore: decorator
@inline export const S_SRZ: i32 = 248;
// @ts-ignore: decorator
@inline export const STATE_BYTES: i32 = 256;
// @ts-ignore: decorator
@inline export const PASS_BYTES: i32 = 152;
// @ts-ignore: decorator
@inline export const G_KEY: i32 = 0;
// @ts-ignore: decorator
@inline export const G_SLOT: i32 = 8;
// @ts-ignore: decorator
@inline export const G_LAYER: i32 = 12;
// @ts-ignore: decorator
@inline export const G_MASK: i32 = 16;
// @ts-ignore: decorator
@inline export const G_ACTIVE: i32 = 20;
// @ts-ignore: decorator
@inline export const G_X: i32 = 24;
// @ts-ignore: decorator
@inline export const G_Y: i32 = 32;
// @ts-ignore: decorator
@inline export const G_Z: i32 = 40;
// @ts-ignore: decorator
@inline export const G_REACH: i32 = 48;
// @ts-ignore: decorator
@inline export const G_TAG: i32 = 56;
// @ts-ignore: decorator
@inline export const GRID_REC_BYTES: i32 = 64;
// @ts-ignore: decorator
@inline export const CF_J_MOVES: i32 = 1;
// @ts-ignore: decorator
@inline export const CF_ACTIVE: i32 = 2;
// @ts-ignore: decorator
@inline export const CF_TOUCHED: i32 = 4;
// @ts-ignore: decorator
@inline export const CF_J_STATIC: i32 = 8;
// @ts-ignore: decorator
@inline export const CF_WAS_ACTIVE: i32 = 16;
// @ts-ignore: decorator
@inline export const CF_BOX: i32 = 32;
// @ts-ignore: decorator
@inline export const N_LO_X: i32 = 0;
// @ts-ignore: decorator
@inline export const N_LO_Y: i32 = 8;
// @ts-ignore: decorator
@inline export const N_LO_Z: i32 = 16;
// @ts-ignore: decorator
@inline export const N_HI_X: i32 = 24;
// @ts-ignore: decorator
@inline export const N_HI_Y: i32 = 32;
// @ts-ignore: decorator
@inline export const N_HI_Z: i32 = 40;
// @ts-ignore: decorator
@inline export const N_SKIP: i32 = 48;
// @ts-ignore: decorator
@inline export const N_FIRST: i32 = 52;
// @ts-ignore: decorator
@inline export const N_COUNT: i32 = 56;
// @ts-ignore: decorator
@inline export const STATIC_NODE_BYTES: i32 = 64;
// @ts-ignore: decorator
@inline export const K_LO_X: i32 = 0;
// @ts-ignore: decorator
@inline export const K_LO_Y: i32 = 8;
// @ts-ignore: decorator
@inline export const K_LO_Z: i32 = 16;
// @ts-ignore: decorator
@inline export const K_HI_X: i32 = 24;
// @ts-ignore: decorator
@inline export const K_HI_Y: i32 = 32;
// @ts-ignore: decorator
@inline export const K_HI_Z: i32 = 40;
// @ts-ignore: decorator
@inline export const K_BUILD: i32 = 48;
// @ts-ignore: decorator
@inline export const K_COUNT: i32 = 52;
// @ts-ignore: decorator
@inline export const K_LIST: i32 = 56;
// @ts-ignore: decorator
@inline export const STATIC_CACHE_BYTES: i32 = 80;
// @ts-ignore: decorator
@inline export const STATIC_CACHE_MAX: i32 = 6;
// @ts-ignore: decorator
@inline export const T_KEY: i32 = 0;
// @ts-ignore: decorator
@inline export const T_I_GEN: i32 = 8;
// @ts-ignore: decorator
@inline export const T_J_GEN: i32 = 12;
// @ts-ignore: decorator
@inline export const TOUCH_BYTES: i32 = 16;
// @ts-ignore: decorator
@inline export const D_KIND: i32 = 0;
// @ts-ignore: decorator
@inline export const D_SHAPE: i32 = 1;
// @ts-ignore: decorator
@inline export const D_FLAGS: i32 = 2;
// @ts-ignore: decorator
@inline export const D_LAYER: i32 = 3;
// @ts-ignore: decorator
@inline export const D_MASK: i32 = 4;
// @ts-ignore: decorator
@inline export const D_PX: i32 = 5;
// @ts-ignore: decorator
@inline export const D_PY: i32 = 6;
// @ts-ignore: decorator
@inline export const D_PZ: i32 = 7;
// @ts-ignore: decorator
@inline export const D_VX: i32 = 8;
// @ts-ignore: decorator
@inline export const D_VY: i32 = 9;
// @ts-ignore: decorator
@inline export const D_VZ: i32 = 10;
// @ts-ignore: decorator
@inline export const D_WX: i32 = 11;
// @ts-ignore: decorator
@inline export const D_WY: i32 = 12;
// @ts-ignore: decorator
@inline export const D_WZ: i32 = 13;
// @ts-ignore: decorator
@inline export const D_QX: i32 = 14;
// @ts-ignore: decorator
@inline export const D_QY: i32 = 15;
// @ts-ignore: decorator
@inline export const D_QZ: i32 = 16;
// @ts-ignore: decorator
@inline export const D_QW: i32 = 17;
// @ts-ignore: decorator
@inline export const D_RADIUS: i32 = 18;
// @ts-ignore: decorator
@inline export const D_HX: i32 = 19;
// @ts-ignore: decorator
@inline export const D_HY: i32 = 20;
// @ts-ignore: decorator
@inline export const D_HZ: i32 = 21;
// @ts-ignore: decorator
@inline export const D_MASS: i32 = 22;
// @ts-ignore: decorator
@inline export const D_RESTITUTION: i32 = 23;
// @ts-ignore: decorator
@inline export const D_FRICTION: i32 = 24;
// @ts-ignore: decorator
@inline export const D_LIN_DAMPING: i32 = 25;
// @ts-ignore: decorator
@inline export const D_ANG_DAMPING: i32 = 26;
// @ts-ignore: decorator
@inline export const D_GRAVITY_SCALE: i32 = 27;
// @ts-ignore: decorator
@inline export const D_CHAR_STEP: i32 = 28;
// @ts-ignore: decorator
@inline export const D_CHAR_SLOPE_COS: i32 = 29;
// @ts-ignore: decorator
@inline export const D_CHAR_JUMP: i32 = 30;
// @ts-ignore: decorator
@inline export const ERR_FULL: i64 = -1;
// @ts-ignore: decorator
@inline export const ERR_STALE_HANDLE: i64 = -2;
// @ts-ignore: decorator
@inline export const ERR_BAD_SHAPE: i64 = -3;
// @ts-ignore: decorator
@inline export const ERR_TOO_LARGE: i64 = -4;
// @ts-ignore: decorator
@inline export const ERR_BAD_MASS: i64 = -5;
// @ts-ignore: decorator
@inline export const ERR_BAD_KIND: i64 = -6;
// @ts-ignore: decorator
@inline export const ERR_NOT_CHARACTER: i64 = -7;
// @ts-ignore: decorator
@inline export const ERR_JOINTS_FULL: i64 = -8;
// @ts-ignore: decorator
@inline export const ERR_BAD_JOINT: i64 = -9;
// @ts-ignore: decorator
@inline export const HASH_RECORD_SLOTS: i32 = 64;
// @ts-ignore: decorator
@inline export const EV_KIND: i32 = 0;
// @ts-ignore: decorator
@inline export const EV_A: i32 = 4;
// @ts-ignore: decorator
@inline export const EV_A_GEN: i32 = 8;
// @ts-ignore: decorator
@inline export const EV_B: i32 = 12;
// @ts-ignore: decorator
@inline export const EV_B_GEN: i32 = 16;
// @ts-ignore: decorator
@inline export const EVENT_BYTES: i32 = 24;
// @ts-ignore: decorator
@inline export const BODY_RECORD_BYTES: i32 = 312;
// @ts-ignore: decorator
@inline export const J_KIND: i32 = 0;
// @ts-ignore: decorator
@inline export const J_FLAGS: i32 = 1;
// @ts-ignore: decorator
@inline export const J_A: i32 = 2;
// @ts-ignore: decorator
@inline export const J_A_GEN: i32 = 3;
// @ts-ignore: decorator
@inline export const J_B: i32 = 4;
// @ts-ignore: decorator
@inline export const J_B_GEN: i32 = 5;
// @ts-ignore: decorator
@inline export const J_GEN: i32 = 6;
// @ts-ignore: decorator
@inline export const J_AAX: i32 = 7;
// @ts-ignore: decorator
@inline export const J_AAY: i32 = 8;
// @ts-ignore: decorator
@inline export const J_AAZ: i32 = 9;
// @ts-ignore: decorator
@inline export const J_ABX: i32 = 10;
// @ts-ignore: decorator
@inline export const J_ABY: i32 = 11;
// @ts-ignore: decorator
@inline export const J_ABZ: i32 = 12;
// @ts-ignore: decorator
@inline export const J_XAX: i32 = 13;
// @ts-ignore: decorator
@inline export const J_XAY: i32 = 14;
// @ts-ignore: decorator
@inline export const J_XAZ: i32 = 15;
// @ts-ignore: decorator
@inline export const J_XBX: i32 = 16;
// @ts-ignore: decorator
@inline export const J_XBY: i32 = 17;
// @ts-ignore: decorator
@inline export const J_XBZ: i32 = 18;
// @ts-ignore: decorator
@inline export const J_RAX: i32 = 19;
// @ts-ignore: decorator
@inline export const J_RAY: i32 = 20;
// @ts-ignore: decorator
@inline export const J_RAZ: i32 = 21;
// @ts-ignore: decorator
@inline export const J_RBX: i32 = 22;
// @ts-ignore: decorator
@inline export const J_RBY: i32 = 23;
// @ts-ignore: decorator
@inline export const J_RBZ: i32 = 24;
// @ts-ignore: decorator
@inline export const J_LOWER: i32 = 25;
// @ts-ignore: decorator
@inline export const J_UPPER: i32 = 26;
// @ts-ignore: decorator
@inline export const J_MOTOR_SPEED: i32 = 27;
// @ts-ignore: decorator
@inline export const J_MOTOR_MAX: i32 = 28;
// @ts-ignore: decorator
@inline export const J_TARGET: i32 = 29;
// @ts-ignore: decorator
@inline export const J_MIN_LEN: i32 = 30;
// @ts-ignore: decorator
@inline export const J_MAX_LEN: i32 = 31;
// @ts-ignore: decorator
@inline export const JOINT_BYTES: i32 = 256;
// @ts-ignore: decorator
@inline export const JK_FIXED: i32 = 1;
// @ts-ignore: decorator
@inline export const JK_HINGE: i32 = 2;
// @ts-ignore: decorator
@inline export const JK_BALL: i32 = 3;
// @ts-ignore: decorator
@inline export const JK_DISTANCE: i32 = 4;
// @ts-ignore: decorator
@inline export const JF_LIMITS: i32 = 1;
// @ts-ignore: decorator
@inline export const JF_MOTOR: i32 = 2;
// @ts-ignore: decorator
@inline export const JF_TARGET: i32 = 4;
// @ts-ignore: decorator
@inline export const JF_AUTO_B: i32 = 8;
// @ts-ignore: decorator
@inline export const JF_AUTO_LEN: i32 = 16;
// @ts-ignore: decorator
@inline export const SC_INDEX: i32 = 0;
// @ts-ignore: decorator
@inline export const SC_COUNT: i32 = 1;
// @ts-ignore: decorator
@inline export const SC_NX: i32 = 2;
// @ts-ignore: decorator
@inline export const SC_NZ: i32 = 3;
// @ts-ignore: decorator
@inline export const SC_CUTS: i32 = 4;
// @ts-ignore: decorator
@inline export const SC_HALO: i32 = 5;
// @ts-ignore: decorator
@inline export const SC_WORLD: i32 = 6;
// @ts-ignore: decorator
@inline export const SC_TICK: i32 = 7;
// @ts-ignore: decorator
@inline export const SC_HIGH_WATER: i32 = 8;
// @ts-ignore: decorator
@inline export const SC_FRONT: i32 = 9;
// @ts-ignore: decorator
@inline export const SC_BACK: i32 = 10;
// @ts-ignore: decorator
@inline export const SC_OVERLAY_REC: i32 = 11;
// @ts-ignore: decorator
@inline export const SC_OVERLAY_TICK: i32 = 12;
// @ts-ignore: decorator
@inline export const SC_OVERLAY_OWNER: i32 = 13;
// @ts-ignore: decorator
@inline export const SC_OWNED: i32 = 14;
// @ts-ignore: decorator
@inline export const SC_SCR_OWNED: i32 = 15;
// @ts-ignore: decorator
@inline export const SC_SCR_COUNTS: i32 = 16;
// @ts-ignore: decorator
@inline export const SC_SCR_A: i32 = 17;
// @ts-ignore: decorator
@inline export const SC_SCR_B: i32 = 18;
// @ts-ignore: decorator
@inline export const SC_SCR_C: i32 = 19;
// @ts-ignore: decorator
@inline export const SC_SCR_ENTRIES: i32 = 20;
// @ts-ignore: decorator
@inline export const SC_TOUCH_CAP: i32 = 21;
// @ts-ignore: decorator
@inline export const SC_EVENT_CAP: i32 = 22;
// @ts-ignore: decorator
@inline export const SC_CAPACITY: i32 = 23;
// @ts-ignore: decorator
@inline export const SC_HANDOFFS: i32 = 24;
// @ts-ignore: decorator
@inline export const SC_STATUS: i32 = 25;
// @ts-ignore: decorator
@inline export const SC_OWNED_COUNT: i32 = 26;
// @ts-ignore: decorator
@inline export const SC_GHOST_COUNT: i32 = 27;
// @ts-ignore: decorator
@inline export const SC_TRAP: i32 = 28;
// @ts-ignore: decorator
@inline export const SC_STEP_NS: i32 = 29;
// @ts-ignore: decorator
@inline export const SC_NEAR: i32 = 30;
// @ts-ignore: decorator
@inline export const SC_OVERLAY_LIST: i32 = 31;
// @ts-ignore: decorator
@inline export const SC_OVERLAY_COUNT: i32 = 32;
// @ts-ignore: decorator
@inline export const SC_HELD: i32 = 33;
// @ts-ignore: decorator
@inline export const SC_HELD_COUNT: i32 = 34;
// @ts-ignore: decorator
@inline export const SC_MARK: i32 = 35;
// @ts-ignore: decorator
@inline export const SC_SYNC_SEQ: i32 = 36;
// @ts-ignore: decorator
@inline export const SC_SCR_SLOTS: i32 = 37;
// @ts-ignore: decorator
@inline export const SC_SCR_SHARDS: i32 = 38;
// @ts-ignore: decorator
@inline export const SC_SYNC_VISITS: i32 = 39;
// @ts-ignore: decorator
@inline export const SC_EVENT_VISITS: i32 = 40;
// @ts-ignore: decorator
@inline export const SC_IMPORTS: i32 = 41;
// @ts-ignore: decorator
@inline export const SC_PUBLISHED: i32 = 42;
// @ts-ignore: decorator
@inline export const SC_IMPORT_VERSION: i32 = 43;
// @ts-ignore: decorator
@inline export const SC_FULL_PUBLISH: i32 = 44;
// @ts-ignore: decorator
@inline export const SC_LOCAL: i32 = 45;
// @ts-ignore: decorator
@inline export const SC_EXCHANGE: i32 = 46;
// @ts-ignore: decorator
@inline export const SC_PASS_STATE: i32 = 47;
// @ts-ignore: decorator
@inline export const SC_PASS_BORDER: i32 = 48;
// @ts-ignore: decorator
@inline export const SC_PASS_GHOSTS: i32 = 49;
// @ts-ignore: decorator
@inline export const SC_PASS_BAND: i32 = 50;
// @ts-ignore: decorator
@inline export const SC_PASS_INDEX: i32 = 51;
// @ts-ignore: decorator
@inline export const SS_TOUCH_OVERFLOW: i64 = 1;
// @ts-ignore: decorator
@inline export const SS_EVENT_OVERFLOW: i64 = 2;
// @ts-ignore: decorator
@inline export const SS_WORLD_OVERFLOW: i64 = 4;
// @ts-ignore: decorator
@inline export const SS_IMPORT_FAILED: i64 = 8;
// @ts-ignore: decorator
@inline export const SS_SCRATCH_OVERFLOW: i64 = 16;
// @ts-ignore: decorator
@inline export const OWNER_NONE: i32 = -1;
// @ts-ignore: decorator
@inline export const OWNER_STATIC: i32 = -2;
// @ts-ignore: decorator
@inline export const BD_SEQ: i32 = 0;
// @ts-ignore: decorator
@inline export const BD_TICK: i32 = 1;
// @ts-ignore: decorator
@inline export const BD_CHECKSUM: i32 = 2;
// @ts-ignore: decorator
@inline export const BD_HIGH_WATER: i32 = 3;
// @ts-ignore: decorator
@inline export const BD_RECORDS: i32 = 4;
// @ts-ignore: decorator
@inline export const BD_OWNER: i32 = 5;
// @ts-ignore: decorator
@inline export const BD_TOUCH: i32 = 6;
// @ts-ignore: decorator
@inline export const BD_EVENTS: i32 = 7;
// @ts-ignore: decorator
@inline export const BD_TOUCH_COUNT: i32 = 8;
// @ts-ignore: decorator
@inline export const BD_EVENT_COUNT: i32 = 9;
// @ts-ignore: decorator
@inline export const BD_LISTS: i32 = 10;
// @ts-ignore: decorator
@inline export const BD_LIST_START: i32 = 11;
// @ts-ignore: decorator
@inline export const BD_PUBLISHER: i32 = 12;
// @ts-ignore: decorator
@inline export const BD_HANDED: i32 = 13;
// @ts-ignore: decorator
@inline export const BD_HANDED_START: i32 = 14;
// @ts-ignore: decorator
@inline export const BD_STATICS: i32 = 15;
// @ts-ignore: decorator
@inline export const BD_SHARDS: i32 = 16;
// @ts-ignore: decorator
@inline export const BD_CAPACITY: i32 = 17;
// @ts-ignore: decorator
@inline export const BD_LIVE: i32 = 18;
// @ts-ignore: decorator
@inline export const BD_LIVE_COUNT: i32 = 19;
// @ts-ignore: decorator
@inline export const BD_LIVE_TICK: i32 = 20;
// @ts-ignore: decorator
@inline export const BD_BY_SUBJECT: i32 = 21;
// @ts-ignore: decorator
@inline export const BD_VERSION: i32 = 22;

// Array addresses of the bound world (module globals: one set per instance).
export let P_PX: usize = 0;
export let P_PY: usize = 0;
export let P_PZ: usize = 0;
export let P_VX: usize = 0;
export let P_VY: usize = 0;
export let P_VZ: usize = 0;
export let P_WX: usize = 0;
export let P_WY: usize = 0;
export let P_WZ: usize = 0;
export let P_X0X: usize = 0;
export let P_X0Y: usize = 0;
export let P_X0Z: usize = 0;
export let P_INV_MASS: usize = 0;
export let P_INV_INERTIA: usize = 0;
export let P_QX: usize = 0;
export let P_QY: usize = 0;
export let P_QZ: usize = 0;
export let P_QW: usize = 0;
export let P_RADIUS: usize = 0;
export let P_HX: usize = 0;
export let P_HY: usize = 0;
export let P_HZ: usize = 0;
export let P_RESTITUTION: usize = 0;
export let P_FRICTION: usize = 0;
export let P_LIN_DAMP: usize = 0;
export let P_ANG_DAMP: usize = 0;
export let P_GRAVITY_SCALE: usize = 0;
export let P_FX: usize = 0;
export let P_FY: usize = 0;
export let P_FZ: usize = 0;
export let P_CHAR_TX: usize = 0;
export let P_CHAR_TZ: usize = 0;
export let P_CHAR_JUMP: usize = 0;
export let P_CHAR_STEP: usize = 0;
export let P_CHAR_SLOPE_COS: usize = 0;
export let P_GNX: usize = 0;
export let P_GNY: usize = 0;
export let P_GNZ: usize = 0;
export let P_GENERATION: usize = 0;
export let P_SHAPE: usize = 0;
export let P_KIND: usize = 0;
export let P_FLAGS: usize = 0;
export let P_LAYER: usize = 0;
export let P_MASK: usize = 0;
export let P_CELL_KEY: usize = 0;
export let P_SLEEP_COUNT: usize = 0;
export let P_BUCKET: usize = 0;
export let P_STATIC_POS: usize = 0;
export let P_MOVING_POS: usize = 0;
export let P_WAKE: usize = 0;
export let P_CFIRST: usize = 0;
export let P_CCOUNT: usize = 0;
export let P_AWAKE_POS: usize = 0;
export let P_SLEEP_NEXT: usize = 0;
export let P_SLEEP_PREV: usize = 0;
export let P_MARK: usize = 0;
export let P_STATIC_CACHE: usize = 0;
export let P_TAG: usize = 0;
export let P_STATE: usize = 0;
export let P_FREE: usize = 0;
export let P_STATICS: usize = 0;
export let P_MOVING: usize = 0;
export let P_STATIC_ORDER: usize = 0;
export let P_STATIC_NODES: usize = 0;
export let P_BUCKET_START: usize = 0;
export let P_SORTED: usize = 0;
export let P_SORTED_REC: usize = 0;
export let P_PAIRS: usize = 0;
export let P_PAIR_J: usize = 0;
export let P_CONTACTS: usize = 0;
export let P_TOUCH: usize = 0;
export let P_PREV_TOUCH: usize = 0;
export let P_EVENTS: usize = 0;
export let P_HITS: usize = 0;
export let P_HASH_REC: usize = 0;
export let P_BODY_DEF: usize = 0;
export let P_AWAKE: usize = 0;
export let P_PART: usize = 0;
export let P_SLEEP_HEAD: usize = 0;
export let P_SORT_COUNTS: usize = 0;
export let P_SLEEP_BLOCKS: usize = 0;
export let P_MOVING_ORDER: usize = 0;
export let P_MOVING_NODES: usize = 0;
export let P_STATIC_AABB: usize = 0;
export let P_BOX_SCRATCH: usize = 0;
export let P_BOX_INERTIA: usize = 0;
export let P_BOX_NORMAL: usize = 0;
export let P_GEOMETRY: usize = 0;
export let P_JOINTS: usize = 0;

/** Loads every array address from the header of the world at `base` (offsets are relative). */
export function bindArrays(base: usize): void {
  P_PX = base + <usize>load<i64>(base + 512);
  P_PY = base + <usize>load<i64>(base + 520);
  P_PZ = base + <usize>load<i64>(base + 528);
  P_VX = base + <usize>load<i64>(base + 536);
  P_VY = base + <usize>load<i64>(base + 544);
  P_VZ = base + <usize>load<i64>(base + 552);
  P_WX = base + <usize>load<i64>(base + 560);
  P_WY = base + <usize>load<i64>(base + 568);
  P_WZ = base + <usize>load<i64>(base + 576);
  P_X0X = base + <usize>load<i64>(base + 584);
  P_X0Y = base + <usize>load<i64>(base + 592);
  P_X0Z = base + <usize>load<i64>(base + 600);
  P_INV_MASS = base + <usize>load<i64>(base + 608);
  P_INV_INERTIA = base + <usize>load<i64>(base + 616);
  P_QX = base + <usize>load<i64>(base + 624);
  P_QY = base + <usize>load<i64>(base + 632);
  P_QZ = base + <usize>load<i64>(base + 640);
  P_QW = base + <usize>load<i64>(base + 648);
  P_RADIUS = base + <usize>load<i64>(base + 656);
  P_HX = base + <usize>load<i64>(base + 664);
  P_HY = base + <usize>load<i64>(base + 672);
  P_HZ = base + <usize>load<i64>(base + 680);
  P_RESTITUTION = base + <usize>load<i64>(base + 688);
  P_FRICTION = base + <usize>load<i64>(base + 696);
  P_LIN_DAMP = base + <usize>load<i64>(base + 704);
  P_ANG_DAMP = base + <usize>load<i64>(base + 712);
  P_GRAVITY_SCALE = base + <usize>load<i64>(base + 720);
  P_FX = base + <usize>load<i64>(base + 728);
  P_FY = base + <usize>load<i64>(base + 736);
  P_FZ = base + <usize>load<i64>(base + 744);
  P_CHAR_TX = base + <usize>load<i64>(base + 752);
  P_CHAR_TZ = base + <usize>load<i64>(base + 760);
  P_CHAR_JUMP = base + <usize>load<i64>(base + 768);
  P_CHAR_STEP = base + <usize>load<i64>(base + 776);
  P_CHAR_SLOPE_COS = base + <usize>load<i64>(base + 784);
  P_GNX = base + <usize>load<i64>(base + 792);
  P_GNY = base + <usize>load<i64>(base + 800);
  P_GNZ = base + <usize>load<i64>(base + 808);
  P_GENERATION = base + <usize>load<i64>(base + 816);
  P_SHAPE = base + <usize>load<i64>(base + 824);
  P_KIND = base + <usize>load<i64>(base + 832);
  P_FLAGS = base + <usize>load<i64>(base + 840);
  P_LAYER = base + <usize>load<i64>(base + 848);
  P_MASK = base + <usize>load<i64>(base + 856);
  P_CELL_KEY = base + <usize>load<i64>(base + 864);
  P_SLEEP_COUNT = base + <usize>load<i64>(base + 872);
  P_BUCKET = base + <usize>load<i64>(base + 880);
  P_STATIC_POS = base + <usize>load<i64>(base + 888);
  P_MOVING_POS = base + <usize>load<i64>(base + 896);
  P_WAKE = base + <usize>load<i64>(base + 904);
  P_CFIRST = base + <usize>load<i64>(base + 912);
  P_CCOUNT = base + <usize>load<i64>(base + 920);
  P_AWAKE_POS = base + <usize>load<i64>(base + 928);
  P_SLEEP_NEXT = base + <usize>load<i64>(base + 936);
  P_SLEEP_PREV = base + <usize>load<i64>(base + 944);
  P_MARK = base + <usize>load<i64>(base + 952);
  P_STATIC_CACHE = base + <usize>load<i64>(base + 960);
  P_TAG = base + <usize>load<i64>(base + 968);
  P_STATE = base + <usize>load<i64>(base + 976);
  P_FREE = base + <usize>load<i64>(base + 984);
  P_STATICS = base + <usize>load<i64>(base + 992);
  P_MOVING = base + <usize>load<i64>(base + 1000);
  P_STATIC_ORDER = base + <usize>load<i64>(base + 1008);
  P_STATIC_NODES = base + <usize>load<i64>(base + 1016);
  P_BUCKET_START = base + <usize>load<i64>(base + 1024);
  P_SORTED = base + <usize>load<i64>(base + 1032);
  P_SORTED_REC = base + <usize>load<i64>(base + 1040);
  P_PAIRS = base + <usize>load<i64>(base + 1048);
  P_PAIR_J = base + <usize>load<i64>(base + 1056);
  P_CONTACTS = base + <usize>load<i64>(base + 1064);
  P_TOUCH = base + <usize>load<i64>(base + 1072);
  P_PREV_TOUCH = base + <usize>load<i64>(base + 1080);
  P_EVENTS = base + <usize>load<i64>(base + 1088);
  P_HITS = base + <usize>load<i64>(base + 1096);
  P_HASH_REC = base + <usize>load<i64>(base + 1104);
  P_BODY_DEF = base + <usize>load<i64>(base + 1112);
  P_AWAKE = base + <usize>load<i64>(base + 1120);
  P_PART = base + <usize>load<i64>(base + 1128);
  P_SLEEP_HEAD = base + <usize>load<i64>(base + 1136);
  P_SORT_COUNTS = base + <usize>load<i64>(base + 1144);
  P_SLEEP_BLOCKS = base + <usize>load<i64>(base + 1152);
  P_MOVING_ORDER = base + <usize>load<i64>(base + 1160);
  P_MOVING_NODES = base + <usize>load<i64>(base + 1168);
  P_STATIC_AABB = base + <usize>load<i64>(base + 1176);
  P_BOX_SCRATCH = base + <usize>load<i64>(base + 1184);
  P_BOX_INERTIA = base + <usize>load<i64>(base + 1192);
  P_BOX_NORMAL = base + <usize>load<i64>(base + 1200);
  P_GEOMETRY = base + <usize>load<i64>(base + 1208);
  P_JOINTS = base + <usize>load<i64>(base + 1216);
}
