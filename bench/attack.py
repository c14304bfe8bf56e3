#!/usr/bin/env python3
"""Attacks a local Fleck server the way an anonymous or ordinary user could, each attack bounded
in count and time, while a separate process probes `/liveness` every 50 ms and samples the
server's memory (VmRSS, and VmHWM at the end) from /proc. Driven by bench/attack.sh.

    python bench/attack.py --url http://127.0.0.1:PORT --pid SERVER_PID [--out result.json]
                           [--only graphql,idlists,websocket,pwdreset] [--samples FILE]
    python bench/attack.py --url http://127.0.0.1:PORT --pid SERVER_PID --monitor FILE

Attacks (only against 127.0.0.1; refused for any other host):
  graphql    bodies just under and just over the 4 MiB limit, batches of 11 operations,
             documents of 5,000 (and 1,000) aliases of `children(limit: 1000)`
  idlists    1,000,000 ids to /api/getobjects, /api/diff and the object stream at once (twice),
             then 1,000,001 ids to each at once
  websocket  200 subscriptions on one graphql-transport-ws socket, then one change they all hear
  pwdreset   200 `POST /auth/pwdreset/finalize` with made-up tokens, 8 at a time

Needs `requests` and `websockets` (bench/attack.sh provides them).
"""

import argparse
import asyncio
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote_plus, urlparse

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)

PROBE_EVERY = 0.05
MIB = 1024 * 1024
TIMEOUT = 120  # seconds for any one request
ATTACKS = ("graphql", "idlists", "websocket", "pwdreset")


# --------------------------------------------------------------------------------------------
# The monitor (its own process, so the attackers' work never delays a probe)
# --------------------------------------------------------------------------------------------


def proc_status(pid: int) -> dict:
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def monitor(url: str, pid: int, out: str):
    """Every 50 ms: a `/liveness` request on a new connection, and the server's VmRSS. One line
    per probe: `monotonic_time latency_ms status rss_kb`."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    host, port = urlparse(url).hostname, urlparse(url).port
    with open(out, "w", buffering=1) as f:
        while not stop:
            start = time.monotonic()
            status = 0
            try:
                conn = http.client.HTTPConnection(host, port, timeout=10)
                conn.request("GET", "/liveness")
                response = conn.getresponse()
                response.read()
                status = response.status
                conn.close()
            except OSError:
                status = 0
            latency = (time.monotonic() - start) * 1000
            rss = proc_status(pid).get("VmRSS", 0)
            f.write(f"{start:.4f} {latency:.2f} {status} {rss}\n")
            time.sleep(max(0.0, PROBE_EVERY - (time.monotonic() - start)))


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def session(token=None):
    import requests

    s = requests.Session()
    if token:
        s.headers["Authorization"] = f"Bearer {token}"
    return s


def statuses(results) -> dict:
    """`{status: count}`; errors (no answer) count under their exception's name."""
    counts = {}
    for r in results:
        counts[str(r)] = counts.get(str(r), 0) + 1
    return dict(sorted(counts.items()))


def run_all(jobs, concurrency: int):
    """Runs `jobs` (callables returning a status) `concurrency` at a time."""

    def guarded(job):
        try:
            return job()
        except Exception as e:  # the attack goes on; the table shows what failed
            return type(e).__name__

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(guarded, jobs))


def timed(what, work):
    """Runs one step of an attack: `(what, start, end, outcome)`."""
    start = time.monotonic()
    outcome = work()
    return (what, start, time.monotonic(), outcome)


def post_job(s, url, body, content_type, read=True):
    def job():
        r = s.post(url, data=body, headers={"Content-Type": content_type}, timeout=TIMEOUT, stream=True)
        size = 0
        if read:
            for chunk in r.iter_content(64 * 1024, decode_unicode=False):
                size += len(chunk)
        r.close()
        return r.status_code

    return job


def graphql(s, url, query, variables=None):
    r = s.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=TIMEOUT)
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL: {body['errors']}")
    return body["data"]


