"""Cases solved on paper: objective, plan and shadow prices (SPEC §3, §4 sign convention).

Each case's working is in its docstring so a reader can check every asserted number by hand.
"""
import pytest

from tests.conftest import BASE

approx = pytest.approx


def test_a_defense_refuses_controlled_supply_while_ev_takes_it(solve_case):
    """One period. CN (controlled) sells magnets at 10 under a licence of 100 t; US (free) sells 30 t at 50.
    Defense (refuses controlled, penalty 1000) needs 50 t; EV (penalty 100) needs 60 t.

    Defense can only use free material: all 30 US tonnes, 20 t short. EV buys 60 t from CN.
    Objective = 30·50 + 60·10 + 20·1000 = 22,100.
    Shadow prices: US capacity 1000 − 50 = 950 (a US tonne replaces a defense shortfall);
    licence 0 (60 < 100); free balance 1000; controlled balance 10; demand defense 1000, EV 10.
    """
    _, plan, sol = solve_case({
        **BASE,
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                   {"source": "US", "material": "mag", "capacity_t": 30, "price": 50}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": 100}],
        "Sectors": [{"sector": "defense", "shortfall_penalty": 1000, "accepts_controlled": "no"},
                    {"sector": "EV", "shortfall_penalty": 100}],
        "Demand": [{"sector": "defense", "material": "mag", "demand_t": 50},
                   {"sector": "EV", "material": "mag", "demand_t": 60}],
    })
    assert sol.objective == approx(22_100)
    use = sol.value("use")
    assert use["defense", "mag", "free", "P1"] == approx(30)
    assert ("defense", "mag", "controlled", "P1") not in use.index  # no such variable at all
    assert use["EV", "mag", "controlled", "P1"] == approx(60)
    assert sol.value("short")["defense", "mag", "P1"] == approx(20)
    assert sol.value("short")["EV", "mag", "P1"] == approx(0)
    assert sol.shadow("supply_capacity")["US", "mag", "P1"] == approx(950)
    assert sol.shadow("licence")["CN", "mag", "P1", ""] == approx(0)
    balance = sol.shadow("balance")
    assert balance["mag", "free", "P1"] == approx(1000)
    assert balance["mag", "controlled", "P1"] == approx(10)
    assert sol.shadow("demand")["defense", "mag", "P1"] == approx(1000)
    assert sol.shadow("demand")["EV", "mag", "P1"] == approx(10)


def test_b_licence_with_approval_rate_and_lead_time(solve_case):
    """Three periods, no discounting. CN sells up to 1000 t a period at 10; EV needs 30 t a period (penalty 100).
    Licence A applied in P1: 100 t × 0.4 approved, lead time 1 → 40 t deliverable in P2.
    Licence B applied in P2: 50 t, lead time 2 → would arrive in P4, beyond the horizon: dropped.

    Caps: P1 0, P2 40, P3 0. EV is short 30 in P1 and P3, served in P2.
    Objective = 30·100 + 30·10 + 30·100 = 6,300.
    Licence shadow prices: P1 and P3 100 − 10 = 90 (binding at 0, holds up to cap 30);
    P2 0 (40 > 30 bought), holding for any cap ≥ 30.
    """
    _, plan, sol = solve_case({
        "Periods": [{"period": p} for p in ("P1", "P2", "P3")],
        "Materials": BASE["Materials"], "Sources": BASE["Sources"][:1],
        "Supply": [{"source": "CN", "material": "mag", "period": "*", "capacity_t": 1000, "price": 10}],
        "Licences": [{"licence": "A", "source": "CN", "material": "mag", "period": "P1", "requested_t": 100,
                      "approval_rate": 0.4, "lead_time": 1},
                     {"licence": "B", "source": "CN", "material": "mag", "period": "P2", "requested_t": 50,
                      "approval_rate": 1, "lead_time": 2}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 100}],
        "Demand": [{"sector": "EV", "material": "mag", "period": "*", "demand_t": 30}],
    })
    assert sol.objective == approx(6_300)
    licence = sol.rows["licence"].merge(sol.licence_ranges).set_index("period")
    assert list(licence["rhs"]) == approx([0, 40, 0])
    assert list(licence["shadow_price"]) == approx([90, 0, 90])
    assert list(sol.value("buy")) == approx([0, 30, 0])
    assert licence.loc["P1", "range_high_t"] == approx(30)
    assert licence.loc["P2", "range_low_t"] == approx(30)
    assert licence.loc["P2", "range_high_t"] == float("inf")


