//! The spatial index: a uniform grid of cells grouped in chunks, holding entity slots by their
//! centre. Insert, remove and move are O(1); a query visits only what may touch a rectangle.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};

use crate::geom::Vec2;

/// A grid cell's coordinates (cell units, not world units), or a chunk's (chunk units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Cell {
    x: i32,
    y: i32,
}

/// A multiplicative hasher for the few integers the world hashes (cells, IDs the server
/// assigns, never attacker-chosen keys): SipHash would cost more than the grid work itself.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_i32(&mut self, value: i32) {
        self.write_u64(u64::from(u32::from_ne_bytes(value.to_ne_bytes())));
    }

    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
}

/// `HashMap`s keyed by the world's own small keys.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// An entity as the grid holds it: enough to reject it without touching the entity itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item {
    /// The entity's slot.
    pub slot: u32,
    /// Its centre.
    pub pos: Vec2,
    /// Its radius.
    pub radius: f64,
}

/// Where a slot's item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// In a cell's list, at this index.
    Cell(Cell, u32),
    /// In the list of big entities, at this index.
    Big(u32),
}

/// A chunk is `CHUNK_SIDE` × `CHUNK_SIDE` cells (`1 << CHUNK_SHIFT` a side): a view's query
/// (about 9 × 6 cells) finds its cells with a few chunk lookups, not one lookup per cell.
const CHUNK_SHIFT: u32 = 3;
const CHUNK_SIDE: i32 = 1 << CHUNK_SHIFT;
const CHUNK_MASK: i32 = CHUNK_SIDE - 1;

/// The chunks within this many chunks of the origin on both axes (±32,768 units: players
/// spawn within ±3,000) are found by index, the others by hash: 8 KB of pointers.
const WINDOW_CHUNKS: i32 = 16;

/// How much further than its radius an item is taken as reaching when a query rejects it
/// without the caller: far more than the rounding of coordinates within ±`WORLD_LIMIT`, so
/// nothing the caller's exact test accepts is left out.
const REJECT_SLACK: f64 = 1e-3;

/// A box holding circles (grown by `REJECT_SLACK`): a query skips what it holds when it
/// misses the query's box.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bounds {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Bounds {
    /// Holds nothing: meets no box, and `with` anything is that thing's box.
    const EMPTY: Self = Self {
        left: f64::INFINITY,
        right: f64::NEG_INFINITY,
        top: f64::INFINITY,
        bottom: f64::NEG_INFINITY,
    };

    fn of(item: &Item) -> Self {
        let reach = item.radius + REJECT_SLACK;
        Self {
            left: item.pos.x - reach,
            right: item.pos.x + reach,
            top: item.pos.y - reach,
            bottom: item.pos.y + reach,
        }
    }

    /// The box holding this one and `item`'s.
    fn with(self, item: &Item) -> Self {
        let other = Self::of(item);
        Self {
            left: self.left.min(other.left),
            right: self.right.max(other.right),
            top: self.top.min(other.top),
            bottom: self.bottom.max(other.bottom),
        }
    }

    /// Whether this box meets the box from `min` to `max` (tested without a branch each
    /// side: which side rejects is hard to predict).
    fn meets(&self, min: Vec2, max: Vec2) -> bool {
        (self.left <= max.x) & (self.right >= min.x) & (self.top <= max.y) & (self.bottom >= min.y)
    }
}

/// The cells of one chunk, and how many items they hold (the chunk goes when that is 0).
#[derive(Debug)]
struct Chunk {
    /// Indexed by `cell_index`; an empty cell holds no allocation.
    cells: [Vec<Item>; (CHUNK_SIDE * CHUNK_SIDE) as usize],
    /// Per cell, a box holding its items' circles: it grows as they move, and is made tight
    /// again by `tighten_reach`. A query skips a cell whose box misses its own without
    /// reading the cell's items (a small query's box misses most of the cells it covers).
    bounds: [Bounds; (CHUNK_SIDE * CHUNK_SIDE) as usize],
    items: u32,
}

impl Chunk {
    fn new() -> Box<Self> {
        Box::new(Self {
            cells: std::array::from_fn(|_| Vec::new()),
            bounds: [Bounds::EMPTY; (CHUNK_SIDE * CHUNK_SIDE) as usize],
            items: 0,
        })
    }
}

