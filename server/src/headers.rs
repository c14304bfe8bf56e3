//! Security headers on every response: no framing by other sites (clickjacking of the consent
//! and settings pages), no MIME sniffing, no full addresses in `Referer` to other sites. Pages of
//! the web app also get a strict Content-Security-Policy with the nonce Leptos puts on every
//! inline script it renders (hydration, streamed resources).

use axum::extract::Request;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// What every response without a policy of its own gets: it may not be framed.
const DEFAULT_POLICY: &str = "frame-ancestors 'none'";

/// Pages other sites may frame: a public model's view alone (`/embed/projects/…`).
pub fn framable(path: &str) -> bool {
    path.starts_with("/embed/")
}

/// The policy of the web app's pages, rendered with `nonce`. Scripts: the app's own files, the
/// inline scripts Leptos marks with the nonce, and WebAssembly compilation; no `eval`, no inline
/// handlers, no other hosts. Images may also be `data:`/`blob:` (avatars, the viewer's
/// screenshots) or an `https:` avatar address. Everything else comes from this server only.
/// Only `framable` pages may be framed, by any site.
pub fn page_policy(nonce: &str, framable: bool) -> String {
    let ancestors = if framable { "*" } else { "'none'" };
    [
        "default-src 'self'".to_string(),
        format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        format!("style-src 'self' 'nonce-{nonce}'"),
        "img-src 'self' data: blob: https:".to_string(),
        "connect-src 'self'".to_string(),
        "font-src 'self'".to_string(),
        "object-src 'none'".to_string(),
        "base-uri 'none'".to_string(),
        format!("frame-ancestors {ancestors}"),
    ]
    .join("; ")
}

/// Sets the page policy for the page being rendered. Called from the shell, where Leptos has
/// made the response's nonce; without one (never in practice) the default policy stays.
pub fn set_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let framable = leptos::prelude::use_context::<axum::http::request::Parts>()
        .is_some_and(|request| framable(request.uri.path()));
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, framable)) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

/// Middleware: adds the headers every response carries.
pub async fn secure(request: Request, next: Next) -> Response {
    let framed_page = framable(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // X-Frame-Options knows no "anyone"; the page's frame-ancestors says who may frame it.
    if !framed_page {
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_POLICY),
        );
    }
    response
}
