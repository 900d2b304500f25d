// Unit tests of the game's DOM-free parts in plain Node: the world messages against bytes built
// by hand from the contract's field numbers (docs/protocol.md, "The world"), the world state
// kept from updates (their order, delta-coded IDs, respawns, what is inconsistent), drawing
// one tick behind with interpolation, extrapolated updates (velocities, ticks without an
// update, the tick wrapping, exact positions, drawing ahead by velocity without jumps), eaten
// things vanishing into their eaters, colours, the camera's zoom, and steering (what is worth
// sending, at most once a tick).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { randomColor } from '../dist/accounts.js';
import {
  decodeEvent,
  encodeEnterWorld,
  encodeLeaveWorld,
  encodePlayerDirection,
} from '../dist/protocol.js';
import {
  DEAD_ZONE_PX,
  MIN_TURN,
  Steering,
  angleBetween,
  directionOfKeys,
  directionTo,
  normalizeAngle,
} from '../dist/steering.js';
import {
  DEFAULT_VIEW_HALF_HEIGHT,
  DEFAULT_VIEW_HALF_WIDTH,
  MAX_VANISHING,
  VANISH_MS,
  WorldState,
  decodeDeltaIds,
  playerCss,
  sporeCss,
  zoomFor,
} from '../dist/world.js';

const hex = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes).toString('hex');

/**
 * A protobuf varint.
 * @param {number} value
 * @returns {number[]}
 */
function varint(value) {
  const bytes = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}

/**
 * A length-delimited field: key, length, bytes.
 * @param {number} field
 * @param {number[]} body
 */
function message(field, body) {
  return [...varint((field << 3) | 2), ...varint(body.length), ...body];
}

/** The world's defaults: 20 ticks a second (50 ms), 8 position units to a world unit. */
const TICK_MS = 50;
const SCALE = 8;

/**
 * An update with nothing in it but what `parts` says.
 * @param {Partial<import('../dist/protocol.js').WorldUpdate>} parts
 * @returns {import('../dist/protocol.js').WorldUpdate}
 */
function update(parts) {
  return {
    tick: 1,
    playersLeft: [],
    sporesLeft: [],
    eaten: [],
    playersEntered: [],
    sporesEntered: [],
    movedIds: [],
    movedXy: [],
    resizedIds: [],
    resizedRadii: [],
    own: null,
    leaderboard: null,
    velocityIds: [],
    velocityXy: [],
    ...parts,
  };
}

/**
 * A player entering at (`x`, `y`) world units with radius 20.
 * @param {number} id
 * @param {number} x
 * @param {number} y
 * @param {string} [name]
 */
const player = (id, x, y, name = '') => ({ id, name, x: x * SCALE, y: y * SCALE, radius: 20 * SCALE, color: -1, vx: 0, vy: 0 });

/**
 * A player entering an extrapolating client's view at (`x`, `y`) with velocity (`vx`, `vy`),
 * all in position units, radius 20 world units.
 * @param {number} id
 * @param {number} x
 * @param {number} y
 * @param {number} vx
 * @param {number} vy
 */
const mover = (id, x, y, vx, vy) => ({ id, name: '', x, y, radius: 20 * SCALE, color: -1, vx, vy });

/** A world entered as player 5. */
const entered = () => new WorldState({ room: 'lobby', playerId: 5, tickRate: 20, positionScale: SCALE });

/** A world entered as player 5, with extrapolated updates. */
const extrapolated = () => new WorldState({ room: 'lobby', playerId: 5, tickRate: 20, positionScale: SCALE, extrapolating: true });

/**
 * Where `world` holds player `id` (position units, exact) and its velocity: `[x, y, vx, vy]`.
 * @param {WorldState} world
 * @param {number} id
 */
function held(world, id) {
  const actor = world.players.get(id);
  assert.ok(actor, `player ${id} is held`);
  return [actor.x, actor.y, actor.vx, actor.vy];
}

/**
 * Where `world` draws player `id` at `now`, in position units.
 * @param {WorldState} world
 * @param {number} id
 * @param {number} now
 */
