// The protocol as the web client uses it: building the packets it sends (chat, rooms, accounts,
// the world), reading the ones it gets, and the server's limits on chat lines and room names. Wraps the generated packets.js
// so the rest of the client never touches protobuf details. Free of the DOM, so Node tests and
// test clients import it too.

import generated from './packets.js';

const { Packet } = generated.packets;

/**
 * The limits the server puts on clients, as `GET /api/status` reports them under `limits`.
 * @typedef {object} ServerLimits
 * @property {number} max_chat_chars most characters (Unicode code points) in one line
 * @property {number} max_chat_bytes most UTF-8 bytes in one line
 * @property {number} chat_per_second messages per second on average: chat lines, and every
 *   other message too (joins, room list requests)
 * @property {number} chat_burst messages in a burst
 * @property {number} max_room_name_chars most characters in a room name
 * @property {number} max_room_members most members of a room other than the lobby
 * @property {number} join_per_second room changes per second on average
 * @property {number} join_burst room changes in a burst
 */

/** The server's defaults, used until (or unless) its status endpoint answers. */
export const DEFAULT_LIMITS = Object.freeze({
  max_chat_chars: 500,
  max_chat_bytes: 2000,
  chat_per_second: 5,
  chat_burst: 10,
  max_room_name_chars: 32,
  max_room_members: 1000,
  join_per_second: 2,
  join_burst: 5,
});

/** The room every client starts in; joining `""` means joining it. */
export const LOBBY = 'lobby';

/**
 * Someone in a room: `name` is the account's username, `""` for a guest.
 * @typedef {{id: number, name: string}} RoomMember
 */

/**
 * A line of a room's history; `sentAtMs` is Unix time in milliseconds.
 * @typedef {{from: number, name: string, text: string, sentAtMs: number}} HistoryLine
 */

/**
 * What one received packet means to the chat, or `null` for packets this client has no use for.
 * `left` is the tutorial's leave notice (field 19), which only servers from before rooms send
 * to this client; room-aware servers send `presence` instead.
 * @typedef {{kind: 'id', id: number}
 *   | {kind: 'chat', from: number, text: string}
 *   | {kind: 'deny', reason: string}
 *   | {kind: 'ok'}
 *   | {kind: 'left', who: number, reason: string}
 *   | {kind: 'room', room: string, members: RoomMember[], history: HistoryLine[], memberCount: number, partial: boolean}
 *   | {kind: 'presence', who: number, joined: boolean, room: string, name: string}
 *   | {kind: 'presenceBatch', room: string, joined: RoomMember[], left: number[], members: number}
 *   | {kind: 'memberPage', room: string, members: RoomMember[], nextAfterId: number, complete: boolean, total: number}
 *   | {kind: 'rooms', rooms: {name: string, members: number}[]}
 *   | {kind: 'worldEntered', room: string, playerId: number, tickRate: number, positionScale: number, extrapolating: boolean}
 *   | {kind: 'worldLeft', reason: string}
 *   | {kind: 'worldUpdate', update: WorldUpdate}} ChatEvent
 */

/**
 * A `WorldUpdateMessage` as plain numbers (docs/protocol.md, "The world"): positions and radii
 * in 1/`position_scale` world units, `movedIds`, `velocityIds` and `resizedIds` still
 * delta-coded as sent (world.js decodes them), `own` and `leaderboard` `null` when unchanged.
 * An extrapolating client gets `velocityIds` + `velocityXy` and entrants' `vx`, `vy` instead of
 * `movedIds` + `movedXy`.
 * @typedef {object} WorldUpdate
 * @property {number} tick
 * @property {number[]} playersLeft
 * @property {number[]} sporesLeft
 * @property {{eaterId: number, playerId: number, sporeId: number}[]} eaten
 * @property {{id: number, name: string, x: number, y: number, radius: number, color: number, vx: number, vy: number}[]} playersEntered
 * @property {{id: number, x: number, y: number, radius: number}[]} sporesEntered
 * @property {number[]} movedIds
 * @property {number[]} movedXy
 * @property {number[]} resizedIds
 * @property {number[]} resizedRadii
 * @property {number[]} velocityIds
 * @property {number[]} velocityXy
 * @property {{score: number, bestScore: number, viewHalfWidth: number, viewHalfHeight: number} | null} own
 * @property {{entries: {playerId: number, name: string, score: number}[], players: number} | null} leaderboard
 */

