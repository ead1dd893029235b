"""The benchmarks still run (they are not timed here: speed lives in bench/, not in tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flaskbank.services.analytics.reports import SPECS

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_transfers.py"
BENCH_DYNAMO = BENCH.with_name("bench_dynamo.py")
BENCH_GENERATE = BENCH.with_name("bench_generate.py")
BENCH_CUSTOMER_DRILL = BENCH.with_name("bench_customer_drill.py")


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
    assert any(line.strip().startswith("CPU ms per transfer") for line in rows)
    assert any(line.strip().startswith("its store write alone") for line in rows)


@pytest.mark.slow
def test_the_dynamodb_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH_DYNAMO), "--n", "8", "--threads", "2"]
        + ["--workers", "1", "--clients", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    if done.stdout.startswith("bench_dynamo skipped"):
        pytest.skip(done.stdout.strip())
    lines = done.stdout.splitlines()
    assert any(line.startswith("in-process, 2 threads") for line in lines), done.stdout
    assert any(line.startswith("1 worker x 1, 2 clients") for line in lines), done.stdout


@pytest.mark.slow
def test_the_generate_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH_GENERATE), "--n", "3000", "--months", "3"]
        + ["--ratio-rows", "2000", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("generate+load") for line in lines), done.stdout
    assert any(line.startswith("peak RSS") for line in lines), done.stdout
    assert any(line.startswith("bulk path") and "ratio" in line for line in lines), done.stdout
    assert any(line.startswith("CPU in all") and "10M needs" in line for line in lines), done.stdout


@pytest.mark.slow
def test_the_dynamodb_bulk_load_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_dynamo_bulk.py")), "--n", "300"]
        + ["--source", "small", "--customers", "40", "--batch", "100", "--threads", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    if done.stdout.startswith("bench_dynamo_bulk skipped"):
        pytest.skip(done.stdout.strip())
    row = done.stdout.splitlines()[-1].split()
    assert row[:7] == ["small,", "40", "customers,", "batches", "of", "100", "300"], done.stdout


@pytest.mark.slow
def test_the_monitoring_replay_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_replay.py")), "--transactions", "20000"]
        + ["--samples", "200"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("replay") and "transactions/s" in line for line in lines)
    assert any(line.startswith("inline") and "p99" in line for line in lines), done.stdout


@pytest.mark.slow
def test_the_screening_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_screening.py"))]
        + ["--customers", "4", "--days", "5", "--per-day", "4", "--n", "60"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    assert {"with", "without", "added"} <= rows, done.stdout


@pytest.mark.slow
def test_the_warehouse_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_warehouse.py"))]
        + ["--customers", "30", "--months", "2", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("sync from scratch") for line in lines), done.stdout
    assert any("per million transactions" in line for line in lines), done.stdout
    for period in ("day", "week"):  # kept closing balances, checked against computed ones
        assert any(line.startswith(f"balances by {period}, ") for line in lines), done.stdout
    for name in SPECS:  # every report is timed, and against SQLite
        assert any(
            line.startswith(f"{name} by month") and "straight from SQLite" in line for line in lines
        ), done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
def test_the_warehouse_lag_benchmark_runs_end_to_end(kind):
    # The DynamoDB run starts a DynamoDB Local of its own, as it does outside the tests.
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_warehouse_lag.py")), "--smoke"]
        + ["--store", kind],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    if done.stdout.startswith("bench_warehouse_lag skipped"):
        pytest.skip(done.stdout.strip())
    lines = done.stdout.splitlines()
    assert f"store: {kind}" in lines, done.stdout
    for phase in ("lag idle (baseline)", "lag under load"):
        assert any(
            line.startswith(f"{phase}:") and "p95" in line and "5 s target" in line
            for line in lines
        ), done.stdout
    assert any(line.startswith("under load / idle, p95:") for line in lines), done.stdout


@pytest.mark.slow
def test_the_customer_drill_benchmark_runs_end_to_end():
    done = subprocess.run(
        [sys.executable, str(BENCH_CUSTOMER_DRILL), "--entries", "20000"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("churned at a period's end") for line in lines), done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
def test_the_monitoring_lag_benchmark_runs_end_to_end(kind):
    done = subprocess.run(
        [sys.executable, str(BENCH.with_name("bench_monitoring_lag.py")), "--smoke"]
        + ["--store", kind],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    if done.stdout.startswith("bench_monitoring_lag skipped"):
        pytest.skip(done.stdout.strip())
    lines = done.stdout.splitlines()
    assert f"store: {kind}" in lines, done.stdout
    assert any(line.startswith("consumer throughput: ") for line in lines), done.stdout
    for measured in ("reflected", "alerted"):
        assert any(
            line.startswith(f"{measured} (") and "p95" in line and "2 s target" in line
            for line in lines
        ), done.stdout
