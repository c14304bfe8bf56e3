"""A 100,000-object tree through specklepy's ServerTransport: sent in specklepy's own batches
(diff first, four upload threads), pointed at by a version, and received back identical."""

from conftest import create_model, create_project, create_version
from specklepy.api import operations
from specklepy.objects.base import Base
from specklepy.transports.memory import MemoryTransport
from specklepy.transports.server import ServerTransport

CHILDREN = 100_000


def tree() -> Base:
    root = Base()
    root.name = "large tree"
    elements = []
    for i in range(CHILDREN):
        element = Base()
        element.index = i
        element.name = f"element {i}"
        element.vertices = [i * 0.5, i * 0.25, float(i % 97)]
        elements.append(element)
    root["@elements"] = elements
    return root


def test_a_100k_object_tree_round_trips(client):
    project = create_project(client)
    sent = tree()
    object_id = operations.send(
        sent, [ServerTransport(stream_id=project.id, client=client)], use_default_cache=False
    )
    main = create_model(client, project.id)
    version = create_version(client, project.id, main.id, "100k objects", object_id)
    assert version.referenced_object == object_id

    received = operations.receive(
        object_id,
        remote_transport=ServerTransport(stream_id=project.id, client=client),
        local_transport=MemoryTransport(),
    )
    assert received.id == object_id
    elements = received["@elements"]
    assert len(elements) == CHILDREN
    for i in (0, 1, 4_242, 54_321, CHILDREN - 1):
        assert elements[i].index == i
        assert elements[i].name == f"element {i}"
        assert elements[i].vertices == [i * 0.5, i * 0.25, float(i % 97)]
