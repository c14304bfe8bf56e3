#!/usr/bin/env python3
"""Benchmark of the object transport of a Speckle-compatible server (Fleck or Speckle itself).

It drives the REST routes the way specklepy's ServerTransport and the viewer's object loaders do
(spec: shared/spec/objects.md §4, clients.md §7):

  1. registers a fresh user (local strategy) and exchanges the access code for a token,
  2. creates a private project through GraphQL,
  3. generates N mesh-like objects (~1.2 KB of JSON each, ids = sha256(json with id "")[:32] as
     specklepy computes them) plus a root whose `@elements` reference them all and whose
     `__closure` lists them; batches are gzipped up front, before anything is timed,
  4. upload: one cold `POST /api/diff/{p}` of every id, then every batch as
     `multipart/form-data` (part `batch-1`, `application/gzip`) from --concurrency threads,
     the root last; every answer must be exactly 201,
  5. diff of all N+1 ids (all must be true), median of --repeat runs,
  6. download of the whole tree `GET /objects/{p}/{root}` (`Accept: text/plain` lines, median of
     --repeat; and the JSON-array variant once),
  7. `POST /api/getobjects/{p}` of --sample child ids, median of --repeat,
  8. `POST /api/v2/projects/{p}/object-stream/` of the same ids, median of --repeat,
  9. prints a markdown table and writes every figure as JSON to --out.

Only the request/response round trips are timed: request bodies are encoded beforehand and the
answers are checked afterwards. MB means 10^6 bytes of uncompressed object JSON.

    python bench/objects.py --url http://127.0.0.1:3000 [--objects 100000] [--concurrency 4]
                            [--batch 1000] [--label sqlite] [--out result.json]
    python bench/objects.py --dry-run [--objects 100000]      # generate + gzip only, no server
    python bench/objects.py --table-from a.json b.json         # one table from saved results

Needs Python 3.8+ and `requests` (e.g. ~/.cache/fleck/venv/bin/python).
"""

import argparse
import gzip
import hashlib
import json
import math
import platform
import queue
import random
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urlparse

try:
    import requests
except ImportError:  # --dry-run and --table-from work without it
    requests = None

WEB_APP = {"appId": "spklwebapp", "appSecret": "spklwebapp"}
CREATE_PROJECT = (
    "mutation($input:ProjectCreateInput){projectMutations{create(input:$input){id}}}"
)
MB = 1_000_000
TIMEOUT = 900  # seconds for one request; a 100k-object download must fit
PHASES = ("diff", "download", "download-json", "getobjects", "object-stream")


class BenchError(Exception):
    """A server answer the benchmark cannot accept (wrong status, missing objects, ...)."""


# --------------------------------------------------------------------------------------------
# Object generation (specklepy conventions)
# --------------------------------------------------------------------------------------------


def dumps(obj) -> str:
    """Compact JSON, as specklepy's ujson.dumps writes it."""
    return json.dumps(obj, separators=(",", ":"))


def speckle_id(obj: dict) -> str:
    """specklepy's hash_obj: sha256 of the JSON with `"id": ""` (no `__closure`), first 32 hex."""
    return hashlib.sha256(dumps(obj).encode()).hexdigest()[:32]