# --------------------------------------------------------------------------------------------
# Set-up: a user, a public project, a few objects under a root
# --------------------------------------------------------------------------------------------


def set_up(url: str) -> dict:
    import objects as bench_objects

    token = bench_objects.authenticate(url)
    s = session(token)
    project = graphql(
        s,
        url,
        "mutation($input:ProjectCreateInput){projectMutations{create(input:$input){id}}}",
        {"input": {"name": "attack", "visibility": "PUBLIC"}},
    )["projectMutations"]["create"]["id"]
    children = []
    for i in range(20):
        obj = {"id": "", "speckle_type": "Base", "name": f"child-{i}", "value": i}
        obj["id"] = bench_objects.speckle_id(obj)
        children.append((obj["id"], bench_objects.dumps(obj)))
    root_id, root_json = bench_objects.make_root([c for c, _ in children])
    for batch in (children, [(root_id, root_json)]):
        b = bench_objects.make_batch(batch)
        r = s.post(
            f"{url}/objects/{project}",
            data=b.body,
            headers={"Content-Type": bench_objects.MULTIPART_TYPE},
            timeout=TIMEOUT,
        )
        if r.status_code != 201:
            raise RuntimeError(f"upload: {r.status_code} {r.text[:200]}")
    return {"token": token, "project": project, "root": root_id, "children": [c for c, _ in children]}


# --------------------------------------------------------------------------------------------
# Attacks
# --------------------------------------------------------------------------------------------


def attack_graphql(url, world):
    anonymous = session()

    def padded(total: int) -> bytes:
        head = b'{"query":"{ serverInfo { name } }","variables":{"pad":"'
        tail = b'"}}'
        return head + b"a" * (total - len(head) - len(tail)) + tail

    def graphql_job(body: bytes):
        """The status, and for a 200 the first error's code when the answer has errors."""

        def job():
            r = anonymous.post(
                f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT
            )
            if r.status_code != 200:
                return r.status_code
            errors = r.json().get("errors")
            if errors:
                return f"200 {(errors[0].get('extensions') or {}).get('code', 'error')}"
            return 200

        return job

    def many(body: bytes, count: int):
        return lambda: statuses(run_all([graphql_job(body)] * count, 8))

    near, over = padded(4 * MIB - 1024), padded(4 * MIB + 1024)
    batch = json.dumps([{"query": "{ serverInfo { name } }"}] * 11).encode()

    def aliases(n: int) -> bytes:
        fields = " ".join(f"a{i}: children(limit: 1000) {{ totalCount objects {{ id }} }}" for i in range(n))
        query = f'{{ project(id: "{world["project"]}") {{ object(id: "{world["root"]}") {{ {fields} }} }} }}'
        return json.dumps({"query": query}).encode()

    five_thousand, one_thousand = aliases(5000), aliases(1000)
    return [
        timed("32 bodies of 4 MiB − 1 KiB, 8 at a time", many(near, 32)),
        timed("32 bodies of 4 MiB + 1 KiB, 8 at a time", many(over, 32)),
        timed("50 batches of 11 operations", many(batch, 50)),
        timed(
            f"20 documents of 5,000 aliases of children(limit: 1000) ({len(five_thousand) // 1024} KiB)",
            many(five_thousand, 20),
        ),
        timed(
            f"20 documents of 1,000 such aliases ({len(one_thousand) // 1024} KiB, under the document limit)",
            many(one_thousand, 20),
        ),
    ]


def id_list(n: int, known: list) -> list:
    ids = [f"{i:032x}" for i in range(0x10000000, 0x10000000 + n - len(known))]
    return known + ids


def form_body(ids: list) -> bytes:
    """specklepy's `data={"objects": json.dumps(ids)}`."""
    return ("objects=" + quote_plus(json.dumps(ids))).encode()


