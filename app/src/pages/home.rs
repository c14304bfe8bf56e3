use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use crate::auth::ResendVerification;
use crate::pages::auth::error_text;
use crate::pages::dashboard::DashboardView;
use crate::pages::shared::CopyButton;
use crate::status::{fetch_server_intro, ServerIntro};
use crate::CurrentUser;

/// The signed-in user's dashboard, or what Fleck is for visitors.
#[component]
pub fn HomePage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    view! {
        <Title text="" />
        <AccountNotices />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => view! { <DashboardView /> }.into_any(),
                    _ => view! { <Welcome /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What Fleck is, for visitors: a model it drew, how to start, and the address to give a
/// connector.
#[component]
fn Welcome() -> impl IntoView {
    let intro = Resource::new(|| (), |_| fetch_server_intro());
    view! {
        <section class="hero welcome">
            <div class="hero-text">
                <h1>"Fleck"</h1>
                <p class="lead">
                    "An open data platform for architecture, engineering and construction. "
                    "Drop an IFC file and look at the building in your browser: storey by storey, "
                    "with every element's properties, measurements and section boxes. Fleck keeps "
                    "each version of your models in projects you share with your team."
                </p>
                <p class="lead">
                    "It speaks the Speckle server API, so Speckle's connectors for Revit, ArchiCAD, "
                    "Rhino, Blender and more, and its SDKs such as specklepy, send models to Fleck "
                    "and receive them unchanged."
                </p>
            </div>
            <figure class="hero-picture">
                // A screenshot of this web app's model page after end2end/fixtures/two_storey_house.ifc
                // was dropped on a new account's dashboard: first-run-welcome-model.png, which
                // end2end/tests/first-run.test.mjs saves with the test results.
                <img
                    src="/welcome-model.png"
                    width="1468"
                    height="629"
                    alt="Fleck's 3D view of a two-storey house imported from an IFC file: its spatial tree (site, building, ground floor, first floor) beside the model, with blue walls on the ground floor, green walls upstairs, grey floor slabs and a window opening"
                />
                <figcaption class="hint">"A two-storey house from an IFC file, in Fleck's 3D view."</figcaption>
            </figure>
        </section>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match intro.await {
                    Ok(intro) => view! { <GetStarted intro /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GetStarted(intro: ServerIntro) -> impl IntoView {
    let ServerIntro {
        name,
        url,
        invite_only,
        admin_contact,
    } = intro;
    let ask = if admin_contact.is_empty() {
        "its administrator".to_string()
    } else {
        admin_contact
    };
    view! {
        <div class="welcome-grid">
            <section class="panel" aria-labelledby="start-heading">
                <h2 id="start-heading">"Get started"</h2>
                <ol class="steps">
                    {if invite_only {
                        view! {
                            <li data-step="sign-up">
                                {format!("{name} is open by invitation: ask {ask} for one. ")}
                                "The invitation e-mail has the link to make your account."
                            </li>
                        }.into_any()
                    } else {
                        view! {
                            <li data-step="sign-up">
                                <a href="/authn/register">"Create an account"</a>
                                " with your name, e-mail address and a password, then confirm the address from the e-mail we send."
                            </li>
                        }.into_any()
                    }}
                    <li>"Drop an IFC file on your dashboard: it becomes a project, and its 3D view opens when the conversion ends."</li>
                    <li>"Invite your team to the project, or make it public and share the link."</li>
                </ol>
                <div class="actions">
                    {(!invite_only).then(|| view! { <a class="button" href="/authn/register">"Create an account"</a> })}
                    <a class="button secondary" href="/authn/login">"Sign in"</a>
                </div>
            </section>
            <section class="panel" aria-labelledby="connect-heading">
                <h2 id="connect-heading">"Connect a Speckle connector"</h2>
                <p>"Add this server to Speckle Manager or your connector as a new account, or give it to specklepy, with this address:"</p>
                <p class="server-url">
                    <code data-server-url=url.clone()>{url.clone()}</code>
                    <CopyButton text=url.clone() label="Copy the server address".into() />
                </p>
                <p class="hint">"Sign in from the connector with your Fleck account; for scripts, make an access token on your profile page."</p>
            </section>
        </div>
    }
}

/// The outcome of a verification link, and a reminder to verify with a way to resend the mail.
#[component]
fn AccountNotices() -> impl IntoView {
    let query = use_query_map();
    let user = expect_context::<CurrentUser>();
    let resend = ServerAction::<ResendVerification>::new();
    let link_outcome = move || {
        let query = query.read();
        if query.get("emailverifiedstatus").as_deref() == Some("true") {
            Some(view! { <p class="notice ok" role="status">"Your e-mail address is verified. Thank you!"</p> }.into_any())
        } else {
            query.get("emailverifiederror").map(|why| {
                view! { <p class="notice error" role="alert">{format!("The e-mail address was not verified: {why}.")}</p> }.into_any()
            })
        }
    };
    view! {
        {link_outcome}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) if !user.verified => view! {
                        <div class="notice" role="status">
                            <p>{format!("Please verify {}: we sent you a link.", user.email)}</p>
                            {move || match resend.value().get() {
                                Some(Ok(Ok(_))) => view! { <p>"A new link is on its way."</p> }.into_any(),
                                Some(Ok(Err(message))) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                                Some(Err(e)) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                                None => view! {
                                    <ActionForm action=resend attr:class="inline">
                                        <button class="link-button" type="submit">"Send the link again"</button>
                                    </ActionForm>
                                }.into_any(),
                            }}
                        </div>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}