def make_mesh(rng: random.Random, i: int) -> tuple:
    """An extruded polygon (a column, a slab edge, a wall piece) in metres, full-precision floats
    as tessellators and unit conversions produce them. Keys in specklepy's order: id,
    speckle_type, totalChildrenCount first, then the declared properties."""
    sides = rng.choice((6, 7))  # 12 or 14 vertices, 36 or 42 floats
    cx, cy = rng.uniform(-250.0, 250.0), rng.uniform(-250.0, 250.0)
    z0 = rng.choice((0.0, 3.2, 6.4, 9.6, 12.8)) + rng.uniform(-0.05, 0.05)
    height = rng.uniform(0.2, 3.5)
    radius = rng.uniform(0.15, 2.5)
    turn = rng.uniform(0.0, 2 * math.pi)
    ring = []
    for k in range(sides):
        angle = turn + 2 * math.pi * k / sides
        r = radius * rng.uniform(0.85, 1.15)
        ring.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    vertices = []
    for z in (z0, z0 + height):
        for x, y in ring:
            vertices += (x, y, z)
    faces = []
    for k in range(sides):  # walls: two triangles per side
        a, b = k, (k + 1) % sides
        faces += (3, a, b, sides + b, 3, a, sides + b, sides + a)
    for k in range(1, sides - 1):  # caps: fans
        faces += (3, 0, k + 1, k, 3, sides, sides + k, sides + k + 1)
    perimeter = sum(
        math.dist(ring[k], ring[(k + 1) % sides]) for k in range(sides)
    )
    cap = 0.5 * abs(
        sum(
            ring[k][0] * ring[(k + 1) % sides][1] - ring[(k + 1) % sides][0] * ring[k][1]
            for k in range(sides)
        )
    )
    obj = {
        "id": "",
        "speckle_type": "Objects.Geometry.Mesh",
        "totalChildrenCount": 0,
        "applicationId": None,
        "units": "m",
        "vertices": vertices,
        "faces": faces,
        "colors": [],
        "textureCoordinates": [],
        "vertexNormals": [],
        "area": perimeter * height + 2 * cap,
        "volume": cap * height,
        "name": f"mesh-{i}",
    }
    obj["id"] = speckle_id(obj)
    return obj["id"], dumps(obj)


def make_root(child_ids: list) -> tuple:
    """The commit root: detached `@elements` as reference objects, `totalChildrenCount`, and
    `__closure` added after hashing, as specklepy's serializer does."""
    root = {
        "id": "",
        "speckle_type": "Base",
        "totalChildrenCount": len(child_ids),
        "applicationId": None,
        "@elements": [{"referencedId": c, "speckle_type": "reference"} for c in child_ids],
    }
    root["id"] = speckle_id(root)
    root["__closure"] = {c: 1 for c in child_ids}
    return root["id"], dumps(root)


class Batch:
    """One upload request, encoded in advance: the gzipped `[obj,obj,...]` in a multipart body."""

    def __init__(self, ids, raw_len, gz, body):
        self.ids, self.raw_len, self.gz, self.body = ids, raw_len, gz, body


