"""The sans-I/O core (``protocol/``, ``model/``) imports no I/O, clock or randomness library
(docs/seams.md; architecture.md principle 5)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "mexc_futures"
CORE_DIRS = [SRC / "protocol", SRC / "model"]
FORBIDDEN = {
    "asyncio",
    "socket",
    "time",
    "random",
    "aiohttp",
    "picows",
    "ssl",
    "http",
    "urllib.request",
    "selectors",
    "threading",
    "subprocess",
}


def _forbidden(module: str) -> str | None:
    for name in FORBIDDEN:
        if module == name or module.startswith(name + "."):
            return name
    return None


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # ``from urllib import request`` / ``from http import client``
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
            in {"__import__", "import_module"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


CORE_FILES = sorted(p for d in CORE_DIRS for p in d.rglob("*.py"))


def test_core_files_exist() -> None:
    names = {p.relative_to(SRC).as_posix() for p in CORE_FILES}
    assert "protocol/signing.py" in names
    assert "model/instrument.py" in names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_core_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [
        f"{path.name}:{line} imports {module}"
        for line, module in _imports(tree)
        if _forbidden(module)
    ]
    assert not bad, bad


def test_checker_detects_forbidden_imports() -> None:
    sample = ast.parse(
        "import time\nfrom urllib import request\nfrom asyncio import sleep\n"
        "import importlib\nimportlib.import_module('socket')\nimport urllib.parse\n"
    )
    flagged = sorted({_forbidden(m) for _, m in _imports(sample) if _forbidden(m)})
    assert flagged == ["asyncio", "socket", "time", "urllib.request"]
