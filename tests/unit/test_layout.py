"""The package layout is the architecture (issue #11): no import cycles, no import up the floors.

Walks every module under ``src/mexc_futures`` with ``ast`` (nothing is imported) and collects
every import of a project module: at module level, inside functions (lazy imports) and under
``if TYPE_CHECKING:`` — a cycle hidden behind a lazy or a type-only import is still a cycle in
the design. Then it checks:

* no cycle between modules (any strongly connected component of more than one module, or a
  module importing itself);
* the floors, each importing only downwards:
  ``cli -> strategy -> marketdata | execution -> transport -> protocol -> model``;
  ``marketdata`` and ``execution`` are siblings and never import each other;
  ``errors``, ``config``, ``clock`` and ``_speedups`` are usable by all and import only
  ``protocol``/``model``;
  ``strategy`` never imports ``protocol`` (strategies know no wire format);
* the emulator imports only ``protocol``, ``model``, ``errors``, ``config``, ``clock`` and
  itself, and only ``cli`` and ``testing`` import the emulator; inside it, ``venue/`` and
  ``market/`` never import ``server/``;
* nothing imports a deprecated alias module (the old flat paths kept for one release);
* no module is over ``MAX_LINES`` (500) lines unless its docstring declares it a table with a
  line ``Layout: table module — <why>`` (a long module is a sign of two jobs in one room).

``mexc_futures/__init__.py`` (the lazy public surface) re-exports from every part and is exempt.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "mexc_futures"

FLOOR = {
    "model": 0,
    "protocol": 1,
    "transport": 2,
    "marketdata": 3,
    "execution": 3,
    "strategy": 4,
    "recording": 4,  # record/replay (#17): the market-data stack with a tap, recorded frames back
    "backtest": 5,  # #17: strategy sessions against an emulator playing a recording
    "cli": 6,
    "testing": 5,
    "bus": 5,  # #18: the opt-in Redis bus, above the engine it plugs into, below cli
}
PART_ALIAS = {"strategies": "strategy"}  # the built-in strategies sit beside the engine
BASE = {"errors", "config", "clock", "_speedups"}  # _speedups: which depth path (#19)
BASE_MAY_IMPORT = {"model", "protocol"} | BASE
EMULATOR_MAY_IMPORT = {"emulator", "protocol", "model"} | BASE
EMULATOR_IMPORTERS = {"emulator", "cli", "testing", "backtest"}
SHIM_MARK = "Deprecated alias"


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    line: int
    kind: str  # "", "lazy" or "type-only"

    def __str__(self) -> str:
        kind = f" ({self.kind})" if self.kind else ""
        return f"{self.src}:{self.line} -> {self.dst}{kind}"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool
    shim: bool


def discover(src: Path) -> dict[str, Module]:
    mods: dict[str, Module] = {}
    for path in sorted((src / ROOT).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        name = ".".join(parts)
        mods[name] = Module(name, path, is_package, doc.startswith(SHIM_MARK))
    return mods


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _imports(mod: Module, known: dict[str, Module]) -> Iterator[Edge]:
    tree = ast.parse(mod.path.read_text(encoding="utf-8"))

    def resolve(base: str, name: str) -> str:
        candidate = f"{base}.{name}" if base else name
        return candidate if candidate in known else base

    def visit(node: ast.AST, kind: str) -> Iterator[Edge]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from visit_one(stmt, "type-only")
                for stmt in child.orelse:
                    yield from visit_one(stmt, kind)
            else:
                yield from visit_one(child, kind)

    def visit_one(node: ast.AST, kind: str) -> Iterator[Edge]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == ROOT:
                    yield Edge(mod.name, alias.name, node.lineno, kind)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != ROOT:
                return
            for alias in node.names:
                yield Edge(mod.name, resolve(base, alias.name), node.lineno, kind)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from visit(node, kind or "lazy")
        else:
            yield from visit(node, kind)

    yield from visit(tree, "")


def edges(src: Path = SRC) -> tuple[dict[str, Module], list[Edge]]:
    mods = discover(src)
    seen: set[tuple[str, str, str]] = set()
    out = []
    for m in mods.values():
        for e in _imports(m, mods):
            if (e.src, e.dst, e.kind) not in seen:
                seen.add((e.src, e.dst, e.kind))
                out.append(e)
    return mods, out


def part(name: str) -> str:
    """``mexc_futures.marketdata.router`` -> ``marketdata``; ``mexc_futures.clock`` -> ``clock``."""
    bits = name.split(".")
    if len(bits) == 1:
        return ""
    return PART_ALIAS.get(bits[1], bits[1])


def emulator_room(name: str) -> str:
    bits = name.split(".")
    return bits[2] if len(bits) > 3 else ""


def cycles(mods: dict[str, Module], all_edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components (Tarjan) with more than one module, plus self-imports."""
    graph: dict[str, set[str]] = {m: set() for m in mods if not mods[m].shim}
    for e in all_edges:
        if e.src in graph and e.dst in graph:
            graph[e.src].add(e.dst)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def strong(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def violations(mods: dict[str, Module], all_edges: list[Edge]) -> list[str]:
    bad: list[str] = []
    for e in all_edges:
        src_mod = mods.get(e.src)
        if src_mod is None or src_mod.shim or e.src == ROOT:
            continue
        dst_mod = mods.get(e.dst)
        if dst_mod is not None and dst_mod.shim:
            bad.append(f"{e}: imports a deprecated alias; import its new path")
            continue
        p, q = part(e.src), part(e.dst)
        if not q or p == q:
            rooms = emulator_room(e.src), emulator_room(e.dst)
            if p == q == "emulator" and rooms[0] in {"venue", "market"} and rooms[1] == "server":
                bad.append(f"{e}: emulator venue/market must not import emulator.server")
            continue
        if q == "emulator" and p not in EMULATOR_IMPORTERS:
            bad.append(f"{e}: only cli/testing may import the emulator")
        elif p == "emulator":
            if q not in EMULATOR_MAY_IMPORT:
                bad.append(f"{e}: the emulator imports only protocol/model/errors/config/clock")
        elif p == "strategy" and q == "protocol":
            bad.append(f"{e}: strategies know no wire format; ask transport/model instead")
        elif q in BASE:
            continue
        elif p in BASE:
            if q not in BASE_MAY_IMPORT:
                bad.append(f"{e}: {p} is usable by all, so it imports only protocol/model")
        elif p in FLOOR and q in FLOOR:
            if FLOOR[q] >= FLOOR[p]:
                bad.append(f"{e}: {p} (floor {FLOOR[p]}) imports {q} (floor {FLOOR[q]})")
        elif q != "emulator":
            bad.append(f"{e}: part {p!r} or {q!r} has no floor; add it to FLOOR in this test")
    return bad


def test_no_import_cycles() -> None:
    mods, all_edges = edges()
    found = cycles(mods, all_edges)
    detail = []
    for comp in found:
        members = set(comp)
        detail.append(
            "cycle: " + ", ".join(comp) + "\n    "
            + "\n    ".join(str(e) for e in all_edges if e.src in members and e.dst in members)
        )
    assert not found, "\n".join(detail)


def test_imports_go_down_the_floors() -> None:
    mods, all_edges = edges()
    bad = violations(mods, all_edges)
    assert not bad, "\n".join(bad)


def test_every_part_has_a_floor() -> None:
    mods, _ = edges()
    parts = {part(m) for m in mods if not mods[m].shim} - {""}
    assert parts <= set(FLOOR) | BASE | {"emulator"}, parts - set(FLOOR) - BASE


# -- the checker itself ---------------------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expect"),
    [
        (  # a cycle hidden behind TYPE_CHECKING still counts
            {
                "__init__.py": "",
                "marketdata/__init__.py": "",
                "marketdata/a.py": "from mexc_futures.marketdata.b import X\n",
                "marketdata/b.py": (
                    "from typing import TYPE_CHECKING\n"
                    "if TYPE_CHECKING:\n    from mexc_futures.marketdata.a import Y\n"
                ),
            },
            "cycle",
        ),
        (  # a lazy relative import counts too
            {
                "__init__.py": "",
                "emulator/__init__.py": "",
                "emulator/server/__init__.py": "",
                "emulator/server/s.py": "from . import c\n",
                "emulator/server/c.py": "def f():\n    from .s import S\n",
            },
            "cycle",
        ),
        ({"__init__.py": "", "model/__init__.py": "", "model/m.py": "import mexc_futures.cli\n",
          "cli/__init__.py": ""}, "floor"),
        ({"__init__.py": "", "emulator/__init__.py": "",
          "emulator/x.py": "from mexc_futures.transport import ws\n",
          "transport/__init__.py": "", "transport/ws.py": ""}, "emulator imports only"),
        ({"__init__.py": "", "strategy/__init__.py": "", "protocol/__init__.py": "",
          "strategy/s.py": "from mexc_futures.protocol.convert import contract_spec\n",
          "protocol/convert.py": ""}, "wire format"),
        ({"__init__.py": "", "execution/__init__.py": "",
          "execution/x.py": "from mexc_futures.marketdata import y\n",
          "marketdata/__init__.py": "", "marketdata/y.py": ""}, "floor"),
    ],
)
def test_checker_catches(tmp_path: Path, files: dict[str, str], expect: str) -> None:
    mods, all_edges = edges(_tree(tmp_path, files))
    if expect == "cycle":
        assert cycles(mods, all_edges)
    else:
        assert any(expect in v for v in violations(mods, all_edges)), violations(mods, all_edges)


