#!/usr/bin/env python3
"""Fault suite of issue 16: starts `fleck serve` itself (a fresh data folder, and a fresh
database on PostgreSQL, per case), breaks something under load, and records what clients saw.
Driven by bench/faults.sh, which starts the throwaway PostgreSQL/Redis/S3 this script stops and
starts (`faults.sh svc stop postgres`) and sets FAULTS_* to reach them.

Cases (one function each; every one saves <results>/<case>-<backend>.json and prints it):
  kill9     four upload threads (100-object batches, a root, a version each round); `kill -9`
            after 4 s; after a restart every batch answered 201 must be readable and every
            version's object (and its children) present
  writers   (sqlite) 32 threads for 30 s: object uploads, model create/rename, version create;
            no "database is locked" may reach a client; p50/p99
  readers   64 threads for 60 s: 32 GraphQL (a project's models and versions), 32 downloads of a
            1,001-object tree; req/s, p50/p99, errors, peak RSS
  sigterm   a 20 MB file upload trickled over ~4 s; SIGTERM 1 s in (grace 1 s, shutdown timeout
            15 s): the upload must answer 201, the process exit within the timeout, the file be
            whole after a restart
  postgres  (postgres set) PostgreSQL stopped (immediate) for 10 s under reads and writes:
            failures must be 503 within 1 s, /readiness must name the database, recovery
            without a restart
  redis     (postgres set) Redis stopped for 10 s, rate limiter on: token requests p99 < 500 ms
            and not failing, a session cookie answered (not hung), recovery
  s3        (postgres set) S3 stopped for 10 s: object uploads keep answering 201, file uploads
            answer 503, recovery
  hostile   (sqlite) imports of a glTF whose nodes are each reused under two parents (2^26
            paths) and a 40 MB OBJ of 5M faces over 8 vertices, each on a fresh server: peak RSS
            < 1 GB, the import fails with a reason or converts, /liveness answers (max latency)

    python bench/faults.py --bin fleck --backends "sqlite postgres" --results DIR [case…]
    python bench/faults.py --table-from DIR
"""

import argparse
import gzip
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from objects import (  # noqa: E402
    MULTIPART_TYPE,
    authenticate,
    create_project,
    form,
    generate,
    make_batch,
    make_mesh,
    make_root,
    upload,
)

CASES = ("kill9", "writers", "readers", "sigterm", "postgres", "redis", "s3", "hostile")
ONLY = {"writers": ("sqlite",), "hostile": ("sqlite",), "postgres": ("postgres",),
        "redis": ("postgres",), "s3": ("postgres",)}
OUTAGE_S = 10
TIMEOUT = 20  # seconds for one request under a fault: past it, the client counts a hang
RSS_CAP_KB = 4 * 1024 * 1024  # the suite kills a server past 4 GB to protect the machine


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def pct(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


# --------------------------------------------------------------------------------------------
# Servers and services
# --------------------------------------------------------------------------------------------


def free_gb(path):
    st = os.statvfs(path)
    return round(st.f_bavail * st.f_frsize / 1e9, 1)


def free_port():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def svc(action, name):
    subprocess.run(["bash", os.environ["FAULTS_SCRIPT"], "svc", action, name], check=True)


def psql(sql):
    # The throwaway PostgreSQL may still be recovering from an earlier case (or a full disk).
    for _ in range(120):
        if subprocess.run(["pg_isready", "-q", "-d", os.environ["FAULTS_PG_URL"]]).returncode == 0:
            break
        time.sleep(0.5)
    subprocess.run(["psql", os.environ["FAULTS_PG_URL"], "-qAtc", sql], check=True,
                   stdout=subprocess.DEVNULL)


class Server:
    """`fleck serve` of one case: its own data folder (and database, bucket, Redis prefix)."""

    def __init__(self, args, name, backend, **env):
        self.args, self.name, self.backend = args, name, backend
        self.data = os.path.join(os.environ.get("FAULTS_WORK", "/tmp"), name)
        os.makedirs(self.data, exist_ok=True)
        self.log_path = os.path.join(args.results, f"{name}.server.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        drop = ("DATABASE_URL", "REDIS_URL", "S3_ENDPOINT", "S3_BUCKET", "SMTP_URL", "FLECK_CONFIG",
                "FLECK_SECRET")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            FLECK_DATA_DIR=self.data, FLECK_BIND=f"127.0.0.1:{self.port}", FLECK_PUBLIC_URL=self.url,
            FLECK_LOG="info,sqlx=warn", RATELIMITER_ENABLED="false",
        )
        if backend == "postgres":
            db = re.sub(r"\W", "_", f"faults_{name}_{os.getpid()}")
            psql(f"DROP DATABASE IF EXISTS {db}")
            psql(f"CREATE DATABASE {db}")
            pg = os.environ["FAULTS_PG_URL"]
            self.env.update(
                DATABASE_URL=pg.rsplit("/", 1)[0] + "/" + db,
                REDIS_URL=os.environ["FAULTS_REDIS_URL"], REDIS_KEY_PREFIX=f"{db}:",
                S3_ENDPOINT=os.environ["FAULTS_S3_ENDPOINT"], S3_BUCKET=db.replace("_", "-"),
                S3_ACCESS_KEY=os.environ["FAULTS_S3_KEY"], S3_SECRET_KEY=os.environ["FAULTS_S3_SECRET"],
                S3_REGION="us-east-1", S3_CREATE_BUCKET="true",
            )
        self.env.update(env)
        self.proc = None
        self.peak_kb = 0

    def start(self, ready_s=90):
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.args.bin, "serve"], env=self.env, cwd=self.data,
                                     stdout=logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_s
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/readiness", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: fleck serve did not become ready; see {self.log_path}")

    def status(self, key):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except (OSError, AttributeError):
            pass
        return 0

    def hwm_mb(self):
        self.peak_kb = max(self.peak_kb, self.status("VmHWM"))
        return round(self.peak_kb / 1024)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.hwm_mb()
            self.proc.send_signal(signal.SIGINT)
            if self.wait(20) is None:
                self.proc.kill()
                self.proc.wait()

    def log_lines(self, pattern, limit=3):
        try:
            with open(self.log_path, errors="replace") as f:
                hits = [line.rstrip() for line in f if re.search(pattern, line)]
        except OSError:
            return []
        return [re.sub(r"\x1b\[[0-9;]*m", "", h)[:300] for h in hits[:limit]]


