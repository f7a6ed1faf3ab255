"""Paraphrase client against a stand-in OpenAI-compatible server on loopback."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from packetclip.data.paraphrase import Paraphraser, paraphrase_texts
from packetclip.errors import PacketclipError


class _Server:
    """Answers POST /v1/chat/completions with "P: <user text>"; fails the first `fail` calls with 500."""

    def __init__(self, fail=0, status=None, delay=0.0):
        self.requests, self.fail, self.status, self.delay = [], fail, status, delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, body))
                if outer.delay:
                    time.sleep(outer.delay)
                if outer.status or len(outer.requests) <= outer.fail:
                    self.send_response(outer.status or 500)
                    self.end_headers()
                    return
                text = body["messages"][-1]["content"]
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": f" P: {text} "}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_retry_after_500_then_cache_prevents_second_call(tmp_path):
    texts = [["flow one.", "flow two."], ["flow one."]]
    with _Server(fail=1) as srv:
        p = Paraphraser(srv.url, "m1", cache_dir=tmp_path / "cache", backoff=0.01)
        out = paraphrase_texts(texts, p, workers=1)
        assert out == [["flow one.", "flow two.", "P: flow one.", "P: flow two."], ["flow one.", "P: flow one."]]
        assert len(srv.requests) == 3  # the 500, its retry, the second distinct text
        path, body = srv.requests[-1]
        assert path == "/v1/chat/completions" and body["model"] == "m1"
        assert body["messages"][0]["role"] == "system"
        cached = sorted((tmp_path / "cache").glob("*.json"))
        assert len(cached) == 2 and not list((tmp_path / "cache").glob(".*"))  # no temp files left

        again = Paraphraser(srv.url + "/chat/completions", "m1", cache_dir=tmp_path / "cache")
        assert paraphrase_texts(texts, again) == out
        assert len(srv.requests) == 3 and again.calls == 0 and again.hits == 2

        other = Paraphraser(srv.url, "m2", cache_dir=tmp_path / "cache", backoff=0.01)
        other.paraphrase("flow one.")  # another model is another cache key
        assert len(srv.requests) == 4


def test_gives_up_with_one_line_error(tmp_path):
    with _Server(fail=100) as srv:
        p = Paraphraser(srv.url, "m", cache_dir=tmp_path, retries=2, backoff=0.01)
        with pytest.raises(PacketclipError, match=r"no answer after 3 attempts \(HTTP 500\)"):
            p.paraphrase("x")
        assert len(srv.requests) == 3
    with _Server(status=404) as srv:
        p = Paraphraser(srv.url, "m", cache_dir=tmp_path, backoff=0.01)
        with pytest.raises(PacketclipError, match="HTTP 404.*--paraphrase-url"):
            p.paraphrase("x")
        assert len(srv.requests) == 1  # client errors are not retried
    with _Server(delay=0.5) as srv:
        p = Paraphraser(srv.url, "m", cache_dir=tmp_path, timeout=0.1, retries=1, backoff=0.01)
        with pytest.raises(PacketclipError, match="no answer after 2 attempts"):
            p.paraphrase("slow")
    assert not list(tmp_path.glob("*.json"))


def test_cli_text_with_paraphrase(tmp_path):
    import subprocess
    import sys

    f = tmp_path / "small.csv"
    f.write_text("\n".join(_sample_lines(6)) + "\n")
    out = tmp_path / "t.jsonl"
    with _Server() as srv:
        cmd = [sys.executable, "-m", "packetclip", "data", "text", str(f), "-o", str(out),
               "--paraphrase-url", srv.url, "--paraphrase-model", "m", "--paraphrase-cache", str(tmp_path / "c")]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert all(len(row["texts"]) == 2 and row["texts"][1] == "P: " + row["texts"][0] for row in rows)
        n = len(srv.requests)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and len(srv.requests) == n and "from cache" in r.stdout
    bad = subprocess.run(cmd[:-4], capture_output=True, text=True, timeout=60)  # url without model
    assert bad.returncode == 2 and "go together" in bad.stderr


def _sample_lines(n):
    """The first n lines (header included) of the CIC-IDS2017 sample shipped in the package."""
    import gzip
    from importlib.resources import files

    with gzip.open(files("packetclip.data") / "cicids2017-sample.csv.gz", "rt") as fh:
        return [next(fh).rstrip("\n") for _ in range(n)]
