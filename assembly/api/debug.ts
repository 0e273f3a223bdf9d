// The only floating point in assembly/: conversions for debugging and display. The
// simulation never calls these; the float check (test/wasm-floats.test.ts) allows floats
// only in exports whose name starts with "debug".

/** Q47.16 raw to f64 (exact for |raw| < 2^53). For logs and debuggers only. */
export function debugToF64(x: i64): f64 {
  return <f64>x / 65536.0;
}

/** f64 to Q47.16 raw, rounded to nearest. For hand-written debug input only. */
export function debugFromF64(v: f64): i64 {
  return <i64>Math.round(v * 65536.0);
}
