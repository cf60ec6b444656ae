"""The deployment files: the compose file against the Compose Specification, secrets only from the env file, and
the Docker image's contents built from the package metadata, started and serving the UI (no Docker engine
here: the image is `pip install` of the build context, which these tests reproduce)."""
from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SECRET_WORDS = ("PASSWORD", "PASS", "AUTH", "API_KEY", "SECRET", "TOKEN")


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_compose_file_follows_the_compose_specification():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_engine_with_health_checks_and_volumes():
    services = _compose()["services"]
    assert {"api", "worker", "rabbitmq", "qdrant", "neo4j", "postgres"} <= set(services)
    for name in ("api", "worker"):
        assert "replicas" in services[name]["deploy"], name
        assert "zhiku-data:/data" in services[name]["volumes"], name  # workers read the originals the API stored
        assert services[name]["environment"]["ZHIKU_BROKER_URL"].startswith("amqp://")
    assert services["worker"]["command"] == ["zhiku", "worker"]
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
    for name in ("rabbitmq", "qdrant", "neo4j", "postgres"):
        assert services[name]["volumes"], f"{name} keeps no data"


def test_compose_takes_every_secret_from_the_env_file():
    text = COMPOSE.read_text()
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required and required <= set(example), f"add to .env.example: {sorted(required - set(example))}"

    def values(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from values(value, f"{path}.{key}")
        elif isinstance(node, list):
            for item in node:
                yield from values(item, path)
        else:
            yield path, str(node)

    for path, value in values(_compose()):
        key = path.rsplit(".", 1)[-1].upper()
        if any(word in key for word in SECRET_WORDS) or re.search(r"://[^/@\s]+:[^/@\s]+@", value):
            secret = re.sub(r"\$\{[^}]+\}|\$\$\w+", "", value.split("://", 1)[-1].split("@", 1)[0] if "@" in value
                            else value.split("/", 1)[-1] if key == "NEO4J_AUTH" else value)
            assert not secret.strip(": "), f"{path} holds a literal secret: {value!r}"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


# -- the image -----------------------------------------------------------------------------------
def _ignored(relative: str, patterns: list[str]) -> bool:
    """.dockerignore matching for the patterns this project uses (a match excludes the folder's contents too)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        anywhere = pattern.startswith("**/")
        bare = pattern[3:] if anywhere else pattern
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, bare) or (anywhere and fnmatch.fnmatchcase(prefix.rsplit("/", 1)[-1], bare)):
                return True
    return False


@pytest.fixture(scope="module")
def image_wheel(tmp_path_factory) -> Path:
    """What the Dockerfile installs: the build context (git's files minus .dockerignore), built by pip."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY \. /src$", dockerfile, re.M) and "pip install /src" in dockerfile, \
        "the Dockerfile must install the whole build context as a package"
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split("\0")
    context = tmp_path_factory.mktemp("context")
    for relative in tracked:
        if (ROOT / relative).is_file() and not _ignored(relative, patterns):
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, context / relative)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(context)], check=True, capture_output=True)
    return next(out.glob("zhiku-*.whl"))


def test_the_image_holds_every_package_of_the_project(image_wheel):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    with zipfile.ZipFile(image_wheel) as wheel:
        installed = {name for name in wheel.namelist() if name.startswith("zhiku/")}
    missing = []
    for package in config["packages"]:
        folder = ROOT.joinpath(*package.split(".")[1:])
        patterns = ["*.py"] + [p for pkg, globs in config.get("package-data", {}).items()
                               for p in (globs if pkg == package else [])]
        for pattern in patterns:
            for path in folder.glob(pattern):
                if path.is_file():
                    name = "zhiku/" + path.relative_to(ROOT).as_posix()
                    if name not in installed:
                        missing.append(name)
    assert not missing, f"not in the image: {missing[:20]}"
    for needed in ("zhiku/answer/answer_service.py", "zhiku/scenarios/research.py", "zhiku/ui/static/index.html",
                   "zhiku/integrations/llamaindex_retriever.py", "zhiku/api/worker.py"):
        assert needed in installed
    assert any(name.startswith("zhiku/demo/bank_kb/") for name in installed)


def test_the_image_starts_and_serves_the_ui(image_wheel, tmp_path):
    """The installed package alone (no source tree on the path) starts the app and serves the UI and the demo."""
    site = tmp_path / "site"
    with zipfile.ZipFile(image_wheel) as wheel:
        wheel.extractall(site)
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(site)!r}]
        sys.path.append({sysconfig.get_paths()['purelib']!r})  # the dependencies, not the editable checkout
        sys.path.append({sysconfig.get_paths()['platlib']!r})
        import zhiku.api.app, zhiku.api.demo_loader
        assert zhiku.api.app.__file__.startswith({str(site)!r}), zhiku.api.app.__file__
        assert sorted(zhiku.api.demo_loader.DEMO_DIR.iterdir()), "the demo is missing"
        from fastapi.testclient import TestClient
        from zhiku.core.settings import Settings
        settings = Settings(_env_file=None, data_dir={str(tmp_path / 'data')!r}, graph_enabled=False)
        with TestClient(zhiku.api.app.create_app(settings)) as client:
            page = client.get("/")
            assert page.status_code == 200 and "<html" in page.text.lower(), page.status_code
            assert client.get("/healthz").json() == {{"status": "ok"}}
            assert client.get("/readyz").status_code == 200
        print("served")
    """)
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path)
    assert result.returncode == 0 and "served" in result.stdout, result.stderr[-3000:]
