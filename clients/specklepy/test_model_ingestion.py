"""Speckle's current send API, model ingestions, through specklepy 2026.9's
`client.model_ingestion` and `client.subscription.project_model_ingestion_updated`.

The lifecycle as the clients follow it: `create` (processing, a version id reserved), progress
reports, `requeue`/`start_processing`, a cancellation request, and the endings (`complete`
creates the version under the reserved id, `fail_with_error`, `fail_with_cancel`). A finished
ingestion changes no more, a reader cannot start one, and subscribers hear each change with
the right message type.
"""

import time
from pathlib import Path

import pytest
import requests
from conftest import send_object
from specklepy.api.inputs.file_import_inputs import (
    GenerateFileUploadUrlInput,
    StartFileImportInput,
)
from specklepy.api.enums import ProjectModelIngestionUpdatedMessageType as MessageType
from specklepy.api.inputs.model_ingestion_inputs import (
    ModelIngestionCancelledInput,
    ModelIngestionCreateInput,
    ModelIngestionFailedInput,
    ModelIngestionReference,
    ModelIngestionRequestCancellationInput,
    ModelIngestionRequeueInput,
    ModelIngestionStartProcessingInput,
    ModelIngestionSuccessInput,
    ModelIngestionUpdateInput,
    ProjectModelIngestionSubscriptionInput,
    SourceDataInput,
)
from specklepy.logging.exceptions import GraphQLException, SpeckleException
from test_subscriptions import later, run, subscribed

SOURCE = SourceDataInput(
    source_application_slug="specklepy",
    source_application_version="2026.9.1",
    file_name=None,
    file_size_bytes=None,
)


def create(client, project, model, message="starting"):
    return client.model_ingestion.create(
        ModelIngestionCreateInput(
            model_id=model.id,
            project_id=project.id,
            progress_message=message,
            source_data=SOURCE,
            max_idle_timeout_seconds=None,
        )
    )


def test_create_reserves_a_version_and_processes(client, user, project, model):
    ingestion = create(client, project, model)
    assert ingestion.status_data.status.value == "processing"
    assert ingestion.status_data.progress_message == "starting"
    assert ingestion.cancellation_requested is False
    assert ingestion.model_id == model.id
    assert ingestion.project_id == project.id
    reserved = client.model_ingestion.get_reserved_version_id(project.id, ingestion.id)
    assert reserved
    fetched = client.model_ingestion.get_ingestion(project.id, ingestion.id)
    assert fetched.id == ingestion.id
    assert fetched.user_id == ingestion.user_id


def test_progress_requeue_and_start_processing(client, project, model):
    ingestion = create(client, project, model)
    updated = client.model_ingestion.update_progress(
        ModelIngestionUpdateInput(
            ingestion_id=ingestion.id,
            project_id=project.id,
            progress=0.5,
            progress_message="half way",
        )
    )
    assert updated.status_data.status.value == "processing"
    assert updated.status_data.progress_message == "half way"
    queued = client.model_ingestion.requeue(
        ModelIngestionRequeueInput(
            ingestion_id=ingestion.id, project_id=project.id, progress_message="again"
        )
    )
    assert queued.status_data.status.value == "queued"
    started = client.model_ingestion.start_processing(
        ModelIngestionStartProcessingInput(
            ingestion_id=ingestion.id,
            project_id=project.id,
            progress_message="working",
            source_data=SOURCE,
        )
    )
    assert started.status_data.status.value == "processing"


def test_complete_creates_the_reserved_version(client, project, model):
    ingestion = create(client, project, model)
    reserved = client.model_ingestion.get_reserved_version_id(project.id, ingestion.id)
    root = send_object(client, project.id)
    version_id = client.model_ingestion.complete(
        ModelIngestionSuccessInput(
            ingestion_id=ingestion.id,
            project_id=project.id,
            root_object_id=root,
            version_message="sent through an ingestion",
        )
    )
    assert version_id == reserved
    version = client.version.get(version_id, project.id)
    assert version.referenced_object == root
    assert version.message == "sent through an ingestion"
    done = client.model_ingestion.get_ingestion(project.id, ingestion.id)
    assert done.status_data.status.value == "success"
    # A finished ingestion changes no more.
    with pytest.raises((GraphQLException, SpeckleException)):
        client.model_ingestion.fail_with_error(
            ModelIngestionFailedInput(
                ingestion_id=ingestion.id,
                project_id=project.id,
                error_reason="too late",
                error_stacktrace=None,
            )
        )


def test_failing_and_cancelling(client, project, model):
    failed = client.model_ingestion.fail_with_error(
        ModelIngestionFailedInput(
            ingestion_id=create(client, project, model).id,
            project_id=project.id,
            error_reason="the model was broken",
            error_stacktrace="Traceback …",
        )
    )
    assert failed.status_data.status.value == "failed"
    ingestion = create(client, project, model)
    asked = client.model_ingestion.request_cancellation(
        ModelIngestionRequestCancellationInput(
            ingestion_id=ingestion.id, project_id=project.id, cancellation_message="stop"
        )
    )
    assert asked.cancellation_requested is True
    assert asked.status_data.status.value == "processing"
    cancelled = client.model_ingestion.fail_with_cancel(
        ModelIngestionCancelledInput(
            ingestion_id=ingestion.id, project_id=project.id, cancellation_message="stopped"
        )
    )
    assert cancelled.status_data.status.value == "cancelled"


