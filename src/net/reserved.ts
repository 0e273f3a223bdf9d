/**
 * Event types clients may not publish themselves. Types starting with '_' are the server's;
 * on the world stream, the kinds the main sim and the social sim consume are either produced
 * only by typed messages, or charged to the typed message's budget:
 *
 *   'in' input, 'sp' spawn, 'ch' chat, 'ad' admin     RESERVED: only the typed message (checked,
 *                                                      rate-limited by kind) produces them
 *   'ow' ownership, 'ob' object input                 WebSocket publish allowed (the viewer
 *   'cg' chat group, 'bk' block list                  carries 'ob' every tick; 'ow' sets an owner),
 *                                                      each with a bucket of its own on the budget of
 *                                                      'ownership' (ow), 'input' (ob) or 'chat' (cg, bk),
 *                                                      besides the publish budget
 *
 *   'sa', 'sr', 'sm' object scripts                   WebSocket publish allowed, each with a bucket
 *                                                      of its own (HostOptions.scriptRateLimits,
 *                                                      SCRIPT_RATE_LIMITED), besides the publish budget
 *
 * The JSON endpoint has no per-kind budgets, so it refuses all eleven. Other streams have no sim
 * reading these kinds: there they are ordinary types. See src/sim/main-sim.ts and
 * src/social/social-sim.ts for what each kind does.
 */
import { ERROR } from '../protocol/errors';
import { StreamError } from '../sim/stream';

/** World-stream kinds only typed messages produce. */
export const RESERVED_TYPES: ReadonlySet<string> = new Set(['in', 'sp', 'ch', 'ad']);

/** World-stream kinds a WebSocket client may publish, with the typed message kind whose budget their own bucket has. */
export const BUDGETED_TYPES: Readonly<Record<string, 'chat' | 'ownership' | 'input'>> = { cg: 'chat', bk: 'chat', ow: 'ownership', ob: 'input' };

/** World-stream object-script kinds (src/script/world-scripts.ts), rate-limited per kind on the WebSocket. */
export const SCRIPT_TYPES: ReadonlySet<string> = new Set(['sa', 'sr', 'sm']);

/**
 * Throws StreamError NOT_ALLOWED when a client may not publish `type` itself, on the world stream
 * (`isWorld`) or another, over the WebSocket or the JSON endpoint.
 */
export function checkClientType(isWorld: boolean, type: string, transport: 'ws' | 'json'): void {
  if (typeof type === 'string' && type.startsWith('_'))
    throw new StreamError(ERROR.NOT_ALLOWED, `event type ${JSON.stringify(type.slice(0, 32))}: types starting with _ are the server's`);
  if (!isWorld) return;
  if (RESERVED_TYPES.has(type) || (transport === 'json' && Object.hasOwn(BUDGETED_TYPES, type))) {
    throw new StreamError(ERROR.NOT_ALLOWED, `event type ${JSON.stringify(type)} is reserved on the world stream: send the typed message instead`);
  }
  if (transport === 'json' && SCRIPT_TYPES.has(type)) {
    throw new StreamError(ERROR.NOT_ALLOWED, `event type ${JSON.stringify(type)} (object scripts) is rate-limited per kind: publish it over the WebSocket`);
  }
}
