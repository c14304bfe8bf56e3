//! Identifiers and secrets.

use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;

/// A Speckle-style 10-character id (users, projects, models, versions, tokens).
pub fn new_id() -> String {
    random_string(10)
}

/// A lower-case alphanumeric string from the operating system's random source.
pub fn random_string(len: usize) -> String {
    Alphanumeric
        .sample_string(&mut OsRng, len)
        .to_ascii_lowercase()
}

/// A random hex secret of `bytes` bytes (signing keys, lease tokens).
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_ten_lowercase_alphanumerics() {
        let id = new_id();
        assert_eq!(id.len(), 10);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert_ne!(new_id(), new_id());
    }
}
