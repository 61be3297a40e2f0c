"""A real S3-compatible server (moto's standalone server) on loopback, for tests of s3:// outputs."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest


def wait_for(condition, seconds: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def s3_server(setenv, bucket: str = "news"):
    """(endpoint URL, boto3 client) of a fresh moto server holding an empty ``bucket``; skips the
    test when moto or boto3 is not installed. ``setenv(name, value)`` (a test's
    ``monkeypatch.setenv``) points the AWS environment at it."""
    boto3 = pytest.importorskip("boto3")
    server_bin = Path(sys.executable).with_name("moto_server")
    if not server_bin.exists():
        pytest.skip("moto_server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(server_bin), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: listening(port), 30, "moto_server")
        for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                            "AWS_DEFAULT_REGION": "us-east-1"}.items():
            setenv(name, value)
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=bucket)
        yield endpoint, client
    finally:
        server.terminate()
        server.wait()
