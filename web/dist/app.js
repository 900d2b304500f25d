// The web chat page's behaviour: connects to the server, shows what happens in the chat log the
// way the Godot client does (protocol.md, behaviour 7), sends what the player types, and keeps
// the server status panel running. Everything a user or the server supplies is inserted as text
// (textContent), never as HTML.

import { ReconnectingSocket, describeCloseCode, serverUrlFor, statusUrlFor } from './connection.js';
import {
  ChatRateLimiter,
  DEFAULT_LIMITS,
  chatLimitProblem,
  countChars,
  decodeEvent,
  encodeChat,
  isBlank,
  slowDownHint,
} from './protocol.js';
import { startStatusPanel } from './status.js';

/** Oldest lines are dropped past this, so a chat left open for days does not grow without end. */
const MAX_LOG_LINES = 1000;

/**
 * The page's copy of the rate limit refills this much slower than the server's, so a line sent
 * the moment the page allows it is not refused because the network delivered it a few
 * milliseconds closer to the previous one than it was sent (5%: about 50 ms at one line a second).
 */
const RATE_MARGIN = 0.95;

/** Own lines remembered per connection for marking a refusal; a refusal comes within a round trip. */
const MAX_PENDING_OWN_LINES = 50;

/**
 * An element the page's markup is known to have.
 * @param {string} id
 * @returns {HTMLElement}
 */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const logEl = byId('log');
const input = /** @type {HTMLInputElement} */ (byId('message'));
const form = /** @type {HTMLFormElement} */ (byId('composer'));
const counter = byId('counter');
const sendButton = byId('send');
const hint = byId('composer-hint');
const statePill = byId('connection-state');
const reconnectBar = byId('reconnect-bar');
const reconnectText = byId('reconnect-text');
const reconnectNow = /** @type {HTMLButtonElement} */ (byId('reconnect-now'));
const statusPanel = /** @type {HTMLDetailsElement} */ (byId('status-panel'));

/** @type {import('./protocol.js').ChatLimits} */
let limits = { ...DEFAULT_LIMITS };
/** This client's ID on the current connection, once the server has said it. */
let myId = 0;
/** The server's chat rate limit as this page sees it, so lines it would refuse are held back. */
const rate = new ChatRateLimiter(limits.chat_per_second * RATE_MARGIN, limits.chat_burst, performance.now());
/**
 * "You:" lines sent on the current connection, oldest first. The server does not acknowledge
 * lines, only refuses them, and answers in order within a round trip, so a refusal belongs to
 * the newest line not yet marked.
 * @type {HTMLElement[]}
 */
let ownLines = [];

// ---------------------------------------------------------------------------------------------
// The log. Kinds match the Godot client's Log: info (white), warning (yellow), error (orange-red),
// success (green), and chat lines with the name in cornflower blue and the text in italics.

/**
 * Appends a line, keeping the view pinned to the bottom if the reader was already there (so
 * someone scrolled up to read history is not yanked down by new messages).
 * @param {HTMLElement} line
 */
function append(line) {
  const atBottom = logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 40;
  logEl.append(line);
  while (logEl.childElementCount > MAX_LOG_LINES) logEl.firstElementChild?.remove();
  if (atBottom) logEl.scrollTop = logEl.scrollHeight;
}

/**
 * @param {'info' | 'warning' | 'error' | 'success'} kind
 * @param {string} text
 */
function logLine(kind, text) {
  const line = document.createElement('p');
  line.className = `line ${kind}`;
  line.textContent = text;
  append(line);
}

/**
 * A chat line: `sender: text`.
 * @param {string} sender
 * @param {string} text
 * @param {boolean} mine whether this client sent it (styled a little differently)
 * @returns {HTMLElement} the line
 */
function logChat(sender, text, mine) {
  const line = document.createElement('p');
  line.className = mine ? 'line chat mine' : 'line chat';
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = sender;
  const body = document.createElement('em');
  body.className = 'text';
  body.textContent = text;
  line.append(name, ': ', body);
  append(line);
  return line;
}

