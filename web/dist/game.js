// The game on the page: draws the world state (world.js) on a <canvas> every animation frame,
// with a camera that follows the own player and zooms to the server's view; turns the pointer
// (mouse, touch, pen) and the arrow keys into directions the page may send; and keeps the
// heads-up display (score, best score, players, the live leaderboard) current. It never touches
// the connection: it reports aims and frames to the page, which decides what to send.

import { displayName } from './protocol.js';
import { directionOfKeys, directionTo } from './steering.js';
import { playerCss, sporeCss, zoomFor } from './world.js';

/**
 * How fast the camera's zoom follows a view that changed size: the gap closes by about 63% in
 * this many milliseconds, so growing zooms out smoothly rather than with a jump.
 */
const ZOOM_EASE_MS = 400;

/** Grid lines are this far apart in world units, or a multiple of it when zoomed far out. */
const GRID_STEP = 100;

/** Grid lines closer than this on screen (CSS pixels) are thinned out: they would be a blur. */
const MIN_GRID_GAP_PX = 24;

/** Names are drawn no smaller than this (CSS pixels), however small the player. */
const MIN_NAME_PX = 11;

/** Keys that steer, and which way. */
const STEER_KEYS = /** @type {Record<string, 'left' | 'right' | 'up' | 'down'>} */ ({
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
  a: 'left',
  d: 'right',
  w: 'up',
  s: 'down',
});

/**
 * A number as a person reads it: `1,257`.
 * @param {number} n
 */
const formatScore = (n) => n.toLocaleString('en-US');

/**
 * @typedef {object} GameElements
 * @property {HTMLElement} root the game's section, shown while playing
 * @property {HTMLCanvasElement} canvas
 * @property {HTMLElement} score
 * @property {HTMLElement} best
 * @property {HTMLElement} players how many play in the world
 * @property {HTMLOListElement} leaderboard
 */

/**
 * @typedef {object} GameHooks
 * @property {(direction: number) => void} onAim the player points somewhere (radians)
 * @property {(now: number) => void} onFrame after each frame drawn (`performance.now()` time)
 */

/** The canvas, its input and the heads-up display. */
export class GameView {
  /**
   * @param {GameElements} elements
   * @param {GameHooks} hooks
   */
  constructor(elements, hooks) {
    this.el = elements;
    this.hooks = hooks;
    /** @type {import('./world.js').WorldState | null} */
    this.world = null;
    /** @type {number | undefined} */
    this.frame = undefined;
    /** The camera: world point at the canvas centre, and canvas pixels per world unit. */
    this.camera = { x: 0, y: 0, zoom: 0 };
    this.lastFrameAt = 0;
    /** Arrow keys held. */
    this.keys = { left: false, right: false, up: false, down: false };
    /** What the HUD shows now, so the DOM is touched only when something changed. */
    this.shown = { score: -1, best: -1, players: -1, board: '' };
    const context = elements.canvas.getContext('2d', { alpha: false });
    if (context === null) throw new Error('no 2-D canvas');
    this.ctx = context;
    this.listen();
  }

  /** Whether a world is being shown. */
  get playing() {
    return this.world !== null;
  }

  /**
   * Shows `world` and draws it every frame until `stop`.
   * @param {import('./world.js').WorldState} world
   */
  start(world) {
    this.world = world;
    this.camera = { x: 0, y: 0, zoom: 0 };
    this.shown = { score: -1, best: -1, players: -1, board: '' };
    this.el.root.hidden = false;
    this.updated();
    // The keys steer once the game has the focus; on touch screens focusing would pop up nothing
    // but is pointless, on others it saves a click.
    if (!window.matchMedia('(pointer: coarse)').matches) this.el.canvas.focus({ preventScroll: true });
    if (this.frame === undefined) this.frame = requestAnimationFrame((t) => this.draw(t));
  }

  /** Hides the game and stops drawing. */
  stop() {
    this.world = null;
    this.el.root.hidden = true;
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    this.keys = { left: false, right: false, up: false, down: false };
  }

