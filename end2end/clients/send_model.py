"""Sends a small model to a Fleck project with specklepy, as a connector would, and creates a
version of a model. Used by the browser tests: `python send_model.py URL TOKEN PROJECT MODEL
[boxes|details|bundle|before|after]`: three boxes (the default), lines and a block placed twice
(Speckle 3 instance proxies), three boxes with properties sent as a parquet bundle (`send3`, what
specklepy 2026.9 prefers), or two sends of the same three elements that differ as a review
compares them. Prints the new version's id."""

import sys
import warnings

from specklepy.api import operations
from specklepy.api.client import SpeckleClient
from specklepy.api.credentials import get_account_from_token
from specklepy.api.inputs.version_inputs import CreateVersionInput
from specklepy.objects import Base
from specklepy.objects.geometry import Line, Mesh, Point, Polyline
from specklepy.objects.proxies import InstanceDefinitionProxy, InstanceProxy
from specklepy.transports.server import ServerTransport


def box(x: float) -> Mesh:
    """A unit cube at `x`, in Speckle's mesh encoding (face = vertex count, then indices)."""
    corners = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    vertices = [c for (a, b, z) in corners for c in (a + x, b, z)]
    quads = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    faces = [n for quad in quads for n in (4, *quad)]
    return Mesh(vertices=vertices, faces=faces, units="m")


def boxes() -> Base:
    root = Base()
    root["@elements"] = [box(2.0 * i) for i in range(3)]
    root["name"] = "Three boxes"
    return root


def element(name: str, x: float, fire_rating: str) -> Mesh:
    """A box as a connector's element: stable applicationId, a name and a property."""
    mesh = box(x)
    mesh.applicationId = name
    mesh["name"] = name
    mesh["properties"] = {"FireRating": fire_rating}
    return mesh


def before() -> Base:
    """A wall, a second wall and a door, side by side along X."""
    root = Base()
    root["@elements"] = [element("wall-a", 0.0, "REI 30"), element("wall-b", 2.0, "REI 30"), element("door", 4.0, "EI 30")]
    root["name"] = "Review before"
    return root


def after() -> Base:
    """`before` revised: wall-a's fire rating changed, wall-b moved, the door removed, a window added."""
    root = Base()
    root["@elements"] = [element("wall-a", 0.0, "REI 60"), element("wall-b", 2.5, "REI 30"), element("window", 6.0, "E 30")]
    root["name"] = "Review after"
    return root


def details() -> Base:
    """A site outline, a survey line, and one box block placed twice."""
    outline = Polyline(value=[-1, -1, 0, 7, -1, 0, 7, 3, 0, -1, 3, 0, -1, -1, 0], units="m")
    survey = Line(start=Point(x=-1, y=4, z=0, units="m"), end=Point(x=7, y=4, z=0, units="m"), units="m")
    block = box(0.0)
    block.applicationId = "block-box"

    def place(x: float) -> InstanceProxy:
        return InstanceProxy(
            definitionId="box-block",
            transform=[1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
            maxDepth=0,
            units="m",
        )
    root = Base()
    root["@elements"] = [outline, survey, place(1.0), place(4.0)]
    root["@definitions"] = [block]
    root["instanceDefinitionProxies"] = [
        InstanceDefinitionProxy(objects=["block-box"], maxDepth=0, name="Box block", applicationId="box-block")
    ]
    root["name"] = "Site details"
    return root


def send_bundle(url: str, token: str, project_id: str, model_id: str) -> str:
    from specklepy.bundle.builder import BundleBuilder
    from specklepy.bundle.envelope_writer import Producer

    builder = BundleBuilder(Producer(slug="specklepy", version="2026.9"), units="m")
    for i in range(3):
        block = builder.get_or_add_object(f"bundle-box-{i}")
        block.set_properties({"Mark": f"B{i}"}, name=f"Box {i}", speckle_type="Objects.BuiltElements.Column")
        block.add_geometry(box(2.0 * i))
    account = get_account_from_token(token, url)
    return operations.send3(account, project_id, model_id, builder).version_id


MESSAGES = {"details": "Site details from specklepy", "before": "Review before", "after": "Review after"}


def main() -> None:
    # specklepy marks the JSON transport as deprecated; it is what the connectors send today.
    warnings.simplefilter("ignore", DeprecationWarning)
    url, token, project_id, model_id = sys.argv[1:5]
    kind = sys.argv[5] if len(sys.argv) > 5 else "boxes"
    client = SpeckleClient(host=url, use_ssl=url.startswith("https"))
    client.authenticate_with_token(token)
    if kind == "bundle":
        print(send_bundle(url, token, project_id, model_id))
        return
    root = {"details": details, "before": before, "after": after}.get(kind, boxes)()
    object_id = operations.send(root, [ServerTransport(project_id, client)], use_default_cache=False)
    version = client.version.create(
        CreateVersionInput(
            object_id=object_id,
            model_id=model_id,
            project_id=project_id,
            message=MESSAGES.get(kind, "Three boxes from specklepy"),
            source_application="specklepy",
        )
    )
    print(version.id)


if __name__ == "__main__":
    main()
