//! `activeUser` and `otherUser`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use fleck_core::auth::{apps, links, Scope};
use fleck_core::users::ProfileUpdate;

use super::context::{actor, core, signed_in};
use super::errors::{forbidden, from_core};
use crate::auth::Actor;

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller; `null` when anonymous or when the token may not read the profile.
    async fn active_user(&self, ctx: &Context<'_>) -> Option<User> {
        match actor(ctx) {
            Actor::User(principal) if principal.has(Scope::ProfileRead) => Some(User {
                show_email: principal.has(Scope::ProfileEmail),
                user: principal.user.clone(),
            }),
            _ => None,
        }
    }

    /// Users whose name or e-mail contains `query` (at least 3 characters), oldest first.
    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn user_search(
        &self,
        ctx: &Context<'_>,
        query: String,
        limit: Option<i32>,
        cursor: Option<String>,
        archived: Option<bool>,
        email_only: Option<bool>,
    ) -> Result<UserSearchResultCollection> {
        // Anonymous callers are told to sign in, as Speckle's clients expect.
        signed_in(ctx)?;
        let limit = i64::from(limit.unwrap_or(25).clamp(1, 100));
        let offset: i64 = cursor.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
        let found = fleck_core::users::search(
            core(ctx),
            actor(ctx),
            &query,
            archived.unwrap_or(false),
            email_only.unwrap_or(false),
            fleck_core::store::Page { limit, offset },
        )
        .await
        .map_err(from_core)?;
        let more = found.more;
        let items: Vec<LimitedUser> = found.users.into_iter().map(LimitedUser).collect();
        Ok(UserSearchResultCollection {
            cursor: more.then(|| (offset + limit).to_string()),
            items,
        })
    }

    /// Another user's public profile; `null` when there is no such user.
    async fn other_user(&self, ctx: &Context<'_>, id: String) -> Result<Option<LimitedUser>> {
        let core = core(ctx);
        let user = fleck_core::users::by_id(core, &id)
            .await
            .map_err(from_core)?;
        Ok(user.map(LimitedUser))
    }
}

#[derive(InputObject)]
pub struct UserUpdateInput {
    name: Option<String>,
    company: Option<String>,
    bio: Option<String>,
    avatar: Option<String>,
}

#[derive(InputObject)]
pub struct UserRoleInput {
    id: String,
    role: String,
}

#[derive(Default)]
pub struct ActiveUserMutations;

#[Object]
impl ActiveUserMutations {
    /// Changes the caller's profile.
    async fn update(&self, ctx: &Context<'_>, user: UserUpdateInput) -> Result<User> {
        let actor = signed_in(ctx)?;
        let update = ProfileUpdate {
            name: user.name,
            company: user.company,
            bio: user.bio,
            avatar: user.avatar,
        };
        let updated = fleck_core::users::update_profile(core(ctx), actor, update)
            .await
            .map_err(from_core)?;
        Ok(User {
            show_email: actor
                .principal()
                .is_some_and(|p| p.has(Scope::ProfileEmail)),
            user: updated,
        })
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Sends the caller a new e-mail verification link.
    async fn request_verification(&self, ctx: &Context<'_>) -> Result<bool> {
        links::request_verification(core(ctx), signed_in(ctx)?)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    async fn active_user_mutations(&self) -> ActiveUserMutations {
        ActiveUserMutations
    }

    /// Changes a user's server role (admins only); the last admin cannot be demoted.
    async fn user_role_change(
        &self,
        ctx: &Context<'_>,
        user_role_input: UserRoleInput,
    ) -> Result<bool> {
        let actor = signed_in(ctx)?;
        let role: fleck_core::users::ServerRole =
            user_role_input.role.parse().map_err(from_core)?;
        fleck_core::users::set_server_role(core(ctx), actor, &user_role_input.id, role)
            .await
            .map_err(from_core)?;
        Ok(true)
    }
}

pub struct User {
    user: fleck_core::users::User,
    show_email: bool,
}

impl User {
    /// Lists of projects and invitations are the caller's own business.
    fn only_self(&self, ctx: &Context<'_>) -> Result<()> {
        match actor(ctx).principal() {
            Some(p) if p.user.id == self.user.id => Ok(()),
            _ => Err(forbidden("Only the user themself can see this.")),
        }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.user.id.clone())
    }

    async fn email(&self) -> Option<&str> {
        self.show_email.then_some(self.user.email.as_str())
    }

    async fn name(&self) -> &str {
        &self.user.name
    }

    async fn bio(&self) -> Option<&str> {
        self.user.bio.as_deref()
    }

    async fn company(&self) -> Option<&str> {
        self.user.company.as_deref()
    }

    async fn avatar(&self) -> Option<&str> {
        self.user.avatar.as_deref()
    }

    async fn verified(&self) -> Option<bool> {
        Some(self.user.verified)
    }

    async fn role(&self) -> Option<&str> {
        Some(self.user.role.as_str())
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.user.created_at
    }

    /// The apps this user has let act for them (`apps:read`).
    /// Which notifications the user gets by e-mail (only for the caller themself).
    async fn notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::scalars::JsonObject> {
        self.only_self(ctx)?;
        super::comments::preferences(ctx).await
    }

    async fn authorized_apps(&self, ctx: &Context<'_>) -> Result<Option<Vec<ServerAppListItem>>> {
        self.only_self(ctx)?;
        let apps = apps::authorized_by_caller(core(ctx), signed_in(ctx)?)
            .await
            .map_err(from_core)?;
        Ok(Some(apps.into_iter().map(ServerAppListItem).collect()))
    }

    /// The user's projects, most recently updated first (only for the caller themself).
    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
        filter: Option<super::projects::UserProjectsFilter>,
    ) -> Result<super::paging::Collection<super::projects::Project>> {
        self.only_self(ctx)?;
        super::projects::of_caller(ctx, limit, cursor, filter).await
    }

