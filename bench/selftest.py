#!/usr/bin/env python3
"""Tests bench/objects.py without a real server: a dry run, a full run against
bench/mock_server.py, and runs against broken variants of it that the benchmark must refuse.

    ~/.cache/fleck/venv/bin/python bench/selftest.py
"""

import contextlib
import io
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_server  # noqa: E402
import objects  # noqa: E402


def bench(url, *extra):
    err = io.StringIO()
    out = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = objects.main(["--url", url, "--objects", "2500", "--sample", "700", *extra])
    return rc, out.getvalue(), err.getvalue()


def main():
    server, url = mock_server.serve()
    with tempfile.TemporaryDirectory() as tmp:
        # Dry run.
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert objects.main(["--dry-run", "--objects", "3000", "--batch", "1000"]) == 0
        assert "batches:            3," in out.getvalue(), out.getvalue()

        # A full run, results written, then the table rebuilt from two saved files.
        a, b = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
        rc, out, err = bench(url, "--label", "mock", "--out", a, "--batch", "300", "--concurrency", "3")
        assert rc == 0, err
        assert "| mock |" in out and "| diff 2500 s |" in out, out
        result = json.load(open(a))
        assert result["objects"] == 2500 and result["batches"] == 9, result
        assert result["upload"]["objects_per_s"] > 0 and result["download"]["bytes"] > 2500 * 1000
        assert result["warnings"] == [], result["warnings"]
        for key in ("diff", "download", "download_json", "getobjects", "object_stream"):
            assert key in result, key
        assert len(result["diff"]["runs_s"]) == 3
        rc, out, err = bench(url, "--label", "mock2", "--out", b, "--batch-diff", "--max-batch-mb", "1",
                             "--skip", "object-stream,download-json", "--repeat", "1")
        assert rc == 0, err
        result = json.load(open(b))
        assert "object_stream" not in result and "download_json" not in result
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert objects.main(["--table-from", a, b]) == 0
        table = out.getvalue()
        assert table.count("\n") == 4 and "| mock2 |" in table and "—" in table, table
        print(table)

        # Broken servers must make the run fail.
        Handler = mock_server.Handler
        original_get, original_post, original_reply = Handler.do_GET, Handler.do_POST, Handler.reply

        def upload_200(self, status, *a, **kw):  # 200 instead of 201 for uploads
            return original_reply(self, 200 if status == 201 else status, *a, **kw)

        def drop_one_child(self):  # the download misses an object
            store = mock_server.PROJECTS
            saved = {p: dict(s) for p, s in store.items()}
            for s in store.values():
                closure = [k for k, v in s.items() if "__closure" in v]
                victims = [k for k in s if k not in closure]
                if victims:
                    del s[victims[0]]
            try:
                original_get(self)
            finally:
                store.clear()
                store.update(saved)

        def stream_without_final_newline(self):
            if "object-stream" in self.path:
                orig = self.reply
                self.reply = lambda st, body=b"", *a, **kw: orig(st, body.rstrip("\n"), *a, **kw)
            original_post(self)

        cases = [
            ("reply", upload_200, "expected HTTP 201, got 200"),
            ("do_GET", drop_one_child, "lines, expected"),
            ("do_POST", stream_without_final_newline, "objectloader2 drops it"),
        ]
        for attr, broken, message in cases:
            setattr(Handler, attr, broken)
            try:
                rc, out, err = bench(url, "--repeat", "1")
            finally:
                Handler.do_GET, Handler.do_POST, Handler.reply = original_get, original_post, original_reply
            assert rc == 1 and message in err, (attr, rc, err[-800:])
            print(f"refused as expected: {err.strip().splitlines()[-1]}")
    server.shutdown()
    print("selftest: ok")


if __name__ == "__main__":
    main()
