//! Importing a file into a model: drop it (or choose it), watch the upload's progress, then the
//! conversion's state until the new version appears.

use leptos::prelude::*;

use crate::pages::shared::Refresh;
use crate::projects::imports::{fetch_imports, ImportRow};

/// The formats the converters read, and OBJ's material libraries, for the file picker.
const ACCEPTED: &str = ".ifc,.obj,.mtl,.stl,.gltf,.glb";

/// The file types the converters read, as the picker of a new model offers them.
pub const CONVERTIBLE: &str = ".ifc,.obj,.stl,.gltf,.glb";

/// Why a file cannot be imported, said before any of it is sent; `None` when it can. An OBJ's
/// material library (`.mtl`) is taken only next to a model (`libraries`), where its OBJ goes.
pub fn refusal(file_name: &str, libraries: bool) -> Option<String> {
    let kind = file_name
        .rsplit_once('.')
        .map(|(_, kind)| kind.to_lowercase())
        .unwrap_or_default();
    let known = CONVERTIBLE.split(',').any(|k| k[1..] == kind);
    if known || (libraries && kind == "mtl") {
        return None;
    }
    let what = if kind.is_empty() {
        format!("{file_name} has no file type (such as .ifc), so it cannot be imported")
    } else {
        format!("Files of type .{kind} cannot be imported")
    };
    Some(format!(
        "{what}: Fleck imports IFC (.ifc), OBJ (.obj), STL (.stl) and glTF (.gltf, .glb) files. \
         Nothing was uploaded."
    ))
}