BOUNDARY = uuid.uuid4().hex
MULTIPART_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(gz: bytes) -> bytes:
    """What `requests.post(files={"batch-1": ("batch-1", gz, "application/gzip")})` sends."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="batch-1"; filename="batch-1"\r\n'
        "Content-Type: application/gzip\r\n\r\n"
    ).encode()
    return head + gz + f"\r\n--{BOUNDARY}--\r\n".encode()


def make_batch(items: list) -> Batch:
    payload = ("[" + ",".join(s for _, s in items) + "]").encode()
    gz = gzip.compress(payload)  # level 9, like specklepy's gzip.compress
    return Batch([i for i, _ in items], len(payload), gz, multipart(gz))


def generate(n: int, batch_len: int, max_batch_bytes: int, seed: int):
    """Children, root and batches. A batch closes at `batch_len` objects or, when
    `max_batch_bytes` > 0, before it would reach that many characters (specklepy: 1 MB)."""
    rng = random.Random(seed)
    children = [make_mesh(rng, i) for i in range(n)]
    root_id, root_json = make_root([c for c, _ in children])
    batches, current, size = [], [], 0
    for item in children:
        if current and (
            len(current) >= batch_len
            or (max_batch_bytes and size + len(item[1]) >= max_batch_bytes)
        ):
            batches.append(make_batch(current))
            current, size = [], 0
        current.append(item)
        size += len(item[1])
    if current:
        batches.append(make_batch(current))
    root_batch = make_batch([(root_id, root_json)])
    return children, (root_id, root_json), batches, root_batch


# --------------------------------------------------------------------------------------------
# HTTP helpers
# --------------------------------------------------------------------------------------------


def new_session(token=None) -> "requests.Session":
    s = requests.Session()
    s.headers["Accept"] = "text/plain"  # as specklepy's ServerTransport session
    if token:
        s.headers["Authorization"] = f"Bearer {token}"
    return s


def expect(r, status: int, what: str):
    if r.status_code != status:
        raise BenchError(
            f"{what}: expected HTTP {status}, got {r.status_code}: {r.text[:500]!r}"
        )


def authenticate(url: str) -> str:
    suffix = uuid.uuid4().hex[:12]
    challenge = uuid.uuid4().hex
    r = requests.post(
        f"{url}/auth/local/register?challenge={challenge}",
        data={
            "email": f"bench-{suffix}@example.org",
            "password": f"Pw-{uuid.uuid4().hex}",
            "name": f"Bench {suffix}",
            "company": "Fleck Bench",
        },
        allow_redirects=False,
        timeout=60,
    )
    expect(r, 302, "POST /auth/local/register")
    query = parse_qs(urlparse(r.headers.get("Location", "")).query)
    if "access_code" not in query:
        raise BenchError(f"register: no access_code in Location {r.headers.get('Location')!r}")
    r = requests.post(
        f"{url}/auth/token",
        json={**WEB_APP, "accessCode": query["access_code"][0], "challenge": challenge},
        timeout=60,
    )
    expect(r, 200, "POST /auth/token")
    return r.json()["token"]


def graphql(url: str, token: str, query: str, variables: dict, what="GraphQL") -> dict:
    """The `data` of one GraphQL request as `token` (waiting up to TIMEOUT); `what` names it in the
    BenchError raised for another status than 200 or an answer with `errors`."""
    r = requests.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    expect(r, 200, f"POST /graphql {what}")
    body = r.json()
    if body.get("errors"):
        raise BenchError(f"{what}: {body['errors']}")
    return body["data"]


def create_project(url: str, token: str) -> str:
    project = {
        "name": f"bench {time.strftime('%Y-%m-%d %H:%M:%S')}",
        "description": None,
        "visibility": "PRIVATE",
    }
    data = graphql(url, token, CREATE_PROJECT, {"input": project}, "projectMutations.create")
    return data["projectMutations"]["create"]["id"]


def form(ids: list) -> bytes:
    """`objects=<JSON string of the ids>`, as specklepy's `data={"objects": json.dumps(ids)}`."""
    return urlencode({"objects": json.dumps(ids)}).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def timed_post(session, url, body, headers, what, status=200):
    """POST, read the whole answer; the time covers the request and the full body."""
    t0 = time.perf_counter()
    r = session.post(url, data=body, headers=headers, timeout=TIMEOUT)
    content = r.content
    elapsed = time.perf_counter() - t0
    expect(r, status, what)
    return elapsed, content, r


def check_diff(content: bytes, ids: list, want: bool, what: str, strict=True):
    answer = json.loads(content)
    if not isinstance(answer, dict):
        raise BenchError(f"{what}: answer is not a JSON object")
    missing = [i for i in ids if i not in answer]
    if missing:
        raise BenchError(f"{what}: {len(missing)} requested ids missing from the answer, e.g. {missing[:3]}")
    wrong = [i for i in ids if answer[i] is not want]
    if wrong and strict:
        raise BenchError(f"{what}: {len(wrong)} ids are not {want}, e.g. {wrong[:3]}")
    return len(wrong)


def stream_get(session, url, accept, keep: bool):
    """GET streamed, decompressed by requests; counts bytes and lines while the data arrives."""
    headers = {"Accept": accept}
    t0 = time.perf_counter()
    r = session.get(url, headers=headers, stream=True, timeout=TIMEOUT)
    if r.status_code != 200:
        raise BenchError(f"GET {url}: expected HTTP 200, got {r.status_code}: {r.text[:500]!r}")
    nbytes = newlines = 0
    last = b""
    chunks = []
    for chunk in r.iter_content(1 << 20):
        if not chunk:
            continue
        nbytes += len(chunk)
        newlines += chunk.count(b"\n")
        last = chunk[-1:]
        if keep:
            chunks.append(chunk)
    elapsed = time.perf_counter() - t0
    try:
        wire = r.raw.tell()  # bytes read off the socket (compressed), urllib3
    except Exception:
        wire = None
    info = {
        "s": elapsed,
        "bytes": nbytes,
        "wire_bytes": wire,
        "lines": newlines + (1 if nbytes and last != b"\n" else 0),
        "content_type": r.headers.get("Content-Type"),
        "content_encoding": r.headers.get("Content-Encoding"),
    }
    r.close()
    return info, (b"".join(chunks) if keep else None)


