//! The permission matrix: every action against every kind of caller, checked against the table
//! below, which is the specification. On a mismatch the test prints the whole matrix as the
//! rules compute it, so a deliberate change of rules is a change of this table.

use chrono::Utc;
use fleck_core::auth::{Actor, Principal, Scope};
use fleck_core::authz::{authorize, Action, ProjectAccess, ProjectRole, Visibility};
use fleck_core::users::{ServerRole, User};

/// Columns: the callers. Rows: actions; `private`/`public` is the project's visibility,
/// `open` a public project that allows comments from non-members. `+` allowed, `-` refused.
const EXPECTED: &str = "
action                        anonymous guest guest-contributor user reviewer contributor owner admin narrow-token archived-owner
create-project                -         -     -                 +    +        +           +     +     -            -
read-project:private          -         -     +                 -    +        +           +     -     -            -
read-project:public           +         +     +                 +    +        +           +     +     +            +
write-project:private         -         -     +                 -    -        +           +     -     -            -
administer-project:private    -         -     -                 -    -        -           +     -     -            -
delete-project:private        -         -     -                 -    -        -           +     +     -            -
invite-to-project:private     -         -     -                 -    -        -           +     -     -            -
read-project-invites:private  -         -     +                 -    -        +           +     -     -            -
read-project-invites:public   -         -     +                 -    -        +           +     -     -            -
manage-own-tokens             -         -     -                 +    +        +           +     +     -            -
read-own-tokens               -         +     +                 +    +        +           +     +     -            -
read-users                    -         +     +                 +    +        +           +     +     -            -
invite-to-server              -         -     -                 +    +        +           +     +     -            -
administer-server             -         -     -                 -    -        -           -     +     -            -
read-server-stats             -         -     -                 -    -        -           -     +     -            -
record-receive:private        -         -     +                 -    +        +           +     -     -            -
record-receive:public         -         +     +                 +    +        +           +     +     -            -
change-own-membership         -         +     +                 +    +        +           +     +     -            -
request-verification          -         +     +                 +    +        +           +     +     +            -
update-own-profile            -         +     +                 +    +        +           +     +     -            -
read-own-apps                 -         +     +                 +    +        +           +     +     -            -
revoke-own-apps               -         +     +                 +    +        +           +     +     -            -
comment:private               -         -     +                 -    +        +           +     -     -            -
comment:public                -         -     +                 -    +        +           +     -     -            -
comment:open                  -         +     +                 +    +        +           +     +     -            -
attach-files:private          -         -     +                 -    +        +           +     -     -            -
attach-files:open             -         +     +                 +    +        +           +     +     -            -
moderate-comments:private     -         -     -                 -    -        -           +     -     -            -
moderate-comments:open        -         -     -                 -    -        -           +     -     -            -
save-views:private            -         -     +                 -    +        +           +     -     -            -
save-views:open               -         -     +                 -    +        +           +     -     -            -
";

struct Caller {
    actor: Actor,
    project_role: Option<ProjectRole>,
}

fn principal(role: ServerRole, scopes: &[Scope]) -> Actor {
    Actor::User(Box::new(Principal {
        user: User {
            id: "u000000000".into(),
            email: "someone@example.com".into(),
            name: "Someone".into(),
            bio: None,
            company: None,
            avatar: None,
            role,
            verified: true,
            created_at: Utc::now(),
        },
        token_id: "t000000000".into(),
        scopes: scopes.to_vec(),
        app_id: None,
        via_session: false,
        projects: None,
    }))
}

fn caller(name: &str) -> Caller {
    let all = Scope::ALL;
    let (actor, project_role) = match name {
        "anonymous" => (Actor::Anonymous, None),
        "guest" => (principal(ServerRole::Guest, all), None),
        "guest-contributor" => (
            principal(ServerRole::Guest, all),
            Some(ProjectRole::Contributor),
        ),
        "user" => (principal(ServerRole::User, all), None),
        "reviewer" => (
            principal(ServerRole::User, all),
            Some(ProjectRole::Reviewer),
        ),
        "contributor" => (
            principal(ServerRole::User, all),
            Some(ProjectRole::Contributor),
        ),
        "owner" => (principal(ServerRole::User, all), Some(ProjectRole::Owner)),
        "admin" => (principal(ServerRole::Admin, all), None),
        // The project's owner, but through a token that may only read the profile.
        "narrow-token" => (
            principal(ServerRole::User, &[Scope::ProfileRead]),
            Some(ProjectRole::Owner),
        ),
        "archived-owner" => (
            principal(ServerRole::Archived, all),
            Some(ProjectRole::Owner),
        ),
        other => panic!("unknown caller {other}"),
    };
    Caller {
        actor,
        project_role,
    }
}

