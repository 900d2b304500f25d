// Unit tests of the web client's DOM-free modules in plain Node: the backoff schedule, URL
// choice, the generated protobuf code against the protocol's documented bytes (chat, and the
// room messages, byte for byte against the contract's field numbers), chat limits (length and
// rate), room names, the room state kept from RoomMessage and presence, typed commands, and
// the status panel's number formatting.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LoginFlow, NO_ACCOUNTS, accountsPolicy, credentialsProblem, isLoggedInElsewhere, randomColor } from '../dist/accounts.js';
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  ReconnectingSocket,
  backoffDelay,
  describeCloseCode,
  describeConnectFailure,
  serverUrlFor,
  statusUrlFor,
} from '../dist/connection.js';
import generated from '../dist/packets.js';
import {
  DEFAULT_LIMITS,
  LOBBY,
  RateLimiter,
  chatLimitProblem,
  countChars,
  decodeEvent,
  displayName,
  encodeChat,
  encodeJoinRoom,
  encodeMemberListRequest,
  encodeLogin,
  encodeRegister,
  encodeRoomListRequest,
  isBlank,
  roomNameProblem,
  slowDownHint,
} from '../dist/protocol.js';
import { COMMAND_USAGE, RoomState, describeRoomList, formatSentAt, parseTypedLine, withLobby } from '../dist/rooms.js';
import { describeCluster, formatRate, formatUptime } from '../dist/status.js';

const { Packet } = generated.packets;
const hex = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes).toString('hex');

test('backoff doubles from the base, stays under the cap, and jitters within the upper half', () => {
  assert.equal(backoffDelay(0, () => 0), BACKOFF_BASE_MS / 2);
  assert.equal(backoffDelay(0, () => 0.999999), BACKOFF_BASE_MS * 0.9999995);
  assert.equal(backoffDelay(1, () => 0), BACKOFF_BASE_MS);
  assert.equal(backoffDelay(3, () => 0), BACKOFF_BASE_MS * 4);
  for (const attempt of [10, 50, 1000]) {
    assert.equal(backoffDelay(attempt, () => 0), BACKOFF_CAP_MS / 2);
    assert.ok(backoffDelay(attempt, () => 0.999999) < BACKOFF_CAP_MS);
  }
  // Real randomness stays inside the window.
  for (let i = 0; i < 100; i += 1) {
    const d = backoffDelay(2);
    assert.ok(d >= 2 * BACKOFF_BASE_MS && d < 4 * BACKOFF_BASE_MS, String(d));
  }
});

test('the WebSocket URL comes from the page location unless ?server= overrides it', () => {
  assert.deepEqual(serverUrlFor({ protocol: 'http:', host: 'localhost:8080', search: '' }), { url: 'ws://localhost:8080/ws' });
  assert.deepEqual(serverUrlFor({ protocol: 'https:', host: 'chat.example', search: '?x=1' }), { url: 'wss://chat.example/ws' });
  assert.deepEqual(serverUrlFor({ protocol: 'http:', host: 'a:1', search: '?server=ws://b:2/ws' }), { url: 'ws://b:2/ws' });
  const bad = serverUrlFor({ protocol: 'http:', host: 'a:1', search: '?server=http://b:2/' });
  assert.equal(bad.url, 'ws://a:1/ws');
  assert.match(bad.error ?? '', /must be a ws:\/\/ or wss:\/\/ URL/);
  assert.equal(serverUrlFor({ protocol: 'http:', host: 'a:1', search: '?server=not a url' }).url, 'ws://a:1/ws');
});

test('the status URL sits next to the WebSocket endpoint', () => {
  assert.equal(statusUrlFor('ws://127.0.0.1:9000/ws'), 'http://127.0.0.1:9000/api/status');
  assert.equal(statusUrlFor('wss://chat.example/ws?x=1'), 'https://chat.example/api/status');
});

test('close codes have words', () => {
  assert.equal(describeCloseCode(1006), 'connection lost');
  assert.equal(describeCloseCode(4321), 'unknown');
});

test('a connection that never opened names its address, and the right path when it is not /ws', () => {
  assert.equal(describeConnectFailure('ws://127.0.0.1:8080/ws'), 'Could not connect to ws://127.0.0.1:8080/ws');
  assert.equal(
    describeConnectFailure('ws://127.0.0.1:8080/'),
    "Could not connect to ws://127.0.0.1:8080/ (the server's WebSocket address ends in /ws)",
  );
  assert.match(describeConnectFailure('wss://chat.example/chat'), /^Could not connect to wss:\/\/chat\.example\/chat \(.*ends in \/ws\)$/);
});

