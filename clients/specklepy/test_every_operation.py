"""One test per specklepy resource method of clients.md §4, each called through specklepy's real
client method, so that every GraphQL operation specklepy sends is sent to `fleck serve` at least
once. Success is asserted with a plausible result, except where clients.md §6 says a server
without workspaces must refuse: the workspace operations, `project.create_in_workspace` and
`active_user.get_workspaces` raise some GraphQL error, and `active_user.get_active_workspace`
returns None.

The four non-ingestion subscriptions are covered by test_subscriptions.py; the ingestion API
(model_ingestion.*, the ingestion subscription, `file_import.start_file_ingestion`) by
test_model_ingestion.py and test_bundles.py. The file imports below are finished through
`finish_file_import_job` as an external converter would.
"""

import uuid

import pytest
from conftest import create_project, create_version, send_object, unique_name
from specklepy.api.enums import ProjectVisibility
from specklepy.api.inputs.file_import_inputs import (
    FileImportErrorInput,
    FileImportResult,
    FileImportSuccessInput,
    GenerateFileUploadUrlInput,
    StartFileImportInput,
)
from specklepy.api.inputs.model_inputs import (
    CreateModelInput,
    DeleteModelInput,
    UpdateModelInput,
)
from specklepy.api.inputs.project_inputs import (
    ProjectCreateInput,
    ProjectInviteCreateInput,
    ProjectInviteUseInput,
    ProjectUpdateInput,
    ProjectUpdateRoleInput,
    WorkspaceProjectCreateInput,
)
from specklepy.api.inputs.user_inputs import UserUpdateInput
from specklepy.api.inputs.version_inputs import (
    DeleteVersionsInput,
    MarkReceivedVersionInput,
    MoveVersionsInput,
    UpdateVersionInput,
)
from specklepy.logging.exceptions import SpeckleException

OWNER = "stream:owner"
CONTRIBUTOR = "stream:contributor"
REVIEWER = "stream:reviewer"
NO_WORKSPACE = "no-such-workspace"


@pytest.fixture(scope="module")
def project(client):
    return create_project(client)


@pytest.fixture(scope="module")
def model(client, project):
    return client.model.create(
        CreateModelInput(name=unique_name("model"), description="a model", project_id=project.id)
    )


@pytest.fixture(scope="module")
def version(client, project, model):
    return create_version(client, project.id, model.id, message="first")


def fresh_version(client, project, model):
    return create_version(client, project.id, model.id, message="throw-away")


def invite(client, second_client, project_id):
    """Invites the second user by id and returns the invitee's pending invite (with token)."""
    client.project_invite.create(
        project_id,
        ProjectInviteCreateInput(
            email=None, role=None, server_role=None, userId=second_client.account.userInfo.id
        ),
    )
    pending = [i for i in second_client.active_user.get_project_invites() if i.projectId == project_id]
    assert pending, "the invitee does not see the invite"
    return pending[0]


# --- server ----------------------------------------------------------------------------------


def test_server_get(client):
    info = client.server.get()
    assert info.name
    assert info.workspaces is not None and info.workspaces.workspaces_enabled is False


def test_server_version(client):
    version = client.server.version()
    assert isinstance(version, tuple) and len(version) >= 3


def test_server_apps(client):
    apps = client.server.apps()
    assert isinstance(apps, list)
    assert all("id" in app and "name" in app for app in apps)


def test_server_create_token(client):
    token = client.server.create_token(
        name=f"every-op-{uuid.uuid4().hex[:8]}", scopes=["streams:read"], lifespan=3600 * 1000
    )
    assert isinstance(token, str) and token


def test_server_revoke_token(client):
    token = client.server.create_token(
        name=f"every-op-{uuid.uuid4().hex[:8]}", scopes=["streams:read"], lifespan=3600 * 1000
    )
    assert client.server.revoke_token(token) is True


# --- active_user -----------------------------------------------------------------------------


def test_active_user_get(client, user):
    me = client.active_user.get()
    assert me is not None and me.email == user.email and me.id == client.account.userInfo.id


def test_active_user_update(client):
    bio = f"bio {uuid.uuid4().hex[:8]}"
    me = client.active_user.update(UserUpdateInput(bio=bio))
    assert me.bio == bio and me.id == client.account.userInfo.id


def test_active_user_get_projects(client, project):
    projects = client.active_user.get_projects(limit=100)
    assert projects.total_count >= 1
    assert project.id in [p.id for p in projects.items]


def test_active_user_get_project_invites(client, second_client):
    fresh = create_project(client)
    pending = invite(client, second_client, fresh.id)
    assert pending.projectId == fresh.id and pending.token


