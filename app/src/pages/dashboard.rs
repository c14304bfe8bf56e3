//! The signed-in home page: invitations waiting for an answer, a drop zone that turns an IFC file
//! into a project, a new project, and the user's projects with their role.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::pages::auth::FormError;
use crate::pages::project::answer_form;
use crate::pages::shared::{after, PageData, Refresh, Submit};
use crate::pages::upload::UploadModel;
use crate::projects::edit::{AnswerInvite, CreateProject, SAME_NAME};
use crate::projects::read::fetch_dashboard;
use crate::projects::{Dashboard, InviteCard, ProjectCard};

#[component]
pub fn DashboardView() -> impl IntoView {
    let refresh = Refresh::provide();
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let data = Resource::new(
        move || (search.get(), refresh.get()),
        |(search, _)| fetch_dashboard(search),
    );
    view! {
        <PageData loading="Loading your projects…" data let:found>
            <DashboardBody data=found search=search.get_untracked() />
        </PageData>
    }
}

#[component]
fn DashboardBody(data: Dashboard, search: String) -> impl IntoView {
    let Dashboard {
        projects,
        total,
        invites,
    } = data;
    let searching = !search.is_empty();
    view! {
        {(!invites.is_empty()).then(|| view! {
            <section class="panel" aria-labelledby="invites-heading">
                <h2 id="invites-heading">"Invitations"</h2>
                <ul class="invites">
                    {invites.into_iter().map(|invite| view! { <InviteItem invite /> }).collect_view()}
                </ul>
            </section>
        })}
        // A first-time user starts by dropping a file; with projects, the list comes first.
        {(total == 0 && !searching).then(|| view! { <UploadModel /> })}
        <section class="panel" aria-labelledby="projects-heading">
            <div class="panel-head">
                <h1 id="projects-heading">"Projects"</h1>
                <span class="hint">{format!("{total} in all")}</span>
            </div>
            <form method="get" action="/" class="search" role="search">
                <label for="project-search" class="visually-hidden">"Search projects"</label>
                <input id="project-search" type="search" name="q" value=search.clone() placeholder="Search by name or description" />
                <button class="button small" type="submit">"Search"</button>
                {searching.then(|| view! { <a href="/">"Clear"</a> })}
            </form>
            {if projects.is_empty() {
                let text = if searching {
                    "No project matches this search."
                } else {
                    "You have no projects yet. Drop an IFC file above to make one, create an empty one below, or send a model from a Speckle connector or specklepy."
                };
                view! { <p class="empty" data-empty="projects">{text}</p> }.into_any()
            } else {
                view! {
                    <ul class="project-grid">
                        {projects.into_iter().map(|project| view! { <ProjectTile project /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {(total > 0 || searching).then(|| view! { <UploadModel /> })}
        <NewProject />
    }
}

#[component]
fn ProjectTile(project: ProjectCard) -> impl IntoView {
    view! {
        <li class="project-tile" data-project=project.id.clone()>
            {match project.preview.clone() {
                Some(src) => view! {
                    <img class="thumb" src=src alt=format!("Preview of {}", project.name) width="280" height="160" loading="lazy" />
                }.into_any(),
                None => view! {
                    <div class="thumb thumb-empty" data-no-preview="">
                        <span>"No versions yet"</span>
                    </div>
                }.into_any(),
            }}
            <a class="tile-link" href=format!("/projects/{}", project.id)>
                <span class="tile-name">{project.name.clone()}</span>
            </a>
            <span class="badges">
                <span class="badge role">{project.role.clone()}</span>
                <span class=format!("badge {}", project.visibility)>{project.visibility.clone()}</span>
            </span>
            {(!project.description.is_empty()).then(|| view! { <p class="tile-description">{project.description.clone()}</p> })}
            <p class="hint">{format!("Updated {}", project.updated)}</p>
        </li>
    }
}

#[component]
fn InviteItem(invite: InviteCard) -> impl IntoView {
    let answer = ServerAction::<AnswerInvite>::new();
    after(Signal::derive(move || answer.value().get()));
    let accept = answer_form(answer, &invite, "accept", "Accept", "button small");
    let decline = answer_form(
        answer,
        &invite,
        "decline",
        "Decline",
        "button small secondary",
    );
    view! {
        <li class="invite" data-invite-project=invite.project_id.clone()>
            <p>
                <strong>{invite.inviter.clone()}</strong>
                {format!(" invited you to {} as {}.", invite.project_name, invite.role.to_lowercase())}
            </p>
            <div class="actions">
                {accept}
                {decline}
            </div>
            <FormError result=Signal::derive(move || answer.value().get()) />
        </li>
    }
}

#[component]
fn NewProject() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    after(Signal::derive(move || create.value().get()));
    let pending = create.pending();
    // Asked whether to make a second project of a name: the choice to go ahead.
    let same_name = move || {
        create
            .value()
            .with(|result| matches!(result, Some(Ok(Err(why))) if why.starts_with(SAME_NAME)))
    };
    view! {
        <section class="panel" aria-labelledby="new-project-heading">
            <h2 id="new-project-heading">"New project"</h2>
            <ActionForm action=create>
                <label for="project-name">"Name"</label>
                <input id="project-name" type="text" name="name" required maxlength="512" />
                <label for="project-description">"Description"</label>
                <input id="project-description" type="text" name="description" maxlength="65536" />
                <fieldset>
                    <legend>"Who can see it"</legend>
                    <label class="choice"><input type="radio" name="visibility" value="private" checked /> "Only the people I invite"</label>
                    <label class="choice"><input type="radio" name="visibility" value="public" /> "Anyone with the link"</label>
                </fieldset>
                <FormError result=Signal::derive(move || create.value().get()) />
                {move || same_name().then(|| view! {
                    <label class="choice"><input type="checkbox" name="again" value="yes" /> "Create another one with this name"</label>
                })}
                <Submit pending=pending label="Create project" busy="Creating…" />
            </ActionForm>
        </section>
    }
}
