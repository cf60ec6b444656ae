"""The README's commands as a new user runs them: from the repository root, in a second terminal, against the
server of the run command (`zhiku serve --demo`, here on a free port with a data folder of its own). Every code
block the README marks with `<!-- readme-test` runs with bash (errexit, pipefail) and must succeed; JSON is printed
readably (no \\uXXXX escapes). Slow: the demo knowledge base is ingested first (OCR, speech, the graph)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from zhiku.api.cli.server_file import running_server

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def marked_blocks() -> list[str]:
    return re.findall(r"<!-- readme-test[^>]*-->\s*```bash\n(.*?)```", README, flags=re.S)


def test_the_readme_marks_its_runnable_blocks_and_names_the_real_llm():
    blocks = marked_blocks()
    assert len(blocks) >= 3
    text = "\n".join(blocks)
    assert "<job_id>" not in README and "python -m json.tool" not in README.replace("python3 -m json.tool --no-ensure-ascii", "")
    assert "items[].job_id" in README and "../shared/eval" in README and "Qwen2.5-Coder-0.5B" in README
    for path in re.findall(r"@?(demo/bank_kb/[^\s'\"]+)", text):
        assert (ROOT / path).exists(), path


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("readme") / "data"
    env = {**os.environ, "ZHIKU_DATA_DIR": str(data)}
    log_path = data.parent / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "zhiku.api.cli", "serve", "--demo", "--host", "127.0.0.1",
                                   "--port", "0"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            deadline = time.monotonic() + 1500
            while (found := running_server(data)) is None:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
            from tests.credentials import admin_headers
            from zhiku.core.settings import Settings

            headers = admin_headers(Settings(data_dir=data, _env_file=None))
            with httpx.Client(base_url=found.url, timeout=60, headers=headers) as http:
                while True:  # the run command's demo knowledge base, ingested
                    documents = http.get("/knowledge-bases/demo-bank/documents").json()
                    if documents and all(d["status"] in ("done", "failed") for d in documents):
                        break
                    assert time.monotonic() < deadline, [(d["name"], d["status"]) for d in documents]
                    time.sleep(2)
            yield found.url, env
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(120)


def test_every_marked_readme_command_runs_from_the_repository_root(demo_server, tmp_path):
    url, env = demo_server
    # The repository root as a fresh clone sees it, with the files the commands write kept out of the real one.
    for name in ("demo", "evaluation", ".venv"):
        (tmp_path / name).symlink_to(ROOT / name)
    if not (ROOT / ".venv" / "bin" / "zhiku").exists():
        pytest.skip("the project's .venv (scripts/bootstrap.sh) is what the README's commands use")
    # The README's own line that creates the key every example sends ($ZHIKU_KEY), run as a user would.
    create_key = re.search(r"^export ZHIKU_KEY=.*$", README, flags=re.M).group(0)
    made = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", f'{create_key}\nprintf %s "$ZHIKU_KEY"'],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0 and made.stdout, made.stderr[-3000:]
    env = {**env, "ZHIKU_KEY": made.stdout.strip()}
    outputs = []
    for block in marked_blocks():
        script = block.replace("localhost:8000", url.removeprefix("http://"))
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=1200)
        assert result.returncode == 0, f"{script}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        outputs.append(result.stdout)
    everything = "\n".join(outputs)
    assert not re.search(r"\\u[0-9a-f]{4}", everything), "JSON with escaped Chinese"
    assert '"found"' in outputs[0] and '"job_id"' in outputs[0]
    assert (tmp_path / "report.docx").read_bytes()[:2] == b"PK"
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["sections"]
    assert "信用卡常见问题.md" in outputs[-1] and "[1]" in outputs[-1]
