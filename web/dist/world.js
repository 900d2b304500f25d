// The world as this client sees it, without the page: the players and spores in its view, its
// own score and view, and the live leaderboard, kept from the server's `WorldUpdateMessage`s
// (docs/protocol.md, "The world"), moves or, when the server extrapolates, velocities
// ("Extrapolated updates"), plus where to draw each thing at a given moment and the camera's
// zoom. Free of the DOM and of clocks (time is passed in), so Node tests import it.

import { displayName } from './protocol.js';

/** The server's view at r = 20 (docs/protocol.md, "The view"), until `WorldOwnState` says. */
export const DEFAULT_VIEW_HALF_WIDTH = 800;
export const DEFAULT_VIEW_HALF_HEIGHT = 450;

/**
 * How long an eaten player or spore is still drawn, shrinking into its eater, in milliseconds:
 * long enough to see who ate what, short enough not to be mistaken for something still there.
 */
export const VANISH_MS = 250;

/**
 * Most eaten things animated at once; a crowd of eats beyond it is simply not animated (the
 * oldest goes first), so a burst cannot grow the list without end.
 */
export const MAX_VANISHING = 200;

/**
 * A player in view. `x`, `y`, `radius` are the server's latest, in position units (exact
 * integers: moves add up without drift), at the latest update's tick; `vx`, `vy` its move on
 * every tick from then on (extrapolating; 0 otherwise). `fromX`, `fromY`, `fromRadius` are where
 * it was drawn when that update arrived (`since`, milliseconds): drawing fades from there to the
 * server's state over one tick, so an update never makes anything jump.
 * @typedef {object} Actor
 * @property {number} id
 * @property {string} name the account's name, `""` for a guest
 * @property {number} color RGBA as a signed 32-bit number, as the tutorial sends it
 * @property {number} x
 * @property {number} y
 * @property {number} radius
 * @property {number} vx
 * @property {number} vy
 * @property {number} fromX
 * @property {number} fromY
 * @property {number} fromRadius
 * @property {number} since
 */

/**
 * A spore in view, in position units. Spores never move or change size: they enter, and leave
 * or are eaten.
 * @typedef {{id: number, x: number, y: number, radius: number}} Spore
 */

/**
 * Something just eaten, still drawn for `VANISH_MS` as it shrinks into its eater: where it was
 * drawn when it was eaten, in world units.
 * @typedef {object} Vanishing
 * @property {'player' | 'spore'} kind
 * @property {number} id
 * @property {number} eaterId
 * @property {number} x
 * @property {number} y
 * @property {number} radius
 * @property {number} color for a player; 0 for a spore
 * @property {number} at when it was eaten (milliseconds)
 */

/**
 * What an update meant to the player, for the page to say: `ownEatenBy` the ID of who ate this
 * client's player (it has respawned elsewhere), or `null`; `ownEats` how many things this
 * client's player ate; `inconsistent` how many parts of the update named something this client
 * does not hold (a server bug: counted, skipped, never fatal).
 * @typedef {{ownEatenBy: number | null, ownEats: number, inconsistent: number}} UpdateOutcome
 */

/**
 * Decodes IDs sent sorted and delta-coded (the first as it is, each next one as the difference
 * from the one before).
 * @param {number[]} deltas
 * @returns {number[]}
 */
export function decodeDeltaIds(deltas) {
  const ids = new Array(deltas.length);
  let id = 0;
  for (let i = 0; i < deltas.length; i += 1) {
    id += deltas[i];
    ids[i] = id;
  }
  return ids;
}

/**
 * `value` of the way from `from` to `to`, with `t` held to [0, 1].
 * @param {number} from
 * @param {number} to
 * @param {number} t
 */
function lerp(from, to, t) {
  return from + (to - from) * Math.min(1, Math.max(0, t));
}

/**
 * A player's colour for the canvas. The server sends the tutorial's `int32` RGBA (what its
 * client's `Color.hex` reads: red in the top byte, alpha in the lowest), drawn opaque. A colour
 * with no alpha (the tutorial's client would draw it invisible: a guest, or an account made
 * without one) becomes a hue of its own from the player's ID, so everyone is visible and a
 * player keeps one colour.
 * @param {number} color
 * @param {number} id
 * @returns {string} a CSS colour
 */
export function playerCss(color, id) {
  if ((color & 0xff) === 0) return `hsl(${hueOf(id)} 75% 55%)`;
  return `rgb(${(color >>> 24) & 0xff} ${(color >>> 16) & 0xff} ${(color >>> 8) & 0xff})`;
}

