"""Speckle's current send API, model ingestions, through specklepy 2026.9's
`client.model_ingestion` and `client.subscription.project_model_ingestion_updated`.

The lifecycle as the clients follow it: `create` (processing, a version id reserved), progress
reports, `requeue`/`start_processing`, a cancellation request, and the endings (`complete`
creates the version under the reserved id, `fail_with_error`, `fail_with_cancel`). A finished
ingestion changes no more, a reader cannot start one, and subscribers hear each change with
the right message type.
"""

import pytest
from conftest import create_project, send_object
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
from specklepy.api.inputs.model_inputs import CreateModelInput
from specklepy.logging.exceptions import GraphQLException, SpeckleException
from test_subscriptions import later, run, subscribed

SOURCE = SourceDataInput(
    source_application_slug="specklepy",
    source_application_version="2026.9.1",
    file_name=None,
    file_size_bytes=None,
)


@pytest.fixture
def project(client):
    return create_project(client)


@pytest.fixture
def model(client, project):
    return client.model.create(
        CreateModelInput(name="ingested", description=None, project_id=project.id)
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
