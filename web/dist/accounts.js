// Accounts as the web client sees them, without the page: what the server allows (from
// `GET /api/status`'s `accounts`), the checks made before a login or registration is sent, and
// the small state machine a connection goes through before chatting (connecting → logging in
// → chatting), the way the tutorial's client becomes one in its lessons 4–5. Free of the DOM,
// so Node tests import it.

/**
 * What the server says about accounts: `enabled` (it has them), `requireLogin` (guests may not
 * chat), `available` (its database answers now).
 * @typedef {{enabled: boolean, requireLogin: boolean, available: boolean}} AccountsPolicy
 */

/** A server that says nothing about accounts has none: the page goes straight to chat. */
export const NO_ACCOUNTS = Object.freeze({ enabled: false, requireLogin: false, available: false });

/**
 * The policy from a `/api/status` answer (`null` when there was none).
 * @param {{accounts?: {enabled?: boolean, require_login?: boolean, available?: boolean}} | null} status
 * @returns {AccountsPolicy}
 */
export function accountsPolicy(status) {
  const accounts = status?.accounts;
  if (accounts === undefined || accounts === null || accounts.enabled !== true) return NO_ACCOUNTS;
  return { enabled: true, requireLogin: accounts.require_login === true, available: accounts.available !== false };
}

/**
 * Limits on names and passwords, when the server reports them in `limits` (the server is the
 * judge; these only save a round trip). Absent ones are not checked here.
 * @typedef {{max_username_chars?: number, min_password_chars?: number, max_password_chars?: number}} AccountLimits
 */

/**
 * Why this login or registration would not be worth sending, or `null` when it is. The
 * username is taken as trimmed (the server refuses surrounding spaces); the password as typed.
 * @param {string} username trimmed
 * @param {string} password
 * @param {AccountLimits} limits
 * @returns {string | null}
 */
export function credentialsProblem(username, password, limits) {
  if (username === '') return 'Type a username';
  if (password === '') return 'Type a password';
  const nameChars = [...username].length;
  if (limits.max_username_chars !== undefined && nameChars > limits.max_username_chars) {
    return `Usernames have at most ${limits.max_username_chars} characters`;
  }
  const passwordChars = [...password].length;
  if (limits.min_password_chars !== undefined && passwordChars < limits.min_password_chars) {
    return `Passwords have at least ${limits.min_password_chars} characters`;
  }
  if (limits.max_password_chars !== undefined && passwordChars > limits.max_password_chars) {
    return `Passwords have at most ${limits.max_password_chars} characters`;
  }
  return null;
}

/**
 * A colour for a new account, as the tutorial's client sends one: RGBA with 8 bits each and
 * full opacity, read as a signed 32-bit number (protobuf `int32`).
 * @param {() => number} [random] numbers in [0, 1), replaceable in tests
 * @returns {number}
 */
export function randomColor(random = Math.random) {
  // A bright hue: one channel full, one low, one anywhere.
  const channels = [255, 64, Math.floor(random() * 256)];
  const shift = Math.floor(random() * 3);
  const [r, g, b] = [0, 1, 2].map((i) => channels[(i + shift) % 3]);
  return ((r << 24) | (g << 16) | (b << 8) | 0xff) | 0;
}

/**
 * Where a connection is on its way to chatting:
 * - `connecting`: no ID from the server yet (first connect or a reconnect);
 * - `choosing`: connected, the login screen waits for the player;
 * - `logging-in`, `registering`: a request is out, its answer not in;
 * - `chatting`: logged in, or a guest;
 * - `stopped`: the server closed this connection for a reason a reconnect would only repeat
 *   (the account logged in elsewhere); nothing happens until the player reconnects.
 * @typedef {'connecting' | 'choosing' | 'logging-in' | 'registering' | 'chatting' | 'stopped'} FlowState
 */

/**
 * What the page is to do after a step: send a request, or enter the chat (join a room).
 * @typedef {{send: 'login' | 'register', username: string, password: string}
 *   | {enterChat: true}
 *   | {problem: string}
 *   | null} FlowAction
 */

/**
 * One page's way from connecting to chatting. It remembers, for the page's life only (never
 * stored), how the player last got in, so a reconnect goes back the same way: the same
 * account's login again, or as a guest again.
 */
export class LoginFlow {
  constructor() {
    /** @type {FlowState} */
    this.state = 'connecting';
    /** @type {AccountsPolicy} */
    this.policy = NO_ACCOUNTS;
    /** The account logged in, `""` for a guest or before login. */
    this.name = '';
    /**
     * How the player got in last, to get in again after a reconnect: an account's
     * credentials, `guest`, or `null` (not yet, or the server refused them since).
     * @type {{username: string, password: string} | 'guest' | null}
     */
    this.way = null;
    /** @type {{username: string, password: string} | null} the request waiting for its answer */
    this.pending = null;
    /** Whether `pending` is a login made by the page itself after a reconnect or registration. */
    this.automatic = false;
    /** The last refusal or reason to show on the login screen, `""` for none. */
    this.error = '';
    /** What the login screen says besides errors (`Account created…`), `""` for nothing. */
    this.notice = '';
  }

