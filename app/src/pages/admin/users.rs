//! The admin page's users: search, server roles and archiving. Archiving is core's
//! `server:archived-user` role: archived users cannot sign in and their tokens stop working.

use leptos::prelude::*;

use super::{role_label, ListSearch, Listing, Pager};
use crate::admin::{AdminUser, Page, SetServerRole};
use crate::pages::shared::{Confirm, FormAnswer, ListTable, Panel, Submit, WhenLoaded};

/// The roles an admin may give in the role list; archiving has its own button.
const ROLES: [&str; 3] = ["server:admin", "server:user", "server:guest"];
const ARCHIVED: &str = "server:archived-user";

#[component]
pub fn Users(users: Listing<AdminUser>) -> impl IntoView {
    let Listing { search, page, .. } = users;
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
        <Panel id="users" title="Users">
            <ListSearch list="users" other="projects" search id="user-search" label="Search users" placeholder="Name or e-mail address" />
            <FormAnswer result=set_role.value() done="The role is changed." />
            <WhenLoaded data=page set_pending=listing children={move |page: Page<AdminUser>| if page.items.is_empty() {
                view! { <p>"No users match."</p> }.into_any()
            } else {
                view! {
                    <UserTable users=page.items set_role listing busy search=search.get_untracked().unwrap_or_default() attempt=set_role.version().get_untracked() />
                    <Pager listing=users next=page.next />
                }.into_any()
            }} />
        </Panel>
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
        <ListTable caption="Users" columns=&["Name", "E-mail address", "Verified", "Server role"] actions=true
            attr:data-search=search attr:aria-busy=move || listing.get().to_string()>
            <For each=move || users.clone() key=move |user| (user.id.clone(), attempt) let:user>
                <UserRow user set_role listing busy />
            </For>
        </ListTable>
    }
}

#[component]
fn UserRow(
    user: AdminUser,
    set_role: ServerAction<SetServerRole>,
    listing: RwSignal<bool>,
    busy: Signal<bool>,
) -> impl IntoView {
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
                    <Submit pending=busy label="Change" busy="Saving…" class="button small" />
                </ActionForm>
            </td>
            <td>
                {(!archived).then(|| view! {
                    <Confirm label="Archive…">
                        <ActionForm action=set_role>
                            <input type="hidden" name="user_id" value=archive_id />
                            <input type="hidden" name="role" value=ARCHIVED />
                            <p>{warning}</p>
                            <Submit pending=busy label="Archive user" busy="Archiving…" class="button small danger" />
                        </ActionForm>
                    </Confirm>
                })}
            </td>
        </tr>
    }
}
