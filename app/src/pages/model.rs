//! A model: its versions with message, author, source application and date; renaming and
//! deleting the model; editing, moving and deleting versions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::pages::auth::FormError;
use crate::pages::embed::embed_path;
use crate::pages::imports::FileImports;
use crate::pages::project::ProjectHeading;
use crate::pages::shared::{after, Confirm, PageData, Refresh, Submit};
use crate::pages::viewer::{ModelViewer, Review, ReviewVersion};
use crate::projects::edit::{DeleteModel, DeleteVersion, MoveVersion, UpdateModel, UpdateVersion};
use crate::projects::read::fetch_model;
use crate::projects::{count, preview_url, ModelPage as Page, ModelRow, VersionRow};

#[component]
pub fn ModelPage() -> impl IntoView {
    let refresh = Refresh::provide();
    let ids = model_ids();
    let data = Resource::new(
        move || (ids.get(), refresh.get()),
        |((project_id, model_id), _)| fetch_model(project_id, model_id),
    );
    view! {
        <PageData loading="Loading the model…" data let:page>
            <ModelBody page />
        </PageData>
    }
}

/// The project and model a model's address names.
pub fn model_ids() -> Memo<(String, String)> {
    let params = use_params_map();
    Memo::new(move |_| {
        let params = params.read();
        (
            params.get("id").unwrap_or_default(),
            params.get("model_id").unwrap_or_default(),
        )
    })
}