/// The chunk holding `cell`.
fn chunk_of(cell: Cell) -> Cell {
    Cell {
        x: cell.x >> CHUNK_SHIFT,
        y: cell.y >> CHUNK_SHIFT,
    }
}

/// Where `cell` is within its chunk's `cells`.
#[allow(clippy::cast_sign_loss)]
fn cell_index(cell: Cell) -> usize {
    (((cell.x & CHUNK_MASK) << CHUNK_SHIFT) | (cell.y & CHUNK_MASK)) as usize
}

/// The uniform grid. Slots are small dense integers chosen by the caller. Entities are filed
/// by their centre, in cells kept by chunk (only chunks with something in them exist, so
/// memory follows the entities, wherever they wander). Those wider than `BIG_RADIUS` are kept
/// apart, so one huge player does not make every query cover more cells; each query checks
/// them against its box, and visits only those that may touch it.
#[derive(Debug)]
pub struct Grid {
    cell_size: f64,
    /// The chunks near the origin, where the world is played, by index (see `window_index`).
    window: Vec<Option<Box<Chunk>>>,
    /// The chunks farther out (players who wander), by hash.
    far: FastMap<Cell, Box<Chunk>>,
    /// How many chunks exist.
    chunk_count: usize,
    /// How many cells hold something.
    occupied: usize,
    big: Vec<Item>,
    /// `big`'s items' bounding boxes (grown by `REJECT_SLACK`), apart so a query's test of
    /// every big item reads only these.
    big_bounds: Vec<Bounds>,
    at: Vec<Option<Place>>,
    /// At least the largest radius filed in a cell (at most `BIG_RADIUS`).
    cell_reach: f64,
}

/// Cells up to which a query visits them without asking for their items first (a player's
/// eat check covers one to four; a view's, fifty or so).
const FEW_CELLS: i64 = 8;

/// Entities with a larger radius are not filed in cells (half a cell).
pub const BIG_RADIUS: f64 = crate::engine::CELL_SIZE / 2.0;

impl Grid {
    /// An empty grid of square cells `cell_size` units wide (positive, finite).
    pub fn new(cell_size: f64) -> Self {
        Self {
            cell_size,
            window: Vec::new(),
            far: FastMap::default(),
            chunk_count: 0,
            occupied: 0,
            big: Vec::new(),
            big_bounds: Vec::new(),
            at: Vec::new(),
            cell_reach: 0.0,
        }
    }

    fn cell_of(&self, pos: Vec2) -> Cell {
        Cell {
            x: cell_coordinate(pos.x / self.cell_size),
            y: cell_coordinate(pos.y / self.cell_size),
        }
    }

    /// How far past its cell an entity filed in a cell can reach: at least the largest such
    /// radius, at most `BIG_RADIUS`.
    pub fn cell_reach(&self) -> f64 {
        self.cell_reach
    }

    /// Sets the reach to the largest radius now filed in a cell (`cell_reach` only grows
    /// between calls), and each cell's box to the one holding its items now (they only grow
    /// between calls). Once a tick: it reads every item.
    pub fn tighten_reach(&mut self, largest: f64) {
        self.cell_reach = largest.min(BIG_RADIUS);
        let window = self.window.iter_mut().flatten();
        for chunk in window.chain(self.far.values_mut()) {
            for (list, bounds) in chunk.cells.iter().zip(chunk.bounds.iter_mut()) {
                *bounds = list.iter().fold(Bounds::EMPTY, Bounds::with);
            }
        }
    }

    /// Puts `slot` at `pos` with `radius` (moving it if it is already in).
    pub fn insert(&mut self, slot: u32, pos: Vec2, radius: f64) {
        let index = slot as usize;
        if self.at.len() <= index {
            self.at.resize(index + 1, None);
        }
        if self.at[index].is_some() {
            self.update(slot, pos, radius);
            return;
        }
        let item = Item { slot, pos, radius };
        if radius > BIG_RADIUS {
            let position = u32::try_from(self.big.len()).unwrap_or(u32::MAX);
            self.big.push(item);
            self.big_bounds.push(Bounds::of(&item));
            self.at[index] = Some(Place::Big(position));
            return;
        }
        self.cell_reach = self.cell_reach.max(radius);
        let cell = self.cell_of(pos);
        let chunk = self.chunk_or_new(chunk_of(cell));
        chunk.items += 1;
        let bounds = &mut chunk.bounds[cell_index(cell)];
        *bounds = bounds.with(&item);
        let list = &mut chunk.cells[cell_index(cell)];
        let position = u32::try_from(list.len()).unwrap_or(u32::MAX);
        list.push(item);
        if position == 0 {
            self.occupied += 1;
        }
        self.at[index] = Some(Place::Cell(cell, position));
    }

