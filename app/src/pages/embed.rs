//! A public project's model alone, for other sites to frame (`<iframe>`): the 3D view and its
//! panels, no page around them. Only public projects are shown; the server lets only these
//! pages be framed, and a framed page gets no session cookie from another site, so what it
//! shows is what anyone may see.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::pages::model::model_ids;
use crate::pages::shared::PageData;
use crate::pages::viewer::ModelViewer;
use crate::projects::read::fetch_model;
use crate::projects::ModelPage;

/// The path of a model's embeddable view.
pub fn embed_path(project_id: &str, model_id: &str, version_id: &str) -> String {
    format!("/embed/projects/{project_id}/models/{model_id}?version={version_id}")
}

#[component]
pub fn EmbedPage() -> impl IntoView {
    let ids = model_ids();
    let data = Resource::new(
        move || ids.get(),
        |(project_id, model_id)| fetch_model(project_id, model_id),
    );
    view! {
        <PageData loading="Loading the model…" data let:page>
            <Embedded page />
        </PageData>
    }
}

#[component]
fn Embedded(page: ModelPage) -> impl IntoView {
    let ModelPage {
        project,
        model,
        versions,
        ..
    } = page;
    let wanted = use_query_map().read_untracked().get("version");
    let shown = wanted
        .and_then(|id| versions.iter().find(|v| v.id == id).cloned())
        .or_else(|| versions.first().cloned());
    let title = format!("{} · {}", model.name, project.name);
    let full = format!("/projects/{}/models/{}", project.id, model.id);
    match (project.visibility == "public", shown) {
        (false, _) => view! {
            <section class="panel narrow" data-problem="not-public">
                <h1>"This model is not public"</h1>
                <p>"Only models of public projects can be shown on other sites."</p>
            </section>
        }
        .into_any(),
        (true, None) => view! {
            <section class="panel narrow" data-empty="versions">
                <h1>{model.name.clone()}</h1>
                <p>"This model has no versions yet."</p>
            </section>
        }
        .into_any(),
        (true, Some(version)) => view! {
            <Title text=title.clone() />
            <div class="embed-view model-view">
                <ModelViewer project_id=project.id.clone() object_id=version.object_id.clone() compact=true />
                <a class="embed-credit" href=full target="_blank" rel="noopener">{format!("{title} on Fleck")}</a>
            </div>
        }
        .into_any(),
    }
}
