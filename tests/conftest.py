"""Shared test fixtures: paths to the golden vectors in ``../shared/spec/vectors``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT.parent / "shared" / "spec"
VECTORS = SPEC_DIR / "vectors"


def load_vectors(name: str) -> Any:
    """Load ``shared/spec/vectors/<name>``; skip the test module when ``shared/`` is absent."""
    path = VECTORS / name
    if not path.exists():
        pytest.skip(f"golden vectors not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _isolate_library_logging() -> Any:
    """Restore the ``mexc_futures`` logger after each test.

    CLI commands run in-process (click's ``CliRunner``) configure the library logger for a
    terminal (own handler, level, ``propagate=False``); without this, that state would leak into
    later tests and hide their log records from ``caplog`` (e.g. the canary-secret tests).
    """
    import logging

    lib = logging.getLogger("mexc_futures")
    saved = (list(lib.handlers), lib.level, lib.propagate, lib.disabled)
    yield
    handlers, level, propagate, disabled = saved
    lib.handlers[:] = handlers
    lib.propagate, lib.disabled = propagate, disabled
    lib.setLevel(level)  # setLevel, not .level=: it also clears the isEnabledFor cache
