"""Mixed load: how quickly GraphQL answers while whole object trees are being downloaded.

A model of N meshes is uploaded (objects only: no version, so no preview is drawn meanwhile).
Then a small GraphQL query (`activeUser`) is timed one request after another, first on an idle
server, then while --downloaders threads each download the whole tree
(`GET /objects/:project/:root`, gzipped, as specklepy's `receive` does) over and over. The
figures: GraphQL p50/p95 idle and under downloads, and the downloads' megabytes per second.

    python bench/mixed.py --url http://127.0.0.1:3000 --objects 100000 --out r.json
    python bench/mixed.py --table-from sqlite.json postgres.json
"""

import os
import statistics
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
from objects import authenticate, create_project, drive, driver_parser, generate, log, upload  # noqa: E402

QUERY = "{ activeUser { id name } }"


def graphql_latencies(url, token, seconds):
    """Milliseconds of each `activeUser` query asked one after another for `seconds`."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        r = session.post(f"{url}/graphql", json={"query": QUERY}, timeout=60)
        r.raise_for_status()
        if r.json().get("errors"):
            raise RuntimeError(f"GraphQL: {r.json()['errors']}")
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def download_loop(url, token, project, root, stop, counted):
    """Downloads the whole tree until `stop` is set, adding the compressed bytes to `counted`."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        with session.get(f"{url}/objects/{project}/{root}", stream=True, timeout=600) as r:
            r.raise_for_status()
            while True:
                # The raw (gzipped) bytes: the client's own decompression is not what is measured.
                piece = r.raw.read(1 << 20, decode_content=False)
                if not piece:
                    break
                counted.append(len(piece))
                if stop.is_set():
                    break


def summary(latencies):
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
    }


def run(args) -> dict:
    url = args.url.rstrip("/")
    log(f"generating {args.objects} meshes ...")
    _children, root, batches, root_batch = generate(args.objects, 1000, 1_000_000, args.seed)
    token = authenticate(url)
    project = create_project(url, token)
    upload(url, project, token, batches, root_batch, 4, False)
    idle = summary(graphql_latencies(url, token, args.seconds))
    log(f"idle: {idle}")
    stop, counted = threading.Event(), []
    threads = [
        threading.Thread(target=download_loop, args=(url, token, project, root[0], stop, counted))
        for _ in range(args.downloaders)
    ]
    for t in threads:
        t.start()
    time.sleep(1)  # the downloads under way
    t0 = time.perf_counter()
    busy = summary(graphql_latencies(url, token, args.seconds))
    elapsed = time.perf_counter() - t0
    stop.set()
    for t in threads:
        t.join()
    busy["download_mb_per_s"] = round(sum(counted) / elapsed / 1e6, 1)
    log(f"under {args.downloaders} downloads: {busy}")
    return {"label": args.label, "objects": args.objects, "downloaders": args.downloaders, "idle": idle, "busy": busy}


def table(results) -> str:
    rows = [
        "| backends | GraphQL p50 idle | p95 idle | p50 under downloads | p95 under downloads | downloads |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        i, b = r["idle"], r["busy"]
        rows.append(
            f"| {r['label']} | {i['p50_ms']} ms | {i['p95_ms']} ms | {b['p50_ms']} ms | {b['p95_ms']} ms "
            f"| {r['downloaders']} × whole tree, {b['download_mb_per_s']} MB/s gzipped |"
        )
    return "\n".join(rows)


def main(argv=None) -> int:
    p = driver_parser(__doc__)
    p.add_argument("--downloaders", type=int, default=2)
    p.add_argument("--seconds", type=float, default=15)
    return drive(p.parse_args(argv), run, table)


if __name__ == "__main__":
    sys.exit(main())
