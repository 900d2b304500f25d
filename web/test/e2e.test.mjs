// End-to-end tests of the web client in headless Chromium against the real mmo server binary:
// pages chatting with each other and with non-browser clients (Node, the Rust CLI), rooms
// (history on arrival, presence, member lists against the server's, switching by the panel and
// by /join, chat staying in its room, the room list, refused joins), the server's limits and
// refusals, the status panel, losing and regaining the server (back into the same room), and
// the phone-sized layout. Screenshots go to web/test-results/ for a person to look at.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  launchBrowser,
  logLines,
  memberList,
  newestLineInView,
  openChat,
  roomList,
  say,
  waitForId,
  waitForLine,
  waitForMembers,
  waitForNewestLineInView,
  waitForRoom,
} from './support/browser.mjs';
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

/** Room names no earlier test or run has used: rooms outlive a failed test on the shared server. */
let roomsMade = 0;
/** @param {string} stem */
const freshRoom = (stem) => `${stem}-${process.pid}-${(roomsMade += 1)}`;

/**
 * Waits until `target` has no clients: the pages and clients of earlier tests are closed, but
 * the server may still be seeing them out. Tests that compare whole member lists or room
 * counts start from here, so nobody leaves halfway through.
 * @param {ServerProcess} target
 */
const waitForNoClients = (target) => waitUntil(async () => (await target.status()).clients === 0, 10_000, 'no clients left on the server');

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

    // The Godot client's first two opening lines (behaviour 7), then, instead of its
    // "Received client ID: N", who the player is in words a player reads.
    for (const { page } of [a, b]) {
      await waitForLine(page, 'Connecting to server...');
      await waitForLine(page, 'Connected successfully');
    }
    const idA = await waitForId(a.page);
    const idB = await waitForId(b.page);
    assert.notEqual(idA, idB, 'each page gets its own ID');
    const opening = (await a.page.$$eval('#log .line', (ls) => ls.map((l) => l.textContent))).slice(0, 3);
    assert.deepEqual(opening, ['Connecting to server...', 'Connected successfully', `You are Client ${idA}`]);
    assert.equal((await logLines(a.page)).filter((l) => /client ID/i.test(l.text)).length, 0, 'no developer wording');
    // The ID stays at hand, unobtrusively: in the connection pill.
    assert.equal(await a.page.textContent('#connection-state'), `Connected as Client ${idA}`);
    // Then the page joins the lobby and says so.
    await waitForRoom(a.page, 'lobby');
    await waitForLine(a.page, /^In room lobby \(\d+ here\)$/);

    const other = await NodeChatClient.connect(server.wsUrl);
    assert.ok(![idA, idB].includes(other.id));

    // A page's line: shown as "You: ..." on that page, "Client N: ..." elsewhere, each with
    // the time it was sent or arrived, as lines of the history have theirs.
    const sentFrom = Date.now();
    await say(a.page, 'hello from A');
    const mine = await waitForLine(a.page, 'You: hello from A');
    assert.equal(mine.kind, 'chat mine');
    const theirs = await waitForLine(b.page, `Client ${idA}: hello from A`);
    const sentUntil = Date.now();
    for (const line of [mine, theirs]) {
      const stamped = (await logLines(line === mine ? a.page : b.page)).find((l) => l.text === line.text);
      assert.match(String(stamped?.time), /^\d\d:\d\d$/, `${line.text} has a time`);
      const at = Date.parse(String(stamped?.at));
      assert.ok(at >= sentFrom - 1000 && at <= sentUntil + 1000, `${stamped?.at} is when it was sent`);
    }
    assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: idA, text: 'hello from A' });

    // The input is cleared and keeps the focus, so the next line can be typed straight away.
    assert.equal(await a.page.inputValue('#message'), '');
    assert.equal(await a.page.evaluate(() => document.activeElement?.id), 'message');

    // The Godot log's look: name in cornflower blue, text in italics.
    // Name and text share one line of the log.
    const style = await b.page.$eval('#log .line.chat:not(.history)', (line) => {
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
    assert.equal((await a.page.$$eval('#log .line.mine:not(.history)', (ls) => ls.length)), 2, 'only real lines are shown as sent');

    // The input allows what the server accepts, as /api/status reports it.
    const status = await server.status();
    assert.equal(await a.page.$eval('#message', (i) => /** @type {HTMLInputElement} */ (i).maxLength), status.limits.max_chat_chars);

    // When the other client (a part-3 one: it never joined) leaves, the pages say so: the
    // server tells them by presence, as they are room-aware.
    await other.close();
    await waitForLine(a.page, `Client ${other.id} left`);
    await waitForLine(b.page, `Client ${other.id} left`);

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

  test('the Rust CLI (mmo chat --once) and two pages talk, and their member lists match the server\'s', async () => {
    if (cli instanceof Error) throw cli;
    await waitForNoClients(server);
    const a = await openChat(browser.context, `${server.httpUrl}/`);
    const b = await openChat(browser.context, `${server.httpUrl}/`);
    const idA = await waitForId(a.page);
    const idB = await waitForId(b.page);
    await waitForRoom(a.page, 'lobby');
    await waitForRoom(b.page, 'lobby');
    // The server's own view of the lobby, from a room-aware client that is a member too.
    const observer = await NodeChatClient.connect(server.wsUrl, { room: '' });

    // The CLI sends its line and then waits for one line from someone else: a page's answer.
    // Whether the CLI itself is room-aware does not matter here: the pages learn of it by
    // presence either way, and it counts only chat lines.
    const chat = new CliChat(cli, server.wsUrl, ['hello from the CLI'], 1);
    const line = await waitForLine(a.page, /^Client (\d+): hello from the CLI$/);
    const cliId = Number(line.match[1]);
    await waitForLine(b.page, `Client ${cliId}: hello from the CLI`);
    await waitForLine(a.page, `Client ${cliId} joined`);

    // Both pages list exactly the members the server lists, each marking itself as "You".
    const truth = (await observer.join('')).members.map((m) => m.id);
    for (const id of [idA, idB, cliId, observer.id]) assert.ok(truth.includes(id), `the server lists ${id}`);
    for (const [page, me] of [
      [a.page, idA],
      [b.page, idB],
    ]) {
      const shown = await waitForMembers(/** @type {import('playwright-core').Page} */ (page), truth);
      assert.deepEqual(shown.you, [me]);
      assert.ok(shown.labels.includes(`Client ${cliId}`));
      assert.ok(shown.labels.includes(`Client ${me} You`), JSON.stringify(shown.labels));
    }
    const lobby = (await observer.listRooms()).find((r) => r.name === 'lobby');
    assert.equal(lobby?.members, truth.length, 'the room list counts the same members');
    assert.equal(await a.page.textContent('#room-count'), `${truth.length} here`);
    await a.page.locator('.side').screenshot({ path: shot('desktop-members.png') });

    // `/who` writes the same list into the log.
    await say(a.page, '/who');
    const who = await waitForLine(a.page, /^In lobby \(\d+\): /);
    assert.equal(who.text, `In lobby (${truth.length}): ${(await memberList(a.page)).labels.map((l) => l.replace(/ You$/, ' (you)')).join(', ')}`);

    await say(a.page, `hello CLI ${cliId}`);
    await chat.finish();
    assert.match(chat.output, new RegExp(`Client ${idA}: hello CLI ${cliId}`));

    // The CLI is gone: both pages say so and drop it from their lists, which match the server's again.
    await waitForLine(a.page, `Client ${cliId} left`);
    await waitForLine(b.page, `Client ${cliId} left`);
    const after = (await observer.join('')).members.map((m) => m.id);
    assert.ok(!after.includes(cliId));
    await waitForMembers(a.page, after);
    await waitForMembers(b.page, after);

    await observer.close();
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
    await b.page.close();
  });
});