def attack_idlists(url, world):
    anonymous, owner = session(), session(world["token"])
    project = world["project"]
    routes = {
        "getobjects": (anonymous, f"{url}/api/getobjects/{project}", "application/x-www-form-urlencoded", form_body),
        "diff": (owner, f"{url}/api/diff/{project}", "application/x-www-form-urlencoded", form_body),
        "object-stream": (
            anonymous,
            f"{url}/api/v2/projects/{project}/object-stream/",
            "application/json",
            lambda ids: json.dumps({"objectIds": ids}).encode(),
        ),
    }
    steps = []
    for n, rounds in ((1_000_000, 2), (1_000_001, 1)):
        ids = id_list(n, world["children"])
        bodies = {name: encode(ids) for name, (_, _, _, encode) in routes.items()}
        del ids
        size = sum(len(b) for b in bodies.values()) // 3 // MIB
        jobs = [
            post_job(s, route_url, bodies[name], content_type)
            for _ in range(rounds)
            for name, (s, route_url, content_type, _) in routes.items()
        ]
        steps.append(
            timed(
                f"{n:,} ids (~{size} MiB a body) to the 3 routes at once, {rounds}×",
                lambda: statuses(run_all(jobs, 3)),
            )
        )
        del bodies
    return steps


def attack_websocket(url, world):
    import websockets

    ws_url = url.replace("http://", "ws://") + "/graphql"
    subscription = "subscription($id: String!) { projectUpdated(id: $id) { id type } }"

    async def run():
        counts = {"acknowledged": 0, "next": 0, "error": 0, "complete": 0, "closed": None}
        try:
            async with websockets.connect(
                ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10, max_size=None
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {world['token']}"}}))
                ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
                counts["acknowledged"] = int(ack.get("type") == "connection_ack")
                for i in range(200):
                    await ws.send(
                        json.dumps(
                            {
                                "id": str(i),
                                "type": "subscribe",
                                "payload": {"query": subscription, "variables": {"id": world["project"]}},
                            }
                        )
                    )

                async def drain(seconds):
                    deadline = time.monotonic() + seconds
                    while (left := deadline - time.monotonic()) > 0:
                        try:
                            message = json.loads(await asyncio.wait_for(ws.recv(), left))
                        except asyncio.TimeoutError:
                            return
                        kind = message.get("type")
                        if kind in counts:
                            counts[kind] += 1

                await drain(2)
                # One change every subscription hears.
                await asyncio.to_thread(
                    graphql,
                    session(world["token"]),
                    url,
                    "mutation($input: ProjectUpdateInput!) { projectMutations { update(update: $input) { id } } }",
                    {"input": {"id": world["project"], "description": "changed under attack"}},
                )
                await drain(5)
        except websockets.ConnectionClosed as e:
            counts["closed"] = f"{e.rcvd.code if e.rcvd else '?'} {e.rcvd.reason if e.rcvd else ''}".strip()
        except Exception as e:
            counts["closed"] = type(e).__name__
        return counts

    return [
        timed(
            "200 subscriptions on one graphql-transport-ws socket, then one change",
            lambda: asyncio.run(asyncio.wait_for(run(), 60)),
        )
    ]


def attack_pwdreset(url, world):
    anonymous = session()

    def job():
        body = json.dumps({"tokenId": uuid.uuid4().hex, "password": "new-password-" + uuid.uuid4().hex})
        return post_job(anonymous, f"{url}/auth/pwdreset/finalize", body, "application/json")()

    return [
        timed(
            "200 `finalize` requests with made-up tokens, 8 at a time",
            lambda: statuses(run_all([job] * 200, 8)),
        )
    ]


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def summarize(samples, start, end):
    window = [s for s in samples if start <= s[0] <= end]
    if not window:
        return {"probes": 0, "max_latency_ms": None, "p99_latency_ms": None, "failed_probes": 0, "max_rss_mb": None}
    latencies = sorted(s[1] for s in window)
    return {
        "probes": len(window),
        "max_latency_ms": round(latencies[-1], 1),
        "p99_latency_ms": round(latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)], 1),
        "failed_probes": sum(1 for s in window if s[2] != 200),
        "max_rss_mb": round(max(s[3] for s in window) / 1024, 1),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, required=True, help="the server's process id (for /proc)")
    p.add_argument("--out", help="write the figures here as JSON")
    p.add_argument("--only", default=",".join(ATTACKS), help="comma-separated attacks to run")
    p.add_argument(
        "--samples",
        metavar="FILE",
        help="read the probes of a monitor already running (`--monitor FILE`) instead of starting one",
    )
    p.add_argument(
        "--monitor",
        metavar="FILE",
        help="only probe /liveness every 50 ms and sample the server's memory into FILE, until SIGTERM",
    )
    args = p.parse_args()

    if urlparse(args.url).hostname != "127.0.0.1":
        sys.exit("attack.py: only 127.0.0.1 may be attacked")
    if args.monitor:
        monitor(args.url, args.pid, args.monitor)
        return
    only = [a for a in args.only.split(",") if a]
    for a in only:
        if a not in ATTACKS:
            sys.exit(f"attack.py: unknown attack {a!r} ({', '.join(ATTACKS)})")

    world = set_up(args.url)
    if args.samples:
        # A monitor started by the caller (bench/attack.sh runs it at normal priority while the
        # attacks run at a lower one).
        samples_path, probe = args.samples, None
    else:
        samples_path = (args.out or "attack") + ".samples"
        probe = subprocess.Popen(
            [sys.executable, __file__, "--url", args.url, "--pid", str(args.pid), "--monitor", samples_path]
        )
    steps = []
    try:
        time.sleep(2)
        steps.append(("idle", timed("nothing (2 s before the attacks)", lambda: time.sleep(2) or "—")))
        for name in only:
            print(f"attack: {name}", file=sys.stderr, flush=True)
            for step in globals()[f"attack_{name}"](args.url, world):
                what, start, end, outcome = step
                print(f"  {what}: {outcome} ({end - start:.1f} s)", file=sys.stderr, flush=True)
                steps.append((name, step))
            time.sleep(1)
    finally:
        if probe:
            probe.terminate()
            probe.wait(10)
    samples = []
    with open(samples_path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 4 and line.endswith("\n"):  # a line still being written is left out
                t, latency, status, rss = fields
                samples.append((float(t), float(latency), int(status), int(rss)))
    peak = proc_status(args.pid).get("VmHWM", 0)
    result = {
        "url": args.url,
        "cores": os.cpu_count(),
        "peak_rss_mb": round(peak / 1024, 1),
        "overall": summarize(samples, steps[0][1][1], steps[-1][1][2] + 1),
        "steps": [
            {
                "attack": name,
                "what": what,
                "outcome": outcome,
                "seconds": round(end - start, 1),
                **summarize(samples, start, end),
            }
            for name, (what, start, end, outcome) in steps
        ],
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)

    print()
    print(
        "| attack | what was sent | answers (status: count) | seconds | server RSS, max (MB) "
        "| /liveness, max (ms) | /liveness, p99 (ms) | probes (failed) |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    previous = None
    for step in result["steps"]:
        outcome = step["outcome"]
        if isinstance(outcome, dict):
            outcome = ", ".join(f"{k}: {v}" for k, v in outcome.items() if v is not None)
        name = step["attack"] if step["attack"] != previous else ""
        previous = step["attack"]
        print(
            f"| {name} | {step['what']} | {outcome} | {step['seconds']} | {step['max_rss_mb'] if step['probes'] else '—'} | "
            f"{step['max_latency_ms'] if step['probes'] else '—'} | "
            f"{step['p99_latency_ms'] if step['probes'] else '—'} | {step['probes']} ({step['failed_probes']}) |"
        )
    o = result["overall"]
    print()
    print(
        f"Server peak RSS (VmHWM, whole run): {result['peak_rss_mb']} MB (target < 300); "
        f"/liveness max {o['max_latency_ms']} ms, p99 {o['p99_latency_ms']} ms over {o['probes']} probes, "
        f"{o['failed_probes']} failed (target < 100 ms)."
    )
    missed = result["peak_rss_mb"] >= 300 or (o["max_latency_ms"] or 0) >= 100 or o["failed_probes"] > 0
    sys.exit(3 if missed else 0)


if __name__ == "__main__":
    main()
