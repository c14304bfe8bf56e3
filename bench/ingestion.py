"""Ingestion benchmark: one model of N meshes sent three ways, as Speckle's clients send.

- json:   the legacy transport (specklepy `operations.send`): gzipped JSON batches to
          `POST /objects/:project` from 4 threads, then `versionMutations.create`;
- ndjson: the .NET SDK's send pipeline: a model ingestion, one presigned PUT of a gzip file of
          `id<TAB>speckle_type<TAB>json` lines, `…/uploads/process`, then waiting for `success`;
- send3:  specklepy's parquet bundles (`operations.send3`): the bundle built by specklepy, then
          sign, PUT per file and `…/uploads/complete` (the server reads the bundle and builds
          the object tree the viewer draws).

The same meshes go each way (objects.py makes them). Seconds are end to end as the client sees
them once its payload is ready; the client's own build time of a bundle is reported apart. With
BENCH_SERVER_PID set (bench/run.sh sets it) the server's peak RSS is read when the path ends.
Memory a server has once taken stays counted, so for a peak per path run each path on a fresh
server (`bench/ingestion.sh` does): `--skip ndjson,send3`, `--skip json,send3`, …

    python bench/ingestion.py --url http://127.0.0.1:3000 --objects 100000 --out r.json
    python bench/ingestion.py --table-from sqlite.json postgres.json
"""

import gzip
import json
import os
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
from objects import (  # noqa: E402
    authenticate,
    create_project,
    drive,
    driver_parser,
    expect,
    generate,
    graphql,
    log,
    upload,
)

PATHS = ("json", "ndjson", "send3")


def create_model(url, token, project, name):
    data = graphql(
        url,
        token,
        "mutation($i: CreateModelInput!) { modelMutations { create(input: $i) { id } } }",
        {"i": {"projectId": project, "name": name}},
    )
    return data["modelMutations"]["create"]["id"]


def create_ingestion(url, token, project, model):
    data = graphql(
        url,
        token,
        """mutation($i: ModelIngestionCreateInput!) { projectMutations { modelIngestionMutations {
            create(input: $i) { id } } } }""",
        {
            "i": {
                "projectId": project,
                "modelId": model,
                "progressMessage": "benchmark",
                "sourceData": {"sourceApplicationSlug": "bench", "sourceApplicationVersion": "1"},
            }
        },
    )
    return data["projectMutations"]["modelIngestionMutations"]["create"]["id"]


def ingestion_status(url, token, project, ingestion):
    data = graphql(
        url,
        token,
        """query($p: String!, $i: ID!) { project(id: $p) { ingestion(id: $i) {
            statusData { ... on HasModelIngestionStatus { status }
            ... on ModelIngestionSuccessStatus { versionId }
            ... on ModelIngestionFailedStatus { errorReason } } } } }""",
        {"p": project, "i": ingestion},
    )
    return data["project"]["ingestion"]["statusData"]


class Memory:
    """The server's peak RSS per path, through /proc (reset by writing 5 to clear_refs)."""

    def __init__(self):
        self.pid = os.environ.get("BENCH_SERVER_PID")

    def reset(self):
        if self.pid:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")

    def peak_mb(self):
        if not self.pid:
            return None
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
        return None


def send_json(url, token, project, batches, root_batch, root_id):
    model = create_model(url, token, project, "bench json")
    t0 = time.perf_counter()
    upload(url, project, token, batches, root_batch, 4, False)
    created = graphql(
        url,
        token,
        "mutation($i: CreateVersionInput!) { versionMutations { create(input: $i) { id } } }",
        {"i": {"projectId": project, "modelId": model, "objectId": root_id}},
    )
    return time.perf_counter() - t0, created["versionMutations"]["create"]["id"]


def ndjson_file(children, root) -> bytes:
    lines = [f"{i}\tObjects.Geometry.Mesh\t{text}\n" for i, text in children]
    lines.append(f"{root[0]}\tBase\t{root[1]}\n")
    return gzip.compress("".join(lines).encode(), compresslevel=6)


def wait_for_success(url, token, project, ingestion):
    while True:
        status = ingestion_status(url, token, project, ingestion)
        if status["status"] == "success":
            return status["versionId"]
        if status["status"] in ("failed", "cancelled"):
            raise RuntimeError(f"ingestion {status['status']}: {status.get('errorReason')}")
        time.sleep(0.1)


