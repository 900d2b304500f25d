// The web page's behaviour: connects to the server, logs in or plays as a guest where the
// server has accounts (the login screen), joins a room (the lobby, or after a reconnect the
// room it was in), shows what happens in the chat log the way the Godot client does
// (protocol.md, behaviour 7), keeps the room header, member list and room list current, sends
// what the player types (chat, or /join NAME, /rooms, /who), plays the room's world when the
// player presses Play (the game: world.js keeps its state, game.js draws it and reads the
// pointer, this file sends and receives), and keeps the server status panel running. It alone
// owns the connection. Everything a user or the server supplies is inserted as text
// (textContent), never as HTML.

import { LoginFlow, accountsPolicy, isLoggedInElsewhere, randomColor } from './accounts.js';
import { ReconnectingSocket, describeCloseCode, describeConnectFailure, serverUrlFor, statusUrlFor } from './connection.js';
import {
  DEFAULT_LIMITS,
  LOBBY,
  RateLimiter,
  chatLimitProblem,
  countChars,
  decodeEvent,
  displayName,
  encodeChat,
  encodeEnterWorld,
  encodeJoinRoom,
  encodeLeaveWorld,
  encodeLogin,
  encodeMemberListRequest,
  encodePlayerDirection,
  encodeRegister,
  encodeRoomListRequest,
  isBlank,
  roomNameProblem,
  slowDownHint,
} from './protocol.js';
import { COMMAND_USAGE, RoomState, describeRoomList, formatSentAt, parseTypedLine, withLobby } from './rooms.js';
import { startStatusPanel } from './status.js';
import { GameView } from './game.js';
import { Steering } from './steering.js';
import { WorldState } from './world.js';

/** Oldest lines are dropped past this, so a chat left open for days does not grow without end. */
const MAX_LOG_LINES = 1000;

/**
 * The page's copies of the rate limits refill this much slower than the server's, so a line sent
 * the moment the page allows it is not refused because the network delivered it a few
 * milliseconds closer to the previous one than it was sent (5%: about 50 ms at one line a second).
 */
const RATE_MARGIN = 0.95;

/** Own lines remembered per connection for marking a refusal; a refusal comes within a round trip. */
const MAX_PENDING_OWN_LINES = 50;

/** Joins remembered per connection for telling their answers apart; answers come within a round trip. */
const MAX_PENDING_JOINS = 50;

/**
 * How long Play waits for the server's answer before saying there is none. A server with worlds
 * answers at once (or refuses); one without them ignores the request (docs/protocol.md), and
 * the player should not be left waiting for ever.
 */
const ENTER_ANSWER_MS = 8000;

/**
 * How close to its end (in CSS pixels) the log counts as scrolled to the end: scroll positions
 * are fractional on high-density screens, so "exactly at the end" can be off by a pixel.
 */
const LOG_END_SLACK_PX = 4;

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
const roomNameEl = byId('room-name');
const roomCountEl = byId('room-count');
const roomPanel = /** @type {HTMLDetailsElement} */ (byId('room-panel'));
const membersEl = byId('members');
const membersEmpty = byId('members-empty');
const memberCount = byId('member-count');
const joinForm = /** @type {HTMLFormElement} */ (byId('join-form'));
const roomInput = /** @type {HTMLInputElement} */ (byId('room-input'));
const joinHint = byId('join-hint');
const roomsEl = byId('rooms');
const roomsEmpty = byId('rooms-empty');
const roomsRefresh = /** @type {HTMLButtonElement} */ (byId('rooms-refresh'));
const loginForm = /** @type {HTMLFormElement} */ (byId('login-form'));
const loginNote = byId('login-note');
const loginError = byId('login-error');
const usernameInput = /** @type {HTMLInputElement} */ (byId('login-username'));
const passwordInput = /** @type {HTMLInputElement} */ (byId('login-password'));
const loginButton = /** @type {HTMLButtonElement} */ (byId('login-submit'));
const registerButton = /** @type {HTMLButtonElement} */ (byId('register'));
const guestButton = /** @type {HTMLButtonElement} */ (byId('guest'));
const playButton = /** @type {HTMLButtonElement} */ (byId('play'));
const leaveButton = /** @type {HTMLButtonElement} */ (byId('leave'));

/** @type {import('./protocol.js').ServerLimits & import('./accounts.js').AccountLimits} */
let limits = { ...DEFAULT_LIMITS };
/** This client's ID on the current connection, once the server has said it. */
let myId = 0;
/** Counts connections opened, so work begun for one is dropped once another has replaced it. */
let connectionNumber = 0;
/** From connecting to chatting: the login screen's state, and how to get back in after a reconnect. */
const flow = new LoginFlow();
/**
 * The reason of a `DisconnectMessage` about this client (the server is about to close the
 * connection), shown and weighed when the close comes; `""` for none.
 */
let closingReason = '';
/**
 * Whether this connection has sent a message of this project's (field 100 or above), which
 * shows the server it is not the tutorial's client (docs/protocol.md, "opt-in").
 */
let shownRoomAware = false;
/**
 * The server's limit on messages as this page sees it, so lines it would refuse are held back.
 * Every message counts, not only chat: joins and room list requests take from it too.
 */