function drawnAt(world, id, now) {
  const drawn = world.drawnUnits(/** @type {import('../dist/world.js').Actor} */ (world.players.get(id)), now);
  return [drawn.x, drawn.y];
}

test('world messages are encoded with the contract\'s field numbers', () => {
  // Field 105, an empty message: key (105 << 3 | 2) = 842 = ca 06, length 0.
  assert.equal(hex(encodeEnterWorld()), 'ca0600');
  // Asking for extrapolated updates: field 1 of it, a bool.
  assert.equal(hex(encodeEnterWorld(true)), 'ca06020801');
  // Field 107: key 858 = da 06.
  assert.equal(hex(encodeLeaveWorld()), 'da0600');
  // Field 9 holding field 1, a double (π/2, little-endian 0x3ff921fb54442d18).
  assert.equal(hex(encodePlayerDirection(Math.PI / 2)), '4a0909182d4454fb21f93f');
});

test('world messages from the server decode from bytes built by hand', () => {
  const entered = [...varint(1 << 3), 7, ...message(106, [0x0a, 0x03, ...Buffer.from('red'), 0x10, 0x07, 0x18, 0x14, 0x20, 0x08])];
  assert.deepEqual(decodeEvent(Uint8Array.from(entered)), { kind: 'worldEntered', room: 'red', playerId: 7, tickRate: 20, positionScale: 8, extrapolating: false });
  // Field 5 of it: the server extrapolates this client's updates.
  const extrapolating = [...message(106, [0x10, 0x07, 0x18, 0x14, 0x20, 0x08, 0x28, 0x01])];
  assert.deepEqual(decodeEvent(Uint8Array.from(extrapolating)), { kind: 'worldEntered', room: '', playerId: 7, tickRate: 20, positionScale: 8, extrapolating: true });
  const left = [0x08, 0x07, ...message(108, [0x0a, 0x0d, ...Buffer.from('changed rooms')])];
  assert.deepEqual(decodeEvent(Uint8Array.from(left)), { kind: 'worldLeft', reason: 'changed rooms' });
  // A WorldLeftMessage with no reason (the client asked) is an empty message.
  assert.deepEqual(decodeEvent(Uint8Array.from([...message(108, [])])), { kind: 'worldLeft', reason: '' });

  // Every field of a WorldUpdateMessage, in field order.
  const body = [
    0x08, 0x07, // tick 7
    0x12, 0x01, 0x03, // players_left [3], packed
    0x1a, 0x01, 0x04, // spores_left [4]
    ...message(4, [0x08, 0x02, 0x18, 0x09]), // eaten: 2 ate spore 9
    // players_entered: id 5, name "a", x -8 (zigzag 15), y 16 (32), radius 160, colour -1
    // (a negative int32 is ten bytes on the wire)
    ...message(5, [0x08, 0x05, 0x12, 0x01, 0x61, 0x18, 0x0f, 0x20, 0x20, 0x28, 0xa0, 0x01, 0x30, ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]]),
    ...message(6, [0x08, 0x0b, 0x10, 0x02, 0x18, 0x01, 0x20, 0x50]), // spores_entered: 11 at (1, -1), radius 80
    ...message(7, [0x02, 0x03]), // moved_ids: 2, then 5 (+3)
    ...message(8, [0x01, 0x04, 0x78, 0x77]), // moved_xy: (-1, 2), (60, -60), zigzag
    ...message(9, [0x05]), // resized_ids [5]
    ...message(10, [0xc8, 0x01]), // resized_radii [200]
    ...message(11, [0x08, 0xe9, 0x09, 0x10, 0x94, 0x0a, 0x18, 0xa0, 0x06, 0x20, 0xc2, 0x03]), // own
    ...message(12, [...message(1, [0x08, 0x05, 0x12, 0x01, 0x61, 0x18, 0xe9, 0x09]), 0x10, 0x02]), // leaderboard
  ];
  const event = decodeEvent(Uint8Array.from([0x08, 0x05, ...message(109, body)]));
  assert.deepEqual(event, {
    kind: 'worldUpdate',
    update: {
      tick: 7,
      playersLeft: [3],
      sporesLeft: [4],
      eaten: [{ eaterId: 2, playerId: 0, sporeId: 9 }],
      playersEntered: [{ id: 5, name: 'a', x: -8, y: 16, radius: 160, color: -1, vx: 0, vy: 0 }],
      sporesEntered: [{ id: 11, x: 1, y: -1, radius: 80 }],
      movedIds: [2, 3],
      movedXy: [-1, 2, 60, -60],
      resizedIds: [5],
      resizedRadii: [200],
      own: { score: 1257, bestScore: 1300, viewHalfWidth: 800, viewHalfHeight: 450 },
      leaderboard: { entries: [{ playerId: 5, name: 'a', score: 1257 }], players: 2 },
      velocityIds: [],
      velocityXy: [],
    },
  });
  // What an extrapolating client gets instead of moves: velocities (fields 13, 14, coded like
  // 7 and 8) and entrants with theirs (WorldPlayer fields 7 and 8, zigzag).
  const velocities = [
    0x08, 0x09, // tick 9
    ...message(5, [0x08, 0x05, 0x18, 0x10, 0x20, 0x10, 0x28, 0xa0, 0x01, 0x38, 0x0f, 0x40, 0x10]), // 5 at (8, 8), v (-8, 8)
    ...message(13, [0x02, 0x03]), // velocity_ids: 2, then 5
    ...message(14, [0x00, 0x00, 0x78, 0x77]), // velocity_xy: (0, 0), (60, -60)
  ];
  const extrapolated = decodeEvent(Uint8Array.from(message(109, velocities)));
  assert.deepEqual(extrapolated, {
    kind: 'worldUpdate',
    update: update({
      tick: 9,
      playersEntered: [{ id: 5, name: '', x: 8, y: 8, radius: 160, color: 0, vx: -8, vy: 8 }],
      velocityIds: [2, 3],
      velocityXy: [0, 0, 60, -60],
    }),
  });
  // An update with nothing changed in a part leaves it empty (or null), never undefined.
  const empty = decodeEvent(Uint8Array.from(message(109, [0x08, 0x01])));
  assert.deepEqual(empty, { kind: 'worldUpdate', update: update({ tick: 1 }) });
});

