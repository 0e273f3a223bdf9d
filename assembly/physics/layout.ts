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
@inline export const H_INV_H: i32 = 37;
// @ts-ignore: decorator
@inline export const H_H_Q32: i32 = 38;
// @ts-ignore: decorator
@inline export const H_OFFSETS_AT: i32 = 64;
// @ts-ignore: decorator
@inline export const HEADER_SLOTS: i32 = 192;
// @ts-ignore: decorator
@inline export const WORLD_MAGIC: u64 = 4921399027822708052;
// @ts-ignore: decorator
@inline export const WORLD_VERSION: i64 = 1;
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
@inline export const F_DX: i32 = 12;
// @ts-ignore: decorator
@inline export const F_DY: i32 = 13;
// @ts-ignore: decorator
@inline export const F_DZ: i32 = 14;
// @ts-ignore: decorator
@inline export const F_SDX: i32 = 15;
// @ts-ignore: decorator
@inline export const F_SDY: i32 = 16;
// @ts-ignore: decorator
@inline export const F_SDZ: i32 = 17;
// @ts-ignore: decorator
@inline export const F_PDX: i32 = 18;
// @ts-ignore: decorator
@inline export const F_PDY: i32 = 19;
// @ts-ignore: decorator
@inline export const F_PDZ: i32 = 20;
// @ts-ignore: decorator
@inline export const F_UX: i32 = 21;
// @ts-ignore: decorator
@inline export const F_UY: i32 = 22;
// @ts-ignore: decorator
@inline export const F_UZ: i32 = 23;
// @ts-ignore: decorator
@inline export const F_OX: i32 = 24;
// @ts-ignore: decorator
@inline export const F_OY: i32 = 25;
// @ts-ignore: decorator
@inline export const F_OZ: i32 = 26;
// @ts-ignore: decorator
@inline export const F_AX: i32 = 27;
// @ts-ignore: decorator
@inline export const F_AY: i32 = 28;
// @ts-ignore: decorator
@inline export const F_AZ: i32 = 29;
// @ts-ignore: decorator
@inline export const F_TX: i32 = 30;
// @ts-ignore: decorator
@inline export const F_TY: i32 = 31;
// @ts-ignore: decorator
@inline export const F_TZ: i32 = 32;
// @ts-ignore: decorator
@inline export const F_RX: i32 = 33;
// @ts-ignore: decorator
@inline export const F_RY: i32 = 34;
// @ts-ignore: decorator
@inline export const F_RZ: i32 = 35;
// @ts-ignore: decorator
@inline export const F_INV_MASS: i32 = 36;
// @ts-ignore: decorator
@inline export const F_INV_INERTIA: i32 = 37;
// @ts-ignore: decorator
@inline export const F_QX: i32 = 38;
// @ts-ignore: decorator
@inline export const F_QY: i32 = 39;
// @ts-ignore: decorator
@inline export const F_QZ: i32 = 40;
// @ts-ignore: decorator
@inline export const F_QW: i32 = 41;
// @ts-ignore: decorator
@inline export const F_RADIUS: i32 = 42;
// @ts-ignore: decorator
@inline export const F_HX: i32 = 43;
// @ts-ignore: decorator
@inline export const F_HY: i32 = 44;
// @ts-ignore: decorator
@inline export const F_HZ: i32 = 45;
// @ts-ignore: decorator
@inline export const F_RESTITUTION: i32 = 46;
// @ts-ignore: decorator
@inline export const F_FRICTION: i32 = 47;
// @ts-ignore: decorator
@inline export const F_LIN_DAMP: i32 = 48;
// @ts-ignore: decorator
@inline export const F_ANG_DAMP: i32 = 49;
// @ts-ignore: decorator
@inline export const F_GRAVITY_SCALE: i32 = 50;
// @ts-ignore: decorator
@inline export const F_FX: i32 = 51;
// @ts-ignore: decorator
@inline export const F_FY: i32 = 52;
// @ts-ignore: decorator
@inline export const F_FZ: i32 = 53;
// @ts-ignore: decorator
@inline export const F_CHAR_TX: i32 = 54;
// @ts-ignore: decorator
@inline export const F_CHAR_TZ: i32 = 55;
// @ts-ignore: decorator
@inline export const F_CHAR_JUMP: i32 = 56;
// @ts-ignore: decorator
@inline export const F_CHAR_STEP: i32 = 57;
// @ts-ignore: decorator
@inline export const F_CHAR_SLOPE_COS: i32 = 58;
// @ts-ignore: decorator
@inline export const F_GNX: i32 = 59;
// @ts-ignore: decorator
@inline export const F_GNY: i32 = 60;
// @ts-ignore: decorator
@inline export const F_GNZ: i32 = 61;
// @ts-ignore: decorator
@inline export const F_GENERATION: i32 = 62;
// @ts-ignore: decorator
@inline export const F_SHAPE: i32 = 63;
// @ts-ignore: decorator
@inline export const F_KIND: i32 = 64;
// @ts-ignore: decorator
@inline export const F_FLAGS: i32 = 65;
// @ts-ignore: decorator
@inline export const F_LAYER: i32 = 66;
// @ts-ignore: decorator
@inline export const F_MASK: i32 = 67;
// @ts-ignore: decorator
@inline export const F_CELL_KEY: i32 = 68;
// @ts-ignore: decorator
@inline export const F_SLEEP_COUNT: i32 = 69;
// @ts-ignore: decorator
@inline export const F_CNT: i32 = 70;
// @ts-ignore: decorator
@inline export const F_CNT_V: i32 = 71;
// @ts-ignore: decorator
@inline export const F_BUCKET: i32 = 72;
// @ts-ignore: decorator
@inline export const F_STATIC_POS: i32 = 73;
// @ts-ignore: decorator
@inline export const F_WAKE: i32 = 74;
// @ts-ignore: decorator
@inline export const F_CFIRST: i32 = 75;
// @ts-ignore: decorator
@inline export const F_CCOUNT: i32 = 76;
// @ts-ignore: decorator
@inline export const F_FREE: i32 = 77;
// @ts-ignore: decorator
@inline export const F_STATICS: i32 = 78;
// @ts-ignore: decorator
@inline export const F_BUCKET_START: i32 = 79;
// @ts-ignore: decorator
@inline export const F_SORTED: i32 = 80;
// @ts-ignore: decorator
@inline export const F_CONTACTS: i32 = 81;
// @ts-ignore: decorator
@inline export const F_TOUCH: i32 = 82;
// @ts-ignore: decorator
@inline export const F_PREV_TOUCH: i32 = 83;
// @ts-ignore: decorator
@inline export const F_EVENTS: i32 = 84;
// @ts-ignore: decorator
@inline export const F_HITS: i32 = 85;
// @ts-ignore: decorator
@inline export const F_HASH_REC: i32 = 86;
// @ts-ignore: decorator
@inline export const F_BODY_DEF: i32 = 87;
// @ts-ignore: decorator
@inline export const SHAPE_SPHERE: i32 = 0;
// @ts-ignore: decorator
@inline export const SHAPE_CAPSULE: i32 = 1;
// @ts-ignore: decorator
@inline export const SHAPE_BOX: i32 = 2;
// @ts-ignore: decorator
@inline export const SHAPE_PLANE: i32 = 3;
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
@inline export const EVENT_BEGIN: i32 = 1;
// @ts-ignore: decorator
@inline export const EVENT_END: i32 = 2;
// @ts-ignore: decorator
@inline export const C_I: i32 = 0;
// @ts-ignore: decorator
@inline export const C_J: i32 = 4;
// @ts-ignore: decorator
@inline export const C_FLAGS: i32 = 8;
// @ts-ignore: decorator
@inline export const C_NX: i32 = 16;
// @ts-ignore: decorator
@inline export const C_NY: i32 = 24;
// @ts-ignore: decorator
@inline export const C_NZ: i32 = 32;
// @ts-ignore: decorator
@inline export const C_SEP0: i32 = 40;
// @ts-ignore: decorator
@inline export const C_SHARE_I: i32 = 48;
// @ts-ignore: decorator
@inline export const C_SHARE_J: i32 = 56;
// @ts-ignore: decorator
@inline export const C_KT: i32 = 64;
// @ts-ignore: decorator
@inline export const C_ARM_I: i32 = 72;
// @ts-ignore: decorator
@inline export const C_ARM_J: i32 = 80;
// @ts-ignore: decorator
@inline export const C_MU: i32 = 88;
// @ts-ignore: decorator
@inline export const C_E: i32 = 96;
// @ts-ignore: decorator
@inline export const C_VN_PRE: i32 = 104;
// @ts-ignore: decorator
@inline export const C_KN: i32 = 112;
// @ts-ignore: decorator
@inline export const CONTACT_BYTES: i32 = 128;
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
export let P_DX: usize = 0;
export let P_DY: usize = 0;
export let P_DZ: usize = 0;
export let P_SDX: usize = 0;
export let P_SDY: usize = 0;
export let P_SDZ: usize = 0;
export let P_PDX: usize = 0;
export let P_PDY: usize = 0;
export let P_PDZ: usize = 0;
export let P_UX: usize = 0;
export let P_UY: usize = 0;
export let P_UZ: usize = 0;
export let P_OX: usize = 0;
export let P_OY: usize = 0;
export let P_OZ: usize = 0;
export let P_AX: usize = 0;
export let P_AY: usize = 0;
export let P_AZ: usize = 0;
export let P_TX: usize = 0;
export let P_TY: usize = 0;
export let P_TZ: usize = 0;
export let P_RX: usize = 0;
export let P_RY: usize = 0;
export let P_RZ: usize = 0;
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
export let P_CNT: usize = 0;
export let P_CNT_V: usize = 0;
export let P_BUCKET: usize = 0;
export let P_STATIC_POS: usize = 0;
export let P_WAKE: usize = 0;
export let P_CFIRST: usize = 0;
export let P_CCOUNT: usize = 0;
export let P_FREE: usize = 0;
export let P_STATICS: usize = 0;
export let P_BUCKET_START: usize = 0;
export let P_SORTED: usize = 0;
export let P_CONTACTS: usize = 0;
export let P_TOUCH: usize = 0;
export let P_PREV_TOUCH: usize = 0;
export let P_EVENTS: usize = 0;
export let P_HITS: usize = 0;
export let P_HASH_REC: usize = 0;
export let P_BODY_DEF: usize = 0;

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
  P_DX = base + <usize>load<i64>(base + 608);
  P_DY = base + <usize>load<i64>(base + 616);
  P_DZ = base + <usize>load<i64>(base + 624);
  P_SDX = base + <usize>load<i64>(base + 632);
  P_SDY = base + <usize>load<i64>(base + 640);
  P_SDZ = base + <usize>load<i64>(base + 648);
  P_PDX = base + <usize>load<i64>(base + 656);
  P_PDY = base + <usize>load<i64>(base + 664);
  P_PDZ = base + <usize>load<i64>(base + 672);
  P_UX = base + <usize>load<i64>(base + 680);
  P_UY = base + <usize>load<i64>(base + 688);
  P_UZ = base + <usize>load<i64>(base + 696);
  P_OX = base + <usize>load<i64>(base + 704);
  P_OY = base + <usize>load<i64>(base + 712);
  P_OZ = base + <usize>load<i64>(base + 720);
  P_AX = base + <usize>load<i64>(base + 728);
  P_AY = base + <usize>load<i64>(base + 736);
  P_AZ = base + <usize>load<i64>(base + 744);
  P_TX = base + <usize>load<i64>(base + 752);
  P_TY = base + <usize>load<i64>(base + 760);
  P_TZ = base + <usize>load<i64>(base + 768);
  P_RX = base + <usize>load<i64>(base + 776);
  P_RY = base + <usize>load<i64>(base + 784);
  P_RZ = base + <usize>load<i64>(base + 792);
  P_INV_MASS = base + <usize>load<i64>(base + 800);
  P_INV_INERTIA = base + <usize>load<i64>(base + 808);
  P_QX = base + <usize>load<i64>(base + 816);
  P_QY = base + <usize>load<i64>(base + 824);
  P_QZ = base + <usize>load<i64>(base + 832);
  P_QW = base + <usize>load<i64>(base + 840);
  P_RADIUS = base + <usize>load<i64>(base + 848);
  P_HX = base + <usize>load<i64>(base + 856);
  P_HY = base + <usize>load<i64>(base + 864);
  P_HZ = base + <usize>load<i64>(base + 872);
  P_RESTITUTION = base + <usize>load<i64>(base + 880);
  P_FRICTION = base + <usize>load<i64>(base + 888);
  P_LIN_DAMP = base + <usize>load<i64>(base + 896);
  P_ANG_DAMP = base + <usize>load<i64>(base + 904);
  P_GRAVITY_SCALE = base + <usize>load<i64>(base + 912);
  P_FX = base + <usize>load<i64>(base + 920);
  P_FY = base + <usize>load<i64>(base + 928);
  P_FZ = base + <usize>load<i64>(base + 936);
  P_CHAR_TX = base + <usize>load<i64>(base + 944);
  P_CHAR_TZ = base + <usize>load<i64>(base + 952);
  P_CHAR_JUMP = base + <usize>load<i64>(base + 960);
  P_CHAR_STEP = base + <usize>load<i64>(base + 968);
  P_CHAR_SLOPE_COS = base + <usize>load<i64>(base + 976);
  P_GNX = base + <usize>load<i64>(base + 984);
  P_GNY = base + <usize>load<i64>(base + 992);
  P_GNZ = base + <usize>load<i64>(base + 1000);
  P_GENERATION = base + <usize>load<i64>(base + 1008);
  P_SHAPE = base + <usize>load<i64>(base + 1016);
  P_KIND = base + <usize>load<i64>(base + 1024);
  P_FLAGS = base + <usize>load<i64>(base + 1032);
  P_LAYER = base + <usize>load<i64>(base + 1040);
  P_MASK = base + <usize>load<i64>(base + 1048);
  P_CELL_KEY = base + <usize>load<i64>(base + 1056);
  P_SLEEP_COUNT = base + <usize>load<i64>(base + 1064);
  P_CNT = base + <usize>load<i64>(base + 1072);
  P_CNT_V = base + <usize>load<i64>(base + 1080);
  P_BUCKET = base + <usize>load<i64>(base + 1088);
  P_STATIC_POS = base + <usize>load<i64>(base + 1096);
  P_WAKE = base + <usize>load<i64>(base + 1104);
  P_CFIRST = base + <usize>load<i64>(base + 1112);
  P_CCOUNT = base + <usize>load<i64>(base + 1120);
  P_FREE = base + <usize>load<i64>(base + 1128);
  P_STATICS = base + <usize>load<i64>(base + 1136);
  P_BUCKET_START = base + <usize>load<i64>(base + 1144);
  P_SORTED = base + <usize>load<i64>(base + 1152);
  P_CONTACTS = base + <usize>load<i64>(base + 1160);
  P_TOUCH = base + <usize>load<i64>(base + 1168);
  P_PREV_TOUCH = base + <usize>load<i64>(base + 1176);
  P_EVENTS = base + <usize>load<i64>(base + 1184);
  P_HITS = base + <usize>load<i64>(base + 1192);
  P_HASH_REC = base + <usize>load<i64>(base + 1200);
  P_BODY_DEF = base + <usize>load<i64>(base + 1208);
}
