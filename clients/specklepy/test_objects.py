"""Objects: specklepy's `operations.send` / `operations.receive` through `ServerTransport`, and
the REST endpoints they (and the JS object loaders) use, called directly with `requests`.

Checked here: a send of a Base with detached children, a chunked list, a nested inline Base,
unicode and big integers comes back equal through a fresh ServerTransport (also anonymously
from a public project); `POST /objects/{p}` answers exactly 201, also for a batch it already
has and for an uncompressed JSON part; `/objects/{p}/{id}/single` returns the object text
byte for byte as uploaded (key order, `1.0`, integers beyond 64 bits, `__closure`);
`GET /objects/{p}/{id}` answers gzip-encoded `id<TAB>json` lines (root first, then the
closure's children by id, missing ones skipped) or a JSON array; `/api/diff` maps every id to
a bool; `/api/getobjects` takes form and JSON bodies; `/api/v2/projects/{p}/object-stream/`
(with or without the trailing slash) honours attribute masks; and the error statuses: 403
with Speckle's body for an invalid token, 401 for anonymous writes and for strangers to a
private project, 400 for bad batches, 404 for unknown objects.
"""

import gzip
import json
import uuid
import warnings
from dataclasses import dataclass

import pytest
import requests
from conftest import create_project, host_of, send_object
from specklepy.api import operations
from specklepy.api.client import SpeckleClient
from specklepy.api.enums import ProjectVisibility
from specklepy.objects.base import Base
from specklepy.transports.memory import MemoryTransport
from specklepy.transports.server import ServerTransport

INVALID_TOKEN = {"error": "Your token is not valid."}
TEXT = {"Accept": "text/plain"}


