/**
 * What the tests of a predicting client on a real Host share (test/client-push.test.ts,
 * test/client-nearby.test.ts): a `ws` socket with added one-way delay, waits counted in host
 * ticks (so that a loaded machine, which steps fewer ticks a second, makes a test slower rather
 * than different), and a predicting guest (AvatarPrediction over the statics of GET /predict)
 * with a second, plain guest that pushes it or what is near it.
 */
import WebSocket from 'ws';
import { type BaseSocket, laggedSocket } from '../../src/client/lag-socket';
import { createNodeClient, type SocketFactory, type TesseraClient } from '../../src/client/node';
import { AvatarPrediction } from '../../src/client/predicted-avatar';
import type { PredictWorld } from '../../src/client/predict-world';
import type { Host } from '../../src/net/host';
import { request, waitFor } from './net';

/** A `ws` socket whose messages wait `delayMs` in each direction (src/client/lag-socket.ts). */
export const delayedSocket = (delayMs: number): SocketFactory =>
  laggedSocket(delayMs, WebSocket as unknown as new (url: string, protocols?: string | string[]) => BaseSocket);

/**
 * A wait for `n` more ticks of `host`'s world stream (from the call), up to `ms` (20 s) of wall
 * time; rejects naming `what`.
 */
export function hostTicks(host: Host): (n: number, what: string, ms?: number) => Promise<void> {
  return (n, what, ms = 20_000) => {
    const until = host.world.stream.tick + n;
    return waitFor(() => host.world.stream.tick >= until, ms, `${n} host ticks (${what})`);
  };
}

/** A predicting guest and a pusher on one host, connected, the guest's avatar record and first round trip in. */
export interface PushScene {
  /** The statics and settings of GET /predict. */
  world: PredictWorld;
  me: TesseraClient;
  prediction: AvatarPrediction;
  pusher: TesseraClient;
}

/**
 * Connects guest `privateId` with prediction (`predictRadiusM` of nearby bodies when given,
 * pings every 200 ms, `oneWayMs` of delay each way) and a plain guest 'pusher'; `onState` also
 * sees each state after the prediction has. Waits (10 s) for the avatar record and a round trip.
 * The caller closes `me` and `pusher`.
 */
export async function pushScene(
  host: Host,
  opts: { privateId: string; oneWayMs: number; predictRadiusM?: number; onState?: (p: AvatarPrediction) => void },
): Promise<PushScene> {
  const world = (await request('GET', `http://127.0.0.1:${host.port}/predict`)).json as PredictWorld;
  let prediction: AvatarPrediction | null = null;
  const me = createNodeClient(
    {
      url: `ws://127.0.0.1:${host.port}/ws`,
      token: 'guest',
      privateId: opts.privateId,
      predict: true,
      ...(opts.predictRadiusM !== undefined ? { predictRadiusM: opts.predictRadiusM } : {}),
      pingEveryMs: 200,
      WebSocket: delayedSocket(opts.oneWayMs),
    },
    {
      onMessage: (m) => prediction?.onMessage(m),
      onState: (_m, info) => {
        if (!prediction) return;
        prediction.onState(info);
        opts.onState?.(prediction);
      },
    },
  );
  const p = new AvatarPrediction(me, world);
  prediction = p;
  await me.connect();
  const pusher = createNodeClient({ url: `ws://127.0.0.1:${host.port}/ws`, token: 'guest', privateId: 'pusher' });
  await pusher.connect();
  await waitFor(() => p.predictor.body !== null && me.rttMs !== null, 10_000, 'an avatar record and a round trip');
  return { world, me, prediction: p, pusher };
}
