// Drives Debian's Chromium through playwright-core for the tests: launches it headless with a
// fresh profile (never a downloaded browser), opens chat pages, and reads or waits for lines in
// a page's chat log, its room, member list and room list. Every wait has a timeout; nothing
// sleeps and hopes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep Chromium from phoning home or needing a GPU or sandbox in CI containers. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium with a throwaway profile; `close()` removes the profile too.
 * @param {{phone?: boolean}} [options] `phone`: a touch screen the size of a phone's, as a
 *   phone's browser reports it (coarse pointer, touch events)
 */
export async function launchBrowser({ phone = false } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'mmo-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: phone ? { width: 390, height: 760 } : { width: 1280, height: 800 },
    ...(phone ? { hasTouch: true, isMobile: true, deviceScaleFactor: 2 } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A page of the chat that records uncaught errors, so a test can insist there were none.
 * Unless told otherwise, it plays as a guest as a player would: where the server has accounts
 * and shows the login screen, "Play as guest" is pressed as soon as it can be (tests of chat
 * and rooms then run the same on servers with and without accounts).
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} url
 * @param {{width: number, height: number}} [viewport]
 * @param {(page: import('playwright-core').Page) => Promise<void>} [prepare] runs before the
 *   page loads, e.g. to route its requests
 * @param {{guest?: boolean}} [options] `guest: false` leaves the login screen to the test
 */
export async function openChat(context, url, viewport, prepare, { guest = true } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  if (prepare) await prepare(page);
  if (guest) await page.addInitScript(pressPlayAsGuest);
  await page.goto(url);
  return { page, errors };
}

/**
 * Runs in the page before its scripts: presses "Play as guest" whenever the login screen waits
 * for the player and offers it (the page marks its state on `<body data-flow>`).
 */
function pressPlayAsGuest() {
  const press = () => {
    const button = document.getElementById('guest');
    if (document.body?.dataset.flow === 'choosing' && button && !button.hidden && !document.getElementById('login-form')?.hidden) {
      button.click();
    }
  };
  const watch = () => new MutationObserver(press).observe(document.body, { attributes: true, attributeFilter: ['data-flow'] });
  if (document.body) watch();
  else document.addEventListener('DOMContentLoaded', watch, { once: true });
}

/**
 * Every line in a page's chat log, with its kind (`info`, `chat`, ...), its text without the
 * time a chat line starts with, and that time (`HH:MM`, `""` for lines without one) and its
 * `datetime`.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{kind: string, text: string, time: string, at: string}[]>}
 */
export function logLines(page) {
  return page.$$eval('#log .line', (lines) =>
    lines.map((line) => {
      // Keep in step with the copy in waitForLine (a page function cannot share code).
      const time = line.querySelector(':scope > time');
      const full = line.textContent ?? '';
      const text = time ? full.slice((time.textContent ?? '').length).replace(/^ /, '') : full;
      return {
        kind: line.className.replace(/^line\s*/, ''),
        text,
        time: time?.textContent ?? '',
        at: time?.getAttribute('datetime') ?? '',
      };
    }),
  );
}

/**
 * Waits until the log has at least `count` lines matching `pattern` (against a line's text
 * without its time, as `logLines` gives it), and returns the last one.
 * @param {import('playwright-core').Page} page
 * @param {RegExp | string} pattern a RegExp or exact line text
 * @param {{count?: number, timeout?: number}} [options]
 * @returns {Promise<{kind: string, text: string, match: string[]}>}
 */
export async function waitForLine(page, pattern, { count = 1, timeout = 10_000 } = {}) {
  const source = pattern instanceof RegExp ? pattern.source : `^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const flags = pattern instanceof RegExp ? pattern.flags : '';
  try {
    await page.waitForFunction(
      ({ source, flags, count }) => {
        const re = new RegExp(source, flags);
        const textOf = (/** @type {Element} */ line) => {
          const time = line.querySelector(':scope > time');
          const full = line.textContent ?? '';
          return time ? full.slice((time.textContent ?? '').length).replace(/^ /, '') : full;
        };
        return [...document.querySelectorAll('#log .line')].filter((l) => re.test(textOf(l))).length >= count;
      },
      { source, flags, count },
      { timeout, polling: 50 },
    );
  } catch (error) {
    const lines = (await logLines(page)).map((l) => `  [${l.kind}] ${l.text}`).join('\n');
    throw new Error(`no ${count > 1 ? `${count}th ` : ''}line matching ${pattern} within ${timeout} ms; the log has:\n${lines}`, {
      cause: error,
    });
  }
  const re = new RegExp(source, flags);
  const matching = (await logLines(page)).filter((l) => re.test(l.text));
  const last = matching[matching.length - 1];
  return { ...last, match: /** @type {string[]} */ (re.exec(last.text)) };
}

/**
 * Waits for the page to connect and returns the client ID the server gave it (a page that
 * plays as a guest says `You are Client N`).
 * @param {import('playwright-core').Page} page
 * @param {number} [count] wait for the `count`th ID (after reconnects)
 */
export async function waitForId(page, count = 1, timeout = 10_000) {
  const line = await waitForLine(page, /^You are Client (\d+)$/, { count, timeout });
  return Number(line.match[1]);
}

/**
 * Whether the newest line of a page's log is in view (the log scrolled to its end).
 * @param {import('playwright-core').Page} page
 */
export function newestLineInView(page) {
  return page.evaluate(() => {
    const log = /** @type {HTMLElement} */ (document.getElementById('log'));
    const last = log.lastElementChild;
    if (last === null) return true;
    return last.getBoundingClientRect().bottom <= log.getBoundingClientRect().bottom + 1;
  });
}

/**
 * Waits until the newest line of the log is in view, as it is for a reader who has not
 * scrolled up.
 * @param {import('playwright-core').Page} page
 * @param {string} when for the error message
 */
export async function waitForNewestLineInView(page, when, timeout = 5000) {
  try {
    await page.waitForFunction(
      () => {
        const log = /** @type {HTMLElement} */ (document.getElementById('log'));
        const last = log.lastElementChild;
        return last === null || last.getBoundingClientRect().bottom <= log.getBoundingClientRect().bottom + 1;
      },
      null,
      { timeout, polling: 50 },
    );
  } catch (error) {
    const geometry = await page.$eval('#log', (log) => ({ scrollTop: log.scrollTop, scrollHeight: log.scrollHeight, clientHeight: log.clientHeight }));
    throw new Error(`the newest line is out of view ${when}: ${JSON.stringify(geometry)}`, { cause: error });
  }
}

/**
 * Types a line into the message box and presses Enter, as a person would.
 * @param {import('playwright-core').Page} page
 * @param {string} text
 */
export async function say(page, text) {
  await page.locator('#message').fill(text);
  await page.keyboard.press('Enter');
}

/**
 * Waits until the page says it is in `room` (its header, after the server's RoomMessage).
 * @param {import('playwright-core').Page} page
 * @param {string} room
 */
export async function waitForRoom(page, room, timeout = 10_000) {
  try {
    await page.waitForFunction(
      (room) => document.getElementById('room-name')?.textContent === room && document.getElementById('room-count')?.textContent?.endsWith(' here'),
      room,
      { timeout, polling: 50 },
    );
  } catch (error) {
    const lines = (await logLines(page)).map((l) => `  [${l.kind}] ${l.text}`).join('\n');
    const shown = await page.textContent('#room-name');
    throw new Error(`the page did not arrive in ${room} within ${timeout} ms (it shows ${shown}); the log has:\n${lines}`, { cause: error });
  }
}

/**
 * The member list a page shows: IDs in order, and which one it marks as itself.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{ids: number[], you: number[], labels: string[]}>}
 */
export function memberList(page) {
  return page.$$eval('#members li', (items) => ({
    ids: items.map((li) => Number(/** @type {HTMLElement} */ (li).dataset.id)),
    you: items.filter((li) => li.classList.contains('you')).map((li) => Number(/** @type {HTMLElement} */ (li).dataset.id)),
    labels: items.map((li) => li.textContent ?? ''),
  }));
}

/**
 * Waits until the page's member list holds exactly `ids` (in any order) and returns it.
 * @param {import('playwright-core').Page} page
 * @param {number[]} ids
 */
export async function waitForMembers(page, ids, timeout = 10_000) {
  const want = [...ids].sort((a, b) => a - b);
  try {
    await page.waitForFunction(
      (want) => {
        const have = [...document.querySelectorAll('#members li')].map((li) => Number(/** @type {HTMLElement} */ (li).dataset.id)).sort((a, b) => a - b);
        return have.length === want.length && have.every((id, i) => id === want[i]);
      },
      want,
      { timeout, polling: 50 },
    );
  } catch (error) {
    throw new Error(`member list is ${JSON.stringify((await memberList(page)).ids)}, not ${JSON.stringify(want)}`, { cause: error });
  }
  return memberList(page);
}

/**
 * The room list a page shows: each room's name, count text and whether it is marked current.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{name: string, members: string, current: boolean}[]>}
 */
export function roomList(page) {
  return page.$$eval('#rooms button', (buttons) =>
    buttons.map((b) => ({
      name: b.querySelector('.room-name')?.textContent ?? '',
      members: b.querySelector('.room-members')?.textContent ?? '',
      current: b.getAttribute('aria-current') === 'true',
    })),
  );
}