    /// Invitations to projects waiting for the user's answer.
    async fn project_invites(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::projects::PendingStreamCollaborator>> {
        self.only_self(ctx)?;
        super::projects::invites_of_caller(ctx).await
    }

    async fn permissions(&self) -> super::projects::RootPermissionChecks {
        super::projects::RootPermissionChecks
    }

    /// Always `null`: this server has no workspaces.
    async fn active_workspace(&self) -> Option<super::workspaces::LimitedWorkspace> {
        None
    }

    async fn workspaces(
        &self,
        limit: Option<i32>,
        cursor: Option<String>,
        filter: Option<super::workspaces::UserWorkspacesFilter>,
    ) -> Result<super::workspaces::WorkspaceCollection> {
        let _ = (limit, cursor, filter);
        Err(super::workspaces::disabled())
    }

    /// The user's personal access tokens (`tokens:read`).
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiTokenItem>> {
        self.only_self(ctx)?;
        let tokens = fleck_core::auth::flow::own_tokens(core(ctx), actor(ctx))
            .await
            .map_err(from_core)?;
        Ok(tokens
            .into_iter()
            .map(|t| ApiTokenItem {
                lifespan: t
                    .expires_at
                    .map(|at| super::scalars::BigInt((at - t.created_at).num_milliseconds())),
                id: t.id,
                name: t.name,
                last_chars: t.last_chars,
                scopes: t.scopes.iter().map(|s| s.name().to_string()).collect(),
                created_at: t.created_at,
                last_used: t.last_used_at,
            })
            .collect())
    }
}

#[derive(SimpleObject)]
#[graphql(name = "ApiToken")]
pub struct ApiTokenItem {
    id: String,
    name: String,
    last_chars: String,
    scopes: Vec<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    /// Milliseconds from creation to expiry; `null` when it never expires.
    lifespan: Option<super::scalars::BigInt>,
    last_used: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(SimpleObject)]
pub struct UserSearchResultCollection {
    cursor: Option<String>,
    items: Vec<LimitedUser>,
}

/// What anyone may see of another user.
pub struct LimitedUser(fleck_core::users::User);

impl From<fleck_core::users::User> for LimitedUser {
    fn from(user: fleck_core::users::User) -> Self {
        LimitedUser(user)
    }
}

#[Object]
impl LimitedUser {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    async fn company(&self) -> Option<&str> {
        self.0.company.as_deref()
    }

    async fn avatar(&self) -> Option<&str> {
        self.0.avatar.as_deref()
    }

    async fn verified(&self) -> Option<bool> {
        Some(self.0.verified)
    }

    async fn role(&self) -> Option<&str> {
        Some(self.0.role.as_str())
    }
}

/// An app as users see it in lists.
pub struct ServerAppListItem(fleck_core::auth::ServerApp);

#[derive(SimpleObject)]
pub struct AppAuthor {
    id: String,
    name: String,
    avatar: Option<String>,
}

#[Object]
impl ServerAppListItem {
    async fn id(&self) -> &str {
        &self.0.id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        Some(self.0.description.as_str())
    }

    async fn terms_and_conditions_link(&self) -> Option<&str> {
        self.0.terms_url.as_deref()
    }

    async fn trust_by_default(&self) -> Option<bool> {
        Some(self.0.trust_by_default)
    }

    async fn logo(&self) -> Option<&str> {
        self.0.logo.as_deref()
    }

    async fn author(&self, ctx: &Context<'_>) -> Result<Option<AppAuthor>> {
        let Some(author_id) = &self.0.author_id else {
            return Ok(None);
        };
        let core = core(ctx);
        let author = fleck_core::users::by_id(core, author_id)
            .await
            .map_err(from_core)?;
        Ok(author.map(|u| AppAuthor {
            id: u.id,
            name: u.name,
            avatar: u.avatar,
        }))
    }
}

#[derive(Default)]
pub struct AppQuery;

#[Object]
impl AppQuery {
    /// The apps people can authorize on this server.
    async fn apps(&self, ctx: &Context<'_>) -> Result<Option<Vec<Option<ServerAppListItem>>>> {
        let core = core(ctx);
        let apps = fleck_core::auth::apps::public(core)
            .await
            .map_err(from_core)?;
        Ok(Some(
            apps.into_iter()
                .map(|a| Some(ServerAppListItem(a)))
                .collect(),
        ))
    }
}

#[derive(Default)]
pub struct AppMutation;

#[Object]
impl AppMutation {
    /// Ends an app's access to the caller's account (its tokens stop working).
    async fn app_revoke_access(&self, ctx: &Context<'_>, app_id: String) -> Result<Option<bool>> {
        apps::revoke_access(core(ctx), signed_in(ctx)?, &app_id)
            .await
            .map_err(from_core)?;
        Ok(Some(true))
    }
}
