"""How fast `reeplan solve` answers on the bundled baseline, as a planner runs it (whole command, fresh process).

    python bench/bench_baseline.py [--repeat 5]

Prints the median wall time of `reeplan solve` and of `reeplan solve --all-scenarios` (7 scenarios + base),
and the in-process split of one solve into read+validate, build and solve.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.plan import PlanModel  # noqa: E402
from models.solve import solve  # noqa: E402
from planner.run import bundled_input, load  # noqa: E402


def wall(args, repeat: int) -> float:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "planner", *args], cwd=tmp, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    t0 = time.perf_counter()
    loaded = load(bundled_input("baseline"))
    t1 = time.perf_counter()
    plan = PlanModel(loaded.data)
    t2 = time.perf_counter()
    solution = solve(plan)
    t3 = time.perf_counter()
    columns = sum(len(v) for v in solution.variables.values())
    rows = sum(len(r) for r in solution.rows.values())
    print(f"baseline: {columns:,} columns, {rows:,} rows; read+validate {t1 - t0:.2f} s, build {t2 - t1:.2f} s, "
          f"solve+duals+ranging {t3 - t2:.2f} s")
    print(f"reeplan solve (whole command, median of {repeat}): {wall(['solve'], repeat):.2f} s")
    print(f"reeplan solve --all-scenarios (7 scenarios incl. base, median of {repeat}): "
          f"{wall(['solve', str(bundled_input('baseline')), '--all-scenarios'], repeat):.2f} s")


if __name__ == "__main__":
    main()
