//! Account pages: sign in, sign up, forgotten and reset passwords, and the page where a person
//! lets a desktop connector or another app act for them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::auth::{
    current_user, invite_details, AppDetails, AuthorizeApp, ForgotPassword, ResetPassword, SignIn,
    SignUp,
};
use crate::pages::shared::Submit;
use crate::shared::Outcome;

/// The message of a server function's error, without the framework's prefix.
pub fn error_text(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        other => format!(
            "The server could not be reached ({other}). Check your connection and try again."
        ),
    }
}

/// A server function's failure, where screen readers announce it.
pub fn failed(error: &ServerFnError) -> AnyView {
    view! { <p class="error" role="alert">{error_text(error)}</p> }.into_any()
}

/// Shows a failed action's message where screen readers announce it.
#[component]
pub fn FormError(
    #[prop(into)] result: Signal<Option<Result<Outcome, ServerFnError>>>,
) -> impl IntoView {
    move || match result.get() {
        Some(Ok(Err(message))) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
        Some(Err(e)) => failed(&e),
        _ => ().into_any(),
    }
}

/// Goes to the address a successful form names, with a full page load so every part of the
/// page sees the new session.
pub fn follow(result: Signal<Option<Result<Outcome, ServerFnError>>>) {
    Effect::new(move |_| {
        if let Some(Ok(Ok(Some(next)))) = result.get() {
            let _ = window().location().set_href(&next);
        }
    });
}

fn query(name: &'static str) -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name))
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    follow(Signal::derive(move || action.value().get()));
    let next = query("next");
    let pending = action.pending();
    view! {
        <Title text="Sign in" />
        <section class="panel narrow">
            <h1>"Sign in"</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <label for="email">"E-mail address"</label>
                <input id="email" type="email" name="email" autocomplete="email" required />
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required />
                <FormError result=Signal::derive(move || action.value().get()) />
                <Submit pending=pending label="Sign in" busy="Signing in…" />
            </ActionForm>
            <p class="hint">
                <a href="/authn/forgot-password">"Forgot your password?"</a>
                " · "
                <a href=move || format!("/authn/register{}", next.get().map(|n| format!("?next={}", urlencode(&n))).unwrap_or_default())>
                    "Create an account"
                </a>
            </p>
        </section>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    follow(Signal::derive(move || action.value().get()));
    let next = query("next");
    let invite_token = query("token");
    let invite = Resource::new(
        move || invite_token.get(),
        |token| async move {
            match token {
                Some(token) => invite_details(token).await.ok().flatten(),
                None => None,
            }
        },
    );
    let pending = action.pending();
    // An invitation's address is filled in below: the account is made for it.
    view! {
        <Title text="Create an account" />
        <section class="panel narrow">
            <h1>"Create an account"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    invite.await.map(|invite| {
                        let to = invite.project.map(|p| format!(" to the project {p}")).unwrap_or_default();
                        view! {
                            <p class="notice" role="status" data-invitation="">
                                {format!("{} invited you{to}. Sign up with {}, the address the invitation was sent to.", invite.inviter, invite.email)}
                            </p>
                        }
                    })
                })}
            </Suspense>
            <ActionForm action>
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <input type="hidden" name="invite" value=move || invite_token.get().unwrap_or_default() />
                <label for="name">"Name"</label>
                <input id="name" type="text" name="name" autocomplete="name" required maxlength="512" />
                <label for="email">"E-mail address"</label>
                <Suspense fallback=|| view! { <input id="email" type="email" name="email" autocomplete="email" required /> }>
                    {move || Suspend::new(async move {
                        let email = invite.await.map(|i| i.email).unwrap_or_default();
                        view! { <input id="email" type="email" name="email" autocomplete="email" required value=email /> }
                    })}
                </Suspense>
                <label for="company">"Company " <span class="hint">"(optional)"</span></label>
                <input id="company" type="text" name="company" autocomplete="organization" maxlength="512" />
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="new-password" required minlength="8" aria-describedby="password-rule" />
                <p id="password-rule" class="hint">"At least 8 characters."</p>
                <FormError result=Signal::derive(move || action.value().get()) />
                <Submit pending=pending label="Create account" busy="Creating your account…" />
            </ActionForm>
            <p class="hint">"Already have an account? " <a href="/authn/login">"Sign in"</a></p>
        </section>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let pending = action.pending();
    let sent = move || matches!(action.value().get(), Some(Ok(Ok(_))));
    view! {
        <Title text="Forgot password" />
        <section class="panel narrow">
            <h1>"Forgot your password?"</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p>"Enter your e-mail address and we will send you a link to choose a new password."</p>
                    <ActionForm action>
                        <label for="email">"E-mail address"</label>
                        <input id="email" type="email" name="email" autocomplete="email" required />
                        <FormError result=Signal::derive(move || action.value().get()) />
                        <button class="button" type="submit" disabled=pending>"Send the link"</button>
                    </ActionForm>
                }
            >
                <p role="status">"If an account uses this address, a link to reset its password is on its way. It works for one hour."</p>
            </Show>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    follow(Signal::derive(move || action.value().get()));
    let token = query("token");
    let pending = action.pending();
    view! {
        <Title text="Choose a new password" />
        <section class="panel narrow">
            <h1>"Choose a new password"</h1>
            <Show
                when=move || token.get().is_some()
                fallback=|| view! {
                    <p class="error" role="alert">"This link is incomplete. Open the link from the e-mail again, or " <a href="/authn/forgot-password">"ask for a new one"</a>"."</p>
                }
            >
                <ActionForm action>
                    <input type="hidden" name="token" value=move || token.get().unwrap_or_default() />
                    <label for="password">"New password"</label>
                    <input id="password" type="password" name="password" autocomplete="new-password" required minlength="8" />
                    <label for="confirm">"New password again"</label>
                    <input id="confirm" type="password" name="confirm" autocomplete="new-password" required minlength="8" />
                    <FormError result=Signal::derive(move || action.value().get()) />
                    <button class="button" type="submit" disabled=pending>"Set the new password"</button>
                </ActionForm>
                <p class="hint">"Setting it signs you out on every other device and app."</p>
            </Show>
        </section>
    }
}