    /// Takes `slot` out; nothing happens when it is not in.
    pub fn remove(&mut self, slot: u32) {
        let Some(place) = self.at.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        let (list, position) = match place {
            Place::Big(position) => {
                self.big_bounds.swap_remove(position as usize);
                (&mut self.big, position)
            }
            Place::Cell(cell, position) => {
                match Self::chunk_in(&mut self.window, &mut self.far, chunk_of(cell)) {
                    Some(chunk) => {
                        if chunk.cells[cell_index(cell)].len() == 1 {
                            chunk.bounds[cell_index(cell)] = Bounds::EMPTY;
                        }
                        (&mut chunk.cells[cell_index(cell)], position)
                    }
                    None => return,
                }
            }
        };
        list.swap_remove(position as usize);
        if let Some(moved) = list.get(position as usize) {
            if let Some(Some(Place::Cell(_, moved_position) | Place::Big(moved_position))) =
                self.at.get_mut(moved.slot as usize)
            {
                *moved_position = position;
            }
        }
        if let Place::Cell(cell, _) = place {
            if list.is_empty() {
                // Players wander: a cell keeps no allocation once it is empty, and a chunk
                // goes with its last item, so what the grid holds follows what is in it.
                *list = Vec::new();
                self.occupied -= 1;
            }
            let key = chunk_of(cell);
            if let Some(chunk) = Self::chunk_in(&mut self.window, &mut self.far, key) {
                chunk.items -= 1;
                if chunk.items == 0 {
                    self.drop_chunk(key);
                }
            }
        }
    }

    /// Moves `slot` to `pos` with `radius`: O(1), and only a write while it stays in its cell.
    pub fn update(&mut self, slot: u32, pos: Vec2, radius: f64) {
        let big = radius > BIG_RADIUS;
        let place = self.at.get(slot as usize).copied().flatten();
        let item = match place {
            Some(Place::Big(position)) if big => {
                if let Some(bounds) = self.big_bounds.get_mut(position as usize) {
                    *bounds = Bounds::of(&Item { slot, pos, radius });
                }
                self.big.get_mut(position as usize)
            }
            Some(Place::Cell(cell, position)) if !big && cell == self.cell_of(pos) => {
                Self::chunk_in(&mut self.window, &mut self.far, chunk_of(cell)).and_then(|chunk| {
                    let bounds = &mut chunk.bounds[cell_index(cell)];
                    *bounds = bounds.with(&Item { slot, pos, radius });
                    chunk.cells[cell_index(cell)].get_mut(position as usize)
                })
            }
            _ => {
                self.remove(slot);
                self.insert(slot, pos, radius);
                return;
            }
        };
        if let Some(item) = item {
            item.pos = pos;
            item.radius = radius;
        }
        if !big {
            self.cell_reach = self.cell_reach.max(radius);
        }
    }

    /// Calls `visit` with a superset of the items whose circle touches the box from `min` to
    /// `max` (callers test exactly): the items of every cell that the box grown by
    /// `cell_reach` overlaps and whose items' box meets it, cell by cell (x, then y,
    /// ascending), each cell's in its list's order; then the big items whose bounding square
    /// meets the box, in their list's order.
    pub fn query(&self, min: Vec2, max: Vec2, mut visit: impl FnMut(&Item)) {
        let reach = self.cell_reach + REJECT_SLACK;
        let low = self.cell_of(Vec2::new(min.x - reach, min.y - reach));
        let high = self.cell_of(Vec2::new(max.x + reach, max.y + reach));
        // Each cell's items are an allocation of their own, which the tick has rarely read
        // since the step moved them: visited one after another, a view's fifty-odd cells are
        // as many waits on memory. They are asked for first, all at once.
        let cells = (i64::from(high.x) - i64::from(low.x) + 1)
            .saturating_mul(i64::from(high.y) - i64::from(low.y) + 1);
        if cells > FEW_CELLS {
            self.for_each_cell_meeting(low, high, min, max, |items| {
                crate::prefetch::slice(items, 2);
            });
        }
        self.for_each_cell_meeting(low, high, min, max, |items| {
            for item in items {
                visit(item);
            }
        });
        // Big items: first which may touch, 64 at a time and without a branch each, then
        // those, in order.
        for (block, bounds) in self.big.chunks(64).zip(self.big_bounds.chunks(64)) {
            let mut mask = 0u64;
            for (bit, bound) in bounds.iter().enumerate() {
                mask |= u64::from(bound.meets(min, max)) << bit;
            }
            while mask != 0 {
                visit(&block[mask.trailing_zeros() as usize]);
                mask &= mask - 1;
            }
        }
    }