def bearer(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


def new_id() -> str:
    """A fresh 32-hex-character object id (the server treats ids as opaque)."""
    return uuid.uuid4().hex


def upload(
    url: str,
    project_id: str,
    objects: list[str],
    token: str | None,
    *,
    raw: str | None = None,
    content_type: str = "application/gzip",
) -> requests.Response:
    """Uploads one batch the way specklepy's BatchSender does: a multipart file part named
    `batch-1`, gzip of `[obj,obj,...]` (or `raw` instead of the array)."""
    text = raw if raw is not None else "[" + ",".join(objects) + "]"
    body = text.encode()
    if content_type == "application/gzip":
        body = gzip.compress(body)
    return requests.post(
        f"{url}/objects/{project_id}",
        files={"batch-1": ("batch-1", body, content_type)},
        headers=bearer(token),
        timeout=30,
    )


def lines_of(response: requests.Response) -> list[tuple[str, str]]:
    """`id<TAB>json` records of a text/plain object download, split on the first tab."""
    response.encoding = "utf-8"
    records = []
    for line in response.text.split("\n"):
        if line:
            object_id, _, text = line.partition("\t")
            records.append((object_id, text))
    return records


def get_single(url: str, project_id: str, object_id: str, token: str | None, **headers):
    return requests.get(
        f"{url}/objects/{project_id}/{object_id}/single",
        headers={**bearer(token), **headers},
        timeout=30,
    )


def get_all(url: str, project_id: str, object_id: str, token: str | None, **headers):
    return requests.get(
        f"{url}/objects/{project_id}/{object_id}",
        headers={**bearer(token), **headers},
        timeout=30,
    )


def get_objects(url: str, project_id: str, ids: list[str], token: str | None):
    """`/api/getobjects` as specklepy calls it: a form field holding a JSON string."""
    return requests.post(
        f"{url}/api/getobjects/{project_id}",
        data={"objects": json.dumps(ids)},
        headers={**bearer(token), **TEXT},
        timeout=30,
    )


def object_stream(url: str, project_id: str, body: dict, token: str | None, slash: bool = True):
    """objectloader2's request (it posts to the path with a trailing slash)."""
    return requests.post(
        f"{url}/api/v2/projects/{project_id}/object-stream{'/' if slash else ''}",
        json=body,
        headers={**bearer(token), **TEXT},
        timeout=30,
    )


def diff(url: str, project_id: str, ids: list[str], token: str | None) -> requests.Response:
    return requests.post(
        f"{url}/api/diff/{project_id}",
        data={"objects": json.dumps(ids)},
        headers={**bearer(token), **TEXT},
        timeout=30,
    )


@dataclass
class Tree:
    """A hand-written root with three uploaded children and one closure entry never uploaded."""

    project_id: str
    root_id: str
    root_text: str
    closure: dict[str, int]
    children: dict[str, str]
    missing_id: str


def upload_tree(url: str, token: str, project_id: str) -> Tree:
    children = {}
    for i in range(3):
        child_id = new_id()
        children[child_id] = (
            '{"speckle_type":"Base","value":' + f"{i}.0" + ',"name":"child ' + str(i)
            + '","id":"' + child_id + '","totalChildrenCount":0}'
        )
    missing_id = new_id()
    closure = {child_id: 1 for child_id in children}
    closure[missing_id] = 2
    closure_text = ",".join(f'"{child_id}":{depth}' for child_id, depth in closure.items())
    root_id = new_id()
    # Keys out of any sorted order, numbers as a JS or serde round trip would not write them.
    root_text = (
        '{"totalChildrenCount":4,"zeta":1.0,"id":"' + root_id + '",'
        '"big":12345678901234567890,"huge":123456789012345678901234567890,'
        '"name":"Ünïcødé ✓ 🚀 漢字","nested":{"b":[1.0,0.1,-7],"a":null},'
        '"__closure":{' + closure_text + '},"speckle_type":"Base"}'
    )
    # Children in descending id order, so that a sorted download is the server's doing.
    batch = [root_text] + [children[c] for c in sorted(children, reverse=True)]
    response = upload(url, project_id, batch, token)
    assert response.status_code == 201, (response.status_code, response.text)
    return Tree(project_id, root_id, root_text, closure, children, missing_id)


@pytest.fixture(scope="module")
def project(client):
    """A private project of the first user."""
    return create_project(client)


@pytest.fixture(scope="module")
def public_project(client):
    return create_project(client, ProjectVisibility.PUBLIC)


@pytest.fixture(scope="module")
def tree(url, user, project) -> Tree:
    return upload_tree(url, user.token, project.id)


@pytest.fixture(scope="module")
def public_tree(url, user, public_project) -> Tree:
    return upload_tree(url, user.token, public_project.id)


def child(name: str, index: int) -> Base:
    base = Base()
    base.name = name
    base.index = index
    return base


def rich_base() -> Base:
    base = Base()
    base.name = "root ✓ ünïcødé 🚀 漢字"
    base.big = 12345678901234567890
    base.negative = -9007199254740993
    base.ratio = 1.0
    base["@elements"] = [child(f"element {i} ✓", i) for i in range(5)]
    base["@(10)numbers"] = [i / 4 for i in range(100)]
    inline = Base()
    inline.name = "inline"
    deeper = Base()
    deeper.name = "deeper"
    deeper.value = 3.25
    inline.nested = deeper
    base.inline = inline
    return base


def assert_rich_base(received: Base, object_id: str) -> None:
    assert received.id == object_id
    assert received.name == "root ✓ ünïcødé 🚀 漢字"
    assert received.big == 12345678901234567890
    assert received.negative == -9007199254740993
    assert received.ratio == 1.0
    elements = received["@elements"]
    assert [e.name for e in elements] == [f"element {i} ✓" for i in range(5)]
    assert [e.index for e in elements] == list(range(5))
    assert received["@(10)numbers"] == [i / 4 for i in range(100)]
    assert received.inline.name == "inline"
    assert received.inline.nested.name == "deeper"
    assert received.inline.nested.value == 3.25
    # 5 detached elements and 10 chunks of the list.
    assert received.totalChildrenCount == 15


# --- specklepy's send and receive ---------------------------------------------------------


def test_send_and_receive_round_trip(url, user, client, project):
    object_id = send_object(client, project.id, rich_base())

    remote = ServerTransport(stream_id=project.id, client=client)
    received = operations.receive(object_id, remote, MemoryTransport())
    assert_rich_base(received, object_id)

    root = json.loads(get_single(url, project.id, object_id, user.token, **TEXT).text)
    everything = [object_id, *root["__closure"]]
    assert len(root["__closure"]) == 15
    answer = diff(url, project.id, everything, user.token)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {known: True for known in everything}


def test_send_twice_is_fine(client, project):
    base = rich_base()
    first = send_object(client, project.id, base)
    assert send_object(client, project.id, base) == first


def test_anonymous_receive_from_a_public_project(url, client, public_project):
    object_id = send_object(client, public_project.id, rich_base())

    anonymous = SpeckleClient(host=host_of(url), use_ssl=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # specklepy warns about the unauthenticated client
        remote = ServerTransport(stream_id=public_project.id, client=anonymous)
    received = operations.receive(object_id, remote, MemoryTransport())
    assert_rich_base(received, object_id)


# --- upload --------------------------------------------------------------------------------


def test_upload_answers_201_and_is_idempotent(url, user, project):
    object_id = new_id()
    batch = ['{"id":"' + object_id + '","speckle_type":"Base","n":1}']

    first = upload(url, project.id, batch, user.token)
    assert first.status_code == 201, first.text
    again = upload(url, project.id, batch, user.token)
    assert again.status_code == 201, again.text

    assert get_single(url, project.id, object_id, user.token).status_code == 200


def test_upload_accepts_an_uncompressed_json_part(url, user, project):
    object_id = new_id()
    text = '{"id":"' + object_id + '","speckle_type":"Base","plain":true}'

    response = upload(url, project.id, [text], user.token, content_type="application/json")
    assert response.status_code == 201, response.text

    single = get_single(url, project.id, object_id, user.token)
    single.encoding = "utf-8"
    assert single.text == text


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"id":"' + "a" * 32 + '","speckle_type":"Base"}', id="not-an-array"),
        pytest.param('[{"id":"' + "b" * 32 + '",', id="not-json"),
        pytest.param('[{"id":"' + "c" * 31 + '","speckle_type":"Base"}]', id="31-char-id"),
    ],
)
def test_bad_batches_are_refused(url, user, project, raw):
    response = upload(url, project.id, [], user.token, raw=raw)
    assert response.status_code == 400, (response.status_code, response.text)


