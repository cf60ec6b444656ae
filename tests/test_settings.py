from pathlib import Path

from zhiku.core.settings import Settings
from zhiku.core.settings_docs import render


def test_every_setting_is_documented():
    docs = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert docs == render(), "regenerate: python -m zhiku.core.settings_docs > docs/configuration.md"
    for name in Settings.model_fields:
        assert f"`ZHIKU_{name.upper()}`" in docs


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("ZHIKU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ZHIKU_CHUNK_SIZE", "300")
    settings = Settings(_env_file=None)
    assert settings.chunk_size == 300
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'zhiku.sqlite3'}"
