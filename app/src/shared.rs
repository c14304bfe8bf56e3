//! What the server functions share: a form's answer (`Outcome`), and on the server the request's
//! `Core` and caller, rate limits, and core's errors as the sentences pages show. What the pages
//! share is `pages/shared.rs`.

/// How a form went: done (with the address to go to next, if any), or what the person should
/// change. Failures of the server itself are `ServerFnError`s around it.
pub type Outcome = Result<Option<String>, String>;

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use axum::Extension;
    use fleck_core::auth::Actor;
    use fleck_core::net::ClientAddress;
    use fleck_core::ratelimit::Action;
    use fleck_core::{Core, Error};
    use http::header::{HeaderValue, SET_COOKIE};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    pub fn core() -> Result<Core, ServerFnError> {
        use_context::<Core>()
            .ok_or_else(|| ServerFnError::new("the server was started without its core"))
    }

    pub async fn actor() -> Result<Actor, ServerFnError> {
        let Extension(actor) = leptos_axum::extract::<Extension<Actor>>().await?;
        Ok(actor)
    }

    /// The core and the caller, which nearly every server function starts from.
    pub async fn context() -> Result<(Core, Actor), ServerFnError> {
        Ok((core()?, actor().await?))
    }

    /// The first `limit` entries of a list, which is all the pages show of one.
    pub fn first(limit: i64) -> fleck_core::projects::Window {
        fleck_core::projects::Window { offset: 0, limit }
    }

    /// Spends a rate-limit point for the caller's address (the server finds it, believing
    /// `X-Forwarded-For` from trusted proxies only).
    pub async fn limit(core: &Core, action: Action) -> Result<(), Failure> {
        let address = leptos_axum::extract::<Extension<ClientAddress>>()
            .await
            .map(|Extension(address)| address.to_string())
            .unwrap_or_else(|_| "unknown".into());
        Ok(core
            .rate_limiter
            .spend(action, &address)
            .await
            .map(|_| ())?)
    }

    /// Whether the browser posted a plain form (the page's script had not run yet).
    pub async fn plain_form() -> Result<bool, ServerFnError> {
        let headers = leptos_axum::extract::<http::HeaderMap>()
            .await
            .map_err(|e| ServerFnError::new(e.to_string()))?;
        Ok(headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html")))
    }

    /// The page to show next. A browser without the app's script posted a plain form and gets
    /// a redirect; the hydrated app reads the address from the answer and goes there itself.
    pub async fn go_to(path: &str) -> Result<Option<String>, Failure> {
        if plain_form().await? {
            // `redirect` panics on a value a header cannot hold; answer an error instead.
            if http::HeaderValue::from_str(path).is_err() {
                return Err(ServerFnError::new("The next page's address is not valid.").into());
            }
            leptos_axum::redirect(path);
        }
        Ok(Some(path.to_string()))
    }

    pub fn set_cookie(value: &str) -> Result<(), ServerFnError> {
        let response = expect_context::<ResponseOptions>();
        let value = HeaderValue::from_str(value).map_err(|e| ServerFnError::new(e.to_string()))?;
        response.append_header(SET_COOKIE, value);
        Ok(())
    }

    /// Why a form did not go through: something the person can fix, or a server failure.
    pub enum Failure {
        User(String),
        Server(ServerFnError),
    }

    impl From<ServerFnError> for Failure {
        fn from(e: ServerFnError) -> Self {
            Failure::Server(e)
        }
    }

    impl From<Error> for Failure {
        /// What a person can act on; internal details stay in the log.
        fn from(error: Error) -> Self {
            match error {
                Error::Invalid { reason, .. } => Failure::User(sentence(&reason)),
                Error::Conflict(m) => Failure::User(sentence(&m)),
                Error::RateLimited { retry_after } => Failure::User(format!(
                    "Too many attempts. Please wait {} minutes and try again.",
                    retry_after.as_secs().div_ceil(60)
                )),
                Error::Forbidden(m) | Error::NotFound(m) => Failure::User(m),
                e @ Error::Backend { .. } => {
                    tracing_error(&e);
                    Failure::Server(ServerFnError::new(
                        "Something went wrong on the server. Please try again in a moment.",
                    ))
                }
            }
        }
    }

    /// A form's answer: user mistakes travel as `Ok(Err(message))` (a normal response, not an
    /// HTTP error), server failures as `Err`.
    pub fn finish(
        result: Result<Option<String>, Failure>,
    ) -> Result<super::Outcome, ServerFnError> {
        match result {
            Ok(next) => Ok(Ok(next)),
            Err(Failure::User(message)) => Ok(Err(message)),
            Err(Failure::Server(e)) => Err(e),
        }
    }

    /// A form's answer for a change after which the person stays on the page: done, or core's
    /// refusal as `refuse` words it for this form.
    pub fn stay<T>(
        result: Result<T, Error>,
        refuse: impl FnOnce(Error) -> Failure,
    ) -> Result<super::Outcome, ServerFnError> {
        finish(result.map(|_| None).map_err(refuse))
    }

    pub fn message(error: Error) -> ServerFnError {
        match Failure::from(error) {
            Failure::User(m) => ServerFnError::new(m),
            Failure::Server(e) => e,
        }
    }

    fn tracing_error(error: &Error) {
        leptos::logging::error!("{error}");
    }

    /// Core's lower-case reasons as sentences. A reason that starts with a name or an address
    /// ("ada@example.com already has an account") keeps it as written.
    pub fn sentence(text: &str) -> String {
        let first_word = text.split_whitespace().next().unwrap_or_default();
        let first_word = first_word.trim_end_matches(|c: char| c.is_ascii_punctuation());
        let mut text = if first_word.chars().all(char::is_alphabetic) {
            let mut chars = text.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        } else {
            text.to_string()
        };
        if !text.is_empty() && !text.ends_with('.') {
            text.push('.');
        }
        text
    }

    /// Core's refusals as full sentences. Conflicts say what they are (the last admin, an address
    /// that has an account), unlike on the sign-up form where a conflict is always the e-mail.
    pub fn refusal(error: Error) -> Failure {
        match error {
            Error::Conflict(reason) | Error::Forbidden(reason) | Error::NotFound(reason) => {
                Failure::User(sentence(&reason))
            }
            other => Failure::from(other),
        }
    }

    /// A core refusal for a function that answers with `ServerFnError` alone.
    pub fn refused(error: Error) -> ServerFnError {
        match refusal(error) {
            Failure::User(message) => ServerFnError::new(message),
            Failure::Server(e) => e,
        }
    }

    /// A form's answer carrying a value: user mistakes as `Ok(Err(message))`, failures as `Err`.
    pub fn answer<T>(result: Result<T, Failure>) -> Result<Result<T, String>, ServerFnError> {
        match result {
            Ok(value) => Ok(Ok(value)),
            Err(Failure::User(message)) => Ok(Err(message)),
            Err(Failure::Server(e)) => Err(e),
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::server::sentence;

    #[test]
    fn reasons_become_sentences_keeping_addresses() {
        assert_eq!(
            sentence("the server must keep at least one admin"),
            "The server must keep at least one admin."
        );
        assert_eq!(
            sentence("ada@example.com already has an account on this server"),
            "ada@example.com already has an account on this server."
        );
        assert_eq!(sentence("done."), "Done.");
        assert_eq!(sentence(""), "");
    }
}
