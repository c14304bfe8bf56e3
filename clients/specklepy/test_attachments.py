"""Files attached to a project (Speckle's "blobs", objects.md §4.7; clients.md §7.4): the REST
blob routes called with `requests` the way `speckle_automate` and the web app call them,
GraphQL `Project.blobs` / `Project.blob`, and specklepy's own `client.file_import`
(`generate_upload_url` → unauthenticated `PUT` to the returned URL answering an ETag →
`download_file`).

Checked here: a multipart upload of two files answers 201 with one `uploadResults` entry per
part (and none for a plain form field without a filename); a download returns the exact bytes as `application/octet-stream` with a
`Content-Disposition` naming the file; `/blob/diff` returns only the unknown ids and refuses a
body that is not an array; `/blobs` lists the project's files, filtered by `?fileName=`;
a delete answers 204 and the file is then gone (404); `DELETE /blobs` is 501; strangers cannot
upload to or download from a private project but may download from a public one; anonymous
uploads are refused; an invalid token gets 403 with Speckle's body; the presigned upload URL
takes a PUT without a token, answers an ETag, and refuses a tampered signature or expiry.
"""

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import pytest
import requests
from conftest import create_project
from gql import gql
from specklepy.api.client import SpeckleClient
from specklepy.api.enums import ProjectVisibility
from specklepy.api.inputs.file_import_inputs import GenerateFileUploadUrlInput
from specklepy.api.models import Project
from specklepy.logging.exceptions import GraphQLException

INVALID_TOKEN = {"error": "Your token is not valid."}
OCTET_STREAM = "application/octet-stream"

BLOBS = """
query Blobs($projectId: String!, $query: String, $blobId: String!) {
  project(id: $projectId) {
    blobs(query: $query) {
      totalCount
      totalSize
      items { id fileName fileType fileSize uploadStatus }
    }
    blob(id: $blobId) { id fileName fileType fileSize fileHash uploadStatus }
  }
}
"""