def test_c_process_turns_oxide_into_magnets_under_shared_capacity(solve_case):
    """One period. Oxide 'ox' (not export-controlled) from CN (controlled) at 5 and from US (free) at 8, 100 t each.
    Process 'mm': 2 t ox → 1 t mag at cost 2 per unit, capacity 50 units shared by all channels.
    Defense (refuses controlled, penalty 1000) needs 30 t mag; EV (penalty 100) needs 40 t mag.

    Defense's 30 t must be made from US oxide in the free channel: 30·(2·8 + 2) = 540.
    The 20 units of capacity left make EV magnets from CN oxide: 20·(2·5 + 2) = 240; EV is 20 t short: 2,000.
    Objective = 540 + 240 + 2,000 = 2,780.
    Shadow prices: process capacity 100 − 12 = 88 (one more unit makes one more EV magnet);
    a free magnet is worth 18 (its free-channel cost) + 88 (capacity it frees for EV) = 106;
    a controlled magnet 100 (EV shortfall); free oxide 8; controlled oxide 5.
    """
    _, plan, sol = solve_case({
        **{**BASE, "Materials": [{"material": "ox", "export_controlled": "FALSE"},
                                 {"material": "mag", "export_controlled": "TRUE"}]},
        "Supply": [{"source": "CN", "material": "ox", "capacity_t": 100, "price": 5},
                   {"source": "US", "material": "ox", "capacity_t": 100, "price": 8}],
        "Processes": [{"process": "mm", "capacity": 50, "cost": 2}],
        "Recipes": [{"process": "mm", "material": "ox", "input_t": 2},
                    {"process": "mm", "material": "mag", "output_t": 1}],
        "Sectors": [{"sector": "defense", "shortfall_penalty": 1000, "accepts_controlled": "FALSE"},
                    {"sector": "EV", "shortfall_penalty": 100}],
        "Demand": [{"sector": "defense", "material": "mag", "demand_t": 30},
                   {"sector": "EV", "material": "mag", "demand_t": 40}],
    })
    assert sol.objective == approx(2_780)
    run = sol.value("run")
    assert run["mm", "free", "P1"] == approx(30)
    assert run["mm", "controlled", "P1"] == approx(20)
    assert sol.value("short")["EV", "mag", "P1"] == approx(20)
    assert sol.shadow("process_capacity")["mm", "P1"] == approx(88)
    balance = sol.shadow("balance")
    assert balance["mag", "free", "P1"] == approx(106)
    assert balance["mag", "controlled", "P1"] == approx(100)
    assert balance["ox", "free", "P1"] == approx(8)
    assert balance["ox", "controlled", "P1"] == approx(5)
    assert sol.cost_parts["processing"] == approx(100)


def test_d_stockpile_reserved_for_defense_only_defense_draws_including_through_a_process(solve_case):
    """One period. CN (controlled) sells magnets at 10 under a 100 t licence. Process 'mm': 2 ox → 1 mag at 2.
    Stockpile NDS, reserved for defense: 20 t ox and 5 t mag. Defense (refuses controlled, penalty 1000)
    needs 20 t mag; EV (penalty 100) needs 110 t mag.

    Defense: 5 t mag released + 10 t made from the 20 t of reserved oxide (cost 20) → 5 t short (5,000).
    EV: 100 t from CN (1,000), 10 t short (1,000) although the stockpile could have covered it.
    Objective = 20 + 5,000 + 1,000 + 1,000 = 7,020.
    Shadow prices: licence 100 − 10 = 90; a tonne more of stocked magnet saves 1,000 and of stocked
    oxide 0.5·(1,000 − 2) = 499 (stock-balance rows); the reserved channel prices the same.
    """
    _, plan, sol = solve_case({
        **{**BASE, "Materials": [{"material": "ox", "export_controlled": "FALSE"},
                                 {"material": "mag", "export_controlled": "TRUE"}]},
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 1000, "price": 10}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": 100}],
        "Processes": [{"process": "mm", "capacity": 100, "cost": 2}],
        "Recipes": [{"process": "mm", "material": "ox", "input_t": 2},
                    {"process": "mm", "material": "mag", "output_t": 1}],
        "Sectors": [{"sector": "defense", "shortfall_penalty": 1000, "accepts_controlled": "FALSE"},
                    {"sector": "EV", "shortfall_penalty": 100}],
        "Demand": [{"sector": "defense", "material": "mag", "demand_t": 20},
                   {"sector": "EV", "material": "mag", "demand_t": 110}],
        "Stockpiles": [{"stockpile": "NDS", "material": "ox", "initial_t": 20, "reserved_for": "defense"},
                       {"stockpile": "NDS", "material": "mag", "initial_t": 5, "reserved_for": "defense"}],
    })
    assert sol.objective == approx(7_020)
    use = sol.value("use")
    assert use["defense", "mag", "reserved:NDS", "P1"] == approx(15)
    assert not any(key[2] == "reserved:NDS" for key in use.index if key[0] == "EV")
    assert sol.value("run")["mm", "reserved:NDS", "P1"] == approx(10)
    assert sol.value("short")["EV", "mag", "P1"] == approx(10)
    assert sol.value("short")["defense", "mag", "P1"] == approx(5)
    assert sol.shadow("licence")["CN", "mag", "P1", ""] == approx(90)
    stock = sol.shadow("stock_balance")
    assert stock["NDS", "mag", "P1"] == approx(1000)
    assert stock["NDS", "ox", "P1"] == approx(499)
    assert sol.shadow("balance")["ox", "reserved:NDS", "P1"] == approx(499)


