"""Channels and licence destinations (SPEC §3), solved on paper.

Channels: acc(reserved:g) = reserved_for ∩ acc(origin); the set is closed under intersection (only:…);
equal acc means one channel. Licence destinations: licensed:E holds what an end-use licence delivers.
"""
import subprocess
import sys

import pytest

from models.structure import derive_channels
from tests.conftest import BASE, write_input

approx = pytest.approx


def test_channel_set_is_closed_under_intersection_and_merges_equal_access():
    channels = derive_channels(["defense", "EV", "wind"], {"EV", "wind"}, [("NDS", frozenset({"defense", "EV"}), "free")],
                               ["EV", "EV;wind"])
    # licensed:EV;wind has the same acc as controlled, so it is 'controlled'; {EV} is licensed:EV (licence order
    # beats only:), and reserved:NDS ∩ controlled = {EV} needs no new channel
    assert channels.names == ("free", "controlled", "reserved:NDS", "licensed:EV")
    assert channels.alias["licensed:EV;wind"] == "controlled"
    assert ("controlled", "licensed:EV") in channels.moves and ("reserved:NDS", "licensed:EV") in channels.moves
    assert ("licensed:EV", "controlled") not in channels.moves
    only = derive_channels(["defense", "EV", "wind"], {"EV", "wind"}, [("NDS", frozenset({"defense", "EV"}), "free")], [])
    assert only.names == ("free", "controlled", "reserved:NDS", "only:EV")


def test_laundering_through_a_reserved_stock_is_refused(tmp_path):
    """A stock of controlled origin reserved for defense (which refuses controlled supply) could only ever
    serve defense with controlled magnets: acc = {defense} ∩ acc(controlled) = ∅, an input error."""
    sheets = {
        **BASE,
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": 100}],
        "Sectors": [{"sector": "defense", "shortfall_penalty": 1000, "accepts_controlled": "FALSE"},
                    {"sector": "EV", "shortfall_penalty": 100}],
        "Demand": [{"sector": "defense", "material": "mag", "demand_t": 50}],
        "Stockpiles": [{"stockpile": "Laundry", "material": "mag", "initial_t": 0, "origin": "controlled",
                        "reserved_for": "defense", "max_acquire_t": 100}],
    }
    folder = write_input(tmp_path / "in", sheets)
    done = subprocess.run([sys.executable, "-m", "planner", "solve", str(folder)], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert "Stockpiles row 2, column reserved_for: stockpile 'Laundry' holds controlled material" in done.stderr
    assert not (tmp_path / "results").exists()


def test_permitted_materials_meet_in_the_intersection_channel(solve_case):
    """Nd 100 t at 10 from China (controlled: EV and wind accept it, defense refuses); NDS Dy 6 t reserved for
    defense and EV; magnets = 1 t Nd + 0.1 t Dy, capacity 100; EV needs 50 t magnets at penalty 1000.

    Nd may reach EV (controlled ∩ …) and Dy may reach EV (reserved:NDS): they meet in only:EV, where 50 magnets
    are made from 50 t Nd and 5 of the 6 t of Dy. Objective = 50 × 10 = 500 (not 50 × 1000 = 50,000 unmet).
    One more EV magnet costs one more tonne of Nd (Dy is left over): the EV demand row prices at 10.
    """
    _, _, sol = solve_case({
        "Periods": [{"period": "P1"}],
        "Materials": [{"material": "Nd"}, {"material": "Dy"}, {"material": "mag"}],
        "Sources": [{"source": "CN", "controlled": "TRUE"}],
        "Supply": [{"source": "CN", "material": "Nd", "capacity_t": 100, "price": 10}],
        "Processes": [{"process": "mm", "capacity": 100}],
        "Recipes": [{"process": "mm", "material": "Nd", "input_t": 1}, {"process": "mm", "material": "Dy", "input_t": 0.1},
                    {"process": "mm", "material": "mag", "output_t": 1}],
        "Sectors": [{"sector": "defense", "shortfall_penalty": 5000, "accepts_controlled": "FALSE"},
                    {"sector": "EV", "shortfall_penalty": 1000}, {"sector": "wind", "shortfall_penalty": 500}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 50}],
        "Stockpiles": [{"stockpile": "NDS", "material": "Dy", "initial_t": 6, "reserved_for": "defense;EV"}],
    })
    assert sol.objective == approx(500)
    assert sol.value("run")["mm", "only:EV", "P1"] == approx(50)
    assert sol.value("use")["EV", "mag", "only:EV", "P1"] == approx(50)
    assert sol.value("short").sum() == approx(0)
    assert sol.shadow("demand")["EV", "mag", "P1"] == approx(10)


