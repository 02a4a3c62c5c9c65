//! The geometry on top of the geohash (Redis's geohash_helper.c): the search
//! shapes, the step (precision) a search area needs, the nine cells that cover
//! it, and the haversine distances on Redis's earth radius. Kept to Redis's
//! exact formulas (including its degree/radian constant) so distances and the
//! set of matched points are the same as Redis's.

use crate::geohash::{self, Area, HashBits, Neighbors};

/// deg_rad / rad_deg use M_PI / 180.
const D_R: f64 = std::f64::consts::PI / 180.0;
/// Earth's quadratic mean radius for WGS-84, as Redis uses it.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

fn deg_rad(a: f64) -> f64 {
    a * D_R
}

fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// What a GEOSEARCH looks in: a circle of `radius`, or a `width` x `height` box.
#[derive(Clone, Copy, Debug)]
pub enum ShapeKind {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

/// GeoShape: the centre [longitude, latitude], the unit (meters per unit) and
/// the kind; sizes are in the user's unit.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub xy: [f64; 2],
    pub conversion: f64,
    pub kind: ShapeKind,
}

/// The cell holding the centre, its neighbours (zeroed when useless) and its area.
pub struct Radius {
    pub hash: HashBits,
    pub neighbors: Neighbors,
    pub area: Area,
}

/// geohashEstimateStepsByRadius.
pub fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    // Make sure the range is included in most of the base cases.
    step -= 2;
    // Cells are narrower towards the poles.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// geohashBoundingBox: [min_lon, min_lat, max_lon, max_lat] around the shape.
pub fn bounding_box(shape: &Shape) -> [f64; 4] {
    let [longitude, latitude] = shape.xy;
    let (h, w) = match shape.kind {
        ShapeKind::Circle { radius } => (radius, radius),
        ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
    };
    let height = shape.conversion * h;
    let width = shape.conversion * w;
    let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    let long_delta_top =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
    // The hemispheres bulge in opposite directions.
    let southern = latitude < 0.0;
    let long_delta = if southern {
        long_delta_bottom
    } else {
        long_delta_top
    };
    [
        longitude - long_delta,
        latitude - lat_delta,
        longitude + long_delta,
        latitude + lat_delta,
    ]
}

/// geohashCalculateAreasByShapeWGS84: the centre cell and the neighbours that
/// together cover the shape.
pub fn areas_by_shape(shape: &Shape) -> Radius {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let [longitude, latitude] = shape.xy;
    let radius_meters = match shape.kind {
        ShapeKind::Circle { radius } => radius,
        ShapeKind::Box { width, height } => {
            ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
        }
    } * shape.conversion;
    let mut steps = estimate_steps_by_radius(radius_meters, latitude);
    let (long_range, lat_range) = geohash::coord_ranges();
    let cover = |steps: u8| {
        let hash = geohash::encode(&long_range, &lat_range, longitude, latitude, steps)
            .unwrap_or_default();
        let neighbors = geohash::neighbors(&hash);
        let area = geohash::decode(long_range, lat_range, hash).unwrap_or_default();
        (hash, neighbors, area)
    };
    let (mut hash, mut neighbors, mut area) = cover(steps);
    // Near a cell edge the estimated step can be too coarse for a neighbour
    // to reach the whole search area: then use one step less.
    let decrease_step = {
        let d = |h: HashBits| geohash::decode(long_range, lat_range, h).unwrap_or_default();
        let (north, south, east, west) = (
            d(neighbors.north),
            d(neighbors.south),
            d(neighbors.east),
            d(neighbors.west),
        );
        north.latitude.max < max_lat
            || south.latitude.min > min_lat
            || east.longitude.max < max_lon
            || west.longitude.min > min_lon
    };
    if steps > 1 && decrease_step {
        steps -= 1;
        (hash, neighbors, area) = cover(steps);
    }
    // Drop the neighbours the search area does not reach.
    if steps >= 2 {
        let zero = HashBits::default();
        if area.latitude.min < min_lat {
            neighbors.south = zero;
            neighbors.south_west = zero;
            neighbors.south_east = zero;
        }
        if area.latitude.max > max_lat {
            neighbors.north = zero;
            neighbors.north_east = zero;
            neighbors.north_west = zero;
        }
        if area.longitude.min < min_lon {
            neighbors.west = zero;
            neighbors.south_west = zero;
            neighbors.north_west = zero;
        }
        if area.longitude.max > max_lon {
            neighbors.east = zero;
            neighbors.south_east = zero;
            neighbors.north_east = zero;
        }
    }
    Radius {
        hash,
        neighbors,
        area,
    }
}

/// geohashGetLatDistance: the distance along a meridian.
pub fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// geohashGetDistance: haversine great-circle distance in meters.
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // Same longitude: skip the expensive part.
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// geohashGetDistanceIfInRectangle: the distance from the centre (x1, y1) when
/// (x2, y2) is inside the width x height box (meters) around it.
pub fn distance_if_in_rectangle(
    width_m: f64,
    height_m: f64,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
) -> Option<f64> {
    // The latitude test is the cheaper one.
    if lat_distance(y2, y1) > height_m / 2.0 {
        return None;
    }
    if distance(x2, y2, x1, y2) > width_m / 2.0 {
        return None;
    }
    Some(distance(x1, y1, x2, y2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palermo_catania_distance() {
        // GEODIST Sicily Palermo Catania km on Redis 7.0.15: 166.2742.
        let p = geohash::decode_score(3479099956230698.0).unwrap();
        let c = geohash::decode_score(3479447370796909.0).unwrap();
        let d = distance(p[0], p[1], c[0], c[1]) / 1000.0;
        assert_eq!(format!("{:.4}", d), "166.2742");
    }

    #[test]
    fn steps_shrink_with_radius() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert!(estimate_steps_by_radius(100.0, 0.0) > estimate_steps_by_radius(100000.0, 0.0));
        assert_eq!(estimate_steps_by_radius(1e9, 0.0), 1);
        assert!(estimate_steps_by_radius(1000.0, 85.0) < estimate_steps_by_radius(1000.0, 0.0));
    }

    #[test]
    fn rectangle_membership() {
        assert!(distance_if_in_rectangle(2000.0, 2000.0, 0.0, 0.0, 0.0, 0.005).is_some());
        assert!(distance_if_in_rectangle(2000.0, 2000.0, 0.0, 0.0, 0.0, 0.02).is_none());
        assert!(distance_if_in_rectangle(2000.0, 2000.0, 0.0, 0.0, 0.02, 0.0).is_none());
    }
}