    /// Calls `visit` with the items of each cell from `low` to `high` whose items' box meets
    /// the box from `min` to `max`, cell by cell (x, then y, ascending).
    fn for_each_cell_meeting(
        &self,
        low: Cell,
        high: Cell,
        min: Vec2,
        max: Vec2,
        mut visit: impl FnMut(&[Item]),
    ) {
        let (chunk_low, chunk_high) = (chunk_of(low), chunk_of(high));
        for x in low.x..=high.x {
            let column = x >> CHUNK_SHIFT;
            for chunk_y in chunk_low.y..=chunk_high.y {
                let chunk = self.chunk(Cell {
                    x: column,
                    y: chunk_y,
                });
                let Some(chunk) = chunk else {
                    continue;
                };
                let from = low.y.max(chunk_y << CHUNK_SHIFT);
                let to = high.y.min((chunk_y << CHUNK_SHIFT) | CHUNK_MASK);
                for index in cell_index(Cell { x, y: from })..=cell_index(Cell { x, y: to }) {
                    if chunk.bounds[index].meets(min, max) {
                        visit(&chunk.cells[index]);
                    }
                }
            }
        }
    }

    /// Where chunk `key` is in `window`, when it is within it.
    fn window_index(key: Cell) -> Option<usize> {
        let side = 2 * WINDOW_CHUNKS;
        let (x, y) = (
            key.x.checked_add(WINDOW_CHUNKS)?,
            key.y.checked_add(WINDOW_CHUNKS)?,
        );
        let inside = (0..side).contains(&x) && (0..side).contains(&y);
        inside.then(|| usize::try_from(x * side + y).ok()).flatten()
    }

    fn chunk(&self, key: Cell) -> Option<&Chunk> {
        match Self::window_index(key) {
            Some(index) => self.window.get(index)?.as_deref(),
            None => self.far.get(&key).map(Box::as_ref),
        }
    }

    /// `chunk`, mutable; apart from `self` so the caller can still use `at`.
    fn chunk_in<'a>(
        window: &'a mut [Option<Box<Chunk>>],
        far: &'a mut FastMap<Cell, Box<Chunk>>,
        key: Cell,
    ) -> Option<&'a mut Chunk> {
        match Self::window_index(key) {
            Some(index) => window.get_mut(index)?.as_deref_mut(),
            None => far.get_mut(&key).map(Box::as_mut),
        }
    }

    fn chunk_or_new(&mut self, key: Cell) -> &mut Chunk {
        let chunk = match Self::window_index(key) {
            Some(index) => {
                if self.window.is_empty() {
                    let side = usize::try_from(2 * WINDOW_CHUNKS).unwrap_or(0);
                    self.window.resize_with(side * side, || None);
                }
                &mut self.window[index]
            }
            None => match self.far.entry(key) {
                Entry::Occupied(entry) => return entry.into_mut(),
                Entry::Vacant(entry) => {
                    self.chunk_count += 1;
                    return entry.insert(Chunk::new());
                }
            },
        };
        if chunk.is_none() {
            self.chunk_count += 1;
        }
        chunk.get_or_insert_with(Chunk::new)
    }

    /// Drops chunk `key` (its last item left).
    fn drop_chunk(&mut self, key: Cell) {
        let dropped = match Self::window_index(key) {
            Some(index) => self.window.get_mut(index).and_then(Option::take),
            None => self.far.remove(&key),
        };
        if dropped.is_some() {
            self.chunk_count -= 1;
        }
    }

    /// How many cells hold something.
    pub fn occupied_cells(&self) -> usize {
        self.occupied
    }
}