/**
 * Marks the newest own line the server has not refused yet as not delivered: struck through,
 * with the reason as its tooltip.
 * @param {string} reason
 */
function markUndelivered(reason) {
  const line = ownLines.pop();
  if (line === undefined) return;
  line.classList.add('undelivered');
  line.title = `Not delivered: ${reason || 'refused by the server'}`;
}

// ---------------------------------------------------------------------------------------------
// Connection state: the pill in the header and the bar above the input while disconnected.

/** @type {ReturnType<typeof setInterval> | undefined} */
let countdownTimer;

/** @param {'connecting' | 'connected' | 'disconnected'} state @param {string} label */
function setState(state, label) {
  statePill.dataset.state = state;
  statePill.textContent = label;
}

/** @param {number} at the `Date.now()` time of the next attempt @param {number} attempt */
function showCountdown(at, attempt) {
  clearInterval(countdownTimer);
  const render = () => {
    const seconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
    const text = `Disconnected. Reconnecting in ${seconds} s (attempt ${attempt})…`;
    if (reconnectText.textContent !== text) reconnectText.textContent = text;
  };
  render();
  countdownTimer = setInterval(render, 250);
  reconnectBar.hidden = false;
}

function hideCountdown() {
  clearInterval(countdownTimer);
  countdownTimer = undefined;
  reconnectBar.hidden = true;
}

// ---------------------------------------------------------------------------------------------
// The input: its limit comes from the server, and a counter shows how much room is left.

/** @param {import('./protocol.js').ChatLimits} next */
function applyLimits(next) {
  limits = { ...DEFAULT_LIMITS, ...next };
  rate.configure(limits.chat_per_second * RATE_MARGIN, limits.chat_burst, performance.now());
  // A hint shown under the old limits is re-checked (and reworded) under the new ones.
  if (throttleTimer !== undefined) recheckHold();
  // maxlength counts UTF-16 units, the server counts code points: an emoji is 2 here and 1
  // there, so this can only ever be stricter than the server, never let too much through.
  input.maxLength = limits.max_chat_chars;
  updateCounter();
}

// ---------------------------------------------------------------------------------------------
// Sending no faster than the server allows: a line that would be refused for its rate stays in
// the input, a hint under it says why, and Send looks disabled until a line may go. The input
// keeps the focus throughout, so Enter simply works again once the hint is gone.

/** @type {ReturnType<typeof setTimeout> | undefined} */
let throttleTimer;

/** Shows the hint and re-checks when the next line may be sent. */
function holdBack() {
  clearTimeout(throttleTimer);
  const text = slowDownHint(limits.chat_per_second);
  if (hint.textContent !== text) hint.textContent = text;
  sendButton.setAttribute('aria-disabled', 'true');
  const wait = rate.msUntilToken(performance.now());
  throttleTimer = setTimeout(recheckHold, Math.max(wait, 1));
}

/** Keeps holding back while the rate still says wait, and lets go once a line may be sent. */
function recheckHold() {
  if (rate.msUntilToken(performance.now()) > 0) holdBack();
  else releaseHold();
}

function releaseHold() {
  clearTimeout(throttleTimer);
  throttleTimer = undefined;
  hint.textContent = '';
  sendButton.removeAttribute('aria-disabled');
}

function updateCounter() {
  const problem = chatLimitProblem(input.value, limits);
  counter.textContent = `${countChars(input.value)}/${limits.max_chat_chars}`;
  counter.classList.toggle('over', problem !== null);
  counter.title = problem ?? 'Characters used of the server limit';
}

// ---------------------------------------------------------------------------------------------
// Wiring.

const { url: serverUrl, error: urlError } = serverUrlFor(window.location);
byId('server-url').textContent = serverUrl;
if (urlError) logLine('error', urlError);

// On a phone the panel would push the chat off screen: start it closed there.
if (window.matchMedia('(max-width: 720px)').matches) statusPanel.open = false;

