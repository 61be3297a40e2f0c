"""The output lock, ``OUTPUT/_lock.json``: one writer (a run, a watch cycle or a compaction) at a time.

Two runs into one output would both write every article, and one would
delete the other's staged files; so every command that writes takes this lock
first, and a second one is refused (or waits, ``--wait-for-lock``). The lock
file says who holds it: run id, command, host, pid, start time and a
heartbeat that a background thread refreshes every ``HEARTBEAT_SECONDS``.

It is created atomically, so that of two runs starting at the same moment
exactly one gets it:

- local disks (and NFS): ``open(O_CREAT | O_EXCL)``;
- ``s3://``: ``PutObject`` with ``If-None-Match: *`` through boto3 (set up from
  the same ``--s3_*`` pipeline options as Beam's own S3 client); heartbeats,
  take-overs and the release are conditional on the ETag (``If-Match``);
- ``gs://``: an upload with ``ifGenerationMatch=0`` through google-cloud-storage
  (Beam's GCS client), later steps conditional on the generation. Not covered by
  the test suite, which has no GCS server;
- any other filesystem, or s3/gs without their client library: check-then-create
  through Beam's FileSystems, which has no conditional create. Two runs starting
  within the same second can then both believe they hold the lock; a warning
  says so. Schedule such outputs with one-at-a-time scheduling (flock, ``Forbid``).

A lock is stale, and taken over with a warning, when its process is gone (same
host) or its heartbeat is older than ``STALE_AFTER_SECONDS`` (other hosts: their
clocks must agree to well within that). A holder that finds its lock taken over
(its heartbeat no longer matches) learns it at the next heartbeat; ``check()``
then fails, and the run does not commit.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Optional

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.names import LOCK

HEARTBEAT_SECONDS = 10.0
STALE_AFTER_SECONDS = 120.0  # quoted as "2 minutes" in the cli epilog
POLL_SECONDS = 0.5

_LOG = logging.getLogger("newsbeam.lock")


class LockHeld(RuntimeError):
    """Another run holds the output lock (and waiting, if asked for, did not get it)."""

    def __init__(self, path: str, holder: Optional[dict], waited: float):
        self.path, self.holder, self.waited = path, holder, waited
        who = describe(holder) if holder else "an unreadable lock file (being written, or damaged)"
        waited_text = f" after waiting {waited:.0f} s" if waited else ""
        super().__init__(
            f"output is locked{waited_text}: {path} is held by {who}. Only one run, watch cycle or compaction "
            f"writes to an output at a time; wait for it with --wait-for-lock SECONDS. A lock whose process is "
            f"gone (same host) or whose heartbeat is older than {STALE_AFTER_SECONDS:.0f} s is taken over "
            f"automatically.")


class LockLost(RuntimeError):
    """This process's lock was taken over by another (its heartbeat had stopped for too long)."""


def lock_path(output: str) -> str:
    return FileSystems.join(output, LOCK)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _seconds_since(stamp: Optional[str], now: dt.datetime) -> float:
    try:
        return (now - dt.datetime.fromisoformat(stamp)).total_seconds()
    except (TypeError, ValueError):
        return float("inf")


def describe(holder: dict) -> str:
    """'run R (run, pid P on H) since T, last heartbeat N s ago', for messages."""
    age = _seconds_since(holder.get("heartbeat_at"), _utc_now())
    beat = f"{age:.0f} s ago" if age != float("inf") else "unknown"
    return (f"{holder.get('command', 'run')} {holder.get('run_id')} (pid {holder.get('pid')} on "
            f"{holder.get('host')}) since {holder.get('started_at')}, last heartbeat {beat}")


def _process_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return True  # someone else's process, or a pid we cannot judge: assume alive
    return True


@dataclass
class Found:
    """A lock file as read: its record (None when unreadable), version, and last change."""
    record: Optional[dict]
    version: object
    modified: Optional[dt.datetime] = None