def send_ndjson(url, token, project, body):
    model = create_model(url, token, project, "bench ndjson")
    t0 = time.perf_counter()
    ingestion = create_ingestion(url, token, project, model)
    base = f"{url}/api/v1/projects/{project}/modelingestion/{ingestion}/uploads"
    auth = {"Authorization": f"Bearer {token}"}
    signed = requests.post(f"{base}/sign", headers=auth, timeout=60)
    expect(signed, 200, "sign")
    put = requests.put(signed.json()["url"], data=body, timeout=600)
    if put.status_code not in (200, 201):
        raise RuntimeError(f"PUT: {put.status_code} {put.text[:300]}")
    processed = requests.post(f"{base}/process", json={"etag": put.headers["etag"]}, headers=auth, timeout=60)
    expect(processed, 202, "process")
    version = wait_for_success(url, token, project, ingestion)
    return time.perf_counter() - t0, version


def build_bundle(children):
    from specklepy.bundle.builder import BundleBuilder
    from specklepy.bundle.envelope_writer import Producer
    from specklepy.objects.geometry import Mesh

    builder = BundleBuilder(Producer(slug="bench", version="1"), units="m")
    for i, text in children:
        mesh = json.loads(text)
        element = builder.get_or_add_object(f"element-{i}")
        element.set_properties(
            {"Area": mesh["area"], "Volume": mesh["volume"]},
            name=mesh["name"],
            speckle_type="Objects.Data.DataObject",
        )
        element.add_geometry(Mesh(vertices=mesh["vertices"], faces=mesh["faces"], units="m"))
    return builder


def send_bundle(url, token, project, children):
    from specklepy.api.client import SpeckleClient
    from specklepy.api.credentials import get_account_from_token
    from specklepy.bundle.download import BundleReference
    from specklepy.bundle.upload import ArtifactPipeline

    model = create_model(url, token, project, "bench send3")
    account = get_account_from_token(token, url)
    client = SpeckleClient(host=url, use_ssl=url.startswith("https"))
    client.authenticate_with_account(account)
    t0 = time.perf_counter()
    builder = build_bundle(children)
    ingestion = create_ingestion(url, token, project, model)
    version = client.model_ingestion.get_reserved_version_id(project, ingestion)
    files = builder.build().rename_to(version)
    built = time.perf_counter() - t0
    size = sum(os.path.getsize(p) for p in files.by_name.values())
    t1 = time.perf_counter()
    with ArtifactPipeline(project, ingestion, version, account, files.directory, timeout=1800) as pipeline:
        pipeline.upload_files(files.by_name, str(BundleReference(project, model, version)), files.object_count)
    return time.perf_counter() - t1, version, {"client_build_s": round(built, 2), "payload_bytes": size}


def run(args) -> dict:
    url = args.url.rstrip("/")
    n = args.objects
    log(f"generating {n} meshes ...")
    children, root, batches, root_batch = generate(n, 1000, 1_000_000, args.seed)
    json_bytes = sum(len(t) for _, t in children) + len(root[1])
    token = authenticate(url)
    project = create_project(url, token)
    memory = Memory()
    result = {"label": args.label, "objects": n, "upload_json_bytes": json_bytes}
    wanted = [p for p in PATHS if p not in args.skip]

    def measure(name, send):
        memory.reset()
        seconds, _version, *rest = send()
        extra = rest[0] if rest else {}
        result[name] = {"seconds": round(seconds, 2), "objects_per_s": round(n / seconds), "peak_rss_mb": memory.peak_mb(), **extra}
        log(f"{name}: {seconds:.1f} s, {n / seconds:,.0f} objects/s, peak RSS {result[name]['peak_rss_mb']} MB {extra}")

    if "json" in wanted:
        measure("json", lambda: send_json(url, token, project, batches, root_batch, root[0]))
    if "ndjson" in wanted:
        body = ndjson_file(children, root)
        result["ndjson_file_bytes"] = len(body)
        measure("ndjson", lambda: send_ndjson(url, token, project, body))
    if "send3" in wanted:
        measure("send3", lambda: send_bundle(url, token, project, children))
    return result


def table(results) -> str:
    rows = [
        "| backends | path | seconds | objects/s | server peak RSS | client build |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for path in PATHS:
            if path not in r:
                continue
            p = r[path]
            rss = f"{p['peak_rss_mb']:.0f} MB" if p.get("peak_rss_mb") else "–"
            build = f"{p['client_build_s']} s" if "client_build_s" in p else "–"
            rows.append(f"| {r['label']} | {path} | {p['seconds']} | {p['objects_per_s']:,} | {rss} | {build} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    p = driver_parser(__doc__)
    p.add_argument("--skip", default="", type=lambda s: [x for x in s.split(",") if x])
    return drive(p.parse_args(argv), run, table)


if __name__ == "__main__":
    sys.exit(main())