/**
 * A spore's colour: a soft hue of its own from its ID, so a field of them is not one flat
 * colour and a spore keeps its colour while in view.
 * @param {number} id
 * @returns {string}
 */
export function sporeCss(id) {
  return `hsl(${hueOf(id)} 60% 65%)`;
}

/**
 * A hue in degrees spread by the golden angle, so neighbouring IDs get far-apart colours.
 * @param {number} id
 */
function hueOf(id) {
  return Math.round((id * 137.508) % 360);
}

/**
 * The camera's zoom, in canvas pixels per world unit, so the whole of the server's view
 * (±`halfWidth` × ±`halfHeight` around the player) fits the canvas: a player sees what the
 * server counts as its view, and more of it as the player grows. On a canvas of another shape
 * than the view, the spare side shows a little beyond it (things there are only known near the
 * view's edge).
 * @param {number} halfWidth world units
 * @param {number} halfHeight world units
 * @param {number} canvasWidth pixels
 * @param {number} canvasHeight pixels
 * @returns {number}
 */
export function zoomFor(halfWidth, halfHeight, canvasWidth, canvasHeight) {
  const w = halfWidth > 0 ? halfWidth : DEFAULT_VIEW_HALF_WIDTH;
  const h = halfHeight > 0 ? halfHeight : DEFAULT_VIEW_HALF_HEIGHT;
  return Math.min(canvasWidth / (2 * w), canvasHeight / (2 * h));
}

/**
 * One client's world: what is in its view, applied from the server's updates in the documented
 * order (leaves, eats, entries, moves or velocities, resizes, own state, leaderboard).
 *
 * Drawing: without extrapolation a player is drawn one tick behind the server, gliding from
 * where it was drawn to the latest update's place over one tick. With it, a player is drawn
 * where it is now: its place at the latest update's tick moved on by its velocity for the time
 * since (in ticks), plus what the drawing was off by when that update came, faded out over one
 * tick (the client learns of a change of course a tick late).
 */
export class WorldState {
  /**
   * The world just entered (`WorldEnteredMessage`); nothing is in view until the first update.
   * @param {{room: string, playerId: number, tickRate: number, positionScale: number, extrapolating?: boolean}} entered
   */
  constructor({ room, playerId, tickRate, positionScale, extrapolating = false }) {
    this.room = room;
    this.playerId = playerId;
    /** Whether updates carry velocities (and entrants theirs) instead of moves. */
    this.extrapolating = extrapolating;
    /** Ticks per second (20 by default); a missing one is taken as the default. */
    this.tickRate = tickRate > 0 ? tickRate : 20;
    /** Position units per world unit (8); a missing one is taken as the default. */
    this.positionScale = positionScale > 0 ? positionScale : 8;
    /** One tick, in milliseconds: how long a move takes to draw. */
    this.tickMs = 1000 / this.tickRate;
    /** The tick of the latest update (it wraps), 0 before the first. */
    this.tick = 0;
    /** Updates applied. */
    this.updates = 0;
    /** @type {Map<number, Actor>} */
    this.players = new Map();
    /** @type {Map<number, Spore>} */
    this.spores = new Map();
    this.score = 0;
    this.bestScore = 0;
    this.viewHalfWidth = DEFAULT_VIEW_HALF_WIDTH;
    this.viewHalfHeight = DEFAULT_VIEW_HALF_HEIGHT;
    /** @type {{entries: {playerId: number, name: string, score: number}[], players: number}} */
    this.leaderboard = { entries: [], players: 0 };
    /** @type {Vanishing[]} eaten things still being drawn, oldest first */
    this.vanishing = [];
    /** Parts of updates that named something not held, over the world's life. */
    this.inconsistent = 0;
  }

  /** This client's own player, when the server has shown it. */
  get me() {
    return this.players.get(this.playerId);
  }

  /**
   * How a player is shown: its account name, or `Client N` for a guest.
   * @param {number} id
   * @returns {string}
   */
  nameOf(id) {
    const known = this.players.get(id);
    if (known) return displayName(id, known.name);
    const ranked = this.leaderboard.entries.find((e) => e.playerId === id);
    return displayName(id, ranked?.name ?? '');
  }