/// Only the browser sends files, so the server never makes the busy states.
/// The handlers of a drop zone whose file input is `input`: a file picked with it, one picked
/// before the page's script ran (which sent no change event) included, or dropped on the zone
/// goes to `start`.
pub fn drop_zone(
    input: NodeRef<leptos::html::Input>,
    dragging: RwSignal<bool>,
    start: impl Fn(Option<web_sys::FileList>) + Clone + 'static,
) -> (
    impl Fn(leptos::ev::Event) + 'static,
    impl Fn(leptos::ev::DragEvent) + 'static,
) {
    {
        let start = start.clone();
        Effect::new(move |_| {
            if let Some(input) = input.get() {
                if input.files().is_some_and(|f| f.length() > 0) {
                    start(input.files());
                    input.set_value("");
                }
            }
        });
    }
    let on_pick = {
        let start = start.clone();
        move |ev: leptos::ev::Event| {
            let input = event_target::<web_sys::HtmlInputElement>(&ev);
            start(input.files());
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        start(ev.data_transfer().and_then(|d| d.files()));
    };
    (on_pick, on_drop)
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Upload {
    Idle,
    Sending {
        name: String,
        percent: f64,
    },
    /// Uploaded and queued: listed until the list, read again, has it.
    Started(ImportRow),
    Failed(String),
}

#[component]
pub fn FileImports(project_id: String, model_id: String, can_write: bool) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let (p, m) = (project_id.clone(), model_id.clone());
    let imports = Resource::new(
        move || reload.get(),
        move |_| fetch_imports(p.clone(), m.clone()),
    );
    let upload = RwSignal::new(Upload::Idle);
    let dragging = RwSignal::new(false);
    let project = project_id.clone();
    let page = use_context::<Refresh>();
    watch_pending(imports, reload, page);

    let start = {
        let (project_id, model_id) = (project_id.clone(), model_id.clone());
        move |files: Option<web_sys::FileList>| {
            let Some(file) = files.and_then(|f| f.get(0)) else {
                return;
            };
            if let Some(why) = refusal(&file.name(), true) {
                upload.set(Upload::Failed(why));
                return;
            }
            send(project_id.clone(), model_id.clone(), file, upload, reload);
        }
    };
    let input = NodeRef::<leptos::html::Input>::new();
    let (on_pick, on_drop) = drop_zone(input, dragging, start);

    view! {
        <section class="panel imports" aria-labelledby="imports-heading">
            <div class="panel-head">
                <h2 id="imports-heading">"File imports"</h2>
                <span class="hint">"IFC, OBJ (with its MTL), STL, glTF and GLB become new versions."</span>
            </div>
            {can_write.then(|| view! {
                <label
                    class="drop-zone"
                    class:dragging=move || dragging.get()
                    on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop
                >
                    <span>"Drop a file here, or "<u>"choose one"</u></span>
                    <input node_ref=input type="file" class="visually-hidden" accept=ACCEPTED on:change=on_pick data-import-input="" />
                </label>
                <noscript><p class="hint">"Importing files needs JavaScript."</p></noscript>
                {move || match upload.get() {
                    Upload::Idle => ().into_any(),
                    Upload::Sending { name, percent } => view! {
                        <div class="upload-progress">
                            <label for="upload-bar">{format!("Uploading {name}…")}</label>
                            <progress id="upload-bar" max="100" value=format!("{percent:.0}")>{format!("{percent:.0}%")}</progress>
                        </div>
                    }.into_any(),
                    Upload::Failed(why) => view! { <p class="error" role="alert">{why}</p> }.into_any(),
                    Upload::Started(_) => ().into_any(),
                }}
            })}
            <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading imports…"</p> }>
                {move || {
                    let state = upload.get();
                    let project_id = project.clone();
                    Suspend::new(async move {
                        match imports.await {
                            Ok(rows) => {
                                let rows = with_started(rows, state);
                                if rows.is_empty() {
                                    return view! {
                                        <p class="empty" data-empty="imports">"No files imported into this model yet."</p>
                                    }.into_any();
                                }
                                view! {
                                    <ul class="list import-list">
                                        {rows.into_iter().map(|row| view! {
                                            <ImportItem row project_id=project_id.clone() can_write reload />
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// The imports as read, with the one being sent or just started first while the list does not
/// have it yet, so nothing says "no files" between an upload and its conversion.
fn with_started(mut rows: Vec<ImportRow>, upload: Upload) -> Vec<ImportRow> {
    match upload {
        Upload::Started(row) if !rows.iter().any(|r| r.id == row.id) => rows.insert(0, row),
        Upload::Sending { name, .. } => rows.insert(
            0,
            ImportRow {
                id: String::new(),
                file_name: name,
                size: String::new(),
                status: "uploading".into(),
                message: String::new(),
                version_id: None,
                created: String::new(),
            },
        ),
        _ => {}
    }
    rows
}

/// An import in the list; a failed one can be removed by whoever may import.
#[component]
fn ImportItem(
    row: ImportRow,
    project_id: String,
    can_write: bool,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let label = match row.status.as_str() {
        "uploading" => "Uploading…",
        "queued" => "Waiting to convert",
        "converting" => "Converting…",
        "success" => "Converted",
        _ => "Failed",
    };
    let error = RwSignal::new(None::<String>);
    let removable = can_write && row.status == "error";
    let import_id = row.id.clone();
    let remove = move |_| {
        let (project_id, import_id) = (project_id.clone(), import_id.clone());
        leptos::task::spawn_local(async move {
            match crate::projects::imports::remove_import(project_id, import_id).await {
                Ok(Ok(())) => reload.update(|n| *n += 1),
                Ok(Err(why)) => error.set(Some(why)),
                Err(e) => error.set(Some(crate::pages::auth::error_text(&e))),
            }
        });
    };
    let details = (!row.size.is_empty()).then(|| format!(" · {} · {}", row.size, row.created));
    view! {
        <li class="import" data-import=row.file_name.clone() data-status=row.status.clone()>
            <strong>{row.file_name.clone()}</strong>
            {details.map(|d| view! { <span class="hint">{d}</span> })}
            <span class=format!("badge import-{}", row.status)>{label}</span>
            {removable.then(|| view! {
                <button type="button" class="link-button import-remove" on:click=remove
                    aria-label=format!("Remove {} from the list", row.file_name)>"Remove"</button>
            })}
            {(!row.message.is_empty()).then(|| view! { <p class="hint import-message">{row.message.clone()}</p> })}
            {move || error.get().map(|why| view! { <p class="error" role="alert">{why}</p> })}
        </li>
    }
}

/// While an import is unfinished, looks again every two seconds; when one more has succeeded
/// than at the first look, reloads the page's data so its new version shows. Counting successes
/// rather than watching pending rows also catches an import converted before the next look.
fn watch_pending(
    imports: Resource<Result<Vec<ImportRow>, ServerFnError>>,
    reload: RwSignal<u32>,
    page: Option<Refresh>,
) {
    let succeeded_before = StoredValue::new(None::<usize>);
    Effect::new(move |_| {
        let Some(Ok(rows)) = imports.get() else {
            return;
        };
        let succeeded = rows.iter().filter(|r| r.status == "success").count();
        let more = succeeded_before
            .get_value()
            .is_some_and(|before| succeeded > before);
        succeeded_before.set_value(Some(succeeded));
        if more {
            if let Some(page) = page {
                page.0.update(|n| *n += 1);
            }
        }
        if rows.iter().any(ImportRow::pending) {
            set_timeout(
                move || reload.update(|n| *n += 1),
                std::time::Duration::from_secs(2),
            );
        }
    });
}

/// Uploads `file` to the project's blob route, showing progress, then queues its import.
#[cfg(feature = "hydrate")]
fn send(
    project_id: String,
    model_id: String,
    file: web_sys::File,
    upload: RwSignal<Upload>,
    reload: RwSignal<u32>,
) {
    let name = file.name();
    upload.set(Upload::Sending {
        name: name.clone(),
        percent: 0.0,
    });
    let progress = {
        let name = name.clone();
        move |percent: f64| {
            upload.set(Upload::Sending {
                name: name.clone(),
                percent,
            })
        }
    };
    let project = project_id.clone();
    let done = move |result: Result<String, String>| match result {
        Ok(file_id) => leptos::task::spawn_local(async move {
            match crate::projects::imports::import_file(project, model_id, file_id).await {
                Ok(row) => upload.set(Upload::Started(row)),
                Err(e) => upload.set(Upload::Failed(e.to_string())),
            }
            reload.update(|n| *n += 1);
        }),
        Err(why) => upload.set(Upload::Failed(why)),
    };
    if let Err(why) = browser::post_file(&project_id, &file, progress, done) {
        upload.set(Upload::Failed(why));
    }
}

/// On the server no file is ever chosen.
#[cfg(not(feature = "hydrate"))]
fn send(_: String, _: String, _: web_sys::File, _: RwSignal<Upload>, _: RwSignal<u32>) {}

#[cfg(feature = "hydrate")]
pub(crate) mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{File, FormData, ProgressEvent, XmlHttpRequest};

    fn text(e: JsValue) -> String {
        e.as_string().unwrap_or_else(|| format!("{e:?}"))
    }

    /// Sends `file` as a multipart upload to `/api/stream/{project}/blob` with the session's
    /// cookie; `done` gets the new file's id, or what went wrong.
    pub fn post_file(
        project_id: &str,
        file: &File,
        progress: impl Fn(f64) + 'static,
        done: impl FnOnce(Result<String, String>) + 'static,
    ) -> Result<(), String> {
        let request = XmlHttpRequest::new().map_err(text)?;
        request
            .open("POST", &format!("/api/stream/{project_id}/blob"))
            .map_err(text)?;
        let form = FormData::new().map_err(text)?;
        form.append_with_blob_and_filename("file", file, &file.name())
            .map_err(text)?;
        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress(100.0 * e.loaded() / e.total());
            }
        });
        request
            .upload()
            .map_err(text)?
            .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        let done = Rc::new(RefCell::new(Some(done)));
        let finished = request.clone();
        // Both closures live until the request ends; the browser drops the request after that.
        let on_end = Closure::<dyn FnMut()>::new(move || {
            let _keep = &on_progress;
            if let Some(done) = done.borrow_mut().take() {
                done(outcome(&finished));
            }
        });
        request.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
        on_end.forget();
        request.send_with_opt_form_data(Some(&form)).map_err(text)
    }

    /// The file id from the blob route's answer, or its error.
    fn outcome(request: &XmlHttpRequest) -> Result<String, String> {
        let status = request.status().unwrap_or(0);
        let body = request.response_text().ok().flatten().unwrap_or_default();
        let json = js_sys::JSON::parse(&body).unwrap_or(JsValue::NULL);
        let field = |value: &JsValue, key: &str| js_sys::Reflect::get(value, &key.into()).ok();
        if status != 201 {
            let why = field(&json, "error").and_then(|e| e.as_string());
            return Err(match (status, why) {
                (0, _) => "The upload was interrupted; check your connection and try again.".into(),
                (_, Some(why)) => why,
                (status, None) => format!("The upload failed (HTTP {status})."),
            });
        }
        let first = field(&json, "uploadResults")
            .map(|results| js_sys::Array::from(&results).get(0))
            .unwrap_or(JsValue::UNDEFINED);
        if let Some(error) = field(&first, "uploadError").and_then(|e| e.as_string()) {
            return Err(error);
        }
        field(&first, "blobId")
            .and_then(|id| id.as_string())
            .ok_or_else(|| "The server did not say where the file went.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn only_files_the_converters_read_are_sent() {
        assert_eq!(refusal("House.IFC", false), None);
        assert_eq!(refusal("pavilion.obj", false), None);
        assert_eq!(refusal("pavilion.mtl", true), None);
        assert!(refusal("pavilion.mtl", false).is_some());
        let why = refusal("plan.dwg", true).unwrap();
        assert!(
            why.starts_with("Files of type .dwg cannot be imported"),
            "{why}"
        );
        assert!(
            why.contains(".ifc") && why.contains("Nothing was uploaded"),
            "{why}"
        );
        assert!(refusal("README", false)
            .unwrap()
            .contains("has no file type"));
    }
}
