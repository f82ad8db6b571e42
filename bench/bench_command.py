"""How long the whole `reeplan solve` command takes on a large generated input, and where the time goes.

    python bench/bench_command.py [--materials 60] [--periods 40] [--seed 1] [--keep DIR]

Writes the generated instance of `bench_solve.generated` as a CSV folder, runs `reeplan solve` on it in a fresh
process (the wall time a planner sees), and prints the command's own split from its Run sheet: build, HiGHS
solve, and the rest (reading, results, writing the workbook).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_solve import generated  # noqa: E402
from tests.conftest import write_input  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--materials", type=int, default=60)
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the instance and the result here instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        folder = write_input(where / "generated", generated(args.materials, args.periods, args.seed))
        out = where / "generated-solve.xlsx"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "planner", "solve", str(folder), "-o", str(out)],
                              capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(done.stderr)
        import openpyxl

        wb = openpyxl.load_workbook(out, read_only=True)
        run = {str(r[0]): r[1] for r in wb["Run"].iter_rows(min_row=2, values_only=True) if r and r[0]}
        rows = {name: wb[name].max_row for name in wb.sheetnames}
        wb.close()
    print(f"instance: {args.materials} materials, {args.periods} periods: {run.get('variables')} columns, "
          f"{run.get('constraints')} rows; result rows {sum(rows.values()):,}")
    print(f"reeplan solve (whole command, fresh process): {wall:.2f} s; of it build {run.get('build time (s)')} s, "
          f"HiGHS solve {run.get('solve time (s)')} s")


if __name__ == "__main__":
    main()
