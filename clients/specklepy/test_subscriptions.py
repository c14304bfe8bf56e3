"""GraphQL subscriptions through specklepy's `client.subscription.*` (gql's websockets transport
on `ws://…/graphql`, the token in the `connection_init` payload).

Each test subscribes with a client of its own, changes something through another client, and
waits (a few seconds at most) for the message: versions created, updated and deleted
(`projectVersionsUpdated`), models created, updated and deleted, also filtered by model ids
(`projectModelsUpdated`), a project updated and deleted (`projectUpdated`), a project added to
and removed from the user's list (`userProjectsUpdated`). A stranger subscribed to a private
project must receive nothing. The server must answer the websocket upgrade with a subprotocol
gql speaks.

specklepy's subscription methods are coroutines that run until cancelled; pytest here has no
asyncio plugin, so each test drives its own event loop with asyncio.run.
"""

import asyncio
import contextlib
from typing import Any, Callable

import pytest
from conftest import client_for, create_project, create_version, first_message, unique_name
from specklepy.api.client import SpeckleClient
from specklepy.api.enums import (
    ProjectModelsUpdatedMessageType,
    ProjectUpdatedMessageType,
    ProjectVersionsUpdatedMessageType,
    UserProjectsUpdatedMessageType,
)
from specklepy.api.inputs.model_inputs import CreateModelInput, DeleteModelInput, UpdateModelInput
from specklepy.api.inputs.project_inputs import ProjectUpdateInput
from specklepy.api.inputs.version_inputs import DeleteVersionsInput, UpdateVersionInput
from specklepy.api.models import Model, Project, Version
from specklepy.api.resources import SubscriptionResource

VersionsMessage = ProjectVersionsUpdatedMessageType

CONNECT_TIMEOUT = 10.0  # websocket upgrade, connection_ack and the subscription's start
SETTLE = 0.3  # after `start` went out, for the server to register the subscription
QUIET = 1.0  # how long "nothing arrives" is watched

Subscribe = Callable[[SubscriptionResource, Callable[[Any], None]], Any]


class Subscription:
    """One specklepy subscription running in the background, collecting its messages."""

    def __init__(self, listener: SpeckleClient, subscribe: Subscribe) -> None:
        self.listener = listener
        self.messages: list = []
        self.task = asyncio.create_task(subscribe(listener.subscription, self.messages.append))

    def _raise_if_ended(self, when: str) -> None:
        if self.task.done():
            self.task.result()  # re-raises whatever ended it
            raise AssertionError(f"the subscription ended {when}")

    async def started(self) -> None:
        """Returns once gql has sent the subscription (it then keeps a listener for it)."""
        transport = self.listener.wsclient.transport
        if not hasattr(transport, "listeners"):  # a gql without that bookkeeping: just wait
            await asyncio.sleep(1.0)
            self._raise_if_ended("before it started")
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONNECT_TIMEOUT
        while not transport.listeners:
            self._raise_if_ended("before it started")
            if loop.time() > deadline:
                raise AssertionError(f"the subscription did not start in {CONNECT_TIMEOUT}s")
            await asyncio.sleep(0.02)
        await asyncio.sleep(SETTLE)

    async def expect(self, what: str, predicate: Callable[[Any], bool]) -> Any:
        """The first message received so far, or within MESSAGE_TIMEOUT, that matches."""
        return await first_message(
            what, self.messages, predicate, lambda: self._raise_if_ended(f"while waiting for {what}")
        )

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


@contextlib.asynccontextmanager
async def subscribed(url: str, token: str, subscribe: Subscribe):
    """Subscribes with a fresh client (gql allows one session per client) and yields once the
    subscription is live; cancels it on the way out."""
    listener = client_for(url, token)
    subscription = Subscription(listener, subscribe)
    try:
        await subscription.started()
        yield subscription
    finally:
        await subscription.stop()


def run(scenario) -> None:
    asyncio.run(scenario())


def later(function, *args, **kwargs):
    """Runs a blocking specklepy call off the event loop, so messages keep flowing."""
    return asyncio.to_thread(function, *args, **kwargs)


def test_server_picks_a_subprotocol(url, user):
    async def scenario():
        async with subscribed(
            url, user.token, lambda s, callback: s.user_projects_updated(callback)
        ) as subscription:
            headers = subscription.listener.wsclient.transport.response_headers
            # Header names are case-insensitive; the transport keeps them as received.
            chosen = {k.lower(): v for k, v in dict(headers).items()}.get("sec-websocket-protocol")
            assert chosen in ("graphql-ws", "graphql-transport-ws")

    run(scenario)