/**
 * A decoded 64-bit integer as a plain number. Without a Long library loaded (the browser), the
 * generated code already gives numbers; where one is loaded it gives Long objects. IDs stay
 * below 2^53 and times in milliseconds far below it, so nothing is lost either way.
 * @param {number | {toNumber(): number} | null | undefined} value
 * @returns {number}
 */
function toNumber(value) {
  if (value === null || value === undefined) return 0;
  return typeof value === 'object' ? value.toNumber() : Number(value);
}

/**
 * Encodes a chat line the way every client sends it: `sender_id` 0 (the server fills it in).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function encodeChat(text) {
  return Packet.encode(Packet.create({ chat: { msg: text } })).finish();
}

/**
 * Encodes a request to move to `room` (`""`: the lobby). The first one a client sends also
 * shows the server that it knows fields from 100 up, so it gets presence and refusals.
 * @param {string} room
 * @returns {Uint8Array}
 */
export function encodeJoinRoom(room) {
  return Packet.encode(Packet.create({ joinRoom: { room } })).finish();
}

/**
 * Encodes a login (tutorial field 4): answered with `OkResponseMessage` or a refusal.
 * @param {string} username
 * @param {string} password
 * @returns {Uint8Array}
 */
export function encodeLogin(username, password) {
  return Packet.encode(Packet.create({ loginRequest: { username, password } })).finish();
}

/**
 * Encodes a registration (tutorial field 5): answered with `OkResponseMessage` or a refusal.
 * Registering does not log in.
 * @param {string} username
 * @param {string} password
 * @param {number} color the player's colour as the tutorial's client sends it (RGBA, 8 bits
 *   each, as a signed 32-bit number)
 * @returns {Uint8Array}
 */
export function encodeRegister(username, password, color) {
  return Packet.encode(Packet.create({ registerRequest: { username, password, color } })).finish();
}

/**
 * Encodes a request for the list of rooms.
 * @returns {Uint8Array}
 */
export function encodeRoomListRequest() {
  return Packet.encode(Packet.create({ roomListRequest: {} })).finish();
}

/**
 * Asks for one page of the members of `room` (the client's own): IDs above `afterId`, at most
 * the server's page size (docs/protocol.md, "Presence in big rooms").
 * @param {string} room
 * @param {number} afterId
 * @returns {Uint8Array}
 */
export function encodeMemberListRequest(room, afterId) {
  return Packet.encode(Packet.create({ memberListRequest: { room, afterId, limit: 0 } })).finish();
}

/**
 * @param {{id?: number | {toNumber(): number} | null, name?: string | null}[] | null | undefined} members
 * @returns {RoomMember[]}
 */
function membersOf(members) {
  return (members ?? []).map((m) => ({ id: toNumber(m.id), name: m.name ?? '' }));
}

/**
 * Encodes a request to play in the world of the room this client is in: answered with
 * `WorldEnteredMessage` or a refusal. With `extrapolate`, updates carry velocities when they
 * change instead of every move (docs/protocol.md, "Extrapolated updates"), if the server does
 * it (`WorldEnteredMessage.extrapolating` says).
 * @param {boolean} [extrapolate]
 * @returns {Uint8Array}
 */
export function encodeEnterWorld(extrapolate = false) {
  return Packet.encode(Packet.create({ enterWorld: extrapolate ? { extrapolate } : {} })).finish();
}

/**
 * Encodes a request to stop playing (the client stays in its room): answered with
 * `WorldLeftMessage`.
 * @returns {Uint8Array}
 */
export function encodeLeaveWorld() {
  return Packet.encode(Packet.create({ leaveWorld: {} })).finish();
}