def check_lines(data: bytes, expected: list, what: str, root=None, need_final_newline=False):
    """`id\\tjson\\n` records: every expected id exactly once, JSON parses and carries that id;
    the root (when given) first with its `__closure` intact. Returns warnings; raises on
    errors."""
    warnings = []
    if data and not data.endswith(b"\n"):
        msg = f"{what}: the last record does not end with a newline"
        if need_final_newline:
            raise BenchError(msg + " (objectloader2 drops it)")
        warnings.append(msg)
    seen = []
    first = None
    for line in data.decode("utf-8").split("\n"):
        if not line:
            continue
        oid, tab, text = line.partition("\t")
        if not tab:
            raise BenchError(f"{what}: a line without a TAB: {line[:120]!r}")
        obj = json.loads(text)
        if not isinstance(obj, dict) or obj.get("id") != oid:
            raise BenchError(f"{what}: line for {oid} holds an object with id {obj.get('id')!r}")
        if first is None:
            first = obj
        seen.append(oid)
    check_ids(seen, expected, what)
    if root is not None:
        root_id, n_children = root
        if first is None or first["id"] != root_id:
            warnings.append(f"{what}: the root is not the first record")
        root_obj = first if first and first["id"] == root_id else None
        if root_obj is not None and len(root_obj.get("__closure") or {}) != n_children:
            raise BenchError(f"{what}: the root's __closure lost entries")
    return warnings


def check_ids(seen: list, expected: list, what: str):
    if len(seen) != len(set(seen)):
        raise BenchError(f"{what}: {len(seen) - len(set(seen))} duplicated records")
    missing = set(expected) - set(seen)
    extra = set(seen) - set(expected)
    if missing or extra:
        raise BenchError(
            f"{what}: {len(missing)} objects missing, {len(extra)} unexpected "
            f"(got {len(seen)}, expected {len(expected)})"
        )


def median(runs):
    return statistics.median(runs) if runs else None


