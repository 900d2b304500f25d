// The web client's connection to the server: picks the WebSocket URL, keeps one socket open,
// and reconnects with capped exponential backoff and jitter when it closes. It knows nothing
// about the page or the protocol beyond "bytes in, bytes out", so Node tests can import it.

/** First retry waits about this long; each further failure doubles it. */
export const BACKOFF_BASE_MS = 1000;
/** No retry waits longer than this, however many attempts failed. */
export const BACKOFF_CAP_MS = 30_000;

/**
 * How long to wait before reconnect attempt number `attempt` (0 for the first retry).
 * "Equal jitter": a random point in the upper half of the exponential window. The random half
 * keeps a crowd of clients that lost the same server from coming back in lockstep; the fixed
 * half keeps any one client from retrying almost at once after a failure.
 * @param {number} attempt
 * @param {() => number} [random] a source of numbers in [0, 1), replaceable in tests
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, random = Math.random) {
  const window = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return window / 2 + random() * (window / 2);
}

/**
 * The WebSocket URL for a page at `location`: `?server=ws(s)://...` when given and valid,
 * otherwise `/ws` on the host that served the page, with `wss:` under `https:`.
 * @param {{protocol: string, host: string, search: string}} location
 * @returns {{url: string, error?: string}} `error` says why an override was ignored
 */
export function serverUrlFor(location) {
  const fallback = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
  const override = new URLSearchParams(location.search).get('server');
  if (override === null || override === '') return { url: fallback };
  try {
    const parsed = new URL(override);
    if (parsed.protocol === 'ws:' || parsed.protocol === 'wss:') return { url: parsed.href };
  } catch {
    // Not a URL at all: reported below like any other bad override.
  }
  return { url: fallback, error: `Ignoring ?server=${override}: it must be a ws:// or wss:// URL` };
}

/**
 * The HTTP URL of the server's status endpoint, next to its WebSocket endpoint.
 * @param {string} wsUrl
 * @returns {string}
 */
export function statusUrlFor(wsUrl) {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/api/status';
  url.search = '';
  url.hash = '';
  return url.href;
}

/**
 * Words for a WebSocket close code, for codes a person may see here (RFC 6455 section 7.4.1).
 * @param {number} code
 * @returns {string}
 */
export function describeCloseCode(code) {
  /** @type {Record<number, string>} */
  const names = {
    1000: 'normal closure',
    1001: 'going away',
    1002: 'protocol error',
    1003: 'unsupported data',
    1005: 'no status',
    1006: 'connection lost',
    1007: 'invalid data',
    1008: 'policy violation',
    1009: 'message too big',
    1011: 'server error',
    1012: 'service restart',
    1013: 'try again later',
  };
  return names[code] ?? 'unknown';
}

/**
 * What to say when a connection to `url` never opened. A browser is told nothing about why (a
 * refused upgrade, a wrong path, nobody listening and a bad certificate all look the same), so
 * this names the address, and says where the server's WebSocket is when the address does not
 * end in `/ws`.
 * @param {string} url
 * @returns {string}
 */
export function describeConnectFailure(url) {
  let path = '/ws';
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL: serverUrlFor never gives one, but the words below still hold.
  }
  const hint = path === '/ws' ? '' : ' (the server\'s WebSocket address ends in /ws)';
  return `Could not connect to ${url}${hint}`;
}

/**
 * @typedef {object} ConnectionEvents
 * @property {(url: string) => void} onConnecting a new socket is being opened
 * @property {() => void} onOpen the socket is open
 * @property {(data: Uint8Array) => void} onMessage one binary message arrived
 * @property {(info: {code: number, reason: string, wasOpen: boolean}) => void} onClose it closed
 *   (`stopRetrying` called from here keeps the next retry from being scheduled)
 * @property {(info: {attempt: number, at: number}) => void} onRetryScheduled next try is at `at`
 *   (a `Date.now()` time); `attempt` counts failed tries since the last open socket, from 1
 */

/** One WebSocket that comes back by itself after it closes. */
export class ReconnectingSocket {
  /**
   * @param {string} url
   * @param {ConnectionEvents} events
   * @param {{WebSocket?: typeof WebSocket, random?: () => number}} [options]
   */
  constructor(url, events, options = {}) {
    this.url = url;
    this.events = events;
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.random = options.random ?? Math.random;
    /** @type {WebSocket | null} */
    this.socket = null;
    /** Failed attempts since a socket last opened; sets the next backoff window. */
    this.failures = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** Set by `stopRetrying`: no retry is scheduled until `connect` is called again. */
    this.retriesStopped = false;
  }

  /**
   * Cancels any scheduled retry and schedules none after the next close (for a close that
   * reconnecting would only repeat, such as "logged in elsewhere"). `connect` starts again.
   */
  stopRetrying() {
    this.retriesStopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Opens the socket now, cancelling any scheduled retry. Does nothing while one is live. */
  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retriesStopped = false;
    if (this.socket !== null) return;
    this.events.onConnecting(this.url);
    const socket = new this.WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      this.failures = 0;
      this.events.onOpen();
    });
    socket.addEventListener('message', (event) => {
      // The server sends binary frames; the tutorial server also used text frames carrying
      // the same bytes, so those are accepted too rather than dropped.
      const data = typeof event.data === 'string' ? new TextEncoder().encode(event.data) : new Uint8Array(event.data);
      this.events.onMessage(data);
    });
    socket.addEventListener('close', (event) => {
      this.socket = null;
      this.events.onClose({ code: event.code, reason: event.reason, wasOpen: opened });
      this.scheduleRetry();
    });
    this.socket = socket;
  }

  /** Plans the next attempt after the backoff for the failures so far. */
  scheduleRetry() {
    if (this.retriesStopped) return;
    const delay = backoffDelay(this.failures, this.random);
    this.failures += 1;
    const at = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.events.onRetryScheduled({ attempt: this.failures, at });
  }

  /** Whether bytes can be sent now. */
  get isOpen() {
    return this.socket !== null && this.socket.readyState === this.WebSocket.OPEN;
  }

  /**
   * Sends one binary message. Returns false (and sends nothing) when not connected.
   * @param {Uint8Array} bytes
   * @returns {boolean}
   */
  send(bytes) {
    if (!this.isOpen || this.socket === null) return false;
    this.socket.send(bytes);
    return true;
  }
}