const rate = new RateLimiter(limits.chat_per_second * RATE_MARGIN, limits.chat_burst, performance.now());
/** The server's limit on room changes as this page sees it. */
const joinRate = new RateLimiter(limits.join_per_second * RATE_MARGIN, limits.join_burst, performance.now());
/** The room this page is in and who is there, from the server's RoomMessage and presence. */
const room = new RoomState();
/** The room to return to after a reconnect: the last one the server confirmed (`""`: lobby). */
let homeRoom = '';
/**
 * Rooms asked for and not answered yet, oldest first. The server answers every join, in order,
 * with a RoomMessage or a refusal, so each answer belongs to the oldest. A refusal that arrives
 * while a join is waiting is taken as the join's: this page holds back the chat lines the server
 * would refuse, so a chat refusal then is rare (it is shown as the join's, and the RoomMessage
 * that follows still moves the page).
 * @type {string[]}
 */
let pendingJoins = [];
/** Room lists still to be written into the log: one per `/rooms` typed. */
let roomListsForLog = 0;
/** @type {{name: string, members: number}[] | null} the room list last received */
let roomList = null;
/**
 * Where the page is with the game: `idle` (not playing; Play shows), `entering` (Play sent, no
 * answer yet), `playing` (from `WorldEnteredMessage`), `leaving` (Leave sent: nothing more is
 * drawn, and what the server sends until its `WorldLeftMessage` is dropped).
 * @type {'idle' | 'entering' | 'playing' | 'leaving'}
 */
let play = 'idle';
/** @type {WorldState | null} the world played in, from its `WorldEnteredMessage` to its end */
let world = null;
/** @type {Steering | null} what the player wants to steer to, and what the server was told */
let steering = null;
/** Whether to press Play again once back in the room after a reconnect (the game was on). */
let playAfterRejoin = false;
/** @type {ReturnType<typeof setTimeout> | undefined} gives up on an unanswered Play */
let enterTimer;

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
 * Whether the log follows new lines. This is the reader's choice, made by scrolling: scrolling
 * up stops it, scrolling back to the end starts it again. It is kept as state rather than
 * measured when a line arrives, because the log also changes size by itself (the
 * "Reconnecting…" bar, a panel opened on a phone, a window resized): a reader who has not
 * scrolled up must still see the newest line afterwards.
 */
let followingLog = true;
/** The log's scroll position as last seen, to tell the reader scrolling up from anything else. */
let lastLogTop = 0;

/** Scrolls the log to its end. */
function pinLog() {
  logEl.scrollTop = logEl.scrollHeight;
  lastLogTop = logEl.scrollTop;
}

logEl.addEventListener(
  'scroll',
  () => {
    const top = logEl.scrollTop;
    if (logEl.scrollHeight - top - logEl.clientHeight <= LOG_END_SLACK_PX) followingLog = true;
    // Only a move up is the reader's: the page's own pinning moves down, and a log that grows
    // taller may move up only as far as its end.
    else if (top < lastLogTop) followingLog = false;
    lastLogTop = top;
  },
  { passive: true },
);

// The log shrinks or grows without a line being added: keep its end in view if it was.
new ResizeObserver(() => {
  if (followingLog) pinLog();
}).observe(logEl);

/**
 * Appends a line, and keeps the newest line in view unless the reader has scrolled up (so
 * someone reading back is not yanked down by new messages).
 * @param {HTMLElement} line
 */
