"""The embedded engine's single owner, shared with other processes over loopback.

qdrant-edge opens a shard folder in one process only. When the API, `zhiku worker` processes and the CLI
run side by side on the embedded default, the process that opened the shard (the API) serves the store's
operations on 127.0.0.1 and writes `<shard>.owner.json` (url, token, pid; mode 0600) next to the shard; every other
process finds it there and hands its vectors to the owner (RemoteVectorStore) instead of opening the shard.
Only processes that can read the data folder can read the token. Deployments with several machines use a
Qdrant server instead (ZHIKU_QDRANT_URL): docs/deployment.md.
"""
from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from zhiku.index.sparse_encoder import SparseVector
from zhiku.index.vector_store import ChunkFilter, IndexPoint, ScoredChunk, VectorStore

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Zhiku-Owner-Token"
MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class OwnerInfo:
    url: str
    token: str
    pid: int


def owner_file(shard: Path) -> Path:
    return shard.with_name(shard.name + ".owner.json")


def read_owner(shard: Path) -> OwnerInfo | None:
    """The live owner of the embedded shard, if any (a file left by a dead process is ignored)."""
    try:
        info = OwnerInfo(**json.loads(owner_file(shard).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return info


# -- wire format (shared with RemoteVectorStore) -----------------------------------------------
def encode_points(points: list[IndexPoint]) -> list[dict]:
    return [{"id": p.point_id, "dense": base64.b64encode(np.asarray(p.dense, dtype=np.float32).tobytes()).decode(),
             "sparse": [list(p.sparse.indices), list(p.sparse.values)], "payload": p.payload} for p in points]


def decode_points(rows: list[dict]) -> list[IndexPoint]:
    return [IndexPoint(r["id"], np.frombuffer(base64.b64decode(r["dense"]), dtype=np.float32),
                       SparseVector(*r["sparse"]), r["payload"]) for r in rows]


def encode_filter(chunk_filter: ChunkFilter) -> dict:
    return asdict(chunk_filter)


def decode_filter(data: dict) -> ChunkFilter:
    return ChunkFilter(**data)


def encode_scored(chunks: list[ScoredChunk]) -> list[list]:
    return [[c.point_id, c.score, c.payload] for c in chunks]


def decode_scored(rows: list[list]) -> list[ScoredChunk]:
    return [ScoredChunk(point_id, score, payload) for point_id, score, payload in rows]


class VectorStoreHost:
    """Serves `store` to the other processes of this machine until close()."""

    def __init__(self, store: VectorStore, shard: Path):
        self._store = store
        self._shard = Path(shard)
        self._token = secrets.token_urlsafe(32)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="vector-store-host", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "VectorStoreHost":
        self._thread.start()
        path = owner_file(self._shard)
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(OwnerInfo(self.url, self._token, os.getpid())), handle)
        os.replace(temporary, path)
        log.info("embedded vector store shared with other processes at %s", self.url)
        return self

    def close(self) -> None:
        owner = read_owner(self._shard)
        if owner is not None and owner.pid == os.getpid():
            owner_file(self._shard).unlink(missing_ok=True)
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        store, token = self._store, self._token

        def dense(body: dict) -> np.ndarray:
            return np.frombuffer(base64.b64decode(body["vector"]), dtype=np.float32)

        operations = {
            "ensure_collection": lambda b: store.ensure_collection(b["dense_dim"], b["embedder_id"]),
            "upsert": lambda b: store.upsert(decode_points(b["points"])),
            "delete": lambda b: store.delete(decode_filter(b["filter"])),
            "search_dense": lambda b: encode_scored(store.search_dense(dense(b), decode_filter(b["filter"]),
                                                                       b["limit"])),
            "search_sparse": lambda b: encode_scored(store.search_sparse(SparseVector(*b["vector"]),
                                                                         decode_filter(b["filter"]), b["limit"])),
            "set_access": lambda b: store.set_access(b["document_id"], b["principals"]),
            "count": lambda b: store.count(decode_filter(b["filter"])),
            "fetch": lambda b: encode_scored(store.fetch(decode_filter(b["filter"]), b["limit"])),
            "optimize": lambda b: store.optimize(),
        }

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a worker sends many batches

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                operation = operations.get(self.path.strip("/"))
                length = int(self.headers.get("Content-Length") or 0)
                if not hmac.compare_digest(self.headers.get(TOKEN_HEADER, ""), token):
                    return self._reply(403, {"error": "forbidden"})
                if operation is None or length > MAX_REQUEST_BYTES:
                    return self._reply(404 if operation is None else 413, {"error": "bad request"})
                try:
                    result = operation(json.loads(self.rfile.read(length) or b"{}"))
                except Exception as exc:  # noqa: BLE001 - the caller gets the reason; the owner stays up
                    log.exception("vector store operation %s failed", self.path)
                    return self._reply(500, {"error": f"{type(exc).__name__}: {exc}"})
                self._reply(200, {"result": result})

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # requests are not worth a log line each
                pass

        return Handler
