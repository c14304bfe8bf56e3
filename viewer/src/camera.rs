//! The orbit camera: a target point, a distance and two angles, with Speckle's Z axis up. It is
//! plain math (no GPU), so the browser, the headless renderer and the URL share it.

/// Where the camera looks from, around `target`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Orbit {
    pub target: [f32; 3],
    pub distance: f32,
    /// Radians around Z, from +X towards +Y.
    pub azimuth: f32,
    /// Radians above the XY plane.
    pub elevation: f32,
}

/// The standard views of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandardView {
    Top,
    Front,
    Side,
    Isometric,
}

/// The vertical field of view every renderer uses, in radians.
pub const FIELD_OF_VIEW: f32 = std::f32::consts::FRAC_PI_4; // 45°

/// Just below straight up or down, where the view direction would be parallel to Z.
const MAX_ELEVATION: f32 = 1.5697;

impl Orbit {
    /// The isometric view of a box given by its corners, far enough to see all of it.
    pub fn fit(min: [f32; 3], max: [f32; 3]) -> Self {
        let mut orbit = Orbit::looking_at_origin(StandardView::Isometric, 1.0);
        orbit.frame(min, max);
        orbit
    }

    /// The standard `view` of the origin, from `distance` away.
    fn looking_at_origin(view: StandardView, distance: f32) -> Self {
        let mut orbit = Orbit {
            target: [0.0; 3],
            distance,
            azimuth: 0.0,
            elevation: 0.0,
        };
        orbit.set_view(view);
        orbit
    }

    /// Keeps the angles, moves the target to the box's centre and the camera back until the box's
    /// bounding sphere fills the view.
    pub fn frame(&mut self, min: [f32; 3], max: [f32; 3]) {
        let centre = [
            (min[0] + max[0]) / 2.0,
            (min[1] + max[1]) / 2.0,
            (min[2] + max[2]) / 2.0,
        ];
        let radius = (0..3)
            .map(|i| (max[i] - min[i]) / 2.0)
            .map(|h| h * h)
            .sum::<f32>()
            .sqrt()
            .max(0.01);
        self.target = centre;
        self.distance = radius / (FIELD_OF_VIEW / 2.0).sin() * 1.05;
    }

    /// Keeps the angles and moves the camera as close as it can while every corner of the box
    /// stays in a view `aspect` (width / height) wide: tighter than [`Orbit::frame`] for
    /// long or flat models, as thumbnails want.
    pub fn frame_tightly(&mut self, min: [f32; 3], max: [f32; 3], aspect: f32) {
        self.frame(min, max);
        let (right, up) = self.screen_axes();
        let position = self.position();
        // From the target towards the camera.
        let back: Vec<f32> = (0..3)
            .map(|i| (position[i] - self.target[i]) / self.distance)
            .collect();
        let tan_v = (FIELD_OF_VIEW / 2.0).tan();
        let tan_h = tan_v * aspect.max(0.01);
        let mut needed: f32 = 0.01;
        for corner in 0..8 {
            let c: Vec<f32> = (0..3)
                .map(|i| {
                    let v = if corner & (1 << i) == 0 {
                        min[i]
                    } else {
                        max[i]
                    };
                    v - self.target[i]
                })
                .collect();
            let dot = |a: &[f32]| (0..3).map(|i| a[i] * c[i]).sum::<f32>();
            let towards = dot(&back);
            needed = needed
                .max(dot(&right).abs() / tan_h + towards)
                .max(dot(&up).abs() / tan_v + towards);
        }
        self.distance = needed * 1.12;
    }

    pub fn set_view(&mut self, view: StandardView) {
        use std::f32::consts::FRAC_PI_2;
        let (azimuth, elevation) = match view {
            StandardView::Top => (-FRAC_PI_2, MAX_ELEVATION),
            StandardView::Front => (-FRAC_PI_2, 0.0),
            StandardView::Side => (0.0, 0.0),
            StandardView::Isometric => (-FRAC_PI_2 / 2.0, 0.615_48), // atan(1/√2)
        };
        self.azimuth = azimuth;
        self.elevation = elevation;
    }

    /// Turns around the target by screen-space drag amounts (radians).
    pub fn rotate(&mut self, horizontal: f32, vertical: f32) {
        self.azimuth -= horizontal;
        self.elevation = (self.elevation + vertical).clamp(-MAX_ELEVATION, MAX_ELEVATION);
    }

    /// Moves closer (`factor` < 1) or further away (`factor` > 1).
    pub fn zoom(&mut self, factor: f32) {
        self.distance = (self.distance * factor).clamp(0.001, 1.0e7);
    }

    /// Slides the target (and the camera with it) in the view plane, by fractions of the
    /// distance: +right, +up on screen.
    pub fn pan(&mut self, right: f32, up: f32) {
        let (r, u) = self.screen_axes();
        for i in 0..3 {
            self.target[i] += (r[i] * right + u[i] * up) * self.distance;
        }
    }

    pub fn position(&self) -> [f32; 3] {
        let (sa, ca) = self.azimuth.sin_cos();
        let (se, ce) = self.elevation.sin_cos();
        [
            self.target[0] + self.distance * ce * ca,
            self.target[1] + self.distance * ce * sa,
            self.target[2] + self.distance * se,
        ]
    }

