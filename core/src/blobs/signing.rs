//! Signed URLs for the disk blob store: `{public}/storage/{key}?method=…&expires=…&signature=…`,
//! served by `fleck serve`, so clients upload and download directly as they would with S3.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Method;
use crate::error::{Error, Result};

/// The path prefix under which `fleck serve` answers signed URLs.
pub const STORAGE_PATH: &str = "/storage/";

#[derive(Clone)]
pub struct UrlSigner {
    secret: Vec<u8>,
    public_url: url::Url,
}

impl UrlSigner {
    pub fn new(secret: &str, public_url: url::Url) -> Self {
        UrlSigner {
            secret: secret.as_bytes().to_vec(),
            public_url,
        }
    }

    /// The MAC of a link. A link for an upload of a stated length signs the length too (links
    /// without one sign what they always did).
    fn mac(&self, method: Method, key: &str, expires: i64, length: Option<u64>) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(format!("{}\n{key}\n{expires}", method.as_str()).as_bytes());
        if let Some(length) = length {
            mac.update(format!("\n{length}").as_bytes());
        }
        mac
    }

    pub fn sign(&self, method: Method, key: &str, expires_in: Duration) -> String {
        self.sign_with_length(method, key, None, expires_in)
    }

    /// A link whose `length` (the body's exact length, for uploads) is part of the signature:
    /// the server accepts no body of another length through it.
    pub fn sign_with_length(
        &self,
        method: Method,
        key: &str,
        length: Option<u64>,
        expires_in: Duration,
    ) -> String {
        let expires = Utc::now().timestamp() + expires_in.as_secs() as i64;
        let signature = hex::encode(
            self.mac(method, key, expires, length)
                .finalize()
                .into_bytes(),
        );
        let mut url = self.public_url.clone();
        url.set_path(&format!("{}{key}", STORAGE_PATH));
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("method", method.as_str())
                .append_pair("expires", &expires.to_string());
            if let Some(length) = length {
                query.append_pair("length", &length.to_string());
            }
            query.append_pair("signature", &signature);
        }
        url.to_string()
    }

    /// Checks a request against its signature in constant time; expired links are refused.
    pub fn verify(&self, method: Method, key: &str, expires: i64, signature: &str) -> Result<()> {
        self.verify_with_length(method, key, expires, None, signature)
    }

    /// `verify` for a link that states a `length`; the caller holds the body to it.
    pub fn verify_with_length(
        &self,
        method: Method,
        key: &str,
        expires: i64,
        length: Option<u64>,
        signature: &str,
    ) -> Result<()> {
        let forbidden = || Error::Forbidden("this link is invalid or has expired".into());
        let signature = hex::decode(signature).map_err(|_| forbidden())?;
        self.mac(method, key, expires, length)
            .verify_slice(&signature)
            .map_err(|_| forbidden())?;
        if expires < Utc::now().timestamp() {
            return Err(forbidden());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(url: &str) -> (String, i64, String) {
        let url = url::Url::parse(url).unwrap();
        let get = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .unwrap()
                .1
                .to_string()
        };
        (
            get("method"),
            get("expires").parse().unwrap(),
            get("signature"),
        )
    }

    #[test]
    fn signed_urls_verify_only_unchanged() {
        let signer = UrlSigner::new("s3cret", "http://127.0.0.1:3000".parse().unwrap());
        let url = signer.sign(Method::Put, "blobs/p/b", Duration::from_secs(60));
        assert!(url.starts_with("http://127.0.0.1:3000/storage/blobs/p/b?method=PUT"));
        let (_, expires, signature) = query(&url);
        assert!(signer
            .verify(Method::Put, "blobs/p/b", expires, &signature)
            .is_ok());
        assert!(signer
            .verify(Method::Get, "blobs/p/b", expires, &signature)
            .is_err());
        assert!(signer
            .verify(Method::Put, "blobs/p/c", expires, &signature)
            .is_err());
        assert!(signer
            .verify(Method::Put, "blobs/p/b", expires + 1, &signature)
            .is_err());
        let other = UrlSigner::new("other", "http://127.0.0.1:3000".parse().unwrap());
        assert!(other
            .verify(Method::Put, "blobs/p/b", expires, &signature)
            .is_err());
    }

    #[test]
    fn expired_links_are_refused() {
        let signer = UrlSigner::new("s3cret", "http://h".parse().unwrap());
        let past = Utc::now().timestamp() - 1;
        let signature = hex::encode(
            signer
                .mac(Method::Get, "k", past, None)
                .finalize()
                .into_bytes(),
        );
        assert!(signer.verify(Method::Get, "k", past, &signature).is_err());
    }

    #[test]
    fn a_signed_length_cannot_be_changed_or_dropped() {
        let signer = UrlSigner::new("s3cret", "http://h".parse().unwrap());
        let url = signer.sign_with_length(
            Method::Put,
            "assets/p/f",
            Some(1234),
            Duration::from_secs(60),
        );
        let parsed = url::Url::parse(&url).unwrap();
        let length = parsed
            .query_pairs()
            .find(|(k, _)| k == "length")
            .map(|(_, v)| v.to_string());
        assert_eq!(length.as_deref(), Some("1234"));
        let (_, expires, signature) = query(&url);
        assert!(signer
            .verify_with_length(Method::Put, "assets/p/f", expires, Some(1234), &signature)
            .is_ok());
        for other in [Some(1235), Some(5 << 30), None] {
            assert!(
                signer
                    .verify_with_length(Method::Put, "assets/p/f", expires, other, &signature)
                    .is_err(),
                "{other:?}"
            );
        }
    }
}
