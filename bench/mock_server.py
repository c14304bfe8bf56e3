#!/usr/bin/env python3
"""A tiny in-memory stand-in for the routes bench/objects.py uses, following
shared/spec/objects.md §4 — only to test the benchmark script without a real server.

    python bench/mock_server.py [--port 0]        # prints the URL, serves until killed

Not a reference implementation: no permissions beyond "has a token", no limits.
"""

import argparse
import gzip
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
CODES = {}  # access code -> challenge
TOKENS = set()
PROJECTS = {}  # project id -> {object id: json text}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", content_type="application/json", gzipped=False, headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if gzipped:
            body = gzip.compress(body, 1)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def authed(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in TOKENS:
            return True
        self.reply(401, "")
        return False

    def objects_field(self, raw):
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(json.loads(raw)["objects"])
        return json.loads(parse_qs(raw.decode())["objects"][0])

    def lines_or_array(self, texts):
        if self.headers.get("Accept") == "text/plain":
            body = "".join(f"{json.loads(t)['id']}\t{t}\n" for t in texts)
            return self.reply(200, body, "text/plain; charset=UTF-8", gzipped=True)
        self.reply(200, "[" + ",".join(texts) + "]", gzipped=True)

    def do_GET(self):
        m = re.fullmatch(r"/objects/(\w+)/(\w+)", urlparse(self.path).path)
        if self.path == "/readiness":
            return self.reply(200, '{"status":"ok"}')
        if not m:
            return self.reply(404, "")
        if not self.authed():
            return
        store = PROJECTS.get(m[1], {})
        if m[2] not in store:
            return self.reply(404, "Failed to find object.", "text/plain")
        root = store[m[2]]
        closure = json.loads(root).get("__closure", {})
        children = [store[c] for c in sorted(closure) if c in store]
        self.lines_or_array([root] + children)

    def do_POST(self):
        url = urlparse(self.path)
        path, raw = url.path, self.body()
        if path == "/auth/local/register":
            code = uuid.uuid4().hex
            CODES[code] = parse_qs(url.query)["challenge"][0]
            return self.reply(302, "", headers=[("Location", f"http://front/?access_code={code}")])
        if path == "/auth/token":
            req = json.loads(raw)
            if CODES.pop(req["accessCode"], None) != req["challenge"]:
                return self.reply(401, '{"err":"bad code"}')
            token = uuid.uuid4().hex[:42]
            TOKENS.add(token)
            return self.reply(200, json.dumps({"token": token, "refreshToken": "r"}))
        if not self.authed():
            return
        if path == "/graphql":
            assert "projectMutations" in json.loads(raw)["query"]
            pid = uuid.uuid4().hex[:10]
            PROJECTS[pid] = {}
            return self.reply(200, json.dumps({"data": {"projectMutations": {"create": {"id": pid}}}}))
        m = re.fullmatch(r"/objects/(\w+)", path)
        if m:
            boundary = self.headers["Content-Type"].split("boundary=")[1].encode()
            for part in raw.split(b"--" + boundary)[1:-1]:
                head, _, data = part.partition(b"\r\n\r\n")
                assert b'name="batch-1"; filename="batch-1"' in head, head
                assert b"Content-Type: application/gzip" in head, head
                objs = json.loads(gzip.decompress(data[:-2]))
                with LOCK:
                    for o in objs:
                        PROJECTS[m[1]].setdefault(o["id"], json.dumps(o, separators=(",", ":")))
            return self.reply(201, "", "text/plain")
        m = re.fullmatch(r"/api/diff/(\w+)", path)
        if m:
            store = PROJECTS[m[1]]
            ids = self.objects_field(raw)
            return self.reply(200, json.dumps({i: i in store for i in ids}), gzipped=True)
        m = re.fullmatch(r"/api/getobjects/(\w+)", path)
        if m:
            store = PROJECTS[m[1]]
            ids = sorted(self.objects_field(raw))
            return self.lines_or_array([store[i] for i in ids if i in store])
        m = re.fullmatch(r"/api/v2/projects/(\w+)/object-stream/", path)
        if m:
            store = PROJECTS[m[1]]
            ids = json.loads(raw)["objectIds"]
            body = "".join(f"{i}\t{store[i]}\n" for i in sorted(ids) if i in store)
            return self.reply(200, body, "text/plain; charset=UTF-8", gzipped=True)
        self.reply(404, "")


def serve(port=0):
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    server, url = serve(p.parse_args().port)
    print(url, flush=True)
    threading.Event().wait()
