"""How fast reeplan solves, against HiGHS on the same LP, in one run (issue "Compiled model").

    python bench/bench_solve.py [--sizes 20k,100k,500k] [--repeat 3] [--smoke]

Prints, for generated inputs of ≈20k, ≈100k and ≈500k columns (bench/generate.py), each stage of a solve —
read + validate, build (Pyomo), compile, solve with duals and ranging, result tables, workbook — and the
same LP passed straight to highspy (passModel, run, solution, basis, ranging), each in a fresh process
with its peak memory; then the whole `reeplan solve` command on issue 7's 74k-column input against HiGHS's
own solve; the baseline's whole commands (bench/bench_baseline.py); and warm
re-solves with changed licence caps through the compiled model's Param map against raw highspy.
`--smoke` runs the smallest size once (what CI runs: no timing is asserted anywhere).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_reeplan(folder: Path, arrays: Path) -> dict:
    """Every stage of one solve in this (fresh) process; the compiled LP saved for the direct stage."""
    import numpy as np

    from models.compiled import compile_plan
    from models.plan import PlanModel
    from models.solve import solve
    from planner.inputs import load
    from planner.report import write_result
    from planner.results import RunInfo, build_result

    times, t = {}, time.perf_counter()
    loaded = load(folder)
    times["read+validate"], t = time.perf_counter() - t, time.perf_counter()
    plan = PlanModel(loaded.data)
    times["build"], t = time.perf_counter() - t, time.perf_counter()
    compiled = compile_plan(plan)
    times["compile"], t = time.perf_counter() - t, time.perf_counter()
    solution = solve(compiled)
    times["solve+duals+ranging"], t = time.perf_counter() - t, time.perf_counter()
    result = build_result(loaded.data, solution, RunInfo("bench", str(folder), loaded.sha256, "base"))
    times["result tables"], t = time.perf_counter() - t, time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_result(result, Path(tmp) / "result.xlsx")
    times["workbook"] = time.perf_counter() - t
    lp = compiled.lp
    np.savez(arrays, **{k: v for k, v in lp.__dict__.items() if isinstance(v, np.ndarray)}, offset=lp.offset)
    return {"times": times, "peak_mb": peak_mb(), "objective": solution.objective, "columns": lp.num_col,
            "rows": lp.num_row}


def stage_highspy(arrays: Path) -> dict:
    """The same LP straight into highspy: pass the arrays, solve, read solution, basis and ranging."""
    import highspy
    import numpy as np

    a = np.load(arrays)
    t = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = len(a["col_cost"])
    h.passModel(n, len(a["row_lower"]), len(a["a_value"]), 1, 1, float(a["offset"]), a["col_cost"], a["col_lower"],
                a["col_upper"], a["row_lower"], a["row_upper"], a["a_start"], a["a_index"], a["a_value"],
                np.zeros(n, dtype=np.int32))
    h.run()
    h.getSolution()
    h.getBasis()
    h.getRanging()
    return {"seconds": time.perf_counter() - t, "peak_mb": peak_mb(), "objective": h.getInfo().objective_function_value}


def in_fresh_process(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm_resolves(folder: Path, points: int) -> tuple[float, float]:
    """Points per second: new licence caps through the Param map and a warm re-solve, against raw highspy
    changing the same row bounds of the same LP and re-solving."""
    import numpy as np

    from models.compiled import compile_plan
    from models.plan import PlanModel
    from models.solve import Solver
    from planner.inputs import load

    compiled = compile_plan(PlanModel(load(folder).data))
    factors = np.random.default_rng(1).uniform(0.2, 1.2, points)
    caps = compiled.values["licence_cap_t"]
    rows = np.arange(compiled.rows["licence"].start, compiled.rows["licence"].stop).astype(np.int32)
    ours = Solver(compiled.lp)
    ours.highs.setOptionValue("presolve", "off")
    ours.run()
    started = time.perf_counter()
    for f in factors:
        ours.update(compiled.numbers({**compiled.values, "licence_cap_t": caps * f}))
        ours.run()
    mapped = points / (time.perf_counter() - started)
    raw = Solver(compiled.lp).highs
    raw.setOptionValue("presolve", "off")
    raw.run()
    lower = compiled.lp.row_lower[rows]
    started = time.perf_counter()
    for f in factors:
        raw.changeRowsBounds(len(rows), rows, lower, compiled.lp.row_upper[rows] * f)
        raw.run()
    return mapped, points / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20k,100k,500k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="the smallest size once: a check that the bench runs")
    parser.add_argument("--stage", choices=["reeplan", "highspy"], help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--arrays", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "reeplan":
        print(json.dumps(stage_reeplan(args.input, args.arrays)))
        return
    if args.stage == "highspy":
        print(json.dumps(stage_highspy(args.arrays)))
        return

    from bench.bench_baseline import BASELINE, baseline_commands, wall
    from bench.generate import size_of
    from tests.conftest import write_input

    sizes = ["20k"] if args.smoke else args.sizes.split(",")
    repeat = 1 if args.smoke else args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("stage times (s) in a fresh process each; 'highspy' = the same LP passed straight to highspy")
        print(f"{'size':>6} {'columns':>9} {'read':>6} {'build':>6} {'compile':>7} {'solve':>6} {'tables':>6} "
              f"{'workbook':>8} | {'highspy':>7} {'ratio':>6} | {'peak MB':>8} {'highspy':>7} {'ratio':>5}")
        for size in sizes:
            folder = write_input(tmp / size, size_of(size))
            arrays = tmp / f"{size}.npz"
            ours = in_fresh_process("--stage", "reeplan", "--input", str(folder), "--arrays", str(arrays))
            direct = in_fresh_process("--stage", "highspy", "--arrays", str(arrays))
            s = ours["times"]
            model = s["build"] + s["compile"] + s["solve+duals+ranging"]
            print(f"{size:>6} {ours['columns']:>9,} {s['read+validate']:6.2f} {s['build']:6.2f} {s['compile']:7.2f} "
                  f"{s['solve+duals+ranging']:6.2f} {s['result tables']:6.2f} {s['workbook']:8.2f} | "
                  f"{direct['seconds']:7.2f} {model / direct['seconds']:5.2f}x | {ours['peak_mb']:8.0f} "
                  f"{direct['peak_mb']:7.0f} {ours['peak_mb'] / direct['peak_mb']:4.2f}x")
            assert abs(ours["objective"] - direct["objective"]) <= 1e-6 * max(1.0, abs(direct["objective"]))
        print("ratio = (build + compile + solve with duals and ranging) / highspy's pass + solve + duals + ranging")

        command_size = "20k" if args.smoke else "74k"
        folder = write_input(tmp / f"command-{command_size}", size_of(command_size))
        arrays = tmp / f"command-{command_size}.npz"
        columns = in_fresh_process("--stage", "reeplan", "--input", str(folder), "--arrays", str(arrays))["columns"]
        highs = in_fresh_process("--stage", "highspy", "--arrays", str(arrays))["seconds"]
        command = wall(["solve", str(folder), "-o", "r.xlsx", "--json", "r.json"], repeat, tmp)
        print(f"\nreeplan solve IN -o r.xlsx --json r.json on the {command_size} input ({columns:,} columns): "
              f"{command:.2f} s against {highs:.2f} s for HiGHS's solve with duals and ranging: {command / highs:.1f}x")

        print("\n" + baseline_commands(repeat, tmp))
        for name, where, points in (("baseline", BASELINE, 200 if args.smoke else 1000),
                                    ("100k", None if args.smoke else tmp / "100k", 20)):
            if where is None:
                continue
            if not where.exists():
                write_input(where, size_of(name))
            mapped, raw = warm_resolves(where, points)
            print(f"warm re-solves with new licence caps, {name}: {mapped:,.1f} points/s through the Param map, "
                  f"{raw:,.1f} points/s raw highspy: {mapped / raw:.0%}")


if __name__ == "__main__":
    main()
