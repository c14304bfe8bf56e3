"""Projects, models, versions and project invites through specklepy's resources, as Speckle's
own integration tests use them: what `fleck serve` must answer to `client.project.*`,
`client.model.*`, `client.version.*`, `client.project_invite.*` and `client.active_user.*`.

Checked here: creation defaults (description None comes back as "", UNLISTED is stored as
PUBLIC, the creator is `stream:owner`, no model until a client makes one, as on Speckle's
current server), reads, updates and deletes,
permission checks for the owner and for a stranger to a public project, the active user's
project list with a search filter, nested and case-insensitively unique model names, versions
on sent objects (get, list with priorityIds, update, move to a new model, mark received,
delete), and the invite round trip (create by user id, list with token, look up by token,
accept, decline, cancel, change and remove a collaborator's role). Every failure that Speckle
reports as a GraphQL error must make specklepy raise GraphQLException.
"""

from datetime import datetime

import pytest
from conftest import create_model, create_project, create_version, send_object, unique_name
from gql import gql
from specklepy.api.client import SpeckleClient
from specklepy.api.enums import ProjectVisibility
from specklepy.api.inputs.model_inputs import (
    CreateModelInput,
    DeleteModelInput,
    ModelVersionsFilter,
    UpdateModelInput,
)
from specklepy.api.inputs.project_inputs import (
    ProjectCreateInput,
    ProjectInviteCreateInput,
    ProjectInviteUseInput,
    ProjectModelsFilter,
    ProjectUpdateInput,
    ProjectUpdateRoleInput,
)
from specklepy.api.inputs.user_inputs import UserProjectsFilter
from specklepy.api.inputs.version_inputs import (
    CreateVersionInput,
    DeleteVersionsInput,
    MarkReceivedVersionInput,
    MoveVersionsInput,
    UpdateVersionInput,
)
from specklepy.api.models import (
    LimitedUser,
    Model,
    ModelWithVersions,
    PendingStreamCollaborator,
    Project,
    ProjectWithModels,
    ProjectWithTeam,
    ResourceCollection,
    Version,
)
from specklepy.logging.exceptions import GraphQLException

OWNER = "stream:owner"
CONTRIBUTOR = "stream:contributor"
REVIEWER = "stream:reviewer"

# specklepy's ProjectPermissionChecks model drops canPublish although its query selects it, so
# this one is asked through the client's own GraphQL transport.
CAN_PUBLISH = """
query CanPublish($projectId: String!) {
  project(id: $projectId) {
    permissions { canPublish { authorized code message } }
  }
}
"""


def can_publish(client: SpeckleClient, project_id: str) -> dict:
    request = gql(CAN_PUBLISH)
    request.variable_values = {"projectId": project_id}
    result = client.httpclient.execute(request)
    return result["project"]["permissions"]["canPublish"]


def is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def models_by_name(client: SpeckleClient, project_id: str) -> dict[str, Model]:
    return {m.name: m for m in client.model.get_models(project_id, models_limit=100).items}


@pytest.fixture
def public_project(client) -> Project:
    project = create_project(client, ProjectVisibility.PUBLIC)
    create_model(client, project.id)
    return project


# --- projects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "visibility, stored",
    [
        (ProjectVisibility.PRIVATE, ProjectVisibility.PRIVATE),
        (ProjectVisibility.PUBLIC, ProjectVisibility.PUBLIC),
        (ProjectVisibility.UNLISTED, ProjectVisibility.PUBLIC),
        (None, ProjectVisibility.PRIVATE),
    ],
)
def test_project_create(client, visibility, stored):
    name = unique_name("Created project")
    project = client.project.create(
        ProjectCreateInput(name=name, description=None, visibility=visibility)
    )

    assert isinstance(project, Project)
    assert isinstance(project.id, str) and len(project.id) == 10
    assert project.name == name
    assert project.description == ""
    assert project.visibility == stored
    assert project.role == OWNER
    assert project.allow_public_comments is False
    assert project.source_apps == []
    assert project.workspace_id is None
    assert is_aware(project.created_at) and is_aware(project.updated_at)


def test_new_project_has_no_models(client):
    project = create_project(client)
    result = client.project.get_with_models(project.id)

    assert isinstance(result, ProjectWithModels)
    assert result.id == project.id
    assert isinstance(result.models, ResourceCollection)
    assert result.models.total_count == 0
    assert result.models.items == []


