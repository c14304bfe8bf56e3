//! A project's settings: name, description and visibility; the team with roles, invitations,
//! webhooks, leaving; and deleting the project.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::pages::auth::FormError;
use crate::pages::project::ProjectHeading;
use crate::pages::shared::{after, Done, PageData, Refresh, Submit};
use crate::pages::webhooks::WebhooksPanel;
use crate::projects::settings::{
    fetch_settings, CancelInvite, ChangeRole, DeleteProject, InviteMember, LeaveProject,
    UpdateProject,
};
use crate::projects::{role_label, MemberRow, PendingRow, ProjectHeader, SettingsPage as Page};

const ROLES: [(&str, &str); 3] = [
    ("stream:owner", "Owner"),
    ("stream:contributor", "Contributor"),
    ("stream:reviewer", "Reviewer"),
];

#[component]
pub fn SettingsPage() -> impl IntoView {
    let refresh = Refresh::provide();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let data = Resource::new(
        move || (id.get(), refresh.get()),
        |(id, _)| fetch_settings(id),
    );
    // Held above the page's data, which an invitation reloads (its pending list), so that the
    // answer ("sent", or why not) outlives the reload.
    let invite = ServerAction::<InviteMember>::new();
    after(Signal::derive(move || invite.value().get()));
    view! {
        <PageData loading="Loading the settings…" data let:page>
            <SettingsBody page invite />
        </PageData>
    }
}

#[component]
fn SettingsBody(page: Page, invite: ServerAction<InviteMember>) -> impl IntoView {
    let Page {
        project,
        members,
        pending,
    } = page;
    let administer = project.can.administer;
    let is_member = project.can.member;
    view! {
        <Title text=format!("Settings · {}", project.name) />
        <ProjectHeading project=project.clone() current="settings" />
        {administer.then(|| view! { <General project=project.clone() /> })}
        <Team project_id=project.id.clone() members administer />
        {administer.then(|| view! { <Invitations project_id=project.id.clone() invite /> })}
        {(!pending.is_empty()).then(|| view! { <Pending project_id=project.id.clone() pending administer /> })}
        {administer.then(|| view! { <WebhooksPanel project_id=project.id.clone() /> })}
        {is_member.then(|| view! { <Leave project_id=project.id.clone() /> })}
        {administer.then(|| view! { <DangerZone project=project.clone() /> })}
    }
}

#[component]
fn General(project: ProjectHeader) -> impl IntoView {
    let update = ServerAction::<UpdateProject>::new();
    after(Signal::derive(move || update.value().get()));
    let pending = update.pending();
    let public = project.visibility == "public";
    view! {
        <section class="panel" aria-labelledby="general-heading">
            <h2 id="general-heading">"General"</h2>
            <ActionForm action=update>
                <input type="hidden" name="id" value=project.id.clone() />
                <label for="settings-name">"Name"</label>
                <input id="settings-name" type="text" name="name" required value=project.name.clone() />
                <label for="settings-description">"Description"</label>
                <input id="settings-description" type="text" name="description" value=project.description.clone() />
                <fieldset>
                    <legend>"Who can see it"</legend>
                    <label class="choice"><input type="radio" name="visibility" value="private" checked=!public /> "Only the project's team"</label>
                    <label class="choice"><input type="radio" name="visibility" value="public" checked=public /> "Anyone with the link"</label>
                </fieldset>
                <FormError result=Signal::derive(move || update.value().get()) />
                <Submit pending=pending label="Save" busy="Saving…" />
                <Done result=update.value() message=" Saved." beside=true />
            </ActionForm>
        </section>
    }
}

