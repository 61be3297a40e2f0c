# newsbeam batch image: pinned dependencies, non-root (uid 10001), tini as PID 1.
#   docker build -t newsbeam:0.1.0 .
#   mkdir -p out
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/samples:/in:ro" -v "$PWD/out:/data" \
#       newsbeam:0.1.0 run --input '/in/**' --output /data
# --user runs newsbeam as the owner of the bind-mounted folder; without it, the folder must be
# writable by uid 10001, and the entrypoint says so in one line when it is not.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tini is PID 1: it forwards `docker stop`'s SIGTERM to newsbeam, which then stops at once (a run
# unwinds and releases the output lock; nothing half-done is committed), and it reaps children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-* \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY transforms ./transforms
COPY configs ./configs
RUN pip install --no-cache-dir --no-deps . \
    && groupadd --gid 10001 newsbeam \
    && useradd --create-home --uid 10001 --gid 10001 newsbeam \
    && mkdir -p /data \
    && chown newsbeam:newsbeam /data

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["/usr/bin/tini", "--", "python", "-m", "newsbeam.pipeline.entrypoint"]
CMD ["--help"]
