//! `/admin`: the server's settings, statistics, users, invitations and projects, for server
//! admins. Whether the caller is one is core's decision (`admin_access`); everyone else gets a
//! 403 page.

mod invites;
mod projects;
mod users;

use leptos::prelude::*;
use leptos_meta::Title;

use std::future::Future;

use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::admin::{
    admin_access, admin_projects, admin_server_info, admin_users, server_invites,
    server_statistics, Access, Page, SaveServerInfo, ServerInfo, Statistics, PAGE_SIZE,
};
use crate::pages::auth::{failed, urlencode};
use crate::pages::shared::{on_success, Fetched, FormAnswer, Panel, Submit, WhenLoaded};
use crate::projects::human_size;
use crate::status::{BackendStatus, CheckBackends};

#[component]
pub fn AdminPage() -> impl IntoView {
    let access = Resource::new(|| (), |_| admin_access());
    // The sections' data is read here, once: what a `Suspend` shows is made again each time it
    // resolves, and sections made there would each read theirs again. For anyone but admins
    // these reads are refused at once.
    let info = Resource::new(|| (), |_| admin_server_info());
    let stats = Resource::new(|| (), |_| server_statistics());
    let users = Listing::read("users", admin_users);
    let invites = Resource::new(|| (), |_| server_invites());
    let projects = Listing::read("projects", admin_projects);
    view! {
        <Title text="Administration" />
        <WhenLoaded data=access children={move |access| match access {
            Access::Allowed => view! {
                <h1>"Server administration"</h1>
                <nav class="section-nav" aria-label="Administration sections">
                    <a href="#server">"Server"</a>
                    <a href="#statistics">"Statistics"</a>
                    <a href="#backends">"Backends"</a>
                    <a href="#users">"Users"</a>
                    <a href="#invites">"Invitations"</a>
                    <a href="#projects">"Projects"</a>
                </nav>
                <ServerSettings info />
                <StatisticsPanel stats />
                <Backends />
                <users::Users users />
                <invites::Invites invites />
                <projects::Projects projects />
            }.into_any(),
            access => view! { <Forbidden signed_out=access == Access::SignedOut /> }.into_any(),
        }} />
    }
}

/// Shown to everyone but server admins; the server answers it with status 403 (the route
/// renders before answering, so the status can still change).
#[component]
fn Forbidden(signed_out: bool) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <section class="panel narrow" id="forbidden">
            <h1>"Administration"</h1>
            <p class="error" role="alert">"You need to be a server administrator to see this page."</p>
            {signed_out.then(|| view! {
                <p><a class="button" href="/authn/login?next=/admin">"Sign in"</a></p>
            })}
        </section>
    }
}

#[component]
fn ServerSettings(info: Fetched<ServerInfo>) -> impl IntoView {
    let save = ServerAction::<SaveServerInfo>::new();
    on_success(save.value(), move || info.refetch());
    view! {
        <Panel id="server" title="Server">
            <WhenLoaded data=info let:info>
                <ActionForm action=save attr:id="server-form">
                    <label for="server-name">"Name"</label>
                    <input id="server-name" type="text" name="name" value=info.name required maxlength="256" />
                    <label for="server-company">"Company"</label>
                    <input id="server-company" type="text" name="company" value=info.company maxlength="2048" />
                    <label for="server-description">"Description"</label>
                    <textarea id="server-description" name="description" rows="3" maxlength="2048">{info.description}</textarea>
                    <label for="server-contact">"Contact e-mail address"</label>
                    <input id="server-contact" type="email" name="admin_contact" value=info.admin_contact maxlength="2048" />
                    <label for="server-terms">"Terms of service URL"</label>
                    <input id="server-terms" type="url" name="terms_of_service" value=info.terms_of_service maxlength="2048" />
                    <div class="check">
                        <input id="server-invite-only" type="checkbox" name="invite_only" value="true" checked=info.invite_only />
                        <label for="server-invite-only">"Invite only " <span class="hint">"(new accounts need an invitation)"</span></label>
                    </div>
                    <div class="check">
                        <input id="server-guest-mode" type="checkbox" name="guest_mode" value="true" checked=info.guest_mode />
                        <label for="server-guest-mode">"Guest mode " <span class="hint">"(the guest role may be given)"</span></label>
                    </div>
                    <FormAnswer result=save.value() done="The server settings are saved." />
                    <Submit pending=save.pending() label="Save settings" busy="Saving…" />
                </ActionForm>
            </WhenLoaded>
        </Panel>
    }
}