def stale_reason(found: Found, limit: float, now: Optional[dt.datetime] = None) -> Optional[str]:
    """Why a lock may be taken over, or None while its holder may still be working."""
    now = now or _utc_now()
    record = found.record
    if record is None:  # a lock whose writer died between creating and filling it
        age = (now - found.modified).total_seconds() if found.modified else float("inf")
        return f"it is unreadable and {age:.0f} s old" if age > limit else None
    if record.get("host") == socket.gethostname() and not _process_alive(record.get("pid")):
        return f"its process {record.get('pid')} on this host is gone"
    age = _seconds_since(record.get("heartbeat_at"), now)
    if age > limit:
        return f"its last heartbeat is {age:.0f} s old (limit {limit:.0f} s)"
    return None


class _LocalStore:
    """A lock file on a local (or NFS) disk, created with O_EXCL; versions are the records' tokens."""

    atomic = True

    def __init__(self, path: str):
        self._path = path

    def create(self, data: bytes, token: str):
        try:
            fd = os.open(self._path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return None
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return token

    def _read(self, path: str) -> Optional[Found]:
        try:
            with open(path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                text = handle.read()
        except FileNotFoundError:
            return None
        modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
        try:
            record = json.loads(text)
            return Found(record, record["token"], modified)
        except (ValueError, KeyError, TypeError):
            return Found(None, f"unreadable:{stat.st_ino}:{stat.st_mtime_ns}", modified)

    def read(self) -> Optional[Found]:
        return self._read(self._path)

    def replace(self, data: bytes, token: str, expected) -> object:
        """Refresh our own lock; None when it is no longer ours."""
        found = self.read()
        if found is None or found.version != expected:
            return None
        temporary = f"{self._path}.{token}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, self._path)
        return token

    def take_over(self, data: bytes, token: str, expected) -> object:
        """Move the stale lock aside (atomic), check it is the one judged stale, then create ours."""
        aside = f"{self._path}.stale-{token}"
        try:
            os.rename(self._path, aside)
        except FileNotFoundError:
            return self.create(data, token)
        moved = self._read(aside)
        if moved is not None and moved.version != expected:  # a fresh lock appeared meanwhile: put it back
            try:
                os.link(aside, self._path)
            except FileExistsError:
                pass
            os.remove(aside)
            return None
        os.remove(aside)
        return self.create(data, token)

    def delete(self, expected) -> None:
        found = self.read()
        if found is not None and found.version == expected:
            os.remove(self._path)


def _split_bucket(path: str) -> tuple[str, str]:
    bucket, _, key = path.split("://", 1)[1].partition("/")
    return bucket, key


class _S3Store:
    """A lock object on S3: conditional writes (If-None-Match / If-Match on the ETag) through boto3."""

    atomic = True

    def __init__(self, path: str, options):
        from apache_beam.io.aws.clients.s3.boto3_client import Client
        from apache_beam.options.pipeline_options import PipelineOptions
        from botocore.exceptions import ClientError

        self._client = Client(options or PipelineOptions([])).client
        self._bucket, self._key = _split_bucket(path)
        self._error = ClientError

    @staticmethod
    def _refused(exc) -> bool:
        """A failed condition: the object exists (create), changed or vanished (If-Match)."""
        return (exc.response.get("Error", {}).get("Code") in
                ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404", "412", "409"))

    def _put(self, data: bytes, **condition):
        try:
            return self._client.put_object(Bucket=self._bucket, Key=self._key, Body=data,
                                           ContentType="application/json", **condition)["ETag"]
        except self._error as exc:
            if self._refused(exc):
                return None
            raise

    def create(self, data: bytes, token: str):
        return self._put(data, IfNoneMatch="*")

    def read(self) -> Optional[Found]:
        try:
            answer = self._client.get_object(Bucket=self._bucket, Key=self._key)
        except self._error as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        try:
            record = json.loads(answer["Body"].read())
        except ValueError:
            record = None
        return Found(record, answer["ETag"], answer.get("LastModified"))

    def replace(self, data: bytes, token: str, expected):
        return self._put(data, IfMatch=expected)

    take_over = replace

    def delete(self, expected) -> None:
        try:
            self._client.delete_object(Bucket=self._bucket, Key=self._key, IfMatch=expected)
        except self._error as exc:
            if self._refused(exc):
                return
            found = self.read()  # a server without conditional deletes: check, then delete
            if found is not None and found.version == expected:
                self._client.delete_object(Bucket=self._bucket, Key=self._key)


class _GcsStore:
    """A lock object on GCS: generation preconditions through google-cloud-storage (Beam's client)."""

    atomic = True

    def __init__(self, path: str, options):
        from apache_beam.io.gcp.gcsio import create_storage_client
        from apache_beam.options.pipeline_options import PipelineOptions
        from google.api_core import exceptions

        bucket, key = _split_bucket(path)
        self._blob = create_storage_client(options or PipelineOptions([])).bucket(bucket).blob(key)
        self._refusals = (exceptions.PreconditionFailed, exceptions.NotFound)

    def _upload(self, data: bytes, generation: int):
        try:
            self._blob.upload_from_string(data, content_type="application/json", if_generation_match=generation)
        except self._refusals:
            return None
        return self._blob.generation

    def create(self, data: bytes, token: str):
        return self._upload(data, 0)

    def read(self) -> Optional[Found]:
        blob = self._blob.bucket.get_blob(self._blob.name)
        if blob is None:
            return None
        try:
            record = json.loads(blob.download_as_bytes(if_generation_match=blob.generation))
        except self._refusals:
            return self.read()  # replaced between the two calls
        except ValueError:
            record = None
        return Found(record, blob.generation, blob.updated)

    def replace(self, data: bytes, token: str, expected):
        return self._upload(data, expected)

    take_over = replace

    def delete(self, expected) -> None:
        try:
            self._blob.delete(if_generation_match=expected)
        except self._refusals:
            pass


class _FileSystemsStore:
    """Any other Beam filesystem: check, then create. Not atomic (see the module docstring)."""

    atomic = False

    def __init__(self, path: str):
        self._path = path

    def _write(self, data: bytes) -> None:
        with FileSystems.create(self._path) as handle:
            handle.write(data)

    def create(self, data: bytes, token: str):
        if FileSystems.exists(self._path):
            return None
        self._write(data)
        found = self.read()  # last writer wins: whoever reads back their own token holds it
        return token if found is not None and found.version == token else None

    def read(self) -> Optional[Found]:
        if not FileSystems.exists(self._path):
            return None
        with FileSystems.open(self._path) as handle:
            text = handle.read()
        try:
            record = json.loads(text)
            return Found(record, record["token"])
        except (ValueError, KeyError, TypeError):
            modified = dt.datetime.fromtimestamp(FileSystems.last_updated(self._path), dt.timezone.utc)
            return Found(None, "unreadable", modified)

    def replace(self, data: bytes, token: str, expected):
        found = self.read()
        if found is None or found.version != expected:
            return None
        self._write(data)
        return token

    take_over = replace

    def delete(self, expected) -> None:
        found = self.read()
        if found is not None and found.version == expected:
            FileSystems.delete([self._path])


def _store(path: str, options):
    scheme = path.split("://", 1)[0] if "://" in path else ""
    try:
        if scheme == "":
            return _LocalStore(path)
        if scheme == "s3":
            return _S3Store(path, options)
        if scheme == "gs":
            return _GcsStore(path, options)
    except ImportError as exc:
        _LOG.warning("no client library for a conditional create on %s (%s)", path, exc)
    return _FileSystemsStore(path)


class OutputLock:
    """``with OutputLock(output, run_id, "run"):`` the output is ours until the block ends, however it ends.

    ``wait_seconds`` > 0 waits that long for a held lock before giving up with
    LockHeld; a stale lock is taken over at once.
    """

    def __init__(self, output: str, run_id: str, command: str = "run", options=None, wait_seconds: float = 0.0,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS, stale_after: float = STALE_AFTER_SECONDS):
        self.path = lock_path(output)
        self._run_id, self._command = run_id, command
        self._options = options
        self._wait = wait_seconds
        self._heartbeat = heartbeat_seconds
        self._stale_after = stale_after
        self._token = secrets.token_hex(8)
        self._started = _utc_now().isoformat()
        self._version = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lost: Optional[str] = None
        self._store = None

    def _record(self) -> bytes:
        return json.dumps({"run_id": self._run_id, "command": self._command, "host": socket.gethostname(),
                           "pid": os.getpid(), "started_at": self._started,
                           "heartbeat_at": _utc_now().isoformat(), "token": self._token}, indent=1).encode()

    def acquire(self) -> None:
        self._store = _store(self.path, self._options)
        if not self._store.atomic:
            _LOG.warning("the lock %s is best effort: this filesystem has no conditional create", self.path)
        started = time.monotonic()
        announced = False
        while True:
            self._version = self._store.create(self._record(), self._token)
            if self._version is not None:
                break
            found = self._store.read()
            if found is None:
                continue  # released between our two calls
            reason = stale_reason(found, self._stale_after)
            if reason:
                self._version = self._store.take_over(self._record(), self._token, found.version)
                if self._version is not None:
                    _LOG.warning("took over the stale output lock %s (%s): %s", self.path, reason,
                                 describe(found.record) if found.record else "no holder recorded")
                    break
                continue
            waited = time.monotonic() - started
            if waited >= self._wait:
                raise LockHeld(self.path, found.record, waited if self._wait else 0.0)
            if not announced:
                _LOG.info("waiting up to %.0f s for the output lock %s, held by %s", self._wait, self.path,
                          describe(found.record) if found.record else "an unreadable lock file")
                announced = True
            time.sleep(min(POLL_SECONDS, self._wait - waited))
        self._thread = threading.Thread(target=self._beat, name="newsbeam-lock-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat):
            try:
                version = self._store.replace(self._record(), self._token, self._version)
            except Exception as exc:  # noqa: BLE001 - a network blip: the next beat tries again
                _LOG.warning("could not refresh the output lock %s: %s", self.path, exc)
                continue
            if version is None:
                found = self._store.read()
                self._lost = describe(found.record) if found and found.record else "nobody (it was removed)"
                _LOG.error("lost the output lock %s: it is now held by %s", self.path, self._lost)
                return
            self._version = version

    def check(self) -> None:
        """Raise LockLost when another process has taken the lock over; call before committing."""
        if self._lost is not None:
            raise LockLost(f"the output lock {self.path} was taken over by {self._lost} (this run's heartbeat "
                           f"had stopped for over {self._stale_after:.0f} s); not committing")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._version is not None and self._lost is None:
            try:
                self._store.delete(self._version)
            except Exception as exc:  # noqa: BLE001 - the lock goes stale and is taken over later
                _LOG.warning("could not release the output lock %s: %s", self.path, exc)
        self._version = None

    def __enter__(self) -> "OutputLock":
        try:
            self.acquire()
        except BaseException:  # a Ctrl-C or SIGTERM part-way: a lock already written is not left behind
            self._abandon()
            raise
        return self

    def _abandon(self) -> None:
        if self._version is None and self._store is not None:
            try:  # written, but the interrupt came before its version was known: ours by its token
                found = self._store.read()
                if found is not None and (found.record or {}).get("token") == self._token:
                    self._version = found.version
            except Exception:  # noqa: BLE001 - the lock goes stale and is taken over later
                pass
        self.release()

    def __exit__(self, *exc) -> None:
        self.release()