  /**
   * Whether the login screen is what the player sees: on a server with accounts, until the
   * player is in. A player who was in stays with the chat while the page reconnects and gets
   * back in the same way.
   */
  get showsLogin() {
    return this.policy.enabled && this.state !== 'chatting' && this.way === null;
  }

  /** Whether the player may play without an account on this server. */
  get guestsAllowed() {
    return !this.policy.requireLogin;
  }

  /** @param {AccountsPolicy} policy */
  setPolicy(policy) {
    this.policy = policy;
  }

  /**
   * The server has given this connection its ID: straight to chat on a server without
   * accounts; otherwise back in the way the player got in before, or the login screen.
   * @returns {FlowAction}
   */
  connected() {
    this.pending = null;
    this.notice = '';
    if (!this.policy.enabled || (this.way === 'guest' && this.guestsAllowed)) {
      this.state = 'chatting';
      this.name = '';
      return { enterChat: true };
    }
    if (this.way !== null && this.way !== 'guest') {
      this.state = 'logging-in';
      this.pending = this.way;
      this.automatic = true;
      return { send: 'login', ...this.way };
    }
    this.state = 'choosing';
    return null;
  }

  /**
   * The player asks to log in.
   * @param {string} username as typed (trimmed here)
   * @param {string} password
   * @param {AccountLimits} [limits]
   * @returns {FlowAction}
   */
  login(username, password, limits = {}) {
    return this.request('login', username, password, limits);
  }

  /**
   * The player asks to create an account (then logged into once the server has it).
   * @param {string} username as typed (trimmed here)
   * @param {string} password
   * @param {AccountLimits} [limits]
   * @returns {FlowAction}
   */
  register(username, password, limits = {}) {
    return this.request('register', username, password, limits);
  }

  /**
   * @param {'login' | 'register'} kind
   * @param {string} typedName
   * @param {string} password
   * @param {AccountLimits} limits
   * @returns {FlowAction}
   */
  request(kind, typedName, password, limits) {
    if (this.state !== 'choosing') return { problem: this.state === 'stopped' || this.state === 'connecting' ? 'Not connected yet' : 'Wait for the answer' };
    const username = typedName.trim();
    const problem = credentialsProblem(username, password, limits);
    if (problem !== null) {
      this.error = problem;
      return { problem };
    }
    this.error = '';
    this.notice = '';
    this.state = kind === 'login' ? 'logging-in' : 'registering';
    this.pending = { username, password };
    this.automatic = false;
    return { send: kind, username, password };
  }

  /**
   * The player chooses to play without an account.
   * @returns {FlowAction}
   */
  playAsGuest() {
    if (!this.guestsAllowed) return { problem: 'This server needs you to log in' };
    if (this.state !== 'choosing') return { problem: 'Not connected yet' };
    this.state = 'chatting';
    this.name = '';
    this.way = 'guest';
    this.error = '';
    return { enterChat: true };
  }

  /**
   * The server accepted something. While a login or registration is out, it is that one's
   * answer (nothing else is sent before chatting); otherwise it is not the flow's.
   * @returns {FlowAction | undefined} `undefined` when the answer was not the flow's
   */
  accepted() {
    const pending = this.pending;
    if (pending === null) return undefined;
    if (this.state === 'registering') {
      // Registering does not log in; the tutorial's client logs in next, and so does this one.
      this.state = 'logging-in';
      this.automatic = true;
      this.notice = `Account ${pending.username} created; logging in…`;
      return { send: 'login', ...pending };
    }
    if (this.state !== 'logging-in') return undefined;
    this.pending = null;
    this.state = 'chatting';
    this.name = pending.username;
    this.way = pending;
    this.notice = '';
    this.error = '';
    return { enterChat: true };
  }

  /**
   * The server refused something. While a login or registration is out, it is that one's
   * refusal: the login screen shows the reason, and a login the page made by itself is not
   * made again.
   * @param {string} reason
   * @returns {boolean} whether the refusal was the flow's
   */
  refused(reason) {
    if (this.pending === null || (this.state !== 'logging-in' && this.state !== 'registering')) return false;
    if (this.automatic) this.way = null;
    this.pending = null;
    this.state = 'choosing';
    this.error = reason || 'Refused by the server';
    return true;
  }

  /**
   * The connection closed. `stopReason` is set when the server closed it for a reason a
   * reconnect would only repeat: the page then waits for the player, and asks for the password
   * again rather than throwing the other session out in turn.
   * @param {string} [stopReason]
   */
  closed(stopReason) {
    this.pending = null;
    this.notice = '';
    if (stopReason) {
      this.state = 'stopped';
      this.way = null;
      this.name = '';
      this.error = stopReason;
      return;
    }
    if (this.state !== 'stopped') this.state = 'connecting';
  }

  /** The player asked to reconnect after a stop. */
  reconnecting() {
    this.state = 'connecting';
  }
}

/**
 * Whether the server closed a connection because its account logged in elsewhere, from the
 * close reason or the `DisconnectMessage` sent before it: reconnecting would throw the newer
 * session out in turn.
 * @param {string} reason
 * @returns {boolean}
 */
export function isLoggedInElsewhere(reason) {
  return /logged in elsewhere/i.test(reason);
}
