"""A fresh clone is self-sufficient and the checks stay quiet (issue #10).

* The golden vectors live in ``tests/vectors`` and a missing one fails loudly (never skips).
* The conftest guard records files opened outside the checkout.
* ``# nosec`` comments name bandit test ids only: bandit reads every word up to the next ``#`` as
  a test id, so ``# nosec B101 - type narrowing`` printed one "Test in comment" warning per word
  (63 of them) and a reason that happens to spell a real test name would silence that test too.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests import conftest

ROOT = conftest.ROOT

# name: (list key, entries). The files are copies (tests/vectors/README.md): replace them as a
# whole and update tests/vectors/SHA256SUMS (``sha256sum -c`` format). The pin is also why
# ``./run test``'s detect-secrets may skip them (ids, hashes and HMAC outputs by nature).
SHIPPED = {
    "signing.json": ("cases", 15),
    "rest_responses.json": ("entries", 108),
    "ws_pushes.json": ("entries", 83),
    "spec_endpoints.json": ("entries", 78),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_golden_vectors_ship_inside_the_repository(name: str) -> None:
    assert conftest.VECTORS.resolve().is_relative_to(ROOT)
    key, count = SHIPPED[name]
    doc = conftest.load_vectors(name)
    assert len(doc[key]) == count
    sums = (conftest.VECTORS / "SHA256SUMS").read_text(encoding="utf-8").split()
    pinned = dict(zip(sums[1::2], sums[0::2], strict=True))
    assert hashlib.sha256((conftest.VECTORS / name).read_bytes()).hexdigest() == pinned[name]
    assert doc["_meta"]["description"]
    assert name in (conftest.VECTORS / "README.md").read_text(encoding="utf-8")


def test_a_missing_vector_file_fails_with_what_to_do() -> None:
    raised: BaseException | None = None
    try:
        conftest.load_vectors("no_such_vectors.json")
    except BaseException as exc:  # a skip is a BaseException too: it must not be one
        raised = exc
    assert isinstance(raised, pytest.fail.Exception), f"expected a failure, got {raised!r}"
    assert "tests/vectors/no_such_vectors.json is missing" in str(raised)
    assert "git checkout -- tests/vectors/" in str(raised)


def test_the_guard_records_reads_outside_the_checkout() -> None:
    # (a sibling ``../shared`` is outside too, unless the checkout itself sits in a temp dir,
    # where a bare clone has nothing beside it anyway)
    assert conftest._outside("/work/shared/spec/mexc-futures-api.md")
    assert not conftest._outside(str(conftest.VECTORS / "signing.json"))
    reads = conftest.OUTSIDE_READS
    start = len(reads)
    outside = Path("/mexc-futures-guard-probe/does-not-exist.json")  # outside wherever ROOT is
    with pytest.raises(FileNotFoundError):
        outside.open(encoding="utf-8")
    seen = reads[start:]
    del reads[start:]  # planted on purpose: do not fail this test for it
    assert seen == [str(outside)]


NOSEC = re.compile(r"#\s*nosec:?\s*(?P<tests>[^#]*)")


def test_nosec_comments_name_bandit_test_ids_only() -> None:
    bad: list[str] = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = NOSEC.search(line)
            if m is None:
                continue
            words = re.findall(r"[A-Za-z0-9_]+", m.group("tests"))
            if not words or any(re.fullmatch(r"B\d{3}", w) is None for w in words):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert bad == [], "write `# nosec B311  # reason`: the reason after its own '#'\n" + "\n".join(
        bad
    )


def test_no_source_refers_to_the_reference_folder_beside_the_checkout() -> None:
    pattern = re.compile(r"shared/(spec|audits|design|brief)|/work/")
    roots = [ROOT / d for d in ("src", "tests", "benchmarks", "examples", ".ci")] + [ROOT / "run"]
    found: list[str] = []
    for base in roots:
        files = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        for path in files:
            if path.suffix in (".json", ".pyc") or path.name == Path(__file__).name:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                      if pattern.search(line)]
    assert found == []
