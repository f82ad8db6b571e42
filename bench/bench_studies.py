"""How fast the studies run (issue "Studies"), against HiGHS on the same LPs, in one run.

    python bench/bench_studies.py [--samples 10,100,1000] [--workers 2] [--smoke]

(i)   sweep points per second on the baseline and on a ≥100k-column instance, against the same LP re-solved
      warm straight in highspy with the same new numbers;
(ii)  the exact sweep of the baseline's Chinese approval rates over [0, 1]: breakpoints and wall time, against a
      100-point grid;
(iii) `reeplan stockpile` on 10, 100 and 1,000 scenarios sampled from the baseline's Uncertainty sheet: the
      recourse problem, the whole study and each phase, peak memory, each in a fresh process;
(iv)  --workers 1 against --workers 2 on the 100-scenario study and the ≥100k sweep.
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


def sweep_rate(folder: Path, values: str, workers: int) -> tuple[float, float, int]:
    """(points/s through reeplan's sweep, points/s for raw highspy solving the first LP cold and re-solving the same
    LPs warm, points)."""
    import numpy as np

    from models.solve import Solver
    from planner.inputs import load
    from planner.studies.pool import Pool
    from planner.studies.sweep import build_sweep, make_parameter, parse_values, run_grid

    data = load(folder).data
    controlled = next(s for s, c in zip(data["Sources"]["source"], data["Sources"]["controlled"]) if c)
    parameter = make_parameter(data, "Licences", "approval_rate", "set", {"source": controlled})
    model = build_sweep(data, parameter, parse_values(values))
    with Pool(workers) as pool:
        run_grid(model, pool)  # start the worker processes: the timed run is a whole sweep on live workers
        started = time.perf_counter()
        points, _ = run_grid(model, pool)
        ours = len(points) / (time.perf_counter() - started)
    cases = [model.case(i) for i in range(len(points))]
    rows = np.flatnonzero(model.slope["row_upper"]).astype(np.int32) if model.slope else None
    started = time.perf_counter()  # both sides: one cold solve, then the points warm
    raw = Solver(model.lp_first).highs
    raw.run()
    raw.setOptionValue("presolve", "off")
    for case in cases:
        where, upper = case.numbers.get("row_upper", (rows, model.lp_first.row_upper[rows]))
        raw.changeRowsBounds(len(where), where.astype(np.int32), model.lp_first.row_lower[where], upper)
        raw.run()
        raw.getSolution()
    return ours, len(cases) / (time.perf_counter() - started), len(points)


def exact_against_grid() -> tuple[int, float, float]:
    from planner.inputs import bundled_input, load
    from planner.studies.pool import Pool
    from planner.studies.sweep import build_sweep, make_parameter, parse_values, run_exact, run_grid

    data = load(bundled_input()).data
    parameter = make_parameter(data, "Licences", "approval_rate", "set", {"source": "China licensed"})
    started = time.perf_counter()
    _, breakpoints = run_exact(build_sweep(data, parameter, [0.0, 1.0]))
    exact = time.perf_counter() - started
    started = time.perf_counter()
    run_grid(build_sweep(data, parameter, parse_values("0:0.99:0.01")), Pool())
    return len(breakpoints), exact, time.perf_counter() - started


def stockpile_stage(samples: int, workers: int) -> dict:
    """One sampled baseline study in this (fresh) process: phases, totals and peak memory."""
    from planner.inputs import bundled_input, load
    from planner.studies.pool import Pool
    from planner.studies.stockpile import run_study, sampled_scenarios

    data = load(bundled_input()).data
    started = time.perf_counter()
    scenarios = sampled_scenarios(data, samples, 1)
    drawn = time.perf_counter() - started
    with Pool(workers) as pool:
        started = time.perf_counter()
        result = run_study(data, scenarios, pool)
        total = time.perf_counter() - started
    return {"draw": drawn, "total": total, "phases": result.seconds, "method": result.method,
            "iterations": result.iterations, "rp": result.rp,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "workers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", default="10,100,1000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--stage", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(stockpile_stage(args.stage, args.workers)))
        return

    from bench.generate import size_of
    from planner.inputs import bundled_input
    from tests.conftest import write_input

    with tempfile.TemporaryDirectory() as tmp:
        big = write_input(Path(tmp) / "100k", size_of("20k" if args.smoke else "100k"))
        print("(i) sweep points per second (one cold solve, then every point warm) against raw highspy doing the same")
        for name, folder, values in (("baseline", bundled_input(), "0:1:0.001"), ("100k", big, "0:1:0.05")):
            ours, raw, n = sweep_rate(folder, "0:1:0.1" if args.smoke else values, 1)
            print(f"    {name}: {n} points, {ours:,.1f} points/s against {raw:,.1f}: {ours / raw:.0%}")
        breakpoints, exact, grid = exact_against_grid()
        print(f"(ii) exact sweep of the baseline's Chinese approval rates over [0, 1]: {breakpoints} breakpoints in "
              f"{exact:.2f} s; a 100-point grid takes {grid:.2f} s")
        samples = [10] if args.smoke else [int(n) for n in args.samples.split(",")]
        print("(iii) reeplan stockpile on sampled baseline scenarios (fresh process each, "
              f"--workers {args.workers})")
        for n in samples:
            done = subprocess.run([sys.executable, __file__, "--stage", str(n), "--workers", str(args.workers)],
                                  capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                sys.exit(done.stderr)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            phases = ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
            print(f"    {n} scenarios ({r['method']}, {r['iterations']} iterations): whole study {r['total']:.1f} s "
                  f"({phases}); draws {r['draw']:.1f} s; peak {r['peak_mb']:.0f} MB (largest worker "
                  f"{r['workers_peak_mb']:.0f} MB)")
        if not args.smoke:
            print("(iv) --workers 1 against --workers 2")
            ours1, _, _ = sweep_rate(big, "0:1:0.05", 1)
            ours2, _, _ = sweep_rate(big, "0:1:0.05", 2)
            print(f"    100k sweep: {ours1:.2f} points/s on 1 worker, {ours2:.2f} on 2")
            for w in (1, 2):
                done = subprocess.run([sys.executable, __file__, "--stage", "100", "--workers", str(w)],
                                      capture_output=True, text=True, cwd=ROOT)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"    100-scenario study: {r['total']:.1f} s on {w} worker(s)")


if __name__ == "__main__":
    main()
