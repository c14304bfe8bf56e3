//! The admin page's users: search, server roles and archiving. Archiving is core's
//! `server:archived-user` role: archived users cannot sign in and their tokens stop working.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{role_label, Pager};
use crate::admin::{admin_users, AdminUser, Page, SetServerRole};
use crate::pages::auth::{error_text, FormError};
use crate::pages::shared::{Confirm, Done, Fetched};

/// The roles an admin may give in the role list; archiving has its own button.
const ROLES: [&str; 3] = ["server:admin", "server:user", "server:guest"];
const ARCHIVED: &str = "server:archived-user";

/// The page of users the address asks for: `?users=<search>&users_from=<offset>`.
#[derive(Clone, Copy)]
pub struct UserList {
    search: Memo<Option<String>>,
    from: Memo<Option<i64>>,
    page: Fetched<Page<AdminUser>>,
}

pub fn list() -> UserList {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("users"));
    let from = Memo::new(move |_| {
        query
            .read()
            .get("users_from")
            .and_then(|f| f.parse::<i64>().ok())
    });
    let page = Resource::new(
        move || (search.get(), from.get()),
        |(search, from)| admin_users(search, from),
    );
    UserList { search, from, page }
}

#[component]
pub fn Users(users: UserList) -> impl IntoView {
    let query = use_query_map();
    let UserList { search, from, page } = users;
    let set_role = ServerAction::<SetServerRole>::new();
    // While another page of users loads, the list on screen is the old one: its rows are
    // about to be replaced, so a choice made in them would be lost. They wait, disabled.
    let listing = RwSignal::new(false);
    // Made here, not in each row: a row's own signals go with it, while the old rows' last
    // updates (when a new list replaces them) still read them.
    let saving = set_role.pending();
    let busy = Signal::derive(move || saving.get() || listing.get());
    // Read the list again after every attempt: a refused change must not stay selected.
    Effect::new(move |_| {
        if set_role.version().get() > 0 {
            untrack(|| page.refetch());
        }
    });
    view! {
        <section class="panel" id="users" aria-labelledby="users-heading">
            <h2 id="users-heading">"Users"</h2>
            <Form method="GET" action="/admin" attr:role="search">
                <label for="user-search">"Search users"</label>
                <div class="search">
                    <input id="user-search" type="search" name="users" placeholder="Name or e-mail address" value=move || search.get().unwrap_or_default() />
                    <input type="hidden" name="projects" value=move || query.read().get("projects").unwrap_or_default() />
                    <button class="button small" type="submit">"Search"</button>
                </div>
            </Form>
            <FormError result=set_role.value() />
            <Done result=set_role.value() message="The role is changed." />
            <Transition fallback=|| view! { <p>"Loading…"</p> } set_pending=listing>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                        Ok(page) if page.items.is_empty() => view! { <p>"No users match."</p> }.into_any(),
                        Ok(page) => view! {
                            <UserTable users=page.items set_role listing busy search=search.get_untracked().unwrap_or_default() attempt=set_role.version().get_untracked() />
                            <Pager list="users" search=search.get_untracked() from=from.get_untracked() next=page.next />
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Rows are keyed by user and attempt: after every role change, made or refused, the rows are
/// made anew, so each list shows the stored role and no confirmation stays open.
#[component]
fn UserTable(
    users: Vec<AdminUser>,
    set_role: ServerAction<SetServerRole>,
    listing: RwSignal<bool>,
    busy: Signal<bool>,
    /// The search this list answers, for scripts to tell it from the list before.
    search: String,
    attempt: usize,
) -> impl IntoView {
    view! {
        <div class="table-scroll" data-search=search aria-busy=move || listing.get().to_string()>
            <table class="list">
                <caption class="visually-hidden">"Users"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"E-mail address"</th>
                        <th scope="col">"Verified"</th>
                        <th scope="col">"Server role"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || users.clone() key=move |user| (user.id.clone(), attempt) let:user>
                        <UserRow user set_role listing busy />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn UserRow(
    user: AdminUser,
    set_role: ServerAction<SetServerRole>,
    listing: RwSignal<bool>,
    busy: Signal<bool>,
) -> impl IntoView {
    let pending = move || busy.get();
    let select_id = format!("role-{}", user.id);
    let select_label = format!("Server role of {}", user.name);
    let archived = user.role == ARCHIVED;
    let options = ROLES.map(|role| (role, user.role == role));
    let warning = format!(
        "{} will no longer be able to sign in, and their tokens will stop working. \
         Give them a role again to restore access.",
        user.name
    );
    // The view builds a row's content before its attributes, and each form its own content
    // later: each gets its own copy.
    let (email, id, role) = (user.email.clone(), user.id.clone(), user.role.clone());
    let (role_form_id, archive_id) = (user.id.clone(), user.id.clone());
    view! {
        <tr data-user-email=email data-user-id=id data-role=role>
            <th scope="row">{user.name}</th>
            <td>{user.email}</td>
            <td>{if user.verified { "yes" } else { "no" }}</td>
            <td>
                <ActionForm action=set_role attr:class="inline role-form">
                    <input type="hidden" name="user_id" value=role_form_id />
                    <label class="visually-hidden" for=select_id.clone()>{select_label}</label>
                    <select id=select_id name="role" disabled=move || listing.get()>
                        {archived.then(|| view! { <option value=ARCHIVED selected>"Archived"</option> })}
                        {options.into_iter().map(|(role, selected)| view! {
                            <option value=role selected=selected>{role_label(role)}</option>
                        }).collect_view()}
                    </select>
                    <button class="button small" type="submit" disabled=pending>
                        {move || if pending() { "Saving…" } else { "Change" }}
                    </button>
                </ActionForm>
            </td>
            <td>
                {(!archived).then(|| view! {
                    <Confirm label="Archive…">
                        <ActionForm action=set_role>
                            <input type="hidden" name="user_id" value=archive_id />
                            <input type="hidden" name="role" value=ARCHIVED />
                            <p>{warning}</p>
                            <button class="button small danger" type="submit" disabled=pending>
                                {move || if pending() { "Archiving…" } else { "Archive user" }}
                            </button>
                        </ActionForm>
                    </Confirm>
                })}
            </td>
        </tr>
    }
}