def test_first_model_is_the_clients_to_make(client):
    project = create_project(client)
    made = create_model(client, project.id)

    [main] = client.project.get_with_models(project.id).models.items
    assert main.id == made.id
    assert main.name == "main"
    assert main.display_name == "main"
    assert isinstance(main.author, LimitedUser)
    assert main.author.id == client.account.userInfo.id


def test_project_get(client, project):
    result = client.project.get(project.id)

    assert isinstance(result, Project)
    assert result.id == project.id
    assert result.name == project.name
    assert result.description == "made by the specklepy tests"
    assert result.visibility == ProjectVisibility.PRIVATE
    assert result.role == OWNER
    assert result.created_at == project.created_at
    assert result.updated_at == project.updated_at


def test_project_update(client, project):
    new_name = unique_name("Renamed project")
    updated = client.project.update(
        ProjectUpdateInput(
            id=project.id,
            name=new_name,
            description="a new description",
            visibility=ProjectVisibility.UNLISTED,
            allow_public_comments=True,
        )
    )

    assert isinstance(updated, Project)
    assert updated.id == project.id
    assert updated.name == new_name
    assert updated.description == "a new description"
    assert updated.visibility == ProjectVisibility.PUBLIC
    assert updated.allow_public_comments is True
    assert updated.created_at == project.created_at
    assert updated.updated_at >= project.updated_at

    again = client.project.get(project.id)
    assert again.name == new_name
    assert again.visibility == ProjectVisibility.PUBLIC


def test_project_update_keeps_what_is_not_given(client, project):
    updated = client.project.update(ProjectUpdateInput(id=project.id, name="Only the name"))
    assert updated.name == "Only the name"
    assert updated.description == project.description
    assert updated.visibility == project.visibility


def test_project_get_with_team(client, project):
    result = client.project.get_with_team(project.id)

    assert isinstance(result, ProjectWithTeam)
    assert result.id == project.id
    assert result.invited_team == []
    [owner] = result.team
    assert owner.role == OWNER
    assert owner.user.id == client.account.userInfo.id
    assert owner.user.name == client.account.userInfo.name


def test_owner_permissions(client, project):
    checks = client.project.get_permissions(project.id)

    for check in (checks.can_create_model, checks.can_delete, checks.can_load):
        assert check.authorized is True
        assert isinstance(check.code, str) and check.code
        assert isinstance(check.message, str)
    publish = can_publish(client, project.id)
    assert publish["authorized"] is True
    assert isinstance(publish["code"], str) and isinstance(publish["message"], str)


def test_stranger_permissions_on_a_public_project(second_client, public_project):
    checks = second_client.project.get_permissions(public_project.id)

    for check in (checks.can_create_model, checks.can_delete, checks.can_load):
        assert check.authorized is False
        assert isinstance(check.code, str) and check.code
        assert isinstance(check.message, str) and check.message
    assert can_publish(second_client, public_project.id)["authorized"] is False


def test_stranger_reads_a_public_project_without_a_role(second_client, anonymous, public_project):
    for reader in (second_client, anonymous):
        seen = reader.project.get(public_project.id)
        assert seen.id == public_project.id
        assert seen.name == public_project.name
        assert seen.role is None
        assert [m.name for m in reader.model.get_models(public_project.id).items] == ["main"]


def test_stranger_cannot_change_a_public_project(second_client, public_project):
    with pytest.raises(GraphQLException):
        second_client.project.update(ProjectUpdateInput(id=public_project.id, name="mine now"))
    with pytest.raises(GraphQLException):
        second_client.project.delete(public_project.id)
    with pytest.raises(GraphQLException):
        second_client.model.create(
            CreateModelInput(name="intruder", description=None, project_id=public_project.id)
        )


def test_stranger_cannot_read_a_private_project(second_client, anonymous, project):
    with pytest.raises(GraphQLException):
        second_client.project.get(project.id)
    with pytest.raises(GraphQLException):
        second_client.project.get_with_models(project.id)
    with pytest.raises(GraphQLException):
        anonymous.project.get(project.id)


def test_active_user_projects_search(client):
    marker = unique_name("Searchable")
    found = create_project(client, name=f"{marker} alpha")
    create_project(client, name=unique_name("Unrelated"))

    result = client.active_user.get_projects(filter=UserProjectsFilter(search=marker))

    assert isinstance(result, ResourceCollection)
    assert result.total_count == 1
    [item] = result.items
    assert item.id == found.id
    assert item.role == OWNER

    everything = client.active_user.get_projects()
    assert everything.total_count >= 2
    assert len(everything.items) >= 2


