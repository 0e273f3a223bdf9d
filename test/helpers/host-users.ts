/**
 * Registered users on a real Host (the object-script host tests, test/script-host.test.ts and
 * test/script-http.test.ts): an account with a role logged in over HTTP, a RawClient joined on
 * the world stream with its token, the wait until their avatars are in the world, and the world's
 * bodies that are not avatars.
 */
import type { Host } from '../../src/net/host';
import type { AccountService } from '../../src/persist/accounts';
import type { SqliteStore } from '../../src/persist/sqlite-store';
import { RawClient, post, waitFor } from './net';

/** What hostUsers gives a test: make users, join them, close them all. */
export interface HostUsers {
  /** Registers `name` with the password 'a long password' and role `role`; its login token (POST /auth/login). */
  token(name: string, role: string): Promise<string>;
  /** A RawClient on /ws that said hello with `token` and private id `privateId` and was welcomed (5 s). */
  join(token: string, privateId: string): Promise<RawClient>;
  /** Waits (up to 10 s) until `n` avatars are in the world: the joins' '_id' events were applied. */
  avatars(n: number): Promise<void>;
  /** The world's bodies that are not avatars (those with an authority), in the world's handle order. */
  bodies(): bigint[];
  /**
   * Waits (up to 10 s) until every body that is not an avatar moves slower than 5 cm/s: the
   * world's pile has landed, so no new touch comes from it (a scoreboard script counts touches).
   */
  resting(): Promise<void>;
  /** Closes every client join made. */
  close(): void;
}

/** Users of `host`, whose accounts live in `accounts` (over `store`, where roles are set). */
export function hostUsers(host: Host, accounts: AccountService, store: SqliteStore): HostUsers {
  const http = `http://127.0.0.1:${host.port}`;
  const clients: RawClient[] = [];
  const bodies = (): bigint[] => {
    const avatars = new Set(host.world.sim.avatars.values());
    return host.world.sim.world.handles().filter((h) => {
      try {
        host.world.sim.world.authorityOf(h);
        return !avatars.has(h);
      } catch {
        return false;
      }
    });
  };
  return {
    async token(name, role) {
      const a = await accounts.register(name, 'a long password');
      store.setRole(a.id, role);
      return (await post(`${http}/auth/login`, JSON.stringify({ name, password: 'a long password' }))).json.token as string;
    },
    async join(token, privateId) {
      const c = new RawClient(`ws://127.0.0.1:${host.port}/ws`);
      clients.push(c);
      await c.opened;
      c.hello({ token, privateId });
      await c.until(() => c.of('welcome').length > 0, 5000, 'welcome');
      return c;
    },
    avatars(n) {
      return waitFor(() => host.world.sim.avatars.size >= n, 10_000, `${n} avatars in the world`);
    },
    bodies,
    resting() {
      const still = (): boolean => bodies().every((h) => Math.hypot(...host.world.sim.world.velocity(h)) < 0.05);
      return waitFor(still, 10_000, 'the bodies at rest');
    },
    close() {
      for (const c of clients) c.close();
    },
  };
}