fn action(name: &str) -> Action {
    match name {
        "create-project" => Action::CreateProject,
        "read-project" => Action::ReadProject,
        "write-project" => Action::WriteProject,
        "administer-project" => Action::AdministerProject,
        "delete-project" => Action::DeleteProject,
        "invite-to-project" => Action::InviteToProject,
        "read-project-invites" => Action::ReadProjectInvites,
        "manage-own-tokens" => Action::ManageOwnTokens,
        "read-own-tokens" => Action::ReadOwnTokens,
        "read-users" => Action::ReadUsers,
        "invite-to-server" => Action::InviteToServer,
        "administer-server" => Action::AdministerServer,
        "read-server-stats" => Action::ReadServerStats,
        "record-receive" => Action::RecordReceive,
        "change-own-membership" => Action::ChangeOwnMembership,
        "update-own-profile" => Action::UpdateOwnProfile,
        "read-own-apps" => Action::ReadOwnApps,
        "revoke-own-apps" => Action::RevokeOwnApps,
        "request-verification" => Action::RequestVerification,
        "comment" => Action::Comment,
        "attach-files" => Action::AttachFiles,
        "moderate-comments" => Action::ModerateComments,
        "save-views" => Action::SaveViews,
        other => panic!("unknown action {other}"),
    }
}

#[test]
fn every_action_for_every_caller_matches_the_table() {
    let mut lines = EXPECTED.trim().lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().skip(1).collect();
    let mut computed = format!("{:<30}{}\n", "action", header.join(" "));
    let mut mismatches = Vec::new();
    let mut covered = std::collections::HashSet::new();

    for line in lines {
        let mut cells = line.split_whitespace();
        let row = cells.next().unwrap();
        let (name, visibility, allow_public_comments) = match row.split_once(':') {
            Some((name, "public")) => (name, Visibility::Public, false),
            Some((name, "open")) => (name, Visibility::Public, true),
            Some((name, _)) => (name, Visibility::Private, false),
            None => (row, Visibility::Private, false),
        };
        let action = action(name);
        covered.insert(action);
        let mut marks = Vec::new();
        for (who, expected) in header.iter().zip(cells) {
            let caller = caller(who);
            let project = action.on_project().then_some(ProjectAccess {
                visibility,
                role: caller.project_role,
                allow_public_comments,
            });
            let allowed = authorize(&caller.actor, action, project).is_ok();
            let mark = if allowed { "+" } else { "-" };
            if mark != expected {
                mismatches.push(format!("{row} for {who}: expected {expected}, got {mark}"));
            }
            marks.push(format!("{mark:<width$}", width = who.len()));
        }
        computed.push_str(&format!("{row:<30}{}\n", marks.join(" ")));
    }
    assert_eq!(covered.len(), Action::ALL.len(), "every action has a row");
    assert!(
        mismatches.is_empty(),
        "{}\n\nas the rules stand:\n{computed}",
        mismatches.join("\n")
    );
}

#[test]
fn refusals_say_why() {
    let private = |role| ProjectAccess {
        visibility: Visibility::Private,
        role: Some(role),
        allow_public_comments: false,
    };
    for (who, action, access, why) in [
        ("anonymous", Action::CreateProject, None, "sign in"),
        (
            "narrow-token",
            Action::WriteProject,
            Some(private(ProjectRole::Owner)),
            "streams:write",
        ),
        (
            "reviewer",
            Action::WriteProject,
            Some(private(ProjectRole::Reviewer)),
            "stream:contributor",
        ),
    ] {
        let refusal = authorize(&caller(who).actor, action, access).unwrap_err();
        assert!(refusal.to_string().contains(why), "{who}: {refusal}");
    }
}

#[test]
fn project_roles_round_trip() {
    for role in ProjectRole::ALL {
        assert_eq!(role.as_str().parse::<ProjectRole>().unwrap(), role);
    }
    assert_eq!("owner".parse::<ProjectRole>().unwrap(), ProjectRole::Owner);
    assert!("stream:king".parse::<ProjectRole>().is_err());
}
