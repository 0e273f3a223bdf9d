/**
 * Artificial latency for the viewer (`?lag=N`, issue 20): a WebSocket class for the client library
 * (SocketLike) whose messages wait `oneWayMs` in each direction, so the round trip grows by
 * 2 x oneWayMs (the viewer passes N / 2: `?lag=200` adds 200 ms of round trip). Order is kept
 * (every message waits the same time; timers of equal delay fire in order). The open and close
 * events are delayed too; errors are not.
 */
import type { SocketFactory, SocketLike } from '../../src/client/client';

/** A SocketFactory over the browser's WebSocket adding `oneWayMs` (ms, >= 0) each way. */
export function laggedWebSocket(oneWayMs: number): SocketFactory {
  return class Lagged implements SocketLike {
    binaryType = 'arraybuffer';
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    private readonly ws: WebSocket;
    constructor(url: string, protocols?: string | string[]) {
      this.ws = new WebSocket(url, protocols);
      this.ws.binaryType = 'arraybuffer';
      this.ws.onopen = (ev) => setTimeout(() => this.onopen?.(ev), oneWayMs);
      this.ws.onmessage = (ev) => setTimeout(() => this.onmessage?.({ data: ev.data }), oneWayMs);
      this.ws.onclose = (ev) => setTimeout(() => this.onclose?.({ code: ev.code, reason: ev.reason }), oneWayMs);
      this.ws.onerror = (ev) => this.onerror?.(ev);
    }
    get readyState(): number {
      return this.ws.readyState;
    }
    send(data: Uint8Array): void {
      const copy = data.slice();
      setTimeout(() => {
        if (this.ws.readyState === WebSocket.OPEN) this.ws.send(copy);
      }, oneWayMs);
    }
    close(code?: number, reason?: string): void {
      this.ws.close(code, reason);
    }
  };
}
