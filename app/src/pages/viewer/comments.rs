//! Comment threads in the 3D view: in comment mode a click on an element pins a new thread to
//! that point with the view it was written in; every thread's pin floats at its point; the
//! Comments tab lists the model's open or resolved threads (those of other versions badged
//! with theirs), and opening one restores its view and shows its replies, a reply box and
//! Resolve. Who may comment, reply or resolve is core's decision, read from the server.
//! Threads and replies others write appear within a few seconds, without reloading; `@` and a
//! name in a comment box offers the project's members, whom the comment then notifies.

use std::time::Duration;

use leptos::prelude::*;

use crate::projects::comments::{
    fetch_mentionable, fetch_replies, fetch_threads, reply_to_thread, resolve_thread, start_thread,
    ThreadCard, Threads,
};

use super::controls::Controls;
use super::{Review, ReviewVersion};

/// A pin placed in comment mode, waiting for its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub point: [f32; 3],
    pub object_id: String,
    /// The view when it was placed, as a view link's fragment.
    pub view: String,
}

/// The comment state the view and its panel share.
#[derive(Clone, Copy)]
pub struct Comments {
    /// Comment mode: a click pins a new thread.
    pub mode: RwSignal<bool>,
    pub draft: RwSignal<Option<Draft>>,
    /// The thread open in the panel.
    pub open: RwSignal<Option<String>>,
    /// The thread the address named when the page opened; it may be resolved, so it is looked
    /// for among the resolved threads too.
    pub linked: StoredValue<Option<String>>,
    /// Whether the list shows resolved threads rather than open ones.
    pub resolved: RwSignal<bool>,
    pub threads: LocalResource<Result<Threads, ServerFnError>>,
    /// Counts the times threads and replies are asked for again.
    polls: RwSignal<u32>,
    /// The threads as last answered (`None` before the first answer), changed only when an
    /// answer differs, so that what shows them (a reply box being typed in among it) is redrawn
    /// only then rather than at every poll.
    shown: RwSignal<Option<Result<Threads, String>>>,
    /// The names `@` may complete to, asked for once (members change rarely, unlike threads).
    mentionable: LocalResource<Result<Vec<String>, ServerFnError>>,
}

/// How often threads and replies are asked for again.
const POLL: Duration = Duration::from_secs(4);

impl Comments {
    pub fn new(review: &Review) -> Self {
        let resolved = RwSignal::new(false);
        let polls = RwSignal::new(0u32);
        let (project_id, model_id) = (review.project_id.clone(), review.model_id.clone());
        let mentionable = {
            let project_id = project_id.clone();
            LocalResource::new(move || fetch_mentionable(project_id.clone()))
        };
        let threads = LocalResource::new(move || {
            polls.track();
            fetch_threads(project_id.clone(), model_id.clone(), resolved.get())
        });
        let shown = RwSignal::new(None);
        Effect::new(move |_| {
            let Some(now) = threads.get().map(|t| t.map_err(|e| e.to_string())) else {
                return;
            };
            if shown.with_untracked(|s| s.as_ref() != Some(&now)) {
                shown.set(Some(now));
            }
        });
        // Effects run in the browser only, where the timer lives as long as the page's view.
        Effect::new(move |_| {
            if let Ok(timer) = set_interval_with_handle(move || polls.update(|n| *n += 1), POLL) {
                on_cleanup(move || timer.clear());
            }
        });
        Comments {
            mode: RwSignal::new(false),
            draft: RwSignal::new(None),
            open: RwSignal::new(None),
            linked: StoredValue::new(None),
            resolved,
            threads,
            polls,
            shown,
            mentionable,
        }
    }

    /// The threads as answered, when they were.
    fn answered(&self) -> Option<Threads> {
        self.shown.get().and_then(Result::ok)
    }

    /// The listed threads (none while loading or after an error).
    fn listed(&self) -> Vec<ThreadCard> {
        self.answered().map(|t| t.items).unwrap_or_default()
    }

