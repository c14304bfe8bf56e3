"""Two `fleck serve` replicas sharing PostgreSQL and Redis (scripts/test.sh starts the second
one for the production backend set and names it in FLECK_REPLICA_URL): a subscription opened on
one replica hears about a version and a model created through the other, and what one replica
stored the other serves."""

import os

from conftest import client_for, create_model, create_project, create_version, send_object, unique_name
from specklepy.api.enums import ProjectVersionsUpdatedMessageType
from specklepy.api.inputs.model_inputs import CreateModelInput
from test_subscriptions import later, run, subscribed


def replica_url() -> str:
    url = os.environ.get("FLECK_REPLICA_URL")
    assert url, "FLECK_REPLICA_URL must name a second replica (scripts/test.sh starts one)"
    return url.rstrip("/")


def test_a_subscriber_on_one_replica_hears_changes_made_on_the_other(url, user, client):
    other = replica_url()
    project = create_project(client)
    model = client.model.create(
        CreateModelInput(name=unique_name("replicated"), description=None, project_id=project.id)
    )

    async def scenario():
        async with subscribed(
            other, user.token, lambda s, callback: s.project_versions_updated(callback, project.id)
        ) as subscription:
            version = await later(create_version, client, project.id, model.id, "across replicas")
            message = await subscription.expect(
                "CREATED message from the other replica",
                lambda m: m.id == version.id
                and m.type == ProjectVersionsUpdatedMessageType.CREATED,
            )
            assert message.version is not None
            assert message.version.message == "across replicas"

    run(scenario)


def test_what_one_replica_stores_the_other_serves(url, user, client):
    other = client_for(replica_url(), user.token)
    project = create_project(client)
    create_model(client, project.id)
    object_id = send_object(client, project.id)
    fetched = other.project.get(project.id)
    assert fetched.id == project.id
    main = [m for m in other.model.get_models(project.id).items if m.name == "main"][0]
    version = create_version(other, project.id, main.id, "sent to the other", object_id)
    assert client.version.get(version.id, project.id).referenced_object == object_id