test('delta-coded IDs add up', () => {
  assert.deepEqual(decodeDeltaIds([]), []);
  assert.deepEqual(decodeDeltaIds([7]), [7]);
  assert.deepEqual(decodeDeltaIds([3, 1, 1, 250]), [3, 4, 5, 255]);
});

test('entries, moves, resizes, own state and leaderboard build the view', () => {
  const world = entered();
  assert.equal(world.me, undefined, 'nothing is known before the first update');
  assert.equal(world.viewHalfWidth, DEFAULT_VIEW_HALF_WIDTH);
  const outcome = world.apply(
    update({
      tick: 40,
      playersEntered: [player(5, 100, 200, 'ann'), player(9, 300, -50)],
      sporesEntered: [{ id: 1, x: 80, y: 80, radius: 80 }],
      own: { score: 1257, bestScore: 1257, viewHalfWidth: 800, viewHalfHeight: 450 },
      leaderboard: { entries: [{ playerId: 5, name: 'ann', score: 1257 }, { playerId: 9, name: '', score: 1257 }], players: 2 },
    }),
    1000,
  );
  assert.deepEqual(outcome, { ownEatenBy: null, ownEats: 0, inconsistent: 0 });
  assert.equal(world.tick, 40);
  assert.deepEqual([...world.players.keys()], [5, 9]);
  assert.deepEqual(world.drawnMe(1000), { x: 100, y: 200, radius: 20 }, 'an entry is drawn where it is at once');
  assert.deepEqual(world.sporeInWorld(/** @type {any} */ (world.spores.get(1))), { x: 10, y: 10, radius: 10 });
  assert.equal(world.score, 1257);
  assert.equal(world.leaderboard.players, 2);
  assert.equal(world.nameOf(5), 'ann');
  assert.equal(world.nameOf(9), 'Client 9', 'a guest');

  // Both move (IDs 5 and 9: 5, then +4), 9 also grows.
  world.apply(update({ tick: 41, movedIds: [5, 4], movedXy: [60, 0, -8, 16], resizedIds: [9], resizedRadii: [24 * SCALE] }), 1050);
  assert.deepEqual(world.drawnMe(1050), { x: 100, y: 200, radius: 20 }, 'drawn one tick behind: still where it was');
  assert.deepEqual(world.drawnMe(1075), { x: 103.75, y: 200, radius: 20 }, 'half way through the tick');
  assert.deepEqual(world.drawnMe(1100), { x: 107.5, y: 200, radius: 20 });
  assert.deepEqual(world.drawnMe(5000), { x: 107.5, y: 200, radius: 20 }, 'and no further without news');
  const nine = /** @type {import('../dist/world.js').Actor} */ (world.players.get(9));
  assert.deepEqual(world.drawnActor(nine, 1075), { x: 299.5, y: -49, radius: 22 });
  assert.deepEqual(world.drawnActor(nine, 1100), { x: 299, y: -48, radius: 24 });

  // Own state and leaderboard stay as they were when an update does not carry them.
  world.apply(update({ tick: 42, movedIds: [5], movedXy: [8, 8] }), 1100);
  assert.equal(world.score, 1257);
  assert.equal(world.leaderboard.entries.length, 2);
  // A view that grows is followed; a missing size keeps the last.
  world.apply(update({ tick: 43, own: { score: 2000, bestScore: 2000, viewHalfWidth: 900, viewHalfHeight: 0 } }), 1150);
  assert.deepEqual([world.score, world.bestScore, world.viewHalfWidth, world.viewHalfHeight], [2000, 2000, 900, 450]);
});

