"""Logs a person can use: ``--log-file PATH`` and ``--log-format text|json`` (issue #16).

Two destinations for the ``mexc_futures`` loggers:

* stderr — errors only by default (``-v`` info, ``-vv`` debug), so retries do not drown the
  answer of a command;
* ``--log-file PATH`` — appended, from INFO up (DEBUG with ``-vv``): the library's logs and the
  activity log of a strategy run (``mexc_futures.activity``: every order decision with its reason
  and outcome, fills, position changes, strategy errors with their traceback, health changes).

``--log-format json`` writes one JSON object per line to both: ``time`` (ISO 8601 UTC with
milliseconds), ``level``, ``logger``, ``message``, then the activity fields (``event``,
``symbol``, ``order_id``, ``reason``, ...) when there are any, and ``traceback`` for an
exception. Secrets never reach a log: keys are masked where they are formatted
(``config.Credentials``).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        secs = time.gmtime(record.created)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", secs) + f".{int(record.msecs):03d}Z"
        out: dict[str, object] = {
            "time": stamp,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update({k: v for k, v in fields.items() if k not in out})
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def _formatter(fmt: str, *, stamped: bool) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    formatter = logging.Formatter(TEXT if stamped else "%(levelname)s %(name)s: %(message)s")
    formatter.converter = time.gmtime
    return formatter


def setup_logs(verbose: int, log_file: Path | None = None, fmt: str = "text") -> None:
    """Route the ``mexc_futures`` loggers to stderr (and ``log_file``); see module docstring."""
    level = (logging.ERROR, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    lib = logging.getLogger("mexc_futures")
    stderr = logging.StreamHandler()
    stderr.setLevel(level)
    stderr.setFormatter(_formatter(fmt, stamped=False))
    handlers: list[logging.Handler] = [stderr]
    floor = level
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(log_file, encoding="utf-8")
        file_level = logging.DEBUG if verbose >= 2 else logging.INFO
        file.setLevel(file_level)
        file.setFormatter(_formatter(fmt, stamped=True))
        handlers.append(file)
        floor = min(floor, file_level)
    lib.handlers[:] = handlers
    lib.setLevel(floor)
    lib.propagate = False


__all__ = ["FORMATS", "JsonFormatter", "setup_logs"]
