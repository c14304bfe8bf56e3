"""Sends a small model to a Fleck project with specklepy, as a connector would, and creates a
version of a model. Used by the browser tests: `python send_model.py URL TOKEN PROJECT MODEL`.
Prints the new version's id."""

import sys
import warnings

from specklepy.api import operations
from specklepy.api.client import SpeckleClient
from specklepy.api.inputs.version_inputs import CreateVersionInput
from specklepy.objects import Base
from specklepy.objects.geometry import Mesh
from specklepy.transports.server import ServerTransport


def box(x: float) -> Mesh:
    """A unit cube at `x`, in Speckle's mesh encoding (face = vertex count, then indices)."""
    corners = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    vertices = [c for (a, b, z) in corners for c in (a + x, b, z)]
    quads = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    faces = [n for quad in quads for n in (4, *quad)]
    return Mesh(vertices=vertices, faces=faces, units="m")


def main() -> None:
    # specklepy marks the JSON transport as deprecated; it is what the connectors send today.
    warnings.simplefilter("ignore", DeprecationWarning)
    url, token, project_id, model_id = sys.argv[1:5]
    client = SpeckleClient(host=url, use_ssl=url.startswith("https"))
    client.authenticate_with_token(token)
    root = Base()
    root["@elements"] = [box(2.0 * i) for i in range(3)]
    root["name"] = "Three boxes"
    object_id = operations.send(root, [ServerTransport(project_id, client)], use_default_cache=False)
    version = client.version.create(
        CreateVersionInput(
            object_id=object_id,
            model_id=model_id,
            project_id=project_id,
            message="Three boxes from specklepy",
            source_application="specklepy",
        )
    )
    print(version.id)


if __name__ == "__main__":
    main()