def test_active_user_can_create_personal_projects(client):
    result = client.active_user.can_create_personal_projects()
    assert result.authorized is True and result.code


def test_active_user_get_workspaces(client):
    with pytest.raises(SpeckleException):
        client.active_user.get_workspaces()


def test_active_user_get_active_workspace(client):
    assert client.active_user.get_active_workspace() is None


def test_active_user_get_projects_with_permissions(client, project):
    projects = client.active_user.get_projects_with_permissions(limit=100)
    [mine] = [p for p in projects.items if p.id == project.id]
    assert mine.permissions.can_load.authorized is True
    assert mine.permissions.can_create_model.authorized is True


# --- other_user ------------------------------------------------------------------------------


def test_other_user_get(client, second_client, second_user):
    other = client.other_user.get(second_client.account.userInfo.id)
    assert other is not None and other.id == second_client.account.userInfo.id
    assert other.name == second_user.name


def test_other_user_user_search(client, second_client, second_user):
    found = client.other_user.user_search(second_user.email, limit=10)
    assert second_client.account.userInfo.id in [u.id for u in found.items]


# --- project ---------------------------------------------------------------------------------


def test_project_get(client, project):
    got = client.project.get(project.id)
    assert got.id == project.id and got.name == project.name and got.role == OWNER


def test_project_get_permissions(client, project):
    perms = client.project.get_permissions(project.id)
    assert perms.can_load.authorized and perms.can_delete.authorized
    assert perms.can_create_model.authorized


def test_project_get_with_models(client, project, model):
    got = client.project.get_with_models(project.id, models_limit=100)
    assert got.id == project.id
    assert model.id in [m.id for m in got.models.items]


def test_project_get_with_team(client, project):
    got = client.project.get_with_team(project.id)
    assert [(m.user.id, m.role) for m in got.team] == [(client.account.userInfo.id, OWNER)]


def test_project_create(client):
    name = unique_name("every-op project")
    created = client.project.create(
        ProjectCreateInput(name=name, description="d", visibility=ProjectVisibility.PUBLIC)
    )
    assert created.id and created.name == name and created.role == OWNER
    assert created.visibility == ProjectVisibility.PUBLIC and created.workspace_id is None


def test_project_create_in_workspace(client):
    with pytest.raises(SpeckleException):
        client.project.create_in_workspace(
            WorkspaceProjectCreateInput(
                name=unique_name("ws project"),
                description=None,
                visibility=None,
                workspaceId=NO_WORKSPACE,
            )
        )


def test_project_update(client):
    fresh = create_project(client)
    name = unique_name("renamed")
    updated = client.project.update(ProjectUpdateInput(id=fresh.id, name=name, description="new"))
    assert updated.id == fresh.id and updated.name == name and updated.description == "new"


def test_project_delete(client):
    fresh = create_project(client)
    assert client.project.delete(fresh.id) is True
    with pytest.raises(SpeckleException):
        client.project.get(fresh.id)


def test_project_update_role(client, second_client):
    fresh = create_project(client)
    pending = invite(client, second_client, fresh.id)
    assert second_client.project_invite.use(
        ProjectInviteUseInput(accept=True, project_id=fresh.id, token=pending.token)
    )
    second_id = second_client.account.userInfo.id
    result = client.project.update_role(
        ProjectUpdateRoleInput(user_id=second_id, project_id=fresh.id, role=REVIEWER)
    )
    roles = {m.user.id: m.role for m in result.team}
    assert roles[second_id] == REVIEWER


# --- model -----------------------------------------------------------------------------------


def test_model_get(client, project, model):
    got = client.model.get(model.id, project.id)
    assert got.id == model.id and got.name == model.name


def test_model_get_with_versions(client, project, model, version):
    got = client.model.get_with_versions(model.id, project.id, versions_limit=10)
    assert got.id == model.id and version.id in [v.id for v in got.versions.items]


def test_model_get_models(client, project, model):
    models = client.model.get_models(project.id, models_limit=100)
    assert model.id in [m.id for m in models.items] and models.total_count >= 1


def test_model_create(client, project):
    name = unique_name("created/nested")
    created = client.model.create(CreateModelInput(name=name, project_id=project.id))
    assert created.id and created.name.lower() == name.lower()


def test_model_delete(client, project):
    doomed = client.model.create(CreateModelInput(name=unique_name("doomed"), project_id=project.id))
    assert client.model.delete(DeleteModelInput(id=doomed.id, project_id=project.id)) is True


