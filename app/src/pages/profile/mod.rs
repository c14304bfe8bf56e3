//! `/profile`: the signed-in user's profile and password, the comment e-mails they get, their
//! personal access tokens and the apps they let act for them.

mod avatar;
mod tokens;

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::{current_user, ResendVerification};
use crate::pages::shared::{on_success, Confirm, Fetched, FormAnswer, Panel, Submit, WhenLoaded};
use crate::profile::{
    authorized_apps, my_mail_choices, my_profile, personal_tokens, AuthorizedApp, ChangePassword,
    MailChoices, Profile, RevokeApp, SaveMailChoices, UpdateProfile,
};
use crate::CurrentUser;

#[component]
pub fn ProfilePage() -> impl IntoView {
    // Its own read of the user: saving the profile refetches the layout's, which must not
    // rebuild this page and lose what it shows (a token shown once).
    let signed_in = Resource::new(|| (), |_| current_user());
    // The sections' data is read here, once: what a `Suspend` shows is made again each time it
    // resolves, and sections made there would each read theirs again.
    let profile = Resource::new(|| (), |_| my_profile());
    let tokens = Resource::new(|| (), |_| personal_tokens());
    let apps = Resource::new(|| (), |_| authorized_apps());
    let mails = Resource::new(|| (), |_| my_mail_choices());
    view! {
        <Title text="Your profile" />
        <WhenLoaded data=signed_in children={move |user| match user {
            Some(_) => view! {
                <h1>"Your profile"</h1>
                <ProfileDetails profile />
                <PasswordChange />
                <CommentMails settings=mails />
                <tokens::AccessTokens tokens />
                <AuthorizedApps apps />
            }.into_any(),
            None => view! {
                <section class="panel narrow">
                    <h1>"Your profile"</h1>
                    <p>"Sign in to see and change your profile."</p>
                    <p><a class="button" href="/authn/login?next=/profile">"Sign in"</a></p>
                </section>
            }.into_any(),
        }} />
    }
}

#[component]
fn ProfileDetails(profile: Fetched<Profile>) -> impl IntoView {
    let save = ServerAction::<UpdateProfile>::new();
    // The top bar shows the name: read the signed-in user again too.
    let layout_user = expect_context::<CurrentUser>();
    on_success(save.value(), move || {
        profile.refetch();
        layout_user.refetch();
    });
    view! {
        <Panel id="profile" title="Profile">
            <WhenLoaded data=profile let:profile>
                <EmailStatus email=profile.email verified=profile.verified />
                <ActionForm action=save attr:id="profile-form">
                    <label for="profile-name">"Name"</label>
                    <input id="profile-name" type="text" name="name" value=profile.name autocomplete="name" required maxlength="512" />
                    <label for="profile-company">"Company"</label>
                    <input id="profile-company" type="text" name="company" value=profile.company autocomplete="organization" maxlength="512" />
                    <label for="profile-bio">"Bio"</label>
                    <textarea id="profile-bio" name="bio" rows="3" maxlength="2048">{profile.bio}</textarea>
                    <avatar::AvatarPicker current=profile.avatar />
                    <FormAnswer result=save.value() done="Your profile is saved." />
                    <Submit pending=save.pending() label="Save profile" busy="Saving…" />
                </ActionForm>
            </WhenLoaded>
        </Panel>
    }
}

/// The account's address, whether it is verified, and a way to get another verification link.
#[component]
fn EmailStatus(email: String, verified: bool) -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    view! {
        <p class="email-status" data-verified=verified.to_string()>
            "E-mail address: " <strong id="profile-email">{email}</strong> " "
            {if verified {
                view! { <span class="badge ok">"verified"</span> }.into_any()
            } else {
                view! { <span class="badge warn">"not verified"</span> }.into_any()
            }}
        </p>
        {(!verified).then(|| view! {
            <ActionForm action=resend attr:class="inline">
                <Submit pending=resend.pending() label="Send verification again" busy="Sending…" class="button small" />
            </ActionForm>
            <FormAnswer result=resend.value() done="A new verification link is on its way." />
        })}
    }
}