def test_active_user_can_create_personal_projects(client):
    check = client.active_user.can_create_personal_projects()
    assert check.authorized is True
    assert isinstance(check.code, str) and isinstance(check.message, str)


def test_project_delete(client):
    doomed = create_project(client)

    assert client.project.delete(doomed.id) is True

    with pytest.raises(GraphQLException):
        client.project.get(doomed.id)
    with pytest.raises(GraphQLException):
        client.project.delete(doomed.id)
    search = UserProjectsFilter(search=doomed.name)
    assert client.active_user.get_projects(filter=search).total_count == 0


# --- models ---------------------------------------------------------------------------------


def test_model_create_nested_name(client, project):
    created = client.model.create(
        CreateModelInput(name="my/nested/model", description=None, project_id=project.id)
    )

    assert isinstance(created, Model)
    assert created.name == "my/nested/model"
    assert created.display_name == "model"
    assert created.description is None
    assert isinstance(created.author, LimitedUser)
    assert created.author.id == client.account.userInfo.id
    assert is_aware(created.created_at) and is_aware(created.updated_at)


def test_model_names_are_unique_regardless_of_case(client, project):
    create_model(client, project.id)
    client.model.create(
        CreateModelInput(name="my/nested/model", description=None, project_id=project.id)
    )
    with pytest.raises(GraphQLException):
        client.model.create(
            CreateModelInput(name="My/Nested/Model", description=None, project_id=project.id)
        )
    with pytest.raises(GraphQLException):
        client.model.create(CreateModelInput(name="MAIN", description=None, project_id=project.id))
    assert sorted(models_by_name(client, project.id)) == ["main", "my/nested/model"]


def test_model_get(client, project, model):
    result = client.model.get(model.id, project.id)

    assert isinstance(result, Model)
    assert result.id == model.id
    assert result.name == model.name
    assert result.display_name == model.display_name
    assert result.description == "a model"
    assert result.created_at == model.created_at
    assert result.updated_at == model.updated_at


def test_model_update(client, project, model):
    updated = client.model.update(
        UpdateModelInput(
            id=model.id, name="Renamed/Model", description="new words", project_id=project.id
        )
    )

    assert isinstance(updated, Model)
    assert updated.id == model.id
    assert updated.name.lower() == "renamed/model"
    assert updated.display_name.lower() == "model"
    assert updated.description == "new words"
    assert updated.created_at == model.created_at
    assert updated.updated_at >= model.updated_at
    assert client.model.get(model.id, project.id).description == "new words"


def test_get_models(client, project, model):
    result = client.model.get_models(project.id)

    assert isinstance(result, ResourceCollection)
    assert result.total_count == 1
    assert [m.id for m in result.items] == [model.id]

    filtered = client.model.get_models(
        project.id, models_filter=ProjectModelsFilter(search=model.name)
    )
    assert filtered.total_count == 1
    assert [m.id for m in filtered.items] == [model.id]

    with_models = client.project.get_with_models(
        project.id, models_filter=ProjectModelsFilter(search=model.name)
    )
    assert [m.id for m in with_models.models.items] == [model.id]


def test_model_get_with_versions_of_a_new_model(client, project, model):
    result = client.model.get_with_versions(model.id, project.id)

    assert isinstance(result, ModelWithVersions)
    assert result.id == model.id
    assert result.versions.total_count == 0
    assert result.versions.items == []


def test_model_delete(client, project, model):
    delete = DeleteModelInput(id=model.id, project_id=project.id)

    assert client.model.delete(delete) is True

    with pytest.raises(GraphQLException):
        client.model.get(model.id, project.id)
    with pytest.raises(GraphQLException):
        client.model.delete(delete)
    assert list(models_by_name(client, project.id)) == []


def test_a_main_model_cannot_be_deleted(client, project):
    main = create_model(client, project.id)

    with pytest.raises(GraphQLException):
        client.model.delete(DeleteModelInput(id=main.id, project_id=project.id))
    assert client.model.get(main.id, project.id).name == "main"


# --- versions -------------------------------------------------------------------------------


@pytest.fixture
def sent_object(client, project) -> str:
    return send_object(client, project.id)


@pytest.fixture
def version(client, project, model, sent_object) -> Version:
    return create_version(client, project.id, model.id, "first version", sent_object)