    /// The names `@` may complete to.
    fn mentionable(&self) -> Vec<String> {
        self.mentionable
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    pub fn can_comment(&self) -> bool {
        self.answered().is_some_and(|t| t.can_comment)
    }
}

/// The threads' pins and a new thread's pin, where their points appear now (redrawn with each
/// picture); a pin opens its thread. Placed with `style:` properties, which the page's
/// Content-Security-Policy allows (a `style` attribute it refuses).
#[component]
pub fn CommentPins(comments: Comments, controls: Controls, drawn: RwSignal<u32>) -> impl IntoView {
    let at = move |point: [f32; 3]| {
        drawn.track();
        controls.screen_position(point)
    };
    view! {
        <div class="comment-pins">
            {move || comments.listed().into_iter().enumerate().filter_map(|(index, thread)| {
                let (x, y) = at(thread.pin?)?;
                let id = thread.id.clone();
                let label = format!("Comment {} by {}", index + 1, thread.author);
                let open = move || comments.open.get().as_deref() == Some(id.as_str());
                let id = thread.id.clone();
                Some(view! {
                    <button type="button" class="comment-pin" class:open=open data-thread=thread.id.clone()
                        style:left=format!("{x:.1}px") style:top=format!("{y:.1}px") aria-label=label title=thread.text.clone()
                        on:click=move |_| comments.open.set(Some(id.clone()))>
                        {index + 1}
                    </button>
                })
            }).collect_view()}
            {move || comments.draft.get().and_then(|draft| at(draft.point)).map(|(x, y)| view! {
                <span class="comment-pin draft" style:left=format!("{x:.1}px") style:top=format!("{y:.1}px") aria-hidden="true">"+"</span>
            })}
        </div>
    }
}

/// The Comments tab: a new thread's box, the list with its open/resolved filter, or one thread.
#[component]
pub fn ThreadsPanel(
    comments: Comments,
    review: Review,
    /// Restores a saved view (a view link's fragment) and selects the element pinned on.
    restore: Callback<(String, Option<String>)>,
    /// Whether the model is loaded, so a view can be restored.
    loaded: Memo<bool>,
) -> impl IntoView {
    // Each opened thread's view is restored once, when both it and the model are there.
    let restored = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let Some(id) = comments.open.get() else {
            restored.set_value(None);
            return;
        };
        if !loaded.get() || restored.with_value(|r| r.as_deref() == Some(id.as_str())) {
            return;
        }
        let Some(threads) = comments.answered() else {
            return;
        };
        let Some(thread) = threads.items.into_iter().find(|t| t.id == id) else {
            if comments.linked.get_value().as_deref() == Some(id.as_str()) {
                comments.linked.set_value(None);
                comments.resolved.set(true);
            }
            return;
        };
        restored.set_value(Some(id));
        if let Some(view) = thread.view {
            restore.run((view, thread.object_id));
        }
    });
    let review = StoredValue::new(review);
    move || match comments.open.get() {
        Some(id) => view! { <ThreadView comments review=review.get_value() id /> }.into_any(),
        None => view! { <ThreadList comments review=review.get_value() /> }.into_any(),
    }
}

