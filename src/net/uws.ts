/**
 * Loads uWebSockets.js's native binary directly. The npm alias
 * (`uWebSockets.js` -> @trufflesuite/uws-js-unofficial) silently falls back to a `ws`-based
 * shim when the binary does not load; the host must never run on the shim, so this module
 * requires `binaries/uws_<platform>_<arch>_<abi>.node` itself and throws if it is missing.
 */
import type * as UWS from 'uWebSockets.js';

export type { TemplatedApp, WebSocket, WebSocketBehavior, HttpResponse, HttpRequest, us_listen_socket, us_socket_context_t } from 'uWebSockets.js';

/** The native module (same API as `require('uWebSockets.js')`). Throws Error when this platform has no binary. */
export function loadUws(): typeof UWS {
  const name = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(`uWebSockets.js/binaries/${name}`) as typeof UWS;
  } catch (e) {
    throw new Error(
      `uWebSockets.js has no native binary ${name} for Node ${process.version} (${(e as Error).message}); Tessera does not run on the ws fallback`,
    );
  }
}

/** The native uWebSockets.js module, loaded once. */
export const uws: typeof UWS = loadUws();
