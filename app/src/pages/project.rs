//! A project: its models as a tree with their latest versions, files and recent activity; or,
//! for someone holding an invitation, the invitation.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::pages::auth::FormError;
use crate::pages::shared::{after, PageData, Refresh, Submit};
use crate::pages::upload::UploadModel;
use crate::projects::edit::{AnswerInvite, CreateModel};
use crate::projects::read::fetch_project;
use crate::projects::tree::{model_tree, TreeNode};
use crate::projects::{
    count, preview_url, ActivityRow, FileRow, InviteCard, ModelRow, ProjectHeader,
    ProjectPage as Page,
};

#[component]
pub fn ProjectPage() -> impl IntoView {
    let refresh = Refresh::provide();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let token = Memo::new(move |_| query.read().get("token"));
    let data = Resource::new(
        move || (id.get(), token.get(), refresh.get()),
        |(id, token, _)| fetch_project(id, token),
    );
    view! {
        <PageData loading="Loading the project…" data let:page>
            <ProjectBody page />
        </PageData>
    }
}

#[component]
fn ProjectBody(page: Page) -> impl IntoView {
    let Page {
        project,
        models,
        activity,
        files,
        invite,
    } = page;
    if let Some(invite) = invite {
        return view! { <Title text=project.name.clone() /><Invitation project invite /> }
            .into_any();
    }
    view! {
        <Title text=project.name.clone() />
        <ProjectHeading project=project.clone() current="models" />
        <div class="columns">
            <div class="main-column">
                {project.can.write.then(|| view! { <UploadModel project_id=project.id.clone() /> })}
                <Models project=project.clone() models />
                <Files project_id=project.id.clone() files />
            </div>
            <aside class="side-column">
                <Activity entries=activity />
            </aside>
        </div>
    }
    .into_any()
}

/// The project's name, visibility and the caller's role, with the project's page links.
#[component]
pub fn ProjectHeading(project: ProjectHeader, current: &'static str) -> impl IntoView {
    let base = format!("/projects/{}", project.id);
    let link = move |name: &'static str, href: String, label: &'static str| {
        let aria = (name == current).then_some("page");
        view! { <a href=href aria-current=aria>{label}</a> }
    };
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/">"Projects"</a></nav>
        <header class="project-head" data-project=project.id.clone()>
            <div>
                <h1>{project.name.clone()}</h1>
                {(!project.description.is_empty()).then(|| view! { <p class="lead">{project.description.clone()}</p> })}
            </div>
            <span class="badges">
                {(!project.role.is_empty()).then(|| view! { <span class="badge role">{crate::projects::role_label(&project.role)}</span> })}
                <span class=format!("badge {}", project.visibility)>{project.visibility.clone()}</span>
            </span>
        </header>
        <nav class="tabs" aria-label="Project">
            {link("models", base.clone(), "Models")}
            {link("settings", format!("{base}/settings"), "Settings and team")}
        </nav>
    }
}

#[component]
fn Invitation(project: ProjectHeader, invite: InviteCard) -> impl IntoView {
    let answer = ServerAction::<AnswerInvite>::new();
    after(Signal::derive(move || answer.value().get()));
    let (inviter, role) = (invite.inviter.clone(), invite.role.to_lowercase());
    let form = |choice, label, class| answer_form(answer, &invite, choice, label, class);
    view! {
        <section class="panel narrow" data-invitation=project.id.clone()>
            <h1>{format!("Join {}", project.name)}</h1>
            <p>{format!("{} invited you to this project as {}.", inviter, role)}</p>
            <div class="actions">
                {form("accept", "Accept and open the project", "button")}
                {form("decline", "Decline", "button secondary")}
            </div>
            <FormError result=Signal::derive(move || answer.value().get()) />
        </section>
    }
}

/// A button that accepts (`choice` = "accept") or declines an invitation.
pub fn answer_form(
    answer: ServerAction<AnswerInvite>,
    invite: &InviteCard,
    choice: &'static str,
    label: &'static str,
    class: &'static str,
) -> impl IntoView {
    let (project_id, token) = (invite.project_id.clone(), invite.token.clone());
    view! {
        <ActionForm action=answer attr:class="inline">
            <input type="hidden" name="project_id" value=project_id />
            <input type="hidden" name="token" value=token />
            <input type="hidden" name="answer" value=choice />
            <button class=class type="submit">{label}</button>
        </ActionForm>
    }
}

