"""Generated planning inputs for the benchmarks: many materials, periods, sources and sectors.

    generated(materials, periods, sources=20, sectors=10, seed=1) -> {sheet: rows}

Sizes used by the benchmarks (columns of the compiled LP):
    SIZES["20k"]  ≈ 20k      SIZES["74k"] ≈ 74k (60 materials, 40 periods, 10 sources, 5 sectors: issue 7's input)
    SIZES["100k"] ≈ 101k     SIZES["500k"] ≈ 500k
"""
from __future__ import annotations

import random

SIZES = {  # name: (materials, periods, sources, sectors)
    "20k": (40, 12, 20, 10),
    "74k": (60, 40, 10, 5),
    "100k": (80, 24, 20, 10),
    "500k": (200, 48, 20, 10),
}


def generated(materials: int, periods: int, sources: int = 20, sectors: int = 10, seed: int = 1) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    T = [f"Q{i:02d}" for i in range(periods)]
    M = [f"m{i:03d}" for i in range(materials)]
    controlled = max(1, sources * 2 // 5)
    source_rows = [{"source": f"s{i:02d}", "controlled": "TRUE" if i < controlled else "FALSE"} for i in range(sources)]
    refusing = max(1, sectors // 5)
    sector_rows = [{"sector": f"k{i}", "shortfall_penalty": rng.randint(100, 5000),
                    "accepts_controlled": "FALSE" if i < refusing else "TRUE"} for i in range(sectors)]
    processes = min(10, materials // 2)
    return {
        "Periods": [{"period": t} for t in T],
        "Materials": [{"material": m, "export_controlled": "TRUE" if i % 2 else "FALSE"} for i, m in enumerate(M)],
        "Sources": source_rows,
        "Supply": [{"source": s["source"], "material": m, "period": t, "capacity_t": rng.randint(0, 100),
                    "price": rng.randint(1, 90)} for s in source_rows for m in M for t in T],
        "Licences": [{"source": s["source"], "material": m, "period": "*", "requested_t": rng.randint(0, 200),
                      "approval_rate": rng.choice([0.25, 0.6, 1.0]), "lead_time": rng.choice([0, 1, 2])}
                     for s in source_rows[:controlled] for m in M[1::2]],
        "Sectors": sector_rows,
        "Demand": [{"sector": k["sector"], "material": m, "period": t, "demand_t": rng.randint(0, 300)}
                   for k in sector_rows for m in M for t in T],
        "Processes": [{"process": f"p{i}", "period": "*", "capacity": rng.randint(50, 500), "cost": rng.randint(1, 20)}
                      for i in range(processes)],
        "Recipes": [row for i in range(processes) for row in (
            {"process": f"p{i}", "material": M[2 * i], "input_t": 1.2},
            {"process": f"p{i}", "material": M[2 * i + 1], "output_t": 1.0})],
        "Stockpiles": [{"stockpile": "NDS", "material": m, "initial_t": 50, "reserved_for": "k0",
                        "max_acquire_t": 10, "max_release_t": 20} for m in M[:10]],
    }


def size_of(name: str) -> dict[str, list[dict]]:
    materials, periods, sources, sectors = SIZES[name]
    return generated(materials, periods, sources, sectors)
