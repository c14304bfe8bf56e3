//! E-mail about comments: the people a comment mentions, and the people in a thread someone
//! replies to. Mail goes through the job queue (`Email::enqueue`), so a slow mail server never
//! holds up the comment; each person chooses which of these they want in their notification
//! preferences (Speckle's `notificationPreferences` JSON, `{ "<kind>": { "email": bool } }`).

use serde_json::{json, Map, Value};

use super::{text, Comment, ResourceKind};
use crate::auth::emails::with_link;
use crate::auth::Actor;
use crate::authz::{Action, Visibility};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::projects::service::principal;
use crate::projects::Project;
use crate::users::{ServerRole, User};

/// Someone mentioned the user in a comment (Speckle's name).
pub const MENTIONED: &str = "mentionedInComment";
/// Someone replied to a thread the user wrote or replied to.
pub const REPLIED: &str = "newCommentReply";
/// The kinds a preference may name; each is mailed unless turned off.
pub const KINDS: [&str; 2] = [MENTIONED, REPLIED];

/// The most people one reply notifies besides those it mentions.
const MAX_REPLY_RECIPIENTS: i64 = 100;

/// The caller's preferences, every kind present (defaults filled in).
pub async fn preferences(core: &Core, actor: &Actor) -> Result<Value> {
    // Reading one's own settings needs what reading one's profile needs.
    crate::authz::authorize(actor, Action::RequestVerification, None)?;
    let user = principal(actor)?;
    let stored = core
        .comments
        .notification_preferences(&user.user.id)
        .await?;
    Ok(with_defaults(stored.as_ref()))
}

fn with_defaults(stored: Option<&Value>) -> Value {
    let mut out = Map::new();
    for kind in KINDS {
        let email = stored
            .and_then(|s| s.pointer(&format!("/{kind}/email")))
            .and_then(Value::as_bool)
            .unwrap_or(true);
        out.insert(kind.to_string(), json!({ "email": email }));
    }
    Value::Object(out)
}

/// Saves the caller's choices: an object of known kinds, each `{ "email": bool }`; kinds left
/// out keep their setting.
pub async fn update_preferences(core: &Core, actor: &Actor, update: Value) -> Result<()> {
    crate::authz::authorize(actor, Action::UpdateOwnProfile, None)?;
    let user_id = principal(actor)?.user.id.clone();
    let Value::Object(update) = update else {
        return Err(Error::invalid("preferences", "must be a JSON object"));
    };
    let stored = core.comments.notification_preferences(&user_id).await?;
    let Value::Object(mut merged) = with_defaults(stored.as_ref()) else {
        unreachable!("with_defaults makes an object")
    };
    for (kind, setting) in update {
        if !KINDS.contains(&kind.as_str()) {
            return Err(Error::invalid(
                "preferences",
                format!("unknown notification {kind:?}; known: {}", KINDS.join(", ")),
            ));
        }
        let Some(email) = setting.get("email").and_then(Value::as_bool) else {
            return Err(Error::invalid(
                "preferences",
                format!("{kind} needs {{ \"email\": true or false }}"),
            ));
        };
        merged.insert(kind, json!({ "email": email }));
    }
    core.comments
        .set_notification_preferences(&user_id, &Value::Object(merged))
        .await
}

/// Mails the people a new comment concerns: those it mentions and, for a reply, the thread's
/// author and earlier repliers. Failures are logged, never returned: the comment exists.
pub async fn after_comment(
    core: &Core,
    project: &Project,
    comment: &Comment,
    thread: Option<&Comment>,
) {
    if let Err(e) = send(core, project, comment, thread).await {
        tracing::warn!(error = %e, comment = comment.id, "could not queue comment notifications");
    }
}