test('positions add up exactly over many moves', () => {
  const world = entered();
  world.apply(update({ playersEntered: [player(5, 0, 0)] }), 0);
  // 1,000 ticks of (+7, -3) position units: no drift from rounding.
  for (let i = 1; i <= 1000; i += 1) world.apply(update({ tick: i, movedIds: [5], movedXy: [7, -3] }), i * TICK_MS);
  assert.deepEqual(world.drawnMe(1001 * TICK_MS), { x: 875, y: -375, radius: 20 });
});

test('an update that comes early glides on from where the player is drawn, never jumps', () => {
  const world = entered();
  world.apply(update({ playersEntered: [player(5, 0, 0)] }), 0);
  world.apply(update({ tick: 2, movedIds: [5], movedXy: [80, 0] }), 1000); // +10 units
  // The next one comes a quarter tick later, not a full tick: from 2.5 units on to 20.
  world.apply(update({ tick: 3, movedIds: [5], movedXy: [80, 0] }), 1000 + TICK_MS / 4);
  assert.deepEqual(world.drawnMe(1000 + TICK_MS / 4), { x: 2.5, y: 0, radius: 20 });
  assert.deepEqual(world.drawnMe(1000 + TICK_MS / 4 + TICK_MS / 2), { x: 11.25, y: 0, radius: 20 });
  assert.deepEqual(world.drawnMe(1000 + 2 * TICK_MS), { x: 20, y: 0, radius: 20 });
  // Two updates handled in the same millisecond glide once, to the sum of both.
  world.apply(update({ tick: 4, movedIds: [5], movedXy: [8, 0] }), 2000);
  world.apply(update({ tick: 5, movedIds: [5], movedXy: [8, 0] }), 2000);
  assert.deepEqual(world.drawnMe(2000), { x: 20, y: 0, radius: 20 });
  assert.deepEqual(world.drawnMe(2000 + TICK_MS), { x: 22, y: 0, radius: 20 });
});

