/**
 * Artificial latency for the viewer (`?lag=N`, issue 20): the browser's WebSocket through
 * laggedSocket (src/client/lag-socket.ts), `oneWayMs` in each direction (the viewer passes N / 2:
 * `?lag=200` adds 200 ms of round trip).
 */
import type { SocketFactory } from '../../src/client/client';
import { type BaseSocket, laggedSocket } from '../../src/client/lag-socket';

/** A SocketFactory over the browser's WebSocket adding `oneWayMs` (ms, >= 0) each way. */
export function laggedWebSocket(oneWayMs: number): SocketFactory {
  return laggedSocket(oneWayMs, WebSocket as unknown as new (url: string, protocols?: string | string[]) => BaseSocket);
}
