"""The normalised input the model is built from: one pandas table per input sheet.

Tables carry the columns of SPEC §2 with `*` periods already expanded, names spelled consistently
and optional cells filled with their defaults, except two defaults that depend on other tables and
are resolved when the model is built: a blank `Demand.shortfall_penalty` (the sector's penalty) and
a blank `Periods.discount_factor` ((1 + discount_rate)^-i). Keeping them blank lets a scenario that
changes a sector's penalty or the discount rate reach every row it should.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class PlanData:
    tables: dict[str, pd.DataFrame]
    settings: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, sheet: str) -> pd.DataFrame:
        return self.tables[sheet]

    @property
    def periods(self) -> list[str]:
        return list(self.tables["Periods"]["period"])

    def discount_factors(self) -> dict[str, float]:
        """δ_t: the Periods column where given, else (1 + discount_rate)^-i for the i-th period."""
        rate = float(self.settings.get("discount_rate", 0.0) or 0.0)
        periods = self.tables["Periods"]
        return {p: (float(f) if pd.notna(f) else (1 + rate) ** -i)
                for i, (p, f) in enumerate(zip(periods["period"], periods["discount_factor"]))}

    def copy(self) -> "PlanData":
        return PlanData({k: v.copy() for k, v in self.tables.items()}, copy.deepcopy(self.settings))
