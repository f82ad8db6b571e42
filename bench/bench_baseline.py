"""How long the bundled US baseline takes as a planner runs it: whole commands, each in a fresh process.

    python bench/bench_baseline.py [--repeat 5]

Prints the median wall time of `reeplan solve`, `reeplan solve --all-scenarios` (the base case and the seven
scenarios), `reeplan validate` and `reeplan --help` (start-up). bench/bench_solve.py prints the same lines
after its table.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "inputs" / "baseline"


def wall(args: list[str], repeat: int, cwd: Path) -> float:
    """Median wall time of `python -m planner ARGS` run `repeat` times in `cwd`."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "planner", *args], cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def baseline_commands(repeat: int, cwd: Path) -> str:
    return (f"baseline, whole commands (median of {repeat}): reeplan solve {wall(['solve'], repeat, cwd):.2f} s; "
            f"reeplan solve --all-scenarios {wall(['solve', str(BASELINE), '--all-scenarios'], repeat, cwd):.2f} s; "
            f"reeplan validate {wall(['validate', str(BASELINE)], repeat, cwd):.2f} s; "
            f"reeplan --help {wall(['--help'], repeat, cwd):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        print(baseline_commands(repeat, Path(tmp)))


if __name__ == "__main__":
    main()