#[component]
fn ModelBody(page: Page) -> impl IntoView {
    let Page {
        project,
        model,
        versions,
        total,
        changeable,
    } = page;
    let project_id = project.id.clone();
    let title = format!("{} · {}", model.name, project.name);
    let query = use_query_map();
    let wanted = query.read_untracked().get("version");
    // The version the link names, else the latest.
    let shown = wanted
        .and_then(|id| versions.iter().find(|v| v.id == id).cloned())
        .or_else(|| versions.first().cloned());
    view! {
        <Title text=title />
        <ProjectHeading project=project.clone() current="models" />
        {match shown {
            Some(version) => {
                let embed = (project.visibility == "public")
                    .then(|| embed_path(&project.id, &model.id, &version.id));
                // Newest first: the last of `total` versions is number `total`.
                let listed = versions.iter().enumerate().map(|(i, v)| ReviewVersion {
                    id: v.id.clone(),
                    number: total - i as i64,
                    object_id: v.object_id.clone(),
                    label: if v.message.is_empty() { v.created.clone() } else { v.message.clone() },
                }).collect();
                let review = Review {
                    project_id: project.id.clone(),
                    model_id: model.id.clone(),
                    version_id: version.id.clone(),
                    versions: listed,
                };
                view! {
                    <div class="model-view">
                        <VersionPicker versions=versions.clone() shown=version.id.clone() />
                        <ModelViewer project_id=project_id.clone() object_id=version.object_id.clone() review />
                        {embed.map(|path| view! { <EmbedSnippet path /> })}
                    </div>
                }.into_any()
            }
            None => ().into_any(),
        }}
        <section class="panel" aria-labelledby="model-heading" data-model=model.name.clone()>
            <div class="panel-head">
                <h2 id="model-heading">{model.name.clone()}</h2>
                <span class="hint">{format!("{} · updated {}", count(total, "version"), model.updated)}</span>
            </div>
            {(!model.description.is_empty()).then(|| view! { <p>{model.description.clone()}</p> })}
            {if versions.is_empty() {
                view! {
                    <p class="empty" data-empty="versions">
                        "This model has no versions yet. Send one from a Speckle connector or specklepy."
                    </p>
                }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                    <table class="list versions">
                        <thead>
                            <tr>
                                <th scope="col"><span class="visually-hidden">"Preview"</span></th>
                                <th scope="col">"Message"</th>
                                <th scope="col">"Author"</th>
                                <th scope="col">"Sent from"</th>
                                <th scope="col">"Date"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {versions.into_iter().map(|version| view! { <VersionLine version project_id=project_id.clone() /> }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </section>
        <FileImports project_id=project.id.clone() model_id=model.id.clone() can_write=project.can.write />
        {changeable.then(|| view! { <ModelSettings project_id=project.id.clone() model /> })}
    }
}

/// The `<iframe>` that shows this version on another site (public projects only).
#[component]
fn EmbedSnippet(path: String) -> impl IntoView {
    // The address other sites reach this server at is the one this page came from.
    let origin = RwSignal::new(String::new());
    Effect::new(move |_| origin.set(window().location().origin().unwrap_or_default()));
    let snippet = move || {
        format!(
            r#"<iframe src="{}{path}" width="960" height="600" style="border:0" allow="fullscreen" title="3D model"></iframe>"#,
            origin.get()
        )
    };
    view! {
        <details class="embed-snippet">
            <summary>"Embed this model on another site"</summary>
            <label for="embed-code">"Paste this into a web page: it shows the 3D view of this version to anyone."</label>
            <textarea id="embed-code" readonly rows="2" prop:value=snippet></textarea>
        </details>
    }
}

/// Chooses the version the 3D view shows; a plain form, so it works before the script loads
/// (with its button). Once hydrated, choosing submits it: no inline handler, which the page's
/// Content-Security-Policy would refuse.
#[component]
fn VersionPicker(versions: Vec<VersionRow>, shown: String) -> impl IntoView {
    let submit = |ev: leptos::ev::Event| {
        if let Some(form) = event_target::<web_sys::HtmlSelectElement>(&ev).form() {
            let _ = form.submit();
        }
    };
    view! {
        <form method="get" class="version-picker">
            <label for="version-picker">"Version"</label>
            <select id="version-picker" name="version" on:change=submit>
                {versions.into_iter().map(|v| {
                    let label = format!("{} · {} · {}", if v.message.is_empty() { "No message" } else { &v.message }, v.author, v.created);
                    view! { <option value=v.id.clone() selected=v.id == shown>{label}</option> }
                }).collect_view()}
            </select>
            <noscript><button class="button small" type="submit">"Show"</button></noscript>
        </form>
    }
}

#[component]
fn VersionLine(version: VersionRow, project_id: String) -> impl IntoView {
    let message = if version.message.is_empty() {
        "No message".to_string()
    } else {
        version.message.clone()
    };
    view! {
        <tr data-version=version.id.clone()>
            <td><img class="thumb small" src=preview_url(&project_id, &version.id) alt="" width="140" height="80" loading="lazy" /></td>
            <td>{message}<br /><code class="hint">{version.id.clone()}</code></td>
            <td>{version.author.clone()}</td>
            <td>{if version.source_application.is_empty() { "—".to_string() } else { version.source_application.clone() }}</td>
            <td>{version.created.clone()}</td>
            <td>{version.changeable.then(|| view! { <VersionActions version=version.clone() project_id /> })}</td>
        </tr>
    }
}

#[component]
fn VersionActions(version: VersionRow, project_id: String) -> impl IntoView {
    let edit = ServerAction::<UpdateVersion>::new();
    let moved = ServerAction::<MoveVersion>::new();
    let delete = ServerAction::<DeleteVersion>::new();
    after(Signal::derive(move || edit.value().get()));
    after(Signal::derive(move || moved.value().get()));
    after(Signal::derive(move || delete.value().get()));
    let field = format!("message-{}", version.id);
    let target = format!("target-{}", version.id);
    let (p1, p2, p3) = (project_id.clone(), project_id.clone(), project_id);
    let (v1, v2, v3) = (version.id.clone(), version.id.clone(), version.id.clone());
    let message = version.message.clone();
    view! {
        <details class="row-actions">
            <summary>"Edit"</summary>
            <ActionForm action=edit>
                <input type="hidden" name="project_id" value=p1 />
                <input type="hidden" name="version_id" value=v1 />
                <label for=field.clone()>"Message"</label>
                <input id=field type="text" name="message" value=message />
                <button class="button small" type="submit">"Save message"</button>
                <FormError result=Signal::derive(move || edit.value().get()) />
            </ActionForm>
            <ActionForm action=moved>
                <input type="hidden" name="project_id" value=p2 />
                <input type="hidden" name="version_id" value=v2 />
                <label for=target.clone()>"Move to model"</label>
                <input id=target type="text" name="target" required placeholder="model name (created if new)" />
                <button class="button small" type="submit">"Move"</button>
                <FormError result=Signal::derive(move || moved.value().get()) />
            </ActionForm>
            <Confirm label="Delete version…">
                <ActionForm action=delete>
                    <input type="hidden" name="project_id" value=p3 />
                    <input type="hidden" name="version_id" value=v3 />
                    <p>"Deleting this version removes it from the model for everyone. This cannot be undone."</p>
                    <button class="button small danger" type="submit">"Delete version"</button>
                    <FormError result=Signal::derive(move || delete.value().get()) />
                </ActionForm>
            </Confirm>
        </details>
    }
}

#[component]
fn ModelSettings(project_id: String, model: ModelRow) -> impl IntoView {
    let update = ServerAction::<UpdateModel>::new();
    let delete = ServerAction::<DeleteModel>::new();
    after(Signal::derive(move || update.value().get()));
    after(Signal::derive(move || delete.value().get()));
    let pending = update.pending();
    let is_main = model.name == "main";
    let (project_for_delete, model_for_delete) = (project_id.clone(), model.id.clone());
    let (name, description) = (model.name.clone(), model.description.clone());
    view! {
        <section class="panel" aria-labelledby="model-settings-heading">
            <h2 id="model-settings-heading">"Model settings"</h2>
            <ActionForm action=update>
                <input type="hidden" name="project_id" value=project_id />
                <input type="hidden" name="model_id" value=model.id />
                <label for="model-name">"Name"</label>
                <input id="model-name" type="text" name="name" required value=name aria-describedby="model-name-hint" />
                <p class="hint" id="model-name-hint">"Kept in lower case, as Speckle's connectors expect."</p>
                <label for="model-description">"Description"</label>
                <input id="model-description" type="text" name="description" value=description />
                <FormError result=Signal::derive(move || update.value().get()) />
                <Submit pending=pending label="Save" busy="Saving…" />
            </ActionForm>
            {(!is_main).then(move || view! {
                <ActionForm action=delete attr:class="danger-zone">
                    <input type="hidden" name="project_id" value=project_for_delete />
                    <input type="hidden" name="model_id" value=model_for_delete />
                    <p>"Deleting the model deletes all its versions. This cannot be undone."</p>
                    <label class="choice"><input type="checkbox" required /> "Yes, delete this model and its versions"</label>
                    <button class="button danger" type="submit">"Delete model"</button>
                    <FormError result=Signal::derive(move || delete.value().get()) />
                </ActionForm>
            })}
        </section>
    }
}
