"""Versions sent as parquet bundles (`operations.send3`) and received back (`receive3`), and
what the server does with bundle uploads it should refuse.

send3 makes a model ingestion (the server reserves the version id), asks
`/api/v2/…/uploads/sign` for an upload URL per file, puts the files there, and completes the
ingestion with their ETags (`…/uploads/complete`); receive3 lists the version's files
(`…/versions/{id}/artifacts`) and downloads them without the token.
"""

import warnings

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from test_previews import decode_png, wait_for_preview
from test_version_changes import diff
from specklepy.api import operations
from specklepy.api.credentials import get_account_from_token
from specklepy.api.inputs.model_ingestion_inputs import ModelIngestionCreateInput, SourceDataInput
from specklepy.api.inputs.version_inputs import CreateVersionInput
from specklepy.bundle.builder import BundleBuilder
from specklepy.bundle.envelope_writer import Producer
from specklepy.objects.data_objects import DataObject
from specklepy.objects.geometry import Mesh
from specklepy.objects.models.collections.collection import Collection
from specklepy.transports.server import ServerTransport


@pytest.fixture
def account(url, user):
    return get_account_from_token(user.token, url)


def builder_with_walls(count: int) -> BundleBuilder:
    builder = BundleBuilder(Producer(slug="fleck-tests", version="1.0"), units="m")
    for i in range(count):
        wall = builder.get_or_add_object(f"wall-{i}")
        wall.set_properties(
            {"Fire rating": f"EI {30 * (i + 1)}", "Height": 2.5 + i},
            name=f"Wall {i}",
            speckle_type="Objects.BuiltElements.Wall",
        )
        wall.add_geometry(
            Mesh(
                vertices=[0.0, 0, 0, 1, 0, 0, 1, 1, float(i), 0, 1, 0],
                faces=[4, 0, 1, 2, 3],
                units="m",
            )
        )
    return builder


def test_send3_then_receive3_round_trips(client, account, project, model):
    sent = operations.send3(account, project.id, model.id, builder_with_walls(3))
    version = client.version.get(sent.version_id, project.id)
    assert version.referenced_object == sent.bundle_reference
    with operations.receive3(account, project.id, model.id, sent.version_id) as received:
        walls = {o.application_id: o for o in received.objects}
        assert {"wall-0", "wall-1", "wall-2"} <= set(walls)
        assert walls["wall-1"].properties["Fire rating"] == "EI 60"
    ingestion = client.model_ingestion.get_ingestion(project.id, sent.ingestion_id)
    assert ingestion.status_data.status.value == "success"


def test_a_version_sent_as_json_has_no_bundle(url, user, project):
    response = requests.get(
        f"{url}/api/v2/projects/{project.id}/models/nosuchmodel/versions/nosuchversion/artifacts",
        headers={"Authorization": f"Bearer {user.token}"},
        timeout=30,
    )
    assert response.status_code == 404