#[component]
fn StatisticsPanel(stats: Fetched<Statistics>) -> impl IntoView {
    view! {
        <Panel id="statistics" title="Statistics">
            <WhenLoaded data=stats children={|s: Statistics| {
                let figures = [
                    ("users", "Users", s.users.to_string()),
                    ("projects", "Projects", s.projects.to_string()),
                    ("models", "Models", s.models.to_string()),
                    ("versions", "Versions", s.versions.to_string()),
                    ("objects", "Objects", s.objects.to_string()),
                    ("object-bytes", "Object data", human_size(s.object_bytes)),
                    ("attachment-bytes", "Uploaded files", human_size(s.attachment_bytes)),
                ];
                view! {
                    <dl class="stats">
                        {figures.into_iter().map(|(key, label, value)| view! {
                            <div data-stat=key>
                                <dt>{label}</dt>
                                <dd>{value}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                    <p class="hint" data-counted-at=s.counted_at.clone()>
                        {format!("Counted at {}. ", s.counted_at)}
                        "Object data counts the objects' JSON before compression."
                    </p>
                }
            }} />
        </Panel>
    }
}

/// A live check that the database, blob storage, cache and mail service answer, with which
/// implementation each is.
#[component]
fn Backends() -> impl IntoView {
    let check = ServerAction::<CheckBackends>::new();
    view! {
        <Panel id="backends" title="Backends">
            <p>"Check that the database, blob storage, cache and mail service answer."</p>
            <ActionForm action=check>
                <Submit pending=check.pending() label="Check backends" busy="Checking…" />
            </ActionForm>
            <div aria-live="polite">
                {move || match check.value().get() {
                    None => ().into_any(),
                    Some(Err(e)) => failed(&e),
                    Some(Ok(checks)) => view! { <StatusTable checks /> }.into_any(),
                }}
            </div>
        </Panel>
    }
}

#[component]
fn StatusTable(checks: Vec<BackendStatus>) -> impl IntoView {
    view! {
        <table class="status-table">
            <thead>
                <tr><th scope="col">"Service"</th><th scope="col">"Backend"</th><th scope="col">"State"</th><th scope="col">"Time"</th></tr>
            </thead>
            <tbody>
                {checks.into_iter().map(|check| view! {
                    <tr data-backend=check.name.clone() data-ok=check.ok.to_string()>
                        <td>{check.name.clone()}</td>
                        <td>{check.backend}</td>
                        <td class=if check.ok { "ok" } else { "failing" }>{if check.ok { "ready" } else { "not answering" }}</td>
                        <td>{format!("{:.1} ms", check.millis)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The page of one of the searchable lists (users, projects) that the address asks for. `list`
/// names the list's query parameters (`?<list>=<search>&<list>_from=<offset>`) and its section.
struct Listing<T: Send + Sync + 'static> {
    list: &'static str,
    search: Memo<Option<String>>,
    from: Memo<Option<i64>>,
    page: Fetched<Page<T>>,
}

impl<T: Send + Sync + 'static> Clone for Listing<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Listing<T> {}

impl<T> Listing<T>
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// Reads the page with `read` (search, offset), again whenever the address changes.
    fn read<Fut>(
        list: &'static str,
        read: impl Fn(Option<String>, Option<i64>) -> Fut + Send + Sync + 'static,
    ) -> Self
    where
        Fut: Future<Output = Result<Page<T>, ServerFnError>> + Send + 'static,
    {
        let query = use_query_map();
        let search = Memo::new(move |_| query.read().get(list));
        let from = Memo::new(move |_| {
            query
                .read()
                .get(&format!("{list}_from"))
                .and_then(|f| f.parse::<i64>().ok())
        });
        let page = Resource::new(
            move || (search.get(), from.get()),
            move |(search, from)| read(search, from),
        );
        Listing {
            list,
            search,
            from,
            page,
        }
    }
}

/// A list's search box. It sends the other list's search along, so that stays as it was.
#[component]
fn ListSearch(
    list: &'static str,
    other: &'static str,
    search: Memo<Option<String>>,
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
) -> impl IntoView {
    let query = use_query_map();
    view! {
        <Form method="GET" action="/admin" attr:role="search">
            <label for=id>{label}</label>
            <div class="search">
                <input id=id type="search" name=list placeholder=placeholder value=move || search.get().unwrap_or_default() />
                <input type="hidden" name=other value=move || query.read().get(other).unwrap_or_default() />
                <button class="button small" type="submit">"Search"</button>
            </div>
        </Form>
    }
}

/// Links to the previous and next pages of a list, keeping its search.
#[component]
fn Pager<T: Send + Sync + 'static>(listing: Listing<T>, next: Option<i64>) -> impl IntoView {
    let list = listing.list;
    let search = listing.search.get_untracked();
    let from = listing.from.get_untracked().unwrap_or(0);
    let previous = (from > 0).then(|| (from - PAGE_SIZE).max(0));
    if previous.is_none() && next.is_none() {
        return ().into_any();
    }
    let search = urlencode(&search.unwrap_or_default());
    let link = move |from: i64| format!("/admin?{list}={search}&{list}_from={from}#{list}");
    view! {
        <nav class="pager" aria-label=format!("Pages of the {list} list")>
            {previous.map(|from| view! { <a href=link(from) rel="prev">"Previous page"</a> })}
            {next.map(|from| view! { <a href=link(from) rel="next">"Next page"</a> })}
        </nav>
    }
    .into_any()
}

/// Role names as the admin pages show them.
fn role_label(role: &str) -> &'static str {
    match role {
        "server:admin" => "Admin",
        "server:user" => "User",
        "server:guest" => "Guest",
        "server:archived-user" => "Archived",
        _ => "Unknown",
    }
}
