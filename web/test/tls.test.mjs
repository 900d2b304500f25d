// End-to-end test of the web client over TLS: the real server binary with a self-signed
// certificate made for this test (`--tls-cert`, `--tls-key`), pages loaded from https:// in
// headless Chromium, which then open wss:// to the same port (the scheme of the page they came
// from) and chat with each other and with a Node client that trusts the certificate.
// Chromium is told to accept the certificate (ignoreHTTPSErrors), as no CA signed it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

import { decodeEvent, encodeChat } from '../dist/protocol.js';
import { CHROMIUM, openChat, say, waitForId, waitForLine } from './support/browser.mjs';
import { ServerProcess, cargoBinary, freePort, repoDir, resultsDir, serverBinary } from './support/server.mjs';

// The server's own `/health` checks (in `ServerProcess.start`) go through Node's fetch, which
// must accept the self-signed certificate too; this file runs in a process of its own.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

/** A server process that speaks TLS: its URLs are https:// and wss://. */
class TlsServerProcess extends ServerProcess {
  get httpUrl() {
    return `https://localhost:${this.port}`;
  }

  get wsUrl() {
    return `wss://localhost:${this.port}/ws`;
  }
}

/**
 * Makes a certificate for localhost with the server's example program (rcgen, no openssl).
 * @param {string} folder
 * @returns {{cert: string, key: string}}
 */
function makeCertificate(folder) {
  const example = cargoBinary(join('examples', 'self_signed_certificate'));
  const made = spawnSync(example, [folder], { cwd: repoDir, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making a certificate failed (exit ${made.status}):\n${made.stderr}`);
  return { cert: join(folder, 'cert.pem'), key: join(folder, 'key.pem') };
}

/** @type {{cert: string, key: string}} */
let certificate;
/** @type {TlsServerProcess} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').BrowserContext} */
let context;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  // Builds happen here, outside the test's timeout.
  const binary = serverBinary();
  certificate = makeCertificate(join(resultsDir, 'tls-certificate'));
  server = new TlsServerProcess(binary, await freePort(), ['--tls-cert', certificate.cert, '--tls-key', certificate.key]);
  await server.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

/**
 * A Node WebSocket client that trusts exactly the test's certificate; resolves with it and its
 * ID once the server has sent the ID.
 * @returns {Promise<{socket: WebSocket, id: number, events: any[]}>}
 */
async function nodeClient() {
  const socket = new WebSocket(server.wsUrl, { ca: readFileSync(certificate.cert), rejectUnauthorized: true });
  socket.binaryType = 'nodebuffer';
  /** @type {any[]} */
  const events = [];
  const id = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ID within 10 s')), 10_000);
    socket.on('error', reject);
    socket.on('message', (data) => {
      const event = decodeEvent(new Uint8Array(/** @type {Buffer} */ (data)));
      if (event === null) return;
      if (event.kind === 'id') {
        clearTimeout(timer);
        resolve(event.id);
      } else {
        events.push(event);
      }
    });
  });
  return { socket, id: /** @type {number} */ (id), events };
}

describe('the web client over https:// and wss://', { timeout: 60_000 }, () => {
  test('pages from an https:// URL chat over wss:// on the same port', async () => {
    /** @type {string[]} */
    const opened = [];
    const a = await openChat(context, `${server.httpUrl}/`, undefined, async (page) => {
      page.on('websocket', (socket) => opened.push(socket.url()));
    });
    const b = await openChat(context, `${server.httpUrl}/`);
    assert.equal(await a.page.evaluate(() => location.protocol), 'https:');
    const idA = await waitForId(a.page);
    const idB = await waitForId(b.page);
    assert.notEqual(idA, idB);
    // The page chose wss: because it came from https:, to the host it came from.
    assert.deepEqual(opened, [server.wsUrl]);

    const other = await nodeClient();
    await say(a.page, 'hello over wss');
    await waitForLine(a.page, 'You: hello over wss');
    await waitForLine(b.page, `Client ${idA}: hello over wss`);

    other.socket.send(encodeChat('and hello from Node'));
    await waitForLine(a.page, `Client ${other.id}: and hello from Node`);
    await waitForLine(b.page, `Client ${other.id}: and hello from Node`);

    // /api/status comes over https:// as well, and counts the three clients.
    const status = await a.page.evaluate(async () => (await fetch('/api/status')).json());
    assert.equal(status.clients, 3);

    await a.page.screenshot({ path: join(resultsDir, 'tls-chat.png') });
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    other.socket.close();
    await a.page.close();
    await b.page.close();
  });
});