/// The cell index of a coordinate already divided by the cell size (its floor). World
/// positions are kept within ±`WORLD_LIMIT`, so this is far inside `i32`; the clamp only
/// guards the conversion. Rounded by hand: without SSE4.1, `f64::floor` is a library call,
/// four a query.
#[allow(clippy::cast_possible_truncation)]
fn cell_coordinate(scaled: f64) -> i32 {
    let scaled = scaled.clamp(-1e9, 1e9);
    let toward_zero = scaled as i32;
    if f64::from(toward_zero) > scaled {
        toward_zero - 1
    } else {
        toward_zero
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(grid: &Grid, min: Vec2, max: Vec2) -> Vec<u32> {
        let mut slots = Vec::new();
        grid.query(min, max, |item| slots.push(item.slot));
        slots.sort_unstable();
        slots
    }

    #[test]
    fn insert_move_and_remove_keep_queries_exact() {
        let mut grid = Grid::new(100.0);
        grid.insert(0, Vec2::new(10.0, 10.0), 1.0);
        grid.insert(1, Vec2::new(20.0, 20.0), 1.0);
        grid.insert(2, Vec2::new(-150.0, 10.0), 1.0);
        let everywhere = (Vec2::new(-1e4, -1e4), Vec2::new(1e4, 1e4));
        assert_eq!(found(&grid, everywhere.0, everywhere.1), [0, 1, 2]);
        assert_eq!(
            found(&grid, Vec2::new(0.0, 0.0), Vec2::new(50.0, 50.0)),
            [0, 1]
        );
        assert_eq!(
            found(&grid, Vec2::new(-199.0, 0.0), Vec2::new(-101.0, 1.0)),
            Vec::<u32>::new(),
            "in a cell the box covers, but the cell's items are out of its reach"
        );
        assert_eq!(
            found(&grid, Vec2::new(-199.0, 0.0), Vec2::new(-101.0, 9.0)),
            [2]
        );
        // Removing slot 0 moves slot 1 within the cell's list: its record must follow.
        grid.remove(0);
        grid.update(1, Vec2::new(500.0, 500.0), 1.0);
        assert_eq!(
            found(&grid, Vec2::new(0.0, 0.0), Vec2::new(50.0, 50.0)),
            Vec::<u32>::new()
        );
        assert_eq!(
            found(&grid, Vec2::new(450.0, 450.0), Vec2::new(550.0, 550.0)),
            [1]
        );
        grid.remove(1);
        grid.remove(1);
        assert_eq!(found(&grid, everywhere.0, everywhere.1), [2]);
        assert_eq!(grid.occupied_cells(), 1, "empty cells are dropped");
    }

    #[test]
    fn many_moves_never_lose_or_duplicate_a_slot() {
        let mut grid = Grid::new(64.0);
        let mut rng = crate::rng::Rng::new(3);
        let mut items = vec![(Vec2::default(), 1.0); 200];
        for (slot, item) in (0u32..).zip(items.iter_mut()) {
            item.0 = Vec2::new(rng.range(-500.0, 500.0), rng.range(-500.0, 500.0));
            grid.insert(slot, item.0, item.1);
        }
        for step in 0..5_000 {
            if step % 100 == 0 {
                // As the engine does once a tick: the cells' boxes shrink to their items.
                grid.tighten_reach(1.0);
            }
            let slot = u32::try_from(rng.next_u64() % 200).unwrap_or(0);
            // Most step a little (they stay in their cell, or cross to the next); some grow
            // past BIG_RADIUS and back: they move between the cells and the big list.
            let (pos, _) = items[slot as usize];
            let pos = if rng.chance(0.8) {
                Vec2::new(
                    pos.x + rng.range(-20.0, 20.0),
                    pos.y + rng.range(-20.0, 20.0),
                )
            } else {
                Vec2::new(rng.range(-500.0, 500.0), rng.range(-500.0, 500.0))
            };
            let radius = if rng.chance(0.1) {
                2.0 * BIG_RADIUS
            } else {
                1.0
            };
            items[slot as usize] = (pos, radius);
            grid.update(slot, pos, radius);
            if step % 10 == 5 {
                let center = Vec2::new(rng.range(-500.0, 500.0), rng.range(-500.0, 500.0));
                let half = rng.range(0.0, 150.0);
                let min = Vec2::new(center.x - half, center.y - half);
                let max = Vec2::new(center.x + half, center.y + half);
                let candidates = found(&grid, min, max);
                for slot in touching(&items, min, max) {
                    assert!(candidates.contains(&slot), "step {step}: {slot} is found");
                }
            }
        }
        let mut all = found(&grid, Vec2::new(-600.0, -600.0), Vec2::new(600.0, 600.0));
        all.dedup();
        assert_eq!(all.len(), 200);
    }

    /// Every slot whose circle touches the box, by brute force.
    fn touching(items: &[(Vec2, f64)], min: Vec2, max: Vec2) -> Vec<u32> {
        (0u32..)
            .zip(items)
            .filter(|(_, (pos, radius))| {
                let dx = (min.x - pos.x).max(pos.x - max.x).max(0.0);
                let dy = (min.y - pos.y).max(pos.y - max.y).max(0.0);
                dx * dx + dy * dy <= radius * radius
            })
            .map(|(slot, _)| slot)
            .collect()
    }

    #[test]
    fn queries_of_every_size_find_everything_touching_once() {
        let mut grid = Grid::new(64.0);
        let mut rng = crate::rng::Rng::new(11);
        let mut items = Vec::new();
        // Around the origin (chunks found by index), around a point far out (by hash), and
        // across the edge between them.
        let places = [
            Vec2::new(0.0, 0.0),
            Vec2::new(200_000.0, -150_000.0),
            Vec2::new(8_192.0, -8_192.0),
        ];
        for slot in 0u32..600 {
            let around = places[slot as usize % places.len()];
            let pos = Vec2::new(
                around.x + rng.range(-3_000.0, 3_000.0),
                around.y + rng.range(-3_000.0, 3_000.0),
            );
            let radius = if rng.chance(0.1) {
                rng.range(BIG_RADIUS, 8.0 * BIG_RADIUS)
            } else {
                rng.range(1.0, 60.0)
            };
            grid.insert(slot, pos, radius);
            items.push((pos, radius));
        }
        assert!(!grid.far.is_empty() && grid.chunk_count > grid.far.len());
        // From a point to boxes spanning many chunks.
        for half in [0.0, 10.0, 100.0, 700.0, 2_500.0, 5_000.0] {
            for n in 0..90 {
                let around = places[n % places.len()];
                let center = Vec2::new(
                    around.x + rng.range(-3_500.0, 3_500.0),
                    around.y + rng.range(-3_500.0, 3_500.0),
                );
                let min = Vec2::new(center.x - half, center.y - half * 0.6);
                let max = Vec2::new(center.x + half, center.y + half * 0.6);
                let mut visited = Vec::new();
                grid.query(min, max, |item| visited.push(item.slot));
                let count = visited.len();
                visited.sort_unstable();
                visited.dedup();
                assert_eq!(visited.len(), count, "no item is visited twice");
                for slot in touching(&items, min, max) {
                    assert!(visited.binary_search(&slot).is_ok(), "{slot} is found");
                }
            }
        }
    }

    #[test]
    fn cells_are_visited_by_column_then_row_across_chunks() {
        let mut grid = Grid::new(10.0);
        // One item per cell over a 20 × 20 cell square around the origin: several chunks,
        // negative coordinates included.
        let mut cells = Vec::new();
        for x in -10..10 {
            for y in -10..10 {
                let slot = u32::try_from(cells.len()).unwrap_or(0);
                grid.insert(
                    slot,
                    Vec2::new(f64::from(x) * 10.0 + 5.0, f64::from(y) * 10.0 + 5.0),
                    1.0,
                );
                cells.push((x, y));
            }
        }
        grid.tighten_reach(1.0);
        for (min, max) in [
            (Vec2::new(-95.0, -95.0), Vec2::new(95.0, 95.0)),
            (Vec2::new(-33.0, 12.0), Vec2::new(41.0, 77.0)),
            (Vec2::new(-1e4, -1e4), Vec2::new(1e4, 1e4)),
        ] {
            let mut order = Vec::new();
            grid.query(min, max, |item| order.push(cells[item.slot as usize]));
            assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{order:?}");
        }
    }

    #[test]
    fn big_items_are_found_near_and_not_far() {
        let mut grid = Grid::new(100.0);
        grid.insert(0, Vec2::new(0.0, 0.0), 3.0 * BIG_RADIUS);
        grid.insert(1, Vec2::new(5_000.0, 0.0), 3.0 * BIG_RADIUS);
        grid.insert(2, Vec2::new(0.0, 0.0), 1.0);
        let edge = 3.0 * BIG_RADIUS;
        // A point just inside the first big circle's reach, and one far from both.
        assert_eq!(
            found(
                &grid,
                Vec2::new(edge - 1.0, 0.0),
                Vec2::new(edge - 1.0, 0.0)
            ),
            [0]
        );
        assert_eq!(
            found(&grid, Vec2::new(2_500.0, 0.0), Vec2::new(2_500.0, 0.0)),
            Vec::<u32>::new()
        );
        assert_eq!(
            found(&grid, Vec2::new(4_000.0, -10.0), Vec2::new(6_000.0, 10.0)),
            [1]
        );
        // A big item that moves follows: found where it went, not where it was.
        grid.update(1, Vec2::new(-5_000.0, 0.0), 3.0 * BIG_RADIUS);
        assert_eq!(
            found(&grid, Vec2::new(4_000.0, -10.0), Vec2::new(6_000.0, 10.0)),
            Vec::<u32>::new()
        );
        assert_eq!(
            found(&grid, Vec2::new(-6_000.0, -10.0), Vec2::new(-4_000.0, 10.0)),
            [1]
        );
    }

    #[test]
    fn a_big_item_that_shrinks_goes_back_into_a_cell() {
        let mut grid = Grid::new(100.0);
        grid.insert(0, Vec2::new(250.0, 250.0), 2.0 * BIG_RADIUS);
        grid.insert(1, Vec2::new(-250.0, 250.0), 2.0 * BIG_RADIUS);
        assert_eq!(grid.occupied_cells(), 0, "big items are in no cell");
        grid.update(0, Vec2::new(250.0, 250.0), 10.0);
        assert_eq!(grid.occupied_cells(), 1);
        assert_eq!(grid.big.len(), 1, "only the other one is still big");
        assert_eq!(
            found(&grid, Vec2::new(200.0, 200.0), Vec2::new(299.0, 299.0)),
            [0]
        );
        // Removing the one left in the big list must not disturb the other's record.
        grid.remove(1);
        grid.update(0, Vec2::new(260.0, 250.0), 2.0 * BIG_RADIUS);
        grid.update(0, Vec2::new(260.0, 250.0), 10.0);
        assert_eq!(
            found(&grid, Vec2::new(200.0, 200.0), Vec2::new(299.0, 299.0)),
            [0]
        );
        assert!(grid.big.is_empty() && grid.big_bounds.is_empty());
    }

    #[test]
    fn memory_follows_the_items_after_they_wander() {
        let mut grid = Grid::new(crate::engine::CELL_SIZE);
        let mut rng = crate::rng::Rng::new(5);
        let limit = crate::engine::WORLD_LIMIT;
        let mut positions: Vec<Vec2> = (0..50).map(|_| Vec2::default()).collect();
        for (slot, pos) in (0u32..).zip(&positions) {
            grid.insert(slot, *pos, 20.0);
        }
        // They wander all over the world, crossing thousands of cells and chunks...
        for _ in 0..200 {
            for (slot, pos) in (0u32..).zip(positions.iter_mut()) {
                *pos = Vec2::new(rng.range(-limit, limit), rng.range(-limit, limit));
                grid.update(slot, *pos, 20.0);
            }
            assert!(grid.occupied_cells() <= 50 && grid.chunk_count <= 50);
        }
        // ... and come home: only the cells and chunks holding them are left.
        for slot in 0u32..50 {
            grid.update(slot, Vec2::new(f64::from(slot), 0.0), 20.0);
        }
        assert_eq!(grid.occupied_cells(), 1);
        assert_eq!(grid.chunk_count, 1);
        for slot in 0u32..50 {
            grid.remove(slot);
        }
        assert_eq!(grid.occupied_cells(), 0);
        assert_eq!(grid.chunk_count, 0);
        assert!(grid.far.is_empty() && grid.window.iter().all(Option::is_none));
    }

    #[test]
    fn cell_coordinates_round_down() {
        for (scaled, cell) in [
            (0.0, 0),
            (-0.0, 0),
            (0.5, 0),
            (1.0, 1),
            (-0.5, -1),
            (-1.0, -1),
            (-1.000_001, -2),
            (3_906.25, 3_906),
            (-3_906.25, -3_907),
            (1e12, 1_000_000_000),
            (-1e12, -1_000_000_000),
            (f64::NAN, 0),
        ] {
            assert_eq!(cell_coordinate(scaled), cell, "{scaled}");
        }
    }
}
