//! Who may do what: the permission matrix. The services in `core` describe the action and the
//! resource and ask `authorize`; for projects they go through `projects::service::load`, which
//! adds the token's project limit and the caller's role. Rules about one's own things (a model's
//! or version's author, one's own membership) sit beside their service. REST handlers, GraphQL
//! resolvers and server functions decide nothing themselves.
//!
//! A request is allowed when three things hold: the caller's token carries the action's scope
//! (web sessions carry every scope), the caller's server role is high enough, and, for project
//! actions, the caller's project role is (public projects give everyone reviewer-level reading).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::auth::{Actor, Scope};
use crate::error::{Error, Result};
use crate::users::ServerRole;

/// Project roles with Speckle's names; checks compare weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProjectRole {
    #[serde(rename = "stream:reviewer")]
    Reviewer,
    #[serde(rename = "stream:contributor")]
    Contributor,
    #[serde(rename = "stream:owner")]
    Owner,
}

impl ProjectRole {
    pub const ALL: [ProjectRole; 3] = [Self::Owner, Self::Contributor, Self::Reviewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "stream:owner",
            Self::Contributor => "stream:contributor",
            Self::Reviewer => "stream:reviewer",
        }
    }

    pub fn weight(self) -> i32 {
        match self {
            Self::Owner => 1000,
            Self::Contributor => 500,
            Self::Reviewer => 100,
        }
    }
}

impl fmt::Display for ProjectRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProjectRole {
    type Err = Error;

    /// Accepts Speckle's names and the short forms `owner`, `contributor`, `reviewer`.
    fn from_str(s: &str) -> Result<Self> {
        match s.strip_prefix("stream:").unwrap_or(s) {
            "owner" => Ok(Self::Owner),
            "contributor" => Ok(Self::Contributor),
            "reviewer" => Ok(Self::Reviewer),
            _ => Err(Error::invalid(
                "role",
                format!("unknown project role {s:?}"),
            )),
        }
    }
}

/// Who may see a project without being a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    /// Members only.
    Private,
    /// Anyone with the link, signed in or not; Speckle's "unlisted" is stored as public.
    Public,
}

/// What the caller's relation to one project is, as the caller's handler looked it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectAccess {
    pub visibility: Visibility,
    /// The caller's role on the project; `None` when not a member.
    pub role: Option<ProjectRole>,
    /// Whether signed-in strangers may comment on the project (public projects only).
    pub allow_public_comments: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a project of one's own.
    CreateProject,
    /// Read a project, its models, versions and objects.
    ReadProject,
    /// Create models and versions, upload objects and files.
    WriteProject,
    /// Change a project's name, description and visibility; manage collaborators and webhooks.
    AdministerProject,
    /// Delete a project.
    DeleteProject,
    /// Invite people to a project.
    InviteToProject,
    /// See who was invited to a project and has not answered yet.
    ReadProjectInvites,
    /// Create and revoke one's own access tokens.
    ManageOwnTokens,
    /// List one's own access tokens.
    ReadOwnTokens,
    /// Read other users' profiles, search users.
    ReadUsers,
    /// Invite people to the server.
    InviteToServer,
    /// Change users' server roles and the server's settings.
    AdministerServer,
    /// Read server statistics.
    ReadServerStats,
    /// Record in a project's activity that one's application loaded a version.
    RecordReceive,
    /// Join a project through an invitation, decline one, or leave a project.
    ChangeOwnMembership,
    /// Ask for a new e-mail verification link.
    RequestVerification,
    /// Change one's own name, company, bio and avatar.
    UpdateOwnProfile,
    /// See which apps one has let act for one.
    ReadOwnApps,
    /// End an app's access to one's account.
    RevokeOwnApps,
    /// Start comment threads, reply, and edit or archive one's own comments.
    Comment,
    /// Attach files to a project (comment attachments, on the blob routes).
    AttachFiles,
    /// Archive anyone's comment threads.
    ModerateComments,
    /// Save named views of a project's models, and delete one's own.
    SaveViews,
}

impl Action {
    pub const ALL: [Action; 23] = [
        Action::CreateProject,
        Action::ReadProject,
        Action::WriteProject,
        Action::AdministerProject,
        Action::DeleteProject,
        Action::InviteToProject,
        Action::ReadProjectInvites,
        Action::ManageOwnTokens,
        Action::ReadOwnTokens,
        Action::ReadUsers,
        Action::InviteToServer,
        Action::AdministerServer,
        Action::ReadServerStats,
        Action::RecordReceive,
        Action::ChangeOwnMembership,
        Action::RequestVerification,
        Action::UpdateOwnProfile,
        Action::ReadOwnApps,
        Action::RevokeOwnApps,
        Action::Comment,
        Action::AttachFiles,
        Action::ModerateComments,
        Action::SaveViews,
    ];

