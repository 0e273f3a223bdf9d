/**
 * Who may touch a replicated world's JetStream state on NATS (issue 19, "every door
 * authenticates"): the log stream, the leader lease and what else a replica keeps there.
 *
 * Every replication node of a world (the leader and its replicas: any replica may become the
 * leader) connects as a NATS user of its own, an NKey made by `tessera cluster-keys --replicas`
 * (src/cluster/auth.ts makeClusterKeys). Its permissions reach only that world's replication
 * streams, through the JetStream API subjects named for each stream (NATS docs, "JetStream
 * wire API reference": `$JS.API.STREAM.INFO.<stream>` and so on), the log's subject, the lease's
 * key, and its own inbox:
 *
 * ```
 *  user          publish                                          subscribe
 *  replica <id>  tessera.<world>.log, tessera.<world>.data.>        _INBOX_<id>.>
 *                tessera.<world>.edge.> (edge hosts, edge.ts)       tessera.<world>.edge.>
 *                (and a reply to each request it received: allow_responses)
 *                (JetStream publishes),
 *                $KV.TESSERA_LEASE_<world>.leader,
 *                $O.TESSERA_SNAP_<world>.> and STREAM.PURGE of its
 *                stream OBJ_TESSERA_SNAP_<world> (snapshots),
 *                $JS.API.INFO,
 *                per stream S of replicationStreams(world):
 *                  $JS.API.STREAM.{CREATE,UPDATE,INFO,MSG.GET}.S,
 *                  $JS.API.DIRECT.GET.S[.>],
 *                  $JS.API.CONSUMER.{CREATE,DELETE,INFO,MSG.NEXT}.S[.>]
 * ```
 *
 * Not granted: deleting or purging the log or the lease (`STREAM.DELETE`, `STREAM.PURGE`, `STREAM.MSG.DELETE`),
 * any other world's streams, the cluster's subjects (orders, Results), publishing on another
 * user's inbox. So a shard process's key cannot append to a world's log or take its lease, a
 * replica of world A cannot read or write world B, and no replication key can erase history.
 * Not covered: a node holding a valid replica key that appends a forged tick while it holds no
 * lease (the leader's next append is fenced and replicas stop at the hash mismatch: an insider
 * can stop replication, not change what a replica accepts as the world), and Byzantine leaders.
 */
import { clusterConnectOptions, idOfKeyFile, type NatsPermissions } from '../cluster/auth';
import type { ConnectionOptions } from '@nats-io/transport-node';
import { WORLD_ID } from '../cluster/subjects';
import { logNames } from './jetstream-log';
import { leaseBucket } from './lease';
import { snapshotBucket } from './snapshots';
import { dataNames } from './data-records';

/**
 * The JetStream streams a replicated world `world` keeps: the tick log, the lease bucket's
 * stream (`KV_<bucket>`), the snapshots' object store's (`OBJ_<bucket>`, snapshots.ts) and the
 * data stream (`TESSERA_DATA_<world>`: accounts, sessions, chat..., data-stream.ts). Throws RangeError for a world id that is not WORLD_ID.
 */
export function replicationStreams(world: string): string[] {
  return [logNames(world).stream, `KV_${leaseBucket(world)}`, `OBJ_${snapshotBucket(world)}`, dataNames(world).stream];
}

/**
 * The permissions of replication node `id` of world `world` (the module comment's table). Throws
 * RangeError for a world or node id that is not WORLD_ID.
 */
export function replicaPermissions(world: string, id: string): NatsPermissions {
  if (!WORLD_ID.test(id)) throw new RangeError(`replica id ${JSON.stringify(id)}: use 1 to 64 letters, digits, '_' or '-'`);
  const api = '$JS.API';
  const perStream = replicationStreams(world).flatMap((s) => [
    `${api}.STREAM.CREATE.${s}`,
    `${api}.STREAM.UPDATE.${s}`,
    `${api}.STREAM.INFO.${s}`,
    `${api}.STREAM.MSG.GET.${s}`,
    `${api}.DIRECT.GET.${s}`,
    `${api}.DIRECT.GET.${s}.>`,
    `${api}.CONSUMER.CREATE.${s}`,
    `${api}.CONSUMER.CREATE.${s}.>`,
    `${api}.CONSUMER.DELETE.${s}.>`,
    `${api}.CONSUMER.INFO.${s}.>`,
    `${api}.CONSUMER.MSG.NEXT.${s}.>`,
  ]);
  const snaps = snapshotBucket(world);
  return {
    publish: {
      allow: [
        logNames(world).subject,
        dataNames(world).subjects,
        `$KV.${leaseBucket(world)}.leader`,
        // snapshot chunks and their metadata; deleting an old snapshot purges its chunks
        `$O.${snaps}.>`,
        `${api}.STREAM.PURGE.OBJ_${snaps}`,
        `${api}.INFO`,
        // edge hosts: requests to the leader (edge.ts)
        `tessera.${world}.edge.>`,
        ...perStream,
      ],
    },
    // the leader answers edge requests: subscribe to them, and reply once to each (allow_responses)
    subscribe: { allow: [`_INBOX_${id}.>`, `tessera.${world}.edge.>`] },
    allow_responses: true,
  };
}

/**
 * NATS connection options of a replication node's connection `name`: with `nkeyFile` (a seed from
 * `tessera cluster-keys --replicas`) the user is the key's, and the inbox prefix its id's
 * (`_INBOX_<file name>`: the only inbox its permissions allow), whatever `id` the node logs and
 * holds the lease under; without a key, an anonymous connection with inboxes `_INBOX_<id>`.
 */
export function replicaConnectOptions(o: { nats: string; name: string; id: string; nkeyFile?: string }): ConnectionOptions {
  return clusterConnectOptions({ ...o, id: o.nkeyFile ? idOfKeyFile(o.nkeyFile) : o.id });
}