def bearer(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


def is_client_error(response: requests.Response) -> bool:
    return 400 <= response.status_code < 500


def blob_url(url: str, project_id: str, *rest: str) -> str:
    return "/".join([f"{url}/api/stream/{project_id}", *rest])


def upload(
    url: str, project_id: str, files: dict[str, tuple[str, bytes]], token: str | None
) -> requests.Response:
    """`POST /api/stream/{p}/blob` with one multipart file part per entry of `files`,
    form key → (file name, bytes)."""
    return requests.post(
        blob_url(url, project_id, "blob"),
        files={key: (name, data, OCTET_STREAM) for key, (name, data) in files.items()},
        headers=bearer(token),
        timeout=60,
    )


def upload_one(url: str, project_id: str, name: str, data: bytes, token: str) -> str:
    """Uploads one file and returns its blob id."""
    response = upload(url, project_id, {name: (name, data)}, token)
    assert response.status_code == 201, (response.status_code, response.text)
    [result] = response.json()["uploadResults"]
    assert result["uploadStatus"] == 1, result
    return result["blobId"]


def download(url: str, project_id: str, blob_id: str, token: str | None) -> requests.Response:
    return requests.get(
        blob_url(url, project_id, "blob", blob_id), headers=bearer(token), timeout=60
    )


def blob_diff(url: str, project_id: str, body, token: str | None) -> requests.Response:
    return requests.post(
        blob_url(url, project_id, "blob", "diff"), json=body, headers=bearer(token), timeout=30
    )


def list_blobs(
    url: str, project_id: str, token: str | None, file_name: str | None = None
) -> requests.Response:
    params = {"fileName": file_name} if file_name is not None else None
    return requests.get(
        blob_url(url, project_id, "blobs"), params=params, headers=bearer(token), timeout=30
    )


def delete(url: str, project_id: str, blob_id: str, token: str | None) -> requests.Response:
    return requests.delete(
        blob_url(url, project_id, "blob", blob_id), headers=bearer(token), timeout=30
    )


def listed_names(response: requests.Response) -> list[str]:
    assert response.status_code == 200, (response.status_code, response.text)
    return sorted(b["fileName"] for b in response.json()["blobs"])


def blobs_query(
    client: SpeckleClient, project_id: str, blob_id: str, query: str | None = None
) -> dict:
    request = gql(BLOBS)
    request.variable_values = {"projectId": project_id, "query": query, "blobId": blob_id}
    return client.httpclient.execute(request)["project"]


def random_bytes(size: int) -> bytes:
    return os.urandom(size)


def with_query(link: str, **changes: str) -> str:
    """`link` with some of its query parameters replaced."""
    parsed = urlparse(link)
    query = dict(parse_qsl(parsed.query, keep_blank_values=True))
    for key in changes:
        assert key in query, (key, link)
    query.update(changes)
    return urlunparse(parsed._replace(query=urlencode(query)))


def flipped(text: str) -> str:
    """`text` with its last character changed (hex or base64 alike; a digit, so a hex decoder
    that ignores case cannot read it as the same value)."""
    last = text[-1]
    return text[:-1] + ("0" if last != "0" else "1")


@dataclass
class Uploaded:
    project_id: str
    big_id: str
    big_name: str
    big: bytes
    small_id: str
    small_name: str
    small: bytes
    results: list[dict]


@pytest.fixture(scope="module")
def project(client) -> Project:
    return create_project(client)


@pytest.fixture(scope="module")
def public_project(client) -> Project:
    return create_project(client, ProjectVisibility.PUBLIC)


@pytest.fixture(scope="module")
def uploaded(url, user, project) -> Uploaded:
    """Two files uploaded in one multipart request: 300 KB of random bytes and a small text."""
    big_name = f"scan-{uuid.uuid4().hex[:8]}.bin"
    small_name = f"Notes-{uuid.uuid4().hex[:8]}.TXT"
    big = random_bytes(300 * 1024)
    small = "hello, blobs — ünïcødé\n".encode()
    response = upload(
        url,
        project.id,
        {"first": (big_name, big), "second": (small_name, small)},
        user.token,
    )
    assert response.status_code == 201, (response.status_code, response.text)
    results = response.json()["uploadResults"]
    assert len(results) == 2, results
    by_key = {r["formKey"]: r for r in results}
    return Uploaded(
        project_id=project.id,
        big_id=by_key["first"]["blobId"],
        big_name=big_name,
        big=big,
        small_id=by_key["second"]["blobId"],
        small_name=small_name,
        small=small,
        results=results,
    )


# --- REST routes ---------------------------------------------------------------------------


def test_multipart_upload_reports_every_file(uploaded):
    by_key = {r["formKey"]: r for r in uploaded.results}
    assert set(by_key) == {"first", "second"}
    for key, name, data in (
        ("first", uploaded.big_name, uploaded.big),
        ("second", uploaded.small_name, uploaded.small),
    ):
        result = by_key[key]
        assert {"blobId", "fileName", "fileSize", "uploadStatus", "formKey"} <= set(result)
        assert result["fileName"] == name
        assert result["fileSize"] == len(data)
        assert result["uploadStatus"] == 1
        assert isinstance(result["blobId"], str) and result["blobId"]
        assert not result.get("uploadError")
    assert uploaded.big_id != uploaded.small_id


def test_download_returns_the_exact_bytes(url, user, uploaded):
    for blob_id, name, data in (
        (uploaded.big_id, uploaded.big_name, uploaded.big),
        (uploaded.small_id, uploaded.small_name, uploaded.small),
    ):
        response = download(url, uploaded.project_id, blob_id, user.token)
        assert response.status_code == 200, (response.status_code, response.text[:200])
        assert response.content == data, (name, len(response.content), len(data))
        assert response.headers["Content-Type"].startswith(OCTET_STREAM), response.headers
        disposition = response.headers.get("Content-Disposition", "")
        assert name in disposition, disposition
        assert int(response.headers["Content-Length"]) == len(data)
        # Speckle serves files to other origins (the viewer): permissive CORS and CORP.
        assert response.headers.get("Cross-Origin-Resource-Policy") == "cross-origin"


def test_form_fields_without_a_file_name_are_not_files(url, user, client):
    """Upstream parses the body with Busboy and makes a blob of every *file* part only (a part
    whose Content-Disposition has a filename); plain form fields are ignored."""
    project = create_project(client)
    response = requests.post(
        blob_url(url, project.id, "blob"),
        data={"note": "just a form field"},
        files={"file": ("attached.bin", b"attached", OCTET_STREAM)},
        headers=bearer(user.token),
        timeout=30,
    )
    assert response.status_code == 201, (response.status_code, response.text)
    results = response.json()["uploadResults"]
    assert [r["formKey"] for r in results] == ["file"], (
        "POST /api/stream/{p}/blob with a plain text field `note` (no filename) next to a file "
        "part should report only the file part (objects.md §4.7: every *file* part becomes a "
        f"blob), but the server stored the text field as a blob too: {results}"
    )


def test_unknown_files_and_projects_are_404(url, user, uploaded):
    assert download(url, uploaded.project_id, "0123456789", user.token).status_code == 404
    assert delete(url, uploaded.project_id, "0123456789", user.token).status_code == 404
    response = upload(url, "0123456789", {"f": ("x.bin", b"x")}, user.token)
    assert is_client_error(response), (response.status_code, response.text)


def test_diff_returns_only_unknown_ids(url, user, uploaded):
    unknown = ["0123456789", uuid.uuid4().hex[:10]]
    response = blob_diff(
        url, uploaded.project_id, [uploaded.big_id, unknown[0], uploaded.small_id, unknown[1]],
        user.token,
    )
    assert response.status_code == 200, (response.status_code, response.text)
    assert sorted(response.json()) == sorted(unknown)

    everything_known = blob_diff(
        url, uploaded.project_id, [uploaded.big_id, uploaded.small_id], user.token
    )
    assert everything_known.status_code == 200, everything_known.text
    assert everything_known.json() == []


@pytest.mark.parametrize(
    "body",
    [{"ids": ["0123456789"]}, "0123456789", 42],
    ids=["object", "string", "number"],
)
def test_diff_refuses_a_body_that_is_not_an_array(url, user, uploaded, body):
    response = blob_diff(url, uploaded.project_id, body, user.token)
    assert is_client_error(response), (
        f"POST /api/stream/{{p}}/blob/diff with body {body!r} should be a 4xx (upstream 400), "
        f"got {response.status_code} {response.text!r}"
    )


def test_list_and_filter_by_file_name(url, user, uploaded):
    everything = list_blobs(url, uploaded.project_id, user.token)
    assert listed_names(everything) == sorted([uploaded.big_name, uploaded.small_name])
    by_id = {b["id"]: b for b in everything.json()["blobs"]}
    assert by_id[uploaded.big_id]["fileSize"] == len(uploaded.big)
    assert by_id[uploaded.big_id]["uploadStatus"] == 1
    assert by_id[uploaded.small_id]["fileName"] == uploaded.small_name

    exact = list_blobs(url, uploaded.project_id, user.token, file_name=uploaded.big_name)
    assert listed_names(exact) == [uploaded.big_name]

    nothing = list_blobs(url, uploaded.project_id, user.token, file_name="no-such-file.xyz")
    assert listed_names(nothing) == []


def test_delete_then_the_file_is_gone(url, user, project):
    blob_id = upload_one(url, project.id, "doomed.bin", random_bytes(4096), user.token)
    assert download(url, project.id, blob_id, user.token).status_code == 200

    response = delete(url, project.id, blob_id, user.token)
    assert response.status_code == 204, (response.status_code, response.text)

    gone = download(url, project.id, blob_id, user.token)
    assert gone.status_code == 404, (gone.status_code, gone.text)
    assert blob_diff(url, project.id, [blob_id], user.token).json() == [blob_id]
    assert "doomed.bin" not in listed_names(list_blobs(url, project.id, user.token))


def test_deleting_all_blobs_is_not_implemented(url, user, project):
    response = requests.delete(
        blob_url(url, project.id, "blobs"), headers=bearer(user.token), timeout=30
    )
    assert response.status_code == 501, (response.status_code, response.text)


# --- access --------------------------------------------------------------------------------


def test_strangers_cannot_touch_a_private_project(url, second_user, uploaded):
    token = second_user.token
    refused = {
        "upload": upload(url, uploaded.project_id, {"f": ("x.bin", b"x")}, token),
        "download": download(url, uploaded.project_id, uploaded.big_id, token),
        "delete": delete(url, uploaded.project_id, uploaded.small_id, token),
        "list": list_blobs(url, uploaded.project_id, token),
        "diff": blob_diff(url, uploaded.project_id, [uploaded.big_id], token),
    }
    for name, response in refused.items():
        assert is_client_error(response), (name, response.status_code, response.text[:200])


def test_anonymous_cannot_touch_a_private_project(url, uploaded):
    refused = {
        "upload": upload(url, uploaded.project_id, {"f": ("x.bin", b"x")}, None),
        "download": download(url, uploaded.project_id, uploaded.big_id, None),
        "delete": delete(url, uploaded.project_id, uploaded.small_id, None),
    }
    for name, response in refused.items():
        assert is_client_error(response), (name, response.status_code, response.text[:200])


def test_public_project_files_are_downloadable_by_anyone(url, user, second_user, public_project):
    data = random_bytes(20_000)
    blob_id = upload_one(url, public_project.id, "shared.bin", data, user.token)
    for who, token in (("stranger", second_user.token), ("anonymous", None)):
        response = download(url, public_project.id, blob_id, token)
        assert response.status_code == 200, (who, response.status_code, response.text[:200])
        assert response.content == data, who
        assert "shared.bin" in response.headers.get("Content-Disposition", ""), who


def test_anonymous_upload_is_refused(url, public_project):
    response = upload(url, public_project.id, {"f": ("anon.bin", b"anonymous")}, None)
    assert response.status_code in (401, 403), (response.status_code, response.text)


def test_strangers_cannot_delete_from_a_public_project(url, user, second_user, public_project):
    blob_id = upload_one(url, public_project.id, "keep.bin", b"keep me", user.token)
    response = delete(url, public_project.id, blob_id, second_user.token)
    assert is_client_error(response), (response.status_code, response.text)
    assert download(url, public_project.id, blob_id, user.token).status_code == 200


def test_invalid_token_is_refused(url, uploaded):
    token = "not-a-real-token-" + uuid.uuid4().hex
    responses = {
        "upload": upload(url, uploaded.project_id, {"f": ("x.bin", b"x")}, token),
        "download": download(url, uploaded.project_id, uploaded.big_id, token),
        "diff": blob_diff(url, uploaded.project_id, [uploaded.big_id], token),
        "list": list_blobs(url, uploaded.project_id, token),
        "delete": delete(url, uploaded.project_id, uploaded.big_id, token),
    }
    for name, response in responses.items():
        assert response.status_code == 403, (name, response.status_code, response.text)
        assert response.json() == INVALID_TOKEN, name


# --- GraphQL -------------------------------------------------------------------------------


def test_graphql_blobs_and_blob(url, user, client):
    project = create_project(client)
    big = random_bytes(50_000)
    small = b"tiny"
    big_id = upload_one(url, project.id, "Model.IFC", big, user.token)
    small_id = upload_one(url, project.id, "readme", small, user.token)

    result = blobs_query(client, project.id, big_id)
    blobs = result["blobs"]
    assert blobs["totalCount"] == 2
    assert blobs["totalSize"] == len(big) + len(small)
    items = {item["id"]: item for item in blobs["items"]}
    assert set(items) == {big_id, small_id}
    assert items[big_id] == {
        "id": big_id,
        "fileName": "Model.IFC",
        "fileType": "ifc",
        "fileSize": len(big),
        "uploadStatus": 1,
    }
    assert items[small_id]["fileType"] == ""
    assert items[small_id]["fileSize"] == len(small)

    assert result["blob"]["id"] == big_id
    assert result["blob"]["fileName"] == "Model.IFC"
    assert result["blob"]["fileSize"] == len(big)

    filtered = blobs_query(client, project.id, small_id, query="model")["blobs"]
    assert [item["id"] for item in filtered["items"]] == [big_id]
    assert filtered["totalCount"] == 1

    assert blobs_query(client, project.id, "0123456789")["blob"] is None


# --- specklepy's FileImportResource ---------------------------------------------------------


def generate(client: SpeckleClient, project_id: str, file_name: str):
    return client.file_import.generate_upload_url(
        GenerateFileUploadUrlInput(project_id=project_id, file_name=file_name)
    )


def test_specklepy_upload_url_round_trip(client, project, tmp_path: Path):
    data = random_bytes(300 * 1024)
    source = tmp_path / "upload.ifc"
    source.write_bytes(data)

    target = generate(client, project.id, source.name)
    assert target.file_id and target.url.startswith(("http://", "https://")), target

    response = client.file_import.upload_file(source, target.url)
    assert response.etag, response

    copy = client.file_import.download_file(
        project.id, target.file_id, tmp_path / "out" / "copy.ifc"
    )
    assert copy.read_bytes() == data

    blob = blobs_query(client, project.id, target.file_id)["blob"]
    assert blob["id"] == target.file_id
    assert blob["fileName"] == source.name
    assert blob["fileSize"] == len(data)
    assert blob["uploadStatus"] == 1
    # Speckle keeps the ETag without its quotes as the file's hash.
    assert blob["fileHash"] == response.etag.strip('"')


def test_upload_url_needs_no_token_and_answers_an_etag(client, project):
    target = generate(client, project.id, "plain.bin")
    data = random_bytes(10_000)
    response = requests.put(
        target.url, data=data, headers={"Content-Type": OCTET_STREAM}, timeout=60
    )
    assert response.status_code // 100 == 2, (response.status_code, response.text)
    assert response.headers.get("ETag", "").strip('"'), response.headers


def test_upload_url_refuses_a_tampered_signature(client, project):
    target = generate(client, project.id, "tampered.bin")
    query = dict(parse_qsl(urlparse(target.url).query))
    data = b"should not be stored"
    tampered = []
    if "signature" in query:  # Fleck's own /storage/ URLs (blobs on disk)
        tampered.append(with_query(target.url, signature=flipped(query["signature"])))
        tampered.append(with_query(target.url, expires=str(int(query["expires"]) + 3600)))
    elif "X-Amz-Signature" in query:  # an S3 presigned URL
        signature = flipped(query["X-Amz-Signature"])
        tampered.append(with_query(target.url, **{"X-Amz-Signature": signature}))
    else:
        pytest.fail(f"no signature in the upload URL {target.url}")
    for link in tampered:
        response = requests.put(
            link, data=data, headers={"Content-Type": OCTET_STREAM}, timeout=30
        )
        assert is_client_error(response), (link, response.status_code, response.text)

    # The genuine URL still works afterwards.
    genuine = requests.put(
        target.url, data=data, headers={"Content-Type": OCTET_STREAM}, timeout=30
    )
    assert genuine.status_code // 100 == 2, (genuine.status_code, genuine.text)


def test_upload_url_is_only_for_put(client, project):
    target = generate(client, project.id, "method.bin")
    response = requests.get(target.url, timeout=30)
    assert is_client_error(response), (response.status_code, response.text)


def test_strangers_cannot_generate_an_upload_url(second_client, project):
    with pytest.raises(GraphQLException):
        generate(second_client, project.id, "stranger.bin")
