/**
 * The fixture of the tests of a replicated world's data stream (test/replica-data.test.ts,
 * test/replica-scripts.test.ts): one connection to the test nats-server (test/helpers/nats.ts)
 * and a temp dir of SQLite files, opened by name and all closed after the file's tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SqliteStore } from '../../src/persist/sqlite-store';
import { natsUrl } from './nats';

/** What natsFiles gives a test file: the connection (set in beforeAll) and a store per name. */
export interface NatsFiles {
  /** The connection to the test nats-server; only inside tests (opened in beforeAll). */
  readonly nc: NatsConnection;
  /** Opens (creating it) `<temp dir>/<name>.sqlite`; closed in afterAll. */
  file(name: string): SqliteStore;
  /** Closes `s` in afterAll too (a store the test opened itself); returns it. */
  track(s: SqliteStore): SqliteStore;
  /** Closes `s` now (a file or tracked store), not again in afterAll. */
  close(s: SqliteStore): void;
}

/**
 * Registers beforeAll/afterAll that open a connection and a temp dir named `prefix`… and close
 * the stores, drain the connection and remove the dir afterwards. Call it at a file's top level.
 */
export function natsFiles(prefix: string): NatsFiles {
  let dir = '';
  let conn: NatsConnection | null = null;
  const open: SqliteStore[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    conn = await connect({ servers: await natsUrl() });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await conn?.drain();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get nc(): NatsConnection {
      if (!conn) throw new Error('natsFiles: the connection is opened in beforeAll');
      return conn;
    },
    file(name: string): SqliteStore {
      const s = SqliteStore.open(join(dir, `${name}.sqlite`));
      open.push(s);
      return s;
    },
    track(s: SqliteStore): SqliteStore {
      open.push(s);
      return s;
    },
    close(s: SqliteStore): void {
      s.close();
      const i = open.indexOf(s);
      if (i >= 0) open.splice(i, 1);
    },
  };
}