def test_project_versions_updated(url, user, client, project, model):
    async def scenario():
        async with subscribed(
            url, user.token, lambda s, callback: s.project_versions_updated(callback, project.id)
        ) as subscription:
            version = await later(create_version, client, project.id, model.id, "seen live")
            created = await subscription.expect(
                "CREATED message",
                lambda m: m.id == version.id and m.type == VersionsMessage.CREATED,
            )
            assert created.model_id == model.id
            assert isinstance(created.version, Version)
            assert created.version.id == version.id
            assert created.version.message == "seen live"
            assert created.version.referenced_object == version.referenced_object

            await later(
                client.version.update,
                UpdateVersionInput(version_id=version.id, project_id=project.id, message="edited"),
            )
            updated = await subscription.expect(
                "UPDATED message",
                lambda m: m.id == version.id and m.type == VersionsMessage.UPDATED,
            )
            assert updated.model_id == model.id
            assert updated.version is not None and updated.version.message == "edited"

            await later(
                client.version.delete,
                DeleteVersionsInput(version_ids=[version.id], project_id=project.id),
            )
            deleted = await subscription.expect(
                "DELETED message",
                lambda m: m.id == version.id and m.type == VersionsMessage.DELETED,
            )
            assert deleted.model_id == model.id

    run(scenario)


def test_project_models_updated(url, user, client, project):
    async def scenario():
        async with subscribed(
            url, user.token, lambda s, callback: s.project_models_updated(callback, project.id)
        ) as subscription:
            model = await later(
                client.model.create,
                CreateModelInput(name="live/model", description="fresh", project_id=project.id),
            )
            created = await subscription.expect(
                "CREATED message",
                lambda m: m.id == model.id and m.type == ProjectModelsUpdatedMessageType.CREATED,
            )
            assert isinstance(created.model, Model)
            assert created.model.name == "live/model"
            assert created.model.display_name == "model"

            await later(
                client.model.update,
                UpdateModelInput(id=model.id, description="changed", project_id=project.id),
            )
            updated = await subscription.expect(
                "UPDATED message",
                lambda m: m.id == model.id and m.type == ProjectModelsUpdatedMessageType.UPDATED,
            )
            assert updated.model is not None and updated.model.description == "changed"

            await later(client.model.delete, DeleteModelInput(id=model.id, project_id=project.id))
            await subscription.expect(
                "DELETED message",
                lambda m: m.id == model.id and m.type == ProjectModelsUpdatedMessageType.DELETED,
            )

    run(scenario)


def test_project_models_updated_for_some_models(url, user, client, project):
    def create(name: str) -> Model:
        return client.model.create(
            CreateModelInput(name=name, description=None, project_id=project.id)
        )

    watched, ignored = create("watched"), create("ignored")

    async def scenario():
        async with subscribed(
            url,
            user.token,
            lambda s, callback: s.project_models_updated(callback, project.id, [watched.id]),
        ) as subscription:
            for target in (ignored, watched):
                await later(
                    client.model.update,
                    UpdateModelInput(id=target.id, description="touched", project_id=project.id),
                )
            await subscription.expect(
                "UPDATED message for the watched model",
                lambda m: m.id == watched.id and m.type == ProjectModelsUpdatedMessageType.UPDATED,
            )
            assert all(m.id == watched.id for m in subscription.messages), subscription.messages

    run(scenario)


def test_project_updated(url, user, client):
    project = create_project(client)
    new_name = unique_name("Renamed live")

    async def scenario():
        async with subscribed(
            url, user.token, lambda s, callback: s.project_updated(callback, project.id)
        ) as subscription:
            await later(client.project.update, ProjectUpdateInput(id=project.id, name=new_name))
            updated = await subscription.expect(
                "UPDATED message",
                lambda m: m.id == project.id and m.type == ProjectUpdatedMessageType.UPDATED,
            )
            assert isinstance(updated.project, Project)
            assert updated.project.name == new_name

            await later(client.project.delete, project.id)
            await subscription.expect(
                "DELETED message",
                lambda m: m.id == project.id and m.type == ProjectUpdatedMessageType.DELETED,
            )

    run(scenario)


def test_user_projects_updated(url, user, client):
    name = unique_name("Added live")

    async def scenario():
        async with subscribed(
            url, user.token, lambda s, callback: s.user_projects_updated(callback)
        ) as subscription:
            project = await later(create_project, client, name=name)
            added = await subscription.expect(
                "ADDED message",
                lambda m: m.id == project.id and m.type == UserProjectsUpdatedMessageType.ADDED,
            )
            assert isinstance(added.project, Project)
            assert added.project.name == name

            await later(client.project.delete, project.id)
            await subscription.expect(
                "REMOVED message",
                lambda m: m.id == project.id and m.type == UserProjectsUpdatedMessageType.REMOVED,
            )

    run(scenario)


def test_stranger_hears_nothing_from_a_private_project(url, second_user, client, project, model):
    async def scenario():
        listener = client_for(url, second_user.token)
        subscription = Subscription(
            listener, lambda s, callback: s.project_versions_updated(callback, project.id)
        )
        try:
            # The server may refuse the subscription outright (the task then ends with an
            # error) or accept it and filter; either way nothing may come through.
            with contextlib.suppress(Exception):
                await subscription.started()
            await later(create_version, client, project.id, model.id, "secret")
            await asyncio.sleep(QUIET)
            assert subscription.messages == []
        finally:
            await subscription.stop()

    run(scenario)
