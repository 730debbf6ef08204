"""The HTTP response cache of the broker: opt-in per ``[[net.allow]]`` rule (``cache_ttl_s``).

One file per entry under ``<user cache dir>/http/`` (``$BOMHOST_CACHE_DIR`` or XDG), named by
SHA-256 of ``method \\0 url \\0 sha256(body)``: injected header values are not part of the key
and never written. Only complete 2xx bodies are stored (the broker never offers anything
else); an entry older than its rule's TTL is a miss. The whole cache is bounded by
``MAX_CACHE_BYTES``: after a write, the oldest entries go until it fits.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from pathlib import Path

MAX_CACHE_BYTES = 256 << 20


def cache_key(method: str, url: str, body: bytes | None) -> str:
    body_hash = hashlib.sha256(body or b"").hexdigest()
    return hashlib.sha256(f"{method}\0{url}\0{body_hash}".encode()).hexdigest()


class ResponseCache:
    """A folder of cached bodies; safe to share between threads and processes (atomic renames)."""

    def __init__(self, root: Path, max_bytes: int = MAX_CACHE_BYTES) -> None:
        self.root = root
        self._root = str(root)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str, ttl_s: int) -> bytes | None:
        """The body stored under ``key`` if younger than ``ttl_s``, else None.

        Plain ``os`` calls on one descriptor (open, fstat, read): a cached run makes one lookup
        per request, and pathlib's objects cost more than the three system calls.
        """
        try:
            fd = os.open(os.path.join(self._root, key[:2], key), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if time.time() - st.st_mtime >= ttl_s:
                return None
            chunks = []
            while chunk := os.read(fd, max(st.st_size, 1) + 1):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)

    def put(self, key: str, body: bytes) -> None:
        """Store ``body``; a cache that cannot be written is no cache, never an error."""
        path = self._path(key)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{key}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_bytes(body)
            os.replace(tmp, path)
            with self._lock:
                self._trim()

    def _trim(self) -> None:
        entries = []
        total = 0
        for p in self.root.glob("??/*"):
            with contextlib.suppress(OSError):
                st = p.stat()
                entries.append((st.st_mtime, st.st_size, p))
                total += st.st_size
        for _, size, p in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
