"""Version compare with versions sent by specklepy.

specklepy has no resource for Fleck's `Project.versionDiff`, so the diff is read with raw GraphQL
through the client's own `httpclient`. The versions are real specklepy sends (a collection of
walls, a door and a window, each with a display mesh) that differ in known ways: a moved wall, a
changed property, a deleted door, an added window; and a re-send of the same elements whose
objects all carry new ids (uploaded through specklepy's ServerTransport) but keep their
applicationIds, which must change nothing.
"""

import hashlib
import json
import time
from typing import Any

from conftest import create_model, create_project, create_version
from gql import gql
from specklepy.api import operations
from specklepy.api.client import SpeckleClient
from specklepy.objects.base import Base
from specklepy.objects.geometry import Mesh
from specklepy.objects.models.collections.collection import Collection
from specklepy.transports.memory import MemoryTransport
from specklepy.transports.server import ServerTransport

DIFF = """
query($projectId: String!, $from: ID!, $to: ID!) {
  project(id: $projectId) {
    versionDiff(from: $from, to: $to) {
      counts { added removed changed unchanged }
      summary
      elements(limit: 100) {
        totalCount
        items { kind key name category geometryChanged propertiesChanged properties { path old new } }
      }
    }
  }
}
"""


def call(client: SpeckleClient, document: str, **variables: Any) -> dict:
    request = gql(document)
    request.variable_values = variables
    return client.httpclient.execute(request)


def element(app_id: str, category: str, x: float, height: float, **props: Any) -> Base:
    thing = Base(applicationId=app_id)
    thing.name = app_id
    thing.category = category
    thing.properties = {"Fire rating": "EI60", **props}
    thing["@displayValue"] = [
        Mesh(
            vertices=[x, 0, 0, x + 4, 0, 0, x + 4, 0, height],
            faces=[3, 0, 1, 2],
            units="m",
        )
    ]
    return thing


def first_model() -> list[Base]:
    return [
        element("wall-1", "Walls", 0, 3),
        element("wall-2", "Walls", 10, 3),
        element("wall-3", "Walls", 20, 3),
        element("door-1", "Doors", 2, 2.1),
    ]


def second_model() -> list[Base]:
    return [
        element("wall-1", "Walls", 1.5, 3),  # moved
        element("wall-2", "Walls", 10, 3, **{"Fire rating": "EI90"}),  # property changed
        element("wall-3", "Walls", 20, 3),  # untouched
        # door-1 deleted
        element("window-1", "Windows", 22, 1.2),  # added
    ]


def send(client: SpeckleClient, project_id: str, elements: list[Base]) -> str:
    root = Collection(name="Model", elements=elements)
    transport = ServerTransport(stream_id=project_id, client=client)
    return operations.send(root, [transport], use_default_cache=False)


def resend_with_new_ids(client: SpeckleClient, project_id: str, elements: list[Base]) -> str:
    """Serializes the model as specklepy does, gives every object a new id (rewriting the
    references and closures that name it), and uploads the result with ServerTransport."""
    memory = MemoryTransport()
    root_id = operations.send(Collection(name="Model", elements=elements), [memory], use_default_cache=False)
    renamed = {old: hashlib.md5(f"resent {old}".encode()).hexdigest() for old in memory.objects}
    transport = ServerTransport(stream_id=project_id, client=client)
    transport.begin_write()
    for old, text in memory.objects.items():
        for before, after in renamed.items():
            text = text.replace(before, after)
        assert json.loads(text)["id"] == renamed[old]
        transport.save_object(renamed[old], text)
    transport.end_write()
    return renamed[root_id]


def diff(client: SpeckleClient, project_id: str, old: str, new: str) -> dict:
    return call(client, DIFF, projectId=project_id, **{"from": old, "to": new})["project"]["versionDiff"]


def test_two_specklepy_sends_give_the_expected_change_set(client):
    project = create_project(client)
    model = create_model(client, project.id)
    v1 = create_version(client, project.id, model.id, object_id=send(client, project.id, first_model()))
    v2 = create_version(client, project.id, model.id, object_id=send(client, project.id, second_model()))

    changes = diff(client, project.id, v1.id, v2.id)
    assert changes["counts"] == {"added": 1, "removed": 1, "changed": 2, "unchanged": 1}
    assert changes["summary"] == "1 added, 1 removed, 2 changed"
    items = {item["key"]: item for item in changes["elements"]["items"]}
    assert {key: item["kind"] for key, item in items.items()} == {
        "wall-1": "CHANGED",
        "wall-2": "CHANGED",
        "window-1": "ADDED",
        "door-1": "REMOVED",
    }
    assert items["wall-1"]["geometryChanged"] and not items["wall-1"]["propertiesChanged"]
    assert not items["wall-2"]["geometryChanged"]
    assert items["wall-2"]["properties"] == [
        {"path": "properties.Fire rating", "old": "EI60", "new": "EI90"}
    ]
    assert items["window-1"]["category"] == "Windows"

    # Every object has a new id, every applicationId is the same: nothing changed.
    v3 = create_version(
        client, project.id, model.id, object_id=resend_with_new_ids(client, project.id, second_model())
    )
    resent = diff(client, project.id, v2.id, v3.id)
    assert resent["counts"] == {"added": 0, "removed": 0, "changed": 0, "unchanged": 4}
    assert resent["elements"]["items"] == []


def test_each_new_version_gets_a_summary_in_the_activity(client):
    project = create_project(client)
    model = create_model(client, project.id)
    create_version(client, project.id, model.id, object_id=send(client, project.id, first_model()))
    v2 = create_version(client, project.id, model.id, object_id=send(client, project.id, second_model()))
    query = """query($projectId: String!) { project(id: $projectId) {
        activity(limit: 50) { items { actionType resourceId message info } } } }"""
    deadline = time.monotonic() + 30
    while True:
        items = call(client, query, projectId=project.id)["project"]["activity"]["items"]
        found = [a for a in items if a["actionType"] == "commit_changes"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found, items
    assert found[0]["resourceId"] == v2.id
    assert found[0]["message"] == "1 added, 1 removed, 2 changed since the previous version"
    assert found[0]["info"]["changes"]["unchanged"] == 1
