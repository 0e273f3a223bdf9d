#!/usr/bin/env node
/**
 * A cluster world on this machine, in one command (`npm run cluster -- --shards 4`; README
 * "Run a world on several machines"): a nats-server with JetStream (its store in a temp dir,
 * ports chosen by the server), `tessera serve --cluster` and N `tessera shard` processes,
 * from build/dist (npm run cluster builds first).
 *
 *   --shards <n>       shard processes that take regions [4]
 *   --standbys <n>     further shard processes kept as standbys [0]
 *   --port <n>         HTTP/WebSocket port of serve (0 = any free one) [9001]
 *   --data <dir>       serve's data directory [a temp dir, removed at the end]
 *   --scene <file>     scene file [scenes/demo.json: the demo, 4 regions]
 *   --world <id>       cluster world id [main]
 *   --nats <url>       use this NATS server instead of starting one
 *   --keys <dir>       NATS keys from `tessera cluster-keys` for a --nats server that has them
 *                      (without --nats: a fresh set is made in the temp dir, and the server
 *                      started here admits only those keys, each with its permissions)
 *   --verbose          show every log line of the children (default: warnings and errors)
 *
 * The scene's partition sets the regions; they are assigned round-robin to the shard processes
 * (region k to process k mod n), so n must not exceed the scene's region count.
 *
 * Each shard process serves its own /metrics on a free port (printed as it comes up).
 *
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything it started, in order (serve first: it
 * writes its last snapshot; then the shard processes; then nats-server) and removes the temp
 * dirs. The children run in their own process groups so that a terminal's Ctrl-C reaches only
 * this script, which stops them in that order. If a child exits on its own, the script says
 * which and how, stops the rest and exits 1.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'build', 'dist', 'src', 'cli.js');
const say = (line) => process.stdout.write(`cluster: ${line}\n`);
const fail = (line) => {
  process.stderr.write(`cluster: ${line}\n`);
  process.exit(2);
};

let args;
try {
  args = parseArgs({
    options: {
      shards: { type: 'string', default: '4' },
      standbys: { type: 'string', default: '0' },
      port: { type: 'string', default: '9001' },
      data: { type: 'string' },
      scene: { type: 'string', default: join(root, 'scenes', 'demo.json') },
      world: { type: 'string', default: 'main' },
      nats: { type: 'string' },
      keys: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  }).values;
} catch (e) {
  fail(`${e.message} (see the comment at the top of scripts/cluster.mjs)`);
}
const int = (name, min) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got ${JSON.stringify(args[name])}`);
  return n;
};
const shards = int('shards', 1);
const standbys = int('standbys', 0);
const port = int('port', 0);
if (!existsSync(cli)) fail(`${cli} is missing: run npm run build (npm run cluster builds first)`);
let regions = 1;
try {
  const p = JSON.parse(readFileSync(args.scene, 'utf8')).partition;
  regions = ((p?.xCuts?.length ?? 0) + 1) * ((p?.zCuts?.length ?? 0) + 1);
} catch (e) {
  fail(`cannot read the scene ${args.scene}: ${e.message}`);
}
if (shards > regions) fail(`--shards ${shards}: the scene ${args.scene} has ${regions} region(s); use at most ${regions} (or --standbys for more processes)`);

/** Temp dirs to remove at the end. */
const temps = [];
/** Children: { name, child, exited (promise of a description) }. */
const children = [];
let stopping = false;

function natsBinary() {
  if (process.env.NATS_SERVER) return process.env.NATS_SERVER;
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(join(d, 'nats-server'))) return join(d, 'nats-server');
  if (existsSync('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  return null;
}

/** Prefixes each line of `stream` with the child's name; JSON log lines below warn only with --verbose. */
function forward(name, stream, out) {
  let buf = '';
  stream.on('data', (d) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let level = 50;
      if (line.startsWith('{')) {
        try {
          level = JSON.parse(line).level ?? 50;
          lines.emit(name, line);
        } catch {
          /* not JSON: shown */
        }
      }
      if (args.verbose || level >= 40) out.write(`[${name}] ${line}\n`);
    }
  });
}
/** Listeners of children's JSON log lines: [name, test, resolve]. */
const lines = {
  waiting: [],
  emit(name, line) {
    this.waiting = this.waiting.filter(([n, test, resolve]) => {
      if (n !== name) return true;
      const v = test(JSON.parse(line));
      if (v === undefined) return true;
      resolve(v);
      return false;
    });
  },
  wait(name, test) {
    return new Promise((resolve) => this.waiting.push([name, test, resolve]));
  },
};

/** Starts a child in its own process group; its unexpected exit stops the rest. */
function start(name, file, argv) {
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
    child.once('error', (e) => resolve(`error ${e.message}`));
  });
  forward(name, child.stdout, process.stdout);
  forward(name, child.stderr, process.stderr);
  const c = { name, child, exited };
  children.push(c);
  void exited.then((how) => {
    if (stopping) return;
    process.stderr.write(`cluster: ${name} (pid ${child.pid}) exited unexpectedly (${how}): stopping the rest\n`);
    void stop(1);
  });
  return c;
}