/** A stand-in for the browser's WebSocket: records instances, and closes when told. */
class FakeSocket extends EventTarget {
  static OPEN = 1;
  /** @type {FakeSocket[]} */
  static made = [];
  /** @param {string} url */
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    FakeSocket.made.push(this);
  }
  /** @param {number} code @param {string} reason */
  fail(code, reason) {
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason }));
  }
}

test('a socket told to stop retrying schedules no retry until connect is called again', () => {
  /** @type {string[]} */
  const seen = [];
  /** @type {ReconnectingSocket} */
  let socket;
  let stopNext = true;
  socket = new ReconnectingSocket(
    'ws://x/ws',
    {
      onConnecting: () => seen.push('connecting'),
      onOpen: () => seen.push('open'),
      onMessage: () => {},
      onClose: ({ reason }) => {
        seen.push(`close ${reason}`);
        if (stopNext) socket.stopRetrying();
      },
      onRetryScheduled: ({ attempt }) => seen.push(`retry ${attempt}`),
    },
    { WebSocket: /** @type {any} */ (FakeSocket), random: () => 0 },
  );
  socket.connect();
  FakeSocket.made[0].fail(1008, 'logged in elsewhere');
  assert.deepEqual(seen, ['connecting', 'close logged in elsewhere'], 'no retry scheduled');
  assert.equal(socket.retryTimer, undefined);
  // The player reconnects: retries are back on for the next close.
  stopNext = false;
  socket.connect();
  FakeSocket.made[1].fail(1006, '');
  assert.deepEqual(seen.slice(2), ['connecting', 'close ', 'retry 1']);
  socket.stopRetrying();
  assert.equal(socket.retryTimer, undefined, 'a scheduled retry is cancelled');
});

test('generated code encodes the protocol document\'s example byte for byte', () => {
  const bytes = Packet.encode(Packet.create({ senderId: 69, chat: { msg: 'Hello, world!' } })).finish();
  assert.equal(hex(bytes), '0845120f0a0d48656c6c6f2c20776f726c6421');
  // Clients send sender_id 0, which proto3 leaves out: `12 LEN 0a LEN UTF8`.
  assert.equal(hex(encodeChat('hi')), '12040a026869');
});

test('received packets become chat events', () => {
  const encode = (/** @type {object} */ p) => Packet.encode(Packet.create(p)).finish();
  assert.deepEqual(decodeEvent(encode({ senderId: 3, id: { id: 3 } })), { kind: 'id', id: 3 });
  assert.deepEqual(decodeEvent(encode({ senderId: 7, chat: { msg: 'yo' } })), { kind: 'chat', from: 7, text: 'yo' });
  assert.deepEqual(decodeEvent(encode({ denyResponse: { reason: 'too fast' } })), { kind: 'deny', reason: 'too fast' });
  assert.deepEqual(decodeEvent(encode({ okResponse: {} })), { kind: 'ok' });
  assert.deepEqual(decodeEvent(encode({ senderId: 9, disconnect: { reason: 'bye' } })), { kind: 'left', who: 9, reason: 'bye' });
  assert.equal(decodeEvent(encode({ senderId: 9 })), null);
  // An unknown field (a future message, here field 200) is skipped, not an error; so is a
  // message only clients send.
  assert.equal(decodeEvent(Uint8Array.from([0x08, 0x01, 0xc2, 0x0c, 0x00])), null);
  assert.equal(decodeEvent(encodeJoinRoom('red')), null);
  assert.throws(() => decodeEvent(Uint8Array.from([0x12, 0x05, 0x0a])));
});

