"""Versions sent as parquet bundles (`operations.send3`) and received back (`receive3`), and
what the server does with bundle uploads it should refuse.

send3 makes a model ingestion (the server reserves the version id), asks
`/api/v2/…/uploads/sign` for an upload URL per file, puts the files there, and completes the
ingestion with their ETags (`…/uploads/complete`); receive3 lists the version's files
(`…/versions/{id}/artifacts`) and downloads them without the token.
"""

import pytest
import requests
from conftest import create_project
from specklepy.api import operations
from specklepy.api.credentials import get_account_from_token
from specklepy.api.inputs.model_ingestion_inputs import ModelIngestionCreateInput, SourceDataInput
from specklepy.api.inputs.model_inputs import CreateModelInput
from specklepy.bundle.builder import BundleBuilder
from specklepy.bundle.envelope_writer import Producer
from specklepy.objects.geometry import Mesh


@pytest.fixture
def account(url, user):
    return get_account_from_token(user.token, url)


@pytest.fixture
def project(client):
    return create_project(client)


@pytest.fixture
def model(client, project):
    return client.model.create(
        CreateModelInput(name="bundled", description=None, project_id=project.id)
    )


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
    ingestion = client.model_ingestion.create(
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
    done = complete({"v.geometries.parquet": etag})
    assert done.status_code == 200, done.text
    assert done.json() == {"versionId": reserved}
    # An ended ingestion takes no more files, and its old links stop working.
    again = requests.post(f"{base}/sign", json={"files": ["x.parquet"]}, headers=auth, timeout=30)
    assert again.status_code == 400
