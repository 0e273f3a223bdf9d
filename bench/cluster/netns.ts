/**
 * Network namespaces for simulated machines (issue 17, "Machines, simulated"; tests and the
 * cluster bench). Each namespace `tsr-<pid>-<k>` gets one veth pair to the root namespace with a
 * /30 of 10.231.0.0/16: the root end `tr<pid>-<k>` holds .1, the namespace end `tn<pid>-<k>`
 * holds .2 (its loopback is brought up too). A process started with `exec(ns, argv)` (`ip netns
 * exec NAME ...`, which execs the command: the child's pid is the command's own) sees only that
 * veth and its own loopback: it reaches the root namespace at `ns.rootAddress` and nothing on the
 * root's 127.0.0.1. Put a delay proxy (delay-proxy.ts) on `ns.rootAddress` and the process's
 * link to a server in the root namespace gets the added delay (this kernel has no `tc netem`).
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and `ip` (iproute2): `probeNamespaces()` tries
 * it once and says why not, so a test can skip with a printed reason and the bench can record
 * "no namespaces".
 *
 * Clean-up: `deleteNamespaces()` removes them (`ip netns del` takes the veth pair with it); a
 * hook on process exit (and SIGINT / SIGTERM, which then exit with 130 / 143) removes every
 * namespace this process made that is still there. Namespaces left by a process killed with
 * SIGKILL are swept by the next `createNamespaces()` (any `tsr-<pid>-*` whose pid is dead).
 * /30 blocks are chosen among those no interface of the root namespace uses.
 */
import { execFileSync } from 'node:child_process';

/** One namespace and its link to the root namespace. */
export interface Namespace {
  /** `tsr-<pid>-<k>`. */
  name: string;
  /** Root end of the veth pair (its address is `rootAddress`). */
  rootLink: string;
  /** Namespace end of the veth pair (its address is `address`). */
  nsLink: string;
  /** IPv4 address of the root end, e.g. '10.231.0.1': what the namespace connects to. */
  rootAddress: string;
  /** IPv4 address inside the namespace, e.g. '10.231.0.2'. */
  address: string;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const made = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => deleteNamespacesSync([...made]));
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(sig, () => {
      deleteNamespacesSync([...made]);
      process.exit(code);
    });
  }
}

function deleteNamespacesSync(names: string[]): void {
  for (const n of names) {
    try {
      ip('netns', 'del', n);
    } catch {
      /* already gone */
    }
    made.delete(n);
  }
}

/** Error text of a failed execFileSync, first line. */
function why(e: unknown): string {
  const err = e as { stderr?: string | Buffer; message?: string };
  const s = err.stderr ? err.stderr.toString() : (err.message ?? String(e));
  return s.trim().split('\n')[0];
}

/**
 * Whether this process can make namespaces with veth links: tries a namespace and a veth pair
 * and removes them. `{ ok: false, reason }` when it cannot (not root, no `ip`, no veth support).
 */
export function probeNamespaces(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces are Linux only (platform ${process.platform})` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: `not root (uid ${process.getuid()})` };
  const name = `tsr-${process.pid}-probe`;
  const link = `tp${process.pid}`;
  try {
    ip('netns', 'add', name);
  } catch (e) {
    return { ok: false, reason: `ip netns add failed: ${why(e)}` };
  }
  try {
    ip('link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}n`, 'netns', name);
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `veth / ip netns exec failed: ${why(e)}` };
  } finally {
    try {
      ip('netns', 'del', name);
    } catch {
      /* nothing to delete */
    }
    try {
      ip('link', 'del', link);
    } catch {
      /* went with the namespace */
    }
  }
}

/** Removes namespaces `tsr-<pid>-*` whose process is gone (left by a SIGKILLed run). */
function sweepStale(): void {
  let list = '';
  try {
    list = ip('netns', 'list');
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const m = /^(tsr-(\d+)-\S+)/.exec(line.trim());
    if (!m) continue;
    const pid = Number(m[2]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) deleteNamespacesSync([m[1]]);
  }
}

/** /30 block indices (0..16383 in 10.231.0.0/16) that an address of the root namespace uses. */
function usedBlocks(): Set<number> {
  const used = new Set<number>();
  for (const m of ip('-4', '-o', 'addr', 'show').matchAll(/inet 10\.231\.(\d+)\.(\d+)/g)) used.add(Number(m[1]) * 64 + (Number(m[2]) >> 2));
  return used;
}

/**
 * Creates `count` namespaces `tsr-<pid>-<k>` (k = 0..count-1, after the ones this process already
 * made), each with a veth pair to the root namespace, addresses set and links up (see the module
 * comment). Throws Error with the `ip` message when a step fails (the namespaces made by this
 * call are removed first).
 */
export function createNamespaces(count: number): Namespace[] {
  hookExit();
  sweepStale();
  const used = usedBlocks();
  const out: Namespace[] = [];
  let block = 0;
  try {
    for (let i = 0; i < count; i++) {
      let k = 0;
      while (made.has(`tsr-${process.pid}-${k}`)) k++;
      while (used.has(block)) block++;
      if (block >= 16384) throw new Error('no free /30 in 10.231.0.0/16');
      used.add(block);
      const base = `10.231.${block >> 6}.${(block & 63) << 2}`;
      const [a, b, c] = base.split('.');
      const d = Number(base.split('.')[3]);
      const ns: Namespace = {
        name: `tsr-${process.pid}-${k}`,
        rootLink: `tr${process.pid}-${k}`,
        nsLink: `tn${process.pid}-${k}`,
        rootAddress: `${a}.${b}.${c}.${d + 1}`,
        address: `${a}.${b}.${c}.${d + 2}`,
      };
      ip('netns', 'add', ns.name);
      made.add(ns.name);
      out.push(ns);
      ip('link', 'add', ns.rootLink, 'type', 'veth', 'peer', 'name', ns.nsLink, 'netns', ns.name);
      ip('addr', 'add', `${ns.rootAddress}/30`, 'dev', ns.rootLink);
      ip('link', 'set', ns.rootLink, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'addr', 'add', `${ns.address}/30`, 'dev', ns.nsLink);
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', ns.nsLink, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up');
    }
  } catch (e) {
    deleteNamespacesSync(out.map((n) => n.name));
    throw new Error(`createNamespaces: ${why(e)}`);
  }
  return out;
}

/** The argv prefix that runs a command inside `ns`: `['ip', 'netns', 'exec', name]`. */
export function inNamespace(ns: Namespace): string[] {
  return ['ip', 'netns', 'exec', ns.name];
}

/** Deletes the namespaces (and their veth pairs). Never throws. */
export function deleteNamespaces(list: Namespace[]): void {
  deleteNamespacesSync(list.map((n) => n.name));
}