test('big rooms: presence batches and member pages decode, and rebuild the exact member list', () => {
  const { Packet } = generated.packets;
  const encode = (/** @type {object} */ p) => Packet.encode(Packet.create(p)).finish();
  const big = decodeEvent(encode({ room: { room: 'lobby', members: [{ id: 5 }], memberCount: 900, membersPartial: true } }));
  assert.deepEqual(big, { kind: 'room', room: 'lobby', members: [{ id: 5, name: '' }], memberCount: 900, partial: true, history: [] });
  assert.deepEqual(decodeEvent(encode({ presenceBatch: { room: 'lobby', joined: [{ id: 7, name: 'ann' }], left: [3], members: 900 } })), {
    kind: 'presenceBatch',
    room: 'lobby',
    joined: [{ id: 7, name: 'ann' }],
    left: [3],
    members: 900,
  });
  const request = Packet.decode(encodeMemberListRequest('lobby', 42));
  assert.equal(request.memberListRequest?.room, 'lobby');
  assert.equal(Number(request.memberListRequest?.afterId), 42);

  const state = new RoomState();
  if (big === null || big.kind !== 'room') throw new Error('not a room');
  state.enter(big);
  assert.equal(state.memberCount, 900);
  assert.ok(state.partial);
  assert.equal(state.startPaging(), 0);
  // A batch before the pages, one between them: each member's state at its end.
  state.applyBatch({ room: 'lobby', joined: [{ id: 2, name: '' }], left: [], members: 900 });
  assert.equal(state.applyPage({ room: 'lobby', members: [{ id: 2, name: '' }, { id: 3, name: '' }], nextAfterId: 3, complete: false, total: 4 }), 3);
  state.applyBatch({ room: 'lobby', joined: [{ id: 4, name: 'bo' }], left: [3], members: 4 });
  assert.equal(state.applyPage({ room: 'lobby', members: [{ id: 4, name: 'bo' }, { id: 5, name: '' }, { id: 8, name: '' }], nextAfterId: 0, complete: true, total: 4 }), null);
  assert.ok(!state.partial);
  assert.deepEqual([...state.members.keys()], [2, 4, 5, 8]);
  assert.equal(state.memberCount, 4);
  assert.equal(state.applyBatch({ room: 'red', joined: [], left: [2], members: 1 }), null, 'another room');
});

test('chat limits count code points and UTF-8 bytes like the server', () => {
  assert.equal(countChars('😀a'), 2);
  const limits = { ...DEFAULT_LIMITS, max_chat_chars: 3, max_chat_bytes: 8 };
  assert.equal(chatLimitProblem('abc', limits), null);
  assert.match(chatLimitProblem('abcd', limits) ?? '', /4 characters; the limit is 3/);
  assert.match(chatLimitProblem('😀😀😀', limits) ?? '', /12 bytes; the limit is 8/);
  assert.ok(isBlank(' \t '));
  assert.ok(!isBlank(' x '));
});

test('the rate limiter allows a burst, then the rate, like the server\'s token bucket', () => {
  // 1 line per second in bursts of 2: the strict server of the end-to-end tests.
  const bucket = new RateLimiter(1, 2, 0);
  assert.equal(bucket.msUntilToken(0), 0);
  assert.ok(bucket.tryTake(0));
  assert.ok(bucket.tryTake(0));
  assert.ok(!bucket.tryTake(0), 'the third line at once is over the burst');
  assert.equal(bucket.msUntilToken(0), 1000);
  // Tokens trickle in continuously; a refused try takes none of them.
  assert.ok(!bucket.tryTake(500));
  assert.equal(bucket.msUntilToken(500), 500);
  assert.ok(bucket.tryTake(1000));
  assert.ok(!bucket.tryTake(1000));
  // Idle time refills up to the burst and no further.
  assert.ok(bucket.tryTake(60_000));
  assert.ok(bucket.tryTake(60_000));
  assert.ok(!bucket.tryTake(60_000));
});

test('the rate limiter\'s edges: no limit, burst 0, fractional rates, new limits, reset', () => {
  const unlimited = new RateLimiter(0, 10, 0);
  for (let i = 0; i < 1000; i += 1) assert.ok(unlimited.tryTake(0));
  assert.equal(unlimited.msUntilToken(0), 0);

  // The server counts a burst of 0 as 1.
  const single = new RateLimiter(2, 0, 0);
  assert.ok(single.tryTake(0));
  assert.ok(!single.tryTake(0));
  assert.equal(single.msUntilToken(0), 500);
  assert.ok(single.tryTake(500));

  // One line every four seconds.
  const slow = new RateLimiter(0.25, 1, 0);
  assert.ok(slow.tryTake(0));
  assert.equal(slow.msUntilToken(1000), 3000);
  assert.ok(slow.tryTake(4000));

  // What was spent under the defaults stays spent under the server's limits, as it does on the
  // server: a page that joined (2 messages) before learning of a burst of 2 has none left.
  const late = new RateLimiter(5, 10, 0);
  assert.ok(late.tryTake(0) && late.tryTake(0));
  late.configure(1, 2, 0);
  assert.ok(!late.tryTake(0));
  assert.equal(late.msUntilToken(0), 1000);
  late.configure(1, 4, 0);
  assert.ok(late.tryTake(0) && late.tryTake(0) && !late.tryTake(0), 'a larger burst gives what it adds');

  // New limits keep what is saved up, capped at the new burst; lifting the limit frees at once.
  const bucket = new RateLimiter(1, 10, 0);
  bucket.configure(1, 3, 0);
  assert.ok(bucket.tryTake(0) && bucket.tryTake(0) && bucket.tryTake(0));
  assert.ok(!bucket.tryTake(0));
  bucket.configure(0, 3, 0);
  assert.ok(bucket.tryTake(0));
  bucket.configure(1, 3, 0);
  assert.ok(!bucket.tryTake(0), 'back under a limit, the emptied bucket is still empty');
  // A new connection starts full, as on the server.
  bucket.reset(5);
  assert.ok(bucket.tryTake(5) && bucket.tryTake(5) && bucket.tryTake(5));
  assert.ok(!bucket.tryTake(5));
  // A clock that goes backwards (it should not) neither refills nor breaks the bucket.
  assert.ok(!bucket.tryTake(1));
  assert.equal(bucket.msUntilToken(1), 1000);
});