def k(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def upload(url, project, token, batches, root_batch, concurrency, batch_diff):
    """Every batch from `concurrency` threads (one Session each), then the root. Returns the
    wall time and the per-request latencies."""
    sessions = queue.Queue()
    for _ in range(concurrency):
        sessions.put(new_session(token))
    local = threading.local()
    target = f"{url}/objects/{project}"
    diff_url = f"{url}/api/diff/{project}"
    headers = {"Content-Type": MULTIPART_TYPE}
    diff_bodies = {id(b): form(b.ids) for b in batches} if batch_diff else {}

    def send(batch):
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = sessions.get_nowait()
        if batch_diff:  # specklepy's BatchSender asks before each batch
            _, content, _ = timed_post(s, diff_url, diff_bodies[id(batch)], FORM, "POST /api/diff (batch)")
            check_diff(content, batch.ids, False, "batch diff")
        t0 = time.perf_counter()
        r = s.post(target, data=batch.body, headers=headers, timeout=TIMEOUT)
        r.content
        elapsed = time.perf_counter() - t0
        expect(r, 201, f"POST /objects/{project} ({len(batch.ids)} objects)")
        return elapsed

    t0 = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        latencies = list(pool.map(send, batches))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    root_session = new_session(token)
    t1 = time.perf_counter()
    r = root_session.post(target, data=root_batch.body, headers=headers, timeout=TIMEOUT)
    r.content
    root_s = time.perf_counter() - t1
    expect(r, 201, f"POST /objects/{project} (root)")
    wall = time.perf_counter() - t0
    return wall, latencies, root_s


def run(args) -> dict:
    url = args.url.rstrip("/")
    skip = set(args.skip)
    n = args.objects
    log(f"generating {n} objects + root (seed {args.seed}) ...")
    t0 = time.perf_counter()
    children, (root_id, root_json), batches, root_batch = generate(
        n, args.batch, int(args.max_batch_mb * MB), args.seed
    )
    gen_s = time.perf_counter() - t0
    child_ids = [c for c, _ in children]
    all_ids = child_ids + [root_id]
    children_bytes = sum(len(s) for _, s in children)
    upload_raw = sum(b.raw_len for b in batches) + root_batch.raw_len
    upload_gz = sum(len(b.gz) for b in batches) + len(root_batch.gz)
    stored_bytes = children_bytes + len(root_json)  # the JSON a full download carries
    sample = random.Random(args.seed + 1).sample(child_ids, min(args.sample, n))
    del children  # only ids and encoded batches are needed from here on
    result = {
        "label": args.label,
        "url": url,
        "objects": n,
        "sample": len(sample),
        "concurrency": args.concurrency,
        "batches": len(batches),
        "objects_per_batch": n / len(batches) if batches else 0,
        "avg_object_bytes": children_bytes / n if n else 0,
        "root_bytes": len(root_json),
        "upload_json_bytes": upload_raw,
        "upload_gzip_bytes": upload_gz,
        "generate_s": gen_s,
        "batch_diff": args.batch_diff,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "client": f"python {platform.python_version()}, requests {requests.__version__}",
        "warnings": [],
    }
    log(
        f"  {len(batches)} batches of ~{result['objects_per_batch']:.0f} objects, "
        f"{upload_raw / MB:.1f} MB JSON -> {upload_gz / MB:.1f} MB gzip, "
        f"avg object {result['avg_object_bytes']:.0f} B, root {len(root_json) / MB:.2f} MB "
        f"({gen_s:.1f} s)"
    )

    token = args.token or authenticate(url)
    project = args.project or create_project(url, token)
    result["project"] = project
    log(f"project {project} on {url}")
    s = new_session(token)
    diff_url = f"{url}/api/diff/{project}"

    # Upload: a cold diff of every id first, as a client asks before sending.
    all_form = form(all_ids)
    cold_s, content, _ = timed_post(s, diff_url, all_form, FORM, "POST /api/diff (cold)")
    existing = check_diff(content, all_ids, False, "cold diff", strict=not args.project)
    result["cold_diff_s"] = cold_s
    if existing:
        result["warnings"].append(f"{existing} objects were already in project {project}")
    log(f"cold diff of {len(all_ids)} ids: {cold_s:.3f} s")

    wall, latencies, root_s = upload(
        url, project, token, batches, root_batch, args.concurrency, args.batch_diff
    )
    latencies.sort()
    result["upload"] = {
        "s": wall,
        "objects_per_s": (n + 1) / wall,
        "mb_per_s": upload_raw / MB / wall,
        "gzip_mb_per_s": upload_gz / MB / wall,
        "batch_p50_s": latencies[len(latencies) // 2] if latencies else None,
        "batch_p95_s": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else None,
        "batch_max_s": latencies[-1] if latencies else None,
        "root_s": root_s,
    }
    u = result["upload"]
    log(
        f"upload: {wall:.2f} s, {u['objects_per_s']:.0f} obj/s, {u['mb_per_s']:.1f} MB/s "
        f"(batch p50 {u['batch_p50_s'] or 0:.3f} s, p95 {u['batch_p95_s'] or 0:.3f} s, root {root_s:.3f} s)"
    )

    if "diff" not in skip:
        runs = []
        for i in range(args.repeat):
            elapsed, content, _ = timed_post(s, diff_url, all_form, FORM, "POST /api/diff")
            check_diff(content, all_ids, True, "diff after upload")
            runs.append(elapsed)
        result["diff"] = {"runs_s": runs, "median_s": median(runs)}
        log(f"diff of {len(all_ids)} ids: median {median(runs):.3f} s {fmt_runs(runs)}")

    download_url = f"{url}/objects/{project}/{root_id}"
    if "download" not in skip:
        runs = []
        info = None
        for i in range(args.repeat):
            info, data = stream_get(s, download_url, "text/plain", keep=(i == 0))
            if info["lines"] != n + 1:
                raise BenchError(f"download: {info['lines']} lines, expected {n + 1}")
            if data is not None:
                result["warnings"] += check_lines(data, all_ids, "download", root=(root_id, n))
                del data
            runs.append(info["s"])
        med = median(runs)
        result["download"] = {
            "runs_s": runs,
            "median_s": med,
            "bytes": info["bytes"],
            "wire_bytes": info["wire_bytes"],
            "mb_per_s": info["bytes"] / MB / med,
            "content_type": info["content_type"],
            "content_encoding": info["content_encoding"],
        }
        if info["content_encoding"] != "gzip":
            result["warnings"].append(f"download: Content-Encoding {info['content_encoding']!r}, not gzip")
        log(
            f"download (text/plain): median {med:.3f} s, {result['download']['mb_per_s']:.1f} MB/s "
            f"of JSON ({info['bytes'] / MB:.1f} MB, {(info['wire_bytes'] or 0) / MB:.1f} MB on the wire) {fmt_runs(runs)}"
        )

    if "download-json" not in skip:
        info, data = stream_get(s, download_url, "*/*", keep=True)
        array = json.loads(data)
        if not isinstance(array, list):
            raise BenchError("download (JSON): the answer is not a JSON array")
        check_ids([o.get("id") for o in array], all_ids, "download (JSON)")
        if array and array[0].get("id") != root_id:
            result["warnings"].append("download (JSON): the root is not the first element")
        del array, data
        result["download_json"] = {
            "s": info["s"],
            "bytes": info["bytes"],
            "mb_per_s": info["bytes"] / MB / info["s"],
            "content_type": info["content_type"],
        }
        log(f"download (JSON array): {info['s']:.3f} s, {result['download_json']['mb_per_s']:.1f} MB/s")

    if "getobjects" not in skip:
        body = form(sample)
        headers = {**FORM, "Accept": "text/plain"}
        runs = []
        for i in range(args.repeat):
            elapsed, content, r = timed_post(
                s, f"{url}/api/getobjects/{project}", body, headers, "POST /api/getobjects"
            )
            lines = sum(1 for line in content.split(b"\n") if line)
            if lines != len(sample):
                raise BenchError(f"getobjects: {lines} lines, expected {len(sample)}")
            if i == 0:
                result["warnings"] += check_lines(content, sample, "getobjects")
            runs.append(elapsed)
        result["getobjects"] = {"runs_s": runs, "median_s": median(runs), "bytes": len(content)}
        log(f"getobjects of {len(sample)} ids: median {median(runs):.3f} s {fmt_runs(runs)}")

    if "object-stream" not in skip:
        body = json.dumps({"objectIds": sample}).encode()
        headers = {"Content-Type": "application/json", "Accept": "text/plain"}
        runs = []
        for i in range(args.repeat):
            elapsed, content, r = timed_post(
                s,
                f"{url}/api/v2/projects/{project}/object-stream/",
                body,
                headers,
                "POST /api/v2/projects/{p}/object-stream/",
            )
            if i == 0:
                result["warnings"] += check_lines(
                    content, sample, "object-stream", need_final_newline=True
                )
            lines = content.count(b"\n")
            if lines != len(sample):
                raise BenchError(f"object-stream: {lines} newline-terminated records, expected {len(sample)}")
            runs.append(elapsed)
        result["object_stream"] = {"runs_s": runs, "median_s": median(runs), "bytes": len(content)}
        log(f"object-stream of {len(sample)} ids: median {median(runs):.3f} s {fmt_runs(runs)}")

    for w in result["warnings"]:
        log(f"warning: {w}")
    return result


def fmt_runs(runs):
    return "[" + ", ".join(f"{r:.3f}" for r in runs) + "]"


def stored_ratio(result: dict):
    """Bytes the server stored (database and blobs, as bench/run.sh measured them) per byte of
    object JSON uploaded."""
    stored = result.get("stored_bytes")
    return stored / result["upload_json_bytes"] if stored else None


def table(results: list) -> str:
    first = results[0]
    head = (
        f"| label | upload obj/s | upload MB/s | diff {k(first['objects'])} s | download MB/s "
        f"| getobjects {k(first['sample'])} s | object-stream {k(first['sample'])} s "
        f"| stored / JSON | peak RSS MB |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(value, fmt):
        return "—" if value is None else format(value, fmt)

    for r in results:
        label = r["label"]
        if r["objects"] != first["objects"] or r["sample"] != first["sample"]:
            label += f" (N={r['objects']}, sample={r['sample']})"
        lines.append(
            "| "
            + " | ".join(
                [
                    label,
                    cell(r["upload"]["objects_per_s"], ",.0f"),
                    cell(r["upload"]["mb_per_s"], ".1f"),
                    cell((r.get("diff") or {}).get("median_s"), ".3f"),
                    cell((r.get("download") or {}).get("mb_per_s"), ".1f"),
                    cell((r.get("getobjects") or {}).get("median_s"), ".3f"),
                    cell((r.get("object_stream") or {}).get("median_s"), ".3f"),
                    cell(stored_ratio(r), ".0%"),
                    cell(r.get("server_peak_rss_kb") and r["server_peak_rss_kb"] / 1024, ".0f"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def dry_run(args) -> int:
    """Generation and compression only, with self-checks of what would be sent."""
    t0 = time.perf_counter()
    children, (root_id, root_json), batches, root_batch = generate(
        args.objects, args.batch, int(args.max_batch_mb * MB), args.seed
    )
    gen_s = time.perf_counter() - t0
    n = len(children)
    sizes = sorted(len(s) for _, s in children)
    raw = sum(b.raw_len for b in batches)
    gz = sum(len(b.gz) for b in batches)
    print(f"objects:            {n} (+ root), generated and gzipped in {gen_s:.1f} s")
    print(
        f"object JSON size:   avg {sum(sizes) / n:.0f} B, min {sizes[0]}, median {sizes[n // 2]}, "
        f"max {sizes[-1]}"
    )
    print(
        f"batches:            {len(batches)}, {n / len(batches):.0f} objects and "
        f"{raw / len(batches) / MB:.3f} MB JSON each on average (cap: {args.batch} objects"
        + (f", {args.max_batch_mb} MB)" if args.max_batch_mb else ")")
    )
    print(f"children upload:    {raw / MB:.1f} MB JSON -> {gz / MB:.1f} MB gzip (ratio {raw / gz:.2f})")
    print(
        f"root:               {root_id}, {len(root_json) / MB:.2f} MB JSON -> "
        f"{len(root_batch.gz) / MB:.2f} MB gzip"
    )
    print(f"sample object:      {children[0][1][:300]}...")

    # Self-checks: ids are specklepy hashes, batches decode to what was generated, and the
    # hand-made multipart body equals what requests builds from files=.
    rng = random.Random(0)
    for oid, text in rng.sample(children, min(50, n)) + [(root_id, root_json)]:
        obj = json.loads(text)
        obj.pop("__closure", None)
        obj["id"] = ""
        assert speckle_id(obj) == oid, f"id of {oid} is not sha256(json)[:32]"
        assert len(oid) == 32
    assert len({c for c, _ in children}) == n, "duplicate ids"
    decoded = []
    for b in batches:
        objs = json.loads(gzip.decompress(b.gz))
        assert len(objs) == len(b.ids) and [o["id"] for o in objs] == b.ids
        assert len(gzip.decompress(b.gz)) == b.raw_len
        decoded += b.ids
    assert decoded == [c for c, _ in children], "batches do not cover the objects in order"
    root = json.loads(gzip.decompress(root_batch.gz))[0]
    assert root["totalChildrenCount"] == n and len(root["__closure"]) == n
    assert [e["referencedId"] for e in root["@elements"]] == decoded
    if requests is not None:
        prepared = requests.Request(
            "POST",
            "http://x/objects/p",
            files={"batch-1": ("batch-1", batches[0].gz, "application/gzip")},
        ).prepare()
        theirs = prepared.headers["Content-Type"].split("boundary=")[1]
        assert prepared.body.replace(theirs.encode(), BOUNDARY.encode()) == batches[0].body, (
            "multipart body differs from requests' own encoding"
        )
        print("self-checks:        ids, batch contents, root closure, multipart encoding: ok")
    else:
        print("self-checks:        ids, batch contents, root closure: ok (requests missing)")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="server base URL, e.g. http://127.0.0.1:3000")
    p.add_argument("--objects", type=int, default=100_000, help="child objects (default 100000)")
    p.add_argument("--concurrency", type=int, default=4, help="upload threads (default 4, as specklepy)")
    p.add_argument("--batch", type=int, default=1000, help="most objects per upload request (default 1000)")
    p.add_argument(
        "--max-batch-mb",
        type=float,
        default=0,
        help="also close a batch before it reaches this many MB of JSON (specklepy: 1; default 0 = off)",
    )
    p.add_argument("--batch-diff", action="store_true", help="diff each batch before uploading it, as specklepy's BatchSender")
    p.add_argument("--sample", type=int, default=10_000, help="ids for getobjects/object-stream (default 10000)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each read benchmark; the median is reported (default 3)")
    p.add_argument("--seed", type=int, default=1, help="random seed of the generated objects")
    p.add_argument("--label", default="fleck", help="row label in the table")
    p.add_argument("--out", help="write the results as JSON to this file")
    p.add_argument("--token", help="use this token instead of registering a user")
    p.add_argument("--project", help="use this project instead of creating one (the cold diff may then find objects)")
    p.add_argument("--skip", default="", help=f"comma-separated phases to leave out: {','.join(PHASES)}")
    p.add_argument("--dry-run", action="store_true", help="generate and gzip only; print sizes and self-check")
    p.add_argument("--table-from", nargs="+", metavar="JSON", help="print one table from saved --out files")
    args = p.parse_args(argv)
    args.skip = [x for x in args.skip.split(",") if x]
    unknown = set(args.skip) - set(PHASES)
    if unknown:
        p.error(f"unknown phase(s) in --skip: {', '.join(sorted(unknown))}")
    if args.objects < 1 or args.batch < 1 or args.concurrency < 1 or args.repeat < 1:
        p.error("--objects, --batch, --concurrency and --repeat must be at least 1")

    if args.table_from:
        results = []
        for path in args.table_from:
            with open(path) as f:
                results.append(json.load(f))
        print(table(results))
        return 0
    if args.dry_run:
        return dry_run(args)
    if not args.url:
        p.error("--url is required (or --dry-run / --table-from)")
    if requests is None:
        p.error("the requests package is missing (use ~/.cache/fleck/venv/bin/python)")
    try:
        result = run(args)
    except BenchError as e:
        log(f"FAILED: {e}")
        return 1
    except requests.RequestException as e:
        log(f"FAILED: {type(e).__name__}: {e}")
        return 1
    return report(result, args.out, table)


def report(result, out, table_of) -> int:
    """A driver's ending: its result saved to `out` (when given) and printed as a table."""
    if out:
        with open(out, "w") as f:
            json.dump(result, f, indent=2)
    print(table_of([result]))
    return 0


def driver_parser(doc: str) -> argparse.ArgumentParser:
    """The options every driver bench/run.sh runs takes (see there), for a driver to add its own to."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--url")
    p.add_argument("--objects", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--label", default="fleck")
    p.add_argument("--out")
    p.add_argument("--table-from", nargs="+", metavar="JSON")
    return p


def drive(args, run, table_of) -> int:
    """A driver's run: the table of saved results (`--table-from`), or a new run reported."""
    if args.table_from:
        print(table_of([json.load(open(f)) for f in args.table_from]))
        return 0
    return report(run(args), args.out, table_of)


if __name__ == "__main__":
    sys.exit(main())