@pytest.mark.parametrize("periods, settings, expected_objective, expected_p2_capacity_value", [
    # discount_rate 0.1: δ = 1, 1/1.1. Each period: 10 t bought at 100 and 5 t short at 1000 = 6,000.
    # Objective = 6,000 + 6,000/1.1 = 11,454.5454…; one more P2 tonne saves (1000 − 100)/1.1 = 818.18…
    ([{"period": "P1"}, {"period": "P2"}], [{"key": "discount_rate", "value": 0.1}], 6000 + 6000 / 1.1, 900 / 1.1),
    # an explicit discount_factor column wins over the rate: 6,000 + 0.5·6,000 = 9,000; capacity value 450
    ([{"period": "P1", "discount_factor": 1}, {"period": "P2", "discount_factor": 0.5}],
     [{"key": "discount_rate", "value": 0.1}], 9000, 450),
])
def test_e_discounting(solve_case, periods, settings, expected_objective, expected_p2_capacity_value):
    _, plan, sol = solve_case({
        "Settings": settings, "Periods": periods,
        "Materials": BASE["Materials"], "Sources": BASE["Sources"][1:],
        "Supply": [{"source": "US", "material": "mag", "period": "*", "capacity_t": 10, "price": 100}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 1000}],
        "Demand": [{"sector": "EV", "material": "mag", "period": "*", "demand_t": 15}],
    })
    assert sol.objective == approx(expected_objective)
    capacity = sol.shadow("supply_capacity")
    assert capacity["US", "mag", "P1"] == approx(900)
    assert capacity["US", "mag", "P2"] == approx(expected_p2_capacity_value)


@pytest.mark.parametrize("requested, objective, shadow, low, high", [
    # Cap 40: CN 40 t, US 30 t, 30 t short → 400 + 1,800 + 6,000 = 8,200. A licensed tonne replaces a
    # shortfall: 200 − 10 = 190, until the shortfall is gone at cap 70 (and down to cap 0).
    (40, 8_200, 190, 0, 70),
    # Cap 80: CN 80 t, US 20 t → 800 + 1,200 = 2,000. A licensed tonne replaces a US tonne: 60 − 10 = 50,
    # from cap 70 (where shortfall would reappear) to 100 (CN's capacity; US no longer bought).
    (80, 2_000, 50, 70, 100),
])
def test_f_licence_ranging_known_on_paper(solve_case, requested, objective, shadow, low, high):
    """CN (controlled) up to 100 t at 10 under one licence; US (free) 30 t at 60; EV needs 100 t (penalty 200)."""
    _, plan, sol = solve_case({
        **BASE,
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                   {"source": "US", "material": "mag", "capacity_t": 30, "price": 60}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": requested}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 100}],
    })
    assert sol.objective == approx(objective)
    row = sol.rows["licence"].merge(sol.licence_ranges).iloc[0]
    assert row["shadow_price"] == approx(shadow)
    assert row["range_low_t"] == approx(low)
    assert row["range_high_t"] == approx(high)
