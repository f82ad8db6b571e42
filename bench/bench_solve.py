"""Benchmark: one large generated plan through reeplan, and the same LP handed straight to highspy.

    python bench/bench_solve.py [--materials 80] [--periods 24] [--seed 1]

reeplan: read + validate the CSV folder, build the Pyomo model, solve (translation to HiGHS + simplex +
duals + licence ranging). highspy: the LP matrix HiGHS received from Pyomo, passed to a fresh
`highspy.Highs` (passModel), solved, with duals and ranging read. The direct figure excludes assembling
the matrix, so the ratio is an upper bound on what a direct highspy build would save.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from models.plan import PlanModel  # noqa: E402
from models.solve import solve  # noqa: E402
from planner.run import load  # noqa: E402
from tests.conftest import write_input  # noqa: E402


def generated(materials: int, periods: int, seed: int) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    T = [f"Q{i:02d}" for i in range(periods)]
    M = [f"m{i:03d}" for i in range(materials)]
    sources = [{"source": f"s{i:02d}", "controlled": "TRUE" if i < 8 else "FALSE"} for i in range(20)]
    sectors = [{"sector": f"k{i}", "shortfall_penalty": rng.randint(100, 5000),
                "accepts_controlled": "FALSE" if i < 2 else "TRUE"} for i in range(10)]
    return {
        "Periods": [{"period": t} for t in T],
        "Materials": [{"material": m, "export_controlled": "TRUE" if i % 2 else "FALSE"} for i, m in enumerate(M)],
        "Sources": sources,
        "Supply": [{"source": s["source"], "material": m, "period": t, "capacity_t": rng.randint(0, 100),
                    "price": rng.randint(1, 90)} for s in sources for m in M for t in T],
        "Licences": [{"source": s["source"], "material": m, "period": "*", "requested_t": rng.randint(0, 200),
                      "approval_rate": rng.choice([0.25, 0.6, 1.0]), "lead_time": rng.choice([0, 1, 2])}
                     for s in sources[:8] for m in M[1::2]],
        "Sectors": sectors,
        "Demand": [{"sector": k["sector"], "material": m, "period": t, "demand_t": rng.randint(0, 300)}
                   for k in sectors for m in M for t in T],
        "Processes": [{"process": f"p{i}", "period": "*", "capacity": rng.randint(50, 500), "cost": rng.randint(1, 20)}
                      for i in range(10)],
        "Recipes": [row for i in range(10) for row in (
            {"process": f"p{i}", "material": M[2 * i], "input_t": 1.2},
            {"process": f"p{i}", "material": M[2 * i + 1], "output_t": 1.0})],
        "Stockpiles": [{"stockpile": "NDS", "material": m, "initial_t": 50, "reserved_for": "k0;k1",
                        "max_acquire_t": 10, "max_release_t": 20} for m in M[:10]],
    }


def direct_highspy(lp) -> tuple[float, float]:
    import highspy

    started = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    passed = time.perf_counter()
    h.run()
    h.getSolution()
    h.getRanging()
    return passed - started, time.perf_counter() - passed, h.getInfo().objective_function_value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--materials", type=int, default=80)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    hx.silence_banner()

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_input(Path(tmp) / "bench", generated(args.materials, args.periods, args.seed))
        t0 = time.perf_counter()
        loaded = load(folder)
        t1 = time.perf_counter()
        plan = PlanModel(loaded.data)
        t2 = time.perf_counter()
        solution = solve(plan)
        t3 = time.perf_counter()
        solver = hx.new_solver()  # once more, untimed, only to capture the LP matrix HiGHS receives
        solver.solve(plan.model)
        lp = hx.highs(solver).getLp()
    reeplan_solve = t3 - t2
    direct_build, direct_solve, direct_objective = direct_highspy(lp)

    columns, rows = lp.num_col_, lp.num_row_
    print(f"instance: {columns:,} columns, {rows:,} rows ({args.materials} materials, {args.periods} periods)")
    print(f"reeplan  read+validate {t1 - t0:7.2f} s   build {t2 - t1:7.2f} s   solve+duals+ranging "
          f"{reeplan_solve:7.2f} s   total {t3 - t1:7.2f} s (excluding read)")
    print(f"highspy  pass model    {direct_build:7.2f} s   solve+duals+ranging {direct_solve:7.2f} s   "
          f"total {direct_build + direct_solve:7.2f} s")
    print(f"ratio reeplan/highspy: build+solve {(t3 - t1) / (direct_build + direct_solve):.1f}x, "
          f"solve step {reeplan_solve / direct_solve:.1f}x")
    print(f"objectives: reeplan {solution.objective:,.2f}  highspy {direct_objective:,.2f}")


if __name__ == "__main__":
    main()
