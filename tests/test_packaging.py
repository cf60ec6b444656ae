"""The installed layout: every stage folder installs as zhiku.<stage>, and nothing else lands in site-packages."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _configured_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"zhiku": "."}
    return set(config["packages"])


def _stage_folders() -> set[str]:
    """Every folder below a top-level folder that is a Python package (has __init__.py), caches excluded."""
    found = set()
    for init in ROOT.glob("*/__init__.py"):
        stage = init.parent
        if stage.name == "tests":
            continue
        for folder in [stage, *(p for p in stage.rglob("*") if p.is_dir())]:
            if "__pycache__" in folder.parts:
                continue
            found.add("zhiku." + ".".join(folder.relative_to(ROOT).parts))
    return found


def test_every_stage_folder_is_installed_under_zhiku():
    configured = _configured_packages()
    missing = _stage_folders() - configured
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert all(name.startswith("zhiku.") for name in configured)


def test_the_stages_import_as_zhiku_modules():
    import zhiku.api.app
    import zhiku.core.settings

    assert Path(zhiku.core.settings.__file__).parent == ROOT / "core"
    assert Path(zhiku.api.app.__file__).parent == ROOT / "api"
