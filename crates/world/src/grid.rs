//! The spatial index: a uniform grid hashed by cell, holding entity slots by their centre.
//! Insert, remove and move are O(1); a query visits only the cells a rectangle covers.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::geom::Vec2;

/// A grid cell's coordinates (cell units, not world units).
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

/// The uniform grid. Slots are small dense integers chosen by the caller. Entities are filed
/// by their centre; those wider than `BIG_RADIUS` are kept apart and visited by every query,
/// so one huge player does not make every query cover more cells.
#[derive(Debug)]
pub struct Grid {
    cell_size: f64,
    cells: FastMap<Cell, Vec<Item>>,
    big: Vec<Item>,
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
            cells: FastMap::default(),
            big: Vec::new(),
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
            self.at[index] = Some(Place::Big(position));
            return;
        }
        self.cell_reach = self.cell_reach.max(radius);
        let cell = self.cell_of(pos);
        let list = self.cells.entry(cell).or_default();
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
            Place::Big(position) => (&mut self.big, position),
            Place::Cell(cell, position) => match self.cells.get_mut(&cell) {
                Some(list) => (list, position),
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
            if self.cells.get(&cell).is_some_and(Vec::is_empty) {
                // Players wander; keeping every cell they crossed would grow without bound.
                self.cells.remove(&cell);
            }
        }
    }

    /// Moves `slot` to `pos` with `radius`: O(1), and only a write while it stays in its cell.
    pub fn update(&mut self, slot: u32, pos: Vec2, radius: f64) {
        let big = radius > BIG_RADIUS;
        let place = self.at.get(slot as usize).copied().flatten();
        let item = match place {
            Some(Place::Big(position)) if big => self.big.get_mut(position as usize),
            Some(Place::Cell(cell, position)) if !big && cell == self.cell_of(pos) => self
                .cells
                .get_mut(&cell)
                .and_then(|list| list.get_mut(position as usize)),
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

    /// Calls `visit` with every item whose centre lies in a cell that the box from `min` to
    /// `max` overlaps, and with every big item (a superset of the items touching the box
    /// grown by `cell_reach`; callers test exactly).
    pub fn query(&self, min: Vec2, max: Vec2, mut visit: impl FnMut(&Item)) {
        let low = self.cell_of(min);
        let high = self.cell_of(max);
        for x in low.x..=high.x {
            for y in low.y..=high.y {
                if let Some(list) = self.cells.get(&Cell { x, y }) {
                    for item in list {
                        visit(item);
                    }
                }
            }
        }
        for item in &self.big {
            visit(item);
        }
    }

    /// How many cells hold something.
    pub fn occupied_cells(&self) -> usize {
        self.cells.len()
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
}
