//! The spatial index: a uniform grid of cells grouped in chunks, holding entity slots by their
//! centre. Insert, remove and move are O(1); a query visits only what may touch a rectangle.

use std::collections::HashMap;
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

/// A query spanning at most this many chunks looks each up once, before visiting its cells;
/// a larger one (rare: a huge box) looks a chunk up once per column of cells.
const CACHED_CHUNKS: usize = 16;

/// How much further than its radius an item is taken as reaching when a query rejects it
/// without the caller: far more than the rounding of coordinates within ±`WORLD_LIMIT`, so
/// nothing the caller's exact test accepts is left out.
const REJECT_SLACK: f64 = 1e-3;

/// The box around a big item a query tests it by.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Bounds {
    fn of(item: &Item) -> Self {
        let reach = item.radius + REJECT_SLACK;
        Self {
            left: item.pos.x - reach,
            right: item.pos.x + reach,
            top: item.pos.y - reach,
            bottom: item.pos.y + reach,
        }
    }
}

/// The cells of one chunk, and how many items they hold (the chunk goes when that is 0).
#[derive(Debug)]
struct Chunk {
    /// Indexed by `cell_index`; an empty cell holds no allocation.
    cells: [Vec<Item>; (CHUNK_SIDE * CHUNK_SIDE) as usize],
    items: u32,
}

