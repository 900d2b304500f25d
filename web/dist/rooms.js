// The room side of the web client without the page: the room it is in and who is there (kept
// from RoomMessage, PresenceMessage, and in big rooms presence batches and member pages), what a typed line asks for (chat or /join, /rooms,
// /who), and how a history line's time is shown. Free of the DOM, so Node tests import it.

import { LOBBY, displayName } from './protocol.js';

/** What the page says when a line starts with `/` but is none of the commands. */
export const COMMAND_USAGE = 'Commands: /join NAME (no NAME: the lobby), /rooms, /who; start a line with // to send one that begins with /';

/**
 * The room this client is in, as the server last described it: its name and its members in the
 * order they joined. A `RoomMessage` replaces everything; a `PresenceMessage` adds or removes one
 * member. The room is `""` until the server has confirmed a join, and again once the
 * connection is lost.
 */
export class RoomState {
  constructor() {
    this.room = '';
    /**
     * Member IDs to account names (`""` for a guest). A Map keeps insertion order, which is the
     * order they joined, and setting an existing key keeps its place.
     * @type {Map<number, string>}
     */
    this.members = new Map();
    /** How many members the room has, as the server last said. */
    this.count = 0;
    /** Whether `members` is not the whole room yet: a big room, its pages still to come. */
    this.partial = false;
    /** @type {number | null} the ID the next member page starts after, while paging */
    this.pagingAfter = null;
  }

  /**
   * Takes what a `RoomMessage` says: the room the client is now in and everyone there (in a big
   * room only this client: `partial`, and `startPaging` asks for the rest).
   * @param {{room: string, members: import('./protocol.js').RoomMember[], memberCount?: number, partial?: boolean}} message
   */
  enter({ room, members, memberCount = 0, partial = false }) {
    this.room = room;
    this.members = new Map(members.map((m) => [m.id, m.name]));
    this.partial = partial;
    this.count = memberCount || this.members.size;
    this.pagingAfter = null;
  }

  /** How many members the room has: the list's size once it is whole. */
  get memberCount() {
    return this.partial ? this.count : this.members.size;
  }

  /**
   * Starts paging the member list (a big room): the `afterId` of the first page's request.
   * @returns {number}
   */
  startPaging() {
    this.pagingAfter = 0;
    return 0;
  }

  /**
   * Takes a big room's `PresenceBatchMessage`: each member it names as it is at the batch's
   * end, so it is right on top of any list built from earlier messages. One about another
   * room changes nothing.
   * @param {{room: string, joined: import('./protocol.js').RoomMember[], left: number[], members: number}} batch
   * @returns {{joined: import('./protocol.js').RoomMember[], left: number[]} | null} what it said, `null` for nothing
   */
  applyBatch({ room, joined, left, members }) {
    if (this.room === '' || room !== this.room) return null;
    for (const m of joined) this.members.set(m.id, m.name);
    for (const id of left) this.members.delete(id);
    this.count = members;
    return { joined, left };
  }

  /**
   * Takes one page of the member list: it replaces what the list held for the IDs it covers.
   * @param {{room: string, members: import('./protocol.js').RoomMember[], nextAfterId: number, complete: boolean, total: number}} page
   * @returns {number | null} the `afterId` of the next page to ask for, `null` when done (or
   *   the page is not one this client is waiting for)
   */
  applyPage({ room, members, nextAfterId, complete, total }) {
    if (this.pagingAfter === null || room !== this.room) return null;
    const after = this.pagingAfter;
    const last = complete ? Infinity : nextAfterId;
    for (const id of [...this.members.keys()]) {
      if (id > after && id <= last) this.members.delete(id);
    }
    for (const m of members) this.members.set(m.id, m.name);
    // Keep the list in ID order, the order the members joined.
    this.members = new Map([...this.members].sort(([a], [b]) => a - b));
    this.count = total;
    if (complete) {
      this.pagingAfter = null;
      this.partial = false;
      return null;
    }
    this.pagingAfter = nextAfterId;
    return nextAfterId;
  }

