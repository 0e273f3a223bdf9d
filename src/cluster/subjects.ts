/**
 * NATS names of one cluster world (docs/cluster/design.md "Subjects and buckets"). Every
 * subject starts with `tessera.<world>.`; key-value buckets are `tessera_<world>_<what>`.
 *
 * ```
 *  order            coordinator -> processes   ShardPart messages of a ShardTick (pub/sub)
 *  res.<id>.<k>     process -> everyone        ShardPart messages of region k's ShardResult from process id (pub/sub)
 *  resend           process -> processes       JSON {tick, regions}: republish retained Results
 *  proc.<id>.snap   coordinator -> process     request/reply: the parts of a copy of the world
 *  proc.<id>.ping   coordinator -> process     request/reply: liveness ("no responders" = gone)
 *  committed        coordinator -> anyone      JSON {tick, ms} after each tick (tick = the state now published, ms = the tick's wall time)
 *  members (KV)     process heartbeats         key proc.<id>: JSON ShardMember, every 250 ms
 *  assign (KV)      coordinator                key region.<k>: process id; the revision is the epoch
 * ```
 * The sender of a Result is the `<id>` token of its subject; with NATS users (auth.ts) the server
 * lets only process `<id>` publish there, so the coordinator can trust it.
 */

import type { Msg, MsgCallback, NatsConnection } from '@nats-io/transport-node';
import { splitParts } from './messages';

/**
 * Publishes a cluster message on `subject` as ShardPart messages (messages.ts splitParts: tick,
 * region and epoch label the parts).
 */
export function publishParts(nc: NatsConnection, subject: string, bytes: Uint8Array, tick: number, region: number, epoch: bigint): void {
  for (const p of splitParts(bytes, tick, region, epoch)) nc.publish(subject, p);
}

/**
 * A subscription callback that passes on messages only: a subscription the server refuses (a
 * permissions violation) calls back with the error and no message, which the connection's
 * status loop reports too (`onError` hears it at once, before a later flush resolves).
 */
export function onMsg(f: (m: Msg) => void, onError?: (e: Error) => void): MsgCallback<Msg> {
  return (e, m) => {
    if (!e) f(m);
    else onError?.(e);
  };
}

/** A world id: letters, digits, '_' and '-' (NATS subject tokens and bucket names), 1 to 64 characters. */
export const WORLD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A process's heartbeat record in the members bucket. */
export interface ShardMember {
  id: string;
  pid: number;
  host: string;
  /** Wants no regions until one fails (it still follows every tick). */
  standby: boolean;
  /** The next tick its copy will run (-1: no copy yet). */
  tick: number;
  /** Wall time of its last step of all its regions, ms. */
  stepMs: number;
  /** Regions it ran last. */
  regions: number[];
}

/** The subjects and bucket names of world `world`. Throws RangeError for an id that is not WORLD_ID. */
export function names(world: string) {
  if (!WORLD_ID.test(world)) throw new RangeError(`world id ${JSON.stringify(world)}: use 1 to 64 letters, digits, '_' or '-'`);
  const p = `tessera.${world}`;
  return {
    order: `${p}.order`,
    /** Region k's Results from process `id` ('*': any region, for permissions). */
    result: (id: string, k: number | '*') => `${p}.res.${id}.${k}`,
    results: `${p}.res.*.*`,
    /** The sender token of a Result's subject (res.<id>.<k>); '' for another subject. */
    senderOf: (subject: string): string => {
      const rest = subject.startsWith(`${p}.res.`) ? subject.slice(p.length + 5).split('.') : [];
      return rest.length === 2 ? rest[0] : '';
    },
    resend: `${p}.resend`,
    snap: (id: string) => `${p}.proc.${id}.snap`,
    ping: (id: string) => `${p}.proc.${id}.ping`,
    committed: `${p}.committed`,
    members: `tessera_${world}_members`,
    assign: `tessera_${world}_assign`,
  };
}

/**
 * Float64 slots a shard process shares with its liveness thread (liveness-worker.ts): wall
 * time (ms since the epoch) of the event loop's last beat, of the start of the long piece of
 * work it is in (0: none), and its next tick.
 */
export const LIVE = { BEAT: 0, BUSY_SINCE: 1, TICK: 2, WORDS: 4 } as const;