#[component]
fn PasswordChange() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let form = NodeRef::<html::Form>::new();
    // Passwords should not linger in the form.
    on_success(change.value(), move || {
        if let Some(form) = form.get() {
            form.reset();
        }
    });
    view! {
        <Panel id="password" title="Password">
            <ActionForm action=change node_ref=form attr:id="password-form">
                <label for="password-current">"Current password"</label>
                <input id="password-current" type="password" name="current" autocomplete="current-password" required />
                <label for="password-new">"New password"</label>
                <input id="password-new" type="password" name="password" autocomplete="new-password" required minlength="8" aria-describedby="password-new-rule" />
                <p id="password-new-rule" class="hint">"At least 8 characters. Other browsers signed in to your account will be signed out."</p>
                <label for="password-confirm">"New password again"</label>
                <input id="password-confirm" type="password" name="confirm" autocomplete="new-password" required minlength="8" />
                <FormAnswer result=change.value() done="Your password is changed." />
                <Submit pending=change.pending() label="Change password" busy="Changing…" />
            </ActionForm>
        </Panel>
    }
}

/// Which comment e-mails to get: mentions, and replies in threads one is in.
#[component]
fn CommentMails(settings: Fetched<MailChoices>) -> impl IntoView {
    let save = ServerAction::<SaveMailChoices>::new();
    on_success(save.value(), move || settings.refetch());
    view! {
        <Panel id="comment-mails" title="Comment e-mails">
            <WhenLoaded data=settings let:chosen>
                <ActionForm action=save attr:id="comment-mails-form">
                    <p class="hint">"E-mail me when someone…"</p>
                    <label class="choice"><input type="checkbox" name="mentions" value="yes" checked=chosen.mentions />
                        " mentions me in a comment"</label>
                    <label class="choice"><input type="checkbox" name="replies" value="yes" checked=chosen.replies />
                        " replies in a thread I started or answered"</label>
                    <FormAnswer result=save.value() done="Your choices are saved." />
                    <Submit pending=save.pending() label="Save e-mail choices" busy="Saving…" />
                </ActionForm>
            </WhenLoaded>
        </Panel>
    }
}

#[component]
fn AuthorizedApps(apps: Fetched<Vec<AuthorizedApp>>) -> impl IntoView {
    let revoke = ServerAction::<RevokeApp>::new();
    on_success(revoke.value(), move || apps.refetch());
    view! {
        <Panel id="apps" title="Authorized apps">
            <p class="hint">"Apps and connectors you let use your account. Revoking access signs them out."</p>
            <FormAnswer result=revoke.value() done="The app's access is revoked." />
            <WhenLoaded data=apps children={move |apps: Vec<AuthorizedApp>| if apps.is_empty() {
                view! { <p>"You have not authorized any apps."</p> }.into_any()
            } else {
                // Keyed by app, so a revoked app's item goes away with its open confirmation.
                view! {
                    <ul class="item-list">
                        <For each=move || apps.clone() key=|app| app.id.clone() let:app>
                            <AppItem app revoke />
                        </For>
                    </ul>
                }.into_any()
            }} />
        </Panel>
    }
}

#[component]
fn AppItem(app: AuthorizedApp, revoke: ServerAction<RevokeApp>) -> impl IntoView {
    let warning = format!("{} will no longer be able to use your account.", app.name);
    // The view builds an item's content before its attributes: both get their own copies.
    let (id, name) = (app.id.clone(), app.name.clone());
    view! {
        <li data-app-id=id data-app-name=name>
            <div>
                <strong>{app.name}</strong>
                <p class="hint">{app.description}</p>
            </div>
            <Confirm label="Revoke access…">
                <ActionForm action=revoke>
                    <input type="hidden" name="app_id" value=app.id />
                    <p>{warning}</p>
                    <Submit pending=revoke.pending() label="Revoke access" busy="Revoking…" class="button small danger" />
                </ActionForm>
            </Confirm>
        </li>
    }
}