test('the slow-down hint names the server\'s rate', () => {
  assert.equal(slowDownHint(1), 'Slow down: 1 line per second');
  assert.equal(slowDownHint(5), 'Slow down: 5 lines per second');
  assert.equal(slowDownHint(2.5), 'Slow down: 2.5 lines per second');
  assert.equal(slowDownHint(0.25), 'Slow down: 1 line every 4 seconds');
  assert.equal(slowDownHint(1 / 3), 'Slow down: 1 line every 3 seconds');
});

test('status numbers read well', () => {
  assert.equal(formatUptime(42), '42s');
  assert.equal(formatUptime(303), '5m 03s');
  assert.equal(formatUptime(7500), '2h 05m');
  assert.equal(formatUptime(3 * 86400 + 4 * 3600 + 5), '3d 4h');
  assert.equal(formatRate(0.25), '0.3');
  assert.equal(formatRate(Number.NaN), '–');
});

test('the status panel lists a cluster\'s servers with their clients', () => {
  const base = { clients: 1, messages_per_second: 0, deliveries_per_second: 0, uptime_seconds: 1,
    connections_total: 1, messages_total: 0, limits: DEFAULT_LIMITS };
  assert.equal(describeCluster(base), null);
  const cluster = describeCluster({
    ...base,
    cluster: {
      broker_connected: true,
      clients: 3,
      servers: [
        { id: 7, address: '10.0.0.1:8080', clients: 1, this: true },
        { id: 9, address: null, clients: 2, this: false },
        { id: 12, this: false },
      ],
    },
  });
  assert.deepEqual(cluster, {
    summary: '3 servers, 3 clients',
    servers: [
      'Server 7 at 10.0.0.1:8080 (this one): 1 client',
      'Server 9: 2 clients',
      'Server 12: clients unknown',
    ],
  });
  const away = describeCluster({ ...base, cluster: { broker_connected: false, clients: 1, servers: [{ id: 7, clients: 1, this: true }] } });
  assert.equal(away?.summary, '1 server, 1 client (broker unreachable: rooms are local for now)');
});

/** @param {string} text */
const fromHex = (text) => Uint8Array.from(Buffer.from(text, 'hex'));

test('room requests encode with the contract\'s field numbers', () => {
  // Field 100 (JoinRoomMessage), length-delimited: tag 802 = a2 06. An empty room name is
  // proto3's default, so the lobby is an empty message.
  assert.equal(hex(encodeJoinRoom('')), 'a20600');
  assert.equal(hex(encodeJoinRoom('red')), 'a206050a03726564');
  // Field 103 (RoomListRequestMessage): tag 826 = ba 06.
  assert.equal(hex(encodeRoomListRequest()), 'ba0600');
});

test('room answers decode from bytes built by hand from the contract', () => {
  // Packet{sender_id:5, room(101){room:"r", members[{id:5}], history[{sender_id:5, msg:"x",
  // sent_at_ms:1700000000000, sender_name:"ann"}]}}
  assert.deepEqual(decodeEvent(fromHex('0805aa061a0a0172120208051a1108051201781880d095ffbc312203616e6e')), {
    kind: 'room',
    room: 'r',
    members: [{ id: 5, name: '' }],
    memberCount: 0,
    partial: false,
    history: [{ from: 5, name: 'ann', text: 'x', sentAtMs: 1_700_000_000_000 }],
  });
  // Packet{sender_id:7, presence(102){joined:true, room:"lobby"}}
  assert.deepEqual(decodeEvent(fromHex('0807b20609080112056c6f626279')), {
    kind: 'presence',
    who: 7,
    joined: true,
    room: 'lobby',
    name: '',
  });
  // Packet{room_list(104){rooms[{name:"lobby", members:3}, {name:"red", members:1}]}}
  assert.deepEqual(decodeEvent(fromHex('c206140a090a056c6f62627910030a070a037265641001')), {
    kind: 'rooms',
    rooms: [
      { name: 'lobby', members: 3 },
      { name: 'red', members: 1 },
    ],
  });
});

