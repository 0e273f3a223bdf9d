/**
 * The client library in Node: TesseraClient with the `ws` package as its WebSocket (Node 20
 * has no global WebSocket).
 */
import WebSocket from 'ws';
import { TesseraClient, type ClientOptions, type SimCallbacks, type SocketFactory } from './client';

export * from './client';

/** A TesseraClient that uses `ws` unless options.WebSocket is given. */
export function createNodeClient(opts: ClientOptions, callbacks: SimCallbacks = {}): TesseraClient {
  return new TesseraClient({ WebSocket: WebSocket as unknown as SocketFactory, ...opts }, callbacks);
}
