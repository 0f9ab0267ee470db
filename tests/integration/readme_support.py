"""The README's fenced blocks of one section, as written (tests that run them word for word)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
PROTECT = "Protect a position"


def blocks(section: str, lang: str) -> list[str]:
    """The ``lang`` blocks of the README section whose ``###`` heading starts with ``section``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"### {section}")
    end = text.index("\n#", start + 1)
    return [code for tag, code in FENCE.findall(text[start:end]) if tag == lang]


def commands(block: str) -> list[list[str]]:
    """The ``./run mexc-futures`` command lines of a bash block (continuations joined, comments
    dropped) as argument lists after ``mexc-futures``."""
    import shlex

    out = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] == ["./run", "mexc-futures"]:
            out.append(words[2:])
    return out


__all__ = ["PROTECT", "README", "blocks", "commands"]