  /**
   * Applies one `WorldUpdateMessage`, received at `now` (milliseconds).
   * @param {import('./protocol.js').WorldUpdate} update
   * @param {number} now
   * @returns {UpdateOutcome}
   */
  apply(update, now) {
    /** @type {UpdateOutcome} */
    const outcome = { ownEatenBy: null, ownEats: 0, inconsistent: 0 };
    if (this.extrapolating) {
      // The ticks between the previous update and this one changed no velocity in view: every
      // player made its move on each (the tick number wraps at 2^32).
      const gap = this.updates === 0 ? 1 : (update.tick - this.tick) >>> 0;
      this.catchUp(Math.max(0, gap - 1), now);
    }
    this.tick = update.tick;
    this.updates += 1;

    // 1. What left the view is forgotten.
    for (const id of update.playersLeft) {
      if (!this.players.delete(id)) outcome.inconsistent += 1;
    }
    for (const id of update.sporesLeft) {
      if (!this.spores.delete(id)) outcome.inconsistent += 1;
    }

    // 2. What was eaten leaves the view too, drawn a moment longer going into its eater.
    for (const { eaterId, playerId, sporeId } of update.eaten) {
      if (eaterId === this.playerId) outcome.ownEats += 1;
      if (playerId !== 0) {
        const victim = this.players.get(playerId);
        if (victim === undefined) {
          outcome.inconsistent += 1;
          continue;
        }
        const drawn = this.drawnActor(victim, now);
        this.vanish({ kind: 'player', id: playerId, eaterId, ...drawn, color: victim.color, at: now });
        this.players.delete(playerId);
        if (playerId === this.playerId) outcome.ownEatenBy = eaterId;
      } else {
        const spore = this.spores.get(sporeId);
        if (spore === undefined) {
          outcome.inconsistent += 1;
          continue;
        }
        const s = this.positionScale;
        this.vanish({ kind: 'spore', id: sporeId, eaterId, x: spore.x / s, y: spore.y / s, radius: spore.radius / s, color: 0, at: now });
        this.spores.delete(sporeId);
      }
    }

    // 3. What came into view, with its full state: drawn where it is, with nothing to glide
    // from (a respawn is a new place, not a move).
    for (const p of update.playersEntered) {
      this.players.set(p.id, {
        id: p.id,
        name: p.name,
        color: p.color,
        x: p.x,
        y: p.y,
        radius: p.radius,
        vx: this.extrapolating ? p.vx : 0,
        vy: this.extrapolating ? p.vy : 0,
        fromX: p.x,
        fromY: p.y,
        fromRadius: p.radius,
        since: now,
      });
    }
    for (const s of update.sporesEntered) this.spores.set(s.id, { id: s.id, x: s.x, y: s.y, radius: s.radius });

    // 4. and 5. Moves (or velocities) and resizes: each player glides from where it is drawn
    // now to its new state over the next tick.
    if (this.extrapolating) {
      const entered = new Set(update.playersEntered.map((p) => p.id));
      outcome.inconsistent += this.takeVelocities(update, entered);
      for (const actor of this.players.values()) {
        if (entered.has(actor.id)) continue;
        actor.x += actor.vx;
        actor.y += actor.vy;
      }
    }
    // An extrapolating client is never sent moves, and one that is not never velocities.
    const moved = this.extrapolating ? [] : decodeDeltaIds(update.movedIds);
    if (this.extrapolating) outcome.inconsistent += update.movedIds.length;
    else outcome.inconsistent += update.velocityIds.length;
    for (let i = 0; i < moved.length; i += 1) {
      const actor = this.players.get(moved[i]);
      const dx = update.movedXy[2 * i];
      const dy = update.movedXy[2 * i + 1];
      if (actor === undefined || dx === undefined || dy === undefined) {
        outcome.inconsistent += 1;
        continue;
      }
      this.startGlide(actor, now);
      actor.x += dx;
      actor.y += dy;
    }
    const resized = decodeDeltaIds(update.resizedIds);
    for (let i = 0; i < resized.length; i += 1) {
      const actor = this.players.get(resized[i]);
      const radius = update.resizedRadii[i];
      if (actor === undefined || radius === undefined) {
        outcome.inconsistent += 1;
        continue;
      }
      this.startGlide(actor, now);
      actor.radius = radius;
    }

    // 6. and 7. The client's own standing and view, and the leaderboard, when they changed.
    if (update.own !== null) {
      this.score = update.own.score;
      this.bestScore = update.own.bestScore;
      if (update.own.viewHalfWidth > 0) this.viewHalfWidth = update.own.viewHalfWidth;
      if (update.own.viewHalfHeight > 0) this.viewHalfHeight = update.own.viewHalfHeight;
    }
    if (update.leaderboard !== null) this.leaderboard = update.leaderboard;

    this.inconsistent += outcome.inconsistent;
    return outcome;
  }

