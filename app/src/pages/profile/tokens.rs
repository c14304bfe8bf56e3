//! Personal access tokens on the profile page: the list, a form for new ones, and the new token
//! itself, shown once.

use leptos::html;
use leptos::prelude::*;

use crate::pages::auth::FormError;
use crate::pages::shared::{
    day, on_success, Confirm, CopyButton, Fetched, FormAnswer, ListTable, Panel, Submit, WhenLoaded,
};
use crate::profile::{CreateToken, RevokeToken, ScopeChoice, TokenSummary, Tokens, LIFESPANS};

/// The lifespan preselected for new tokens, in days.
const DEFAULT_LIFESPAN: Option<u32> = Some(30);

#[component]
pub fn AccessTokens(tokens: Fetched<Tokens>) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    // The newest token stays on show until another is made, even when a later try fails.
    let created_token = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(Ok(token))) = create.value().get() {
            created_token.set(Some(token));
        }
    });
    let form = NodeRef::<html::Form>::new();
    // The refetched list updates the form in place, which keeps what was typed and ticked.
    on_success(create.value(), move || {
        tokens.refetch();
        if let Some(form) = form.get() {
            form.reset();
        }
    });
    on_success(revoke.value(), move || tokens.refetch());
    // FormError and Done speak `Outcome`; a created token is a success without a next page.
    let created = Signal::derive(move || {
        create
            .value()
            .get()
            .map(|result| result.map(|created| created.map(|_| None)))
    });
    view! {
        <Panel id="tokens" title="Personal access tokens">
            <p class="hint">"Tokens let scripts and integrations use the API as you. Keep them as secret as a password."</p>
            {move || created_token.get().map(|token| view! { <NewToken token /> })}
            <FormAnswer result=revoke.value() done="The token is revoked." />
            <WhenLoaded data=tokens let:list>
                {list.just_created.map(|token| view! { <NewToken token /> })}
                <TokenTable tokens=list.tokens revoke />
                <h3>"New token"</h3>
                <ActionForm action=create node_ref=form attr:id="new-token-form">
                    <NewTokenFields scopes=list.scopes />
                    <FormError result=created />
                    <Submit pending=create.pending() label="Create token" busy="Creating…" />
                </ActionForm>
            </WhenLoaded>
        </Panel>
    }
}

/// A token just created: this is the only time anyone sees it.
#[component]
fn NewToken(token: String) -> impl IntoView {
    view! {
        <div class="notice ok new-token" role="status">
            <label for="new-token">"Your new token"</label>
            <div class="token-copy">
                <input id="new-token" type="text" readonly value=token.clone() aria-describedby="new-token-hint" />
                <CopyButton text=token label="Copy the token".to_string() />
            </div>
            <p id="new-token-hint">"Copy it now: it will not be shown again."</p>
        </div>
    }
}

/// Rows are keyed by token, so a revoked token's row, with its open confirmation, goes away
/// instead of another token taking its place.
#[component]
fn TokenTable(tokens: Vec<TokenSummary>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p>"You have no personal access tokens yet."</p> }.into_any();
    }
    view! {
        <ListTable caption="Your personal access tokens" columns=&["Name", "Scopes", "Created", "Last used", "Expires"] actions=true>
            <For each=move || tokens.clone() key=|token| token.id.clone() let:token>
                <TokenRow token revoke />
            </For>
        </ListTable>
    }
    .into_any()
}

#[component]
fn TokenRow(token: TokenSummary, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let warning = format!("Scripts and apps using “{}” will stop working.", token.name);
    // The view builds a row's content before its attributes: both get their own copies.
    let (name, id) = (token.name.clone(), token.id.clone());
    let never = || "never".into_any();
    view! {
        <tr data-token-name=name data-token-id=id>
            <th scope="row">
                {token.name}
                <span class="hint token-end">{format!(" …{}", token.last_chars)}</span>
            </th>
            <td>
                <ul class="scope-names">
                    {token.scopes.into_iter().map(|s| view! { <li><code>{s}</code></li> }).collect_view()}
                </ul>
            </td>
            <td>{day(&token.created)}</td>
            <td>{token.last_used.map_or_else(never, |at| day(&at).into_any())}</td>
            <td>{token.expires.map_or_else(never, |at| day(&at).into_any())}</td>
            <td>
                <Confirm label="Revoke…">
                    <ActionForm action=revoke>
                        <input type="hidden" name="id" value=token.id />
                        <p>{warning}</p>
                        <Submit pending=revoke.pending() label="Revoke token" busy="Revoking…" class="button small danger" />
                    </ActionForm>
                </Confirm>
            </td>
        </tr>
    }
}

/// Name, scopes (those core offers for personal tokens) and lifespan of a new token.
#[component]
fn NewTokenFields(scopes: Vec<ScopeChoice>) -> impl IntoView {
    // Counts uses of the connector preset: each ticks exactly the connectors' scopes.
    let preset = RwSignal::new(0u32);
    view! {
        <label for="token-name">"Name"</label>
        <input id="token-name" type="text" name="name" required maxlength="512" aria-describedby="token-name-hint" />
        <p id="token-name-hint" class="hint">"Say what uses it, so you recognize it later."</p>
        <fieldset class="scope-choices">
            <legend>"Scopes"</legend>
            <p>
                <button type="button" class="button small secondary" aria-describedby="connector-preset-hint"
                    on:click=move |_| preset.update(|n| *n += 1)>
                    "For connectors"
                </button>
                <span id="connector-preset-hint" class="hint">" Ticks what the Revit, Rhino, Blender and other desktop connectors need."</span>
            </p>
            {scopes.into_iter().map(|scope| {
                let id = format!("scope-{}", scope.name.replace(':', "-"));
                let for_connectors = scope.for_connectors;
                view! {
                    <div class="check">
                        <input type="checkbox" id=id.clone() name="scopes[]" value=scope.name.clone()
                            data-connector=for_connectors.to_string()
                            prop:checked=move || { preset.get() > 0 && for_connectors } />
                        <label for=id>
                            <code>{scope.name}</code>
                            <span class="hint">{format!(" {}", scope.description)}</span>
                        </label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <label for="token-lifespan">"Expires after"</label>
        <select id="token-lifespan" name="lifespan">
            {LIFESPANS.iter().map(|(days, label)| view! {
                <option value=days.map(|d| d.to_string()).unwrap_or_default() selected=*days == DEFAULT_LIFESPAN>
                    {*label}
                </option>
            }).collect_view()}
        </select>
    }
}