  /** The world changed (an update was applied): brings the heads-up display up to date. */
  updated() {
    const world = this.world;
    if (world === null) return;
    const { el, shown } = this;
    if (shown.score !== world.score) {
      shown.score = world.score;
      el.score.textContent = formatScore(world.score);
    }
    if (shown.best !== world.bestScore) {
      shown.best = world.bestScore;
      el.best.textContent = formatScore(world.bestScore);
    }
    if (shown.players !== world.leaderboard.players) {
      shown.players = world.leaderboard.players;
      el.players.textContent = `${world.leaderboard.players} playing`;
    }
    const board = world.leaderboard.entries;
    const key = board.map((e) => `${e.playerId}:${e.name}:${e.score}`).join(',');
    if (shown.board !== key) {
      shown.board = key;
      el.leaderboard.replaceChildren(
        ...board.map((entry) => {
          const item = document.createElement('li');
          item.dataset.id = String(entry.playerId);
          if (entry.playerId === world.playerId) item.className = 'you';
          const name = document.createElement('span');
          name.className = 'board-name';
          name.textContent = displayName(entry.playerId, entry.name);
          const score = document.createElement('span');
          score.className = 'board-score';
          score.textContent = formatScore(entry.score);
          item.append(name, score);
          return item;
        }),
      );
    }
    // For people and tests: where the player is and what it sees, in words and numbers.
    const me = world.me;
    if (me !== undefined) {
      el.root.dataset.x = (me.x / world.positionScale).toFixed(1);
      el.root.dataset.y = (me.y / world.positionScale).toFixed(1);
    }
    el.root.dataset.players = String(world.players.size);
    el.root.dataset.spores = String(world.spores.size);
  }

  /** Pointer and keys: each gives a direction, which the page decides whether to send. */
  listen() {
    const { canvas } = this.el;
    /** @param {PointerEvent} event */
    const aimAt = (event) => {
      if (this.world === null) return;
      const box = canvas.getBoundingClientRect();
      // The own player is drawn at the canvas's centre.
      const direction = directionTo(event.clientX - box.left - box.width / 2, event.clientY - box.top - box.height / 2);
      if (direction !== null) this.hooks.onAim(direction);
    };
    canvas.addEventListener('pointermove', aimAt);
    canvas.addEventListener('pointerdown', (event) => {
      aimAt(event);
      // A finger that slides off the canvas keeps steering until it lifts.
      if (event.pointerType !== 'mouse') canvas.setPointerCapture(event.pointerId);
    });
    /** @param {KeyboardEvent} event @param {boolean} down */
    const key = (event, down) => {
      const side = STEER_KEYS[event.key] ?? STEER_KEYS[event.key.toLowerCase()];
      if (side === undefined || this.world === null || event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      this.keys[side] = down;
      const direction = directionOfKeys(this.keys);
      if (direction !== null) this.hooks.onAim(direction);
    };
    canvas.addEventListener('keydown', (event) => key(event, true));
    canvas.addEventListener('keyup', (event) => key(event, false));
    canvas.addEventListener('blur', () => {
      this.keys = { left: false, right: false, up: false, down: false };
    });
  }

  /**
   * One frame: size the canvas to its box, move the camera, draw, and tell the page.
   * @param {number} now the frame's time (`performance.now()`'s clock)
   */
  draw(now) {
    this.frame = undefined;
    const world = this.world;
    if (world === null) return;
    const { canvas } = this.el;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }

    // The camera follows the player as drawn (so the player stays put on screen and the world
    // moves under it) and eases towards the zoom that shows the server's view.
    const me = world.drawnMe(now);
    if (me !== null) {
      this.camera.x = me.x;
      this.camera.y = me.y;
    }
    const target = zoomFor(world.viewHalfWidth, world.viewHalfHeight, width, height);
    const elapsed = Math.max(0, now - this.lastFrameAt);
    this.lastFrameAt = now;
    this.camera.zoom = this.camera.zoom === 0 ? target : this.camera.zoom + (target - this.camera.zoom) * (1 - Math.exp(-elapsed / ZOOM_EASE_MS));

    this.paint(world, now, width, height, ratio);
    this.hooks.onFrame(now);
    if (this.world !== null) this.frame = requestAnimationFrame((t) => this.draw(t));
  }

