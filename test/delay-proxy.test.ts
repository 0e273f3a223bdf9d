/**
 * The delay proxy of the simulated machines (bench/cluster/delay-proxy.ts): an echo round trip
 * through it takes at least twice its delay; a few MB sent through it come back intact and in
 * order; when either side closes, the other side is closed too.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startDelayProxy, parseRoute, type DelayProxy } from '../bench/cluster/delay-proxy';

let echo: Server;
let echoPort = 0;
const serverSockets: Socket[] = [];

beforeAll(async () => {
  echo = createServer((s) => {
    serverSockets.push(s);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of serverSockets) s.destroy();
  await new Promise<void>((r) => echo.close(() => r()));
});

const dial = (p: DelayProxy): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect({ host: p.host, port: p.port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });

/** Reads from `s` until `n` bytes have come. */
const readBytes = (s: Socket, n: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const on = (c: Buffer): void => {
      parts.push(c);
      got += c.length;
      if (got >= n) {
        s.off('data', on);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', on);
    s.once('error', reject);
  });

test.each([20, 5, 0.3])('an echo round trip through a %s ms proxy takes at least 2 x the delay', async (delayMs) => {
  const p = await startDelayProxy({ host: '127.0.0.1', targetHost: '127.0.0.1', targetPort: echoPort, delayMs });
  const s = await dial(p);
  try {
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      s.write(Buffer.from([k]));
      const back = await readBytes(s, 1);
      const ms = performance.now() - t0;
      expect(back[0]).toBe(k);
      expect(ms).toBeGreaterThanOrEqual(2 * delayMs);
    }
  } finally {
    s.destroy();
    await p.close();
  }
});

test('4 MB written in uneven pieces come back intact and in order through a 2 ms proxy', async () => {
  const p = await startDelayProxy({ host: '127.0.0.1', targetHost: '127.0.0.1', targetPort: echoPort, delayMs: 2 });
  const s = await dial(p);
  try {
    const data = randomBytes(4 << 20);
    const back = readBytes(s, data.length);
    let at = 0,
      k = 0;
    while (at < data.length) {
      const n = 1 + ((k++ * 7919) % 65536);
      s.write(data.subarray(at, at + n));
      at += n;
      if (k % 16 === 0) await new Promise((r) => setImmediate(r)); // spread the writes over time
    }
    const got = await back;
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
    expect(p.bytes.up).toBe(data.length);
    expect(p.bytes.down).toBe(data.length);
  } finally {
    s.destroy();
    await p.close();
  }
});

test('the target closing closes the client side, and the client closing closes the target side', async () => {
  const p = await startDelayProxy({ host: '127.0.0.1', targetHost: '127.0.0.1', targetPort: echoPort, delayMs: 3 });
  // Target side closes: the echo server's socket ends.
  const a = await dial(p);
  a.write('x');
  await readBytes(a, 1);
  const aClosed = new Promise<void>((r) => a.once('close', () => r()));
  serverSockets[serverSockets.length - 1].end();
  await aClosed;
  // Client side closes: the echo server sees its socket close.
  const b = await dial(p);
  b.write('y');
  await readBytes(b, 1);
  const far = serverSockets[serverSockets.length - 1];
  const farClosed = new Promise<void>((r) => far.once('close', () => r()));
  b.end();
  await farClosed;
  expect(p.accepted).toBe(2);
  await p.close();
});

test('a target that refuses the connection closes the client side', async () => {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const port = (dead.address() as { port: number }).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const p = await startDelayProxy({ host: '127.0.0.1', targetHost: '127.0.0.1', targetPort: port, delayMs: 1 });
  const s = await dial(p);
  await new Promise<void>((r) => s.once('close', () => r()));
  await p.close();
});

test('routes parse as LHOST:LPORT=THOST:TPORT', () => {
  expect(parseRoute('10.231.0.1:0=127.0.0.1:4222')).toEqual({ host: '10.231.0.1', port: 0, targetHost: '127.0.0.1', targetPort: 4222 });
  expect(() => parseRoute('10.231.0.1=127.0.0.1:4222')).toThrow(RangeError);
});
