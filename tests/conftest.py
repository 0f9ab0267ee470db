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
