//! Transparent objects drawn far to near, so each blends over what lies behind it. They share
//! one vertex buffer; only the order of their triangles changes as the camera moves.

/// One transparent object's triangles and where they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub center: [f32; 3],
    pub indices: Vec<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DepthOrder {
    parts: Vec<Part>,
    /// The parts' order as last drawn.
    order: Vec<usize>,
}

impl DepthOrder {
    pub fn new(parts: Vec<Part>) -> Self {
        DepthOrder {
            order: (0..parts.len()).collect(),
            parts,
        }
    }

    /// Every triangle, in the current order.
    pub fn indices(&self) -> Vec<u32> {
        self.order
            .iter()
            .flat_map(|&i| self.parts[i].indices.iter().copied())
            .collect()
    }

    /// Orders the parts far to near for a camera at `eye`; the new triangle order when it
    /// changed, `None` when it did not (most small camera moves).
    pub fn sort_for(&mut self, eye: [f32; 3]) -> Option<Vec<u32>> {
        let distance = |part: &Part| {
            let d = [0, 1, 2].map(|k| part.center[k] - eye[k]);
            d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
        };
        let mut order = self.order.clone();
        order.sort_by(|&a, &b| distance(&self.parts[b]).total_cmp(&distance(&self.parts[a])));
        if order == self.order {
            return None;
        }
        self.order = order;
        Some(self.indices())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_drawn_far_to_near_and_only_reordered_when_the_order_changes() {
        let part = |x: f32, first: u32| Part {
            center: [x, 0.0, 0.0],
            indices: vec![first, first + 1, first + 2],
        };
        let mut order = DepthOrder::new(vec![part(0.0, 0), part(5.0, 3), part(10.0, 6)]);
        assert_eq!(
            order.sort_for([-10.0, 0.0, 0.0]),
            Some(vec![6, 7, 8, 3, 4, 5, 0, 1, 2])
        );
        assert_eq!(order.sort_for([-11.0, 0.0, 0.0]), None);
        assert_eq!(
            order.sort_for([20.0, 0.0, 0.0]),
            Some(vec![0, 1, 2, 3, 4, 5, 6, 7, 8])
        );
    }
}