const status = startStatusPanel({
  panel: statusPanel,
  url: statusUrlFor(serverUrl),
  onStatus: (s) => {
    if (s.limits) applyLimits(s.limits);
  },
});

const connection = new ReconnectingSocket(serverUrl, {
  onConnecting: () => {
    setState('connecting', 'Connecting');
    // The bar stays up during a retry, but its countdown has run out: say what is happening.
    clearInterval(countdownTimer);
    reconnectText.textContent = 'Connecting…';
    logLine('info', 'Connecting to server...');
  },
  onOpen: () => {
    // The server starts every connection with a full bucket and forgets the old one's lines.
    rate.reset(performance.now());
    releaseHold();
    ownLines = [];
    hideCountdown();
    setState('connected', 'Connected');
    logLine('success', 'Connected successfully');
  },
  onMessage: (bytes) => {
    let event;
    try {
      event = decodeEvent(bytes);
    } catch (error) {
      // Like the server, a frame that does not decode is reported and skipped, not fatal.
      console.warn('Ignoring an undecodable packet', error);
      return;
    }
    if (event === null) return;
    switch (event.kind) {
      case 'id':
        myId = event.id;
        setState('connected', `Connected as Client ${myId}`);
        logLine('info', `Received client ID: ${myId}`);
        // A restarted server may have other limits, and the client count just changed.
        void status.refresh();
        break;
      case 'chat':
        logChat(`Client ${event.from}`, event.text, false);
        break;
      case 'deny':
        markUndelivered(event.reason);
        logLine('error', `Server refused: ${event.reason || 'no reason given'}`);
        break;
      case 'left':
        logLine('info', event.reason ? `Client ${event.who} left (${event.reason})` : `Client ${event.who} left`);
        break;
    }
  },
  onClose: ({ code, reason, wasOpen }) => {
    myId = 0;
    setState('disconnected', 'Disconnected');
    const detail = `code ${code}, ${reason || describeCloseCode(code)}`;
    // "Connection closed" is the Godot client's wording; a failed attempt says so instead.
    logLine(wasOpen ? 'warning' : 'error', wasOpen ? `Connection closed (${detail})` : `Could not connect to server (${detail})`);
  },
  onRetryScheduled: ({ at, attempt }) => {
    const seconds = ((at - Date.now()) / 1000).toFixed(1);
    logLine('info', `Reconnecting in ${seconds} s (attempt ${attempt})`);
    showCountdown(at, attempt);
  },
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  if (isBlank(text)) {
    input.value = '';
    updateCounter();
    input.focus();
    return;
  }
  const problem = chatLimitProblem(text, limits);
  if (problem !== null) {
    logLine('error', problem);
  } else if (!connection.isOpen) {
    // Keep the text so nothing typed is lost; it can be sent once the connection is back.
    logLine('warning', 'Not connected: message not sent');
  } else if (!rate.tryTake(performance.now())) {
    // Kept in the input too: the server would refuse it now, but not in a moment.
    holdBack();
  } else if (connection.send(encodeChat(text))) {
    // The server does not echo a sender's own lines, so the client shows them itself.
    ownLines.push(logChat('You', text, true));
    if (ownLines.length > MAX_PENDING_OWN_LINES) ownLines.shift();
    input.value = '';
    updateCounter();
  } else {
    logLine('warning', 'Not connected: message not sent');
  }
  input.focus();
});

input.addEventListener('input', updateCounter);

reconnectNow.addEventListener('click', () => {
  connection.connect();
  input.focus();
});

// Coming back online (laptop lid, train tunnel) is a good moment to skip the rest of the wait.
window.addEventListener('online', () => {
  if (!connection.isOpen) connection.connect();
});

applyLimits(limits);
// On touch screens focusing would pop up the keyboard over the log before anyone asked.
if (!window.matchMedia('(pointer: coarse)').matches) input.focus();
connection.connect();
