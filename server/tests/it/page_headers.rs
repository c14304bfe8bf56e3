//! The security headers of web pages: the content policy and which pages may be framed.

use axum::http::HeaderValue;
use fleck_server::headers::*;

#[test]
fn the_page_policy_allows_only_this_site_and_the_nonce() {
    let policy = page_policy("abc123", false);
    assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
    assert!(policy.contains("frame-ancestors 'none'"));
    assert!(policy.contains("object-src 'none'"));
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(!policy.contains("'unsafe-eval'"), "{policy}");
    assert!(HeaderValue::from_str(&policy).is_ok());
}

#[test]
fn only_embedded_models_may_be_framed() {
    assert!(page_policy("n", true).contains("frame-ancestors *"));
    assert!(framable("/embed/projects/p/models/m"));
    assert!(!framable("/projects/p/models/m"));
    assert!(!framable("/authn/verify/app/challenge"));
}