test('room answers round-trip through the generated code, empty parts included', () => {
  const encode = (/** @type {object} */ p) => Packet.encode(Packet.create(p)).finish();
  assert.deepEqual(decodeEvent(encode({ room: { room: 'lobby' } })), { kind: 'room', room: 'lobby', members: [], memberCount: 0, partial: false, history: [] });
  assert.deepEqual(decodeEvent(encode({ senderId: 2 ** 53 - 1, presence: { joined: false, room: 'red', name: 'ann' } })), {
    kind: 'presence',
    who: 2 ** 53 - 1,
    joined: false,
    room: 'red',
    name: 'ann',
  });
  assert.deepEqual(decodeEvent(encode({ roomList: {} })), { kind: 'rooms', rooms: [] });
  const line = decodeEvent(encode({ room: { room: 'r', history: [{ senderId: 1, msg: 'ü', sentAtMs: Date.UTC(2030, 0, 1) }] } }));
  assert.deepEqual(line, { kind: 'room', room: 'r', members: [], memberCount: 0, partial: false, history: [{ from: 1, name: '', text: 'ü', sentAtMs: Date.UTC(2030, 0, 1) }] });
});

test('room names follow the server\'s rule and its wording', () => {
  const max = DEFAULT_LIMITS.max_room_name_chars;
  for (const good of ['', LOBBY, 'red-team_2.0', 'Lobby', '日本語', 'x'.repeat(max), 'комната', '٣', '½']) {
    assert.equal(roomNameProblem(good, max), null, good);
  }
  for (const bad of ['with space', 'tab\t', 'a/b', 'x'.repeat(max + 1), '\u202ex', '<b>', '😀', 'a!', ' ']) {
    assert.notEqual(roomNameProblem(bad, max), null, JSON.stringify(bad));
  }
  // Characters are code points, as on the server.
  assert.equal(roomNameProblem('日本語', 3), null);
  assert.notEqual(roomNameProblem('日本語x', 3), null);
  assert.equal(roomNameProblem('a b', 32), 'room name "a b" is not allowed: use 1 to 32 letters, digits, \'-\', \'_\' or \'.\'');
  assert.match(roomNameProblem('abcdef', 4) ?? '', /use 1 to 4 letters/);
});

test('room state follows RoomMessage and presence', () => {
  const state = new RoomState();
  assert.equal(state.room, '');
  // Presence before any room (or about another room) changes nothing.
  assert.equal(state.applyPresence({ who: 4, joined: true, room: 'lobby', name: '' }), null);
  assert.equal(state.members.size, 0);

  state.enter({ room: 'lobby', members: [{ id: 3, name: '' }, { id: 7, name: 'ann' }] });
  assert.equal(state.room, 'lobby');
  assert.deepEqual(state.memberList(3), [
    { id: 3, label: 'Client 3', you: true },
    { id: 7, label: 'ann', you: false },
  ]);
  assert.equal(state.nameOf(7), 'ann');
  assert.equal(state.nameOf(99), 'Client 99', 'a sender not in the list is shown by ID');

  assert.deepEqual(state.applyPresence({ who: 9, joined: true, room: 'lobby', name: '' }), { kind: 'joined' });
  assert.equal(state.applyPresence({ who: 3, joined: false, room: 'red', name: '' }), null, 'another room');
  assert.deepEqual([...state.members.keys()], [3, 7, 9], 'in the order they joined');
  // A member already listed that shows up again with a name has logged in: a rename, in place.
  assert.deepEqual(state.applyPresence({ who: 9, joined: true, room: 'lobby', name: 'bo' }), { kind: 'renamed', from: 'Client 9' });
  assert.deepEqual(state.applyPresence({ who: 7, joined: true, room: 'lobby', name: 'ann2' }), { kind: 'renamed', from: 'ann' });
  assert.deepEqual(state.memberList(0).map((m) => m.label), ['Client 3', 'ann2', 'bo']);
  assert.equal(state.nameOf(9), 'bo', 'live lines from it carry the new name');
  assert.equal(state.applyPresence({ who: 7, joined: true, room: 'lobby', name: 'ann2' }), null, 'the same name again is nothing new');
  assert.equal(state.members.size, 3, 'never a second member');
  state.applyPresence({ who: 9, joined: true, room: 'lobby', name: '' });
  assert.deepEqual(state.applyPresence({ who: 7, joined: false, room: 'lobby', name: 'ann2' }), { kind: 'left' });
  assert.deepEqual(state.applyPresence({ who: 42, joined: false, room: 'lobby', name: '' }), { kind: 'left' }, 'unknown IDs are said to leave too');
  assert.deepEqual([...state.members.keys()], [3, 9]);

  // A new RoomMessage replaces everything.
  state.enter({ room: 'red', members: [{ id: 3, name: '' }] });
  assert.deepEqual([...state.members.keys()], [3]);
  assert.equal(state.applyPresence({ who: 9, joined: false, room: 'lobby', name: '' }), null, 'the old room is gone');
  state.clear();
  assert.equal(state.room, '');
  assert.equal(state.members.size, 0);
  assert.equal(displayName(5, ''), 'Client 5');
  assert.equal(displayName(5, 'bob'), 'bob');
});