def test_equal_access_channels_are_one_and_price_as_before(solve_case):
    """Every sector accepts controlled supply, so free and controlled are one channel, 'free'.
    CN (controlled) 100 t at 10 under a 40 t licence; US (free) 30 t at 60; EV needs 100 t at penalty 200.
    40 t CN + 30 t US + 30 t short: 400 + 1,800 + 6,000 = 8,200. A licensed tonne replaces a shortfall
    (200 − 10 = 190); a US tonne too (200 − 60 = 140); the (single) free balance prices at 200.
    """
    _, plan, sol = solve_case({
        **BASE,
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                   {"source": "US", "material": "mag", "capacity_t": 30, "price": 60}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": 40}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 100}],
    })
    assert plan.structure.channels.names == ("free",)
    assert sol.objective == approx(8_200)
    assert sol.shadow("licence")["CN", "mag", "P1", ""] == approx(190)
    assert sol.shadow("supply_capacity")["US", "mag", "P1"] == approx(140)
    assert list(sol.rows["balance"]["channel"]) == ["free"]
    assert sol.shadow("balance")["mag", "free", "P1"] == approx(200)


def test_licence_destinations_keep_ev_dy_away_from_wind_also_through_a_process(solve_case):
    """CN (controlled) sells Dy at 100 under two licences: 10 t for EV makers, 2 t for wind makers (none pooled).
    US (free) sells Nd at 10. Magnets = 1 t Nd + 0.1 t Dy (no cost, capacity 1,000). EV and wind each need
    50 t magnets (penalties 1,000 and 500).

    EV: 50 magnets from 5 t EV-licensed Dy. Wind: only 2 t wind-licensed Dy → 20 magnets, 30 t short, although
    5 t of EV-licensed Dy are left: it may not reach wind, also not as magnets.
    Objective = 7 × 100 (Dy) + 70 × 10 (Nd) + 30 × 500 = 16,400.
    Licence shadow prices per destination: EV 0 (5 t < 10 t); wind: one more tonne makes 10 more wind magnets,
    10 × 500 − 100 − 10 × 10 = 4,800; the pooled class (no licence, cap 0) would serve wind too: 4,800.
    """
    _, _, sol = solve_case({
        "Periods": [{"period": "P1"}],
        "Materials": [{"material": "Nd"}, {"material": "Dy", "export_controlled": "TRUE"}, {"material": "mag"}],
        "Sources": [{"source": "CN", "controlled": "TRUE"}, {"source": "US"}],
        "Supply": [{"source": "CN", "material": "Dy", "capacity_t": 100, "price": 100},
                   {"source": "US", "material": "Nd", "capacity_t": 1000, "price": 10}],
        "Licences": [{"licence": "L-EV", "source": "CN", "material": "Dy", "requested_t": 10, "end_use": "EV"},
                     {"licence": "L-wind", "source": "CN", "material": "Dy", "requested_t": 2, "end_use": "wind"}],
        "Processes": [{"process": "mm", "capacity": 1000}],
        "Recipes": [{"process": "mm", "material": "Nd", "input_t": 1}, {"process": "mm", "material": "Dy", "input_t": 0.1},
                    {"process": "mm", "material": "mag", "output_t": 1}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 1000}, {"sector": "wind", "shortfall_penalty": 500}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 50}, {"sector": "wind", "material": "mag", "demand_t": 50}],
    })
    assert sol.objective == approx(16_400)
    short = sol.value("short")
    assert short["EV", "mag", "P1"] == approx(0) and short["wind", "mag", "P1"] == approx(30)
    buy = sol.value("buy")
    assert buy["CN", "Dy", "P1", "EV"] == approx(5) and buy["CN", "Dy", "P1", "wind"] == approx(2)
    use = sol.variables["use"]
    wind = use[(use["sector"] == "wind") & (use["value"] > 0)]
    assert "licensed:EV" not in set(wind["channel"])
    assert sol.value("run")["mm", "licensed:EV", "P1"] == approx(50)
    licence = sol.shadow("licence")
    assert licence["CN", "Dy", "P1", "EV"] == approx(0)
    assert licence["CN", "Dy", "P1", "wind"] == approx(4_800)
    assert licence["CN", "Dy", "P1", ""] == approx(4_800)