describe('rooms', { timeout: 60_000 }, () => {
  test('a page arriving is shown the room\'s recent lines, with their times, as text', async () => {
    // Lines sent into the lobby before the page exists.
    const early = await NodeChatClient.connect(server.wsUrl, { room: '' });
    const marker = freshRoom('history');
    const lines = [`${marker} one`, `${marker} <i>two</i> & more`, `${marker} three`];
    const before = Date.now();
    for (const text of lines) await early.send(text);
    // Joining the room it is in answers with the room's history; the server handles one
    // client's messages in order, so the answer shows whether the lines are kept.
    const answer = await early.join('');
    assert.deepEqual(
      answer.history.slice(-3).map((l) => [l.from, l.text]),
      lines.map((text) => [early.id, text]),
    );
    const after = Date.now();

    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/`);
    await waitForRoom(page, 'lobby');
    const arrival = await waitForLine(page, /^In room lobby \(\d+ here\)$/);
    assert.equal(arrival.kind, 'success');
    for (const text of lines) await waitForLine(page, `Client ${early.id}: ${text}`);
    const history = (await logLines(page)).filter((l) => l.kind.split(' ').includes('history'));
    const ours = history.slice(-3);
    assert.deepEqual(
      ours.map((l) => l.text),
      lines.map((text) => `Client ${early.id}: ${text}`),
    );
    // The time is when the server took each line.
    for (const line of ours) {
      assert.match(line.time, /^\d\d:\d\d$/);
      const at = Date.parse(line.at);
      assert.ok(at >= before - 1000 && at <= after + 1000, `${line.at} is between the sends`);
    }
    // The history comes after the arrival line; markup in it stayed text.
    const texts = (await logLines(page)).map((l) => l.text);
    assert.ok(texts.indexOf(arrival.text) < texts.findIndex((t) => t.endsWith(lines[0])));
    assert.equal(await page.$$eval('#log i', (els) => els.length), 0);

    // A line this page sends is "You" in the history when it comes back to the room.
    const mine = `${marker} from the page`;
    await say(page, mine);
    await waitForLine(page, `You: ${mine}`);
    const away = freshRoom('away');
    await say(page, `/join ${away}`);
    await waitForRoom(page, away);
    await say(page, '/join');
    await waitForLine(page, /^In room lobby \(\d+ here\)$/, { count: 2 });
    const back = await waitForLine(page, `You: ${mine}`, { count: 2 });
    assert.equal(back.kind, 'chat mine history');
    await page.screenshot({ path: shot('desktop-history.png') });

    await early.close();
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('pages see others join and leave, in the log and the member list', async () => {
    await waitForNoClients(server);
    const a = await openChat(browser.context, `${server.httpUrl}/`);
    const idA = await waitForId(a.page);
    await waitForRoom(a.page, 'lobby');
    assert.ok((await memberList(a.page)).ids.includes(idA));

    const b = await openChat(browser.context, `${server.httpUrl}/`);
    const idB = await waitForId(b.page);
    await waitForLine(a.page, `Client ${idB} joined`);
    await a.page.waitForFunction((id) => !!document.querySelector(`#members li[data-id="${id}"]`), idB, { timeout: 5000 });
    const listed = await memberList(a.page);
    assert.deepEqual(listed.you, [idA]);
    await waitForRoom(b.page, 'lobby');
    assert.ok((await memberList(b.page)).ids.includes(idA), 'the newcomer lists who was there');
    // A page is not told about its own arrival.
    assert.equal((await logLines(b.page)).filter((l) => l.text === `Client ${idB} joined`).length, 0);

    await b.page.close();
    const left = await waitForLine(a.page, `Client ${idB} left`);
    assert.equal(left.kind, 'info');
    await a.page.waitForFunction((id) => !document.querySelector(`#members li[data-id="${id}"]`), idB, { timeout: 5000 });
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
  });

  test('switching rooms by the panel and by /join; chat stays in its room; the room list counts', async () => {
    await waitForNoClients(server);
    const red = freshRoom('red');
    const green = freshRoom('green');
    const a = await openChat(browser.context, `${server.httpUrl}/`);
    const b = await openChat(browser.context, `${server.httpUrl}/`);
    const idA = await waitForId(a.page);
    const idB = await waitForId(b.page);
    await waitForRoom(a.page, 'lobby');
    await waitForRoom(b.page, 'lobby');
    // Someone who stays in the lobby, room-aware, so it is told of every move.
    const lobby = await NodeChatClient.connect(server.wsUrl, { room: '' });

    // A types a room name into the panel and presses Enter (the form's submit).
    await a.page.locator('#room-input').fill(red);
    await a.page.locator('#room-input').press('Enter');
    await waitForRoom(a.page, red);
    assert.equal(await a.page.textContent('#room-count'), '1 here');
    assert.deepEqual(await memberList(a.page), { ids: [idA], you: [idA], labels: [`Client ${idA} You`] });
    assert.equal(await a.page.inputValue('#room-input'), '');
    assert.equal(await a.page.title(), `${red} · mmo chat`);
    await waitForLine(b.page, `Client ${idA} left`);
    assert.deepEqual(await lobby.next((e) => e.kind === 'presence' && e.who === idA), {
      kind: 'presence',
      who: idA,
      joined: false,
      room: 'lobby',
      name: '',
    });
    // A's room list was refreshed by the move: its new room, marked, with A in it.
    await a.page.waitForFunction((red) => !!document.querySelector(`#rooms button[data-room="${red}"][aria-current="true"]`), red, { timeout: 5000 });

    // B, by keyboard, refreshes its list, finds the room there, and picks it.
    await b.page.focus('#rooms-refresh');
    await b.page.keyboard.press('Enter');
    await b.page.waitForFunction((red) => !!document.querySelector(`#rooms button[data-room="${red}"]`), red, { timeout: 5000 });
    assert.deepEqual((await roomList(b.page)).find((r) => r.name === red), { name: red, members: '1', current: false });
    await b.page.focus(`#rooms button[data-room="${red}"]`);
    await b.page.keyboard.press('Enter');
    await waitForRoom(b.page, red);
    await waitForLine(a.page, `Client ${idB} joined`);
    await waitForMembers(a.page, [idA, idB]);
    assert.deepEqual((await waitForMembers(b.page, [idA, idB])).you, [idB]);

    // B's list, refreshed by its move, matches the server's, counts included.
    const serverList = await lobby.listRooms();
    assert.deepEqual(serverList.find((r) => r.name === red), { name: red, members: 2 });
    await b.page.waitForFunction((red) => document.querySelector(`#rooms button[data-room="${red}"] .room-members`)?.textContent === '2', red, {
      timeout: 5000,
    });
    const shown = await roomList(b.page);
    assert.deepEqual(
      shown.map((r) => [r.name, Number(r.members)]),
      serverList.map((r) => [r.name, r.members]),
      'the list shows the server\'s rooms, in its order, with its counts',
    );
    assert.deepEqual(shown.filter((r) => r.current).map((r) => r.name), [red]);
    // The list was redrawn twice under B's focus; the focus stayed on the room B picked.
    assert.equal(await b.page.evaluate(() => /** @type {HTMLElement} */ (document.activeElement).dataset.room), red);
    await b.page.locator('.side').screenshot({ path: shot('desktop-room-list.png') });

    // Chat in red reaches red only. A then goes back to the lobby with /join: the lobby client
    // is told of it after anything A said before (one sender's packets stay in order), so by
    // the time it hears A join, a line from red would already have reached it.
    await say(a.page, 'only for red');
    await waitForLine(b.page, `Client ${idA}: only for red`);
    await say(a.page, '/join lobby');
    await waitForRoom(a.page, 'lobby');
    await lobby.next((e) => e.kind === 'presence' && e.who === idA && e.joined);
    assert.deepEqual(lobby.events.filter((e) => e.kind === 'chat' && e.text === 'only for red'), []);
    await waitForLine(b.page, `Client ${idA} left`);
    await waitForMembers(b.page, [idB]);
    // And a lobby line now reaches A and not B.
    await lobby.send('lobby only');
    await waitForLine(a.page, `Client ${lobby.id}: lobby only`);

    // B moves on with /join; red is empty and gone from the server's list.
    await say(b.page, `/join ${green}`);
    await waitForRoom(b.page, green);
    assert.equal(await b.page.inputValue('#message'), '');
    assert.deepEqual(await memberList(b.page), { ids: [idB], you: [idB], labels: [`Client ${idB} You`] });
    assert.equal((await logLines(b.page)).filter((l) => l.text.endsWith('lobby only')).length, 0);
    const later = await lobby.listRooms();
    assert.equal(later.find((r) => r.name === red), undefined, 'an empty room is removed');
    assert.deepEqual(later.find((r) => r.name === green), { name: green, members: 1 });

    // `/rooms` writes the list into the log too.
    await say(b.page, '/rooms');
    const listed = await waitForLine(b.page, /^Rooms: /);
    assert.ok(listed.text.includes(`${green} (1)`), listed.text);
    await b.page.screenshot({ path: shot('desktop-rooms.png') });

    await lobby.close();
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
    await b.page.close();
  });

  test('the lobby stays in the room list when nobody is in it, as the way back', async () => {
    await waitForNoClients(server);
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/`);
    const id = await waitForId(page);
    await waitForRoom(page, 'lobby');
    const nook = freshRoom('nook');
    await say(page, `/join ${nook}`);
    await waitForRoom(page, nook);
    // The server lists rooms with members only: here, just the page's.
    const observer = await NodeChatClient.connect(server.wsUrl, { room: nook });
    assert.deepEqual(await observer.listRooms(), [{ name: nook, members: 2 }]);
    await observer.close();
    await waitForMembers(page, [id]);
    // The page's list offers the lobby all the same.
    await page.click('#rooms-refresh');
    await page.waitForFunction(() => !!document.querySelector('#rooms button[data-room="lobby"]'), null, { timeout: 5000 });
    await page.waitForFunction((nook) => document.querySelector(`#rooms button[data-room="${nook}"] .room-members`)?.textContent === '1', nook, { timeout: 5000 });
    assert.deepEqual(await roomList(page), [
      { name: 'lobby', members: '0', current: false },
      { name: nook, members: '1', current: true },
    ]);
    await page.click('#rooms button[data-room="lobby"]');
    await waitForRoom(page, 'lobby');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('room names the page knows are bad are never sent; a mistyped command is not chat', async () => {
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/`);
    await waitForId(page);
    await waitForRoom(page, 'lobby');

    await say(page, '/join bad!name');
    const problem = await waitForLine(page, /^Room name "bad!name" is not allowed: use 1 to \d+ letters/);
    assert.equal(problem.kind, 'error');
    assert.equal(await page.inputValue('#message'), '/join bad!name', 'kept, to be corrected');

    // The panel's input says what is wrong as it is typed, and its Join does not send.
    await page.locator('#room-input').fill('two words');
    assert.equal(await page.getAttribute('#room-input', 'aria-invalid'), 'true');
    assert.match(String(await page.textContent('#join-hint')), /^Room name "two words" is not allowed/);
    await page.click('#join');
    await page.locator('#room-input').fill('fine');
    assert.equal(await page.getAttribute('#room-input', 'aria-invalid'), 'false');
    assert.equal(await page.textContent('#join-hint'), '');
    await page.locator('#room-input').fill('');

    await page.locator('#message').fill('/jion lobby');
    await page.keyboard.press('Enter');
    await waitForLine(page, /^Commands: \/join NAME/);
    assert.equal(await page.inputValue('#message'), '/jion lobby');

    // Nothing of that reached the server: the answer to the next join comes after any answer to
    // them would have (the server answers in order), and there is no refusal before it.
    await page.locator('#message').fill('/join');
    await page.keyboard.press('Enter');
    await waitForLine(page, /^In room lobby \(\d+ here\)$/, { count: 2 });
    assert.deepEqual((await logLines(page)).filter((l) => l.text.startsWith('Server refused')), []);
    assert.equal(await page.textContent('#room-name'), 'lobby');
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('refused joins', { timeout: 60_000 }, () => {
  /** @type {ServerProcess} */
  let small;
  before(async () => {
    // Short room names and two members per room, so both refusals are easy to reach.
    small = new ServerProcess(binary, await freePort(), ['--max-room-name-chars', '8', '--max-room-members', '2']);
    await small.start();
  });
  after(async () => small?.stop());

  test('a join the server refuses is shown, and the page stays in its room', async () => {
    // This page is told room names may be 32 long, so it sends one the server refuses.
    const { page, errors } = await openChat(browser.context, `${small.httpUrl}/`, undefined, async (p) => {
      await p.route('**/api/status', async (route) => {
        try {
          const response = await route.fetch();
          const json = await response.json();
          json.limits.max_room_name_chars = 32;
          await route.fulfill({ response, json });
        } catch {
          // The page or the server went away mid-request: nothing to answer.
        }
      });
    });
    await waitForId(page);
    await waitForRoom(page, 'lobby');
    await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('room-input')).maxLength === 32, null, {
      timeout: 10_000,
    });
    const status = await small.status();
    assert.equal(status.limits.max_room_name_chars, 8);
    assert.equal(status.limits.max_room_members, 2);

    // A bad name, by the server's rule.
    await page.locator('#room-input').fill('ninechars');
    await page.click('#join');
    const refused = await waitForLine(page, /^Server refused: /);
    assert.equal(refused.kind, 'error');
    assert.equal(refused.text, `Server refused: room name "ninechars" is not allowed: use 1 to 8 letters, digits, '-', '_' or '.'`);
    await waitForLine(page, 'You are still in lobby');
    assert.equal(await page.textContent('#room-name'), 'lobby');
    assert.equal(await page.$$eval('#log .line.undelivered', (ls) => ls.length), 0, 'no chat line is blamed');

    // A full room.
    const first = await NodeChatClient.connect(small.wsUrl, { room: 'duo' });
    const second = await NodeChatClient.connect(small.wsUrl, { room: 'duo' });
    await say(page, '/join duo');
    await waitForLine(page, 'Server refused: room "duo" is full (2 members)');
    await waitForLine(page, 'You are still in lobby', { count: 2 });
    assert.equal(await page.textContent('#room-name'), 'lobby');
    await page.screenshot({ path: shot('desktop-join-refused.png') });

    // Still in the lobby as the server sees it: a lobby line reaches the page.
    const lobbyClient = await NodeChatClient.connect(small.wsUrl);
    await lobbyClient.send('still here?');
    await waitForLine(page, `Client ${lobbyClient.id}: still here?`);
    for (const c of [first, second, lobbyClient]) await c.close();
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
  /** @type {ServerProcess} */
  let stingy;
  before(async () => {
    // Servers with tiny limits, so they are easy to reach from a test. Every message counts
    // against the rate, and a page sends two as it connects (its join and a room list request).
    strict = new ServerProcess(binary, await freePort(), ['--max-chat-chars', '12', '--chat-rate', '1', '--chat-burst', '2']);
    // So slow to refill that its bucket is, to the test, exactly what is left of the burst.
    stingy = new ServerProcess(binary, await freePort(), ['--max-chat-chars', '12', '--chat-rate', '0.01', '--chat-burst', '4']);
    await strict.start();
    await stingy.start();
  });
  after(async () => {
    await strict?.stop();
    await stingy?.stop();
  });

  test('the input follows the server\'s length and rate limits, and refused lines are marked', async () => {
    const { page, errors } = await openChat(browser.context, `${strict.httpUrl}/`);
    const pageId = await waitForId(page);
    await waitForRoom(page, 'lobby');
    await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('message')).maxLength === 12, null, {
      timeout: 10_000,
    });
    // Typing past the limit stops at it, and the counter says how much is used.
    await page.locator('#message').pressSequentially('abcdefghijklmnopqrstuvwxyz');
    assert.equal(await page.inputValue('#message'), 'abcdefghijkl');
    assert.equal(await page.textContent('#counter'), '12/12');

    // 1 message per second in bursts of 2, and the page's join and room list request took
    // some of it: lines typed at once go while the page's copy of the bucket allows, and the
    // next is held back by the page itself, in the input, with a hint, rather than being
    // refused by the server. With a burst of 2, that is the third line at the latest.
    const other = await NodeChatClient.connect(strict.wsUrl);
    const sent = [];
    let held = '';
    for (const n of [1, 2, 3]) {
      await say(page, `line ${n}`);
      if ((await page.inputValue('#message')) !== '') {
        held = `line ${n}`;
        break;
      }
      sent.push(`line ${n}`);
    }
    assert.notEqual(held, '', `a line was held back after ${sent.length} went`);
    assert.equal(await page.inputValue('#message'), held);
    assert.equal(await page.textContent('#composer-hint'), 'Slow down: 1 line per second. Yours goes by itself in a moment.');
    assert.equal(await page.getAttribute('#send', 'aria-disabled'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'message', 'the input keeps the focus');
    assert.equal((await logLines(page)).filter((l) => l.text === `You: ${held}`).length, 0);
    await page.screenshot({ path: shot('desktop-slow-down.png') });
    // Enter again while held back (if it still is: the wait is about a second) changes
    // nothing: the line is still sent once.
    await page.keyboard.press('Enter');

    // About a second later the line goes by itself, with no further key press: the hint
    // goes, Send is enabled, and the input is empty for the next line.
    await waitForLine(page, `You: ${held}`);
    assert.equal((await logLines(page)).filter((l) => l.text === `You: ${held}`).length, 1, 'sent once');
    assert.equal(await page.inputValue('#message'), '');
    assert.equal(await page.textContent('#composer-hint'), '');
    assert.equal(await page.getAttribute('#send', 'aria-disabled'), null);
    // The server relayed every line, each once: none of them was refused.
    for (const text of [...sent, held]) assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: pageId, text });

    // A held line the player clears is not sent after all.
    await say(page, 'take back');
    assert.equal(await page.inputValue('#message'), 'take back', 'held: the bucket is empty again');
    await page.locator('#message').fill('');
    await page.waitForFunction(() => document.getElementById('composer-hint')?.textContent === '', null, { timeout: 5000 });
    await say(page, 'last');
    await waitForLine(page, 'You: last', { timeout: 5000 });
    assert.deepEqual(await other.nextEvent(), { kind: 'chat', from: pageId, text: 'last' }, 'the cleared line never went');
    assert.equal((await logLines(page)).filter((l) => l.text === 'You: take back').length, 0);
    await other.close();
    const refusals = (await logLines(page)).filter((l) => l.text.startsWith('Server refused:')).length;
    assert.equal(refusals, 0, 'the page held back what the server would refuse');
    assert.equal(await page.$$eval('#log .line.undelivered', (ls) => ls.length), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a line the server refuses anyway is shown as not delivered', async () => {
    // This page is told the server has no rate limit, so it sends what the server refuses.
    const { page, errors } = await openChat(browser.context, `${stingy.httpUrl}/`, undefined, async (p) => {
      await p.route('**/api/status', async (route) => {
        try {
          const response = await route.fetch();
          const json = await response.json();
          json.limits.chat_per_second = 0;
          await route.fulfill({ response, json });
        } catch {
          // The page or the server went away mid-request: nothing to answer.
        }
      });
    });
    await waitForId(page);
    // Its join has been answered, so a refusal from here on is a chat line's.
    await waitForRoom(page, 'lobby');
    await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.getElementById('message')).maxLength === 12, null, {
      timeout: 10_000,
    });
    // The burst is 4 and the page's join and room list request took 2: lines 3 and 4 are
    // refused with a DenyResponseMessage; its reason is shown, and the refused lines are marked.
    for (const n of [1, 2, 3, 4]) await say(page, `line ${n}`);
    const refused = await waitForLine(page, /^Server refused: .+/, { count: 2 });
    assert.equal(refused.kind, 'error');
    assert.match(refused.text, /rate limit/);
    assert.equal(await page.textContent('#composer-hint'), '', 'the page did not hold anything back');
    const marked = await page.$$eval('#log .line.mine', (ls) =>
      ls.map((l) => ({
        text: l.querySelector('.name')?.textContent + ': ' + l.querySelector('.text')?.textContent,
        undelivered: l.classList.contains('undelivered'),
        title: /** @type {HTMLElement} */ (l).title,
      })),
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
    const rooms = Number(await page.textContent('#stat-rooms'));
    assert.ok(rooms >= 1, `the lobby at least, got ${rooms}`);

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

/**
 * Makes `page` see `/api/status` with `accounts` as given, the rest as the server says: for the
 * login screen on a server without accounts of its own.
 * @param {{enabled: boolean, require_login: boolean, available: boolean}} accounts
 * @returns {(page: import('playwright-core').Page) => Promise<void>}
 */
const statusWithAccounts = (accounts) => async (page) => {
  await page.route('**/api/status', async (route) => {
    try {
      const response = await route.fetch();
      const json = await response.json();
      json.accounts = accounts;
      await route.fulfill({ response, json });
    } catch {
      // The page or the server went away mid-request: nothing to answer.
    }
  });
};

describe('the login screen', { timeout: 60_000 }, () => {
  test('shown where the server has accounts; refusals shown there; a guest goes on to chat', async () => {
    const { page, errors } = await openChat(
      browser.context,
      `${server.httpUrl}/`,
      undefined,
      statusWithAccounts({ enabled: true, require_login: false, available: true }),
      { guest: false },
    );
    await page.locator('#login-form').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await page.isHidden('#composer'), true, 'no message box before the player is in');
    await page.waitForFunction(() => document.body.dataset.flow === 'choosing', null, { timeout: 10_000 });
    assert.equal(await page.isVisible('#guest'), true, 'guests are allowed here');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-username');
    // Nothing is sent without a password.
    await page.locator('#login-username').fill('ann');
    await page.locator('#login-password').press('Enter');
    assert.equal(await page.textContent('#login-error'), 'Type a password');
    // No such account: the server refuses, and its reason is shown on the screen.
    await page.locator('#login-password').fill('not a real password');
    await page.locator('#login-password').press('Enter');
    const refused = await waitForLine(page, /^Server refused: (.+)$/);
    await page.waitForFunction(() => document.getElementById('login-error')?.textContent !== 'Type a password', null, { timeout: 5000 });
    const reason = refused.match[1];
    assert.equal(await page.textContent('#login-error'), reason.charAt(0).toUpperCase() + reason.slice(1));
    assert.equal(await page.isVisible('#login-form'), true, 'still on the login screen');
    await page.screenshot({ path: shot('desktop-login-refused.png') });

    // Play as guest: the chat, as a guest is shown to others.
    await page.click('#guest');
    const id = await waitForId(page);
    await waitForRoom(page, 'lobby');
    assert.equal(await page.isHidden('#login-form'), true);
    assert.equal(await page.isVisible('#composer'), true);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'message');
    const other = await NodeChatClient.connect(server.wsUrl);
    await say(page, 'hello as a guest');
    assert.deepEqual(await other.next((e) => e.kind === 'chat'), { kind: 'chat', from: id, text: 'hello as a guest' });
    await other.close();
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a server without accounts shows no login screen', async () => {
    const plain = new ServerProcess(binary, await freePort(), ['--database', '']);
    await plain.start();
    try {
      assert.equal((await plain.status()).accounts?.enabled ?? false, false);
      const { page, errors } = await openChat(browser.context, `${plain.httpUrl}/`, undefined, undefined, { guest: false });
      const id = await waitForId(page);
      await waitForRoom(page, 'lobby');
      assert.equal(await page.isHidden('#login-form'), true);
      assert.equal(await page.textContent('#connection-state'), `Connected as Client ${id}`);
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await plain.stop();
    }
  });

  test('the tests\' pages play as guests by themselves where the login screen offers it', async () => {
    // What every other test relies on when the server has accounts.
    const { page, errors } = await openChat(
      browser.context,
      `${server.httpUrl}/`,
      undefined,
      statusWithAccounts({ enabled: true, require_login: false, available: true }),
    );
    await waitForId(page);
    await waitForRoom(page, 'lobby');
    assert.equal(await page.evaluate(() => document.body.dataset.flow), 'chatting');
    assert.equal(await page.isHidden('#login-form'), true);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('no guests where the server needs a login', async () => {
    const { page, errors } = await openChat(
      browser.context,
      `${server.httpUrl}/`,
      { width: 390, height: 844 },
      statusWithAccounts({ enabled: true, require_login: true, available: true }),
      { guest: false },
    );
    await page.waitForFunction(() => document.body.dataset.flow === 'choosing', null, { timeout: 10_000 });
    assert.equal(await page.isHidden('#guest'), true);
    assert.equal(await page.textContent('#login-note'), 'Log in or create an account to play.');
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      button: document.getElementById('register')?.getBoundingClientRect().right ?? Infinity,
    }));
    assert.ok(layout.scrollWidth <= layout.innerWidth && layout.button <= layout.innerWidth, JSON.stringify(layout));
    await page.screenshot({ path: shot('phone-login.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe('accounts', { timeout: 90_000 }, () => {
  /** @type {ServerProcess} */
  let accounts;
  /** @type {ServerProcess} */
  let members;
  /** Account names no earlier run has used: the database file is fresh, but be safe. */
  const user = (stem) => `${stem}${process.pid % 100000}`;
  before(async () => {
    accounts = new ServerProcess(binary, await freePort());
    members = new ServerProcess(binary, await freePort(), ['--require-login']);
    await accounts.start();
    await members.start();
  });
  after(async () => {
    await accounts?.stop();
    await members?.stop();
  });

  /**
   * Opens a page at the login screen of `target`, ready for the player.
   * @param {ServerProcess} target
   */
  const atLogin = async (target, viewport = undefined) => {
    const opened = await openChat(browser.context, `${target.httpUrl}/`, viewport, undefined, { guest: false });
    await opened.page.waitForFunction(() => document.body.dataset.flow === 'choosing', null, { timeout: 10_000 });
    return opened;
  };

  /**
   * Types a username and password into the login screen and presses a button.
   * @param {import('playwright-core').Page} page
   * @param {'#login-submit' | '#register'} button
   */
  const submit = async (page, username, password, button) => {
    await page.locator('#login-username').fill(username);
    await page.locator('#login-password').fill(password);
    await page.click(button);
  };

  test('register, then log in: others see the name, in the log, the member list and chat', async () => {
    const status = await accounts.status();
    assert.deepEqual(status.accounts, { enabled: true, require_login: false, available: true });
    // Someone already in the lobby, as a guest, to see the newcomer's name.
    const { page: guest, errors: guestErrors } = await openChat(browser.context, `${accounts.httpUrl}/`);
    const guestId = await waitForId(guest);
    await waitForRoom(guest, 'lobby');

    const { page, errors } = await atLogin(accounts);
    assert.equal(await page.isVisible('#guest'), true);
    const name = user('ann');
    await submit(page, name, 'correct horse battery', '#register');
    // Registering does not log in; the page logs in next by itself, and joins the lobby.
    await waitForLine(page, `Logged in as ${name}`);
    await waitForRoom(page, 'lobby');
    assert.equal(await page.isHidden('#login-form'), true);
    assert.equal(await page.inputValue('#login-password'), '', 'no password left in the page');
    assert.equal(await page.textContent('#connection-state'), `Connected as ${name}`);
    const me = await page.evaluate(() => Number(document.getElementById('connection-state')?.dataset.clientId));
    assert.ok(me > 0);
    const mine = await memberList(page);
    assert.ok(mine.labels.includes(`${name} You`), JSON.stringify(mine.labels));

    // The guest sees the name, not "Client N": the page was in the lobby as a guest while at
    // the login screen, so its login reaches the guest as a new name for the same member.
    await waitForLine(guest, `Client ${me} is now ${name}`);
    assert.equal((await memberList(guest)).ids.filter((id) => id === me).length, 1, 'one member, renamed');
    assert.equal((await logLines(guest)).filter((l) => l.text === `${name} joined`).length, 0, 'not a second member');
    await guest.waitForFunction(([id, name]) => document.querySelector(`#members li[data-id="${id}"]`)?.textContent === name, [me, name], { timeout: 5000 });
    await say(page, 'hello with a name');
    await waitForLine(guest, `${name}: hello with a name`);
    // And the page sees the guest as a guest.
    await say(guest, 'hello from a guest');
    await waitForLine(page, `Client ${guestId}: hello from a guest`);
    await page.screenshot({ path: shot('desktop-logged-in.png') });
    assert.deepEqual([...errors, ...guestErrors], []);
    await page.close();
    await guest.close();
  });

  test('a wrong password and an unknown user get the same reason, shown on the login screen', async () => {
    const name = user('bob');
    const { page, errors } = await atLogin(accounts);
    await submit(page, name, 'the right password', '#register');
    await waitForLine(page, `Logged in as ${name}`);
    await page.close();

    const second = await atLogin(accounts);
    await submit(second.page, name, 'not the password', '#login-submit');
    await second.page.waitForFunction(() => document.getElementById('login-error')?.textContent !== '', null, { timeout: 10_000 });
    const wrong = await second.page.textContent('#login-error');
    assert.equal(await second.page.isVisible('#login-form'), true, 'still on the login screen');
    assert.equal(await second.page.evaluate(() => document.body.dataset.flow), 'choosing');
    await second.page.screenshot({ path: shot('desktop-login-wrong-password.png') });
    await second.page.locator('#login-error').evaluate((el) => (el.textContent = ''));
    await submit(second.page, user('nobody'), 'not the password', '#login-submit');
    await second.page.waitForFunction(() => document.getElementById('login-error')?.textContent !== '', null, { timeout: 15_000 });
    assert.equal(await second.page.textContent('#login-error'), wrong, 'the same reason: no telling which names exist');
    assert.ok(String(wrong).length > 0);
    // And the right password still gets in.
    await submit(second.page, name, 'the right password', '#login-submit');
    await waitForLine(second.page, `Logged in as ${name}`, { timeout: 15_000 });
    assert.deepEqual([...errors, ...second.errors], []);
    await second.page.close();
  });

  test('a name that is taken is refused with its reason', async () => {
    const name = user('cat');
    const { page, errors } = await atLogin(accounts);
    await submit(page, name, 'first password', '#register');
    await waitForLine(page, `Logged in as ${name}`);
    const other = await atLogin(accounts);
    await submit(other.page, name.toUpperCase(), 'second password', '#register');
    await other.page.waitForFunction(() => document.getElementById('login-error')?.textContent !== '', null, { timeout: 10_000 });
    assert.equal(await other.page.isVisible('#login-form'), true);
    assert.deepEqual([...errors, ...other.errors], []);
    await page.close();
    await other.page.close();
  });

  test('play as guest', async () => {
    const { page, errors } = await atLogin(accounts);
    await page.click('#guest');
    const id = await waitForId(page);
    await waitForRoom(page, 'lobby');
    assert.equal(await page.textContent('#connection-state'), `Connected as Client ${id}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('where a login is required there is no guest button, and a login gets in', async () => {
    assert.equal((await members.status()).accounts.require_login, true);
    const { page, errors } = await atLogin(members, { width: 390, height: 844 });
    assert.equal(await page.isHidden('#guest'), true);
    const name = user('dee');
    await submit(page, name, 'members only please', '#register');
    await waitForLine(page, `Logged in as ${name}`);
    await waitForRoom(page, 'lobby');
    await page.screenshot({ path: shot('phone-logged-in.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('logging in elsewhere closes the older page, which says why and does not log back in', async () => {
    const name = user('eve');
    const first = await atLogin(accounts);
    await submit(first.page, name, 'one account two tabs', '#register');
    await waitForLine(first.page, `Logged in as ${name}`);
    await waitForRoom(first.page, 'lobby');

    const second = await atLogin(accounts);
    await submit(second.page, name, 'one account two tabs', '#login-submit');
    await waitForLine(second.page, `Logged in as ${name}`);

    await waitForLine(first.page, /^Connection closed \(code 1008, logged in elsewhere\)$/);
    // A retry would have been scheduled, and said, in the same close: none was.
    assert.equal((await logLines(first.page)).filter((l) => l.text.startsWith('Reconnecting in')).length, 0);
    await first.page.locator('#login-form').waitFor({ state: 'visible', timeout: 5000 });
    assert.match(String(await first.page.textContent('#login-error')), /logged in elsewhere/i);
    assert.match(String(await first.page.textContent('#reconnect-text')), /logged in elsewhere/);
    await first.page.screenshot({ path: shot('desktop-logged-in-elsewhere.png') });
    // The newer page is still in.
    await say(second.page, 'still here');
    await waitForLine(second.page, 'You: still here');
    assert.equal(await second.page.textContent('#connection-state'), `Connected as ${name}`);
    // "Reconnect now" brings the older page back to the login screen, not into the account.
    await first.page.click('#reconnect-now');
    await first.page.waitForFunction(() => document.body.dataset.flow === 'choosing', null, { timeout: 10_000 });
    assert.deepEqual([...first.errors, ...second.errors], []);
    await first.page.close();
    await second.page.close();
  });
});

describe('a wrong address', { timeout: 60_000 }, () => {
  test('a connection that never opens says "Could not connect to" the address, and where the WebSocket is', async () => {
    // The server's page, at the right host, but without /ws: the upgrade is refused.
    const wrong = `${server.wsUrl.replace(/\/ws$/, '')}/chat`;
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/?server=${encodeURIComponent(wrong)}`);
    const failed = await waitForLine(page, `Could not connect to ${wrong} (the server's WebSocket address ends in /ws)`);
    assert.equal(failed.kind, 'error');
    await waitForLine(page, /^Reconnecting in \d+\.\d s \(attempt 1\)$/);
    // It never connected, so nothing says it was closed.
    assert.equal((await logLines(page)).filter((l) => l.text.startsWith('Connection closed')).length, 0);
    assert.equal(await page.textContent('#connection-state'), 'Disconnected');
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

  test('a page says the server went away, counts down, and reconnects into the same room', async () => {
    // The page comes from the long-lived server; ?server= points its socket at the one that dies.
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/?server=${encodeURIComponent(flaky.wsUrl)}`);
    assert.equal(await page.textContent('#server-url'), flaky.wsUrl);
    await waitForId(page);
    assert.equal(await page.isHidden('#reconnect-bar'), true);
    const den = freshRoom('den');
    await say(page, `/join ${den}`);
    await waitForRoom(page, den);

    // A crash: the socket drops with no close frame (1006), and the page says so.
    await flaky.stop('SIGKILL');
    await waitForLine(page, /^Connection closed \(code 1006, .+\)$/);
    await waitForLine(page, /^Reconnecting in \d+\.\d s \(attempt 1\)$/);
    await page.locator('#reconnect-bar').waitFor({ state: 'visible', timeout: 5000 });
    assert.match(String(await page.textContent('#reconnect-text')), /Reconnecting in \d+ s|Connecting…/);
    // The first retry may already be under way.
    assert.match(String(await page.textContent('#connection-state')), /^(Disconnected|Connecting)$/);
    // Who is in the room is unknown now; the header still names the room it will return to.
    assert.equal(await page.textContent('#room-name'), den);
    assert.equal(await page.$$eval('#members li', (ls) => ls.length), 0);
    // While the server is down the attempts fail and the wait grows (attempt 2 comes next).
    // An attempt that never opened says so, naming where it tried (not "Connection closed").
    await waitForLine(page, `Could not connect to ${flaky.wsUrl}`, { timeout: 10_000 });
    await waitForLine(page, /^Reconnecting in \d+\.\d s \(attempt 2\)$/);
    // A line typed meanwhile is not lost: it stays in the input, and the page says why.
    await say(page, 'typed while away');
    await waitForLine(page, 'Not connected: message not sent');
    assert.equal(await page.inputValue('#message'), 'typed while away');
    await page.screenshot({ path: shot('desktop-disconnected.png') });
    await page.locator('#message').fill('');

    // Back on the same port: the page reconnects by itself, is given an ID by the new server,
    // and joins the room it was in (the new server creates it).
    await flaky.start();
    await waitForLine(page, 'Connected successfully', { count: 2, timeout: 20_000 });
    const secondId = await waitForId(page, 2);
    assert.ok(secondId >= 1);
    await page.locator('#reconnect-bar').waitFor({ state: 'hidden', timeout: 5000 });
    assert.equal(await page.textContent('#connection-state'), `Connected as Client ${secondId}`);
    // (The first of these lines was from before the crash.)
    await waitForLine(page, `In room ${den} (1 here)`, { count: 2 });
    await waitForRoom(page, den);
    const witness = await NodeChatClient.connect(flaky.wsUrl, { room: den });
    assert.deepEqual(witness.joined?.members.map((m) => m.id), [secondId, witness.id], 'the server has the page in that room');
    await waitForLine(page, `Client ${witness.id} joined`);
    await witness.close();

    // A polite shutdown: the server's close code and reason are shown.
    await flaky.stop('SIGTERM');
    const closed = await waitForLine(page, /^Connection closed \(code (\d+), (.*)\)$/, { count: 2 });
    assert.notEqual(closed.match[1], '1006', `a graceful shutdown sends a close frame (${closed.text})`);
    await flaky.start();
    const thirdId = await waitForId(page, 3, 30_000);
    await waitForLine(page, `In room ${den} (1 here)`, { count: 3 });

    // It works again: a line gets through to a new client in that room.
    const other = await NodeChatClient.connect(flaky.wsUrl, { room: den });
    await say(page, 'back again');
    assert.deepEqual(await other.next((e) => e.kind === 'chat'), { kind: 'chat', from: thirdId, text: 'back again' });
    await other.close();
    await page.screenshot({ path: shot('desktop-reconnected.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('after a reconnect the log still follows new lines', async () => {
    // Up when this test starts, whatever the one before left.
    if (flaky.child === null) await flaky.start();
    const { page, errors } = await openChat(browser.context, `${server.httpUrl}/?server=${encodeURIComponent(flaky.wsUrl)}`);
    await waitForId(page);
    await waitForRoom(page, 'lobby');
    // More lines than the log shows: commands the page answers itself, so nothing is sent.
    for (let n = 0; n < 40; n += 1) await say(page, '/who');
    await waitForLine(page, /^In lobby \(/, { count: 40 });
    await waitForNewestLineInView(page, 'before the server went away');

    // The "Reconnecting…" bar appears above the input and takes height from the log.
    await flaky.stop('SIGKILL');
    await page.locator('#reconnect-bar').waitFor({ state: 'visible', timeout: 5000 });
    await waitForLine(page, /^Reconnecting in /);
    await waitForNewestLineInView(page, 'while the bar is shown');
    await flaky.start();
    await waitForId(page, 2, 20_000);
    await waitForLine(page, /^In room lobby \(\d+ here\)$/, { count: 2 });
    await page.locator('#reconnect-bar').waitFor({ state: 'hidden', timeout: 5000 });
    await waitForNewestLineInView(page, 'after the reconnect');

    // A line from someone else, after all that, is in view without scrolling.
    const other = await NodeChatClient.connect(flaky.wsUrl);
    await other.send('after the reconnect');
    await waitForLine(page, `Client ${other.id}: after the reconnect`);
    await waitForNewestLineInView(page, 'when a line arrives after the reconnect');
    await page.screenshot({ path: shot('desktop-reconnected-log-follows.png') });
    await other.close();
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
        roomPanelOpen: /** @type {HTMLDetailsElement} */ (document.getElementById('room-panel')).open,
        roomName: box('#room-name'),
      };
    });
    assert.ok(layout.scrollWidth <= layout.innerWidth, `no horizontal scroll (${layout.scrollWidth} > ${layout.innerWidth})`);
    assert.ok(layout.input.left >= 0 && layout.input.right <= layout.innerWidth, 'input fits across');
    assert.ok(layout.input.bottom <= layout.innerHeight, 'input is on screen');
    assert.ok(layout.log.height >= 300, `the log gets most of the height (${layout.log.height}px)`);
    assert.equal(layout.panelOpen, false, 'the status panel starts folded on a phone');
    assert.equal(layout.roomPanelOpen, false, 'so does the people and rooms panel');
    assert.ok(layout.roomName.top >= 0 && layout.roomName.right <= layout.innerWidth, 'the room name is on screen');
    assert.equal(await page.textContent('#room-name'), 'lobby');
    await page.screenshot({ path: shot('phone-chat.png') });

    // More lines than the log shows (commands the page answers itself, so nothing is sent):
    // the newest is in view.
    for (let n = 0; n < 30; n += 1) await say(page, '/who');
    await waitForLine(page, /^In lobby \(/, { count: 30 });
    await waitForNewestLineInView(page, 'after 30 lines');

    // Opening the panel brings a fresh room list, and the member list is there. The panel
    // takes height from the log, and the log still shows its newest line, then and when the
    // next line arrives.
    await page.click('#room-panel summary');
    await waitForNewestLineInView(page, 'after "People and rooms" opened');
    await other.send('after the panel opened');
    await waitForLine(page, `Client ${other.id}: after the panel opened`);
    await waitForNewestLineInView(page, 'when a line arrives with the panel open');
    await page.waitForFunction(() => !!document.querySelector('#rooms button[data-room="lobby"]'), null, { timeout: 10_000 });
    assert.ok((await memberList(page)).you.includes(id));
    await page.locator('#room-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: shot('phone-rooms.png') });
    await page.click('#room-panel summary');

    // A reader who scrolls up is left there when lines arrive, and followed again once back
    // at the bottom.
    await page.locator('#log').hover();
    await page.mouse.wheel(0, -400);
    await page.waitForFunction(() => /** @type {HTMLElement} */ (document.getElementById('log')).scrollTop > 0, null, { timeout: 5000 });
    await page.waitForFunction(() => {
      const log = /** @type {HTMLElement} */ (document.getElementById('log'));
      return log.scrollHeight - log.scrollTop - log.clientHeight > 300;
    }, null, { timeout: 5000 });
    const readingAt = await page.$eval('#log', (log) => log.scrollTop);
    await other.send('while reading back');
    await waitForLine(page, `Client ${other.id}: while reading back`);
    assert.equal(await newestLineInView(page), false, 'a reader who scrolled up is not yanked down');
    assert.equal(await page.$eval('#log', (log) => log.scrollTop), readingAt);
    await page.mouse.wheel(0, 100_000);
    await page.waitForFunction(() => {
      const log = /** @type {HTMLElement} */ (document.getElementById('log'));
      return log.scrollHeight - log.scrollTop - log.clientHeight < 2;
    }, null, { timeout: 5000 });
    await other.send('back at the bottom');
    await waitForLine(page, `Client ${other.id}: back at the bottom`);
    await waitForNewestLineInView(page, 'after scrolling back down');

    await page.click('#status-panel summary');
    await page.waitForFunction(() => document.getElementById('stat-clients')?.textContent !== '–', null, { timeout: 10_000 });
    await page.screenshot({ path: shot('phone-status.png') });
    assert.ok(id > 0);
    await other.close();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
