// Unit tests of the web client's DOM-free modules in plain Node: the backoff schedule, URL
// choice, the generated protobuf code against the protocol's documented bytes, chat limits,
// and the status panel's number formatting.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, describeCloseCode, serverUrlFor, statusUrlFor } from '../dist/connection.js';
import generated from '../dist/packets.js';
import { DEFAULT_LIMITS, chatLimitProblem, countChars, decodeEvent, encodeChat, isBlank } from '../dist/protocol.js';
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

test('status numbers read well', () => {
  assert.equal(formatUptime(42), '42s');
  assert.equal(formatUptime(303), '5m 03s');
  assert.equal(formatUptime(7500), '2h 05m');
  assert.equal(formatUptime(3 * 86400 + 4 * 3600 + 5), '3d 4h');
  assert.equal(formatRate(0.25), '0.3');
  assert.equal(formatRate(Number.NaN), '–');
});