  /**
   * Takes a `PresenceMessage`. One about another room (sent before the server moved this
   * client, read after) changes nothing and is not worth showing. A `joined` for a member
   * already listed is a new name for it (it logged in while here), not a second member, and
   * keeps its place; one that repeats the name it has changes nothing.
   * @param {{who: number, joined: boolean, room: string, name: string}} presence
   * @returns {{kind: 'joined' | 'left'} | {kind: 'renamed', from: string} | null} what changed,
   *   `from` being how the member was shown before; `null` for nothing
   */
  applyPresence({ who, joined, room, name }) {
    if (this.room === '' || room !== this.room) return null;
    if (!joined) {
      // Said even for an ID not listed: the server says it was here.
      this.members.delete(who);
      return { kind: 'left' };
    }
    const before = this.members.get(who);
    this.members.set(who, name);
    if (before === undefined) return { kind: 'joined' };
    if (before === name) return null;
    return { kind: 'renamed', from: displayName(who, before) };
  }

  /** Forgets the room, e.g. when the connection is lost: the next RoomMessage fills it again. */
  clear() {
    this.room = '';
    this.members = new Map();
    this.count = 0;
    this.partial = false;
    this.pagingAfter = null;
  }

  /**
   * How `id` is shown: a member's account name, else `Client N`.
   * @param {number} id
   * @returns {string}
   */
  nameOf(id) {
    return displayName(id, this.members.get(id) ?? '');
  }

  /**
   * Every member in the order they joined, as shown, with this client marked.
   * @param {number} myId
   * @returns {{id: number, label: string, you: boolean}[]}
   */
  memberList(myId) {
    return [...this.members].map(([id, name]) => ({ id, label: displayName(id, name), you: id === myId }));
  }
}

/**
 * What a line typed in the message box asks for.
 * @typedef {{kind: 'chat', text: string}
 *   | {kind: 'join', room: string}
 *   | {kind: 'rooms'}
 *   | {kind: 'who'}
 *   | {kind: 'invalid'}} TypedLine
 */

/**
 * Reads a typed line: `/join NAME` (no NAME: the lobby), `/rooms`, `/who`; a line starting with
 * `//` is chat that begins with `/`; any other line starting with `/` is `invalid` (answered with
 * `COMMAND_USAGE`, never sent as chat, so a mistyped command does not reach the room); anything
 * else is chat, as typed. Commands are matched without regard to case.
 * @param {string} text
 * @returns {TypedLine}
 */
export function parseTypedLine(text) {
  const line = text.trim();
  if (line.startsWith('//')) return { kind: 'chat', text: text.replace(/^\s*\//, '') };
  if (!line.startsWith('/')) return { kind: 'chat', text };
  const [command, ...args] = line.split(/\s+/);
  switch (command.toLowerCase()) {
    case '/join':
      if (args.length <= 1) return { kind: 'join', room: args[0] ?? '' };
      break;
    case '/rooms':
      if (args.length === 0) return { kind: 'rooms' };
      break;
    case '/who':
      if (args.length === 0) return { kind: 'who' };
      break;
    default:
      break;
  }
  return { kind: 'invalid' };
}

/**
 * The room list as shown: the server's, with the lobby first when the server left it out (an
 * empty lobby is not listed), so there is always a way back to it.
 * @param {{name: string, members: number}[]} rooms
 * @returns {{name: string, members: number}[]}
 */
export function withLobby(rooms) {
  if (rooms.some((r) => r.name === LOBBY)) return rooms;
  return [{ name: LOBBY, members: 0 }, ...rooms];
}

/**
 * The room list as one log line: `Rooms: lobby (3), red (1)`, or `No rooms`.
 * @param {{name: string, members: number}[]} rooms
 * @returns {string}
 */
export function describeRoomList(rooms) {
  if (rooms.length === 0) return 'No rooms';
  return `Rooms: ${rooms.map((r) => `${r.name} (${r.members})`).join(', ')}`;
}

/**
 * When a history line was sent, for the log: `14:05` on the day `now` is in, otherwise
 * `2024-03-09 14:05` (the lobby keeps its history as long as the server runs). Local time.
 * @param {number} sentAtMs Unix time in milliseconds
 * @param {number} now `Date.now()`, passed in so tests need no clock
 * @returns {string}
 */
export function formatSentAt(sentAtMs, now) {
  const at = new Date(sentAtMs);
  const today = new Date(now);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const sameDay =
    at.getFullYear() === today.getFullYear() && at.getMonth() === today.getMonth() && at.getDate() === today.getDate();
  if (sameDay) return clock;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${clock}`;
}