#[component]
fn Team(project_id: String, members: Vec<MemberRow>, administer: bool) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="team-heading">
            <h2 id="team-heading">"Team"</h2>
            <table class="list team">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    {members.into_iter().map(|member| view! { <MemberLine member project_id=project_id.clone() administer /> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn MemberLine(member: MemberRow, project_id: String, administer: bool) -> impl IntoView {
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<ChangeRole>::new();
    after(Signal::derive(move || change.value().get()));
    after(Signal::derive(move || remove.value().get()));
    let editable = administer && !member.is_me;
    let select_id = format!("role-{}", member.user_id);
    let name = if member.is_me {
        format!("{} (you)", member.name)
    } else {
        member.name.clone()
    };
    let role_label_text = format!("Role of {}", member.name);
    let (p1, u1) = (project_id.clone(), member.user_id.clone());
    let (p2, u2) = (project_id, member.user_id.clone());
    view! {
        <tr data-member=member.name.clone() data-role=member.role.clone()>
            <td>{name}{(!member.company.is_empty()).then(|| view! { <span class="hint">{format!(" · {}", member.company)}</span> })}</td>
            <td>
                {if editable {
                    let current = member.role.clone();
                    view! {
                        <ActionForm action=change attr:class="inline">
                            <input type="hidden" name="project_id" value=p1 />
                            <input type="hidden" name="user_id" value=u1 />
                            <label for=select_id.clone() class="visually-hidden">{role_label_text}</label>
                            <select id=select_id name="role">
                                {ROLES.iter().map(|(value, label)| view! {
                                    <option value=*value selected=*value == current>{*label}</option>
                                }).collect_view()}
                            </select>
                            " "
                            <button class="button small" type="submit">"Change role"</button>
                        </ActionForm>
                        <FormError result=Signal::derive(move || change.value().get()) />
                    }.into_any()
                } else {
                    view! { <span class="badge role">{role_label(&member.role)}</span> }.into_any()
                }}
            </td>
            <td>
                {editable.then(move || view! {
                    <ActionForm action=remove attr:class="inline">
                        <input type="hidden" name="project_id" value=p2 />
                        <input type="hidden" name="user_id" value=u2 />
                        <input type="hidden" name="role" value="remove" />
                        <button class="button small danger" type="submit">"Remove"</button>
                    </ActionForm>
                    <FormError result=Signal::derive(move || remove.value().get()) />
                })}
            </td>
        </tr>
    }
}

#[component]
fn Invitations(project_id: String, invite: ServerAction<InviteMember>) -> impl IntoView {
    let sending = invite.pending();
    view! {
        <section class="panel" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite people"</h2>
            <ActionForm action=invite>
                <input type="hidden" name="project_id" value=project_id />
                <label for="invite-email">"E-mail address"</label>
                <input id="invite-email" type="email" name="email" required autocomplete="off" />
                <label for="invite-role">"Role"</label>
                <select id="invite-role" name="role">
                    {ROLES.iter().map(|(value, label)| view! {
                        <option value=*value selected=*value == "stream:contributor">{*label}</option>
                    }).collect_view()}
                </select>
                <FormError result=Signal::derive(move || invite.value().get()) />
                <Submit pending=sending label="Send invitation" busy="Sending…" />
                <Done result=invite.value() message=" Invitation sent." beside=true />
            </ActionForm>
        </section>
    }
}

/// Invitations waiting for an answer, which core shows the project's contributors and owners;
/// owners may cancel them.
#[component]
fn Pending(project_id: String, pending: Vec<PendingRow>, administer: bool) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="pending-heading">
            <h2 id="pending-heading">"Waiting for an answer"</h2>
            <ul class="pending">
                {pending.into_iter().map(|row| view! { <PendingLine row project_id=project_id.clone() administer /> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn PendingLine(row: PendingRow, project_id: String, administer: bool) -> impl IntoView {
    let cancel = ServerAction::<CancelInvite>::new();
    after(Signal::derive(move || cancel.value().get()));
    view! {
        <li data-pending=row.who.clone()>
            {format!("{} · {}", row.who, row.role)}
            {administer.then(|| view! {
                " "
                <ActionForm action=cancel attr:class="inline">
                    <input type="hidden" name="project_id" value=project_id />
                    <input type="hidden" name="invite_id" value=row.id.clone() />
                    <button class="link-button" type="submit">"Cancel invitation"</button>
                </ActionForm>
                <FormError result=Signal::derive(move || cancel.value().get()) />
            })}
        </li>
    }
}

#[component]
fn Leave(project_id: String) -> impl IntoView {
    let leave = ServerAction::<LeaveProject>::new();
    after(Signal::derive(move || leave.value().get()));
    view! {
        <section class="panel" aria-labelledby="leave-heading">
            <h2 id="leave-heading">"Leave the project"</h2>
            <ActionForm action=leave>
                <input type="hidden" name="project_id" value=project_id />
                <p>"You lose access unless someone invites you again. A project's last owner cannot leave."</p>
                <button class="button secondary" type="submit">"Leave project"</button>
                <FormError result=Signal::derive(move || leave.value().get()) />
            </ActionForm>
        </section>
    }
}

#[component]
fn DangerZone(project: ProjectHeader) -> impl IntoView {
    let delete = ServerAction::<DeleteProject>::new();
    after(Signal::derive(move || delete.value().get()));
    let pending = delete.pending();
    view! {
        <section class="panel danger-zone" aria-labelledby="danger-heading">
            <h2 id="danger-heading">"Delete the project"</h2>
            <ActionForm action=delete>
                <input type="hidden" name="project_id" value=project.id.clone() />
                <p>"This deletes its models, versions, objects and files for everyone. It cannot be undone."</p>
                <label for="confirm-name">{format!("Type {} to confirm", project.name)}</label>
                <input id="confirm-name" type="text" name="confirm" required autocomplete="off" />
                <FormError result=Signal::derive(move || delete.value().get()) />
                <Submit pending=pending label="Delete project" busy="Deleting…" class="button danger" />
            </ActionForm>
        </section>
    }
}