test('typed lines are chat or one of /join, /rooms, /who', () => {
  assert.deepEqual(parseTypedLine('hello'), { kind: 'chat', text: 'hello' });
  assert.deepEqual(parseTypedLine('  spaced  '), { kind: 'chat', text: '  spaced  ' }, 'chat is sent as typed');
  assert.deepEqual(parseTypedLine('a /join b'), { kind: 'chat', text: 'a /join b' });
  assert.deepEqual(parseTypedLine('/join red'), { kind: 'join', room: 'red' });
  assert.deepEqual(parseTypedLine('  /join   red  '), { kind: 'join', room: 'red' });
  assert.deepEqual(parseTypedLine('/JOIN red'), { kind: 'join', room: 'red' });
  assert.deepEqual(parseTypedLine('/join'), { kind: 'join', room: '' }, 'no name: the lobby');
  assert.deepEqual(parseTypedLine('/join bad!name'), { kind: 'join', room: 'bad!name' }, 'the name is checked later');
  assert.deepEqual(parseTypedLine('/rooms'), { kind: 'rooms' });
  assert.deepEqual(parseTypedLine('/who'), { kind: 'who' });
  for (const invalid of ['/join a b', '/rooms now', '/who?', '/', '/help', '/shrug']) {
    assert.deepEqual(parseTypedLine(invalid), { kind: 'invalid' }, invalid);
  }
  // `//` sends a line that starts with a slash.
  assert.deepEqual(parseTypedLine('//shrug'), { kind: 'chat', text: '/shrug' });
  assert.deepEqual(parseTypedLine('//join red'), { kind: 'chat', text: '/join red' });
  assert.match(COMMAND_USAGE, /\/join NAME.*\/rooms.*\/who/);
});

test('room lists and history times read well', () => {
  assert.equal(describeRoomList([]), 'No rooms');
  assert.equal(
    describeRoomList([
      { name: 'lobby', members: 3 },
      { name: 'red', members: 1 },
    ]),
    'Rooms: lobby (3), red (1)',
  );
  // Local time: the same day shows the clock only, another day the date too.
  const sent = new Date(2024, 2, 9, 14, 5, 59).getTime();
  assert.equal(formatSentAt(sent, new Date(2024, 2, 9, 23, 59).getTime()), '14:05');
  assert.equal(formatSentAt(sent, new Date(2024, 2, 10, 0, 1).getTime()), '2024-03-09 14:05');
  assert.equal(formatSentAt(new Date(2024, 0, 2, 3, 4).getTime(), new Date(2025, 0, 2, 3, 4).getTime()), '2024-01-02 03:04');
});

test('the lobby is always in the room list, first when the server left it out', () => {
  const rooms = [{ name: 'red', members: 1 }];
  assert.deepEqual(withLobby(rooms), [
    { name: 'lobby', members: 0 },
    { name: 'red', members: 1 },
  ]);
  const listed = [
    { name: 'red', members: 1 },
    { name: 'lobby', members: 2 },
  ];
  assert.equal(withLobby(listed), listed, 'a list with the lobby is shown as the server sent it');
  assert.deepEqual(withLobby([]), [{ name: LOBBY, members: 0 }]);
});

