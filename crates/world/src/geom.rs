//! Plane geometry the world needs: points, axis-aligned rectangles, circle tests.

/// A point or a vector in world units (x right, y down, as in Godot).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Vec2 {
    /// Horizontal coordinate.
    pub x: f64,
    /// Vertical coordinate (grows downwards).
    pub y: f64,
}

impl Vec2 {
    /// The point `(x, y)`.
    pub const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    /// The unit vector at `angle` radians (0 = +x, π/2 = +y).
    pub fn from_angle(angle: f64) -> Self {
        let (sin, cos) = angle.sin_cos();
        Self { x: cos, y: sin }
    }

    /// Squared distance to `other` (no square root: comparisons use squares).
    pub fn distance_squared(self, other: Self) -> f64 {
        let dx = self.x - other.x;
        let dy = self.y - other.y;
        dx * dx + dy * dy
    }

    /// Whether both coordinates are finite.
    pub fn is_finite(self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }

    /// This point moved by `by` scaled with `scale`.
    pub fn add_scaled(self, by: Self, scale: f64) -> Self {
        Self {
            x: self.x + by.x * scale,
            y: self.y + by.y * scale,
        }
    }
}

/// An axis-aligned rectangle given by its centre and half extents.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// The centre.
    pub center: Vec2,
    /// Half the width (x) and half the height (y); never negative.
    pub half: Vec2,
}

impl Rect {
    /// This rectangle grown by `by` on every side.
    pub fn grown(self, by: f64) -> Self {
        Self {
            center: self.center,
            half: Vec2::new(self.half.x + by, self.half.y + by),
        }
    }

    /// Whether the circle at `center` with `radius` touches this rectangle.
    pub fn touches_circle(self, center: Vec2, radius: f64) -> bool {
        let dx = ((center.x - self.center.x).abs() - self.half.x).max(0.0);
        let dy = ((center.y - self.center.y).abs() - self.half.y).max(0.0);
        dx * dx + dy * dy <= radius * radius
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circles_touch_rectangles_at_edges_and_corners() {
        let view = Rect {
            center: Vec2::new(0.0, 0.0),
            half: Vec2::new(100.0, 50.0),
        };
        assert!(view.touches_circle(Vec2::new(0.0, 0.0), 1.0));
        assert!(view.touches_circle(Vec2::new(105.0, 0.0), 5.0), "edge");
        assert!(!view.touches_circle(Vec2::new(106.0, 0.0), 5.0));
        assert!(view.touches_circle(Vec2::new(103.0, 54.0), 5.0), "corner");
        assert!(
            !view.touches_circle(Vec2::new(104.0, 54.0), 5.0),
            "corner gap"
        );
        assert!(view.grown(1.0).touches_circle(Vec2::new(106.0, 0.0), 5.0));
    }
}
