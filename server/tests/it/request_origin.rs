//! Where a request comes from, as the cookie-authenticated routes judge it (the same site, or a
//! named other one), which routes sign someone in, and the bearer token.

use axum::http::HeaderMap;
use fleck_server::auth::*;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.insert(*name, value.parse().unwrap());
    }
    headers
}

/// A request from `host` carrying one `origin` or `referer` header, or neither.
fn from(host: &str, source: Option<(&'static str, &str)>) -> HeaderMap {
    let mut pairs = vec![("host", host)];
    pairs.extend(source);
    headers(&pairs)
}

#[test]
fn same_origin_compares_the_origin_with_the_host() {
    let cases = [
        (
            "127.0.0.1:3000",
            Some(("origin", "http://127.0.0.1:3000")),
            true,
        ),
        (
            "fleck.example.com",
            Some(("origin", "https://fleck.example.com")),
            true,
        ),
        ("h:1", Some(("referer", "http://h:1/authn/login")), true),
        (
            "127.0.0.1:3000",
            Some(("origin", "http://evil.example")),
            false,
        ),
        ("127.0.0.1:3000", None, false),
        ("h", Some(("origin", "null")), false),
    ];
    for (host, source, same) in cases {
        assert_eq!(same_origin(&from(host, source)), same, "{host} {source:?}");
    }
}

#[test]
fn only_a_named_foreign_source_is_another_site() {
    let cases = [
        (Some(("origin", "http://evil.example")), true),
        (Some(("referer", "http://evil.example/login.html")), true),
        (Some(("origin", "null")), true),
        (Some(("origin", "http://127.0.0.1:3000")), false),
        // Speckle's clients send neither header.
        (None, false),
    ];
    for (source, foreign) in cases {
        let headers = from("127.0.0.1:3000", source);
        assert_eq!(from_another_site(&headers), foreign, "{source:?}");
    }
}

#[test]
fn sign_in_routes_include_the_server_functions() {
    use leptos::server_fn::ServerFn;
    assert!(signs_in("/auth/local/login"));
    assert!(signs_in("/auth/local/register"));
    assert!(signs_in(fleck_app::auth::SignIn::PATH));
    assert!(signs_in(fleck_app::auth::SignUp::PATH));
    assert!(!signs_in("/auth/token"));
    assert!(!signs_in("/graphql"));
}

#[test]
fn bearer_accepts_the_prefix_or_none() {
    assert_eq!(
        bearer(&headers(&[("authorization", "Bearer abc")])),
        Some("abc")
    );
    assert_eq!(bearer(&headers(&[("authorization", "abc")])), Some("abc"));
    assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
}