def test_bad_bundle_uploads_are_refused(url, user, client, project, model):
    ingestion = start_ingestion(client, project, model)
    base = f"{url}/api/v2/projects/{project.id}/modelingestion/{ingestion.id}/uploads"
    auth = {"Authorization": f"Bearer {user.token}"}
    for files in (["../escape.parquet"], [], [f"f{i}.parquet" for i in range(65)]):
        refused = requests.post(f"{base}/sign", json={"files": files}, headers=auth, timeout=30)
        assert refused.status_code == 400, (files, refused.text)
    signed = requests.post(
        f"{base}/sign", json={"files": ["v.geometries.parquet"]}, headers=auth, timeout=30
    ).json()
    upload = signed["uploads"]["v.geometries.parquet"]["url"]
    put = requests.put(upload, data=b"not really parquet", timeout=30)
    assert put.status_code in (200, 201), put.text
    etag = put.headers["etag"]
    reserved = client.model_ingestion.get_reserved_version_id(project.id, ingestion.id)
    root = f"bundle.{project.id}.{model.id}.{reserved}"

    def complete(etags, root_id=root):
        return requests.post(
            f"{base}/complete",
            json={"etags": etags, "rootId": root_id, "totalChildrenCount": 1},
            headers=auth,
            timeout=30,
        )

    assert complete({"v.geometries.parquet": etag.strip('"')}).status_code == 400
    assert complete({"v.missing.parquet": etag}).status_code == 400
    assert complete({"v.geometries.parquet": etag}, root_id="bundle.other").status_code == 400
    # Nothing half-made: the ingestion still runs and no version exists yet.
    assert (
        client.model_ingestion.get_ingestion(project.id, ingestion.id).status_data.status.value
        == "processing"
    )
    # Files that are not a bundle fail the ingestion with the reason, and make no version.
    done = complete({"v.geometries.parquet": etag})
    assert done.status_code == 400, done.text
    assert "eav.objects.parquet" in done.text
    ended = client.model_ingestion.get_ingestion(project.id, ingestion.id)
    assert ended.status_data.status.value == "failed"
    assert "eav.objects.parquet" in error_reason(url, user.token, project.id, ingestion.id)
    with pytest.raises(Exception):
        client.version.get(reserved, project.id)
    # An ended ingestion takes no more files, and its old links stop working.
    again = requests.post(f"{base}/sign", json={"files": ["x.parquet"]}, headers=auth, timeout=30)
    assert again.status_code == 400


