/**
 * Why a cluster message was refused (src/cluster/): each refusal is logged with its code and
 * counted (tessera_cluster_rejected_total{code}), and changes nothing.
 *
 * ```
 *  BAD_MESSAGE     not a verified cluster FlatBuffer (the verifier's reason follows)
 *  BAD_VALUE       a field out of range (a region, slot, size or count the world cannot hold)
 *  STALE_EPOCH     a Result under an assignment epoch that is no longer the region's
 *  NOT_OWNER       a Result for a region not assigned to the process that sent it
 *  WRONG_TICK      a Result or order for a tick other than the one being stepped
 *  MISSING_RESULT  an order whose committed Results of the last tick have not all arrived
 *  BEHIND          an order past the next tick: the process needs a new copy of the world
 * ```
 */
import { ERROR, ProtocolError } from '../protocol/errors';
import { WriteSetError } from './write-set';

export type ClusterErrorCode = 'BAD_MESSAGE' | 'BAD_VALUE' | 'STALE_EPOCH' | 'NOT_OWNER' | 'WRONG_TICK' | 'MISSING_RESULT' | 'BEHIND';

/**
 * The refusal code of an error raised by reading or checking a cluster message: ClusterError's
 * own code, BAD_MESSAGE for a message the FlatBuffers verifier refused, BAD_VALUE for another
 * ProtocolError or a WriteSetError. null for anything else (a fault of the reader, not of the
 * message).
 */
export function refusalCode(e: unknown): ClusterErrorCode | null {
  if (e instanceof ClusterError) return e.code;
  if (e instanceof ProtocolError) return e.code === ERROR.BAD_MESSAGE ? 'BAD_MESSAGE' : 'BAD_VALUE';
  if (e instanceof WriteSetError) return 'BAD_VALUE';
  return null;
}

/** A refused cluster message or order (see the module comment for the codes). */
export class ClusterError extends Error {
  constructor(
    readonly code: ClusterErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}