async fn send(
    core: &Core,
    project: &Project,
    comment: &Comment,
    thread: Option<&Comment>,
) -> Result<()> {
    let Some(author) = core.store.user_by_id(&comment.author_id).await? else {
        return Ok(());
    };
    let mentioned = comment
        .text
        .doc
        .as_ref()
        .map(text::mentions)
        .unwrap_or_default();
    let mut done = vec![author.id.clone()];
    let link = link_to(core, project, thread.unwrap_or(comment)).await;
    let excerpt = excerpt(&comment.raw_text);
    let mention = Notice {
        kind: MENTIONED,
        subject: format!("{} mentioned you in {}", author.name, project.name),
        lead: format!(
            "{} mentioned you in a comment in {}:\n\n{excerpt}",
            author.name, project.name
        ),
    };
    mail_each(core, project, &mention, &mentioned, &mut done, &link).await?;
    let Some(thread) = thread else {
        return Ok(());
    };
    let mut people = vec![thread.author_id.clone()];
    people.extend(
        core.comments
            .reply_authors(&thread.id, MAX_REPLY_RECIPIENTS)
            .await?
            .items,
    );
    let reply = Notice {
        kind: REPLIED,
        subject: format!("{} replied in {}", author.name, project.name),
        lead: format!(
            "{} replied to a thread you are in, in {}:\n\n{excerpt}",
            author.name, project.name
        ),
    };
    mail_each(core, project, &reply, &people, &mut done, &link).await
}

/// One kind of e-mail about a comment: the preference that turns it off, its subject and how it
/// begins.
struct Notice {
    kind: &'static str,
    subject: String,
    lead: String,
}

/// Sends `notice` to each of `user_ids` that wants it, once to each: `done` holds who has had an
/// e-mail about this comment already.
async fn mail_each(
    core: &Core,
    project: &Project,
    notice: &Notice,
    user_ids: &[String],
    done: &mut Vec<String>,
    link: &str,
) -> Result<()> {
    for user_id in user_ids {
        if done.contains(user_id) {
            continue;
        }
        done.push(user_id.clone());
        if let Some(user) = recipient(core, project, user_id, notice.kind).await? {
            mail(core, &user, &notice.subject, &notice.lead, link).await?;
        }
    }
    Ok(())
}

async fn recipient(
    core: &Core,
    project: &Project,
    user_id: &str,
    kind: &str,
) -> Result<Option<User>> {
    let Some(user) = core.store.user_by_id(user_id).await? else {
        return Ok(None);
    };
    if !user.role.at_least(ServerRole::Guest) {
        return Ok(None);
    }
    let member = core.projects.role_of(&project.id, user_id).await?.is_some();
    if !member && project.visibility != Visibility::Public {
        return Ok(None);
    }
    let wanted = core.comments.notification_preferences(user_id).await?;
    let email = with_defaults(wanted.as_ref())
        .pointer(&format!("/{kind}/email"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    Ok(email.then_some(user))
}

async fn mail(core: &Core, user: &User, subject: &str, lead: &str, link: &str) -> Result<()> {
    with_link(
        &user.email,
        subject,
        &user.name,
        lead,
        "Open the thread",
        link,
        "You can turn these e-mails off in your notification preferences.",
    )
    .enqueue(&core.jobs)
    .await
    .map(|_| ())
}

fn excerpt(raw: &str) -> String {
    const LONGEST: usize = 1_000;
    if raw.chars().count() <= LONGEST {
        raw.to_string()
    } else {
        format!("{}…", raw.chars().take(LONGEST).collect::<String>())
    }
}

/// The web app's page for the thread: its model's page when it is about a version.
async fn link_to(core: &Core, project: &Project, thread: &Comment) -> String {
    let base = core.config.public_url.as_str().trim_end_matches('/');
    let version = thread
        .links
        .iter()
        .find(|l| l.kind == ResourceKind::Commit)
        .map(|l| l.id.clone());
    let model = match version {
        Some(id) => core
            .projects
            .version(&project.id, &id)
            .await
            .ok()
            .flatten()
            .map(|v| v.model_id),
        None => None,
    };
    match model {
        Some(model) => format!(
            "{base}/projects/{}/models/{model}#thread={}",
            project.id, thread.id
        ),
        None => format!("{base}/projects/{}#thread={}", project.id, thread.id),
    }
}
