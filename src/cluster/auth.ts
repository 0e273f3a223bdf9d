/**
 * Who may publish what on a cluster world's NATS subjects (issue 17: "every door authenticates").
 *
 * The sender of a Result is the process token in its subject (`res.<id>.<k>`, subjects.ts), and
 * the nats-server enforces that token: each shard process connects as a NATS user of its own
 * (an NKey: an Ed25519 key pair, the server holding only the public key; NATS docs, "NKeys"), whose
 * permissions let it publish only its own Results, resend requests, its own heartbeat key and
 * replies to requests it received (`allow_responses`). Only the coordinator's user may publish
 * orders, world copies and pings. So a process cannot forge an order, another process's Result,
 * heartbeat or ping answer, and a client without a key cannot connect at all.
 *
 * ```
 *  user          publish                                   subscribe
 *  coordinator   order, proc.*.snap, proc.*.ping,          tessera.<world>.>, its inbox
 *                committed, resend, res.coordinator.*,
 *                $KV.<members|assign>.>, $JS.API.>, replies
 *  process <id>  res.<id>.*, resend,                       order, res.>, resend, proc.<id>.>,
 *                $KV.<members>.proc.<id>, replies          its inbox (_INBOX_<id>.>)
 * ```
 *
 * `tessera cluster-keys` (makeClusterKeys) writes one seed file per user and the nats-server
 * `authorization` block holding their public keys and permissions; the operator starts
 * nats-server with it (`-c auth.conf`) and gives each process its seed file (`--nkey`). A world
 * on a server without users still runs, and the coordinator and the processes warn that anyone
 * who can reach the server can forge its messages.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type ConnectionOptions, nkeyAuthenticator, nkeys } from '@nats-io/transport-node';
import { replicaPermissions } from '../replica/auth';
import { WORLD_ID, names } from './subjects';

/** The id the coordinator uses as a sender (its resends of committed Results); no process may take it. */
export const COORDINATOR_ID = 'coordinator';

/** A seed file that cannot be used. */
export class NkeyFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`NATS key file ${file}: ${reason}`);
    this.name = 'NkeyFileError';
  }
}

/**
 * Reads a user NKey seed file (the text `SU...`, as `tessera cluster-keys` or `nk -gen user`
 * writes it; surrounding white space ignored). Throws NkeyFileError naming the file when it is
 * missing, unreadable, not a user seed, or readable by group or others (mode & 0o077: the seed is
 * the process's identity).
 */
