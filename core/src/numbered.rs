//! States that Speckle stores and sends as numbers: 0, 1, 2 … in the order of their variants.

/// A state stored as its number.
pub trait Numbered: Copy + 'static {
    /// Every variant, in number order; the first is the state a new record starts in.
    const ALL: &'static [Self];

    /// The variant numbered `n`; the first where `n` is none of theirs.
    fn from_number(n: i64) -> Self {
        usize::try_from(n)
            .ok()
            .and_then(|i| Self::ALL.get(i))
            .copied()
            .unwrap_or(Self::ALL[0])
    }
}

#[cfg(test)]
mod tests {
    use super::Numbered;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Letter {
        A,
        B,
        C,
    }

    impl Numbered for Letter {
        const ALL: &'static [Self] = &[Letter::A, Letter::B, Letter::C];
    }

    #[test]
    fn numbers_pick_their_variant_and_strangers_the_first() {
        use Letter::*;
        for (n, expected) in [(0, A), (1, B), (2, C), (3, A), (-1, A)] {
            assert_eq!(Letter::from_number(n), expected, "number {n}");
        }
    }
}
