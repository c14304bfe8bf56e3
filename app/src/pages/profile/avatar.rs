//! Choosing an avatar: the browser scales the picked image down to a small square and the
//! profile form saves it as a data URL, as Speckle's own web app does.

use leptos::prelude::*;

/// The avatar's side in pixels: enough for a high-density display, small enough to store.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const SIDE: u32 = 256;

/// What the picker is doing, apart from showing the avatar. Only the browser reads images.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
enum Pick {
    Idle,
    Reading,
    Failed(String),
}

/// The avatar's preview, a file picker and a remove button; submits the chosen avatar as the
/// form's `avatar` field (empty for none).
#[component]
pub fn AvatarPicker(current: String) -> impl IntoView {
    let avatar = RwSignal::new(current);
    let pick = RwSignal::new(Pick::Idle);
    let on_pick = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            scale(file, avatar, pick);
        }
        input.set_value("");
    };
    view! {
        <fieldset class="avatar-picker">
            <legend>"Avatar"</legend>
            <input type="hidden" name="avatar" prop:value=move || avatar.get() />
            {move || {
                let src = avatar.get();
                if src.is_empty() {
                    view! { <span class="avatar avatar-empty" aria-hidden="true"></span> }.into_any()
                } else {
                    view! { <img class="avatar" src=src alt="Your avatar" width="64" height="64" /> }.into_any()
                }
            }}
            <div class="actions">
                <label class="button secondary small">
                    "Choose an image…"
                    <input type="file" class="visually-hidden" accept="image/png,image/jpeg,image/gif,image/webp" on:change=on_pick data-avatar-input="" />
                </label>
                <button type="button" class="link-button" disabled=move || avatar.with(String::is_empty) on:click=move |_| avatar.set(String::new())>
                    "Remove"
                </button>
            </div>
            {move || match pick.get() {
                Pick::Idle => view! { <p class="hint">"PNG, JPEG, GIF or WebP; shown cropped to a circle. Save the profile to keep it."</p> }.into_any(),
                Pick::Reading => view! { <p class="hint" aria-busy="true">"Reading the image…"</p> }.into_any(),
                Pick::Failed(why) => view! { <p class="error" role="alert">{why}</p> }.into_any(),
            }}
            <noscript><p class="hint">"Changing the avatar needs JavaScript."</p></noscript>
        </fieldset>
    }
}

#[cfg(feature = "hydrate")]
fn scale(file: web_sys::File, avatar: RwSignal<String>, pick: RwSignal<Pick>) {
    pick.set(Pick::Reading);
    if let Err(why) = browser::square_data_url(&file, SIDE, move |result| match result {
        Ok(url) => {
            avatar.set(url);
            pick.set(Pick::Idle);
        }
        Err(why) => pick.set(Pick::Failed(why)),
    }) {
        pick.set(Pick::Failed(why));
    }
}

/// On the server no file is ever chosen.
#[cfg(not(feature = "hydrate"))]
fn scale(_: web_sys::File, _: RwSignal<String>, _: RwSignal<Pick>) {}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{CanvasRenderingContext2d, File, HtmlCanvasElement, HtmlImageElement, Url};

    fn text(e: JsValue) -> String {
        e.as_string().unwrap_or_else(|| format!("{e:?}"))
    }

    /// Decodes `file` as an image and gives `done` its centre square, `side` pixels wide, as a
    /// JPEG data URL on white (so transparent images keep a clean background).
    pub fn square_data_url(
        file: &File,
        side: u32,
        done: impl FnOnce(Result<String, String>) + 'static,
    ) -> Result<(), String> {
        let url = Url::create_object_url_with_blob(file).map_err(text)?;
        let image = HtmlImageElement::new().map_err(text)?;
        let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
        let finish = {
            let (done, url) = (done.clone(), url.clone());
            move |result: Result<String, String>| {
                let _ = Url::revoke_object_url(&url);
                if let Some(done) = done.borrow_mut().take() {
                    done(result);
                }
            }
        };
        let loaded = image.clone();
        let on_load = Closure::once_into_js({
            let finish = finish.clone();
            move || finish(draw(&loaded, side))
        });
        let on_error = Closure::once_into_js(move || {
            finish(Err(
                "That file is not an image this browser can read.".into()
            ))
        });
        image.set_onload(Some(on_load.unchecked_ref()));
        image.set_onerror(Some(on_error.unchecked_ref()));
        image.set_src(&url);
        Ok(())
    }

    fn draw(image: &HtmlImageElement, side: u32) -> Result<String, String> {
        let (width, height) = (image.natural_width(), image.natural_height());
        if width == 0 || height == 0 {
            return Err("The image is empty.".into());
        }
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let canvas: HtmlCanvasElement = document
            .create_element("canvas")
            .map_err(text)?
            .unchecked_into();
        canvas.set_width(side);
        canvas.set_height(side);
        let context: CanvasRenderingContext2d = canvas
            .get_context("2d")
            .map_err(text)?
            .ok_or("no 2D canvas")?
            .unchecked_into();
        context.set_fill_style_str("#ffffff");
        context.fill_rect(0.0, 0.0, side as f64, side as f64);
        let crop = width.min(height) as f64;
        let (x, y) = ((width as f64 - crop) / 2.0, (height as f64 - crop) / 2.0);
        context
            .draw_image_with_html_image_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                image,
                x,
                y,
                crop,
                crop,
                0.0,
                0.0,
                side as f64,
                side as f64,
            )
            .map_err(text)?;
        canvas
            .to_data_url_with_type_and_encoder_options("image/jpeg", &JsValue::from_f64(0.9))
            .map_err(text)
    }
}