#[component]
fn ThreadList(comments: Comments, review: Review) -> impl IntoView {
    let filter = move |resolved: bool, label: &'static str| {
        view! {
            <button type="button" class="button small secondary" aria-pressed=move || (comments.resolved.get() == resolved).to_string()
                on:click=move |_| comments.resolved.set(resolved)>{label}</button>
        }
    };
    let numbers = StoredValue::new(review.versions.clone());
    let shown_version = review.version_id.clone();
    view! {
        <div class="threads">
            <div class="thread-filter" role="group" aria-label="Which threads">
                {filter(false, "Open")}
                {filter(true, "Resolved")}
            </div>
            <NewThread comments review />
            {move || match comments.shown.get() {
                None => view! { <p class="hint" aria-busy="true">"Loading comments…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                Some(Ok(threads)) if threads.items.is_empty() => {
                    let what = if comments.resolved.get() { "No resolved threads." } else { "No open threads." };
                    let how = threads.can_comment.then_some(" Turn on Comment and click an element to start one.");
                    view! { <p class="hint" data-empty="threads">{what}{how}</p> }.into_any()
                }
                Some(Ok(threads)) => {
                    let shown_version = shown_version.clone();
                    view! {
                        <ol class="thread-list">
                            {threads.items.into_iter().enumerate().map(|(index, thread)| {
                                let badge = version_badge(&thread, &shown_version, &numbers.get_value());
                                let id = thread.id.clone();
                                let excerpt: String = thread.text.chars().take(140).collect();
                                view! {
                                    <li data-thread=thread.id.clone() class:unread=thread.unread>
                                        <button type="button" class="thread-open" on:click=move |_| comments.open.set(Some(id.clone()))>
                                            <span class="pin-number">{index + 1}</span>
                                            <span class="thread-summary">
                                                <strong>{thread.author.clone()}</strong>
                                                {badge.map(|b| view! { <span class="badge version-badge">{b}</span> })}
                                                <span class="thread-excerpt">{excerpt}</span>
                                                <span class="hint">{format!("{} · {}", replies(thread.replies), thread.created)}</span>
                                            </span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// The box for a pinned draft's text.
#[component]
fn NewThread(comments: Comments, review: Review) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let review = StoredValue::new(review);
    let post = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(draft) = comments.draft.get_untracked() else {
            return;
        };
        let Review {
            project_id,
            model_id,
            version_id,
            ..
        } = review.get_value();
        let [x, y, z] = draft.point;
        busy.set(true);
        leptos::task::spawn_local(async move {
            let made = start_thread(
                project_id,
                model_id,
                version_id,
                text.get_untracked(),
                format!("{x},{y},{z}"),
                draft.object_id,
                draft.view,
            )
            .await;
            busy.set(false);
            match made {
                Ok(thread) => {
                    text.set(String::new());
                    error.set(None);
                    comments.draft.set(None);
                    comments.mode.set(false);
                    comments.resolved.set(false);
                    comments.threads.refetch();
                    comments.open.set(Some(thread.id));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    move || {
        comments.draft.get().map(|_| {
            view! {
                <form class="new-thread" on:submit=post>
                    <label for="new-thread-text">"New comment at the pinned point"</label>
                    <textarea id="new-thread-text" rows="3" required prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <MentionSuggestions comments text />
                    {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <div class="form-actions">
                        <button class="button small" type="submit" disabled=move || busy.get()>"Post comment"</button>
                        <button class="button small secondary" type="button" on:click=move |_| comments.draft.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        })
    }
}

/// One thread: what it says, its replies, a reply box and Resolve (as core allows).
#[component]
fn ThreadView(comments: Comments, review: Review, id: String) -> impl IntoView {
    let project_id = review.project_id.clone();
    let replies_of = {
        let (project_id, id) = (project_id.clone(), id.clone());
        LocalResource::new(move || {
            comments.polls.track();
            fetch_replies(project_id.clone(), id.clone())
        })
    };
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ids = StoredValue::new((project_id, id.clone()));
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (project_id, thread_id) = ids.get_value();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let sent = reply_to_thread(project_id, thread_id, text.get_untracked()).await;
            busy.set(false);
            match sent {
                Ok(_) => {
                    text.set(String::new());
                    error.set(None);
                    replies_of.refetch();
                    comments.threads.refetch();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let resolve = move |resolved: bool| {
        let (project_id, thread_id) = ids.get_value();
        leptos::task::spawn_local(async move {
            match resolve_thread(project_id, thread_id, resolved).await {
                Ok(()) => {
                    comments.open.set(None);
                    comments.resolved.set(resolved);
                    comments.threads.refetch();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let numbers = StoredValue::new(review.versions.clone());
    let shown_version = review.version_id.clone();
    view! {
        <div class="thread" data-open-thread=id.clone()>
            <button type="button" class="link-button" on:click=move |_| comments.open.set(None)>"← All threads"</button>
            {move || {
                let listed = comments.listed();
                let Some(thread) = listed.iter().find(|t| t.id == ids.get_value().1).cloned() else {
                    return view! { <p class="hint">"This thread is not among the listed ones."</p> }.into_any();
                };
                let badge = version_badge(&thread, &shown_version, &numbers.get_value());
                let can_comment = comments.can_comment() && !thread.resolved;
                view! {
                    <article class="comment first">
                        <header>
                            <strong>{thread.author.clone()}</strong>
                            {badge.map(|b| view! { <span class="badge version-badge">{b}</span> })}
                            {thread.resolved.then(|| view! { <span class="badge">"Resolved"</span> })}
                            <span class="hint">{thread.created.clone()}</span>
                        </header>
                        <p class="comment-text">{thread.text.clone()}</p>
                    </article>
                    {move || match replies_of.get() {
                        None => view! { <p class="hint" aria-busy="true">"Loading replies…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Some(Ok(replies)) => {
                            let count = replies.len();
                            view! {
                                <ol class="replies" data-replies=count>
                                    {replies.into_iter().map(|reply| view! {
                                        <li class="comment" data-reply=reply.id.clone()>
                                            <header><strong>{reply.author}</strong> <span class="hint">{reply.created}</span></header>
                                            <p class="comment-text">{reply.text}</p>
                                        </li>
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }
                    }}
                    {can_comment.then(|| view! {
                        <form class="reply" on:submit=send>
                            <label for="reply-text">"Reply"</label>
                            <textarea id="reply-text" rows="3" required prop:value=move || text.get()
                                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                            <MentionSuggestions comments text />
                            <button class="button small" type="submit" disabled=move || busy.get()>"Send reply"</button>
                        </form>
                    })}
                    {thread.can_resolve.then(|| {
                        let resolved = thread.resolved;
                        view! {
                            <button type="button" class="button small secondary" on:click=move |_| resolve(!resolved)>
                                {if resolved { "Open again" } else { "Resolve" }}
                            </button>
                        }
                    })}
                }.into_any()
            }}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

/// Under a comment box: the members whose names match the `@name` being typed at its end; one
/// chosen completes it. Without a match, a hint that `@` notifies.
#[component]
fn MentionSuggestions(comments: Comments, text: RwSignal<String>) -> impl IntoView {
    move || {
        let found = text.with(|t| matching(t, &comments.mentionable()));
        if found.is_empty() {
            return view! { <p class="hint">"Type @ and a name to notify a project member."</p> }
                .into_any();
        }
        view! {
            <ul class="mention-suggestions" aria-label="Members to mention">
                {found.into_iter().map(|name| {
                    let chosen = name.clone();
                    view! {
                        <li><button type="button" class="link-button"
                            on:click=move |_| text.update(|t| complete(t, &chosen))>{name}</button></li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    }
}

/// The most names offered at once.
const SUGGESTED: usize = 5;

/// Where the `@name` being typed at the end of `text` starts (at its `@`), if one is.
fn typed_mention(text: &str) -> Option<usize> {
    let at = text.rfind('@')?;
    let starts_word = text[..at]
        .chars()
        .last()
        .is_none_or(|c| !c.is_alphanumeric());
    let typed = &text[at + 1..];
    (starts_word && !typed.contains('\n') && typed.chars().count() <= 60).then_some(at)
}

/// The names that the `@name` being typed is the start of (or of one of their words).
fn matching(text: &str, names: &[String]) -> Vec<String> {
    let Some(at) = typed_mention(text) else {
        return Vec::new();
    };
    let typed = text[at + 1..].to_lowercase();
    names
        .iter()
        .filter(|name| {
            let name = name.to_lowercase();
            name != typed
                && (name.starts_with(&typed) || name.split(' ').any(|w| w.starts_with(&typed)))
        })
        .take(SUGGESTED)
        .cloned()
        .collect()
}

/// The text with the `@name` being typed replaced by the whole `name`.
fn complete(text: &mut String, name: &str) {
    if let Some(at) = typed_mention(text) {
        text.truncate(at);
        text.push('@');
        text.push_str(name);
        text.push(' ');
    }
}

/// "from version 3" for a thread written on another version than the one shown.
fn version_badge(thread: &ThreadCard, shown: &str, versions: &[ReviewVersion]) -> Option<String> {
    let version = thread.version_id.as_deref().filter(|v| *v != shown)?;
    Some(match versions.iter().find(|v| v.id == version) {
        Some(v) => format!("from version {}", v.number),
        None => "from an earlier version".to_string(),
    })
}

fn replies(n: i64) -> String {
    match n {
        0 => "no replies".into(),
        1 => "1 reply".into(),
        n => format!("{n} replies"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(version: Option<&str>) -> ThreadCard {
        ThreadCard {
            id: "t".into(),
            author: "Ada".into(),
            text: "Check this wall".into(),
            created: String::new(),
            replies: 0,
            resolved: false,
            version_id: version.map(str::to_string),
            pin: None,
            view: None,
            object_id: None,
            can_resolve: false,
            unread: false,
        }
    }

    #[test]
    fn a_typed_at_name_offers_members_and_completes_to_the_chosen_one() {
        let names = ["Jane Drew".to_string(), "Lina Bo Bardi".to_string()];
        assert_eq!(matching("Is this right, @ja", &names), ["Jane Drew"]);
        assert_eq!(matching("@bo", &names), ["Lina Bo Bardi"]);
        assert_eq!(matching("@", &names).len(), 2);
        assert!(
            matching("mail me@ja", &names).is_empty(),
            "an @ inside a word names no one"
        );
        assert!(
            matching("@Jane Drew ", &names).is_empty(),
            "a finished name offers nothing"
        );
        let mut text = "Is this right, @ja".to_string();
        complete(&mut text, "Jane Drew");
        assert_eq!(text, "Is this right, @Jane Drew ");
    }

    #[test]
    fn threads_of_other_versions_say_which() {
        let version = |id: &str, number| ReviewVersion {
            id: id.into(),
            number,
            object_id: String::new(),
            label: String::new(),
        };
        let numbers = vec![version("v2", 2), version("v1", 1)];
        assert_eq!(version_badge(&thread(Some("v2")), "v2", &numbers), None);
        assert_eq!(
            version_badge(&thread(Some("v1")), "v2", &numbers).as_deref(),
            Some("from version 1")
        );
        assert_eq!(
            version_badge(&thread(Some("v0")), "v2", &numbers).as_deref(),
            Some("from an earlier version")
        );
        assert_eq!(version_badge(&thread(None), "v2", &numbers), None);
    }
}