# --- downloads -----------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [{}, TEXT], ids=["default-accept", "accept-text"])
def test_single_returns_the_object_as_uploaded(url, user, tree, accept):
    response = get_single(url, tree.project_id, tree.root_id, user.token, **accept)

    assert response.status_code == 200, response.text
    response.encoding = "utf-8"
    assert response.text == tree.root_text
    assert json.loads(response.text)["__closure"] == tree.closure


def test_download_as_lines(url, user, tree):
    response = get_all(url, tree.project_id, tree.root_id, user.token, **TEXT)

    assert response.status_code == 200, response.text
    assert response.headers.get("Content-Encoding") == "gzip"
    assert response.headers.get("Content-Type", "").startswith("text/plain")
    response.encoding = "utf-8"
    assert response.text.endswith("\n")
    records = lines_of(response)
    assert [object_id for object_id, _ in records] == [tree.root_id, *sorted(tree.children)]
    root = json.loads(records[0][1])
    assert root["id"] == tree.root_id
    assert root["__closure"] == tree.closure
    assert root["big"] == 12345678901234567890
    assert root["huge"] == 123456789012345678901234567890
    for object_id, text in records[1:]:
        assert text == tree.children[object_id]


def test_download_as_a_json_array(url, user, tree):
    response = get_all(url, tree.project_id, tree.root_id, user.token)

    assert response.status_code == 200, response.text
    assert response.headers.get("Content-Encoding") == "gzip"
    objects = response.json()
    assert isinstance(objects, list)
    assert [o["id"] for o in objects] == [tree.root_id, *sorted(tree.children)]
    assert objects[0]["__closure"] == tree.closure
    for obj in objects[1:]:
        assert obj == json.loads(tree.children[obj["id"]])


def test_diff_maps_every_id(url, user, tree, public_project):
    some_child = sorted(tree.children)[0]
    unknown = new_id()
    ids = [tree.root_id, some_child, unknown, tree.missing_id]

    response = diff(url, tree.project_id, ids, user.token)
    assert response.status_code == 200, response.text
    assert response.json() == {
        tree.root_id: True,
        some_child: True,
        unknown: False,
        tree.missing_id: False,
    }

    # Objects belong to a project: another project of the same user has none of them.
    elsewhere = diff(url, public_project.id, ids, user.token)
    assert elsewhere.status_code == 200, elsewhere.text
    assert elsewhere.json() == {object_id: False for object_id in ids}


def test_getobjects_with_a_form_body(url, user, tree):
    wanted = [*tree.children, tree.missing_id]

    response = get_objects(url, tree.project_id, wanted, user.token)

    assert response.status_code == 200, response.text
    records = dict(lines_of(response))
    assert records == tree.children


def test_getobjects_with_a_json_body(url, user, tree):
    response = requests.post(
        f"{url}/api/getobjects/{tree.project_id}",
        json={"objects": json.dumps(list(tree.children))},
        headers={**bearer(user.token), **TEXT},
        timeout=30,
    )

    assert response.status_code == 200, response.text
    assert dict(lines_of(response)) == tree.children


def test_getobjects_with_no_ids(url, user, tree):
    response = get_objects(url, tree.project_id, [], user.token)
    assert response.status_code == 200, response.text
    assert lines_of(response) == []


@pytest.mark.parametrize("slash", [True, False], ids=["trailing-slash", "no-slash"])
def test_object_stream(url, user, tree, slash):
    response = object_stream(
        url, tree.project_id, {"objectIds": list(tree.children)}, user.token, slash
    )

    assert response.status_code == 200, response.text
    response.encoding = "utf-8"
    assert response.text.endswith("\n")
    records = lines_of(response)
    assert sorted(object_id for object_id, _ in records) == sorted(tree.children)
    for object_id, text in records:
        assert json.loads(text) == json.loads(tree.children[object_id])