/** Stops one child: SIGINT (SIGCONT too, should it be paused), SIGKILL after 10 s. */
async function halt(c) {
  if (c.child.exitCode === null && c.child.signalCode === null) {
    c.child.kill('SIGINT');
    c.child.kill('SIGCONT');
  }
  const timer = setTimeout(() => c.child.kill('SIGKILL'), 10_000);
  await c.exited;
  clearTimeout(timer);
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  say('stopping');
  const named = (p) => children.filter((c) => p(c.name));
  for (const c of named((n) => n === 'serve')) await halt(c);
  await Promise.all(named((n) => n.startsWith('shard-') || n.startsWith('standby-')).map(halt));
  for (const c of named((n) => n === 'nats')) await halt(c);
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  say(`stopped ${children.map((c) => `${c.name} (pid ${c.child.pid})`).join(', ')}${temps.length ? `; removed ${temps.join(', ')}` : ''}`);
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop(0));

// ids of equal width: the coordinator orders processes by id (shard-01 .. shard-12)
const num = (i, n) => String(i + 1).padStart(String(n).length, '0');
const ids = [
  ...Array.from({ length: shards }, (_, i) => `shard-${num(i, shards)}`),
  ...Array.from({ length: standbys }, (_, i) => `standby-${num(i, standbys)}`),
];

/**
 * Starts nats-server with JetStream on ports it picks, admitting only the keys made here (`tessera
 * cluster-keys`: the coordinator and each process, with its permissions); resolves with its client
 * URL and the keys' dir once /healthz answers.
 */
async function startNats() {
  const bin = natsBinary();
  if (!bin) fail('nats-server not found: install it (Debian: apt-get install nats-server), set NATS_SERVER, or pass --nats <url>');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-nats-'));
  temps.push(dir);
  const keys = join(dir, 'keys');
  execFileSync(process.execPath, [cli, 'cluster-keys', '--world', args.world, '--processes', ids.join(','), '--out', keys], { stdio: 'ignore' });
  const c = start('nats', bin, [
    '-c',
    join(keys, 'auth.conf'),
    '-a',
    '127.0.0.1',
    '-p',
    '-1',
    '-m',
    '-1',
    '--ports_file_dir',
    dir,
    '-js',
    '-sd',
    join(dir, 'store'),
    '-l',
    join(dir, 'server.log'),
  ]);
  const portsFile = join(dir, `nats-server_${c.child.pid}.ports`);
  const end = Date.now() + 30_000;
  while (Date.now() < end && !stopping) {
    try {
      const ports = JSON.parse(readFileSync(portsFile, 'utf8'));
      const r = await fetch(`${ports.monitoring[0]}/healthz`);
      if (r.status === 200) return { url: ports.nats[0], dir, pid: c.child.pid, keys };
    } catch {
      /* not written or not ready yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!stopping) {
    process.stderr.write(
      `cluster: nats-server was not ready in 30 s: ${existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : ''}\n`,
    );
    await stop(1);
  }
  return new Promise(() => {});
}

if (args.keys && !args.nats) fail('--keys is for a --nats server of your own (without --nats, keys are made for the server started here)');
const nats = args.nats ? { url: args.nats, keys: args.keys } : await startNats();
const keyOf = (id) => (nats.keys ? [join(nats.keys, `${id}.nk`)] : []);
for (const id of ['coordinator', ...ids])
  if (nats.keys && !existsSync(keyOf(id)[0])) fail(`--keys ${nats.keys}: no ${id}.nk (make them with tessera cluster-keys)`);
let data = args.data;
if (!data) {
  data = mkdtempSync(join(tmpdir(), 'tessera-cluster-data-'));
  temps.push(data);
}
const node = process.execPath;
const serve = start('serve', node, [
  cli,
  'serve',
  '--port',
  String(port),
  '--data',
  data,
  '--scene',
  args.scene,
  '--cluster',
  nats.url,
  '--cluster-world',
  args.world,
  '--cluster-processes',
  String(shards),
  '--cluster-standbys',
  String(standbys),
  ...(nats.keys ? ['--cluster-nkey', ...keyOf('coordinator')] : []),
]);
const listening = lines.wait('serve', (j) => (j.msg === 'listening' ? j.port : undefined));
for (const id of ids) {
  start(id, node, [
    cli,
    'shard',
    '--world',
    args.world,
    '--nats',
    nats.url,
    '--id',
    id,
    '--metrics-port',
    '0',
    ...(nats.keys ? ['--nkey', ...keyOf(id)] : []),
    ...(id.startsWith('standby-') ? ['--standby'] : []),
  ]);
  void lines.wait(id, (j) => (j.msg === 'metrics' ? j.url : undefined)).then((url) => say(`${id} metrics ${url}`));
}
say(
  `nats    ${nats.url}${nats.pid ? ` (pid ${nats.pid}, JetStream store in ${nats.dir})` : ' (given)'}${nats.keys ? `, users: keys in ${nats.keys}` : ', no keys: anyone who reaches it can forge orders'}`,
);
say(
  `serve   pid ${serve.child.pid}, data ${data}${args.data ? '' : ' (temp)'}, waiting for ${shards} shard process(es)${standbys ? ` and ${standbys} standby(s)` : ''}`,
);
for (const c of children.filter((x) => ids.includes(x.name))) say(`${c.name.padEnd(7)} pid ${c.child.pid}`);
say(`regions ${regions} (scene ${args.scene}): region k runs on process number k mod ${shards} (from 0) of ${ids.slice(0, shards).join(', ')}`);
const p = await listening;
const base = `http://127.0.0.1:${p}`;
say(`ready   ${base}/ (viewer)  ${base}/dashboard  ${base}/metrics  ws://127.0.0.1:${p}/ws`);
say('Ctrl-C stops everything');