def server_latencies(log_path):
    """Milliseconds of each answered request in a server log, for /graphql and object downloads."""
    out = {"graphql": [], "download": []}
    pattern = re.compile(r"method=(\w+) path=(\S+) .*finished processing request latency=(\d+) ms")
    with open(log_path, errors="replace") as f:
        for line in f:
            m = pattern.search(re.sub(r"\x1b\[[0-9;]*m", "", line))
            if m and m.group(2) == "/graphql":
                out["graphql"].append(int(m.group(3)))
            elif m and m.group(1) == "GET" and m.group(2).startswith("/objects/"):
                out["download"].append(int(m.group(3)))
    return out


class Account:
    """A user with a token, a project and a model on `url`."""

    def __init__(self, url):
        self.url = url
        self.token = authenticate(url)
        self.project = create_project(url, self.token)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        self.model = self.create_model(f"main-{uuid.uuid4().hex[:6]}")

    def graphql(self, query, variables=None, session=None, timeout=60):
        s = session or self.session
        r = s.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}},
                   timeout=timeout)
        return r

    def data(self, query, variables=None):
        r = self.graphql(query, variables)
        body = r.json()
        if r.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"GraphQL {r.status_code}: {str(body)[:400]}")
        return body["data"]

    def create_model(self, name, session=None):
        r = self.graphql(CREATE_MODEL, {"i": {"projectId": self.project, "name": name}}, session)
        body = r.json()
        if r.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"modelMutations.create {r.status_code}: {str(body)[:300]}")
        return body["data"]["modelMutations"]["create"]["id"]


CREATE_MODEL = "mutation($i:CreateModelInput!){modelMutations{create(input:$i){id}}}"
UPDATE_MODEL = "mutation($i:UpdateModelInput!){modelMutations{update(input:$i){id}}}"
CREATE_VERSION = "mutation($i:CreateVersionInput!){versionMutations{create(input:$i){id}}}"
VERSIONS = ("query($p:String!){project(id:$p){models(limit:100){items{id versions(limit:100)"
            "{items{id referencedObject}}}}}}")
PROJECT = "query($p:String!){project(id:$p){id name models(limit:10){items{id name}}}}"


def gql_status(r):
    """200, or `200E` when a 200 answer carries GraphQL errors (the code of the first)."""
    if r.status_code != 200:
        return str(r.status_code)
    try:
        errors = r.json().get("errors")
    except ValueError:
        return "200?"
    if errors:
        code = (errors[0].get("extensions") or {}).get("code", "")
        return f"200E:{code}"
    return "200"


class Batches:
    """Fresh small object batches (new ids each time) and a root over them."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.n = seed * 10_000_000

    def next(self, size):
        items = []
        for _ in range(size):
            self.n += 1
            items.append(make_mesh(self.rng, self.n))
        batch = make_batch(items)
        root_id, root_json = make_root(batch.ids)
        return batch, make_batch([(root_id, root_json)])


def post_batch(session, url, project, batch, timeout=TIMEOUT):
    return session.post(f"{url}/objects/{project}", data=batch.body,
                        headers={"Content-Type": MULTIPART_TYPE}, timeout=timeout)


def missing_ids(session, url, project, ids):
    missing = 0
    for i in range(0, len(ids), 5000):
        chunk = ids[i:i + 5000]
        r = session.post(f"{url}/api/diff/{project}", data=form(chunk),
                         headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=120)
        r.raise_for_status()
        answer = r.json()
        missing += sum(1 for x in chunk if answer.get(x) is not True)
    return missing


class Recorder:
    """Requests of a load: (seconds since start, kind, status, latency ms)."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.rows = []
        self.lock = threading.Lock()

    def now(self):
        return time.monotonic() - self.t0

    def timed(self, kind, call):
        start = self.now()
        try:
            status = call()
        except requests.Timeout:
            status = "timeout"
        except requests.RequestException as e:
            status = f"conn:{type(e).__name__}"
        ms = (self.now() - start) * 1000
        with self.lock:
            self.rows.append((start, kind, status, ms))
        return status


def window(rows, a, b, kind=None):
    return [r for r in rows if a <= r[0] < b and (kind is None or r[1] == kind)]


