/**
 * Artificial latency (issue 20: the viewer's `?lag=N`, the prediction tests and bench:predict): a
 * SocketFactory for the client library (SocketLike) whose messages wait `oneWayMs` in each
 * direction, so the round trip grows by 2 x oneWayMs. Order is kept (every message waits the same
 * time; timers of equal delay fire in order). The open and close events are delayed too; errors
 * are not. Works over the browser's WebSocket and over the `ws` package's (Node).
 */
import type { SocketFactory, SocketLike } from './client';

/** The part of a WebSocket (browser or `ws`) the lagged socket uses. */
export interface BaseSocket {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: never) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  terminate?(): void;
}

/** A SocketFactory over `Base` (a WebSocket class) adding `oneWayMs` (ms, >= 0) each way. */
export function laggedSocket(oneWayMs: number, Base: new (url: string, protocols?: string | string[]) => BaseSocket): SocketFactory {
  return class Lagged implements SocketLike {
    binaryType = 'arraybuffer';
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    private readonly ws: BaseSocket;
    constructor(url: string, protocols?: string | string[]) {
      this.ws = new Base(url, protocols);
      this.ws.binaryType = 'arraybuffer';
      this.ws.onopen = (ev: unknown) => setTimeout(() => this.onopen?.(ev), oneWayMs);
      this.ws.onmessage = (ev) => setTimeout(() => this.onmessage?.({ data: ev.data }), oneWayMs);
      this.ws.onclose = (ev) => setTimeout(() => this.onclose?.({ code: ev.code, reason: ev.reason }), oneWayMs);
      this.ws.onerror = (ev: unknown) => this.onerror?.(ev);
    }
    get readyState(): number {
      return this.ws.readyState;
    }
    send(data: Uint8Array): void {
      const copy = data.slice();
      setTimeout(() => {
        if (this.ws.readyState === 1) this.ws.send(copy); // OPEN
      }, oneWayMs);
    }
    close(code?: number, reason?: string): void {
      this.ws.close(code, reason);
    }
    terminate(): void {
      if (this.ws.terminate) this.ws.terminate();
      else this.ws.close();
    }
  };
}