def test_unknown_ingestions_and_strangers_are_refused(client, second_client, project, model):
    with pytest.raises((GraphQLException, SpeckleException)):
        client.model_ingestion.get_ingestion(project.id, "nosuchingestion")
    with pytest.raises((GraphQLException, SpeckleException)):
        create(second_client, project, model)
    assert client.model.can_create_model_ingestion(project.id, model.id).authorized
    with pytest.raises((GraphQLException, SpeckleException)):
        second_client.model.can_create_model_ingestion(project.id, model.id)


def test_subscribers_hear_each_change(url, user, client, project, model):
    async def scenario():
        def subscribe(s, callback):
            return s.project_model_ingestion_updated(
                callback,
                ProjectModelIngestionSubscriptionInput(
                    project_id=project.id,
                    ingestion_reference=ModelIngestionReference(
                        ingestion_id=None, model_id=model.id
                    ),
                    message_type=None,
                ),
            )

        async with subscribed(url, user.token, subscribe) as subscription:
            ingestion = await later(create, client, project, model)
            await subscription.expect(
                "created",
                lambda m: m.model_ingestion.id == ingestion.id and m.type == MessageType.CREATED,
            )
            await later(
                client.model_ingestion.update_progress,
                ModelIngestionUpdateInput(
                    ingestion_id=ingestion.id,
                    project_id=project.id,
                    progress=None,
                    progress_message="still going",
                ),
            )
            await subscription.expect(
                "the progress update",
                lambda m: m.type == MessageType.UPDATED
                and m.model_ingestion.status_data.progress_message == "still going",
            )
            assert not any(m.type == MessageType.CANCELLATION_REQUESTED for m in subscription.messages)
            await later(
                client.model_ingestion.request_cancellation,
                ModelIngestionRequestCancellationInput(
                    ingestion_id=ingestion.id, project_id=project.id, cancellation_message="stop"
                ),
            )
            asked = await subscription.expect(
                "the cancellation request",
                lambda m: m.type == MessageType.CANCELLATION_REQUESTED,
            )
            assert asked.model_ingestion.cancellation_requested is True

    run(scenario)


FIXTURES = Path(__file__).resolve().parents[2] / "workers" / "tests" / "fixtures"


def ended(client, project_id, ingestion_id, timeout=60.0):
    """The ingestion once it has ended (Fleck's importer runs in the server's workers)."""
    deadline = time.monotonic() + timeout
    while True:
        ingestion = client.model_ingestion.get_ingestion(project_id, ingestion_id)
        if ingestion.status_data.status.value not in ("queued", "processing"):
            return ingestion
        assert time.monotonic() < deadline, f"the ingestion did not end: {ingestion!r}"
        time.sleep(0.2)


def start_file_ingestion(client, project, model, path: Path):
    target = client.file_import.generate_upload_url(
        GenerateFileUploadUrlInput(project_id=project.id, file_name=path.name)
    )
    uploaded = client.file_import.upload_file(path, target.url)
    return client.file_import.start_file_ingestion(
        StartFileImportInput(
            project_id=project.id,
            model_id=model.id,
            file_id=target.file_id,
            etag=uploaded.etag,
        )
    )


def test_an_ifc_file_ingestion_becomes_the_reserved_version(client, project, model):
    ingestion = start_file_ingestion(client, project, model, FIXTURES / "small_house.ifc")
    reserved = client.model_ingestion.get_reserved_version_id(project.id, ingestion.id)
    done = ended(client, project.id, ingestion.id)
    assert done.status_data.status.value == "success", done
    assert done.status_data.version_id == reserved
    version = client.version.get(reserved, project.id)
    assert version.referenced_object


def test_a_broken_file_ingestion_fails_with_the_reason(url, user, client, project, model, tmp_path):
    broken = tmp_path / "broken.ifc"
    broken.write_text("ISO-10303-21;\nthis is not IFC\n")
    ingestion = start_file_ingestion(client, project, model, broken)
    done = ended(client, project.id, ingestion.id)
    assert done.status_data.status.value == "failed", done
    answer = requests.post(
        f"{url}/graphql",
        json={
            "query": "query($p: String!, $i: ID!) { project(id: $p) { ingestion(id: $i) {"
            " statusData { ... on ModelIngestionFailedStatus { errorReason } } } } }",
            "variables": {"p": project.id, "i": ingestion.id},
        },
        headers={"Authorization": f"Bearer {user.token}"},
        timeout=30,
    ).json()
    assert answer["data"]["project"]["ingestion"]["statusData"]["errorReason"], answer