def counts(rows):
    out = {}
    for r in rows:
        out[str(r[2])] = out.get(str(r[2]), 0) + 1
    return dict(sorted(out.items()))


def ok(status):
    return str(status) in ("200", "201")


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


def case_kill9(args, backend):
    server = Server(args, f"kill9-{backend}", backend, FLECK_NO_WORKERS="true").start()
    acct = Account(server.url)
    models = [acct.create_model(f"kill9-{i}") for i in range(4)]
    acked, roots, children_of, versions_acked = [], [], {}, []
    stop = threading.Event()
    lock = threading.Lock()
    answered = {"201": 0, "other": 0}

    def writer(i):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"
        gen = Batches(1000 + i)
        while not stop.is_set():
            batch, root = gen.next(100)
            with lock:
                children_of[root.ids[0]] = batch.ids
            try:
                r = post_batch(s, server.url, acct.project, batch)
                if r.status_code != 201:
                    answered["other"] += 1
                    continue
                with lock:
                    acked.extend(batch.ids)
                answered["201"] += 1
                r = post_batch(s, server.url, acct.project, root)
                if r.status_code != 201:
                    continue
                with lock:
                    acked.extend(root.ids)
                    roots.append(root.ids[0])
                r = acct.graphql(CREATE_VERSION, {"i": {"projectId": acct.project, "modelId": models[i],
                                                        "objectId": root.ids[0]}}, s, timeout=TIMEOUT)
                if gql_status(r) == "200":
                    with lock:
                        versions_acked.append(r.json()["data"]["versionMutations"]["create"]["id"])
            except requests.RequestException:
                return  # the server is gone

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(4)
    server.signal(signal.SIGKILL)
    server.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    killed_at = len(acked)
    t_restart = time.monotonic()
    server.start()
    restart_s = time.monotonic() - t_restart
    lost = missing_ids(acct.session, server.url, acct.project, list(acked))
    data = acct.data(VERSIONS, {"p": acct.project})
    versions = [v for m in data["project"]["models"]["items"] for v in m["versions"]["items"]]
    present_ids = {v["id"] for v in versions}
    broken = 0
    for v in versions:
        ids = [v["referencedObject"]] + children_of.get(v["referencedObject"], [])
        if missing_ids(acct.session, server.url, acct.project, ids):
            broken += 1
    server.stop()
    return {
        "batches_201": answered["201"], "objects_acked": killed_at, "roots_acked": len(roots),
        "versions_acked": len(versions_acked), "versions_after": len(versions),
        "versions_acked_missing": sum(1 for v in versions_acked if v not in present_ids),
        "lost_objects": lost, "versions_pointing_at_missing": broken,
        "restart_s": round(restart_s, 2), "peak_rss_mb": server.hwm_mb(),
        "pass": lost == 0 and broken == 0 and all(v in present_ids for v in versions_acked),
    }


def case_writers(args, backend, seconds=30, threads=32):
    server = Server(args, f"writers-{backend}", backend, FLECK_NO_WORKERS="true").start()
    acct = Account(server.url)
    rec = Recorder()
    locked = []
    stop = threading.Event()
    end = time.monotonic() + seconds

    def writer(i):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"
        gen = Batches(2000 + i)
        model = acct.create_model(f"w-{i}", s)
        root_id = None
        k = 0
        while time.monotonic() < end:
            k += 1
            op = ("upload", "model-create", "model-update", "version-create")[k % 4]

            def call():
                nonlocal root_id
                if op == "upload":
                    batch, root = gen.next(20)
                    r = post_batch(s, server.url, acct.project, batch)
                    if r.status_code == 201:
                        r = post_batch(s, server.url, acct.project, root)
                        if r.status_code == 201:
                            root_id = root.ids[0]
                    st = str(r.status_code)
                elif op == "model-create":
                    r = acct.graphql(CREATE_MODEL, {"i": {"projectId": acct.project,
                                                          "name": f"m-{i}-{k}"}}, s, timeout=TIMEOUT)
                    st = gql_status(r)
                elif op == "model-update":
                    r = acct.graphql(UPDATE_MODEL, {"i": {"projectId": acct.project, "id": model,
                                                          "description": f"d{k}"}}, s, timeout=TIMEOUT)
                    st = gql_status(r)
                else:
                    if root_id is None:
                        return "skipped"
                    r = acct.graphql(CREATE_VERSION, {"i": {"projectId": acct.project, "modelId": model,
                                                            "objectId": root_id}}, s, timeout=TIMEOUT)
                    st = gql_status(r)
                if "locked" in r.text or "busy" in r.text.lower():
                    locked.append(r.text[:200])
                return st

            rec.timed(op, call)

    ts = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    rows = [r for r in rec.rows if r[2] != "skipped"]
    lat = [r[3] for r in rows]
    per_kind = {k: {"n": len(w), "p50_ms": pct([r[3] for r in w], 0.5), "p99_ms": pct([r[3] for r in w], 0.99)}
                for k in ("upload", "model-create", "model-update", "version-create")
                for w in [[r for r in rows if r[1] == k]]}
    errors = [r for r in rows if not ok(r[2])]
    server.stop()
    return {
        "threads": threads, "seconds": seconds, "requests": len(rows), "statuses": counts(rows),
        "errors": len(errors), "database_locked": len(locked), "locked_examples": locked[:3],
        "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99), "per_kind": per_kind,
        "log_locked": server.log_lines("database is locked"), "peak_rss_mb": server.hwm_mb(),
        "pass": not locked and not errors,
    }