/**
 * Encodes a steer (tutorial field 9): the own player's direction in radians, 0 = +x, pi/2 = +y
 * (y grows downwards).
 * @param {number} direction
 * @returns {Uint8Array}
 */
export function encodePlayerDirection(direction) {
  return Packet.encode(Packet.create({ playerDirection: { direction } })).finish();
}

/**
 * A `WorldUpdateMessage` as the page keeps it: every 64-bit ID a plain number, every absent
 * list empty.
 * @param {any} message the decoded `WorldUpdateMessage`
 * @returns {WorldUpdate}
 */
function worldUpdateFrom(message) {
  const ids = (/** @type {any[] | undefined} */ list) => (list ?? []).map(toNumber);
  const own = message.own;
  const board = message.leaderboard;
  return {
    tick: message.tick ?? 0,
    playersLeft: ids(message.playersLeft),
    sporesLeft: ids(message.sporesLeft),
    eaten: (message.eaten ?? []).map((/** @type {any} */ e) => ({
      eaterId: toNumber(e.eaterId),
      playerId: toNumber(e.playerId),
      sporeId: toNumber(e.sporeId),
    })),
    playersEntered: (message.playersEntered ?? []).map((/** @type {any} */ p) => ({
      id: toNumber(p.id),
      name: p.name ?? '',
      x: p.x ?? 0,
      y: p.y ?? 0,
      radius: p.radius ?? 0,
      color: p.color ?? 0,
      vx: p.vx ?? 0,
      vy: p.vy ?? 0,
    })),
    sporesEntered: (message.sporesEntered ?? []).map((/** @type {any} */ s) => ({
      id: toNumber(s.id),
      x: s.x ?? 0,
      y: s.y ?? 0,
      radius: s.radius ?? 0,
    })),
    movedIds: ids(message.movedIds),
    movedXy: [...(message.movedXy ?? [])],
    resizedIds: ids(message.resizedIds),
    resizedRadii: [...(message.resizedRadii ?? [])],
    velocityIds: ids(message.velocityIds),
    velocityXy: [...(message.velocityXy ?? [])],
    own: own
      ? {
          score: toNumber(own.score),
          bestScore: toNumber(own.bestScore),
          viewHalfWidth: own.viewHalfWidth ?? 0,
          viewHalfHeight: own.viewHalfHeight ?? 0,
        }
      : null,
    leaderboard: board
      ? {
          entries: (board.entries ?? []).map((/** @type {any} */ e) => ({
            playerId: toNumber(e.playerId),
            name: e.name ?? '',
            score: toNumber(e.score),
          })),
          players: board.players ?? 0,
        }
      : null,
  };
}

/**
 * Decodes one message from the server.
 * @param {Uint8Array} bytes
 * @returns {ChatEvent | null}
 * @throws {Error} when the bytes are not a Packet
 */
