# newsbeam batch image: pinned dependencies, non-root, `newsbeam` as the entrypoint.
#   docker build -t newsbeam .
#   docker run --rm -v "$PWD/samples:/in:ro" -v "$PWD/out:/data" newsbeam run --input '/in/**' --output /data
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY transforms ./transforms
COPY configs ./configs
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 newsbeam \
    && mkdir -p /data \
    && chown newsbeam /data

USER 10001
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["newsbeam"]
CMD ["--help"]