test('leaves and eats come first: an ID can leave and enter in one update', () => {
  const world = entered();
  world.apply(update({ playersEntered: [player(5, 0, 0), player(9, 50, 0)], sporesEntered: [{ id: 3, x: 0, y: 0, radius: 80 }] }), 0);
  // 9 left the view and (later in the same tick) came back elsewhere; spore 3 left and came back.
  world.apply(update({ playersLeft: [9], sporesLeft: [3], playersEntered: [player(9, 500, 0)], sporesEntered: [{ id: 3, x: 8, y: 8, radius: 80 }] }), 50);
  assert.deepEqual(world.drawnActor(/** @type {any} */ (world.players.get(9)), 50), { x: 500, y: 0, radius: 20 }, 'no glide across the map');
  assert.equal(world.spores.get(3)?.x, 8);
  // Gone for good.
  world.apply(update({ playersLeft: [9], sporesLeft: [3] }), 100);
  assert.deepEqual([...world.players.keys()], [5]);
  assert.equal(world.spores.size, 0);
});

test('the own player eaten respawns through an entry, and who ate it is told', () => {
  const world = entered();
  world.apply(update({ playersEntered: [player(5, 0, 0), { ...player(9, 30, 0, 'bob'), radius: 40 * SCALE }] }), 0);
  const outcome = world.apply(
    update({
      eaten: [{ eaterId: 9, playerId: 5, sporeId: 0 }],
      // Its new place is far away: it re-enters there, drawn there at once.
      playersEntered: [player(5, 2000, -2000)],
      resizedIds: [9],
      resizedRadii: [Math.round(Math.sqrt(40 ** 2 + 20 ** 2) * SCALE)],
    }),
    100,
  );
  assert.equal(outcome.ownEatenBy, 9);
  assert.equal(world.nameOf(outcome.ownEatenBy ?? 0), 'bob');
  assert.deepEqual(world.drawnMe(100), { x: 2000, y: -2000, radius: 20 });
  // The eaten player is still drawn a moment, going into its eater.
  const [ghost] = world.vanishingAt(100 + VANISH_MS / 2);
  assert.equal(ghost.kind, 'player');
  assert.equal(ghost.id, 5);
  assert.deepEqual([ghost.x, ghost.y, ghost.radius, ghost.progress], [0, 0, 20, 0.5]);
  assert.deepEqual([ghost.toX, ghost.toY], [30, 0], 'towards the eater as it is drawn');
  assert.deepEqual(world.vanishingAt(100 + VANISH_MS), [], 'and then gone');
});

test('the own player\'s eats are counted; a spore eaten by someone out of view vanishes where it was', () => {
  const world = entered();
  world.apply(update({ playersEntered: [player(5, 0, 0)], sporesEntered: [{ id: 1, x: 160, y: 0, radius: 80 }, { id: 2, x: 800, y: 0, radius: 80 }] }), 0);
  const outcome = world.apply(
    update({
      eaten: [
        { eaterId: 5, playerId: 0, sporeId: 1 },
        { eaterId: 77, playerId: 0, sporeId: 2 },
      ],
      resizedIds: [5],
      resizedRadii: [Math.round(Math.sqrt(20 ** 2 + 10 ** 2) * SCALE)],
      own: { score: Math.round(Math.PI * 500), bestScore: Math.round(Math.PI * 500), viewHalfWidth: 800, viewHalfHeight: 450 },
    }),
    50,
  );
  assert.deepEqual(outcome, { ownEatenBy: null, ownEats: 1, inconsistent: 0 });
  assert.equal(world.spores.size, 0);
  assert.equal(world.score, 1571);
  const [, other] = world.vanishingAt(50);
  assert.deepEqual([other.x, other.toX, other.toY], [100, 100, 0]);
});

test('parts of an update naming what the client does not hold are skipped and counted', () => {
  const world = entered();
  world.apply(update({ playersEntered: [player(5, 0, 0)] }), 0);
  const outcome = world.apply(
    update({
      playersLeft: [40],
      sporesLeft: [41],
      eaten: [{ eaterId: 5, playerId: 42, sporeId: 0 }, { eaterId: 5, playerId: 0, sporeId: 43 }],
      // 5 is known; 44 is not; the third ID has no dx, dy.
      movedIds: [5, 39, 1],
      movedXy: [8, 0, 8, 0],
      resizedIds: [46],
      resizedRadii: [1],
    }),
    50,
  );
  assert.equal(outcome.inconsistent, 7);
  assert.equal(world.inconsistent, 7);
  assert.equal(world.players.get(5)?.x, 8, 'the rest of the update still applies');
});