export function decodeEvent(bytes) {
  const packet = Packet.decode(bytes);
  const sender = toNumber(packet.senderId);
  switch (packet.msg) {
    case 'id':
      return { kind: 'id', id: toNumber(packet.id?.id) };
    case 'chat':
      return { kind: 'chat', from: sender, text: packet.chat?.msg ?? '' };
    case 'okResponse':
      return { kind: 'ok' };
    case 'denyResponse':
      return { kind: 'deny', reason: packet.denyResponse?.reason ?? '' };
    case 'disconnect':
      return { kind: 'left', who: sender, reason: packet.disconnect?.reason ?? '' };
    case 'room':
      return {
        kind: 'room',
        room: packet.room?.room ?? '',
        members: membersOf(packet.room?.members),
        memberCount: packet.room?.memberCount ?? 0,
        partial: packet.room?.membersPartial ?? false,
        history: (packet.room?.history ?? []).map((line) => ({
          from: toNumber(line.senderId),
          name: line.senderName ?? '',
          text: line.msg ?? '',
          sentAtMs: toNumber(line.sentAtMs),
        })),
      };
    case 'presence':
      return {
        kind: 'presence',
        who: sender,
        joined: packet.presence?.joined ?? false,
        room: packet.presence?.room ?? '',
        name: packet.presence?.name ?? '',
      };
    case 'presenceBatch':
      return {
        kind: 'presenceBatch',
        room: packet.presenceBatch?.room ?? '',
        joined: membersOf(packet.presenceBatch?.joined),
        left: (packet.presenceBatch?.left ?? []).map(toNumber),
        members: packet.presenceBatch?.members ?? 0,
      };
    case 'memberList':
      return {
        kind: 'memberPage',
        room: packet.memberList?.room ?? '',
        members: membersOf(packet.memberList?.members),
        nextAfterId: toNumber(packet.memberList?.nextAfterId),
        complete: packet.memberList?.complete ?? false,
        total: packet.memberList?.total ?? 0,
      };
    case 'roomList':
      return {
        kind: 'rooms',
        rooms: (packet.roomList?.rooms ?? []).map((r) => ({ name: r.name ?? '', members: r.members ?? 0 })),
      };
    case 'worldEntered':
      return {
        kind: 'worldEntered',
        room: packet.worldEntered?.room ?? '',
        playerId: toNumber(packet.worldEntered?.playerId),
        tickRate: packet.worldEntered?.tickRate ?? 0,
        positionScale: packet.worldEntered?.positionScale ?? 0,
        extrapolating: packet.worldEntered?.extrapolating ?? false,
      };
    case 'worldLeft':
      return { kind: 'worldLeft', reason: packet.worldLeft?.reason ?? '' };
    case 'worldUpdate':
      return { kind: 'worldUpdate', update: worldUpdateFrom(packet.worldUpdate ?? {}) };
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
 * @param {ServerLimits} limits
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

/** One character a room name may hold: a letter or digit of any script, `-`, `_` or `.`. */
const ROOM_NAME_CHAR = /^[\p{Alphabetic}\p{N}_.-]$/u;

/**
 * Why the server would refuse to let a client join `name`, or `null` if the name is fine
 * (docs/protocol.md, "Room names"; the server is the judge, this only saves a round trip).
 * `""` is fine: it means the lobby. The wording is the server's own.
 * @param {string} name
 * @param {number} maxChars the server's `max_room_name_chars`
 * @returns {string | null}
 */
export function roomNameProblem(name, maxChars) {
  if (name === '') return null;
  const chars = [...name];
  if (chars.length <= maxChars && chars.every((c) => ROOM_NAME_CHAR.test(c))) return null;
  return `room name ${JSON.stringify(name)} is not allowed: use 1 to ${maxChars} letters, digits, '-', '_' or '.'`;
}

/**
 * How a client is shown: its account name, or `Client N` for a guest.
 * @param {number} id
 * @param {string} name
 * @returns {string}
 */
export function displayName(id, name) {
  return name === '' ? `Client ${id}` : name;
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
 * One of the server's per-client rate limits (its token buckets for messages and for room
 * changes), mirrored so the page can hold back what the server would refuse: `burst` at once,
 * then `perSecond` on average. Like the server's, a rate of 0 (or less) means no limit and a
 * burst below 1 counts as 1. Time is passed in (milliseconds, e.g. `performance.now()`), so
 * tests need no clock.
 */
export class RateLimiter {
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
   * New limits (the server's status said so). What was spent stays spent: the server's bucket
   * was full at the start too and has paid for the same messages, so a page that learns the
   * limits after sending a few (its status request can answer after it has joined) must not
   * think it has more left than the server gives it.
   * @param {number} perSecond
   * @param {number} burst
   * @param {number} now
   */
  configure(perSecond, burst, now) {
    this.refill(now);
    const spent = this.burst - this.tokens;
    this.perSecond = Number.isFinite(perSecond) ? perSecond : 0;
    this.burst = Math.max(1, Number.isFinite(burst) ? Math.floor(burst) : 1);
    this.tokens = Math.min(this.burst, Math.max(0, this.burst - spent));
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