impl Chunk {
    fn new() -> Box<Self> {
        Box::new(Self {
            cells: std::array::from_fn(|_| Vec::new()),
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
    chunks: FastMap<Cell, Box<Chunk>>,
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

/// Entities with a larger radius are not filed in cells (half a cell).
pub const BIG_RADIUS: f64 = crate::engine::CELL_SIZE / 2.0;

impl Grid {
    /// An empty grid of square cells `cell_size` units wide (positive, finite).
    pub fn new(cell_size: f64) -> Self {
        Self {
            cell_size,
            chunks: FastMap::default(),
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
    /// between calls).
    pub fn tighten_reach(&mut self, largest: f64) {
        self.cell_reach = largest.min(BIG_RADIUS);
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
        let chunk = self.chunks.entry(chunk_of(cell)).or_insert_with(Chunk::new);
        chunk.items += 1;
        let list = &mut chunk.cells[cell_index(cell)];
        if list.is_empty() {
            self.occupied += 1;
        }
        let position = u32::try_from(list.len()).unwrap_or(u32::MAX);
        list.push(item);
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
            Place::Cell(cell, position) => match self.chunks.get_mut(&chunk_of(cell)) {
                Some(chunk) => (&mut chunk.cells[cell_index(cell)], position),
                None => return,
            },
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
            if let Some(chunk) = self.chunks.get_mut(&key) {
                chunk.items -= 1;
                if chunk.items == 0 {
                    self.chunks.remove(&key);
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
            Some(Place::Cell(cell, position)) if !big && cell == self.cell_of(pos) => self
                .chunks
                .get_mut(&chunk_of(cell))
                .and_then(|chunk| chunk.cells[cell_index(cell)].get_mut(position as usize)),
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
    /// `max` (callers test exactly): every item filed in a cell that the box grown by
    /// `cell_reach` overlaps, cell by cell (x, then y, ascending), each cell's in its list's
    /// order; then the big items whose bounding square meets the box, in their list's order.
    pub fn query(&self, min: Vec2, max: Vec2, mut visit: impl FnMut(&Item)) {
        let reach = self.cell_reach;
        let low = self.cell_of(Vec2::new(min.x - reach, min.y - reach));
        let high = self.cell_of(Vec2::new(max.x + reach, max.y + reach));
        let (chunk_low, chunk_high) = (chunk_of(low), chunk_of(high));
        let columns = i64::from(chunk_high.x) - i64::from(chunk_low.x) + 1;
        let rows = i64::from(chunk_high.y) - i64::from(chunk_low.y) + 1;
        // The chunks the box covers, looked up once when they are few.
        let mut cached: [Option<&Chunk>; CACHED_CHUNKS] = [None; CACHED_CHUNKS];
        let cache = usize::try_from(columns * rows).is_ok_and(|count| count <= CACHED_CHUNKS);
        if cache {
            let mut index = 0;
            for x in chunk_low.x..=chunk_high.x {
                for y in chunk_low.y..=chunk_high.y {
                    cached[index] = self.chunks.get(&Cell { x, y }).map(Box::as_ref);
                    index += 1;
                }
            }
        }
        let rows = usize::try_from(rows).unwrap_or(usize::MAX);
        for x in low.x..=high.x {
            let column = x >> CHUNK_SHIFT;
            let first_cached = if cache {
                usize::try_from(column - chunk_low.x).unwrap_or(0) * rows
            } else {
                0
            };
            for (row, chunk_y) in (chunk_low.y..=chunk_high.y).enumerate() {
                let chunk = if cache {
                    cached[first_cached + row]
                } else {
                    self.chunks
                        .get(&Cell {
                            x: column,
                            y: chunk_y,
                        })
                        .map(Box::as_ref)
                };
                let Some(chunk) = chunk else {
                    continue;
                };
                let from = low.y.max(chunk_y << CHUNK_SHIFT);
                let to = high.y.min((chunk_y << CHUNK_SHIFT) | CHUNK_MASK);
                for y in from..=to {
                    for item in &chunk.cells[cell_index(Cell { x, y })] {
                        visit(item);
                    }
                }
            }
        }
        // Big items: first which may touch, 64 at a time and without a branch each, then
        // those, in order.
        for (block, bounds) in self.big.chunks(64).zip(self.big_bounds.chunks(64)) {
            let mut mask = 0u64;
            for (bit, bound) in bounds.iter().enumerate() {
                let near = (bound.left <= max.x)
                    & (bound.right >= min.x)
                    & (bound.top <= max.y)
                    & (bound.bottom >= min.y);
                mask |= u64::from(near) << bit;
            }
            while mask != 0 {
                visit(&block[mask.trailing_zeros() as usize]);
                mask &= mask - 1;
            }
        }
    }

    /// How many cells hold something.
    pub fn occupied_cells(&self) -> usize {
        self.occupied
    }
}

/// The cell index of a coordinate already divided by the cell size. World positions are kept
/// within ±`WORLD_LIMIT`, so this is far inside `i32`; the clamp only guards the conversion.
#[allow(clippy::cast_possible_truncation)]
fn cell_coordinate(scaled: f64) -> i32 {
    scaled.floor().clamp(-1e9, 1e9) as i32
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
        let mut positions = vec![Vec2::default(); 200];
        for (slot, position) in (0u32..).zip(positions.iter_mut()) {
            *position = Vec2::new(rng.range(-500.0, 500.0), rng.range(-500.0, 500.0));
            grid.insert(slot, *position, 1.0);
        }
        for _ in 0..5_000 {
            let slot = u32::try_from(rng.next_u64() % 200).unwrap_or(0);
            let pos = Vec2::new(rng.range(-500.0, 500.0), rng.range(-500.0, 500.0));
            positions[slot as usize] = pos;
            // Some grow past BIG_RADIUS and back: they move between the cells and the big list.
            let radius = if rng.chance(0.1) {
                2.0 * BIG_RADIUS
            } else {
                1.0
            };
            grid.update(slot, pos, radius);
        }
        let min = Vec2::new(-100.0, -100.0);
        let max = Vec2::new(100.0, 100.0);
        let inside: Vec<u32> = (0u32..)
            .zip(&positions)
            .filter(|(_, p)| p.x >= min.x && p.x <= max.x && p.y >= min.y && p.y <= max.y)
            .map(|(slot, _)| slot)
            .collect();
        let candidates = found(&grid, min, max);
        assert!(inside.iter().all(|slot| candidates.contains(slot)));
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
        for slot in 0u32..400 {
            let pos = Vec2::new(rng.range(-3_000.0, 3_000.0), rng.range(-3_000.0, 3_000.0));
            let radius = if rng.chance(0.1) {
                rng.range(BIG_RADIUS, 8.0 * BIG_RADIUS)
            } else {
                rng.range(1.0, 60.0)
            };
            grid.insert(slot, pos, radius);
            items.push((pos, radius));
        }
        // From a point to boxes spanning more chunks than a query looks up ahead.
        for half in [0.0, 10.0, 100.0, 700.0, 2_500.0, 5_000.0] {
            for _ in 0..50 {
                let center = Vec2::new(rng.range(-3_500.0, 3_500.0), rng.range(-3_500.0, 3_500.0));
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
            assert!(grid.occupied_cells() <= 50 && grid.chunks.len() <= 50);
        }
        // ... and come home: only the cells and chunks holding them are left.
        for slot in 0u32..50 {
            grid.update(slot, Vec2::new(f64::from(slot), 0.0), 20.0);
        }
        assert_eq!(grid.occupied_cells(), 1);
        assert_eq!(grid.chunks.len(), 1);
        for slot in 0u32..50 {
            grid.remove(slot);
        }
        assert_eq!(grid.occupied_cells(), 0);
        assert!(grid.chunks.is_empty());
    }
}
