"""The benchmark scripts run (CI runs the smallest size once; no timing is asserted anywhere)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_solve_smoke():
    done = subprocess.run([sys.executable, "bench/bench_solve.py", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "highspy" in done.stdout and "points/s through the Param map" in done.stdout
    assert "reeplan solve --all-scenarios" in done.stdout  # the baseline commands of bench/bench_baseline.py


def test_bench_studies_smoke():
    done = subprocess.run([sys.executable, "bench/bench_studies.py", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "points/s against" in done.stdout and "breakpoints in" in done.stdout and "10 scenarios" in done.stdout
