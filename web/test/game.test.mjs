// End-to-end tests of the game in headless Chromium against the real mmo server binary: pages
// press Play in a room of their own and play its world as a person would, steering with the
// mouse. A player enters (drawn, with its score), moves where it is steered, eats a spore (its
// score grows), meets another page's player (each sees the other, in view and on the
// leaderboard), chats over the game, and leaves; on a phone, a finger steers; a logged-in
// player plays under its name, and its login never puts it in the tutorial's game. The pages
// run with `?debug`, which lets the test read the world state a page holds (its position, the
// spores and players in its view, whether its updates are extrapolated) to choose where to
// point the mouse; everything else is observed on the page. Screenshots go to
// web/test-results/.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import generated from '../dist/packets.js';
import { launchBrowser, openChat, say, waitForLine, waitForRoom } from './support/browser.mjs';
import { ServerProcess, freePort, resultsDir, serverBinary, waitUntil } from './support/server.mjs';

const { Packet } = generated.packets;

/** @type {ServerProcess} */
let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */
let browser;

/** @param {string} name */
const shot = (name) => join(resultsDir, name);

/** A room no earlier run has used, so every test has a world of its own. */
let roomsMade = 0;
/** @param {string} stem */
const freshRoom = (stem) => `${stem}-${process.pid}-${(roomsMade += 1)}`;

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  const binary = serverBinary();
  server = new ServerProcess(binary, await freePort());
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * What a page's world holds, as `?debug` shows it: the own player as drawn now (world units),
 * the spores and other players in view.
 * @typedef {{me: {x: number, y: number, radius: number} | null,
 *   spores: {id: number, x: number, y: number, radius: number}[],
 *   players: {id: number, x: number, y: number, radius: number}[],
 *   playerId: number, extrapolating: boolean}} Seen
 */

/**
 * @param {import('playwright-core').Page} page
 * @returns {Promise<Seen>}
 */
function seen(page) {
  return page.evaluate(() => {
    const world = /** @type {any} */ (window).mmoDebug.world();
    const now = performance.now();
    return {
      playerId: world.playerId,
      extrapolating: world.extrapolating,
      me: world.drawnMe(now),
      spores: [...world.spores.values()].map((s) => ({ id: s.id, ...world.sporeInWorld(s) })),
      players: [...world.players.values()].filter((p) => p.id !== world.playerId).map((p) => ({ id: p.id, ...world.drawnActor(p, now) })),
    };
  });
}

/**
 * Points the mouse from the canvas's centre (where the own player is drawn) towards `dx`, `dy`.
 * @param {import('playwright-core').Page} page
 * @param {number} dx
 * @param {number} dy
 */
async function steer(page, dx, dy) {
  const box = await page.locator('#game-canvas').boundingBox();
  assert.ok(box, 'the canvas is on screen');
  const length = Math.hypot(dx, dy) || 1;
  const reach = Math.min(box.width, box.height) / 3;
  await page.mouse.move(box.x + box.width / 2 + (dx / length) * reach, box.y + box.height / 2 + (dy / length) * reach);
}

/**
 * Opens a page, moves it to `room` and presses Play; resolves once the game shows the player.
 * @param {string} room
 * @param {import('playwright-core').BrowserContext} [context] the desktop browser's unless given
 */
async function player(room, context = browser.context) {
  const opened = await openChat(context, `${server.httpUrl}/?debug`);
  const { page } = opened;
  await waitForRoom(page, 'lobby');
  await say(page, `/join ${room}`);
  await waitForRoom(page, room);
  if (await page.evaluate(() => matchMedia('(pointer: coarse)').matches)) await page.tap('#play');
  else await page.click('#play');
  await waitForLine(page, `Playing in ${room}: steer with the mouse, a finger or the arrow keys`);
  await page.waitForSelector('#game:not([hidden])');
  await page.waitForFunction(() => /** @type {any} */ (window).mmoDebug.world()?.me !== undefined, null, { timeout: 5000 });
  return opened;
}

/**
 * The score the page shows over the canvas.
 * @param {import('playwright-core').Page} page
 */
async function shownScore(page) {
  return Number((await page.textContent('#game-score'))?.replace(/,/g, ''));
}