function append(line) {
  logEl.append(line);
  while (logEl.childElementCount > MAX_LOG_LINES) logEl.firstElementChild?.remove();
  if (followingLog) pinLog();
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
 * A chat line: when it was said, then `sender: text`. A line of the room's history carries the
 * time the server took it; a live line the time it was sent (own lines) or arrived.
 * @param {string} sender
 * @param {string} text
 * @param {boolean} mine whether this client sent it (styled a little differently)
 * @param {number} [sentAtMs] for a history line: its time (Unix milliseconds)
 * @returns {HTMLElement} the line
 */
function logChat(sender, text, mine, sentAtMs) {
  const line = document.createElement('p');
  line.className = `line chat${mine ? ' mine' : ''}${sentAtMs === undefined ? '' : ' history'}`;
  const atMs = sentAtMs ?? Date.now();
  const at = new Date(atMs);
  // A time no Date can hold (the server would not send one) is left out, not fatal.
  if (!Number.isNaN(at.getTime())) {
    const time = document.createElement('time');
    time.className = 'sent-at';
    time.dateTime = at.toISOString();
    time.title = at.toLocaleString();
    time.textContent = formatSentAt(atMs, Date.now());
    line.append(time, ' ');
  }
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

/** @param {import('./protocol.js').ServerLimits & import('./accounts.js').AccountLimits} next */
function applyLimits(next) {
  limits = { ...DEFAULT_LIMITS, ...next };
  rate.configure(limits.chat_per_second * RATE_MARGIN, limits.chat_burst, performance.now());
  joinRate.configure(limits.join_per_second * RATE_MARGIN, limits.join_burst, performance.now());
  // A hint shown under the old limits is re-checked (and reworded) under the new ones.
  if (throttleTimer !== undefined) recheckHold();
  // maxlength counts UTF-16 units, the server counts code points: an emoji is 2 here and 1
  // there, so this can only ever be stricter than the server, never let too much through.
  input.maxLength = limits.max_chat_chars;
  roomInput.maxLength = limits.max_room_name_chars;
  // Account limits only when the server reports them; it judges either way.
  if (limits.max_username_chars !== undefined) usernameInput.maxLength = limits.max_username_chars;
  if (limits.max_password_chars !== undefined) passwordInput.maxLength = limits.max_password_chars;
  updateCounter();
  checkRoomInput();
  // Whether a room is full depends on the limit.
  renderRoomList();
}

// ---------------------------------------------------------------------------------------------
// Sending no faster than the server allows: a line that would be refused for its rate stays in
// the input, a hint under it says why, Send looks disabled, and the line goes by itself as soon
// as the server would take it (unless the player clears the input meanwhile; what the input
// holds then is what goes). The input keeps the focus throughout.

/** @type {ReturnType<typeof setTimeout> | undefined} */
let throttleTimer;
/** Whether what the input holds is to be sent by itself once the rate allows. */
let sendWhenAllowed = false;

/** The hint under the input while lines are held back. */
function holdHint() {
  const rateText = slowDownHint(limits.chat_per_second);
  return sendWhenAllowed ? `${rateText}. Yours goes by itself in a moment.` : rateText;
}

/** Shows the hint and re-checks when the next line may be sent. */
function holdBack() {
  clearTimeout(throttleTimer);
  const text = holdHint();
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
  if (sendWhenAllowed) {
    sendWhenAllowed = false;
    // Sent as if Enter were pressed now; the same checks apply.
    if (!isBlank(input.value) && !form.hidden) form.requestSubmit();
  }
}

function updateCounter() {
  const problem = chatLimitProblem(input.value, limits);
  counter.textContent = `${countChars(input.value)}/${limits.max_chat_chars}`;
  counter.classList.toggle('over', problem !== null);
  counter.title = problem ?? 'Characters used of the server limit';
}

// ---------------------------------------------------------------------------------------------
// Rooms: the header above the log, the member list, the room list and the join form.

/** Sets the text of `el` only when it changes, so nothing is re-announced or re-laid out. */
function setText(/** @type {HTMLElement} */ el, /** @type {string} */ text) {
  if (el.textContent !== text) el.textContent = text;
}

/** The header and the member list, from `room` (and what to say while not in a room). */
function renderRoom() {
  const name = room.room || homeRoom || '…';
  setText(roomNameEl, name);
  document.title = room.room ? `${room.room} · mmo chat` : 'mmo chat';
  const count = room.memberCount;
  if (room.room !== '') setText(roomCountEl, `${count} here`);
  else setText(roomCountEl, !connection.isOpen ? 'not connected' : flow.showsLogin ? 'not logged in' : 'joining…');
  setText(memberCount, room.room === '' ? '' : `(${count})`);

  const items = room.memberList(myId).map(({ id, label, you }) => {
    const item = document.createElement('li');
    item.className = you ? 'member you' : 'member';
    item.dataset.id = String(id);
    const name = document.createElement('span');
    name.className = 'member-name';
    name.textContent = label;
    item.append(name);
    if (you) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = 'You';
      item.append(' ', badge);
    }
    return item;
  });
  membersEl.replaceChildren(...items);
  membersEmpty.hidden = items.length > 0;
  setText(membersEmpty, connection.isOpen ? 'Not in a room yet' : 'Not connected');
  renderPlay();
}

/**
 * The room list from the last `RoomListMessage`: one button per room, which joins it. Keyboard
 * focus on a button survives the list being redrawn (it moves to the same room's new button,
 * or to Refresh when that room is gone).
 */
function renderRoomList() {
  if (roomList === null) return;
  const focused = roomsEl.contains(document.activeElement)
    ? /** @type {HTMLElement} */ (document.activeElement).dataset.room
    : undefined;
  const items = withLobby(roomList).map(({ name, members }) => {
    const here = name === room.room;
    const full = name !== LOBBY && members >= limits.max_room_members;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'room-button';
    button.dataset.room = name;
    if (here) button.setAttribute('aria-current', 'true');
    const label = document.createElement('span');
    label.className = 'room-name';
    label.textContent = name;
    const count = document.createElement('span');
    count.className = 'room-members';
    count.textContent = full ? `${members} (full)` : String(members);
    button.append(label, count);
    const people = `${members} ${members === 1 ? 'member' : 'members'}`;
    button.setAttribute('aria-label', `${name}, ${people}${full ? ', full' : ''}${here ? ', you are here' : ''}`);
    button.title = here ? `You are in ${name}` : `Join ${name}`;
    const item = document.createElement('li');
    item.append(button);
    return item;
  });
  roomsEl.replaceChildren(...items);
  roomsEmpty.hidden = items.length > 0;
  setText(roomsEmpty, 'No rooms');
  if (focused !== undefined) {
    const again = [...roomsEl.querySelectorAll('button')].find((b) => b.dataset.room === focused);
    (again ?? roomsRefresh).focus();
  }
}

/** Whether the join hint is about what the room input holds (and goes once that is fixed). */
let joinHintIsAboutInput = false;

/**
 * Shows, under the join form, why a join or refresh from the side panel was not sent; `""`
 * clears it.
 * @param {string} text
 */
function showJoinHint(text, aboutInput = false) {
  setText(joinHint, text);
  joinHintIsAboutInput = aboutInput && text !== '';
}

/**
 * Words for what `requestJoin` or `requestRoomList` returned, for the side panel.
 * @param {string | null} problem
 */
function panelHintFor(problem) {
  if (problem === null) return '';
  if (problem === 'rate' || problem === 'offline' || problem === 'join-rate') return describeNotSent(problem);
  return problem;
}

/** Marks the room input invalid while what it holds is not a room name the server takes. */
function checkRoomInput() {
  const problem = roomNameProblem(roomInput.value.trim(), limits.max_room_name_chars);
  roomInput.setAttribute('aria-invalid', String(problem !== null));
  if (problem !== null) showJoinHint(sentence(problem), true);
  // A hint about something else (a refresh that was too fast) stays until the next action.
  else if (joinHintIsAboutInput) showJoinHint('');
}

/** `text` with a capital first letter: the server's reasons are phrases, the page shows sentences. */
function sentence(/** @type {string} */ text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Why a message other than a chat line cannot be sent now: `offline`, `rate` (the server would
 * refuse it for the message rate) or `join-rate` (for the room-change rate); `null` when it was
 * sent. A message that is sent takes its tokens; one that is not takes none.
 * @param {Uint8Array} bytes
 * @param {boolean} isJoin
 * @returns {'offline' | 'rate' | 'join-rate' | null}
 */
function sendRequest(bytes, isJoin) {
  if (!connection.isOpen) return 'offline';
  const now = performance.now();
  if (rate.msUntilToken(now) > 0) return 'rate';
  if (isJoin && joinRate.msUntilToken(now) > 0) return 'join-rate';
  rate.tryTake(now);
  if (isJoin) joinRate.tryTake(now);
  if (!connection.send(bytes)) return 'offline';
  shownRoomAware = true;
  return null;
}

/**
 * Words for why a request was not sent.
 * @param {'offline' | 'rate' | 'join-rate'} why
 * @returns {string}
 */
function describeNotSent(why) {
  if (why === 'offline') return 'Not connected: nothing sent';
  if (why === 'rate') return slowDownHint(limits.chat_per_second);
  const perSecond = limits.join_per_second;
  return `Slow down: at most ${perSecond} room ${perSecond === 1 ? 'change' : 'changes'} per second`;
}

/**
 * Asks the server to move this client to `name` (`""`: the lobby), unless the name or the rate
 * would be refused anyway.
 * @param {string} name
 * @returns {string | 'rate' | null} `null` when sent; `rate` when the message rate says wait;
 *   otherwise why it was not sent
 */
function requestJoin(name) {
  const problem = roomNameProblem(name, limits.max_room_name_chars);
  if (problem !== null) return sentence(problem);
  const why = sendRequest(encodeJoinRoom(name), true);
  if (why === 'rate') return 'rate';
  if (why !== null) return describeNotSent(why);
  pendingJoins.push(name === '' ? LOBBY : name);
  // The oldest is dropped beyond this; the answers come within a round trip, so only a page
  // whose server never answers (one from before rooms) reaches it.
  if (pendingJoins.length > MAX_PENDING_JOINS) pendingJoins.shift();
  return null;
}

/**
 * Asks for the page of the room's members after `afterId`. Not held back by the page's own
 * rate: the server allows a whole big lobby's pages in a row.
 * @param {number} afterId
 */
function requestMemberPage(afterId) {
  if (!connection.send(encodeMemberListRequest(room.room, afterId))) room.pagingAfter = null;
}

/**
 * Asks for the room list.
 * @returns {'offline' | 'rate' | 'join-rate' | null} as `sendRequest`
 */
function requestRoomList() {
  return sendRequest(encodeRoomListRequest(), false);
}

/** @param {Extract<import('./protocol.js').ChatEvent, {kind: 'room'}>} event */
function showRoom(event) {
  pendingJoins.shift();
  room.enter(event);
  homeRoom = event.room;
  if (roomInput.value.trim() === event.room) {
    roomInput.value = '';
    checkRoomInput();
  }
  renderRoom();
  renderRoomList();
  logLine('success', `In room ${event.room} (${room.memberCount} here)`);
  // A big room lists only this client: the member panel needs the rest, page by page.
  if (room.partial) requestMemberPage(room.startPaging());
  for (const line of event.history) {
    const mine = line.from === myId;
    logChat(mine ? 'You' : displayName(line.from, line.name), line.text, mine, line.sentAtMs);
  }
  // Back in the room after a reconnect: back into its game, as the player left it.
  if (playAfterRejoin) {
    playAfterRejoin = false;
    requestPlay();
  }
  // The counts have changed (this client moved): a fresh list, when the rate allows one now.
  if (roomPanel.open) requestRoomList();
}

/** @param {string} reason */
function showRefusal(reason) {
  logLine('error', `Server refused: ${reason || 'no reason given'}`);
  const wanted = pendingJoins.shift();
  if (wanted === undefined) {
    markUndelivered(reason);
    return;
  }
  if (room.room !== '') {
    logLine('info', `You are still in ${room.room}`);
  } else if (wanted !== LOBBY) {
    // The room this page was in before a reconnect would not take it back: the server has
    // put it in the lobby, so join that to learn who is there.
    logLine('info', `Could not return to ${wanted}; joining the lobby`);
    homeRoom = '';
    if (requestJoin('') !== null) renderRoom();
  }
}

/**
 * Joins once the player is in (right after the ID arrives on a server without accounts, after
 * the login or the choice to play as a guest otherwise). That shows the server this client
 * knows rooms (it then sends presence and refusals) and brings the room's members and history. After a reconnect it
 * is the room the page was in, or the lobby if that name is no longer allowed. The buckets
 * were just refilled, so this is not held back by the page's rate limits.
 */
function joinOnConnect() {
  let problem = requestJoin(homeRoom);
  if (problem !== null && homeRoom !== '') {
    logLine('info', `Could not return to ${homeRoom}: ${problem === 'rate' ? describeNotSent('rate') : problem}; joining the lobby`);
    homeRoom = '';
    problem = requestJoin('');
  }
  if (problem !== null) logLine('error', `Could not join the lobby: ${problem === 'rate' ? describeNotSent('rate') : problem}`);
}

/** `/who`: the room and its members, into the log. */
function showWho() {
  if (room.room === '') {
    logLine('info', 'Not in a room yet');
    return;
  }
  const names = room.memberList(myId).map(({ label, you }) => (you ? `${label} (you)` : label));
  const still = room.partial ? `; ${names.length} listed so far` : '';
  logLine('info', `In ${room.room} (${room.memberCount}${still}): ${names.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// The game: Play enters the world of the room the page is in, the canvas shows it until Leave
// (or the server ends it), and the pointer's direction goes to the server as the player's
// steering, at most once a tick and only when it changed meaningfully.

const game = new GameView(
  {
    root: byId('game'),
    canvas: /** @type {HTMLCanvasElement} */ (byId('game-canvas')),
    score: byId('game-score'),
    best: byId('game-best'),
    players: byId('game-players'),
    leaderboard: /** @type {HTMLOListElement} */ (byId('leaderboard')),
  },
  {
    onAim: (direction) => {
      steering?.aim(direction);
      sendSteering(performance.now());
    },
    onFrame: sendSteering,
  },
);

/** The Play button: shown in a room while not playing, marked busy while Play is unanswered. */
function renderPlay() {
  playButton.hidden = room.room === '' || play === 'playing' || play === 'leaving';
  setText(playButton, play === 'entering' ? 'Entering…' : 'Play');
  if (play === 'entering') playButton.setAttribute('aria-disabled', 'true');
  else playButton.removeAttribute('aria-disabled');
  if (play === 'playing') document.body.dataset.playing = '';
  else delete document.body.dataset.playing;
}

/**
 * Asks to play in the world of the room the page is in, with extrapolated updates (velocities
 * when they change rather than every move: less to receive, and players drawn where they are
 * now rather than a tick behind); a server that does not extrapolate says so in its answer and
 * sends moves. World messages (this, Leave, steering) have a rate limit of their own on the
 * server, apart from chat's and far above what this page sends (docs/protocol.md), so they
 * never wait for the chat's bucket nor take from it.
 */
function requestPlay() {
  if (play !== 'idle' || room.room === '') return;
  if (!connection.send(encodeEnterWorld(true))) {
    logLine('warning', describeNotSent('offline'));
    return;
  }
  play = 'entering';
  const number = connectionNumber;
  clearTimeout(enterTimer);
  enterTimer = setTimeout(() => {
    if (play !== 'entering' || number !== connectionNumber) return;
    play = 'idle';
    logLine('error', 'No answer to Play: this server may not run the game');
    renderPlay();
  }, ENTER_ANSWER_MS);
  renderPlay();
}

/** @param {Extract<import('./protocol.js').ChatEvent, {kind: 'worldEntered'}>} event */
function enterWorld(event) {
  clearTimeout(enterTimer);
  world = new WorldState(event);
  steering = new Steering(world.tickRate);
  play = 'playing';
  game.start(world);
  renderPlay();
  logLine('success', `Playing in ${event.room}: steer with the mouse, a finger or the arrow keys`);
}

/** @param {import('./protocol.js').WorldUpdate} update */
function applyWorldUpdate(update) {
  // After a Leave, what the server sent before it is of no use.
  if (world === null || play !== 'playing') return;
  const outcome = world.apply(update, performance.now());
  if (outcome.ownEatenBy !== null) logLine('warning', `Eaten by ${world.nameOf(outcome.ownEatenBy)}: you start again`);
  if (outcome.inconsistent > 0) console.warn(`A world update named ${outcome.inconsistent} things this page does not hold`);
  game.updated();
}

/** Leave: stops drawing at once, and tells the server, whose `WorldLeftMessage` ends the game. */
function leaveWorld() {
  if (play !== 'playing') return;
  playAfterRejoin = false;
  world = null;
  steering = null;
  game.stop();
  // Without a connection there is no world to leave: the server forgot the player with it.
  if (connection.send(encodeLeaveWorld())) play = 'leaving';
  else endGame();
  renderPlay();
}

/** @param {string} reason the server's; `""` when the player asked */
function worldLeft(reason) {
  const asked = play === 'leaving' || reason === '';
  endGame();
  if (asked) logLine('info', 'You left the game');
  else logLine('warning', `Out of the game: ${reason}`);
}

/** Back to not playing: the canvas hidden, the world forgotten. */
function endGame() {
  clearTimeout(enterTimer);
  play = 'idle';
  world = null;
  steering = null;
  game.stop();
  renderPlay();
}

/**
 * Sends the player's direction when steering says it is due (called on every frame and every
 * aim, so a wish held back for the tick goes as soon as the tick has passed).
 * @param {number} now `performance.now()` time
 */
function sendSteering(now) {
  if (steering === null || play !== 'playing') return;
  const direction = steering.take(now);
  if (direction !== null && !connection.send(encodePlayerDirection(direction))) steering.unsent();
}

playButton.addEventListener('click', () => {
  if (playButton.getAttribute('aria-disabled') !== 'true') requestPlay();
});
leaveButton.addEventListener('click', leaveWorld);

// `?debug` lets a person (or a test) look at the world this page holds, from the console.
if (new URLSearchParams(window.location.search).has('debug')) {
  Object.assign(window, { mmoDebug: { world: () => world, play: () => play } });
}

// ---------------------------------------------------------------------------------------------
// Wiring.

const { url: serverUrl, error: urlError } = serverUrlFor(window.location);
byId('server-url').textContent = serverUrl;
if (urlError) logLine('error', urlError);

// On a phone the panels would push the chat off screen: start them closed there.
if (window.matchMedia('(max-width: 720px)').matches) {
  statusPanel.open = false;
  roomPanel.open = false;
}

const status = startStatusPanel({
  panel: statusPanel,
  url: statusUrlFor(serverUrl),
  onStatus: (s) => {
    if (s.limits) applyLimits(s.limits);
    flow.setPolicy(accountsPolicy(s));
    renderLogin();
  },
});

// ---------------------------------------------------------------------------------------------
// The login screen, on servers with accounts: shown from connecting until the player is in
// (logged in, or a guest where the server allows guests), in place of the message box.

/** Whether the login screen was showing at the last render, to move the focus when that changes. */
let loginShown = false;

/** Shows or hides the login screen and sets its buttons and words from `flow`. */
function renderLogin() {
  const showing = flow.showsLogin;
  loginForm.hidden = !showing;
  form.hidden = showing;
  document.body.dataset.flow = flow.state;
  guestButton.hidden = !flow.guestsAllowed;
  const ready = flow.state === 'choosing';
  for (const button of [loginButton, registerButton, guestButton]) {
    if (ready) button.removeAttribute('aria-disabled');
    else button.setAttribute('aria-disabled', 'true');
  }
  setText(loginNote, loginNoteText());
  setText(loginError, flow.error === '' ? '' : sentence(flow.error));
  // The header says "not logged in" rather than "joining…" while the screen is up.
  renderRoom();
  if (showing !== loginShown) {
    loginShown = showing;
    // On touch screens focusing would pop up the keyboard before anyone asked.
    if (!window.matchMedia('(pointer: coarse)').matches) (showing ? usernameInput : input).focus();
  }
}

/** What the login screen says about where things stand. */
function loginNoteText() {
  switch (flow.state) {
    case 'connecting':
      return 'Connecting…';
    case 'logging-in':
      return flow.notice || 'Logging in…';
    case 'registering':
      return 'Creating your account…';
    case 'stopped':
      return 'Disconnected. Press "Reconnect now" to log in again.';
    default:
      if (!flow.policy.available) return 'Accounts are unavailable right now; try again shortly.';
      return flow.guestsAllowed ? 'Log in, create an account, or play as a guest.' : 'Log in or create an account to play.';
  }
}

/**
 * Does what the flow says: send a login or registration, or enter the chat.
 * @param {import('./accounts.js').FlowAction | undefined} action
 */
function act(action) {
  if (action && 'send' in action) {
    // A login or registration (fields 4, 5) as a connection's first word makes it look like
    // the tutorial's client, which the server puts into the lobby's game its way until a
    // message of ours follows (docs/protocol.md, "Tutorial-level clients"). One of ours first,
    // which the server answers with or without a login: the room list, wanted anyway.
    if (!shownRoomAware && sendRequest(encodeRoomListRequest(), false) === 'offline') {
      flow.closed();
      renderLogin();
      return;
    }
    // Every message counts against the server's rate, these too.
    rate.tryTake(performance.now());
    const bytes =
      action.send === 'login' ? encodeLogin(action.username, action.password) : encodeRegister(action.username, action.password, randomColor());
    if (!connection.send(bytes)) flow.closed();
  } else if (action && 'enterChat' in action) {
    enterChat();
  }
  renderLogin();
}

/** The player is in: say who they are to others, and join the room (the lobby at first). */
function enterChat() {
  // The password stays in the flow's memory for logging in again after a reconnect, not in a
  // hidden field of the page.
  passwordInput.value = '';
  const name = flow.name === '' ? `Client ${myId}` : flow.name;
  setState('connected', `Connected as ${name}`);
  logLine(flow.name === '' ? 'info' : 'success', flow.name === '' ? `You are ${name}` : `Logged in as ${name}`);
  joinOnConnect();
}

/**
 * The login screen's buttons, once the player may use them: false (and the reason shown) when
 * the server would refuse a message now for its rate.
 */
function mayAct() {
  if (flow.state !== 'choosing') return false;
  if (rate.msUntilToken(performance.now()) > 0) {
    flow.error = slowDownHint(limits.chat_per_second);
    renderLogin();
    return false;
  }
  return true;
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (mayAct()) act(flow.login(usernameInput.value, passwordInput.value, limits));
});

registerButton.addEventListener('click', () => {
  if (mayAct()) act(flow.register(usernameInput.value, passwordInput.value, limits));
});

guestButton.addEventListener('click', () => {
  if (flow.state === 'choosing') act(flow.playAsGuest());
});

// ---------------------------------------------------------------------------------------------
// The connection.

/**
 * The server has given this connection its ID: once what the server says about accounts is
 * known (asked again, as a restarted server may have other settings), on to the login screen
 * or straight into the chat.
 * @param {number} id
 */
async function welcome(id) {
  const number = connectionNumber;
  myId = id;
  statePill.title = `Your connection's ID is ${id}`;
  statePill.dataset.clientId = String(id);
  await status.refresh();
  // The connection closed meanwhile: the next one starts over.
  if (number !== connectionNumber || !connection.isOpen) return;
  act(flow.connected());
}

const connection = new ReconnectingSocket(serverUrl, {
  onConnecting: () => {
    setState('connecting', 'Connecting');
    // The bar stays up during a retry, but its countdown has run out: say what is happening.
    clearInterval(countdownTimer);
    reconnectText.textContent = 'Connecting…';
    logLine('info', 'Connecting to server...');
  },
  onOpen: () => {
    connectionNumber += 1;
    // The server starts every connection with full buckets and forgets the old one's lines.
    rate.reset(performance.now());
    joinRate.reset(performance.now());
    // A line held back on the old connection waits for the player's Enter on this one.
    sendWhenAllowed = false;
    releaseHold();
    ownLines = [];
    pendingJoins = [];
    closingReason = '';
    shownRoomAware = false;
    hideCountdown();
    setState('connected', 'Connected');
    logLine('success', 'Connected successfully');
    renderRoom();
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
        void welcome(event.id);
        break;
      case 'chat':
        logChat(room.nameOf(event.from), event.text, false);
        break;
      case 'ok':
        // Only logins and registrations are answered with OK.
        act(flow.accepted());
        break;
      case 'deny':
        if (flow.refused(event.reason)) {
          logLine('error', `Server refused: ${event.reason || 'no reason given'}`);
          renderLogin();
        } else if (play === 'entering' && pendingJoins.length === 0) {
          // The answer to Play: the server answers in order, and no join waits before it.
          logLine('error', `Server refused: ${event.reason || 'no reason given'}`);
          endGame();
        } else {
          showRefusal(event.reason);
        }
        break;
      case 'room':
        showRoom(event);
        break;
      case 'presence': {
        const change = room.applyPresence(event);
        if (change === null) break;
        const shown = displayName(event.who, event.name);
        if (change.kind === 'renamed') logLine('info', `${change.from} is now ${shown}`);
        else logLine('info', `${shown} ${change.kind}`);
        renderRoom();
        break;
      }
      case 'presenceBatch': {
        const change = room.applyBatch(event);
        if (change === null) break;
        const count = change.joined.length + change.left.length;
        if (count <= 5) {
          for (const m of change.joined) logLine('info', `${displayName(m.id, m.name)} joined`);
          for (const id of change.left) logLine('info', `${displayName(id, '')} left`);
        } else {
          logLine('info', `${change.joined.length} joined, ${change.left.length} left (${room.memberCount} here)`);
        }
        renderRoom();
        break;
      }
      case 'memberPage': {
        const next = room.applyPage(event);
        if (next !== null) requestMemberPage(next);
        renderRoom();
        break;
      }
      case 'rooms':
        roomList = event.rooms;
        renderRoomList();
        if (roomListsForLog > 0) {
          roomListsForLog -= 1;
          logLine('info', describeRoomList(withLobby(event.rooms)));
        }
        break;
      case 'worldEntered':
        enterWorld(event);
        break;
      case 'worldUpdate':
        applyWorldUpdate(event.update);
        break;
      case 'worldLeft':
        worldLeft(event.reason);
        break;
      case 'left':
        if (event.who === myId || event.who === 0) {
          // About this client: the server is closing the connection, and says why.
          closingReason = event.reason;
          logLine('warning', `Disconnected by the server: ${event.reason || 'no reason given'}`);
        } else {
          // Servers from before rooms; room-aware ones send presence to this client instead.
          logLine('info', event.reason ? `Client ${event.who} left (${event.reason})` : `Client ${event.who} left`);
        }
        break;
    }
  },
  onClose: ({ code, reason, wasOpen }) => {
    connectionNumber += 1;
    myId = 0;
    // The server forgets a player whose connection closed; after the reconnect the page plays
    // on in a fresh place, as it returns to its room.
    if (play === 'playing' || play === 'entering') playAfterRejoin = true;
    endGame();
    // Who is in the room is unknown from here on; the rejoin after the reconnect tells again.
    room.clear();
    pendingJoins = [];
    roomListsForLog = 0;
    renderRoom();
    renderRoomList();
    setState('disconnected', 'Disconnected');
    if (wasOpen) {
      // "Connection closed" is the Godot client's wording.
      logLine('warning', `Connection closed (code ${code}, ${reason || describeCloseCode(code)})`);
    } else {
      // The browser says nothing about why (refused, nobody listening, a wrong path, a bad
      // certificate): name the address, the one thing to check.
      logLine('error', describeConnectFailure(serverUrl));
    }
    const why = closingReason || reason;
    closingReason = '';
    if (isLoggedInElsewhere(why)) {
      // Reconnecting would log in again and throw the other session out in turn.
      connection.stopRetrying();
      flow.closed(why);
      clearInterval(countdownTimer);
      reconnectText.textContent = `Disconnected: ${why}`;
      reconnectBar.hidden = false;
    } else {
      flow.closed();
    }
    renderLogin();
  },
  onRetryScheduled: ({ at, attempt }) => {
    const seconds = ((at - Date.now()) / 1000).toFixed(1);
    logLine('info', `Reconnecting in ${seconds} s (attempt ${attempt})`);
    showCountdown(at, attempt);
  },
});

/**
 * Sends a chat line typed in the message box, or says why not; a line that is not sent stays
 * in the input.
 * @param {string} text
 */
function sendChat(text) {
  const problem = chatLimitProblem(text, limits);
  if (problem !== null) {
    logLine('error', problem);
  } else if (!connection.isOpen) {
    // Keep the text so nothing typed is lost; it can be sent once the connection is back.
    logLine('warning', 'Not connected: message not sent');
  } else if (!rate.tryTake(performance.now())) {
    // Kept in the input too: the server would refuse it now, but not in a moment, when it
    // goes by itself.
    sendWhenAllowed = true;
    holdBack();
  } else if (connection.send(encodeChat(text))) {
    // The server does not echo a sender's own lines, so the client shows them itself.
    ownLines.push(logChat('You', text, true));
    if (ownLines.length > MAX_PENDING_OWN_LINES) ownLines.shift();
    clearInput();
  } else {
    logLine('warning', 'Not connected: message not sent');
  }
}

function clearInput() {
  input.value = '';
  updateCounter();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  if (isBlank(text)) {
    clearInput();
    input.focus();
    return;
  }
  const typed = parseTypedLine(text);
  switch (typed.kind) {
    case 'chat':
      if (isBlank(typed.text)) clearInput();
      else sendChat(typed.text);
      break;
    case 'join': {
      // Like a chat line, a command that cannot go now stays in the input.
      const problem = requestJoin(typed.room);
      if (problem === 'rate') {
        sendWhenAllowed = true;
        holdBack();
      }
      else if (problem !== null) logLine('error', problem);
      else clearInput();
      break;
    }
    case 'rooms': {
      const why = requestRoomList();
      if (why === 'rate') {
        sendWhenAllowed = true;
        holdBack();
      } else if (why !== null) {
        logLine('warning', describeNotSent(why));
      } else {
        roomListsForLog += 1;
        clearInput();
      }
      break;
    }
    case 'who':
      showWho();
      clearInput();
      break;
    case 'invalid':
      // Kept in the input, to be corrected.
      logLine('warning', COMMAND_USAGE);
      break;
  }
  input.focus();
});

input.addEventListener('input', () => {
  updateCounter();
  // A held line the player takes back is not sent after all.
  if (sendWhenAllowed && isBlank(input.value)) {
    sendWhenAllowed = false;
    if (throttleTimer !== undefined) holdBack();
  }
});

// The join form: what is typed stays until the server has moved the page there, so a name
// that was held back or refused can be corrected or sent again.
joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = roomInput.value.trim();
  if (name === '') {
    showJoinHint('Type the name of a room to join', true);
    return;
  }
  showJoinHint(panelHintFor(requestJoin(name)));
  checkRoomInput();
});

