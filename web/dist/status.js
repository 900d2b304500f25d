// The server status panel: polls `GET /api/status` while the panel is open and the tab is
// visible, shows clients, rooms, message rates and uptime (and, in a cluster, each server with its
// clients), and hands the server's limits to
// whoever needs them (the inputs' maxlength, the page's copies of the rate limits), with what it
// says about accounts (whether to show the login screen).

/** How often the numbers refresh while someone is looking at them. */
const POLL_INTERVAL_MS = 2000;
/** A status request slower than this is abandoned, so one stuck request cannot stop polling. */
const REQUEST_TIMEOUT_MS = 5000;

/**
 * The JSON `GET /api/status` returns.
 * @typedef {object} ServerStatus
 * @property {number} clients
 * @property {number} [rooms] rooms now, the lobby included (servers from before rooms omit it)
 * @property {number} messages_per_second
 * @property {number} deliveries_per_second
 * @property {number} uptime_seconds
 * @property {number} connections_total
 * @property {number} messages_total
 * @property {import('./protocol.js').ServerLimits} limits
 * @property {{enabled?: boolean, require_login?: boolean, available?: boolean}} [accounts]
 *   servers from before accounts omit it
 * @property {ClusterStatus} [cluster] present when the server is one of a cluster
 */

/**
 * The cluster in a `ServerStatus`: its servers alive now, the answering one first.
 * @typedef {object} ClusterStatus
 * @property {boolean} broker_connected
 * @property {number} clients every server's clients together, as each last said
 * @property {{id: number, address?: string | null, clients?: number | null, this: boolean}[]} servers
 */

/**
 * What the panel says of the cluster: a summary and one line per server, or `null` for a
 * server on its own.
 * @param {ServerStatus} status
 * @returns {{summary: string, servers: string[]} | null}
 */
export function describeCluster(status) {
  const cluster = status.cluster;
  if (!cluster) return null;
  const count = cluster.servers.length;
  const plural = (/** @type {number} */ n, /** @type {string} */ word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary = `${plural(count, 'server')}, ${plural(cluster.clients, 'client')}` +
    (cluster.broker_connected ? '' : ' (broker unreachable: rooms are local for now)');
  const servers = cluster.servers.map((server) => {
    const clients = typeof server.clients === 'number' ? plural(server.clients, 'client') : 'clients unknown';
    const where = server.address ? ` at ${server.address}` : '';
    return `Server ${server.id}${where}${server.this ? ' (this one)' : ''}: ${clients}`;
  });
  return { summary, servers };
}

/**
 * Fetches the status once.
 * @param {string} url
 * @returns {Promise<ServerStatus>}
 */
export async function fetchStatus(url) {
  const response = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return /** @type {ServerStatus} */ (await response.json());
}

/**
 * A duration for people: `42s`, `5m 03s`, `2h 05m`, `3d 4h`.
 * @param {number} seconds
 * @returns {string}
 */
export function formatUptime(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/**
 * A rate with one decimal, so 0.2 messages per second does not read as 0.
 * @param {number} perSecond
 * @returns {string}
 */
export function formatRate(perSecond) {
  return Number.isFinite(perSecond) ? perSecond.toFixed(1) : '–';
}

/**
 * Keeps the panel's numbers fresh.
 * @param {object} options
 * @param {HTMLDetailsElement} options.panel the `<details>` holding the numbers
 * @param {string} options.url the status endpoint
 * @param {(status: ServerStatus) => void} options.onStatus called with every answer
 */
export function startStatusPanel({ panel, url, onStatus }) {
  const field = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** Bumped on every reschedule, so a poll chain started earlier stops instead of doubling up. */
  let generation = 0;

  const show = (/** @type {ServerStatus} */ status) => {
    field('stat-clients').textContent = String(status.clients);
    field('stat-rooms').textContent = status.rooms === undefined ? '–' : String(status.rooms);
    field('stat-mps').textContent = formatRate(status.messages_per_second);
    field('stat-dps').textContent = formatRate(status.deliveries_per_second);
    field('stat-uptime').textContent = formatUptime(status.uptime_seconds);
    field('stat-connections').textContent = String(status.connections_total);
    field('stat-messages').textContent = String(status.messages_total);
    const cluster = describeCluster(status);
    field('stat-cluster').hidden = cluster === null;
    field('stat-cluster-summary').textContent = cluster?.summary ?? '';
    field('stat-cluster-servers').replaceChildren(...(cluster?.servers ?? []).map((line) => {
      const item = document.createElement('li');
      item.textContent = line;
      return item;
    }));
    field('stat-updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    panel.dataset.state = 'ok';
  };

  /** Set when a poll is asked for while one is running: its answer may already be out of date. */
  let again = false;
  /** @type {Promise<void> | null} the poll running now, which also covers any asked for meanwhile */
  let running = null;

  /** Fetches and shows the status; resolves (never rejects) once an answer newer than the call is in or has failed. */
  const poll = () => {
    if (running !== null) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          try {
            const status = await fetchStatus(url);
            show(status);
            onStatus(status);
          } catch (error) {
            field('stat-updated').textContent = `Status unavailable (${/** @type {Error} */ (error).message})`;
            panel.dataset.state = 'error';
          }
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };

  // Poll only while the numbers can be seen: a hidden tab or a closed panel costs the server nothing.
  const reschedule = () => {
    clearTimeout(timer);
    timer = undefined;
    generation += 1;
    const mine = generation;
    if (!panel.open || document.hidden) return;
    const tick = async () => {
      await poll();
      if (mine === generation) timer = setTimeout(tick, POLL_INTERVAL_MS);
    };
    void tick();
  };

  panel.addEventListener('toggle', reschedule);
  document.addEventListener('visibilitychange', reschedule);
  reschedule();

  return {
    /**
     * Fetches now, open or not (for the limits and accounts after a reconnect); resolves once
     * an answer fetched after the call has been handled, or failed.
     */
    refresh: poll,
  };
}
