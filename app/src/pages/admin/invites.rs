//! The admin page's invitations to the server: who is invited, inviting someone, and sending
//! or cancelling an invitation.

use leptos::html;
use leptos::prelude::*;

use super::role_label;
use crate::admin::{CancelInvite, InviteToServer, PendingInvite, ResendInvite};
use crate::pages::shared::{
    day, on_success, Confirm, Fetched, FormAnswer, ListTable, Panel, Submit, WhenLoaded,
};

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
    view! {
        <Panel id="invites" title="Invitations">
            <FormAnswer result=cancel.value() done="The invitation is cancelled." />
            <FormAnswer result=resend.value() done="The invitation is sent again, with a new link." />
            <WhenLoaded data=invites children={move |list: Vec<PendingInvite>| if list.is_empty() {
                view! { <p>"No invitations are waiting for an answer."</p> }.into_any()
            } else {
                view! { <InviteTable invites=list cancel resend /> }.into_any()
            }} />
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
                <FormAnswer result=invite.value() done="The invitation is on its way." />
                <Submit pending=invite.pending() label="Send invitation" busy="Sending…" />
            </ActionForm>
        </Panel>
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
        <ListTable caption="Invitations waiting for an answer" columns=&["E-mail address", "Server role", "Invited by", "Sent"] actions=true>
            <For each=move || invites.clone() key=|invite| invite.id.clone() let:invite>
                <InviteRow invite cancel resend />
            </For>
        </ListTable>
    }
}

#[component]
fn InviteRow(
    invite: PendingInvite,
    cancel: ServerAction<CancelInvite>,
    resend: ServerAction<ResendInvite>,
) -> impl IntoView {
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
                    <Submit pending=resend.pending() label="Send again" busy="Sending…" class="button small secondary" />
                </ActionForm>
                <Confirm label="Cancel…">
                    <ActionForm action=cancel>
                        <input type="hidden" name="id" value=invite.id />
                        <p>{warning}</p>
                        <Submit pending=cancel.pending() label="Cancel invitation" busy="Cancelling…" class="button small danger" />
                    </ActionForm>
                </Confirm>
            </td>
        </tr>
    }
}