test('login and registration encode with the tutorial\'s field numbers; OK decodes', () => {
  // Field 4 (tag 0x22), LoginRequestMessage{username=1 "al", password=2 "pw"}.
  assert.equal(hex(encodeLogin('al', 'pw')), '2208' + '0a02616c' + '12027077');
  // Field 5 (tag 0x2a), RegisterRequestMessage{username=1, password=2, color=3 (varint)}.
  assert.equal(hex(encodeRegister('al', 'pw', 5)), '2a0a' + '0a02616c' + '12027077' + '1805');
  // A negative int32 colour is ten varint bytes, as protobuf writes it.
  const decoded = Packet.decode(encodeRegister('al', 'pw', -1));
  assert.equal(decoded.registerRequest?.color, -1);
  // Field 6 (tag 0x32), empty.
  assert.deepEqual(decodeEvent(Uint8Array.from([0x32, 0x00])), { kind: 'ok' });
});

test('what /api/status says about accounts', () => {
  assert.deepEqual(accountsPolicy(null), NO_ACCOUNTS);
  assert.deepEqual(accountsPolicy({}), NO_ACCOUNTS, 'a server from before accounts');
  assert.deepEqual(accountsPolicy({ accounts: { enabled: false, require_login: true, available: true } }), NO_ACCOUNTS);
  assert.deepEqual(accountsPolicy({ accounts: { enabled: true, require_login: false, available: true } }), {
    enabled: true,
    requireLogin: false,
    available: true,
  });
  assert.deepEqual(accountsPolicy({ accounts: { enabled: true, require_login: true, available: false } }), {
    enabled: true,
    requireLogin: true,
    available: false,
  });
});

test('credentials are checked against the server\'s limits when it reports them', () => {
  assert.equal(credentialsProblem('', 'pw', {}), 'Type a username');
  assert.equal(credentialsProblem('al', '', {}), 'Type a password');
  assert.equal(credentialsProblem('al', 'x', {}), null, 'no limits reported: the server judges');
  const limits = { max_username_chars: 3, min_password_chars: 4, max_password_chars: 6 };
  assert.equal(credentialsProblem('abcd', 'secret', limits), 'Usernames have at most 3 characters');
  assert.equal(credentialsProblem('日本語', 'secret', limits), null, 'characters are code points');
  assert.equal(credentialsProblem('al', 'abc', limits), 'Passwords have at least 4 characters');
  assert.equal(credentialsProblem('al', 'abcdefg', limits), 'Passwords have at most 6 characters');
  assert.ok(isLoggedInElsewhere('logged in elsewhere'));
  assert.ok(isLoggedInElsewhere('Logged in elsewhere (another tab)'));
  assert.ok(!isLoggedInElsewhere('server shutting down'));
  for (const r of [0, 0.3, 0.99]) {
    const color = randomColor(() => r);
    assert.equal(color & 0xff, 0xff, 'opaque');
    assert.ok(color >= -(2 ** 31) && color < 2 ** 31, 'an int32');
  }
});

const ACCOUNTS = { enabled: true, requireLogin: false, available: true };

test('login flow: no accounts on the server means straight to chat', () => {
  const flow = new LoginFlow();
  assert.equal(flow.state, 'connecting');
  assert.equal(flow.showsLogin, false);
  assert.deepEqual(flow.connected(), { enterChat: true });
  assert.equal(flow.state, 'chatting');
  assert.equal(flow.name, '');
});

test('login flow: connecting, then the login screen, then a login answered OK', () => {
  const flow = new LoginFlow();
  flow.setPolicy(ACCOUNTS);
  assert.equal(flow.showsLogin, true, 'shown while connecting');
  assert.deepEqual(flow.login('al', 'pw'), { problem: 'Not connected yet' });
  assert.equal(flow.connected(), null);
  assert.equal(flow.state, 'choosing');
  assert.deepEqual(flow.login('  al ', ''), { problem: 'Type a password' });
  assert.equal(flow.error, 'Type a password');
  assert.deepEqual(flow.login('  al ', 'pw'), { send: 'login', username: 'al', password: 'pw' }, 'the name trimmed');
  assert.equal(flow.state, 'logging-in');
  assert.equal(flow.error, '');
  assert.deepEqual(flow.login('al', 'pw'), { problem: 'Wait for the answer' }, 'one request at a time');
  assert.deepEqual(flow.accepted(), { enterChat: true });
  assert.equal(flow.state, 'chatting');
  assert.equal(flow.name, 'al');
  assert.equal(flow.showsLogin, false);
  // Later answers and refusals are the chat's, not the flow's.
  assert.equal(flow.accepted(), undefined);
  assert.equal(flow.refused('rate limit'), false);
});

