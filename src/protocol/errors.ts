/**
 * Error codes on the wire and the WebSocket close codes the host uses. One table for every
 * door: ServerMessage error.code on /ws, and the body `{"error": {"code", "name", "message"}}`
 * of every HTTP error (the JSON endpoint, /auth/*, /chat/history, unknown routes, refused
 * upgrades; errorBody builds it). A client in any language acts on the number; `name` is the
 * key below, for people and logs. 1xxx malformed input, 2xxx authentication, 3xxx limits,
 * 4xxx refused by the game. docs/protocol.md lists them with the HTTP statuses they come with.
 */
export const ERROR = {
  /** The buffer failed verification (see ProtocolError.reason for which check). */
  BAD_MESSAGE: 1000,
  /** Hello carried a protocol version this host does not speak. */
  BAD_VERSION: 1001,
  /** A message kind that is not valid in this direction or state (e.g. a second hello). */
  UNEXPECTED: 1002,
  /** A field value out of range (stream name, event type, body length, input range). */
  BAD_VALUE: 1003,
  /** No valid token was given in the upgrade request or the first message. */
  UNAUTHENTICATED: 2000,
  /** The first message did not arrive within the authentication window. */
  AUTH_TIMEOUT: 2001,
  /** The Origin header is not on the allow-list. */
  BAD_ORIGIN: 2002,
  /** /auth/*: wrong name or password (the same for both), or a session token that is not valid. */
  INVALID_CREDENTIALS: 2003,
  /** Too many messages of one kind in the window; the message was dropped. */
  RATE_LIMITED: 3000,
  /** The message is larger than the host accepts. */
  TOO_LARGE: 3001,
  /** The client did not read fast enough; the host dropped it. */
  SLOW_CONSUMER: 3002,
  /** The host is full (most clients, most streams, or the principal's share of streams). */
  FULL: 3003,
  /**
   * Admission control: too many joins this second (WebSocket upgrades, JSON requests that join a
   * stream). Answered before any per-client memory is spent: HTTP 503 with Retry-After (seconds).
   */
  BUSY: 3004,
  /**
   * (protocol 4) An input's tick is more than the host's maxInputLead ticks after the open tick,
   * or the client already has maxPendingInputs inputs waiting for their ticks: the input was
   * dropped (docs/protocol.md section 18).
   */
  INPUT_AHEAD: 3005,
  /**
   * Too many object-script events of one kind ('sa' attach, 'sr' store read, 'sm' script chat) from
   * this connection: the event was dropped (HostOptions.scriptRateLimits, per kind; issue 21).
   */
  SCRIPT_RATE_LIMITED: 3006,
  /** The action is not allowed for this client (ownership, role). */
  NOT_ALLOWED: 4000,
  /** The named body or stream does not exist. */
  NOT_FOUND: 4001,
  /** The host is shutting down. */
  SHUTTING_DOWN: 4002,
  /** A server fault; the client may retry. */
  INTERNAL: 4003,
  /** Only the object's owner may do this (seed 002); request ownership first. */
  NOT_OWNER: 4004,
  /** The player is muted (chat refused until the mute ends). */
  MUTED: 4005,
  /** The account is banned (until the time in the message). */
  BANNED: 4006,
  /** /auth/register: the name is taken. */
  TAKEN: 4007,
  /** (protocol 4) A lag-compensated raycast's tick is outside the host's body history (older than lagTicks, or not closed yet). */
  OUT_OF_WINDOW: 4008,
  /** GET /objects/<id>/script: the object is in the world but has no script (issue 21). */
  NO_SCRIPT: 4009,
} as const;
export type ErrorCode = (typeof ERROR)[keyof typeof ERROR];
/** The name of an error code (a key of ERROR). */
export type ErrorName = keyof typeof ERROR;

/** ERROR read backwards: code -> name. */
export const ERROR_NAME: Readonly<Record<ErrorCode, ErrorName>> = Object.fromEntries(Object.entries(ERROR).map(([name, code]) => [code, name])) as Record<
  ErrorCode,
  ErrorName
>;

/** The body of every HTTP error response: `{"error": {"code": 1003, "name": "BAD_VALUE", "message": "..."}}`. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly name: ErrorName; readonly message: string };
}

/** Builds the HTTP error body for `code` (its name from the table) with `message`, what to fix. */
export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, name: ERROR_NAME[code], message } };
}

/**
 * WebSocket close codes (RFC 6455 section 7.4: 1000 normal, 1001 going away, 1008 policy
 * violation, 1009 message too big, 1011 internal error; 4000-4999 private use).
 */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  /** Repeated malformed messages. */
  BAD_MESSAGE: 4000,
  UNAUTHENTICATED: 4001,
  AUTH_TIMEOUT: 4002,
  BAD_VERSION: 4003,
  SLOW_CONSUMER: 4008,
  RATE_LIMITED: 4029,
  SILENT: 4010,
  /** An admin removed the client (kick); it may join again. */
  KICKED: 4011,
  /** The account is banned; joining again is refused until the ban ends. */
  BANNED: 4012,
  /** The host refused to create or keep what the client asked for at its limits (streams per host or per principal): retry later. */
  FULL: 4013,
  /**
   * The token the session was opened with was revoked: logged out or refreshed through
   * `/auth/*`, or found no longer valid by the host's periodic re-check (revoked elsewhere,
   * expired). Preceded by error UNAUTHENTICATED saying which; after a refresh, connect again
   * with the new token (the same public id within the silence timeout), else log in again.
   */
  REVOKED: 4014,
} as const;

/**
 * A message the host cannot accept: `code` is an ERROR value, `reason` a short machine word
 * for the failed check (e.g. 'OUT_OF_BOUNDS'), `message` says what to fix.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