def case_readers(args, backend, seconds=60, graphql_threads=32, download_threads=32):
    server = Server(args, f"readers-{backend}", backend, FLECK_NO_WORKERS="true").start()
    acct = Account(server.url)
    _children, root, batches, root_batch = generate(1000, 1000, 1_000_000, 7)
    upload(server.url, acct.project, acct.token, batches, root_batch, 2, False)
    acct.data(CREATE_VERSION, {"i": {"projectId": acct.project, "modelId": acct.model, "objectId": root[0]}})
    rec = Recorder()
    end = time.monotonic() + seconds
    wire = []

    def graphql_reader():
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"
        while time.monotonic() < end:
            rec.timed("graphql", lambda: gql_status(acct.graphql(VERSIONS, {"p": acct.project}, s, TIMEOUT)))

    def downloader():
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"

        def get():
            with s.get(f"{server.url}/objects/{acct.project}/{root[0]}", stream=True, timeout=TIMEOUT,
                       headers={"Accept": "text/plain"}) as r:
                n = 0
                while True:  # gzipped bytes as they come; decompressing is not the server's work
                    piece = r.raw.read(1 << 20, decode_content=False)
                    if not piece:
                        break
                    n += len(piece)
                wire.append(n)
                return str(r.status_code)

        while time.monotonic() < end:
            rec.timed("download", get)

    ts = [threading.Thread(target=graphql_reader) for _ in range(graphql_threads)]
    ts += [threading.Thread(target=downloader) for _ in range(download_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    rows = rec.rows
    out = {"readers": graphql_threads + download_threads, "seconds": seconds, "tree_objects": 1001}
    for kind in ("graphql", "download"):
        w = [r for r in rows if r[1] == kind]
        lat = [r[3] for r in w]
        out[kind] = {"requests": len(w), "per_s": round(len(w) / seconds, 1), "p50_ms": pct(lat, 0.5),
                     "p99_ms": pct(lat, 0.99), "errors": sum(1 for r in w if not ok(r[2])),
                     "statuses": counts(w)}
    out["download"]["gzip_mb_per_s"] = round(sum(wire) / seconds / 1e6, 1)
    # The server's own view (its request log: until the answer's head for a streamed download),
    # apart from the client's threads, which share the machine's cores with it.
    for kind, lat in server_latencies(server.log_path).items():
        out[kind]["server_p50_ms"], out[kind]["server_p99_ms"] = pct(lat, 0.5), pct(lat, 0.99)
    out["peak_rss_mb"] = server.hwm_mb()
    server.stop()
    out["pass"] = (out["graphql"]["errors"] == 0 and out["download"]["errors"] == 0
                   and (out["graphql"]["p50_ms"] or 1e9) < 200)
    return out


def case_sigterm(args, backend, megabytes=20, trickle_s=4.0):
    server = Server(args, f"sigterm-{backend}", backend, FLECK_SHUTDOWN_GRACE_SECONDS="1",
                    FLECK_SHUTDOWN_TIMEOUT="15", FLECK_FILE_SIZE_LIMIT_MB="100").start()
    acct = Account(server.url)
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    chunk = os.urandom(1 << 20)

    def body():
        yield head
        for _ in range(megabytes):
            time.sleep(trickle_s / megabytes)
            yield chunk
        yield tail

    result = {}

    def send():
        t0 = time.monotonic()
        try:
            r = acct.session.post(f"{server.url}/api/stream/{acct.project}/blob", data=body(),
                                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                                  timeout=60)
            result["status"] = r.status_code
            result["answer"] = r.text[:300]
        except requests.RequestException as e:
            result["status"] = f"conn:{type(e).__name__}"
        result["upload_s"] = round(time.monotonic() - t0, 2)

    t = threading.Thread(target=send)
    t.start()
    time.sleep(1)
    server.signal(signal.SIGTERM)
    t_term = time.monotonic()
    time.sleep(0.3)
    try:
        ready = requests.get(f"{server.url}/readiness", timeout=5)
        readiness = f"{ready.status_code} {ready.text[:80]}"
    except requests.RequestException as e:
        readiness = f"conn:{type(e).__name__}"
    code = server.wait(40)
    exit_s = round(time.monotonic() - t_term, 2)
    if code is None:
        server.proc.kill()
        server.proc.wait()
    t.join()
    server.hwm_mb()
    whole = upload_error = None
    if result.get("status") == 201:
        answer = json.loads(result["answer"])["uploadResults"][0]
        blob_id, upload_error = answer["blobId"], answer.get("uploadError")
        server.start()
        r = acct.session.get(f"{server.url}/api/stream/{acct.project}/blob/{blob_id}", timeout=60)
        whole = r.status_code == 200 and len(r.content) == megabytes << 20
        server.stop()
    return {
        "upload_mb": megabytes, "upload_status": result.get("status"), "upload_s": result.get("upload_s"),
        "readiness_after_sigterm": readiness, "exit_code": code, "exit_s_after_sigterm": exit_s,
        "shutdown_timeout_s": 15, "upload_error": upload_error, "file_whole_after_restart": whole,
        "peak_rss_mb": server.hwm_mb(),
        "pass": result.get("status") == 201 and not upload_error and code == 0 and exit_s <= 15 and whole is True,
    }


def readiness_poller(server, rec, end):
    while time.monotonic() < end:
        def call():
            r = requests.get(f"{server.url}/readiness", timeout=TIMEOUT)
            try:
                failing = ",".join(r.json().get("failing", []))
            except ValueError:
                failing = "?"
            return f"{r.status_code}" + (f" failing={failing}" if failing else "")
        rec.timed("readiness", call)
        time.sleep(0.5)


def outage(args, backend, service, kinds, server_env=None, extra=None):
    """Runs `kinds` (name -> function returning a status) in two threads each, stops `service`
    5 s in for OUTAGE_S, runs 10 s more; what each kind got before, during and after."""
    server = Server(args, f"{service}-{backend}", backend, FLECK_NO_WORKERS="true", **(server_env or {})).start()
    acct = Account(server.url)
    ctx = {"acct": acct, "server": server}
    calls = {name: make(ctx) for name, make in kinds.items()}
    rec = Recorder()
    down_at, up_at, total = 5.0, 5.0 + OUTAGE_S, 5.0 + OUTAGE_S + 10.0
    end = time.monotonic() + total

    def loop(name):
        while time.monotonic() < end:
            rec.timed(name, calls[name])
            time.sleep(0.05)

    ts = [threading.Thread(target=loop, args=(n,)) for n in calls for _ in range(2)]
    ts.append(threading.Thread(target=readiness_poller, args=(server, rec, end)))
    for t in ts:
        t.start()
    time.sleep(down_at)
    svc("stop", service)
    stopped = rec.now()
    time.sleep(up_at - stopped)
    svc("start", service)
    started = rec.now()
    for t in ts:
        t.join()
    rows = rec.rows
    out = {"service": service, "outage_s": round(started - stopped, 1)}
    for name in list(calls) + ["readiness"]:
        before = window(rows, 0, stopped, name)
        during = window(rows, stopped, started, name)
        after = window(rows, started, 1e9, name)
        # recovery: from the restart to the first request of this kind that succeeded and
        # after which every one did
        rec_s = None
        for j, r in enumerate(after):
            if all(ok(str(x[2]).split()[0]) for x in after[j:]):
                rec_s = round(max(0.0, r[0] + r[3] / 1000 - started), 1)
                break
        out[name] = {
            "before": counts(before), "before_p99_ms": pct([r[3] for r in before], 0.99),
            "during": counts(during), "during_p50_ms": pct([r[3] for r in during], 0.5),
            "during_p99_ms": pct([r[3] for r in during], 0.99),
            "during_max_ms": round(max([r[3] for r in during], default=0)),
            "after": counts(after), "recovered_s": rec_s,
        }
    out["still_running"] = server.proc.poll() is None
    if ctx.get("file_upload_errors"):
        out["file_upload_error_examples"] = sorted(set(ctx["file_upload_errors"]))[:3]
    out["log"] = server.log_lines(r"ERROR|WARN", 6)
    if extra:
        out.update(extra(ctx))
    out["peak_rss_mb"] = server.hwm_mb()
    server.stop()
    return out


def read_write_kinds(with_blob=False):
    def graphql(ctx):
        acct = ctx["acct"]
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"
        return lambda: gql_status(acct.graphql(PROJECT, {"p": acct.project}, s, TIMEOUT))

    def download(ctx):
        acct, server = ctx["acct"], ctx["server"]
        gen = Batches(77)
        batch, root = gen.next(100)
        assert post_batch(acct.session, server.url, acct.project, batch).status_code == 201
        assert post_batch(acct.session, server.url, acct.project, root).status_code == 201
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"
        return lambda: str(s.get(f"{server.url}/objects/{acct.project}/{root.ids[0]}", timeout=TIMEOUT).status_code)

    def object_upload(ctx):
        acct, server = ctx["acct"], ctx["server"]
        gen = Batches(random.randrange(1, 1000))
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"
        return lambda: str(post_batch(s, server.url, acct.project, gen.next(10)[0]).status_code)

    def file_upload(ctx):
        acct, server = ctx["acct"], ctx["server"]
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {acct.token}"
        payload = os.urandom(100_000)
        def call():
            r = s.post(f"{server.url}/api/stream/{acct.project}/blob",
                       files={"file": ("f.bin", payload, "application/octet-stream")}, timeout=TIMEOUT)
            if r.status_code == 201:  # Speckle's blob answer: 201 with a status per file
                result = (r.json().get("uploadResults") or [{}])[0]
                if result.get("uploadError"):
                    ctx.setdefault("file_upload_errors", []).append(result["uploadError"][:200])
                    return f"201-uploadError(status {result.get('uploadStatus')})"
            return str(r.status_code)
        return call

    kinds = {"graphql": graphql, "download": download, "object-upload": object_upload}
    if with_blob:
        kinds["file-upload"] = file_upload
    return kinds


def case_postgres(args, backend):
    out = outage(args, backend, "postgres", read_write_kinds())
    failures = [(k, s) for k in ("graphql", "download", "object-upload")
                for s in out[k]["during"] if not ok(s)]
    fast = all((out[k]["during_p99_ms"] or 0) < 1000 for k in ("graphql", "download", "object-upload"))
    only_503 = all(s in ("503", "200E:SERVICE_UNAVAILABLE") for _, s in failures)
    names_db = any("database" in s for s in out["readiness"]["during"])
    recovered = all(out[k]["recovered_s"] is not None for k in ("graphql", "download", "object-upload"))
    out["pass"] = fast and only_503 and names_db and recovered and out["still_running"]
    return out


def session_kind(ctx):
    """A request of a signed-in browser (a session cookie, kept in Redis)."""
    acct, server = ctx["acct"], ctx["server"]
    page = requests.get(f"{server.url}/authn/login", timeout=30).text
    match = re.search(r'action="(/api/sign_in\d*)"', page)
    path = match.group(1) if match else "/api/sign_in"
    email, password = f"sess-{uuid.uuid4().hex[:8]}@example.org", f"Pw-{uuid.uuid4().hex}"
    # a second account, signed up by token flow, then signed in with the form
    challenge = uuid.uuid4().hex
    requests.post(f"{server.url}/auth/local/register?challenge={challenge}",
                  data={"email": email, "password": password, "name": "Session"},
                  allow_redirects=False, timeout=30)
    s = requests.Session()
    r = s.post(f"{server.url}{path}", data={"email": email, "password": password, "next": "/"},
               headers={"Accept": "text/html", "Origin": server.url}, allow_redirects=False, timeout=30)
    if "fleck_session" not in s.cookies:
        raise RuntimeError(f"no session cookie from {path}: {r.status_code} {r.text[:200]}")

    def call():
        r = s.post(f"{server.url}/graphql", json={"query": "{activeUser{id}}"},
                   headers={"Origin": server.url}, timeout=TIMEOUT)
        st = gql_status(r)
        if st == "200" and not (r.json()["data"]["activeUser"] or {}).get("id"):
            return "200-anonymous"
        return st
    return call


def case_redis(args, backend):
    limits = {"RATELIMITER_ENABLED": "true"}
    for action in ("ALL_REQUESTS", "POST_GRAPHQL", "GET_AUTH", "USER_CREATE", "TOKEN_CREATE",
                   "POST_OBJECTS_STREAMID", "EMAIL_VERIFICATION"):
        limits[f"RATELIMIT_{action}"] = "1000000000"
        limits[f"RATELIMIT_BURST_{action}"] = "1000000000"
    kinds = read_write_kinds()
    kinds["session"] = session_kind
    out = outage(args, backend, "redis", kinds, server_env=limits)
    token = ("graphql", "download", "object-upload")
    out["token_during_p99_ms"] = max((out[k]["during_p99_ms"] or 0) for k in token)
    token_ok = all(all(ok(s) for s in out[k]["during"]) for k in token)
    session_clear = "timeout" not in out["session"]["during"] and (out["session"]["during_max_ms"] < 2000)
    out["pass"] = (token_ok and out["token_during_p99_ms"] < 500 and session_clear
                   and out["session"]["recovered_s"] is not None and out["still_running"])
    return out


def case_s3(args, backend):
    out = outage(args, backend, "s3", read_write_kinds(with_blob=True))
    uploads_ok = all(ok(s) for s in out["object-upload"]["during"])
    # A file upload started as S3 went down or came back may still be stored (a clean 201);
    # any other answer than that or 503 fails the case.
    blob_503 = all(s in ("503", "201") for s in out["file-upload"]["during"])
    fast = (out["file-upload"]["during_p99_ms"] or 0) < 1000
    out["pass"] = (uploads_ok and blob_503 and fast and out["file-upload"]["recovered_s"] is not None
                   and out["still_running"])
    return out


def gltf_bomb(depth=26):
    """A glTF whose node k has node k+1 as two children (under a translation each): 2^depth
    paths to one triangle's mesh, in a file of a few kilobytes."""
    import base64
    import struct

    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    # node 0: the scene's root; level k (1..depth): nodes 2k-1 and 2k, both parents of level k+1
    nodes = [{"children": [1, 2]}]
    for k in range(1, depth + 1):
        for dx in (0, 1):
            node = {"translation": [dx, k, 0]}
            if k < depth:
                node["children"] = [2 * k + 1, 2 * k + 2]
            else:
                node["mesh"] = 0
            nodes.append(node)
    return json.dumps({
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": nodes,
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                       "min": [0, 0, 0], "max": [1, 1, 0]}],
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)}],
        "buffers": [{"byteLength": len(positions),
                     "uri": "data:application/octet-stream;base64," + base64.b64encode(positions).decode()}],
    }).encode()


