"""``./run bench bus`` runs end to end (issue #18, B8/B9): a tiny synthetic run writes its JSON
with every message delivered. Figures are not checked here (benchmarks measure, tests do not)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_bus_synthetic_smoke(redis_url: str, tmp_path: Path) -> None:
    del redis_url  # the fixture only checks that redis-server exists (the bench starts its own)
    out = tmp_path / "bus.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_bus", "--source", "synthetic", "--symbols", "5",
         "--rate", "300", "--duration", "1", "--mem-every", "0.5", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["every_message_delivered"] is True
    assert data["producer_sent"] == data["reader_received"] == 300
    assert data["redis_memory_mb"]
    assert "every message delivered: True" in proc.stdout
