"""Log lines for people and for schedulers: every line carries the run id, credentials masked."""
from __future__ import annotations

import json
import logging
import sys

from newsbeam.transforms.redact import redact_text


class _RunIdFilter(logging.Filter):
    def __init__(self, run_id: str):
        super().__init__()
        self._run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = self._run_id
        return True


class _TextFormatter(logging.Formatter):
    """A line for people, with credentials masked (a message may quote a feed URL or a Beam option)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "run_id": getattr(record, "run_id", None),
                 "message": redact_text(record.getMessage())}
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def logs_as_json() -> bool:
    """Whether log lines are JSON objects now: then a command's own messages on stderr must be too."""
    return any(isinstance(h.formatter, _JsonFormatter) for h in logging.getLogger().handlers)


def tell(message: str, level: int = logging.ERROR) -> None:
    """A command's own line on stderr (an error, an acknowledged Ctrl-C), in the format of the log
    lines around it."""
    if logs_as_json():
        logging.getLogger("newsbeam").log(level, message)
    else:
        print(message, file=sys.stderr)


def configure_logging(level: str, log_format: str = "text", run_id: str = "-") -> None:
    """Every line carries the run id; json gives one object per line for schedulers."""
    handler = logging.StreamHandler()
    handler.addFilter(_RunIdFilter(run_id))
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter(
        "%(asctime)s %(levelname)s run=%(run_id)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level), force=True, handlers=[handler])
    # Beam is chatty at INFO; its warnings still show.
    logging.getLogger("apache_beam").setLevel(max(logging.WARNING, getattr(logging, level)))