def obj_bomb(faces=5_000_000):
    """8 vertices and `faces` triangles over them: ~40 MB."""
    head = b"o bomb\n" + b"".join(f"v {x} {y} {z}\n".encode() for x in (0, 1) for y in (0, 1) for z in (0, 1))
    tris = (b"f 1 2 3\n", b"f 2 3 4\n", b"f 5 6 7\n", b"f 6 7 8\n", b"f 1 5 6\n")
    return head + b"".join(tris) * (faces // len(tris))


def hostile_import(args, backend, kind, payload, observe_s=90):
    server = Server(args, f"hostile-{kind}-{backend}", backend, FLECK_SHUTDOWN_TIMEOUT="15",
                    FLECK_SHUTDOWN_GRACE_SECONDS="1").start()
    acct = Account(server.url)
    name = f"bomb.{kind}"
    link = acct.data(
        "mutation($i:GenerateFileUploadUrlInput!){fileUploadMutations{generateUploadUrl(input:$i){url fileId}}}",
        {"i": {"projectId": acct.project, "fileName": name, "fileSize": len(payload)}},
    )["fileUploadMutations"]["generateUploadUrl"]
    put = requests.put(link["url"], data=payload, timeout=120)
    put.raise_for_status()
    etag = put.headers.get("ETag")
    probes, rss, stop = [], [], threading.Event()

    def monitor():
        host, port = "127.0.0.1", server.port
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                conn = http.client.HTTPConnection(host, port, timeout=10)
                conn.request("GET", "/liveness")
                status = conn.getresponse().status
                conn.close()
            except OSError:
                status = 0
            probes.append(((time.monotonic() - t0) * 1000, status))
            kb = server.status("VmRSS")
            rss.append(kb)
            if kb > RSS_CAP_KB and server.proc.poll() is None:
                server.hwm_mb()
                server.proc.kill()
                stop.set()
            time.sleep(0.1)

    mon = threading.Thread(target=monitor)
    mon.start()
    t0 = time.monotonic()
    acct.data("mutation($i:StartFileImportInput!){fileUploadMutations{startFileImport(input:$i){id}}}",
              {"i": {"projectId": acct.project, "modelId": acct.model, "fileId": link["fileId"], "etag": etag}})
    status, message, import_s, rss_at_import = None, None, None, None
    query = ("query($p:String!,$m:String!){project(id:$p){model(id:$m){uploads{items{convertedStatus "
             "convertedMessage}}}}}")
    while time.monotonic() - t0 < observe_s and server.proc.poll() is None:
        try:
            items = acct.data(query, {"p": acct.project, "m": acct.model})["project"]["model"]["uploads"]["items"]
            if items and items[0]["convertedStatus"] in (2, 3):
                status, message = items[0]["convertedStatus"], items[0]["convertedMessage"]
                import_s = round(time.monotonic() - t0, 1)
                rss_at_import = max(rss, default=0) // 1024
                break
        except Exception:  # noqa: BLE001 - a dead or stalled server shows in the figures
            pass
        time.sleep(1)
    if status is not None:
        time.sleep(10)  # what comes after a conversion (the preview) shows in the memory too
    stop.set()
    mon.join()
    killed = server.proc.poll() is not None
    peak = server.hwm_mb() if not killed else max(server.peak_kb, max(rss, default=0)) // 1024
    exit_s = code = None
    if not killed:
        server.signal(signal.SIGTERM)
        t_term = time.monotonic()
        code = server.wait(45)
        exit_s = round(time.monotonic() - t_term, 1)
        if code is None:
            server.proc.kill()
            server.proc.wait()
    lat = [p[0] for p in probes]
    result = {
        "file_mb": round(len(payload) / 1e6, 1), "file_bytes": len(payload), "import_status": {2: "converted", 3: "failed"}.get(status, "unfinished"),
        "import_message": (message or "")[:200], "import_s": import_s, "observed_s": observe_s,
        "peak_rss_mb": peak, "peak_rss_until_import_ended_mb": rss_at_import,
        "killed_by_suite_over_4gb": killed,
        "liveness_probes": len(probes), "liveness_failed": sum(1 for p in probes if p[1] != 200),
        "liveness_p50_ms": pct(lat, 0.5), "liveness_max_ms": round(max(lat, default=0)),
        "sigterm_exit_code": code, "sigterm_exit_s": exit_s,
        "jobs_handed_back": server.log_lines("handing the job back"),
    }
    result["pass"] = (peak < 1024 and status in (2, 3) and result["liveness_failed"] == 0
                      and result["liveness_max_ms"] < 100 and code == 0 and exit_s <= 16)
    return result


def case_hostile(args, backend):
    return {
        "gltf": hostile_import(args, backend, "gltf", gltf_bomb()),
        "obj": hostile_import(args, backend, "obj", obj_bomb()),
    }


# --------------------------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------------------------


def fmt_counts(c):
    return " ".join(f"{k}×{v}" for k, v in c.items()) or "—"


def rows_of(name, backend, r):
    """(case, backend set, figures, verdict) lines of one result."""
    v = "pass" if r.get("pass") else "**FAIL**"
    if "error" in r:
        return [(name, backend, f"case did not run: {r['error']}", "**FAIL**")]
    if name == "kill9":
        return [(name, backend,
                 f"{r['batches_201']} batches ({r['objects_acked']} objects) answered 201, {r['versions_acked']} versions "
                 f"before kill -9; lost objects {r['lost_objects']}, versions at missing objects "
                 f"{r['versions_pointing_at_missing']}, acked versions missing {r['versions_acked_missing']}; "
                 f"restart {r['restart_s']} s", v)]
    if name == "writers":
        return [(name, backend,
                 f"{r['threads']} writers × {r['seconds']} s: {r['requests']} requests ({fmt_counts(r['statuses'])}), "
                 f"'database is locked' {r['database_locked']}; p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms; "
                 f"peak RSS {r['peak_rss_mb']} MB", v)]
    if name == "readers":
        g, d = r["graphql"], r["download"]
        return [(name, backend,
                 f"{r['readers']} readers × {r['seconds']} s: GraphQL {g['per_s']} req/s p50 {g['p50_ms']} ms "
                 f"p99 {g['p99_ms']} ms (server's log: p50 {g.get('server_p50_ms')} ms), errors {g['errors']}; tree downloads {d['per_s']} req/s "
                 f"({d['gzip_mb_per_s']} MB/s gzipped) p50 {d['p50_ms']} ms p99 {d['p99_ms']} ms, "
                 f"errors {d['errors']}; peak RSS {r['peak_rss_mb']} MB", v)]
    if name == "sigterm":
        return [(name, backend,
                 f"{r['upload_mb']} MB upload answered {r['upload_status']} after {r['upload_s']} s"
                 f"{'' if not r.get('upload_error') else ' with uploadError ' + repr(r['upload_error'][:80])}"
                 f"; readiness 0.3 s after SIGTERM: {r['readiness_after_sigterm'][:40]}; exit {r['exit_code']} "
                 f"{r['exit_s_after_sigterm']} s after SIGTERM (timeout {r['shutdown_timeout_s']} s); "
                 f"file whole after restart: {r['file_whole_after_restart']}", v)]
    if name in ("postgres", "redis", "s3"):
        kinds = [k for k in ("graphql", "download", "object-upload", "file-upload", "session") if k in r]
        parts = []
        for k in kinds:
            x = r[k]
            parts.append(f"{k}: {fmt_counts(x['during'])}, p99 {x['during_p99_ms']} ms, max {x['during_max_ms']} ms, "
                         f"recovered {x['recovered_s']} s")
        rd = r["readiness"]
        parts.append(f"/readiness: {fmt_counts(rd['during'])} (max {rd['during_max_ms']} ms)")
        return [(f"{name} down {r['outage_s']} s", backend, "; ".join(parts), v)]
    if name == "hostile":
        out = []
        for kind in ("gltf", "obj"):
            x = r[kind]
            out.append((f"hostile {kind}", backend,
                        f"{x['file_mb'] or '< 0.1'} MB: import {x['import_status']} after {x['import_s']} s "
                        f"({x['import_message'][:90]!r}); peak RSS {x['peak_rss_mb']} MB "
                        f"({x.get('peak_rss_until_import_ended_mb')} MB until the import ended)"
                        f"{' (killed by the suite at 4 GB)' if x['killed_by_suite_over_4gb'] else ''}; "
                        f"/liveness {x['liveness_probes']} probes, {x['liveness_failed']} failed, p50 "
                        f"{x['liveness_p50_ms']} ms, max {x['liveness_max_ms']} ms; SIGTERM exit "
                        f"{x['sigterm_exit_code']} after {x['sigterm_exit_s']} s (grace 1 + timeout 15 s)",
                        "pass" if x["pass"] else "**FAIL**"))
        return out
    return [(name, backend, json.dumps(r)[:200], v)]


def table(results_dir):
    lines = ["| case | backends | figures | verdict |", "|---|---|---|---|"]
    for name in CASES:
        for backend in ("sqlite", "postgres"):
            path = os.path.join(results_dir, f"{name}-{backend}.json")
            if not os.path.exists(path):
                continue
            for row in rows_of(name, backend, json.load(open(path))):
                label = {"sqlite": "SQLite+disk+in-process", "postgres": "PostgreSQL+S3+Redis"}[row[1]]
                lines.append(f"| {row[0]} | {label} | {row[2]} | {row[3]} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin")
    p.add_argument("--backends", default="sqlite postgres")
    p.add_argument("--results")
    p.add_argument("--table-from", metavar="DIR")
    p.add_argument("cases", nargs="*", help=f"cases to run (default all): {' '.join(CASES)}")
    args = p.parse_args(argv)
    if args.table_from:
        print(table(args.table_from))
        return 0
    cases = args.cases or list(CASES)
    unknown = set(cases) - set(CASES)
    if unknown:
        p.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    failed = 0
    for name in CASES:
        if name not in cases:
            continue
        for backend in args.backends.split():
            if backend not in ONLY.get(name, (backend,)):
                continue
            log(f"==> {name} on {backend}")
            t0 = time.monotonic()
            load_before = os.getloadavg()[0]
            disk_before = free_gb(args.results)
            try:
                result = globals()[f"case_{name}"](args, backend)
            except Exception as e:  # noqa: BLE001 - a case that cannot run is a failed case
                import traceback

                traceback.print_exc()
                result = {"error": f"{type(e).__name__}: {e}"[:300], "pass": False}
            result["case_s"] = round(time.monotonic() - t0, 1)
            # The machine's load (1-minute average) around the case: other work shares its cores.
            result["load_before"], result["load_after"] = round(load_before, 2), round(os.getloadavg()[0], 2)
            # Free disk around the case (the disk is shared too; a full one fails writes).
            result["disk_free_gb_before"], result["disk_free_gb_after"] = disk_before, free_gb(args.results)
            with open(os.path.join(args.results, f"{name}-{backend}.json"), "w") as f:
                json.dump(result, f, indent=2)
            log(json.dumps(result, indent=1)[:3000])
            failed += not result.get("pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