describe('the game', { timeout: 120_000 }, () => {
  test('a player enters, moves where it is steered, and eats a spore', async () => {
    const room = freshRoom('game');
    const { page, errors } = await player(room);

    // Entered: drawn in the middle of the canvas at radius 20 with its score (1,257, or a
    // little more if it was born on a spore: players avoid players, not spores; a little less,
    // radius 19.26 and 1,165, if it dropped a spore in its first ticks: drops are random),
    // alone on the leaderboard, and spores around it.
    const start = await seen(page);
    assert.ok(start.me, 'the own player is in its view');
    assert.equal(start.extrapolating, true, 'the page asked for extrapolated updates, and the server does them');
    assert.ok(start.me.radius >= 19 && start.me.radius < 30, String(start.me.radius));
    assert.ok((await shownScore(page)) >= 1100, String(await shownScore(page)));
    await page.waitForFunction(() => document.querySelectorAll('#leaderboard li').length === 1, null, { timeout: 5000 });
    assert.equal(await page.$$eval('#leaderboard li.you', (items) => items.length), 1);
    assert.equal(await page.textContent('#game-players'), '1 playing');
    assert.ok(start.spores.length > 0, 'spores in view');
    // The canvas is drawn: the own player's colour is at its centre, not the background's.
    const centre = await page.evaluate(() => {
      const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('game-canvas'));
      const pixel = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d')).getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data;
      return [...pixel.slice(0, 3)];
    });
    assert.notDeepEqual(centre, [13, 15, 20], 'something is drawn where the player is');

    // Steered right, it moves right; steered down, it moves down (y grows downwards).
    for (const [dx, dy] of [
      [1, 0],
      [0, 1],
    ]) {
      await steer(page, dx, dy);
      const from = /** @type {{x: number, y: number}} */ ((await seen(page)).me);
      await waitUntil(
        async () => {
          const now = (await seen(page)).me;
          return now !== null && (now.x - from.x) * dx + (now.y - from.y) * dy > 30;
        },
        5000,
        `the player to move towards (${dx}, ${dy})`,
      );
    }

    // Towards the nearest spore, again and again, until the score grows: the server decides
    // the eat, and says so in the player's score.
    const before = await shownScore(page);
    const radiusBefore = /** @type {{radius: number}} */ ((await seen(page)).me).radius;
    await waitUntil(
      async () => {
        if ((await shownScore(page)) > before) return true;
        const { me, spores } = await seen(page);
        if (me === null) return false;
        // A spore it already touches is one it dropped itself (any other it would have eaten):
        // it may not eat that one until it has moved off it, so it heads for the nearest other.
        const away = (/** @type {{x: number, y: number, radius: number}} */ s) => Math.hypot(s.x - me.x, s.y - me.y) - s.radius;
        const others = spores.filter((s) => away(s) > me.radius);
        if (others.length === 0) {
          await steer(page, 1, 0);
          return false;
        }
        const nearest = others.reduce((best, s) => (away(s) < away(best) ? s : best));
        await steer(page, nearest.x - me.x, nearest.y - me.y);
        return false;
      },
      60_000,
      'the score to grow from eating a spore',
    );
    // The player is drawn growing to its new radius over the next tick (the page smooths
    // between ticks), from whatever radius it had: 20, or less after a drop.
    await waitUntil(
      async () => ((await seen(page)).me?.radius ?? 0) > radiusBefore,
      5000,
      'the player to be drawn bigger than before it ate',
    );
    await page.screenshot({ path: shot('game-alone.png') });

    // Leave: the game goes, the chat stays.
    await page.click('#leave');
    await waitForLine(page, 'You left the game');
    assert.equal(await page.isHidden('#game'), true);
    assert.equal(await page.isVisible('#play'), true);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('two players in one world see each other, on the leaderboard and in view, and chat', async () => {
    const room = freshRoom('meet');
    const a = await player(room);
    const b = await player(room);
    const idA = (await seen(a.page)).playerId;
    const idB = (await seen(b.page)).playerId;

    // Both are on both leaderboards, wherever they are.
    for (const { page } of [a, b]) {
      await page.waitForFunction(() => document.getElementById('game-players')?.textContent === '2 playing', null, { timeout: 5000 });
      await page.waitForFunction(
        (ids) => ids.every((id) => document.querySelector(`#leaderboard li[data-id="${id}"]`)),
        [idA, idB],
        { timeout: 5000 },
      );
    }

    // Each steers towards the other (the test knows both places) until each has the other in
    // its view.
    await waitUntil(
      async () => {
        const [seenA, seenB] = await Promise.all([seen(a.page), seen(b.page)]);
        if (seenA.players.some((p) => p.id === idB) && seenB.players.some((p) => p.id === idA)) return true;
        if (seenA.me && seenB.me) {
          await steer(a.page, seenB.me.x - seenA.me.x, seenB.me.y - seenA.me.y);
          await steer(b.page, seenA.me.x - seenB.me.x, seenA.me.y - seenB.me.y);
        }
        return false;
      },
      60_000,
      'the two players to come into each other\'s view',
    );
    // Where A sees B is where B is (as B draws itself), give or take a tick's move and the
    // time between the two reads.
    const [nowA, nowB] = await Promise.all([seen(a.page), seen(b.page)]);
    const bOnA = nowA.players.find((p) => p.id === idB);
    if (bOnA && nowB.me) assert.ok(Math.hypot(bOnA.x - nowB.me.x, bOnA.y - nowB.me.y) < 60, 'the same place on both pages');
    await a.page.screenshot({ path: shot('game-two-players.png') });

    // Chat goes on over the game.
    await say(a.page, 'hello over the game');
    await waitForLine(b.page, `Client ${idA}: hello over the game`);

    // One leaves: the other's leaderboard drops it (the leaderboard comes about once a second).
    await a.page.click('#leave');
    await waitForLine(a.page, 'You left the game');
    await b.page.waitForFunction(() => document.getElementById('game-players')?.textContent === '1 playing', null, { timeout: 5000 });
    assert.equal(await b.page.$(`#leaderboard li[data-id="${idA}"]`), null);

    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
    await b.page.close();
  });

  test('on a phone, a finger steers', async () => {
    const phone = await launchBrowser({ phone: true });
    try {
      const { page, errors } = await player(freshRoom('phone'), phone.context);
      const box = await page.locator('#game-canvas').boundingBox();
      assert.ok(box, 'the canvas is on screen');
      // Tapped above the player, then left of it: it heads there.
      for (const [dx, dy] of [
        [0, -1],
        [-1, 0],
      ]) {
        const from = /** @type {{x: number, y: number}} */ ((await seen(page)).me);
        await page.touchscreen.tap(box.x + box.width / 2 + dx * 60, box.y + box.height / 2 + dy * 60);
        await waitUntil(
          async () => {
            const now = (await seen(page)).me;
            return now !== null && (now.x - from.x) * dx + (now.y - from.y) * dy > 30;
          },
          5000,
          `the player to move towards (${dx}, ${dy})`,
        );
      }
      await page.screenshot({ path: shot('game-phone.png') });
      assert.deepEqual(errors, []);
    } finally {
      await phone.close();
    }
  });

  test('a logged-in player plays under its name, and is never put in the tutorial\'s game by its login', async () => {
    // The page's messages reach the server 200 ms late, as on a slow network: a login alone
    // would then have the server start the tutorial's game for this page (its own
    // PlayerMessage, spore batches) before the join that follows it arrives. What the server
    // sends the page is read on the way.
    /** @type {string[]} */
    const received = [];
    const opened = await openChat(
      browser.context,
      `${server.httpUrl}/?debug`,
      undefined,
      async (page) => {
        await page.routeWebSocket(/\/ws$/, (ws) => {
          const upstream = ws.connectToServer();
          let queue = Promise.resolve();
          ws.onMessage((message) => {
            queue = queue.then(() => new Promise((resolve) => setTimeout(resolve, 200))).then(() => upstream.send(message));
          });
          upstream.onMessage((message) => {
            received.push(String(Packet.decode(typeof message === 'string' ? Buffer.from(message) : message).msg));
            ws.send(message);
          });
        });
      },
      { guest: false },
    );
    const { page, errors } = opened;
    await page.waitForFunction(() => document.body.dataset.flow === 'choosing', null, { timeout: 10_000 });
    const name = `pat${process.pid % 100000}`;
    await page.locator('#login-username').fill(name);
    await page.locator('#login-password').fill('correct horse battery');
    await page.click('#register');
    await waitForLine(page, `Logged in as ${name}`);
    await waitForRoom(page, 'lobby');
    // A tick or two, in which the tutorial's game would have started.
    await page.waitForTimeout(300);

    await page.click('#play');
    await waitForLine(page, 'Playing in lobby: steer with the mouse, a finger or the arrow keys');
    const id = await page.evaluate(() => /** @type {any} */ (window).mmoDebug.world().playerId);
    await page.waitForFunction(
      ([id, name]) => document.querySelector(`#leaderboard li[data-id="${id}"] .board-name`)?.textContent === name,
      [id, name],
      { timeout: 5000 },
    );
    const best = Number((await page.textContent('#game-best'))?.replace(/,/g, ''));
    assert.ok(best >= 1257, `best score ${best}`);
    assert.ok(received.includes('worldUpdate'), 'the page\'s traffic was read');
    const tutorial = received.filter((kind) => ['player', 'sporesBatch', 'spore', 'sporeConsumed', 'playerConsumed'].includes(kind));
    assert.deepEqual(tutorial, [], 'nothing of the tutorial\'s game reached the page');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('changing rooms ends the game; after a lost connection the page plays on by itself', async () => {
    const room = freshRoom('moving');
    const { page, errors } = await player(room);

    // Another room: the server ends the game first, and the page says why.
    const elsewhere = freshRoom('elsewhere');
    await say(page, `/join ${elsewhere}`);
    await waitForLine(page, 'Out of the game: changed rooms');
    await waitForRoom(page, elsewhere);
    assert.equal(await page.isHidden('#game'), true);
    assert.equal(await page.isVisible('#play'), true);

    // Playing again, then the server goes away and comes back: the page returns to its room
    // and into its game, as a fresh player.
    await page.click('#play');
    await waitForLine(page, `Playing in ${elsewhere}: steer with the mouse, a finger or the arrow keys`);
    await server.stop('SIGKILL');
    await waitForLine(page, /^Connection closed/);
    assert.equal(await page.isHidden('#game'), true, 'no world without a connection');
    await server.start();
    await waitForLine(page, `Playing in ${elsewhere}: steer with the mouse, a finger or the arrow keys`, { count: 2, timeout: 20_000 });
    await page.waitForSelector('#game:not([hidden])');
    await page.waitForFunction(() => /** @type {any} */ (window).mmoDebug.world()?.me !== undefined, null, { timeout: 5000 });
    // A new player: about 1,257 (less by a spore it may have dropped already).
    assert.ok((await shownScore(page)) >= 1100);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
