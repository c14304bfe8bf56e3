//! The webhooks panel of a project's settings: each webhook with its events and latest
//! deliveries, switching it on and off, deleting it, and adding one.

use leptos::prelude::*;

use crate::pages::auth::FormError;
use crate::pages::shared::{after, Submit};
use crate::projects::webhooks::{
    fetch_webhooks, CreateWebhook, DeleteWebhook, SwitchWebhook, WebhookRow,
};

#[component]
pub fn WebhooksPanel(project_id: String) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let switch = ServerAction::<SwitchWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let versions = Memo::new(move |_| {
        (
            create.version().get(),
            switch.version().get(),
            delete.version().get(),
        )
    });
    let id = project_id.clone();
    let data = Resource::new(move || versions.get(), move |_| fetch_webhooks(id.clone()));
    after(Signal::derive(move || create.value().get()));
    let pending = create.pending();
    view! {
        <section class="panel webhooks" aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            <p class="hint">
                "Fleck calls these addresses when something happens in the project, with a JSON body signed in the X-WEBHOOK-SIGNATURE header (HMAC-SHA256 with the secret)."
            </p>
            <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading webhooks…"</p> }>
                {move || {
                    let project_id = project_id.clone();
                    Suspend::new(async move {
                    match data.await {
                        Ok(hooks) => {
                            let triggers = hooks.triggers.clone();
                            view! {
                                {if hooks.hooks.is_empty() {
                                    view! { <p class="empty" data-empty="webhooks">"No webhooks yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="list webhook-list">
                                            {hooks.hooks.into_iter().map(|hook| view! {
                                                <Hook hook project_id=project_id.clone() switch delete />
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                <details class="new-webhook">
                                    <summary>"Add a webhook"</summary>
                                    <ActionForm action=create>
                                        <input type="hidden" name="project_id" value=project_id.clone() />
                                        <label for="webhook-url">"URL"</label>
                                        <input id="webhook-url" type="url" name="url" required placeholder="https://ci.example.com/fleck" />
                                        <label for="webhook-description">"Description"</label>
                                        <input id="webhook-description" type="text" name="description" maxlength="1000" />
                                        <label for="webhook-secret">"Secret"</label>
                                        <input id="webhook-secret" type="password" name="secret" autocomplete="new-password" aria-describedby="webhook-secret-hint" />
                                        <p id="webhook-secret-hint" class="hint">"Signs each call; it is not shown again."</p>
                                        <fieldset class="trigger-choices">
                                            <legend>"Events"</legend>
                                            {triggers.into_iter().map(|trigger| {
                                                let field = format!("trigger-{trigger}");
                                                view! {
                                                    <div class="check">
                                                        <input type="checkbox" id=field.clone() name="triggers[]" value=trigger.clone() />
                                                        <label for=field><code>{trigger}</code></label>
                                                    </div>
                                                }
                                            }).collect_view()}
                                        </fieldset>
                                        <FormError result=Signal::derive(move || create.value().get()) />
                                        <Submit pending=pending label="Add webhook" busy="Adding…" />
                                    </ActionForm>
                                </details>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}}
            </Transition>
        </section>
    }
}

#[component]
fn Hook(
    hook: WebhookRow,
    project_id: String,
    switch: ServerAction<SwitchWebhook>,
    delete: ServerAction<DeleteWebhook>,
) -> impl IntoView {
    let (p1, p2) = (project_id.clone(), project_id);
    let (w1, w2) = (hook.id.clone(), hook.id.clone());
    let state = if hook.enabled { "enabled" } else { "disabled" };
    view! {
        <li class="webhook" data-webhook=hook.url.clone() data-state=state>
            <p>
                <code class="webhook-url">{hook.url.clone()}</code>
                <span class=format!("badge webhook-{state}")>{state}</span>
                {hook.has_secret.then(|| view! { <span class="badge">"signed"</span> })}
            </p>
            {(!hook.description.is_empty()).then(|| view! { <p>{hook.description.clone()}</p> })}
            <p class="hint">{format!("Events: {}", hook.triggers.join(", "))}</p>
            {(hook.failures > 0).then(|| view! {
                <p class="hint">{format!("{} failed deliveries in a row", hook.failures)}</p>
            })}
            <div class="actions">
                <ActionForm action=switch attr:class="inline">
                    <input type="hidden" name="project_id" value=p1 />
                    <input type="hidden" name="webhook_id" value=w1 />
                    <input type="hidden" name="enabled" value=(!hook.enabled).to_string() />
                    <button class="button small" type="submit">{if hook.enabled { "Disable" } else { "Enable" }}</button>
                </ActionForm>
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="project_id" value=p2 />
                    <input type="hidden" name="webhook_id" value=w2 />
                    <button class="button small danger" type="submit">"Delete"</button>
                </ActionForm>
            </div>
            <details class="deliveries">
                <summary>{format!("Latest deliveries ({})", hook.deliveries.len())}</summary>
                {if hook.deliveries.is_empty() {
                    view! { <p class="empty">"Nothing sent yet."</p> }.into_any()
                } else {
                    view! {
                        <table class="list">
                            <thead><tr>
                                <th scope="col">"When"</th><th scope="col">"Event"</th>
                                <th scope="col">"Status"</th><th scope="col">"Answer"</th>
                            </tr></thead>
                            <tbody>
                                {hook.deliveries.into_iter().map(|d| view! {
                                    <tr data-delivery=d.status.clone()>
                                        <td>{d.when}</td>
                                        <td><code>{d.event}</code></td>
                                        <td>{format!("{} ({} attempts)", d.status, d.attempts)}</td>
                                        <td>{d.response_code.map(|c| format!("HTTP {c} · ")).unwrap_or_default()}{d.info}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </details>
        </li>
    }
}