def test_model_update(client, project):
    target = client.model.create(CreateModelInput(name=unique_name("old"), project_id=project.id))
    name = unique_name("new")
    updated = client.model.update(
        UpdateModelInput(id=target.id, name=name, description="changed", project_id=project.id)
    )
    assert updated.id == target.id and updated.description == "changed"


def test_model_get_permissions(client, project, model):
    perms = client.model.get_permissions(project.id, model.id)
    assert perms.can_update.authorized and perms.can_delete.authorized
    assert perms.can_create_version.authorized


def test_model_can_create_model_ingestion(client, project, model):
    assert client.model.can_create_model_ingestion(project.id, model.id).authorized


# --- version ---------------------------------------------------------------------------------


def test_version_get(client, project, version):
    got = client.version.get(version.id, project.id)
    assert got.id == version.id and got.referenced_object == version.referenced_object
    assert got.author_user is not None and got.author_user.id == client.account.userInfo.id


def test_version_get_versions(client, project, model, version):
    versions = client.version.get_versions(model.id, project.id, limit=10)
    assert version.id in [v.id for v in versions.items] and versions.total_count >= 1


def test_version_create(client, project, model):
    object_id = send_object(client, project.id)
    created = create_version(client, project.id, model.id, message="made", object_id=object_id)
    assert created.id and created.referenced_object == object_id and created.message == "made"


def test_version_update(client, project, model):
    target = fresh_version(client, project, model)
    updated = client.version.update(
        UpdateVersionInput(version_id=target.id, project_id=project.id, message="edited")
    )
    assert updated.id == target.id and updated.message == "edited"


def test_version_move_to_model(client, project, model):
    target = fresh_version(client, project, model)
    name = unique_name("moved")
    moved_to = client.version.move_to_model(
        MoveVersionsInput(target_model_name=name, version_ids=[target.id], project_id=project.id)
    )
    assert isinstance(moved_to, str) and moved_to
    assert client.model.get(moved_to, project.id).name == name


def test_version_delete(client, project, model):
    target = fresh_version(client, project, model)
    assert (
        client.version.delete(DeleteVersionsInput(version_ids=[target.id], project_id=project.id))
        is True
    )
    with pytest.raises(SpeckleException):
        client.version.get(target.id, project.id)


def test_version_received(client, project, version):
    assert (
        client.version.received(
            MarkReceivedVersionInput(
                version_id=version.id, project_id=project.id, source_application="py", message="ok"
            )
        )
        is True
    )


# --- project_invite --------------------------------------------------------------------------


def test_project_invite_create(client, second_client):
    fresh = create_project(client)
    result = client.project_invite.create(
        fresh.id,
        ProjectInviteCreateInput(
            email=None, role=None, server_role=None, userId=second_client.account.userInfo.id
        ),
    )
    assert result.id == fresh.id
    assert [i.user.id for i in result.invited_team] == [second_client.account.userInfo.id]


def test_project_invite_use(client, second_client):
    fresh = create_project(client)
    pending = invite(client, second_client, fresh.id)
    assert (
        second_client.project_invite.use(
            ProjectInviteUseInput(accept=True, project_id=fresh.id, token=pending.token)
        )
        is True
    )
    assert second_client.project.get(fresh.id).role == CONTRIBUTOR


def test_project_invite_get(client, second_client):
    fresh = create_project(client)
    pending = invite(client, second_client, fresh.id)
    found = second_client.project_invite.get(fresh.id, pending.token)
    assert found is not None and found.invite_id == pending.invite_id
    assert found.projectId == fresh.id


def test_project_invite_cancel(client, second_client):
    fresh = create_project(client)
    pending = invite(client, second_client, fresh.id)
    result = client.project_invite.cancel(fresh.id, pending.invite_id)
    assert result.id == fresh.id and result.invited_team == []


# --- workspace (disabled on Fleck: every call must raise) ------------------------------------


def test_workspace_get(client):
    with pytest.raises(SpeckleException):
        client.workspace.get(NO_WORKSPACE)


def test_workspace_get_projects(client):
    with pytest.raises(SpeckleException):
        client.workspace.get_projects(NO_WORKSPACE)


def test_workspace_get_projects_with_permissions(client):
    with pytest.raises(SpeckleException):
        client.workspace.get_projects_with_permissions(NO_WORKSPACE)


# --- file_import -----------------------------------------------------------------------------


def test_file_import_generate_upload_url(client, project):
    result = client.file_import.generate_upload_url(
        GenerateFileUploadUrlInput(project_id=project.id, file_name="model.ifc")
    )
    assert result.file_id and result.url.startswith("http")


