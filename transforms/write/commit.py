"""The staged commit: a run's files appear in their partitions all or nothing.

Every file is first written under ``OUTPUT/_staging/<run_id>/`` (readers skip
folders starting with ``_``). After the pipeline has finished, the driver
commits them: it checks that no final name is taken (a committed file is
never overwritten), writes a commit journal (every staged-to-final rename and
the run's bookkeeping) atomically into the staging folder, and only then
renames the files into their partitions, one by one.

The journal is the commit point. A run cut short before it leaves only a
staging folder without a journal, which the next run deletes. A run cut short
after it (killed, disk full) leaves the journal, which the next run completes
before doing anything else: the renames still missing, the manifest, the
feed state. So the next run sees every run's files all or nothing.

The commit runs on the driver, after the pipeline, rather than in a step
inside it: only then are the counts the manifest needs final, a retried
bundle cannot repeat renames, and it does not depend on a gather-everything
step that a streaming pipeline's global window would never fire.
"""
from __future__ import annotations

import json
import os

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.names import STAGING
from newsbeam.transforms.write.storage import delete_tree, ensure_dir, staging_dir

JOURNAL = "journal.json"


class CommitError(IOError):
    """The commit could not finish; the message names the file and the reason."""


def journal_path(output: str, run_id: str) -> str:
    return FileSystems.join(staging_dir(output, run_id), JOURNAL)


def failure_reason(exc: BaseException) -> str:
    """The root cause of a filesystem error in words ("no space left on device", ...)."""
    causes = [exc, *getattr(exc, "exception_details", {}).values()]  # BeamIOError wraps one error per file
    for cause in causes:
        while cause is not None:
            errno = getattr(cause, "errno", None)
            if errno:
                return os.strerror(errno).lower()
            cause = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
    return f"{type(exc).__name__}: {exc}"


def _staged_sizes(output: str, run_id: str) -> dict[str, int]:
    """Size of every file in a run's staging folder, from one listing (each call costs a request on S3)."""
    found = FileSystems.match([FileSystems.join(staging_dir(output, run_id), "**")])[0].metadata_list
    return {meta.path: meta.size_in_bytes for meta in found}


def check_commit(output: str, run_id: str, renames: list[dict]) -> None:
    """Before the journal: every staged file is there, and no final name is taken (never overwrite)."""
    staged = _staged_sizes(output, run_id)
    for record in renames:
        if record["staged"] not in staged:
            raise CommitError(f"staged file {record['staged']} is missing; nothing was committed")
        if FileSystems.exists(record["path"]):
            raise CommitError(f"refusing to overwrite {record['path']}, which an earlier run committed; "
                              "nothing was committed")


def write_journal(output: str, run_id: str, journal: dict) -> str:
    """The commit point: the journal appears whole (temporary name, then a rename) or not at all."""
    final = journal_path(output, run_id)
    temporary = FileSystems.join(staging_dir(output, run_id), f".{JOURNAL}.tmp")
    try:
        with FileSystems.create(temporary) as handle:
            handle.write(json.dumps(journal, indent=1, default=str).encode("utf-8"))
        FileSystems.rename([temporary], [final])
    except Exception as exc:  # noqa: BLE001 - disk full, permissions, network: say which and where
        raise CommitError(f"{failure_reason(exc)} while writing the commit journal {final}; nothing was committed") \
            from exc
    return final


def read_journal(path: str) -> dict:
    """A journal is written whole or not at all; an unreadable one is damage that a person must judge."""
    try:
        with FileSystems.open(path) as handle:
            return json.loads(handle.read())
    except ValueError as exc:
        raise CommitError(f"the commit journal {path} is unreadable ({exc}); its run's files not yet committed "
                          f"are beside it: inspect them, then delete that folder to let runs go on") from None


def apply_renames(output: str, run_id: str, renames: list[dict]) -> None:
    """Move every staged file to its final name; done ones are skipped, so this can be repeated.

    An existing final name is never overwritten. Where both names exist and the
    sizes agree, an object-store rename (copy, then delete) was cut short after
    its copy, and only the staged copy is deleted.
    """
    waiting = _staged_sizes(output, run_id)
    for number, record in enumerate(renames):  # in the journal's order
        staged, final = record["staged"], record["path"]
        try:
            if staged not in waiting:
                continue  # renamed by an earlier attempt
            if FileSystems.exists(final):
                if FileSystems.match([final])[0].metadata_list[0].size_in_bytes != waiting[staged]:
                    raise CommitError(f"refusing to overwrite {final} with {staged}: a different file has "
                                      "that name")
                FileSystems.delete([staged])
                continue
            ensure_dir(FileSystems.split(final)[0])
            FileSystems.rename([staged], [final])
        except CommitError:
            raise
        except Exception as exc:  # noqa: BLE001 - disk full, permissions, network: say which and where
            raise CommitError(f"{failure_reason(exc)} while committing {final} (file {number + 1} of {len(renames)}); "
                              "the next run into this output completes the commit") from exc


def finish_commit(output: str, run_id: str) -> None:
    """The commit is complete: the journal goes first, then the rest of the staging folder."""
    FileSystems.delete([journal_path(output, run_id)])
    remove_staging(output, run_id)


def _staging_runs(output: str) -> list[str]:
    """The run ids that have a folder under ``_staging/``."""
    root = FileSystems.join(output, STAGING)
    prefix = root.rstrip("/") + "/"
    found = {meta.path[len(prefix):].split("/", 1)[0]
             for meta in FileSystems.match([FileSystems.join(root, "**")])[0].metadata_list}
    if os.path.isdir(root):
        found |= set(os.listdir(root))  # a local folder can be left with no file in it
    return sorted(found)


def unfinished_journals(output: str) -> list[dict]:
    """The journals of commits that were cut short, oldest first."""
    journals = [read_journal(journal_path(output, run_id)) for run_id in _staging_runs(output)
                if FileSystems.exists(journal_path(output, run_id))]
    return sorted(journals, key=lambda j: (j["created_at"], j["run_id"]))


def remove_interrupted_staging(output: str) -> list[str]:
    """Delete what runs that died before their commit left under ``_staging/``; returns their run ids.

    Runs into one output never overlap (the output lock), and unfinished
    commits are completed first, so a staging folder without a journal belongs
    to a run that died before its commit point. One with a journal is left alone.
    """
    removed = [run_id for run_id in _staging_runs(output) if not FileSystems.exists(journal_path(output, run_id))]
    for run_id in removed:
        delete_tree(staging_dir(output, run_id))
    root = FileSystems.join(output, STAGING)
    if os.path.isdir(root) and not os.listdir(root):
        os.rmdir(root)
    return removed


def remove_staging(output: str, run_id: str) -> None:
    """Delete this run's staging folder, and the staging root once no run uses it."""
    delete_tree(staging_dir(output, run_id))
    root = FileSystems.join(output, STAGING)
    if os.path.isdir(root) and not os.listdir(root):
        os.rmdir(root)  # local only: object stores have no empty folders to leave behind