test('login flow: a wrong password shows the reason and waits for another try', () => {
  const flow = new LoginFlow();
  flow.setPolicy(ACCOUNTS);
  flow.connected();
  flow.login('al', 'wrong');
  assert.equal(flow.refused('wrong username or password'), true);
  assert.equal(flow.state, 'choosing');
  assert.equal(flow.error, 'wrong username or password');
  assert.equal(flow.showsLogin, true);
  assert.deepEqual(flow.login('al', 'right'), { send: 'login', username: 'al', password: 'right' });
  assert.equal(flow.error, '', 'a new try clears the old reason');
});

test('login flow: registering, then logging in with the same credentials', () => {
  const flow = new LoginFlow();
  flow.setPolicy(ACCOUNTS);
  flow.connected();
  assert.deepEqual(flow.register('al', 'pw'), { send: 'register', username: 'al', password: 'pw' });
  assert.equal(flow.state, 'registering');
  assert.deepEqual(flow.accepted(), { send: 'login', username: 'al', password: 'pw' }, 'registering does not log in');
  assert.equal(flow.state, 'logging-in');
  assert.match(flow.notice, /^Account al created/);
  assert.equal(flow.showsLogin, true);
  assert.deepEqual(flow.accepted(), { enterChat: true });
  assert.equal(flow.name, 'al');

  // A name that is taken: the reason, and the screen again.
  const taken = new LoginFlow();
  taken.setPolicy(ACCOUNTS);
  taken.connected();
  taken.register('al', 'pw');
  assert.equal(taken.refused('username "al" is taken'), true);
  assert.equal(taken.state, 'choosing');
  assert.equal(taken.error, 'username "al" is taken');
});

test('login flow: guests only where the server allows them', () => {
  const flow = new LoginFlow();
  flow.setPolicy(ACCOUNTS);
  flow.connected();
  assert.equal(flow.guestsAllowed, true);
  assert.deepEqual(flow.playAsGuest(), { enterChat: true });
  assert.equal(flow.state, 'chatting');
  assert.equal(flow.name, '');

  const strict = new LoginFlow();
  strict.setPolicy({ ...ACCOUNTS, requireLogin: true });
  strict.connected();
  assert.equal(strict.guestsAllowed, false);
  assert.deepEqual(strict.playAsGuest(), { problem: 'This server needs you to log in' });
  assert.equal(strict.state, 'choosing');
});

test('login flow: a reconnect gets back in the same way, without the login screen', () => {
  const flow = new LoginFlow();
  flow.setPolicy(ACCOUNTS);
  flow.connected();
  flow.login('al', 'pw');
  flow.accepted();
  flow.closed();
  assert.equal(flow.state, 'connecting');
  assert.equal(flow.showsLogin, false, 'the chat stays, with the reconnect bar');
  assert.deepEqual(flow.connected(), { send: 'login', username: 'al', password: 'pw' });
  assert.equal(flow.showsLogin, false);
  assert.deepEqual(flow.accepted(), { enterChat: true });

  // The password was changed meanwhile: the login screen, with the reason, and no more tries.
  flow.closed();
  flow.connected();
  assert.equal(flow.refused('wrong username or password'), true);
  assert.equal(flow.showsLogin, true);
  flow.closed();
  assert.equal(flow.connected(), null, 'nothing is sent by itself again');

  // A guest comes back as a guest.
  const guest = new LoginFlow();
  guest.setPolicy(ACCOUNTS);
  guest.connected();
  guest.playAsGuest();
  guest.closed();
  assert.equal(guest.showsLogin, false);
  assert.deepEqual(guest.connected(), { enterChat: true });
});

test('login flow: logged in elsewhere stops, forgets the password and shows why', () => {
  const flow = new LoginFlow();
  flow.setPolicy(ACCOUNTS);
  flow.connected();
  flow.login('al', 'pw');
  flow.accepted();
  flow.closed('logged in elsewhere');
  assert.equal(flow.state, 'stopped');
  assert.equal(flow.showsLogin, true);
  assert.equal(flow.error, 'logged in elsewhere');
  assert.deepEqual(flow.login('al', 'pw'), { problem: 'Not connected yet' });
  // A later close (the reconnect attempt failing) keeps it stopped until the player acts.
  flow.closed();
  assert.equal(flow.state, 'stopped');
  flow.reconnecting();
  assert.equal(flow.connected(), null, 'the login screen, not an automatic login');
  assert.equal(flow.state, 'choosing');
});
