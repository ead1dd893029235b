"""The benchmark still runs (it is not timed here: speed lives in bench/, not in tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_transfers.py"


@pytest.mark.slow
def test_the_transfer_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--n", "20", "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if "transfers" not in line]
    assert any(line.startswith("ledger in-process") for line in rows)
    assert any(line.startswith("HTTP API") for line in rows)