def test_test_folders_mirror_src() -> None:
    """``tests/unit/<part>/...`` and ``tests/integration/<part>/`` name real packages of ``src``,
    so a module's tests are found by its path (``marketdata/router.py`` ->
    ``tests/unit/marketdata/test_router.py``)."""
    tests = Path(__file__).resolve().parents[1]
    packages = {p.relative_to(SRC / ROOT) for p in (SRC / ROOT).rglob("__init__.py")}
    folders = {
        d.relative_to(tests / kind) / "__init__.py"
        for kind in ("unit", "integration")
        for d in (tests / kind).rglob("*")
        if d.is_dir() and d.name != "__pycache__"
    }
    assert folders <= packages, sorted(str(f.parent) for f in folders - packages)


# -- module size ----------------------------------------------------------------------------------

MAX_LINES = 500
#: The docstring line that lets a module be long: ``Layout: table module — <why>`` (the reason
#: is required: a dash or colon, then at least a few words).
TABLE_MARK = re.compile(r"^Layout: table module\s*[—:-]+\s*\S.{15,}", re.MULTILINE)
SIZE_FIX = (
    "split it along a real seam (one owner per module: a mixin or a helper module, see "
    "docs/architecture.md), or, if it is long because it is a table, say so in its module "
    "docstring with a line 'Layout: table module — <why it is one table>'"
)