    /// The scope a token needs for the action.
    pub fn scope(self) -> Scope {
        match self {
            Action::CreateProject
            | Action::WriteProject
            | Action::AdministerProject
            | Action::DeleteProject
            | Action::ChangeOwnMembership
            | Action::AttachFiles
            | Action::SaveViews => Scope::StreamsWrite,
            // Speckle's comment operations ask only for reading, so the tokens its viewer and
            // connectors hold can comment.
            Action::ReadProject
            | Action::ReadProjectInvites
            | Action::RecordReceive
            | Action::Comment
            | Action::ModerateComments => Scope::StreamsRead,
            Action::RequestVerification => Scope::ProfileRead,
            Action::UpdateOwnProfile => Scope::ProfileWrite,
            Action::ReadOwnApps => Scope::AppsRead,
            Action::RevokeOwnApps => Scope::AppsWrite,
            Action::InviteToProject | Action::InviteToServer => Scope::UsersInvite,
            Action::ManageOwnTokens => Scope::TokensWrite,
            Action::ReadOwnTokens => Scope::TokensRead,
            Action::ReadUsers => Scope::UsersRead,
            Action::AdministerServer => Scope::ServerSetup,
            Action::ReadServerStats => Scope::ServerStats,
        }
    }

    /// Whether the action concerns one project (and needs its `ProjectAccess`).
    pub fn on_project(self) -> bool {
        matches!(
            self,
            Action::ReadProject
                | Action::WriteProject
                | Action::AdministerProject
                | Action::DeleteProject
                | Action::InviteToProject
                | Action::ReadProjectInvites
                | Action::RecordReceive
                | Action::Comment
                | Action::AttachFiles
                | Action::ModerateComments
                | Action::SaveViews
        )
    }
}

fn deny(reason: impl Into<String>) -> Error {
    Error::Forbidden(reason.into())
}

/// Allows or refuses `action` for `actor`, on `project` for project actions.
pub fn authorize(actor: &Actor, action: Action, project: Option<ProjectAccess>) -> Result<()> {
    let project = match (action.on_project(), project) {
        (true, Some(project)) => Some(project),
        (true, None) => return Err(deny("this action needs a project")),
        (false, _) => None,
    };

    // Public projects can be read by anyone, signed in or not, whatever the token's scopes.
    if action == Action::ReadProject && project.is_some_and(|p| p.visibility == Visibility::Public)
    {
        return Ok(());
    }

    let Some(principal) = actor.principal() else {
        return Err(deny("sign in to do this"));
    };
    if !principal.has(action.scope()) {
        return Err(deny(format!(
            "your token lacks the {} scope",
            action.scope()
        )));
    }
    let server_role = principal.user.role;
    if !server_role.at_least(ServerRole::Guest) {
        return Err(deny("your account is archived"));
    }

    match action {
        Action::CreateProject if !server_role.at_least(ServerRole::User) => {
            Err(deny("guests cannot create projects"))
        }
        Action::InviteToServer if !server_role.at_least(ServerRole::User) => {
            Err(deny("guests cannot invite people to the server"))
        }
        Action::ManageOwnTokens if !server_role.at_least(ServerRole::User) => {
            Err(deny("guests cannot create access tokens"))
        }
        Action::AdministerServer | Action::ReadServerStats if server_role != ServerRole::Admin => {
            Err(deny("only server admins can do this"))
        }
        Action::CreateProject
        | Action::ManageOwnTokens
        | Action::ReadOwnTokens
        | Action::ReadUsers
        | Action::InviteToServer
        | Action::AdministerServer
        | Action::ReadServerStats
        | Action::ChangeOwnMembership
        | Action::RequestVerification
        | Action::UpdateOwnProfile
        | Action::ReadOwnApps
        | Action::RevokeOwnApps => Ok(()),
        // Anyone who may read the project, with a token that may read projects: the entry
        // names the caller, so it is not the anonymous reading of public projects.
        Action::RecordReceive => match project {
            Some(p) if p.visibility == Visibility::Public || p.role.is_some() => Ok(()),
            _ => Err(deny("you are not a member of this project")),
        },
        // Reviewers and up; on a public project that allows it, any signed-in user. Files go
        // with comments, so whoever may comment may attach them.
        Action::Comment | Action::AttachFiles => match project {
            Some(p) if p.role.is_some() => Ok(()),
            Some(p) if p.visibility == Visibility::Public && p.allow_public_comments => Ok(()),
            Some(p) if p.visibility == Visibility::Public => Err(deny(
                "this project does not allow comments from non-members",
            )),
            _ => Err(deny("you are not a member of this project")),
        },
        Action::ReadProject
        | Action::WriteProject
        | Action::AdministerProject
        | Action::DeleteProject
        | Action::InviteToProject
        | Action::ReadProjectInvites
        | Action::ModerateComments
        | Action::SaveViews => {
            let role = project.and_then(|p| p.role);
            // Admins may delete any project (moderation); everything else needs membership.
            if action == Action::DeleteProject && server_role == ServerRole::Admin {
                return Ok(());
            }
            let needed = match action {
                // Views are the team's: a public project's visitors read them, members save them.
                Action::ReadProject | Action::SaveViews => ProjectRole::Reviewer,
                // Speckle's `invitedTeam`: the team's contributors and owners.
                Action::WriteProject | Action::ReadProjectInvites => ProjectRole::Contributor,
                _ => ProjectRole::Owner,
            };
            if action == Action::InviteToProject && !server_role.at_least(ServerRole::User) {
                return Err(deny("guests cannot invite people to projects"));
            }
            match role {
                Some(role) if role.weight() >= needed.weight() => Ok(()),
                Some(_) => Err(deny(format!("this needs the {needed} role on the project"))),
                None => Err(deny("you are not a member of this project")),
            }
        }
    }
}
