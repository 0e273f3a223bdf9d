// Result registers: functions that produce a vector or quaternion write it here instead of
// allocating (STYLE.md: "multiple results go through module globals"). They are module
// globals, so every WebAssembly instance (every worker thread) has its own set, even when
// the instances share one memory. Read them right after the call; the next call overwrites.

/** x component of the last vector / quaternion result (raw Q47.16). */
export let rx: i64 = 0;
/** y component of the last vector / quaternion result (raw Q47.16). */
export let ry: i64 = 0;
/** z component of the last vector / quaternion result (raw Q47.16). */
export let rz: i64 = 0;
/** w component of the last quaternion result (raw Q47.16). */
export let rw: i64 = 0;

/** Sets all four result registers. */
// @ts-ignore: decorator
@inline export function setResult(x: i64, y: i64, z: i64, w: i64): void {
  rx = x; ry = y; rz = z; rw = w;
}
