//! The admin page's invitations to the server: who is invited, inviting someone, and sending
//! or cancelling an invitation.

use leptos::html;
use leptos::prelude::*;

use super::role_label;
use crate::admin::{CancelInvite, InviteToServer, PendingInvite, ResendInvite};
use crate::pages::auth::{error_text, FormError};
use crate::pages::shared::{day, on_success, Confirm, Done, Fetched};

#[component]
pub fn Invites(invites: Fetched<Vec<PendingInvite>>) -> impl IntoView {
    let invite = ServerAction::<InviteToServer>::new();
    let cancel = ServerAction::<CancelInvite>::new();
    let resend = ServerAction::<ResendInvite>::new();
    let form = NodeRef::<html::Form>::new();
    on_success(invite.value(), move || {
        invites.refetch();
        if let Some(form) = form.get() {
            form.reset();
        }
    });
    on_success(cancel.value(), move || invites.refetch());
    let pending = invite.pending();
    view! {
        <section class="panel" id="invites" aria-labelledby="invites-heading">
            <h2 id="invites-heading">"Invitations"</h2>
            <FormError result=cancel.value() />
            <Done result=cancel.value() message="The invitation is cancelled." />
            <FormError result=resend.value() />
            <Done result=resend.value() message="The invitation is sent again, with a new link." />
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match invites.await {
                        Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p>"No invitations are waiting for an answer."</p> }.into_any(),
                        Ok(list) => view! { <InviteTable invites=list cancel resend /> }.into_any(),
                    }
                })}
            </Transition>
            <h3>"Invite someone"</h3>
            <ActionForm action=invite node_ref=form attr:id="invite-form">
                <label for="invite-email">"E-mail address"</label>
                <input id="invite-email" type="email" name="email" required />
                <label for="invite-role">"Server role"</label>
                <select id="invite-role" name="role">
                    <option value="server:user" selected>"User"</option>
                    <option value="server:guest">"Guest"</option>
                    <option value="server:admin">"Admin"</option>
                </select>
                <label for="invite-message">"Message " <span class="hint">"(optional)"</span></label>
                <textarea id="invite-message" name="message" rows="2" maxlength="1024"></textarea>
                <FormError result=invite.value() />
                <Done result=invite.value() message="The invitation is on its way." />
                <button class="button" type="submit" disabled=pending>
                    {move || if pending.get() { "Sending…" } else { "Send invitation" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// Rows are keyed by invitation, so a cancelled one's row, with its open confirmation, goes away
/// instead of another invitation taking its place.
#[component]
fn InviteTable(
    invites: Vec<PendingInvite>,
    cancel: ServerAction<CancelInvite>,
    resend: ServerAction<ResendInvite>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="list">
                <caption class="visually-hidden">"Invitations waiting for an answer"</caption>
                <thead>
                    <tr>
                        <th scope="col">"E-mail address"</th>
                        <th scope="col">"Server role"</th>
                        <th scope="col">"Invited by"</th>
                        <th scope="col">"Sent"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || invites.clone() key=|invite| invite.id.clone() let:invite>
                        <InviteRow invite cancel resend />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn InviteRow(
    invite: PendingInvite,
    cancel: ServerAction<CancelInvite>,
    resend: ServerAction<ResendInvite>,
) -> impl IntoView {
    let cancelling = cancel.pending();
    let resending = resend.pending();
    let warning = format!("The link sent to {} will stop working.", invite.email);
    // The view builds a row's content before its attributes, and each form its own content
    // later: each gets its own copy.
    let (email, id, resend_id) = (invite.email.clone(), invite.id.clone(), invite.id.clone());
    view! {
        <tr data-invite-email=email data-invite-id=id>
            <th scope="row">{invite.email}</th>
            <td>{role_label(&invite.role)}</td>
            <td>{invite.inviter}</td>
            <td>{day(&invite.sent)}</td>
            <td class="cell-actions">
                <ActionForm action=resend attr:class="inline">
                    <input type="hidden" name="id" value=resend_id />
                    <button class="button small secondary" type="submit" disabled=resending>
                        {move || if resending.get() { "Sending…" } else { "Send again" }}
                    </button>
                </ActionForm>
                <Confirm label="Cancel…">
                    <ActionForm action=cancel>
                        <input type="hidden" name="id" value=invite.id />
                        <p>{warning}</p>
                        <button class="button small danger" type="submit" disabled=cancelling>
                            {move || if cancelling.get() { "Cancelling…" } else { "Cancel invitation" }}
                        </button>
                    </ActionForm>
                </Confirm>
            </td>
        </tr>
    }
}
