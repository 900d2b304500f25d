// End-to-end tests of the web client in headless Chromium against the real mmo server binary:
// pages chatting with each other and with a non-browser client, the server's limits and
// refusals, the status panel, losing and regaining the server, and the phone-sized layout.
// Screenshots go to web/test-results/ for a person to look at.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, logLines, openChat, say, waitForId, waitForLine } from './support/browser.mjs';
import { CliChat, NodeChatClient, findCli } from './support/clients.mjs';
import { ServerProcess, freePort, resultsDir, serverBinary, waitUntil, webDir } from './support/server.mjs';

const distDir = join(webDir, 'dist');

/**
 * Every file under `dir`, as paths relative to it with `/` separators.
 * @param {string} dir
 * @returns {string[]}
 */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)).split('\\').join('/'));
}

const CORNFLOWER_BLUE = 'rgb(100, 149, 237)';

/** @type {string} */
let binary;
/** @type {ServerProcess} */
let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */
let browser;
/**
 * The CLI binary, or why it did not build (its test then fails).
 * @type {string | Error}
 */
let cli;

/** @param {string} name */
const shot = (name) => join(resultsDir, name);

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  // Builds happen here, outside every test's timeout: on a fresh machine they take minutes.
  binary = serverBinary();
  try {
    cli = findCli();
  } catch (error) {
    cli = /** @type {Error} */ (error);
  }
  server = new ServerProcess(binary, await freePort(), ['--announce-leaves']);
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('chat between browsers and a non-browser client', { timeout: 60_000 }, () => {
  test('two pages and a Node client see each other\'s lines', async () => {
    const a = await openChat(browser.context, `${server.httpUrl}/`);
    const b = await openChat(browser.context, `${server.httpUrl}/`);

    // Behaviour 7: the Godot client's three opening lines, in order.
    for (const { page } of [a, b]) {
      await waitForLine(page, 'Connecting to server...');
      await waitForLine(page, 'Connected successfully');
    }
    const idA = await waitForId(a.page);
    const idB = await waitForId(b.page);
    assert.notEqual(idA, idB, 'each page gets its own ID');
    const opening = (await a.page.$$eval('#log .line', (ls) => ls.map((l) => l.textContent))).slice(0, 3);
    assert.deepEqual(opening, ['Connecting to server...', 'Connected successfully', `Received client ID: ${idA}`]);

    const other = await NodeChatClient.connect(server.wsUrl);
    assert.ok(![idA, idB].includes(other.id));

    // A page's line: shown as "You: ..." on that page, "Client N: ..." elsewhere.
    await say(a.page, 'hello from A');
    const mine = await waitForLine(a.page, 'You: hello from A');
    assert.equal(mine.kind, 'chat mine');
    await waitForLine(b.page, `Client ${idA}: hello from A`);
    assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: idA, text: 'hello from A' });

    // The input is cleared and keeps the focus, so the next line can be typed straight away.
    assert.equal(await a.page.inputValue('#message'), '');
    assert.equal(await a.page.evaluate(() => document.activeElement?.id), 'message');

    // The Godot log's look: name in cornflower blue, text in italics.
    // Name and text share one line of the log.
    const style = await b.page.$eval('#log .line.chat', (line) => {
      const name = /** @type {Element} */ (line.querySelector('.name'));
      const text = /** @type {Element} */ (line.querySelector('.text'));
      return {
        name: getComputedStyle(name).color,
        text: getComputedStyle(text).fontStyle,
        sameRow: Math.abs(name.getBoundingClientRect().top - text.getBoundingClientRect().top) < 4,
      };
    });
    assert.deepEqual(style, { name: CORNFLOWER_BLUE, text: 'italic', sameRow: true });

    // The other client's line reaches both pages.
    await other.send('hi from the Node client');
    await waitForLine(a.page, `Client ${other.id}: hi from the Node client`);
    await waitForLine(b.page, `Client ${other.id}: hi from the Node client`);

    // Markup in a line is shown as text and never becomes elements or runs.
    const markup = '<b>bold</b> & <img src=x onerror="window.__pwned = 1">';
    await say(b.page, markup);
    await waitForLine(a.page, `Client ${idB}: ${markup}`);
    assert.equal(await a.page.$$eval('#log b, #log img', (els) => els.length), 0);
    assert.equal(await a.page.evaluate(() => /** @type {any} */ (window).__pwned), undefined);
    assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: idB, text: markup });

    // Blank lines are never sent: the Node client's next line from A is the one after them.
    await say(a.page, '   ');
    await a.page.keyboard.press('Enter');
    await say(a.page, 'after the blanks');
    assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: idA, text: 'after the blanks' });
    assert.equal((await a.page.$$eval('#log .line.mine', (ls) => ls.length)), 2, 'only real lines are shown as sent');

    // The input allows what the server accepts, as /api/status reports it.
    const status = await server.status();
    assert.equal(await a.page.$eval('#message', (i) => /** @type {HTMLInputElement} */ (i).maxLength), status.limits.max_chat_chars);

    // When the other client leaves, the pages say so.
    await other.close();
    await waitForLine(a.page, new RegExp(`^Client ${other.id} left( \\(.*\\))?$`));
    await waitForLine(b.page, new RegExp(`^Client ${other.id} left( \\(.*\\))?$`));

    // Keyboard: Tab leaves the input for the Send button, which shows a focus ring.
    await a.page.focus('#message');
    await a.page.keyboard.press('Tab');
    const ring = await a.page.evaluate(() => {
      const el = /** @type {HTMLElement} */ (document.activeElement);
      return { id: el.id, outline: getComputedStyle(el).outlineStyle };
    });
    assert.deepEqual(ring, { id: 'send', outline: 'solid' });
    await a.page.focus('#message');

    await a.page.screenshot({ path: shot('desktop-chat.png') });
    await b.page.screenshot({ path: shot('desktop-chat-other-page.png') });
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
    await b.page.close();
  });

  test('the Rust CLI (mmo chat --once) and a page talk both ways', async () => {
    if (cli instanceof Error) throw cli;
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/`);
    const pageId = await waitForId(page);
    // The CLI sends its line and then waits for one line from someone else: the page's answer.
    const chat = new CliChat(cli, server.wsUrl, ['hello from the CLI'], 1);
    const line = await waitForLine(page, /^Client (\d+): hello from the CLI$/);
    await say(page, `hello CLI ${line.match[1]}`);
    await chat.finish();
    assert.match(chat.output, new RegExp(`Client ${pageId}: hello CLI ${line.match[1]}`));
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('the server serves web/dist', { timeout: 60_000 }, () => {
  test('every file, byte for byte, with its content type, no-cache and a working ETag', async () => {
    const types = { html: 'text/html', js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
    const files = listFiles(distDir);
    assert.ok(files.includes('index.html') && files.includes('packets.js'));
    for (const file of files) {
      const response = await fetch(`${server.httpUrl}/${file}`);
      assert.equal(response.status, 200, file);
      const body = Buffer.from(await response.arrayBuffer());
      // A mismatch means the binary embeds an older web/dist: rebuild the server.
      assert.ok(body.equals(readFileSync(join(distDir, file))), `${file} differs from web/dist`);
      const ext = /** @type {keyof typeof types} */ (file.split('.').pop());
      const type = String(response.headers.get('content-type'));
      if (types[ext]) assert.ok(type.startsWith(types[ext]), `${file} is served as ${type}`);
      assert.equal(response.headers.get('cache-control'), 'no-cache', file);
      const etag = response.headers.get('etag');
      assert.ok(etag, `${file} has an ETag`);
      const again = await fetch(`${server.httpUrl}/${file}`, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304, `${file} revalidates`);
    }
    const root = await fetch(`${server.httpUrl}/`);
    assert.ok(Buffer.from(await root.arrayBuffer()).equals(readFileSync(join(distDir, 'index.html'))), '/ is index.html');
  });
});

describe('limits and refusals come from the server', { timeout: 60_000 }, () => {
  /** @type {ServerProcess} */
  let strict;
  before(async () => {
    // A server with tiny limits, so they are easy to reach from a test.
    strict = new ServerProcess(binary, await freePort(), ['--max-chat-chars', '12', '--chat-rate', '1', '--chat-burst', '2']);
    await strict.start();
  });
  after(async () => strict?.stop());

  test('the input follows the server\'s length and rate limits, and refused lines are marked', async () => {
    const { page, errors } = await openChat(browser.context, `${strict.httpUrl}/`);
    const pageId = await waitForId(page);
    await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('message')).maxLength === 12, null, {
      timeout: 10_000,
    });
    // Typing past the limit stops at it, and the counter says how much is used.
    await page.locator('#message').pressSequentially('abcdefghijklmnopqrstuvwxyz');
    assert.equal(await page.inputValue('#message'), 'abcdefghijkl');
    assert.equal(await page.textContent('#counter'), '12/12');

    // 1 line per second in bursts of 2: the page sends two lines at once and holds the third
    // back itself, in the input, with a hint, rather than having the server refuse it.
    const other = await NodeChatClient.connect(strict.wsUrl);
    for (const n of [1, 2, 3]) await say(page, `line ${n}`);
    await waitForLine(page, 'You: line 2');
    assert.equal(await page.inputValue('#message'), 'line 3');
    assert.equal(await page.textContent('#composer-hint'), 'Slow down: 1 line per second');
    assert.equal(await page.getAttribute('#send', 'aria-disabled'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'message', 'the input keeps the focus');
    assert.equal((await logLines(page)).filter((l) => l.text === 'You: line 3').length, 0);
    await page.screenshot({ path: shot('desktop-slow-down.png') });
    // Enter while held back sends nothing either.
    await page.keyboard.press('Enter');
    assert.equal(await page.inputValue('#message'), 'line 3');

    // About a second later the hint goes, Send is enabled, and Enter sends the line.
    await page.waitForFunction(() => document.getElementById('composer-hint')?.textContent === '', null, { timeout: 5000 });
    assert.equal(await page.getAttribute('#send', 'aria-disabled'), null);
    await page.keyboard.press('Enter');
    await waitForLine(page, 'You: line 3');
    assert.equal(await page.inputValue('#message'), '');
    // The server relayed all three: none of them was refused.
    for (const n of [1, 2, 3]) assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: pageId, text: `line ${n}` });
    await other.close();
    const refusals = (await logLines(page)).filter((l) => l.text.startsWith('Server refused:')).length;
    assert.equal(refusals, 0, 'the page held back what the server would refuse');
    assert.equal(await page.$$eval('#log .line.undelivered', (ls) => ls.length), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a line the server refuses anyway is shown as not delivered', async () => {
    // This page is told the server has no rate limit, so it sends what the server refuses.
    const { page, errors } = await openChat(browser.context, `${strict.httpUrl}/`, undefined, async (p) => {
      await p.route('**/api/status', async (route) => {
        const response = await route.fetch();
        const json = await response.json();
        json.limits.chat_per_second = 0;
        await route.fulfill({ response, json });
      });
    });
    await waitForId(page);
    await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('message')).maxLength === 12, null, {
      timeout: 10_000,
    });
    // Past the burst of 2 the server refuses with a DenyResponseMessage; its reason is shown,
    // and the refused lines are marked.
    for (const n of [1, 2, 3, 4]) await say(page, `line ${n}`);
    const refused = await waitForLine(page, /^Server refused: .+/, { count: 2 });
    assert.equal(refused.kind, 'error');
    assert.match(refused.text, /rate limit/);
    assert.equal(await page.textContent('#composer-hint'), '', 'the page did not hold anything back');
    const marked = await page.$$eval('#log .line.mine', (ls) =>
      ls.map((l) => ({ text: l.textContent, undelivered: l.classList.contains('undelivered'), title: /** @type {HTMLElement} */ (l).title })),
    );
    assert.deepEqual(
      marked.map((l) => [l.text, l.undelivered]),
      [
        ['You: line 1', false],
        ['You: line 2', false],
        ['You: line 3', true],
        ['You: line 4', true],
      ],
    );
    for (const line of marked.filter((l) => l.undelivered)) assert.match(line.title, /^Not delivered: rate limit/);
    assert.equal(
      await page.$eval('#log .line.undelivered', (l) => getComputedStyle(l, '::after').content),
      '" (not delivered)"',
    );
    await page.screenshot({ path: shot('desktop-refused.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('status panel', { timeout: 60_000 }, () => {
  test('shows clients, message rate and uptime from /api/status', async () => {
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/`);
    await waitForId(page);
    const other = await NodeChatClient.connect(server.wsUrl);
    assert.equal(await page.$eval('#status-panel', (d) => /** @type {HTMLDetailsElement} */ (d).open), true, 'open on desktop');

    // The panel polls every couple of seconds: wait until it shows what the endpoint says.
    await waitUntil(
      async () => (await page.textContent('#stat-clients')) === String((await server.status()).clients),
      10_000,
      'the clients count to match /api/status',
    );
    const clients = Number(await page.textContent('#stat-clients'));
    assert.ok(clients >= 2, `at least this page and the Node client, got ${clients}`);

    // After some chat the rate and total move off zero.
    for (let i = 0; i < 3; i += 1) await other.send(`status test ${i}`);
    await waitUntil(async () => Number(await page.textContent('#stat-messages')) >= 3, 10_000, 'messages total >= 3');
    await waitUntil(async () => Number(await page.textContent('#stat-mps')) > 0, 10_000, 'messages per second > 0');
    assert.match(String(await page.textContent('#stat-uptime')), /^\d+(s|m \d\ds|h \d\dm|d \d+h)$/);
    assert.match(String(await page.textContent('#stat-dps')), /^\d+\.\d$/);
    await page.locator('#status-panel').screenshot({ path: shot('desktop-status-panel.png') });

    // The panel is a <details>: Enter on its summary folds it, from the keyboard alone.
    await page.focus('#status-panel summary');
    await page.keyboard.press('Enter');
    assert.equal(await page.$eval('#status-panel', (d) => /** @type {HTMLDetailsElement} */ (d).open), false);

    await other.close();
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('losing the server', { timeout: 120_000 }, () => {
  /** @type {ServerProcess} */
  let flaky;
  before(async () => {
    flaky = new ServerProcess(binary, await freePort(), ['--shutdown-timeout', '2']);
    await flaky.start();
  });
  after(async () => flaky?.stop('SIGKILL'));

  test('a page says the server went away, counts down, and reconnects when it is back', async () => {
    // The page comes from the long-lived server; ?server= points its socket at the one that dies.
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/?server=${encodeURIComponent(flaky.wsUrl)}`);
    assert.equal(await page.textContent('#server-url'), flaky.wsUrl);
    await waitForId(page);
    assert.equal(await page.isHidden('#reconnect-bar'), true);

    // A crash: the socket drops with no close frame (1006), and the page says so.
    await flaky.stop('SIGKILL');
    await waitForLine(page, /^Connection closed \(code 1006, .+\)$/);
    await waitForLine(page, /^Reconnecting in \d+\.\d s \(attempt 1\)$/);
    await page.locator('#reconnect-bar').waitFor({ state: 'visible', timeout: 5000 });
    assert.match(String(await page.textContent('#reconnect-text')), /Reconnecting in \d+ s|Connecting…/);
    // The first retry may already be under way.
    assert.match(String(await page.textContent('#connection-state')), /^(Disconnected|Connecting)$/);
    // While the server is down the attempts fail and the wait grows (attempt 2 comes next).
    await waitForLine(page, /^Could not connect to server \(code 1006, .+\)$/, { timeout: 10_000 });
    await waitForLine(page, /^Reconnecting in \d+\.\d s \(attempt 2\)$/);
    // A line typed meanwhile is not lost: it stays in the input, and the page says why.
    await say(page, 'typed while away');
    await waitForLine(page, 'Not connected: message not sent');
    assert.equal(await page.inputValue('#message'), 'typed while away');
    await page.screenshot({ path: shot('desktop-disconnected.png') });
    await page.locator('#message').fill('');

    // Back on the same port: the page reconnects by itself and is given an ID by the new server.
    await flaky.start();
    await waitForLine(page, 'Connected successfully', { count: 2, timeout: 20_000 });
    const secondId = await waitForId(page, 2);
    assert.ok(secondId >= 1);
    await page.locator('#reconnect-bar').waitFor({ state: 'hidden', timeout: 5000 });
    assert.equal(await page.textContent('#connection-state'), `Connected as Client ${secondId}`);

    // A polite shutdown: the server's close code and reason are shown.
    await flaky.stop('SIGTERM');
    const closed = await waitForLine(page, /^Connection closed \(code (\d+), (.*)\)$/, { count: 2 });
    assert.notEqual(closed.match[1], '1006', `a graceful shutdown sends a close frame (${closed.text})`);
    await flaky.start();
    await waitForId(page, 3, 30_000);

    // It works again: a line gets through to a new client.
    const other = await NodeChatClient.connect(flaky.wsUrl);
    await say(page, 'back again');
    assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: await waitForId(page, 3), text: 'back again' });
    await other.close();
    await page.screenshot({ path: shot('desktop-reconnected.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('phone-sized window', { timeout: 60_000 }, () => {
  test('one column, no sideways scrolling, input on screen', async () => {
    const phone = { width: 390, height: 844 };
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/`, phone);
    const id = await waitForId(page);
    const other = await NodeChatClient.connect(server.wsUrl);
    await say(page, 'Hello from a phone-sized window, with a long line that has to wrap nicely instead of scrolling sideways');
    await other.send('https://example.invalid/a-very-long-url-without-any-spaces-that-must-still-wrap-inside-the-log');
    await waitForLine(page, new RegExp(`^Client ${other.id}: https://`));

    const layout = await page.evaluate(() => {
      const box = (/** @type {string} */ sel) => /** @type {Element} */ (document.querySelector(sel)).getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        innerHeight: window.innerHeight,
        input: box('#message'),
        log: box('#log'),
        panelOpen: /** @type {HTMLDetailsElement} */ (document.getElementById('status-panel')).open,
      };
    });
    assert.ok(layout.scrollWidth <= layout.innerWidth, `no horizontal scroll (${layout.scrollWidth} > ${layout.innerWidth})`);
    assert.ok(layout.input.left >= 0 && layout.input.right <= layout.innerWidth, 'input fits across');
    assert.ok(layout.input.bottom <= layout.innerHeight, 'input is on screen');
    assert.ok(layout.log.height >= 300, `the log gets most of the height (${layout.log.height}px)`);
    assert.equal(layout.panelOpen, false, 'the status panel starts folded on a phone');
    await page.screenshot({ path: shot('phone-chat.png') });

    await page.click('#status-panel summary');
    await page.waitForFunction(() => document.getElementById('stat-clients')?.textContent !== '–', null, { timeout: 10_000 });
    await page.screenshot({ path: shot('phone-status.png') });
    assert.ok(id > 0);
    await other.close();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