def test_version_create(client, project, model, sent_object):
    created = client.version.create(
        CreateVersionInput(
            object_id=sent_object,
            model_id=model.id,
            project_id=project.id,
            message="hello from specklepy",
            source_application="py",
        )
    )

    assert isinstance(created, Version)
    assert isinstance(created.id, str) and len(created.id) == 10
    assert created.referenced_object == sent_object
    assert created.message == "hello from specklepy"
    assert created.source_application == "py"
    assert isinstance(created.preview_url, str) and created.preview_url
    assert isinstance(created.author_user, LimitedUser)
    assert created.author_user.id == client.account.userInfo.id
    assert is_aware(created.created_at)


def test_version_create_needs_an_existing_object(client, project, model):
    with pytest.raises(GraphQLException):
        client.version.create(
            CreateVersionInput(
                object_id="0123456789abcdef0123456789abcdef",
                model_id=model.id,
                project_id=project.id,
            )
        )
    assert client.version.get_versions(model.id, project.id).total_count == 0


def test_version_get(client, project, version):
    result = client.version.get(version.id, project.id)

    assert isinstance(result, Version)
    assert result.id == version.id
    assert result.referenced_object == version.referenced_object
    assert result.message == "first version"
    assert result.source_application == version.source_application
    assert result.preview_url == version.preview_url
    assert result.created_at == version.created_at
    assert result.author_user.id == client.account.userInfo.id


def test_version_get_versions(client, project, model, version):
    second = create_version(client, project.id, model.id, "second version")

    result = client.version.get_versions(model.id, project.id)
    assert isinstance(result, ResourceCollection)
    assert result.total_count == 2
    assert {v.id for v in result.items} == {version.id, second.id}

    only_first = client.version.get_versions(
        model.id,
        project.id,
        filter=ModelVersionsFilter(priority_ids=[version.id], priority_ids_only=True),
    )
    assert [v.id for v in only_first.items] == [version.id]

    with_versions = client.model.get_with_versions(model.id, project.id)
    assert with_versions.versions.total_count == 2
    assert {v.id for v in with_versions.versions.items} == {version.id, second.id}


def test_version_update(client, project, version):
    updated = client.version.update(
        UpdateVersionInput(
            version_id=version.id, project_id=project.id, message="a better message"
        )
    )

    assert isinstance(updated, Version)
    assert updated.id == version.id
    assert updated.message == "a better message"
    assert updated.referenced_object == version.referenced_object
    assert updated.preview_url == version.preview_url
    assert client.version.get(version.id, project.id).message == "a better message"


def test_version_move_to_a_new_model(client, project, model, version):
    moved_to = client.version.move_to_model(
        MoveVersionsInput(
            target_model_name="moved/here", version_ids=[version.id], project_id=project.id
        )
    )

    assert isinstance(moved_to, str) and moved_to != model.id
    target = client.model.get(moved_to, project.id)
    assert target.name == "moved/here"
    assert target.display_name == "here"
    assert [v.id for v in client.version.get_versions(moved_to, project.id).items] == [version.id]
    assert client.version.get_versions(model.id, project.id).total_count == 0
    moved = client.version.get(version.id, project.id)
    assert moved.message == version.message
    assert moved.referenced_object == version.referenced_object

    # Moving to an existing model (by name) answers that model's id.
    back = client.version.move_to_model(
        MoveVersionsInput(
            target_model_name=model.name, version_ids=[version.id], project_id=project.id
        )
    )
    assert back == model.id
    assert [v.id for v in client.version.get_versions(model.id, project.id).items] == [version.id]


def test_version_received(client, project, version):
    received = client.version.received(
        MarkReceivedVersionInput(
            version_id=version.id,
            project_id=project.id,
            source_application="fleck-tests",
            message="received by the specklepy tests",
        )
    )
    assert received is True


def test_version_delete(client, project, model, version):
    delete = DeleteVersionsInput(version_ids=[version.id], project_id=project.id)

    assert client.version.delete(delete) is True

    with pytest.raises(GraphQLException):
        client.version.get(version.id, project.id)
    with pytest.raises(GraphQLException):
        client.version.delete(delete)
    assert client.version.get_versions(model.id, project.id).total_count == 0


# --- invites and collaborators ----------------------------------------------------------------


def invite_by_id(
    client: SpeckleClient, project: Project, invitee: SpeckleClient
) -> ProjectWithTeam:
    return client.project_invite.create(
        project.id,
        ProjectInviteCreateInput(
            email=None, role=None, server_role=None, userId=invitee.account.userInfo.id
        ),
    )


