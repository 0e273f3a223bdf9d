// Exported physics API for the bindings (src/physics/world.ts). A world is bound per
// instance with worldBind / worldInit; body functions take handles and return 0 or a
// negative error code (BODY_ERROR in src/physics/world-layout.ts).

export {
  worldInit, worldBind, bodyCreate, bodySetPosition, bodySetVelocity,
  bodySetAngularVelocity, bodyApplyImpulse, bodyApplyForce, bodyWake, characterSetInput, worldRelist,
  worldCheckLists,
} from '../physics/world';
export { worldStep, worldHash } from '../physics/step';
export { bodyRemove, jointCreate, jointRemove, jointMeasure } from '../physics/joints';
export { raycast, overlapSphere, overlapBox } from '../physics/query';
export { bodyExport, bodyImport, worldSetTick } from '../physics/transfer';
export { sensorOverlap } from '../physics/sensors';
export { capsuleInertiaOf } from '../physics/capsule-contacts';
import { interactionRange } from '../physics/solver';
import { slotOf } from '../physics/world';

/** The interaction range of one tick (raw metres): the halo width a shard needs. */
export function worldInteractionRange(): i64 { return interactionRange(); }

/** Slot of a live body's handle, or -1 when the handle is stale. */
export function bodySlot(handle: i64): i32 { return slotOf(handle); }

export { shardTick, shardReset, shardPutRecord, shardPhase, boardHash, boardRecordsHash, boardPublishLive } from '../physics/shard';
