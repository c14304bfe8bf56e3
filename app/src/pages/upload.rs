//! "Upload IFC", on the dashboard and on project pages: a file dropped there (or chosen with the
//! picker) becomes a model named after it — on the dashboard in a new project named after it too
//! — through the same upload and import as a model page's file imports, and the model's 3D view
//! opens once the conversion ends.

use leptos::html::Input;
use leptos::prelude::*;

use crate::pages::imports::{drop_zone, CONVERTIBLE};

/// Where the upload stands. Only the browser sends files, so the server renders `Idle` alone.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Idle,
    /// The file's type is not one the converters read; nothing was sent.
    Refused(String),
    /// Making the project and model it goes to.
    Preparing(String),
    Uploading {
        name: String,
        percent: f64,
    },
    Converting {
        name: String,
        queued: bool,
    },
    /// Converted: the model's page is opening.
    Opening {
        name: String,
        href: String,
    },
    /// Why it failed, and where the model (and its failed import) is, once there is one.
    Failed {
        why: String,
        model: Option<String>,
    },
}

impl Stage {
    fn name(&self) -> &'static str {
        match self {
            Stage::Idle => "idle",
            Stage::Refused(_) => "refused",
            Stage::Preparing(_) => "preparing",
            Stage::Uploading { .. } => "uploading",
            Stage::Converting { .. } => "converting",
            Stage::Opening { .. } => "opening",
            Stage::Failed { .. } => "failed",
        }
    }

    fn busy(&self) -> bool {
        matches!(
            self,
            Stage::Preparing(_)
                | Stage::Uploading { .. }
                | Stage::Converting { .. }
                | Stage::Opening { .. }
        )
    }
}

/// The drop zone. Without `project_id` (the dashboard) each file makes a new private project.
#[component]
pub fn UploadModel(#[prop(optional)] project_id: Option<String>) -> impl IntoView {
    let stage = RwSignal::new(Stage::Idle);
    let dragging = RwSignal::new(false);
    let input = NodeRef::<Input>::new();
    let into_project = project_id.is_some();

    let start = move |files: Option<web_sys::FileList>| {
        if stage.with_untracked(Stage::busy) {
            return;
        }
        if let Some(file) = files.and_then(|f| f.get(0)) {
            begin(project_id.clone(), file, stage);
        }
    };
    let (on_pick, on_drop) = drop_zone(input, dragging, start);

    let explain = if into_project {
        "It becomes a model of this project named after the file (or the next version of that \
         model), and its 3D view opens when the conversion ends."
    } else {
        "It becomes a new project and model named after the file, and its 3D view opens when \
         the conversion ends. OBJ, STL, glTF and GLB files work too."
    };
    view! {
        <section class="panel upload-model" aria-labelledby="upload-heading">
            <div class="panel-head">
                <h2 id="upload-heading">"Upload IFC"</h2>
            </div>
            <label
                class="drop-zone first-run"
                class:dragging=move || dragging.get()
                class:busy=move || stage.with(Stage::busy)
                data-drop-zone=""
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <span class="drop-title">"Drop an IFC file here, or "<u>"choose one"</u></span>
                <span class="hint">{explain}</span>
                <input
                    node_ref=input
                    type="file"
                    class="visually-hidden"
                    accept=CONVERTIBLE
                    on:change=on_pick
                    data-upload-input=""
                    aria-describedby="upload-state"
                    disabled=move || stage.with(Stage::busy)
                />
            </label>
            <noscript><p class="hint">"Uploading files needs JavaScript."</p></noscript>
            <div id="upload-state" class="upload-state" aria-live="polite" data-state=move || stage.with(|s| s.name())>
                {move || progress(stage.get())}
            </div>
        </section>
    }
}

fn progress(stage: Stage) -> AnyView {
    match stage {
        Stage::Idle => ().into_any(),
        Stage::Refused(why) => view! { <p class="error" role="alert">{why}</p> }.into_any(),
        Stage::Preparing(name) => {
            view! { <p class="upload-step">{format!("Preparing a model for {name}…")}</p> }
                .into_any()
        }
        Stage::Uploading { name, percent } => view! {
            <div class="upload-progress">
                <label for="upload-model-bar">{format!("Uploading {name}…")}</label>
                <progress id="upload-model-bar" max="100" value=format!("{percent:.0}")>{format!("{percent:.0}%")}</progress>
            </div>
        }
        .into_any(),
        Stage::Converting { name, queued } => {
            let text = if queued {
                format!("{name} is uploaded and waiting to be converted…")
            } else {
                format!("Converting {name}…")
            };
            view! {
                <div class="upload-progress">
                    <span>{text}</span>
                    <progress max="100">"converting"</progress>
                </div>
            }
            .into_any()
        }
        Stage::Opening { name, href } => view! {
            <p class="upload-step ok">
                {format!("{name} is converted. Opening its 3D view… ")}
                <a href=href>"Open it now"</a>
            </p>
        }
        .into_any(),
        Stage::Failed { why, model } => view! {
            <p class="error" role="alert">
                {why}
                {model.map(|href| view! { " "<a href=href>"See the model and its imports"</a> })}
            </p>
        }
        .into_any(),
    }
}