def invite_for(invitee: SpeckleClient, project_id: str) -> PendingStreamCollaborator | None:
    """The invitee's own view of their pending invite to the project (with its token)."""
    invites = invitee.active_user.get_project_invites()
    return next((i for i in invites if i.projectId == project_id), None)


@pytest.fixture
def invite(client, second_client, project) -> PendingStreamCollaborator:
    invite_by_id(client, project, second_client)
    pending = invite_for(second_client, project.id)
    assert pending is not None, "the invitee does not see the invite"
    return pending


def accept(invitee: SpeckleClient, invite: PendingStreamCollaborator) -> bool:
    return invitee.project_invite.use(
        ProjectInviteUseInput(accept=True, project_id=invite.projectId, token=invite.token)
    )


def test_invite_create_by_user_id(client, second_client, project):
    result = invite_by_id(client, project, second_client)

    assert isinstance(result, ProjectWithTeam)
    assert result.id == project.id
    assert [member.user.id for member in result.team] == [client.account.userInfo.id]
    [pending] = result.invited_team
    assert isinstance(pending.user, LimitedUser)
    assert pending.user.id == second_client.account.userInfo.id
    assert pending.role == CONTRIBUTOR
    assert pending.projectId == project.id
    assert pending.project_name == project.name
    assert isinstance(pending.title, str)
    assert pending.invited_by is not None
    assert pending.invited_by.id == client.account.userInfo.id


def test_invitee_sees_the_invite_with_a_token(client, second_client, project, invite):
    assert invite.projectId == project.id
    assert invite.project_name == project.name
    assert invite.role == CONTRIBUTOR
    assert isinstance(invite.token, str) and invite.token
    assert invite.invite_id
    assert invite.user is not None and invite.user.id == second_client.account.userInfo.id
    assert invite.invited_by is not None and invite.invited_by.id == client.account.userInfo.id


def test_invite_get_by_token(second_client, project, invite):
    found = second_client.project_invite.get(project.id, invite.token)

    assert isinstance(found, PendingStreamCollaborator)
    assert found.invite_id == invite.invite_id
    assert found.projectId == project.id
    assert found.user is not None and found.user.id == second_client.account.userInfo.id

    assert second_client.project_invite.get(project.id, "this is not a real token") is None


def test_invite_accept_makes_a_contributor(client, second_client, project, invite):
    assert accept(second_client, invite) is True

    team = client.project.get_with_team(project.id)
    roles = {member.user.id: member.role for member in team.team}
    assert roles == {
        client.account.userInfo.id: OWNER,
        second_client.account.userInfo.id: CONTRIBUTOR,
    }
    assert team.invited_team == []
    assert second_client.project.get(project.id).role == CONTRIBUTOR
    assert invite_for(second_client, project.id) is None


def test_invite_decline_adds_nobody(client, second_client, project, invite):
    declined = second_client.project_invite.use(
        ProjectInviteUseInput(accept=False, project_id=project.id, token=invite.token)
    )

    assert declined is True
    team = client.project.get_with_team(project.id)
    assert [member.user.id for member in team.team] == [client.account.userInfo.id]
    assert team.invited_team == []
    with pytest.raises(GraphQLException):
        second_client.project.get(project.id)


def test_invite_cancel(client, second_client, project, invite):
    result = client.project_invite.cancel(project.id, invite.invite_id)

    assert isinstance(result, ProjectWithTeam)
    assert result.invited_team == []
    assert [member.user.id for member in result.team] == [client.account.userInfo.id]
    assert invite_for(second_client, project.id) is None
    assert second_client.project_invite.get(project.id, invite.token) is None


def test_update_role_changes_and_removes_a_collaborator(client, second_client, project, invite):
    accept(second_client, invite)
    invitee_id = second_client.account.userInfo.id

    reviewer = client.project.update_role(
        ProjectUpdateRoleInput(user_id=invitee_id, project_id=project.id, role=REVIEWER)
    )
    assert isinstance(reviewer, ProjectWithTeam)
    assert {m.user.id: m.role for m in reviewer.team}[invitee_id] == REVIEWER
    assert second_client.project.get(project.id).role == REVIEWER

    removed = client.project.update_role(
        ProjectUpdateRoleInput(user_id=invitee_id, project_id=project.id, role=None)
    )
    assert isinstance(removed, ProjectWithTeam)
    assert [m.user.id for m in removed.team] == [client.account.userInfo.id]
    with pytest.raises(GraphQLException):
        second_client.project.get(project.id)
