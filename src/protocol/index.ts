/**
 * The wire protocol's public surface (re-exports only):
 *
 * ```
 *  messages.ts     message values (TypeScript), PROTOCOL_VERSION, constant tables
 *  errors.ts       ERROR / CLOSE codes, ProtocolError
 *  codec.ts        encodeClient/decodeClient, encodeServer/decodeServer, encodeShard/decodeShard,
 *                  peek*Kind: values <-> FlatBuffers bytes (decoders verify first)
 *  verify.ts       verifyClient/verifyServer/verifyShard: the FlatBuffers verifier alone
 *  descriptors.ts  the schemas as data for the verifier (linked from generated/descriptors_generated.ts)
 *  generated/      flatc output and the descriptor data from flatc's binary schemas (never imported
 *                  outside src/protocol; never edited by hand)
 * ```
 */
export * from './messages';
export * from './errors';
export {
  encodeClient,
  decodeClient,
  encodeServer,
  decodeServer,
  encodeShard,
  decodeShard,
  peekClientKind,
  peekServerKind,
  peekShardKind,
  CLIENT_KINDS,
  SERVER_KINDS,
  SHARD_KINDS,
  CLUSTER_KINDS,
  WALK_MIN,
  WALK_MAX,
} from './codec';
export {
  verifyClient,
  verifyServer,
  verifyShard,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_TABLES,
  MIN_BYTES,
  type VerifyOptions,
} from './verify';