  /**
   * Extrapolating, before an update is applied: every player starts a glide from where it is
   * drawn at `now` (they all move on at every update), then makes its move on each of the
   * `ticks` that sent no update.
   * @param {number} ticks
   * @param {number} now
   */
  catchUp(ticks, now) {
    for (const actor of this.players.values()) {
      this.startGlide(actor, now);
      actor.x += actor.vx * ticks;
      actor.y += actor.vy * ticks;
    }
  }

  /**
   * Extrapolating: takes the update's new velocities (`velocityIds` + `velocityXy`). A player
   * that entered in this update (`entered`) came with its own, which stands.
   * @param {import('./protocol.js').WorldUpdate} update
   * @param {Set<number>} entered
   * @returns {number} how many named a player not held
   */
  takeVelocities(update, entered) {
    let inconsistent = 0;
    const ids = decodeDeltaIds(update.velocityIds);
    for (let i = 0; i < ids.length; i += 1) {
      const actor = this.players.get(ids[i]);
      const vx = update.velocityXy[2 * i];
      const vy = update.velocityXy[2 * i + 1];
      if (actor === undefined || vx === undefined || vy === undefined) {
        inconsistent += 1;
        continue;
      }
      if (entered.has(actor.id)) continue;
      actor.vx = vx;
      actor.vy = vy;
    }
    return inconsistent;
  }

  /**
   * Starts a glide from where `actor` is drawn at `now`, once per update: a player both moved
   * and resized in one update glides from one place.
   * @param {Actor} actor
   * @param {number} now
   */
  startGlide(actor, now) {
    if (actor.since === now) return;
    const drawn = this.drawnUnits(actor, now);
    actor.fromX = drawn.x;
    actor.fromY = drawn.y;
    actor.fromRadius = drawn.radius;
    actor.since = now;
  }

  /**
   * Where and how big `actor` is drawn at `now`, in position units. The state (`x`, `y` at the
   * latest update's tick, moved on by the velocity for the ticks since it arrived) plus the
   * offset it had from where the player was drawn then, fading out over one tick. Without
   * velocities (not extrapolating) that is a glide from where it was drawn to the latest state.
   * @param {Actor} actor
   * @param {number} now
   * @returns {{x: number, y: number, radius: number}}
   */
  drawnUnits(actor, now) {
    const ticks = Math.max(0, (now - actor.since) / this.tickMs);
    const fade = 1 - Math.min(1, ticks);
    return {
      x: actor.x + actor.vx * ticks + (actor.fromX - actor.x) * fade,
      y: actor.y + actor.vy * ticks + (actor.fromY - actor.y) * fade,
      radius: lerp(actor.fromRadius, actor.radius, ticks),
    };
  }

  /**
   * Where and how big to draw `actor` at `now`, in world units (see `drawnUnits`).
   * @param {Actor} actor
   * @param {number} now
   * @returns {{x: number, y: number, radius: number}}
   */
  drawnActor(actor, now) {
    const drawn = this.drawnUnits(actor, now);
    const s = this.positionScale;
    return { x: drawn.x / s, y: drawn.y / s, radius: drawn.radius / s };
  }

  /**
   * A spore's place and size in world units.
   * @param {Spore} spore
   * @returns {{x: number, y: number, radius: number}}
   */
  sporeInWorld(spore) {
    const s = this.positionScale;
    return { x: spore.x / s, y: spore.y / s, radius: spore.radius / s };
  }

  /**
   * Where the own player is drawn at `now` (the camera's centre), or `null` while the server
   * has not shown it.
   * @param {number} now
   */
  drawnMe(now) {
    const me = this.me;
    return me === undefined ? null : this.drawnActor(me, now);
  }

  /**
   * The eaten things still to draw at `now`, each with how far it has gone (0 to 1) and where
   * it is headed (its eater as drawn now, or where it was if the eater is out of view); older
   * ones are dropped.
   * @param {number} now
   * @returns {(Vanishing & {progress: number, toX: number, toY: number})[]}
   */
  vanishingAt(now) {
    while (this.vanishing.length > 0 && now - this.vanishing[0].at >= VANISH_MS) this.vanishing.shift();
    return this.vanishing.map((v) => {
      const eater = this.players.get(v.eaterId);
      const to = eater === undefined ? v : this.drawnActor(eater, now);
      return { ...v, progress: Math.min(1, Math.max(0, (now - v.at) / VANISH_MS)), toX: to.x, toY: to.y };
    });
  }

  /** @param {Vanishing} thing */
  vanish(thing) {
    this.vanishing.push(thing);
    if (this.vanishing.length > MAX_VANISHING) this.vanishing.shift();
  }
}