/// `/authn/verify/{app}/{challenge}`: where desktop connectors send people to sign in.
#[component]
pub fn AuthorizeAppPage() -> impl IntoView {
    let params = use_params_map();
    let app_id = Memo::new(move |_| params.read().get("app_id").unwrap_or_default());
    let challenge = Memo::new(move |_| params.read().get("challenge").unwrap_or_default());
    let user = Resource::new(|| (), |_| current_user());
    let app = Resource::new(move || app_id.get(), crate::auth::app_request);
    let action = ServerAction::<AuthorizeApp>::new();
    follow(Signal::derive(move || action.value().get()));
    let here = move || format!("/authn/verify/{}/{}", app_id.get(), challenge.get());
    view! {
        <Title text="Authorize an app" />
        <section class="panel narrow">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let user = user.await;
                    let app = app.await;
                    match (user, app) {
                        (_, Err(e)) => failed(&e),
                        (Ok(None), Ok(app)) => view! {
                            <h1>{format!("Sign in to use {}", app.name)}</h1>
                            <p>"To let this app use your account, sign in first."</p>
                            <p>
                                <a class="button" href=format!("/authn/login?next={}", urlencode(&here()))>"Sign in"</a>
                                " "
                                <a href=format!("/authn/register?next={}", urlencode(&here()))>"Create an account"</a>
                            </p>
                        }.into_any(),
                        (Ok(Some(user)), Ok(app)) => view! { <Consent app user_name=user.name action challenge=challenge.get() /> }.into_any(),
                        (Err(e), _) => failed(&e),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Consent(
    app: AppDetails,
    user_name: String,
    action: ServerAction<AuthorizeApp>,
    challenge: String,
) -> impl IntoView {
    let pending = action.pending();
    view! {
        <h1>{format!("Allow {} to use your account?", app.name)}</h1>
        <p>{app.description.clone()}</p>
        <p>{format!("Signed in as {user_name}. {} will be able to:", app.name)}</p>
        <ul class="scopes">
            {app.scopes.iter().map(|(name, description)| view! { <li title=name.clone()>{description.clone()}</li> }).collect_view()}
        </ul>
        <p class="hint">{format!("You will be sent back to {}.", app.redirect_host)}</p>
        <ActionForm action>
            <input type="hidden" name="app_id" value=app.id.clone() />
            <input type="hidden" name="challenge" value=challenge />
            <FormError result=Signal::derive(move || action.value().get()) />
            <button class="button" type="submit" disabled=pending>"Allow"</button>
            " "
            <a href="/">"Cancel"</a>
        </ActionForm>
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
