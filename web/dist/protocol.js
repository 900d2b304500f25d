// The chat protocol as the web client uses it: building the packets it sends, reading the ones
// it gets, and the server's chat limits. Wraps the generated packets.js so the rest of the client
// never touches protobuf details. Free of the DOM, so Node tests and test clients import it too.

import generated from './packets.js';

const { Packet } = generated.packets;

/**
 * The limits the server puts on chat lines, as `GET /api/status` reports them under `limits`.
 * @typedef {object} ChatLimits
 * @property {number} max_chat_chars most characters (Unicode code points) in one line
 * @property {number} max_chat_bytes most UTF-8 bytes in one line
 * @property {number} chat_per_second lines per second on average
 * @property {number} chat_burst lines in a burst
 */

/** The server's defaults, used until (or unless) its status endpoint answers. */
export const DEFAULT_LIMITS = Object.freeze({
  max_chat_chars: 500,
  max_chat_bytes: 2000,
  chat_per_second: 5,
  chat_burst: 10,
});

/**
 * What one received packet means to the chat, or `null` for packets this client has no use for.
 * @typedef {{kind: 'id', id: number}
 *   | {kind: 'chat', from: number, text: string}
 *   | {kind: 'deny', reason: string}
 *   | {kind: 'left', who: number, reason: string}} ChatEvent
 */

/**
 * Encodes a chat line the way every client sends it: `sender_id` 0 (the server fills it in).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function encodeChat(text) {
  return Packet.encode(Packet.create({ chat: { msg: text } })).finish();
}

/**
 * Decodes one message from the server.
 * @param {Uint8Array} bytes
 * @returns {ChatEvent | null}
 * @throws {Error} when the bytes are not a Packet
 */
export function decodeEvent(bytes) {
  const packet = Packet.decode(bytes);
  // uint64 fields decode to plain numbers here (no Long library is loaded); IDs stay far below
  // 2^53, so nothing is lost.
  const sender = Number(packet.senderId);
  switch (packet.msg) {
    case 'id':
      return { kind: 'id', id: Number(packet.id?.id ?? 0) };
    case 'chat':
      return { kind: 'chat', from: sender, text: packet.chat?.msg ?? '' };
    case 'denyResponse':
      return { kind: 'deny', reason: packet.denyResponse?.reason ?? '' };
    case 'disconnect':
      return { kind: 'left', who: sender, reason: packet.disconnect?.reason ?? '' };
    default:
      return null;
  }
}

/**
 * Characters as the server counts them: Unicode code points, not UTF-16 units.
 * @param {string} text
 * @returns {number}
 */
export function countChars(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * Why the server would refuse this line, or `null` if it would relay it. Blank lines are refused
 * by the server too, but the client simply never sends them, so they are not a "problem" here.
 * @param {string} text
 * @param {ChatLimits} limits
 * @returns {string | null}
 */
export function chatLimitProblem(text, limits) {
  const chars = countChars(text);
  if (chars > limits.max_chat_chars) {
    return `Message is ${chars} characters; the limit is ${limits.max_chat_chars}`;
  }
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > limits.max_chat_bytes) {
    return `Message is ${bytes} bytes; the limit is ${limits.max_chat_bytes}`;
  }
  return null;
}

/**
 * Whether a line has anything worth sending (the server refuses whitespace-only lines).
 * @param {string} text
 * @returns {boolean}
 */
export function isBlank(text) {
  return text.trim() === '';
}

/**
 * The server's per-client chat rate limit, mirrored so the page can hold back a line the server
 * would refuse: `burst` lines at once, then `perSecond` on average. Like the server's, a rate of
 * 0 (or less) means no limit and a burst below 1 counts as 1. Time is passed in (milliseconds,
 * e.g. `performance.now()`), so tests need no clock.
 */
export class ChatRateLimiter {
  /**
   * A full bucket.
   * @param {number} perSecond
   * @param {number} burst
   * @param {number} now
   */
  constructor(perSecond, burst, now) {
    this.perSecond = 0;
    this.burst = 1;
    this.tokens = 1;
    this.refilledAt = now;
    this.configure(perSecond, burst, now);
    this.tokens = this.burst;
  }

  /**
   * New limits (the server's status said so); the tokens saved up so far are kept, up to the
   * new burst.
   * @param {number} perSecond
   * @param {number} burst
   * @param {number} now
   */
  configure(perSecond, burst, now) {
    this.refill(now);
    this.perSecond = Number.isFinite(perSecond) ? perSecond : 0;
    this.burst = Math.max(1, Number.isFinite(burst) ? Math.floor(burst) : 1);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /**
   * Back to a full bucket, as the server starts every new connection.
   * @param {number} now
   */
  reset(now) {
    this.tokens = this.burst;
    this.refilledAt = now;
  }

  /** Whether there is no limit at all. */
  get unlimited() {
    return this.perSecond <= 0;
  }

  /** @param {number} now */
  refill(now) {
    const elapsed = Math.max(0, now - this.refilledAt) / 1000;
    if (this.perSecond > 0) this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perSecond);
    this.refilledAt = Math.max(this.refilledAt, now);
  }

  /**
   * Takes a token for a line about to be sent; `false` means the server would refuse it now.
   * @param {number} now
   * @returns {boolean}
   */
  tryTake(now) {
    if (this.unlimited) return true;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Milliseconds until a line may be sent; 0 when one may be sent now.
   * @param {number} now
   * @returns {number}
   */
  msUntilToken(now) {
    if (this.unlimited) return 0;
    this.refill(now);
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}

/**
 * The hint shown while lines are held back: `Slow down: 1 line per second`,
 * `Slow down: 2.5 lines per second`, `Slow down: 1 line every 4 seconds`.
 * @param {number} perSecond
 * @returns {string}
 */
export function slowDownHint(perSecond) {
  if (perSecond > 0 && perSecond < 1) {
    const seconds = Number((1 / perSecond).toFixed(1));
    return `Slow down: 1 line every ${seconds} seconds`;
  }
  const rate = Number(perSecond.toFixed(2));
  return `Slow down: ${rate} ${rate === 1 ? 'line' : 'lines'} per second`;
}