test('eaten things animated at once are bounded', () => {
  const world = entered();
  const spores = Array.from({ length: MAX_VANISHING + 50 }, (_, i) => ({ id: i + 1, x: 0, y: 0, radius: 80 }));
  world.apply(update({ sporesEntered: spores }), 0);
  world.apply(update({ eaten: spores.map((s) => ({ eaterId: 5, playerId: 0, sporeId: s.id })) }), 10);
  assert.equal(world.vanishing.length, MAX_VANISHING);
  assert.equal(world.vanishing[0].id, 51, 'the oldest went first');
});

test('extrapolated: velocities carry players on through ticks without updates, exactly', () => {
  const world = extrapolated();
  world.apply(update({ tick: 100, playersEntered: [mover(5, 0, 0, 8, 0), mover(9, 800, 0, 0, -4), mover(11, 0, 800, 0, 0)] }), 1000);
  assert.deepEqual(held(world, 5), [0, 0, 8, 0], 'an entrant is where it is at its tick');
  // Drawn where it is now, not a tick behind: moved on by its velocity for the time since.
  assert.deepEqual(drawnAt(world, 5, 1000), [0, 0]);
  assert.deepEqual(drawnAt(world, 5, 1025), [4, 0], 'half a tick on');
  assert.deepEqual(drawnAt(world, 5, 1100), [16, 0], 'two ticks on, with no update');
  assert.deepEqual(drawnAt(world, 11, 1100), [0, 800], 'standing still');

  // Tick 103: ticks 101 and 102 sent nothing (no velocity changed): everyone made those moves,
  // then this tick's, 9 and 11 by their new velocities (9 stopped), 5 by its old one.
  world.apply(update({ tick: 103, velocityIds: [9, 2], velocityXy: [0, 0, -3, 5] }), 1150);
  assert.equal(world.tick, 103);
  assert.deepEqual(held(world, 5), [24, 0, 8, 0]);
  assert.deepEqual(held(world, 9), [800, -8, 0, 0]);
  assert.deepEqual(held(world, 11), [-3, 805, -3, 5]);
  // 5 was drawn right: it goes on as it went. 9 was drawn going on (to -12) when it had
  // stopped at -8: from where it was drawn, it comes back to where it is over one tick, never
  // jumping.
  assert.deepEqual(drawnAt(world, 5, 1150), [24, 0]);
  assert.deepEqual(drawnAt(world, 5, 1175), [28, 0]);
  assert.deepEqual(drawnAt(world, 9, 1150), [800, -12]);
  assert.deepEqual(drawnAt(world, 9, 1175), [800, -10]);
  assert.deepEqual(drawnAt(world, 9, 1200), [800, -8]);
  assert.deepEqual(drawnAt(world, 9, 2000), [800, -8], 'and stays');
  assert.deepEqual(drawnAt(world, 11, 1150), [0, 800]);
  assert.deepEqual(drawnAt(world, 11, 1200), [-6, 810]);

  // The own player stops; nothing else changes.
  world.apply(update({ tick: 104, velocityIds: [5], velocityXy: [0, 0] }), 1200);
  assert.deepEqual(held(world, 5), [24, 0, 0, 0], 'a stop is (0, 0): this tick it did not move');
  assert.deepEqual(held(world, 11), [-6, 810, -3, 5]);
  assert.deepEqual(world.drawnMe(1200 + 10 * TICK_MS), { x: 3, y: 0, radius: 20 });

  // Six ticks later, an update with no velocities at all (a spore came into view).
  world.apply(update({ tick: 110, sporesEntered: [{ id: 1, x: 0, y: 0, radius: 80 }] }), 1500);
  assert.deepEqual(held(world, 5), [24, 0, 0, 0]);
  assert.deepEqual(held(world, 9), [800, -8, 0, 0]);
  assert.deepEqual(held(world, 11), [-24, 840, -3, 5]);
  assert.equal(world.inconsistent, 0);
});

