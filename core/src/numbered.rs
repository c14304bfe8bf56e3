//! States that Speckle stores and sends as numbers: 0, 1, 2 … in the order of their variants.

/// The variant numbered `n`, `variants` listed in number order; the first (the state a new
/// record starts in) where `n` is none of theirs.
pub fn by_number<T: Copy>(variants: &[T], n: i64) -> T {
    usize::try_from(n)
        .ok()
        .and_then(|i| variants.get(i))
        .copied()
        .unwrap_or(variants[0])
}

#[cfg(test)]
mod tests {
    use super::by_number;

    #[test]
    fn numbers_pick_their_variant_and_strangers_the_first() {
        let variants = ['a', 'b', 'c'];
        for (n, expected) in [(0, 'a'), (1, 'b'), (2, 'c'), (3, 'a'), (-1, 'a')] {
            assert_eq!(by_number(&variants, n), expected, "number {n}");
        }
    }
}
