"""Previews: a version sent by specklepy gets a preview image drawn by the server's workers,
served on Speckle's `/preview/...` routes (services.md §1.4).

Checked here: the version's preview becomes a real PNG (`Cache-Control: private`) whose pixels
show the model in its colour, on the version, model and project routes and the `all` sprite of
24 angles; an unknown angle answers the error placeholder with `X-Preview-Error-Code:
ANGLE_NOT_FOUND`; a stranger to a private project gets the 401 placeholder with status 200;
an unknown version gets the 404 placeholder.
"""

import struct
import time
import warnings
import zlib

import requests
from conftest import create_project, unique_name
from specklepy.api import operations
from specklepy.api.inputs.model_inputs import CreateModelInput
from specklepy.api.inputs.version_inputs import CreateVersionInput
from specklepy.objects import Base
from specklepy.objects.geometry import Mesh
from specklepy.objects.other import RenderMaterial
from specklepy.transports.server import ServerTransport

# Opaque red as Speckle stores colours: a signed 32-bit ARGB integer.
RED = struct.unpack(">i", bytes([0xFF, 0xD0, 0x20, 0x20]))[0]


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA PNG (enough for our previews)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                row[i] = (row[i] + best) & 0xFF
        rows.append(row)
        previous = row
    pixels = [tuple(r[x * channels : x * channels + 3]) for r in rows for x in range(width)]
    return width, height, pixels


def red_box(x: float) -> Mesh:
    corners = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)]
    quads = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    mesh = Mesh(
        vertices=[c for (a, b, z) in corners for c in (a + x, b, z)],
        faces=[n for quad in quads for n in (4, *quad)],
        units="m",
    )
    mesh["renderMaterial"] = RenderMaterial(name="red", diffuse=RED, opacity=1.0)
    return mesh


def wait_for_preview(url: str, path: str, token: str, seconds: float = 60) -> requests.Response:
    """Polls a preview route until the rendered image (not the pending placeholder) arrives."""
    deadline = time.time() + seconds
    while True:
        response = requests.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/png"
        if response.headers.get("Cache-Control", "").startswith("private"):
            return response
        assert "X-Preview-Error" not in response.headers, dict(response.headers)
        assert time.time() < deadline, "the preview was not drawn in time"
        time.sleep(0.5)


def test_a_sent_version_gets_a_preview_that_shows_the_model(url, user, client):
    warnings.simplefilter("ignore", DeprecationWarning)
    project = create_project(client)
    model = client.model.create(CreateModelInput(name=unique_name("previews"), project_id=project.id))
    root = Base()
    root["@elements"] = [red_box(1.5 * i) for i in range(3)]
    object_id = operations.send(root, [ServerTransport(project.id, client)], use_default_cache=False)
    version = client.version.create(
        CreateVersionInput(object_id=object_id, model_id=model.id, project_id=project.id, message="boxes")
    )

    response = wait_for_preview(url, f"/preview/{project.id}/commits/{version.id}", user.token)
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    width, height, pixels = decode_png(response.content)
    assert (width, height) == (700, 400)
    red = sum(1 for r, g, b in pixels if r > 140 and g < 90 and b < 90)
    background = sum(1 for r, g, b in pixels if min(r, g, b) > 235)
    assert red > 5_000, f"only {red} red pixels"
    assert background > 50_000, "the model fills the whole picture"

    # The model's and the project's latest version show the same picture.
    for path in (f"/preview/{project.id}/branches/{model.name}", f"/preview/{project.id}", f"/preview/{project.id}/0"):
        assert wait_for_preview(url, path, user.token).content == response.content, path
    sprite = wait_for_preview(url, f"/preview/{project.id}/objects/{object_id}/all", user.token)
    sprite_width, sprite_height = struct.unpack(">II", sprite.content[16:24])
    assert (sprite_width, sprite_height) == (700 * 24, 400)


def test_previews_answer_placeholders_instead_of_errors(url, user, client, second_user):
    project = create_project(client)
    headers = {"Authorization": f"Bearer {user.token}"}

    unknown = requests.get(f"{url}/preview/{project.id}/commits/0000000000", headers=headers, timeout=30)
    assert unknown.status_code == 200 and unknown.headers["Content-Type"] == "image/png"
    assert unknown.headers["X-Preview-Error-Code"] == "OBJECT_NOT_FOUND"

    stranger = requests.get(
        f"{url}/preview/{project.id}", headers={"Authorization": f"Bearer {second_user.token}"}, timeout=30
    )
    assert stranger.status_code == 200 and stranger.headers["Content-Type"] == "image/png"
    anonymous = requests.get(f"{url}/preview/{project.id}", timeout=30)
    assert anonymous.status_code == 200
    assert anonymous.content == stranger.content != unknown.content

    root = Base()
    root["@elements"] = [red_box(0)]
    object_id = operations.send(root, [ServerTransport(project.id, client)], use_default_cache=False)
    wait_for_preview(url, f"/preview/{project.id}/objects/{object_id}", user.token)
    bad_angle = requests.get(f"{url}/preview/{project.id}/objects/{object_id}/7", headers=headers, timeout=30)
    assert bad_angle.status_code == 200
    assert bad_angle.headers["X-Preview-Error-Code"] == "ANGLE_NOT_FOUND"