test('extrapolated: positions add up exactly over many ticks, and the tick number wraps', () => {
  const world = extrapolated();
  const start = 2 ** 32 - 500;
  world.apply(update({ tick: start, playersEntered: [mover(5, 0, 0, 7, -3)] }), 0);
  // An update every 7 ticks for 1,001 ticks, across 2^32 (the tick goes back to 0), each one
  // turning the player a little: (7, -3), then (6, -3), (7, -3), ...
  let x = 0;
  let y = 0;
  let vx = 7;
  for (let step = 1; step <= 143; step += 1) {
    x += vx * 6;
    y += -3 * 6;
    vx = step % 2 === 0 ? 7 : 6;
    x += vx;
    y += -3;
    world.apply(update({ tick: (start + 7 * step) % 2 ** 32, velocityIds: [5], velocityXy: [vx, -3] }), 7 * step * TICK_MS);
  }
  assert.equal(world.tick, (start + 1001) % 2 ** 32);
  assert.deepEqual(held(world, 5), [x, y, vx, -3]);
  // 6 ticks at each velocity before a change, 1 at the new one: 6 × (7 + 71 × 6 + 71 × 7) +
  // (72 × 6 + 71 × 7) across, 1,001 × -3 down.
  assert.deepEqual([x, y], [6509, -3003], 'exactly what the moves add up to');
});

test('extrapolated: entrants, respawns and leaves in an update are not moved by it', () => {
  const world = extrapolated();
  world.apply(update({ tick: 10, playersEntered: [mover(5, 0, 0, 8, 0), mover(9, 100, 0, 0, 8)] }), 0);
  // 5 is eaten and respawns far away, standing; 7 comes into view moving; 9 turns.
  const outcome = world.apply(
    update({
      tick: 11,
      eaten: [{ eaterId: 9, playerId: 5, sporeId: 0 }],
      playersEntered: [mover(5, 8000, 8000, 0, 0), mover(7, 50, 50, 4, 4)],
      velocityIds: [9],
      velocityXy: [-8, 0],
    }),
    50,
  );
  assert.equal(outcome.ownEatenBy, 9);
  assert.deepEqual(held(world, 5), [8000, 8000, 0, 0], 'where it respawned, at this tick');
  assert.deepEqual(drawnAt(world, 5, 50), [8000, 8000], 'drawn there at once: no glide across the map');
  assert.deepEqual(held(world, 7), [50, 50, 4, 4]);
  assert.deepEqual(held(world, 9), [92, 0, -8, 0], 'this tick by its new velocity');
  // The eaten player vanishes from where it was drawn, a tick on from its entry.
  assert.deepEqual([world.vanishing[0].x, world.vanishing[0].y], [1, 0]);

  // 9 leaves the view; a velocity for it in the same update names what is no longer held,
  // and so do moves, which an extrapolating client is never sent.
  const next = world.apply(update({ tick: 12, playersLeft: [9], velocityIds: [9], velocityXy: [1, 1], movedIds: [7], movedXy: [100, 100] }), 100);
  assert.equal(next.inconsistent, 2);
  assert.deepEqual([...world.players.keys()].sort(), [5, 7]);
  assert.deepEqual(held(world, 7), [54, 54, 4, 4], 'the entrant moved on at the next tick, by its own velocity');
  assert.deepEqual(held(world, 5), [8000, 8000, 0, 0]);
});

test('a client the server does not extrapolate for keeps moving by moves, whatever entrants say', () => {
  const world = entered();
  world.apply(update({ tick: 1, playersEntered: [mover(5, 0, 0, 8, 0)] }), 0);
  assert.deepEqual(held(world, 5), [0, 0, 0, 0], 'no velocity without extrapolation');
  const outcome = world.apply(update({ tick: 5, movedIds: [5], movedXy: [8, 0], velocityIds: [5], velocityXy: [8, 0] }), 50);
  assert.equal(outcome.inconsistent, 1, 'velocities are never sent to it');
  assert.deepEqual(held(world, 5), [8, 0, 0, 0], 'a gap in ticks means nothing: only moves move');
  assert.deepEqual(drawnAt(world, 5, 5000), [8, 0]);
});