def upload(client, project_id, tmp_path, name="box.obj", content=b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"):
    """Uploads a file the way specklepy's importers do; returns its id and ETag."""
    source = tmp_path / name
    source.write_bytes(content)
    target = client.file_import.generate_upload_url(
        GenerateFileUploadUrlInput(project_id=project_id, file_name=name)
    )
    etag = client.file_import.upload_file(source, target.url).etag
    return target.file_id, etag


def start_import(client, project, model, tmp_path):
    file_id, etag = upload(client, project.id, tmp_path)
    return client.file_import.start_file_import(
        StartFileImportInput(project_id=project.id, model_id=model.id, file_id=file_id, etag=etag)
    )


def result(version_id=None):
    return FileImportResult(
        duration_seconds=1.5,
        download_duration_seconds=0.25,
        parse_duration_seconds=1.0,
        parser="test-converter",
        version_id=version_id,
    )


def test_file_import_start_file_import(client, project, model, tmp_path):
    job = start_import(client, project, model, tmp_path)
    assert job.project_id == project.id and job.model_id == model.id
    assert job.user_id == client.account.userInfo.id
    assert job.converted_status == 0 and job.converted_version_id is None


def test_file_import_start_twice_returns_the_same_import(client, project, model, tmp_path):
    file_id, etag = upload(client, project.id, tmp_path)
    start = StartFileImportInput(project_id=project.id, model_id=model.id, file_id=file_id, etag=etag)
    first = client.file_import.start_file_import(start)
    again = client.file_import.start_file_import(start)
    assert again.id == first.id


def test_file_import_refuses_a_wrong_etag(client, project, model, tmp_path):
    file_id, _ = upload(client, project.id, tmp_path)
    with pytest.raises(SpeckleException, match="ETag"):
        client.file_import.start_file_import(
            StartFileImportInput(
                project_id=project.id, model_id=model.id, file_id=file_id, etag='"not-the-etag"'
            )
        )


def test_file_import_refuses_a_reader(client, second_client, tmp_path):
    project = create_project(client, visibility=ProjectVisibility.PUBLIC)
    model = client.model.create(CreateModelInput(name="imports", description=None, project_id=project.id))
    file_id, etag = upload(client, project.id, tmp_path)
    with pytest.raises(SpeckleException):
        second_client.file_import.start_file_import(
            StartFileImportInput(project_id=project.id, model_id=model.id, file_id=file_id, etag=etag)
        )


def test_file_import_finish_file_import_job_success(client, project, model, tmp_path):
    job = start_import(client, project, model, tmp_path)
    created = fresh_version(client, project, model)
    done = client.file_import.finish_file_import_job(
        FileImportSuccessInput(
            project_id=project.id, job_id=job.id, warnings=["2 faces skipped"], result=result(created.id)
        )
    )
    assert done is True
    jobs = client.file_import.get_model_file_import_jobs(project_id=project.id, model_id=model.id)
    finished = next(j for j in jobs.items if j.id == job.id)
    assert finished.converted_status == 2
    assert finished.converted_version_id == created.id
    assert finished.converted_message == "2 faces skipped"
    assert finished.updated_at >= job.updated_at


def test_file_import_finish_file_import_job_error(client, project, model, tmp_path):
    job = start_import(client, project, model, tmp_path)
    client.file_import.finish_file_import_job(
        FileImportErrorInput(
            project_id=project.id, job_id=job.id, result=result(), reason="not an OBJ file"
        )
    )
    jobs = client.file_import.get_model_file_import_jobs(project_id=project.id, model_id=model.id)
    failed = next(j for j in jobs.items if j.id == job.id)
    assert failed.converted_status == 3 and failed.converted_message == "not an OBJ file"


def test_file_import_finish_needs_a_version_of_the_project(client, project, model, tmp_path):
    job = start_import(client, project, model, tmp_path)
    with pytest.raises(SpeckleException):
        client.file_import.finish_file_import_job(
            FileImportSuccessInput(project_id=project.id, job_id=job.id, result=result("nope"))
        )


def test_file_import_get_model_file_import_jobs(client, project, tmp_path):
    model = client.model.create(CreateModelInput(name=unique_name("jobs"), description=None, project_id=project.id))
    started = [start_import(client, project, model, tmp_path).id for _ in range(3)]
    first = client.file_import.get_model_file_import_jobs(project_id=project.id, model_id=model.id, limit=2)
    assert first.total_count == 3 and len(first.items) == 2 and first.cursor
    rest = client.file_import.get_model_file_import_jobs(
        project_id=project.id, model_id=model.id, limit=2, cursor=first.cursor
    )
    listed = [j.id for j in first.items + rest.items]
    assert listed == list(reversed(started))