export function readNkeySeed(file: string): Uint8Array {
  if (!existsSync(file)) throw new NkeyFileError(file, 'no such file');
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0) throw new NkeyFileError(file, `readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
  const text = readFileSync(file, 'utf8').trim();
  try {
    const kp = nkeys.fromSeed(new TextEncoder().encode(text));
    if (!kp.getPublicKey().startsWith('U')) throw new Error('not a user key');
  } catch (e) {
    throw new NkeyFileError(file, `not a NATS user seed (SU...): ${(e as Error).message}`);
  }
  return new TextEncoder().encode(text);
}

/** The process id a seed file stands for when none is given: its name without the extension (`keys/a.nk` -> `a`). */
export function idOfKeyFile(file: string): string {
  return basename(file).replace(/\.[^.]*$/, '');
}

/**
 * NATS connection options for one of a cluster world's users: `nkeyFile` (a seed, readNkeySeed)
 * authenticates it; `id` gives it the inbox prefix its permissions allow (`_INBOX_<id>`). Without
 * a key file, the options connect anonymously (a server without users).
 */
export function clusterConnectOptions(o: { nats: string; name: string; id: string; nkeyFile?: string }): ConnectionOptions {
  const opts: ConnectionOptions = { servers: o.nats.split(','), name: o.name, maxReconnectAttempts: -1, reconnectTimeWait: 250, inboxPrefix: `_INBOX_${o.id}` };
  if (o.nkeyFile) opts.authenticator = nkeyAuthenticator(readNkeySeed(o.nkeyFile));
  return opts;
}

/** The warning both sides log when the server requires no authentication. */
export const NO_AUTH_WARNING =
  'this NATS server requires no authentication: anyone who reaches it can publish orders and Results for this world (make keys with `tessera cluster-keys`; README "Run a world on several machines")';

/** One user's permissions in nats-server's configuration format. */
export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  allow_responses: boolean;
}

/**
 * The permissions of the user `id` of world `world` (see the module comment's table): the
 * coordinator's for COORDINATOR_ID, a shard process's otherwise. Throws RangeError for a world or
 * process id that is not WORLD_ID.
 */
export function clusterPermissions(world: string, id: string): NatsPermissions {
  if (!WORLD_ID.test(id)) throw new RangeError(`process id ${JSON.stringify(id)}: use 1 to 64 letters, digits, '_' or '-'`);
  const n = names(world);
  const p = `tessera.${world}`;
  if (id === COORDINATOR_ID)
    return {
      publish: {
        allow: [
          n.order,
          `${p}.proc.*.snap`,
          `${p}.proc.*.ping`,
          n.committed,
          n.resend,
          n.result(COORDINATOR_ID, '*'),
          `$KV.${n.members}.>`,
          `$KV.${n.assign}.>`,
          '$JS.API.>',
        ],
      },
      subscribe: { allow: [`${p}.>`, `_INBOX_${id}.>`] },
      allow_responses: true,
    };
  return {
    publish: { allow: [n.result(id, '*'), n.resend, `$KV.${n.members}.proc.${id}`] },
    subscribe: { allow: [n.order, n.results, n.resend, `${p}.proc.${id}.>`, `_INBOX_${id}.>`] },
    allow_responses: true,
  };
}

/** What makeClusterKeys wrote. */
export interface ClusterKeys {
  /** The nats-server configuration holding the `authorization` block (start nats-server with `-c` it, or `include` it). */
  conf: string;
  /** Seed file per user: `coordinator` and each process id. */
  seeds: Record<string, string>;
}

/**
 * Makes a NATS user (a fresh NKey) for the coordinator and for each shard process id of world
 * `world` (when `ids` is not empty), and for each replication node id in `replicas` (the leader
 * and its replicas, src/replica/auth.ts replicaPermissions), writes each seed to `<dir>/<id>.nk`
 * (mode 600) and the nats-server configuration `<dir>/auth.conf` with their public keys and
 * permissions (clusterPermissions, replicaPermissions). Refuses (Error) to overwrite an existing
 * auth.conf unless `force`; RangeError for a bad world or id, an id used twice (across both
 * lists: each names a seed file), a process or replica named COORDINATOR_ID, or no id at all.
 */
export function makeClusterKeys(o: { world: string; ids: string[]; replicas?: string[]; dir: string; force?: boolean }): ClusterKeys {
  names(o.world);
  const ids = [...o.ids];
  const replicas = [...(o.replicas ?? [])];
  for (const id of [...ids, ...replicas]) {
    if (id === COORDINATOR_ID) throw new RangeError(`id ${JSON.stringify(id)} is the coordinator's`);
    if (!WORLD_ID.test(id)) throw new RangeError(`id ${JSON.stringify(id)}: use 1 to 64 letters, digits, '_' or '-'`);
  }
  if (ids.length + replicas.length === 0) throw new RangeError('no ids: name shard processes, replicas or both');
  if (new Set([...ids, ...replicas]).size !== ids.length + replicas.length) throw new RangeError(`ids repeat: ${[...ids, ...replicas].join(', ')}`);
  const conf = join(o.dir, 'auth.conf');
  if (existsSync(conf) && !o.force) throw new Error(`${conf} exists: pass --force to replace it (and every key in it)`);
  mkdirSync(o.dir, { recursive: true });
  const seeds: Record<string, string> = {};
  const user = (id: string, permissions: NatsPermissions): { nkey: string; permissions: NatsPermissions } => {
    const kp = nkeys.createUser();
    const file = join(o.dir, `${id}.nk`);
    writeFileSync(file, `${new TextDecoder().decode(kp.getSeed())}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    seeds[id] = file;
    return { nkey: kp.getPublicKey(), permissions };
  };
  const users = [
    ...(ids.length > 0 ? [COORDINATOR_ID, ...ids].map((id) => user(id, clusterPermissions(o.world, id))) : []),
    ...replicas.map((id) => user(id, replicaPermissions(o.world, id))),
  ];
  const head = [
    `# NATS users of Tessera world ${o.world}: ${ids.length > 0 ? `the coordinator and shard processes ${ids.join(', ')}` : 'no shard processes'}; ${replicas.length > 0 ? `replication nodes ${replicas.join(', ')}` : 'no replication nodes'}`,
    '# (written by `tessera cluster-keys`; src/cluster/auth.ts and src/replica/auth.ts explain the permissions).',
    '# Start nats-server with `-c` this file, or `include` it from your own configuration.',
    '',
  ].join('\n');
  writeFileSync(conf, `${head}authorization: ${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  return { conf, seeds };
}