test('a world entered with no tick rate or scale takes the defaults', () => {
  const world = new WorldState({ room: 'x', playerId: 1, tickRate: 0, positionScale: 0 });
  assert.equal(world.tickMs, 50);
  assert.equal(world.positionScale, 8);
});

test('colours are the tutorial\'s RGBA; a colour without alpha gets a hue from the ID', () => {
  assert.equal(playerCss(-1, 1), 'rgb(255 255 255)');
  assert.equal(playerCss(0xff4500ff | 0, 1), 'rgb(255 69 0)');
  // What this client registers with is drawn as it was chosen.
  const color = randomColor(() => 0.5);
  assert.match(playerCss(color, 1), /^rgb\(/);
  // Transparent (a guest, or an account made without a colour): visible, stable per player,
  // different for neighbours.
  assert.match(playerCss(0, 3), /^hsl\(\d+ /);
  assert.equal(playerCss(0, 3), playerCss(0x11223300, 3));
  assert.notEqual(playerCss(0, 3), playerCss(0, 4));
  assert.notEqual(sporeCss(1), sporeCss(2));
});

test('the camera zooms so the server\'s view fills the canvas', () => {
  // A 1600 x 900 canvas shows the 800 x 450 half view at zoom 1.
  assert.equal(zoomFor(800, 450, 1600, 900), 1);
  // A grown player's view is wider: zoomed out.
  assert.equal(zoomFor(1600, 900, 1600, 900), 0.5);
  // Another shape: the whole view fits, the spare side shows a little more.
  assert.equal(zoomFor(800, 450, 800, 900), 0.5);
  assert.equal(zoomFor(800, 450, 1600, 450), 0.5);
  assert.equal(zoomFor(0, 0, 1600, 900), zoomFor(DEFAULT_VIEW_HALF_WIDTH, DEFAULT_VIEW_HALF_HEIGHT, 1600, 900));
});

test('directions: from the pointer, from the keys, normalised', () => {
  assert.equal(directionTo(10, 0), 0);
  assert.equal(directionTo(0, 10), Math.PI / 2, 'y grows downwards');
  assert.equal(directionTo(0, -10), 1.5 * Math.PI);
  assert.equal(directionTo(DEAD_ZONE_PX / 2, 0), null, 'too close to the centre to tell');
  assert.equal(directionOfKeys({ left: false, right: true, up: true, down: false }), 1.75 * Math.PI);
  assert.equal(directionOfKeys({ left: true, right: true, up: false, down: false }), null);
  assert.equal(directionOfKeys({ left: false, right: false, up: false, down: false }), null);
  assert.equal(normalizeAngle(-Math.PI / 2), 1.5 * Math.PI);
  assert.ok(Math.abs(angleBetween(0.1, 2 * Math.PI - 0.1) - 0.2) < 1e-12, 'across 0');
});

test('steering sends a meaningful change at once, then at most one a tick, and never loses the last', () => {
  const steering = new Steering(20);
  assert.equal(steering.take(0), null, 'nothing wanted yet');
  steering.aim(1);
  assert.equal(steering.take(0), 1, 'the first direction goes at once');
  steering.aim(1 + MIN_TURN / 2);
  assert.equal(steering.pending, false, 'a tremble is not worth sending');
  assert.equal(steering.take(1000), null);

  steering.aim(2);
  assert.equal(steering.take(1010), 2, 'a tick has passed since the last send');
  steering.aim(3);
  assert.equal(steering.take(1020), null, 'within the same tick it waits');
  assert.equal(steering.msUntilDue(1020), 40);
  steering.aim(2.5);
  assert.equal(steering.take(1060), 2.5, 'then the latest wish goes');
  assert.equal(steering.msUntilDue(1060), Infinity);
  steering.aim(Number.NaN);
  steering.aim(null);
  assert.equal(steering.pending, false, 'nonsense changes nothing');
  // A send that failed (no connection) is still wanted.
  steering.unsent();
  assert.equal(steering.take(1061), 2.5);
});
