"""Optional paraphrasing of flow descriptions through an OpenAI-compatible chat endpoint.

Off unless the user names an endpoint (`--paraphrase-url URL --paraphrase-model M`).
Each distinct text is sent once: answers are cached on disk under
`cache_dir/<sha256(model, prompt, text)>.json` (atomic writes), so a rerun makes no calls
and gives the same file. Timeouts and 5xx/429 answers are retried with exponential
backoff; other failures are one-line PacketclipErrors. urllib only, no new dependency.
If the environment variable PACKETCLIP_PARAPHRASE_API_KEY is set it is sent as a bearer token.
"""

import hashlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packetclip.errors import PacketclipError
from packetclip.fsutil import write_text

DEFAULT_PROMPT = ("Paraphrase this description of a network flow in one sentence. Keep every "
                  "number, unit, protocol and port. Do not add facts. Answer with the sentence only.")
KEY_ENV = "PACKETCLIP_PARAPHRASE_API_KEY"


def default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "packetclip" / "paraphrase"


class Paraphraser:
    def __init__(self, url, model, cache_dir=None, prompt=DEFAULT_PROMPT, timeout=30.0,
                 retries=3, backoff=0.5, temperature=0.0):
        url = url.rstrip("/")
        if url.endswith("/chat/completions"):
            url = url[: -len("/chat/completions")]
        if not url.startswith(("http://", "https://")):
            raise PacketclipError(f"--paraphrase-url {url!r}: not an http(s) URL; give e.g. http://127.0.0.1:8000/v1")
        self.url, self.model, self.prompt = url, model, prompt
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.timeout, self.retries, self.backoff, self.temperature = timeout, retries, backoff, temperature
        self.calls = 0  # HTTP requests made (retries included)
        self.hits = 0  # answers served from the cache
        self._lock = threading.Lock()

    def _key(self, text):
        h = hashlib.sha256()
        for part in (self.model, self.prompt, text):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def _cache_path(self, text):
        return self.cache_dir / f"{self._key(text)}.json"

    def cached(self, text):
        p = self._cache_path(text)
        try:
            return json.loads(p.read_text(encoding="utf-8"))["paraphrase"]
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def _request(self, text):
        body = json.dumps({"model": self.model, "temperature": self.temperature,
                           "messages": [{"role": "system", "content": self.prompt},
                                        {"role": "user", "content": text}]}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if os.environ.get(KEY_ENV):
            headers["Authorization"] = f"Bearer {os.environ[KEY_ENV]}"
        req = urllib.request.Request(f"{self.url}/chat/completions", data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def paraphrase(self, text):
        """The paraphrase of one text (from the cache when possible)."""
        hit = self.cached(text)
        if hit is not None:
            with self._lock:
                self.hits += 1
            return hit
        endpoint = f"{self.url}/chat/completions"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            with self._lock:
                self.calls += 1
            try:
                answer = self._request(text)
            except urllib.error.HTTPError as exc:
                if exc.code == 429 or exc.code >= 500:
                    last = f"HTTP {exc.code}"
                    continue
                raise PacketclipError(
                    f"{endpoint}: HTTP {exc.code} {exc.reason}; check --paraphrase-url (the part "
                    "before /chat/completions) and --paraphrase-model") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = str(getattr(exc, "reason", exc)) or type(exc).__name__
                continue
            except ValueError:
                raise PacketclipError(f"{endpoint}: the answer is not JSON; is this an OpenAI-compatible endpoint?") from None
            try:
                out = answer["choices"][0]["message"]["content"].strip()
            except (KeyError, IndexError, TypeError, AttributeError):
                raise PacketclipError(
                    f"{endpoint}: the answer has no choices[0].message.content; is this an OpenAI-compatible chat endpoint?") from None
            if not out:
                raise PacketclipError(f"{endpoint}: empty paraphrase for {text[:40]!r}...; try another model")
            write_text(self._cache_path(text),
                       json.dumps({"model": self.model, "text": text, "paraphrase": out}, ensure_ascii=False) + "\n")
            return out
        raise PacketclipError(f"{endpoint}: no answer after {self.retries + 1} attempts ({last}); "
                              "check that the server is up, or raise --paraphrase-timeout")


def paraphrase_texts(texts, paraphraser, workers=4):
    """Append the paraphrase of every text to its flow's list: [[t1, ...]] -> [[t1, ..., p1, ...]].

    Distinct texts are paraphrased once, `workers` at a time; the output order is the input order.
    """
    unique = list(dict.fromkeys(t for row in texts for t in row))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answers = dict(zip(unique, pool.map(paraphraser.paraphrase, unique), strict=True))
    return [row + [answers[t] for t in row] for row in texts]