def test_object_stream_include_mask(url, user, tree):
    body = {"objectIds": list(tree.children), "attributeMask": {"include": ["name"]}}

    response = object_stream(url, tree.project_id, body, user.token)

    assert response.status_code == 200, response.text
    assert response.text.endswith("\n")
    records = lines_of(response)
    assert sorted(object_id for object_id, _ in records) == sorted(tree.children)
    for object_id, text in records:
        picked = json.loads(text)
        assert picked["name"] == json.loads(tree.children[object_id])["name"]
        for dropped in ("speckle_type", "value", "totalChildrenCount"):
            assert dropped not in picked, (dropped, picked)


def test_object_stream_exclude_mask(url, user, tree):
    body = {"objectIds": list(tree.children), "attributeMask": {"exclude": ["value"]}}

    response = object_stream(url, tree.project_id, body, user.token)

    assert response.status_code == 200, response.text
    records = lines_of(response)
    assert sorted(object_id for object_id, _ in records) == sorted(tree.children)
    for object_id, text in records:
        kept = json.loads(text)
        original = json.loads(tree.children[object_id])
        assert "value" not in kept
        assert kept["name"] == original["name"]
        assert kept["speckle_type"] == "Base"


def test_unknown_objects_are_404(url, user, project):
    unknown = new_id()
    assert get_single(url, project.id, unknown, user.token).status_code == 404
    assert get_all(url, project.id, unknown, user.token, **TEXT).status_code == 404


# --- access --------------------------------------------------------------------------------


def test_invalid_token_is_refused(url, tree):
    token = "not-a-real-token-" + uuid.uuid4().hex
    some_child = sorted(tree.children)[0]
    responses = {
        "single": get_single(url, tree.project_id, tree.root_id, token),
        "download": get_all(url, tree.project_id, tree.root_id, token, **TEXT),
        "upload": upload(url, tree.project_id, [tree.children[some_child]], token),
        "diff": diff(url, tree.project_id, [some_child], token),
        "getobjects": get_objects(url, tree.project_id, [some_child], token),
    }
    for name, response in responses.items():
        assert response.status_code == 403, (name, response.status_code, response.text)
        assert response.json() == INVALID_TOKEN, name


def test_anonymous_writes_are_refused(url, project, public_project):
    text = '{"id":"' + new_id() + '","speckle_type":"Base"}'
    for target in (project, public_project):
        assert upload(url, target.id, [text], None).status_code == 401
        assert diff(url, target.id, [new_id()], None).status_code == 401


def test_strangers_cannot_read_a_private_project(url, second_user, tree):
    some_child = sorted(tree.children)[0]
    for token in (second_user.token, None):
        who = "stranger" if token else "anonymous"
        checks = {
            "single": get_single(url, tree.project_id, tree.root_id, token),
            "download": get_all(url, tree.project_id, tree.root_id, token, **TEXT),
            "getobjects": get_objects(url, tree.project_id, [some_child], token),
        }
        for name, response in checks.items():
            assert response.status_code == 401, (who, name, response.status_code, response.text)
        stream = object_stream(url, tree.project_id, {"objectIds": [some_child]}, token)
        assert stream.status_code in (401, 403), (who, stream.status_code, stream.text)


def test_strangers_cannot_write(url, second_user, project, public_project):
    text = '{"id":"' + new_id() + '","speckle_type":"Base"}'
    for target in (project, public_project):
        response = upload(url, target.id, [text], second_user.token)
        assert response.status_code == 401, (response.status_code, response.text)
        assert diff(url, target.id, [new_id()], second_user.token).status_code == 401


def test_unknown_project(url, user):
    unknown_project = "0123456789"
    text = '{"id":"' + new_id() + '","speckle_type":"Base"}'
    assert get_single(url, unknown_project, new_id(), user.token).status_code == 404
    assert upload(url, unknown_project, [text], user.token).status_code == 401


def test_public_project_is_readable_by_anyone(url, second_user, public_tree):
    some_child = sorted(public_tree.children)[0]
    for token in (None, second_user.token):
        single = get_single(url, public_tree.project_id, public_tree.root_id, token)
        assert single.status_code == 200, single.text
        single.encoding = "utf-8"
        assert single.text == public_tree.root_text

        download = get_all(url, public_tree.project_id, public_tree.root_id, token, **TEXT)
        assert download.status_code == 200, download.text
        assert [object_id for object_id, _ in lines_of(download)] == [
            public_tree.root_id,
            *sorted(public_tree.children),
        ]

        objects = get_objects(url, public_tree.project_id, list(public_tree.children), token)
        assert objects.status_code == 200, objects.text
        assert dict(lines_of(objects)) == public_tree.children

        stream = object_stream(url, public_tree.project_id, {"objectIds": [some_child]}, token)
        assert stream.status_code == 200, stream.text
        assert [object_id for object_id, _ in lines_of(stream)] == [some_child]
