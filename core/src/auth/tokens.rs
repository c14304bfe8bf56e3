//! Bearer tokens as Speckle clients know them: 42 characters, a 10-character id followed by a
//! 32-character secret. Only a digest of the secret is stored. The secret is random enough
//! (32 characters of a 36-letter alphabet, ~165 bits) that a SHA-256 digest cannot be reversed,
//! so checking a token costs a hash, not a deliberately slow password hash on every request.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids::random_string;

pub const ID_LEN: usize = 10;
pub const SECRET_LEN: usize = 32;

/// A newly made token: shown to its owner once, then only its digest is kept.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub id: String,
    pub secret: String,
}

impl IssuedToken {
    pub fn new() -> Self {
        IssuedToken {
            id: random_string(ID_LEN),
            secret: random_string(SECRET_LEN),
        }
    }

    /// What the client sends back: id and secret run together.
    pub fn token(&self) -> String {
        format!("{}{}", self.id, self.secret)
    }

    pub fn digest(&self) -> String {
        digest(&self.secret)
    }

    /// The last characters, so owners can tell their tokens apart in a list.
    pub fn last_chars(&self) -> String {
        self.secret[SECRET_LEN - 6..].to_string()
    }
}

impl Default for IssuedToken {
    fn default() -> Self {
        Self::new()
    }
}

/// Splits a presented token into id and secret; `None` when it cannot be one of ours.
pub fn split(token: &str) -> Option<(&str, &str)> {
    let token = token.trim();
    (token.len() == ID_LEN + SECRET_LEN && token.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| token.split_at(ID_LEN))
}

pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares a presented secret with a stored digest in constant time.
pub fn secret_matches(secret: &str, stored_digest: &str) -> bool {
    digest(secret)
        .as_bytes()
        .ct_eq(stored_digest.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_into_id_and_secret_and_verify_by_digest() {
        let issued = IssuedToken::new();
        let token = issued.token();
        assert_eq!(token.len(), 42);
        let (id, secret) = split(&token).unwrap();
        assert_eq!(id, issued.id);
        assert!(secret_matches(secret, &issued.digest()));
        assert!(!secret_matches(&"x".repeat(32), &issued.digest()));
        assert!(token.ends_with(&issued.last_chars()));
    }

    #[test]
    fn malformed_tokens_are_rejected_before_any_lookup() {
        assert!(split("").is_none());
        assert!(split(&"a".repeat(41)).is_none());
        assert!(split(&format!("{}!", "a".repeat(41))).is_none());
        assert!(split(&"a".repeat(42)).is_some());
    }
}
