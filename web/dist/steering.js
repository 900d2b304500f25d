// Steering without the page: which way the player points (from the pointer's place relative to
// the own player, or from the arrow keys), and when that is worth telling the server: only when
// the direction changed meaningfully, and never more often than once a tick, the fastest the
// server can use it. Free of the DOM and of clocks (time is passed in), so Node tests import it.

/**
 * A change of direction smaller than this (radians, 2°) is not sent: at 150 units/s it moves
 * the player's aim by about 5 units a second, which no one can see, and a pointer that rests
 * while the hand trembles would otherwise send on every tick.
 */
export const MIN_TURN = Math.PI / 90;

/**
 * How far (CSS pixels) the pointer must be from the own player's centre to steer: closer, its
 * direction jumps with every pixel, so it keeps the last one.
 */
export const DEAD_ZONE_PX = 6;

const TAU = 2 * Math.PI;

/**
 * `angle` in [0, 2π).
 * @param {number} angle
 */
export function normalizeAngle(angle) {
  const a = angle % TAU;
  return a < 0 ? a + TAU : a;
}

/**
 * The smallest turn between two directions, in radians (0 to π).
 * @param {number} a
 * @param {number} b
 */
export function angleBetween(a, b) {
  const d = normalizeAngle(a - b);
  return d > Math.PI ? TAU - d : d;
}

/**
 * The direction from the own player to a point `dx`, `dy` away on screen (y grows downwards,
 * as in the world), or `null` inside the dead zone.
 * @param {number} dx
 * @param {number} dy
 * @returns {number | null}
 */
export function directionTo(dx, dy) {
  if (Math.hypot(dx, dy) < DEAD_ZONE_PX) return null;
  return normalizeAngle(Math.atan2(dy, dx));
}

/**
 * The direction the held arrow keys (or WASD) point to, eight ways, or `null` when they cancel
 * out or none is held.
 * @param {{left: boolean, right: boolean, up: boolean, down: boolean}} keys
 * @returns {number | null}
 */
export function directionOfKeys({ left, right, up, down }) {
  const dx = (right ? 1 : 0) - (left ? 1 : 0);
  const dy = (down ? 1 : 0) - (up ? 1 : 0);
  if (dx === 0 && dy === 0) return null;
  return normalizeAngle(Math.atan2(dy, dx));
}

/**
 * What the player wants and what the server was last told. `aim` records a wish at any rate
 * (every pointer move); `take` says what to send now, if anything: the wish, when it differs
 * from what was sent by `MIN_TURN` or more and a tick has passed since the last send. A wish
 * that must wait is not lost: `take` returns it once the tick has passed, so the last direction
 * the player chose always reaches the server.
 */
export class Steering {
  /** @param {number} tickRate the world's ticks per second */
  constructor(tickRate) {
    /** The least time between two sends, in milliseconds: one tick. */
    this.intervalMs = 1000 / (tickRate > 0 ? tickRate : 20);
    /** @type {number | null} the direction the player wants, in [0, 2π) */
    this.wanted = null;
    /** @type {number | null} the direction last sent */
    this.sent = null;
    this.sentAt = -Infinity;
  }

  /**
   * The player points somewhere (a `null` direction changes nothing).
   * @param {number | null} direction radians
   */
  aim(direction) {
    if (direction === null || !Number.isFinite(direction)) return;
    this.wanted = normalizeAngle(direction);
  }

  /** Whether the wish differs enough from what the server was told to be worth sending. */
  get pending() {
    if (this.wanted === null) return false;
    return this.sent === null || angleBetween(this.wanted, this.sent) >= MIN_TURN;
  }

  /**
   * Milliseconds until `take` would give something to send; 0 when it would now, `Infinity`
   * when nothing is pending.
   * @param {number} now
   */
  msUntilDue(now) {
    if (!this.pending) return Infinity;
    return Math.max(0, this.sentAt + this.intervalMs - now);
  }

  /**
   * The direction to send now, counted as sent, or `null` when nothing is due.
   * @param {number} now milliseconds
   * @returns {number | null}
   */
  take(now) {
    if (this.msUntilDue(now) > 0) return null;
    this.sent = this.wanted;
    this.sentAt = now;
    return this.sent;
  }

  /**
   * What was taken could not be sent after all (the connection is gone): it is still wanted.
   */
  unsent() {
    this.sent = null;
    this.sentAt = -Infinity;
  }
}