    /// The unit vectors pointing right and up on screen.
    fn screen_axes(&self) -> ([f32; 3], [f32; 3]) {
        let (sa, ca) = self.azimuth.sin_cos();
        let (se, ce) = self.elevation.sin_cos();
        let right = [-sa, ca, 0.0];
        let up = [-se * ca, -se * sa, ce];
        (right, up)
    }

    /// The view as a URL fragment value: `x,y,z,distance,azimuth,elevation`.
    pub fn to_param(&self) -> String {
        let t = self.target;
        format!(
            "{:.3},{:.3},{:.3},{:.3},{:.4},{:.4}",
            t[0], t[1], t[2], self.distance, self.azimuth, self.elevation
        )
    }

    /// Reads `to_param`'s form; `None` for anything else.
    pub fn from_param(value: &str) -> Option<Self> {
        let numbers: Vec<f32> = value
            .split(',')
            .map(|n| n.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .ok()?;
        let [x, y, z, distance, azimuth, elevation] = numbers.try_into().ok()?;
        if ![x, y, z, distance, azimuth, elevation]
            .iter()
            .all(|n| n.is_finite())
            || distance <= 0.0
        {
            return None;
        }
        Some(Orbit {
            target: [x, y, z],
            distance,
            azimuth,
            elevation: elevation.clamp(-MAX_ELEVATION, MAX_ELEVATION),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tight_framing_comes_closer_for_flat_models_and_keeps_corners_in_view() {
        let (min, max) = ([0.0, 0.0, 0.0], [40.0, 40.0, 1.0]);
        let loose = Orbit::fit(min, max);
        let mut tight = loose;
        tight.frame_tightly(min, max, 1.75);
        assert!(tight.distance < loose.distance);
        assert_eq!(tight.target, loose.target);
        // Every corner projects inside the view.
        let (right, up) = tight.screen_axes();
        let eye = tight.position();
        let tan_v = (FIELD_OF_VIEW / 2.0).tan();
        for corner in 0..8 {
            let p: Vec<f32> = (0..3)
                .map(|i| {
                    if corner & (1 << i) == 0 {
                        min[i]
                    } else {
                        max[i]
                    }
                })
                .collect();
            let d: Vec<f32> = (0..3).map(|i| p[i] - eye[i]).collect();
            let forward: Vec<f32> = (0..3).map(|i| tight.target[i] - eye[i]).collect();
            let depth = (0..3).map(|i| d[i] * forward[i]).sum::<f32>() / tight.distance;
            let x = (0..3).map(|i| d[i] * right[i]).sum::<f32>() / depth;
            let y = (0..3).map(|i| d[i] * up[i]).sum::<f32>() / depth;
            assert!(x.abs() <= tan_v * 1.75 + 1e-4 && y.abs() <= tan_v + 1e-4);
        }
    }

    fn close(a: [f32; 3], b: [f32; 3]) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-3)
    }

    #[test]
    fn fitting_a_box_looks_at_its_centre_from_far_enough() {
        let orbit = Orbit::fit([0.0, 0.0, 0.0], [10.0, 10.0, 10.0]);
        assert!(close(orbit.target, [5.0, 5.0, 5.0]));
        // The bounding sphere (radius √75) fits in a 45° field of view.
        assert!(orbit.distance * (FIELD_OF_VIEW / 2.0).sin() >= 75f32.sqrt());
    }

    #[test]
    fn standard_views_look_along_the_axes() {
        let mut orbit = Orbit::looking_at_origin(StandardView::Front, 10.0);
        assert!(close(orbit.position(), [0.0, -10.0, 0.0]));
        orbit.set_view(StandardView::Side);
        assert!(close(orbit.position(), [10.0, 0.0, 0.0]));
        orbit.set_view(StandardView::Top);
        assert!(orbit.position()[2] > 9.99);
    }

    #[test]
    fn rotating_never_flips_over_the_pole() {
        let mut orbit = Orbit::fit([0.0; 3], [1.0; 3]);
        orbit.rotate(0.0, 10.0);
        assert!(orbit.elevation < std::f32::consts::FRAC_PI_2);
        orbit.rotate(0.0, -20.0);
        assert!(orbit.elevation > -std::f32::consts::FRAC_PI_2);
    }

    #[test]
    fn panning_moves_the_target_across_the_screen() {
        let mut orbit = Orbit::looking_at_origin(StandardView::Front, 10.0);
        orbit.pan(0.1, 0.0);
        assert!(close(orbit.target, [1.0, 0.0, 0.0]));
        orbit.pan(0.0, 0.1);
        assert!(close(orbit.target, [1.0, 0.0, 1.0]));
    }

    #[test]
    fn views_survive_the_url() {
        let orbit = Orbit::fit([-3.0, 2.0, 0.0], [7.0, 9.5, 4.0]);
        let back = Orbit::from_param(&orbit.to_param()).unwrap();
        assert!(close(back.target, orbit.target));
        assert!((back.distance - orbit.distance).abs() < 1e-2);
        assert_eq!(Orbit::from_param("1,2,3"), None);
        assert_eq!(Orbit::from_param("1,2,3,-4,0,0"), None);
        assert_eq!(Orbit::from_param("a,b,c,d,e,f"), None);
    }
}