#[component]
fn Models(project: ProjectHeader, models: Vec<ModelRow>) -> impl IntoView {
    let tree = model_tree(models.iter().map(|m| m.name.as_str()));
    let with_versions = models.iter().filter(|m| m.versions > 0).count();
    let project_id = project.id.clone();
    view! {
        <section class="panel" aria-labelledby="models-heading">
            <div class="panel-head">
                <h2 id="models-heading">"Models"</h2>
                <span class="hint">{format!("{}, {} with versions", count(models.len() as i64, "model"), with_versions)}</span>
            </div>
            {(with_versions == 0).then(|| view! {
                <p class="empty" data-empty="versions">
                    "No versions yet. Send a model from a Speckle connector or specklepy to this project's URL, and it appears here."
                </p>
            })}
            <ul class="model-tree">
                {tree.into_iter().map(|node| view! { <ModelNode node models=models.clone() project_id=project_id.clone() /> }).collect_view()}
            </ul>
            {project.can.write.then(|| view! { <NewModel project_id=project.id.clone() /> })}
        </section>
    }
}

#[component]
fn ModelNode(node: TreeNode, models: Vec<ModelRow>, project_id: String) -> AnyView {
    let model = node.model.and_then(|i| models.get(i).cloned());
    let children = node.children.clone();
    let label = node.label.clone();
    view! {
        <li class="model-node">
            {match model {
                Some(model) => view! { <ModelLine model project_id=project_id.clone() label /> }.into_any(),
                None => view! { <span class="folder" data-folder=node.path.clone()>{label}</span> }.into_any(),
            }}
            {(!children.is_empty()).then(|| view! {
                <ul>
                    {children.into_iter().map(|child| view! { <ModelNode node=child models=models.clone() project_id=project_id.clone() /> }).collect_view()}
                </ul>
            })}
        </li>
    }
    .into_any()
}

#[component]
fn ModelLine(model: ModelRow, project_id: String, label: String) -> impl IntoView {
    let href = format!("/projects/{project_id}/models/{}", model.id);
    let versions = count(model.versions, "version");
    view! {
        <div class="model-line" data-model=model.name.clone()>
            <a href=href class="model-name">{label}</a>
            <span class="hint">{versions}</span>
            {model.latest.clone().map(|v| view! {
                <img class="thumb small" src=preview_url(&project_id, &v.id) alt=format!("Preview of {}", model.name) width="140" height="80" loading="lazy" />
            })}
            {model.latest.map(|v| view! {
                <p class="latest">
                    {if v.message.is_empty() { "Latest version".to_string() } else { v.message.clone() }}
                    <span class="hint">{format!(" · {} · {}{}", v.author, v.created,
                        if v.source_application.is_empty() { String::new() } else { format!(" · {}", v.source_application) })}</span>
                </p>
            })}
        </div>
    }
}

#[component]
fn NewModel(project_id: String) -> impl IntoView {
    let create = ServerAction::<CreateModel>::new();
    after(Signal::derive(move || create.value().get()));
    let pending = create.pending();
    view! {
        <details class="new-model">
            <summary>"New model"</summary>
            <ActionForm action=create>
                <input type="hidden" name="project_id" value=project_id />
                <label for="model-name">"Name"</label>
                <input id="model-name" type="text" name="name" required maxlength="512" placeholder="e.g. building a/level 1/walls" />
                <p class="hint">"Use / to nest models in folders. Model names are kept in lower case, as Speckle's connectors expect."</p>
                <label for="model-description">"Description"</label>
                <input id="model-description" type="text" name="description" />
                <FormError result=Signal::derive(move || create.value().get()) />
                <Submit pending=pending label="Create model" busy="Creating…" />
            </ActionForm>
        </details>
    }
}

#[component]
fn Files(project_id: String, files: Vec<FileRow>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="files-heading">
            <h2 id="files-heading">"Files"</h2>
            {if files.is_empty() {
                view! { <p class="empty" data-empty="files">"No files are attached to this project."</p> }.into_any()
            } else {
                view! {
                    <table class="list">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Size"</th><th scope="col">"Uploaded"</th></tr></thead>
                        <tbody>
                            {files.into_iter().map(|f| view! {
                                <tr data-file=f.name.clone()>
                                    <td><a href=format!("/api/stream/{}/blob/{}", project_id, f.id) download=f.name.clone()>{f.name.clone()}</a></td>
                                    <td>{f.size}</td>
                                    <td>{f.uploaded}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Activity(entries: Vec<ActivityRow>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Recent activity"</h2>
            {if entries.is_empty() {
                view! { <p class="empty">"Nothing has happened here yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="activity">
                        {entries.into_iter().map(|a| view! {
                            <li data-action=a.action.clone()>
                                {a.message}
                                <span class="hint">{format!("{} · {}", a.who, a.time)}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}
