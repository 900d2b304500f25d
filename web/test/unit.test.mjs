// Unit tests of the web client's DOM-free modules in plain Node: the backoff schedule, URL
// choice, the generated protobuf code against the protocol's documented bytes, chat limits
// (length and rate), and the status panel's number formatting.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, describeCloseCode, serverUrlFor, statusUrlFor } from '../dist/connection.js';
import generated from '../dist/packets.js';
import {
  ChatRateLimiter,
  DEFAULT_LIMITS,
  chatLimitProblem,
  countChars,
  decodeEvent,
  encodeChat,
  isBlank,
  slowDownHint,
} from '../dist/protocol.js';
import { formatRate, formatUptime } from '../dist/status.js';

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
  assert.deepEqual(decodeEvent(encode({ senderId: 9, disconnect: { reason: 'bye' } })), { kind: 'left', who: 9, reason: 'bye' });
  assert.equal(decodeEvent(encode({ senderId: 9 })), null);
  // An unknown field (a future message) is skipped, not an error.
  assert.equal(decodeEvent(Uint8Array.from([0x08, 0x01, 0xa2, 0x06, 0x00])), null);
  assert.throws(() => decodeEvent(Uint8Array.from([0x12, 0x05, 0x0a])));
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
  const bucket = new ChatRateLimiter(1, 2, 0);
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
  const unlimited = new ChatRateLimiter(0, 10, 0);
  for (let i = 0; i < 1000; i += 1) assert.ok(unlimited.tryTake(0));
  assert.equal(unlimited.msUntilToken(0), 0);

  // The server counts a burst of 0 as 1.
  const single = new ChatRateLimiter(2, 0, 0);
  assert.ok(single.tryTake(0));
  assert.ok(!single.tryTake(0));
  assert.equal(single.msUntilToken(0), 500);
  assert.ok(single.tryTake(500));

  // One line every four seconds.
  const slow = new ChatRateLimiter(0.25, 1, 0);
  assert.ok(slow.tryTake(0));
  assert.equal(slow.msUntilToken(1000), 3000);
  assert.ok(slow.tryTake(4000));

  // New limits keep what is saved up, capped at the new burst; lifting the limit frees at once.
  const bucket = new ChatRateLimiter(1, 10, 0);
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