  /**
   * Draws everything for `now` on a canvas of `width` × `height` device pixels.
   * @param {import('./world.js').WorldState} world
   * @param {number} now
   * @param {number} width
   * @param {number} height
   * @param {number} ratio device pixels per CSS pixel
   */
  paint(world, now, width, height, ratio) {
    const { ctx, camera } = this;
    const zoom = camera.zoom;
    // World to canvas: x' = (x - camera.x) * zoom + width / 2.
    const left = camera.x - width / 2 / zoom;
    const top = camera.y - height / 2 / zoom;
    const right = camera.x + width / 2 / zoom;
    const bottom = camera.y + height / 2 / zoom;
    const sx = (/** @type {number} */ x) => (x - left) * zoom;
    const sy = (/** @type {number} */ y) => (y - top) * zoom;
    /** Whether a circle shows on the canvas at all. */
    const visible = (/** @type {number} */ x, /** @type {number} */ y, /** @type {number} */ r) =>
      x + r >= left && x - r <= right && y + r >= top && y - r <= bottom;

    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#0d0f14';
    ctx.fillRect(0, 0, width, height);

    // The grid: what shows the player moving, since the camera keeps it in the middle.
    let step = GRID_STEP;
    while (step * zoom < MIN_GRID_GAP_PX * ratio) step *= 2;
    ctx.strokeStyle = '#1f2430';
    ctx.lineWidth = Math.max(1, ratio);
    ctx.beginPath();
    for (let x = Math.ceil(left / step) * step; x <= right; x += step) {
      ctx.moveTo(Math.round(sx(x)) + 0.5, 0);
      ctx.lineTo(Math.round(sx(x)) + 0.5, height);
    }
    for (let y = Math.ceil(top / step) * step; y <= bottom; y += step) {
      ctx.moveTo(0, Math.round(sy(y)) + 0.5);
      ctx.lineTo(width, Math.round(sy(y)) + 0.5);
    }
    ctx.stroke();

    // Beyond the server's view (the spare side of a canvas of another shape) things are only
    // known near its edge: shade it, so nobody takes the emptiness there for the truth.
    const viewLeft = sx(camera.x - world.viewHalfWidth);
    const viewRight = sx(camera.x + world.viewHalfWidth);
    const viewTop = sy(camera.y - world.viewHalfHeight);
    const viewBottom = sy(camera.y + world.viewHalfHeight);
    ctx.fillStyle = 'rgb(0 0 0 / 0.35)';
    if (viewLeft > 1) ctx.fillRect(0, 0, viewLeft, height);
    if (viewRight < width - 1) ctx.fillRect(viewRight, 0, width - viewRight, height);
    if (viewTop > 1) ctx.fillRect(viewLeft, 0, viewRight - viewLeft, viewTop);
    if (viewBottom < height - 1) ctx.fillRect(viewLeft, viewBottom, viewRight - viewLeft, height - viewBottom);

    for (const spore of world.spores.values()) {
      const { x, y, radius } = world.sporeInWorld(spore);
      if (!visible(x, y, radius)) continue;
      ctx.fillStyle = sporeCss(spore.id);
      ctx.beginPath();
      ctx.arc(sx(x), sy(y), Math.max(radius * zoom, ratio), 0, 2 * Math.PI);
      ctx.fill();
    }

    // Eaten things shrink into their eaters.
    for (const v of world.vanishingAt(now)) {
      const x = v.x + (v.toX - v.x) * v.progress;
      const y = v.y + (v.toY - v.y) * v.progress;
      const radius = v.radius * (1 - v.progress);
      if (!visible(x, y, radius)) continue;
      ctx.globalAlpha = 1 - v.progress;
      ctx.fillStyle = v.kind === 'spore' ? sporeCss(v.id) : playerCss(v.color, v.id);
      ctx.beginPath();
      ctx.arc(sx(x), sy(y), Math.max(radius * zoom, ratio), 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;

    // Players, smaller ones first, so a big one is drawn over what it is about to eat.
    const drawn = [...world.players.values()]
      .map((actor) => ({ actor, ...world.drawnActor(actor, now) }))
      .filter(({ x, y, radius }) => visible(x, y, radius))
      .sort((a, b) => a.radius - b.radius);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    for (const { actor, x, y, radius } of drawn) {
      const cx = sx(x);
      const cy = sy(y);
      const r = Math.max(radius * zoom, 2 * ratio);
      ctx.fillStyle = playerCss(actor.color, actor.id);
      ctx.beginPath();
      ctx.arc(cx, cy, r, 0, 2 * Math.PI);
      ctx.fill();
      const mine = actor.id === world.playerId;
      // A ring no thicker than a third of a small circle, so its colour still shows.
      ctx.lineWidth = Math.min((mine ? 3 : 2) * ratio, r / 3);
      ctx.strokeStyle = mine ? '#ffffff' : 'rgb(0 0 0 / 0.45)';
      ctx.stroke();

      const fontPx = Math.max(MIN_NAME_PX * ratio, Math.min(r * 0.5, 28 * ratio));
      ctx.font = `600 ${fontPx}px system-ui, sans-serif`;
      const label = displayName(actor.id, actor.name);
      // Inside the circle when it fits, otherwise under it (a small player zoomed far out).
      const labelY = ctx.measureText(label).width <= 2 * r ? cy : cy + r + fontPx * 0.7;
      ctx.lineWidth = Math.max(2, fontPx / 5);
      ctx.strokeStyle = 'rgb(0 0 0 / 0.8)';
      ctx.strokeText(label, cx, labelY);
      ctx.fillStyle = '#ffffff';
      ctx.fillText(label, cx, labelY);
    }
  }
}