roomInput.addEventListener('input', checkRoomInput);

roomsEl.addEventListener('click', (event) => {
  const button = /** @type {HTMLElement} */ (event.target).closest('button');
  const name = button?.dataset.room;
  if (name === undefined) return;
  showJoinHint(panelHintFor(requestJoin(name)));
});

roomsRefresh.addEventListener('click', () => {
  showJoinHint(panelHintFor(requestRoomList()));
});

// Opening the panel is when its list is wanted: refresh it then.
roomPanel.addEventListener('toggle', () => {
  if (roomPanel.open && room.room !== '') requestRoomList();
});

reconnectNow.addEventListener('click', () => {
  if (flow.state === 'stopped') {
    flow.reconnecting();
    renderLogin();
  }
  connection.connect();
  if (!form.hidden) input.focus();
});

// Coming back online (laptop lid, train tunnel) is a good moment to skip the rest of the wait.
window.addEventListener('online', () => {
  if (!connection.isOpen && flow.state !== 'stopped') connection.connect();
});

applyLimits(limits);
renderRoom();
renderLogin();
// What the server says about accounts decides what follows its ID: ask at once, open panel or not.
void status.refresh();
// On touch screens focusing would pop up the keyboard over the log before anyone asked.
if (!window.matchMedia('(pointer: coarse)').matches) input.focus();
connection.connect();