def long_modules(src: Path = SRC) -> list[str]:
    """Modules over ``MAX_LINES`` lines whose docstring does not declare them a table."""
    found = []
    for path in sorted((src / ROOT).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines <= MAX_LINES:
            continue
        doc = ast.get_docstring(ast.parse(text, filename=str(path))) or ""
        if TABLE_MARK.search(doc) is None:
            found.append(f"{path.relative_to(src).as_posix()}: {lines} lines")
    return found


def test_no_module_over_500_lines_unless_a_table() -> None:
    """Issue #11: no module over ~500 lines; a module long because it is a table says so."""
    long = long_modules()
    assert not long, f"over {MAX_LINES} lines ({SIZE_FIX}):\n  " + "\n  ".join(long)


@pytest.mark.parametrize(
    ("doc", "flagged"),
    [
        ("A module.", True),
        ("A table.\n\nLayout: table module", True),  # the reason is required
        ("A table.\n\nLayout: table module — one row per MEXC endpoint (spec §4, §5).", False),
        ("A table.\n\nLayout: table module: one class per family of §6 codes.", False),
    ],
)
def test_size_check_catches(tmp_path: Path, doc: str, flagged: bool) -> None:
    body = "\n".join(f"X{i} = {i}" for i in range(MAX_LINES))
    files = {"__init__.py": "", "model/__init__.py": "", "model/t.py": f'"""{doc}"""\n{body}\n'}
    src = _tree(tmp_path, files)
    assert bool(long_modules(src)) is flagged
    short = _tree(tmp_path, {"model/t.py": f'"""{doc}"""\n'})
    assert not long_modules(short)
