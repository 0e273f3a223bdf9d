// V8's Error.stackTraceLimit (src/protocol/verify.ts lowers it while verifying); browsers based
// on V8 have it, others ignore the assignment.
interface ErrorConstructor {
  stackTraceLimit: number;
}