/// Checks the file's type, makes the model it goes to, uploads it with the project's blob route,
/// queues its import and follows it; opens the model's page when it is converted.
#[cfg(feature = "hydrate")]
fn begin(project_id: Option<String>, file: web_sys::File, stage: RwSignal<Stage>) {
    use crate::pages::auth::error_text;
    use crate::pages::imports::{browser::post_file, refusal};
    use crate::projects::imports::{import_file, prepare_import};

    let name = file.name();
    if let Some(why) = refusal(&name, false) {
        stage.set(Stage::Refused(why));
        return;
    }
    stage.set(Stage::Preparing(name.clone()));
    leptos::task::spawn_local(async move {
        let target = match prepare_import(project_id, name.clone()).await {
            Ok(target) => target,
            Err(e) => {
                stage.set(Stage::Failed {
                    why: error_text(&e),
                    model: None,
                });
                return;
            }
        };
        let href = format!("/projects/{}/models/{}", target.project_id, target.model_id);
        let failed = {
            let href = href.clone();
            move |why: String| {
                let _ = stage.try_set(Stage::Failed {
                    why,
                    model: Some(href.clone()),
                });
            }
        };
        let progress = {
            let name = name.clone();
            move |percent: f64| {
                let _ = stage.try_set(Stage::Uploading {
                    name: name.clone(),
                    percent,
                });
            }
        };
        let done = {
            let (target, name, failed) = (target.clone(), name.clone(), failed.clone());
            move |result: Result<String, String>| match result {
                Ok(file_id) => leptos::task::spawn_local(async move {
                    let (project, model) = (target.project_id.clone(), target.model_id.clone());
                    match import_file(project, model, file_id).await {
                        Ok(row) => follow(target, row.id, name, href, stage),
                        Err(e) => failed(error_text(&e)),
                    }
                }),
                Err(why) => failed(why),
            }
        };
        stage.set(Stage::Uploading {
            name: name.clone(),
            percent: 0.0,
        });
        if let Err(why) = post_file(&target.project_id, &file, progress, done) {
            failed(why);
        }
    });
}

/// Looks at the import every second until the converter is done with it.
#[cfg(feature = "hydrate")]
fn follow(
    target: crate::projects::imports::ImportTarget,
    import_id: String,
    name: String,
    href: String,
    stage: RwSignal<Stage>,
) {
    use crate::pages::auth::error_text;
    use crate::projects::imports::fetch_imports;

    leptos::task::spawn_local(async move {
        let rows = fetch_imports(target.project_id.clone(), target.model_id.clone()).await;
        let row = match rows {
            Ok(rows) => rows.into_iter().find(|row| row.id == import_id),
            Err(e) => {
                let _ = stage.try_set(Stage::Failed {
                    why: error_text(&e),
                    model: Some(href),
                });
                return;
            }
        };
        match row {
            Some(row) if row.status == "success" => {
                let opening = Stage::Opening {
                    name,
                    href: href.clone(),
                };
                // Gone from the page (the person went elsewhere): stay where they are.
                if stage.try_set(opening).is_none() {
                    let _ = window().location().set_href(&href);
                }
            }
            Some(row) if row.status == "error" => {
                let why = if row.message.is_empty() {
                    format!("{name} could not be converted.")
                } else {
                    format!("{name} could not be converted: {}", row.message)
                };
                let _ = stage.try_set(Stage::Failed {
                    why,
                    model: Some(href),
                });
            }
            row => {
                let converting = Stage::Converting {
                    name: name.clone(),
                    queued: row.is_none_or(|row| row.status == "queued"),
                };
                if stage.try_set(converting).is_none() {
                    set_timeout(
                        move || follow(target, import_id, name, href, stage),
                        std::time::Duration::from_secs(1),
                    );
                }
            }
        }
    });
}

/// On the server no file is ever dropped.
#[cfg(not(feature = "hydrate"))]
fn begin(_: Option<String>, _: web_sys::File, _: RwSignal<Stage>) {}
