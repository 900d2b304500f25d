// Non-browser chat clients for the tests, so the pages are checked against something other than
// themselves. `NodeChatClient` speaks the protocol with the `ws` package and the same generated
// protobuf code the page uses, either as a part-3 client (chat only) or room-aware (it joins,
// and then gets presence, refusals and room lists); `CliChat` runs the Rust CLI
// (`mmo chat --once`). Any object with the `OtherClient` shape below can be plugged into the tests.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import WebSocket from 'ws';

import { decodeEvent, encodeChat, encodeJoinRoom, encodeRoomListRequest } from '../../dist/protocol.js';
import { cargoBinary } from './server.mjs';

/**
 * What the tests need from a client that is not a browser.
 * @typedef {object} OtherClient
 * @property {number} id the ID the server gave it
 * @property {(text: string) => Promise<void>} send sends one chat line
 * @property {(timeoutMs?: number) => Promise<import('../../dist/protocol.js').ChatEvent>} nextEvent
 * @property {() => Promise<void>} close
 */

/** A chat client in Node: connects, learns its ID, and queues every event it receives. */
export class NodeChatClient {
  /** @param {WebSocket} socket */
  constructor(socket) {
    this.socket = socket;
    this.id = 0;
    /** @type {import('../../dist/protocol.js').ChatEvent[]} */
    this.events = [];
    /** @type {(() => void)[]} */
    this.waiters = [];
    /**
     * The `RoomMessage` of the join `connect` made, if it made one.
     * @type {Extract<import('../../dist/protocol.js').ChatEvent, {kind: 'room'}> | null}
     */
    this.joined = null;
    socket.on('message', (data, isBinary) => {
      // A text frame is a protocol error in this test: fail loudly by recording it.
      const event = isBinary ? decodeEvent(new Uint8Array(/** @type {Buffer} */ (data))) : { kind: 'text-frame' };
      if (event === null) return;
      this.events.push(/** @type {any} */ (event));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /**
   * Connects to `url` and resolves once the server has sent the client its ID. With `room`
   * (`""`: the lobby) it then joins that room, as the project's clients do, and resolves once
   * the server's `RoomMessage` has arrived (kept in `joined`); without, it stays a part-3
   * client that sends and receives chat only.
   * @param {string} url
   * @param {{room?: string}} [options]
   * @returns {Promise<NodeChatClient>}
   */
  static async connect(url, { room } = {}) {
    const socket = new WebSocket(url);
    // Listen before the socket opens: the server sends the ID right after the handshake, and
    // `ws` may emit it in the same tick as 'open'.
    const client = new NodeChatClient(socket);
    await once(socket, 'open');
    const first = await client.nextEvent();
    if (first.kind !== 'id') throw new Error(`first packet was ${JSON.stringify(first)}, not an ID`);
    client.id = first.id;
    if (room !== undefined) client.joined = await client.join(room);
    return client;
  }

  /** @param {Uint8Array} bytes */
  async sendBytes(bytes) {
    await new Promise((resolve, reject) => this.socket.send(bytes, { binary: true }, (e) => (e ? reject(e) : resolve(undefined))));
  }

  /**
   * Joins `room` and returns the server's answer: its `RoomMessage` (events before it stay
   * queued), or throws with the reason of a refusal.
   * @param {string} room
   */
  async join(room) {
    await this.sendBytes(encodeJoinRoom(room));
    const answer = await this.next((e) => e.kind === 'room' || e.kind === 'deny');
    if (answer.kind === 'deny') throw new Error(`join ${JSON.stringify(room)} refused: ${answer.reason}`);
    return /** @type {Extract<import('../../dist/protocol.js').ChatEvent, {kind: 'room'}>} */ (answer);
  }

  /** Asks for the room list and returns it. */
  async listRooms() {
    await this.sendBytes(encodeRoomListRequest());
    const answer = await this.next((e) => e.kind === 'rooms');
    return /** @type {Extract<import('../../dist/protocol.js').ChatEvent, {kind: 'rooms'}>} */ (answer).rooms;
  }

  /**
   * The first queued event `matches` accepts, waiting up to `timeoutMs` for one; the events
   * before it stay queued for `nextEvent`.
   * @param {(event: import('../../dist/protocol.js').ChatEvent) => boolean} matches
   * @param {number} [timeoutMs]
   */
  async next(matches, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.events.findIndex(matches);
      if (at >= 0) return /** @type {import('../../dist/protocol.js').ChatEvent} */ (this.events.splice(at, 1)[0]);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching packet within ${timeoutMs} ms; queued: ${JSON.stringify(this.events)}`);
      await this.arrival(left);
    }
  }

  /**
   * Resolves when the next packet arrives or after `ms`, whichever is first.
   * @param {number} ms
   */
  arrival(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }

  /** @param {string} text */
  async send(text) {
    await this.sendBytes(encodeChat(text));
  }

  /**
   * The next event not yet taken, waiting up to `timeoutMs` for one.
   * @param {number} [timeoutMs]
   */
  async nextEvent(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`);
      await this.arrival(left);
    }
    return /** @type {import('../../dist/protocol.js').ChatEvent} */ (this.events.shift());
  }

  async close() {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = once(this.socket, 'close');
    this.socket.close(1000, 'test done');
    await closed;
  }
}

/**
 * The Rust CLI (`mmo`), built with the rest of the workspace (a no-op when it is up to date);
 * `MMO_CLI_BIN` names a prebuilt one instead.
 * @returns {string}
 * @throws {Error} when it does not build or the binary is missing
 */
export function findCli() {
  if (process.env.MMO_CLI_BIN) {
    const binary = resolve(process.env.MMO_CLI_BIN);
    if (!existsSync(binary)) throw new Error(`MMO_CLI_BIN names ${binary}, which does not exist`);
    return binary;
  }
  return cargoBinary('mmo');
}

/**
 * `mmo chat --once URL --wait-for N` with `lines` on its stdin: it connects, sends them, and
 * stays until N lines from others have arrived, printing them.
 */
export class CliChat {
  /**
   * @param {string} binary
   * @param {string} url
   * @param {string[]} lines
   * @param {number} waitFor
   */
  constructor(binary, url, lines, waitFor) {
    this.output = '';
    this.child = spawn(binary, ['chat', '--once', '--wait-for', String(waitFor), '--timeout', '20', url], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk) => (this.output += chunk));
    this.child.stderr.on('data', (chunk) => (this.output += chunk));
    // 'close', not 'exit': it comes after stdout is drained, so the output is complete.
    this.exited = once(this.child, 'close').then(([code]) => code);
    this.child.stdin.end(lines.map((line) => `${line}\n`).join(''));
  }

  /** Waits for the process to end and fails unless it exited 0. */
  async finish(timeoutMs = 20_000) {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`mmo chat --once exited ${code}:\n${this.output}`);
    return this.output;
  }
}
