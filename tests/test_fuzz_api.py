"""Fuzzing the HTTP API from its OpenAPI schema (schemathesis): every operation, generated valid and invalid
requests, against a live server on a throwaway data folder. The check is the issue's: no input makes a server
error (5xx). Bounded: ZHIKU_FUZZ_EXAMPLES requests per operation and mode (valid, invalid; default 12, derandomized so a failure
reproduces); the counts are written to test-artifacts/fuzz/api.json and reported in docs/security.md."""
from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable

from tests.conftest import graph_settings, make_runtime
from tests.credentials import AuthorizedUrl
from tests.live_server import live_server

EXAMPLES = int(os.environ.get("ZHIKU_FUZZ_EXAMPLES", "12"))
COUNTS: Counter = Counter()
ARTIFACT = Path(__file__).resolve().parent.parent / "test-artifacts" / "fuzz" / "api.json"


@pytest.fixture(scope="module")
def fuzz_url(tmp_path_factory, bolt_server, shared_embedder, shared_ocr_reader, shared_transcriber):
    from zhiku.api.app import create_app
    from zhiku.core.settings import Settings

    folder = tmp_path_factory.mktemp("fuzz")
    settings = Settings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'meta.sqlite3'}", max_upload_mb=1,
                        answer_mode="extractive", rate_limit_expensive="100000/minute",
                        rate_limit_other="100000/minute", _env_file=None, **graph_settings(bolt_server))
    runtime = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    try:
        with live_server(create_app(settings, runtime)) as url:
            import httpx

            url = AuthorizedUrl.of(url, settings)
            kb = httpx.post(f"{url}/knowledge-bases", json={"name": "fuzz"}, headers=url.admin).json()
            httpx.post(f"{url}/knowledge-bases/{kb['id']}/documents", headers=url.admin,
                       files=[("files", ("制度.md", "# 制度\n\n授信业务须经审批。".encode()))])
            yield url
    finally:
        runtime.close()
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTIFACT.write_text(json.dumps({"examples_per_operation": EXAMPLES, **COUNTS}, indent=1))


def test_no_request_makes_a_server_error(fuzz_url):
    schema = schemathesis.openapi.from_url(f"{fuzz_url}/openapi.json", headers=fuzz_url.admin)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    COUNTS["operations"] = len(operations)
    for operation, mode in itertools.product(operations, GenerationMode):  # valid requests, and invalid ones

        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            response = case.call(timeout=120, headers=fuzz_url.admin)  # as a system administrator
            COUNTS["requests"] += 1
            COUNTS[f"{response.status_code // 100}xx"] += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{response.text[:200]} ({case.as_curl_command()[:300]})")

        try:
            call()
        except Unsatisfiable:  # no invalid request exists for an operation without inputs (GET /healthz)
            COUNTS["operations without invalid inputs"] += 1
    assert not failures, "\n".join(failures)