def error_reason(url, token, project_id, ingestion_id):
    """A failed ingestion's reason (specklepy does not ask for it)."""
    answer = requests.post(
        f"{url}/graphql",
        json={
            "query": "query($p: String!, $i: ID!) { project(id: $p) { ingestion(id: $i) {"
            " statusData { ... on ModelIngestionFailedStatus { errorReason } } } } }",
            "variables": {"p": project_id, "i": ingestion_id},
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    return answer["data"]["project"]["ingestion"]["statusData"]["errorReason"]


def start_ingestion(client, project, model):
    return client.model_ingestion.create(
        ModelIngestionCreateInput(
            model_id=model.id,
            project_id=project.id,
            progress_message="sending",
            source_data=SourceDataInput(
                source_application_slug="fleck-tests",
                source_application_version="1.0",
                file_name=None,
                file_size_bytes=None,
            ),
        )
    )


def upload_bundle(url, token, client, project, model, ingestion, files):
    """Signs, puts and completes `files` (name → bytes) as send3 does; the complete response."""
    base = f"{url}/api/v2/projects/{project.id}/modelingestion/{ingestion.id}/uploads"
    auth = {"Authorization": f"Bearer {token}"}
    signed = requests.post(f"{base}/sign", json={"files": list(files)}, headers=auth, timeout=30)
    assert signed.status_code == 200, signed.text
    etags = {}
    for name, content in files.items():
        put = requests.put(signed.json()["uploads"][name]["url"], data=content, timeout=30)
        assert put.status_code in (200, 201), put.text
        etags[name] = put.headers["etag"]
    reserved = client.model_ingestion.get_reserved_version_id(project.id, ingestion.id)
    root = f"bundle.{project.id}.{model.id}.{reserved}"
    return requests.post(
        f"{base}/complete",
        json={"etags": etags, "rootId": root, "totalChildrenCount": len(files)},
        headers=auth,
        timeout=60,
    )


def built_files(builder: BundleBuilder) -> dict:
    files = builder.build()
    return {name: open(path, "rb").read() for name, path in files.by_name.items()}


def test_a_truncated_or_damaged_bundle_fails_with_the_reason(url, user, client, project, model):
    files = built_files(builder_with_walls(2))
    objects = next(name for name in files if name.endswith(".eav.objects.parquet"))
    files[objects] = files[objects][: len(files[objects]) // 2]
    ingestion = start_ingestion(client, project, model)
    refused = upload_bundle(url, user.token, client, project, model, ingestion, files)
    assert refused.status_code == 400
    assert "is not a readable parquet file" in refused.text, refused.text
    failed = client.model_ingestion.get_ingestion(project.id, ingestion.id)
    assert failed.status_data.status.value == "failed"
    assert objects in error_reason(url, user.token, project.id, ingestion.id)

    # A geometry blob whose bytes were changed fails its checksum.
    files = built_files(builder_with_walls(1))
    geometries = next(name for name in files if name.endswith(".geometries.parquet"))
    table = pq.read_table(pa.BufferReader(files[geometries]))
    blob = bytearray(table.column("content")[0].as_py())
    blob[40] ^= 0xFF
    damaged = table.set_column(1, "content", pa.array([bytes(blob)], pa.binary()))
    out = pa.BufferOutputStream()
    pq.write_table(damaged, out)
    files[geometries] = out.getvalue().to_pybytes()
    ingestion = start_ingestion(client, project, model)
    refused = upload_bundle(url, user.token, client, project, model, ingestion, files)
    assert refused.status_code == 400 and "checksum" in refused.text, refused.text
    assert client.model.get_with_versions(model.id, project.id).versions.total_count == 0


def test_a_bundle_version_is_drawn_like_any_other(url, user, client, account, project, model):
    """The server builds an object tree from the bundle: its preview shows the walls, and
    version compare lists what changed between two bundle versions."""
    first = operations.send3(account, project.id, model.id, builder_with_walls(3))
    response = wait_for_preview(url, f"/preview/{project.id}/commits/{first.version_id}", user.token)
    width, height, pixels = decode_png(response.content)
    background = sum(1 for r, g, b in pixels if min(r, g, b) > 235)
    assert background < width * height - 2_000, "the walls are drawn"

    changed = builder_with_walls(2)
    wall = changed.get_or_add_object("wall-9")
    wall.set_properties({"Fire rating": "EI 90"}, name="Wall 9", speckle_type="Objects.BuiltElements.Wall")
    wall.add_geometry(Mesh(vertices=[5.0, 0, 0, 6, 0, 0, 6, 1, 1], faces=[3, 0, 1, 2], units="m"))
    second = operations.send3(account, project.id, model.id, changed)
    changes = diff(client, project.id, first.version_id, second.version_id)
    assert changes["counts"] == {"added": 1, "removed": 1, "changed": 0, "unchanged": 2}, changes
    kinds = {item["key"]: item["kind"] for item in changes["elements"]["items"]}
    assert kinds == {"wall-9": "ADDED", "wall-2": "REMOVED"}


def test_a_version_sent_as_objects_is_received_with_receive3(client, account, project, model):
    warnings.simplefilter("ignore", DeprecationWarning)
    walls = []
    for i in range(2):
        wall = DataObject(
            name=f"Wall {i}",
            properties={"Fire rating": f"EI {60 * (i + 1)}", "Height": 3.0},
            displayValue=[Mesh(vertices=[0.0, 0, 0, 1, 0, 0, 1, 1, float(i)], faces=[3, 0, 1, 2], units="m")],
        )
        wall.applicationId = f"json-wall-{i}"
        walls.append(wall)
    root = Collection(name="walls", elements=walls)
    object_id = operations.send(root, [ServerTransport(project.id, client)], use_default_cache=False)
    version = client.version.create(
        CreateVersionInput(object_id=object_id, model_id=model.id, project_id=project.id)
    )
    with operations.receive3(account, project.id, model.id, version.id) as received:
        by_id = {o.application_id: o for o in received.objects}
        assert set(by_id) == {"json-wall-0", "json-wall-1"}
        assert by_id["json-wall-1"].properties["Fire rating"] == "EI 120"
        assert received.to_base()["elements"], "the bundle reads back into a tree"
    # Asked again, the same files are listed (written once).
    with operations.receive3(account, project.id, model.id, version.id) as again:
        assert len(again.objects) == 2
