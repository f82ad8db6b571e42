"""Write inputs/baseline/*.csv (the US baseline 2026-2030, "Baseline II") from the cited figures below.

    python docs/build_baseline.py

Every figure lives here once, with its source key ([Sx], [Dx]: ../shared/reference/domain_facts.md;
[Nx]: the sources added in docs/baseline.md) or the word "assumption", and every CSV row carries that
text in its `reference` cell. Edit a figure here and re-run; then `python docs/baseline_tables.py`.
Units: t (tonnes) and USD per t; annual figures are spread evenly over the quarters.
"""
from __future__ import annotations

import csv
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "inputs" / "baseline"
YEARS = [2026, 2027, 2028, 2029, 2030]
PERIODS = [f"{y}Q{q}" for y in YEARS for q in range(1, 5)]
BIG = 1_000_000  # a process limit that never binds (modelling device)

# ----------------------------------------------------------------------------------------------------------
# Sectors and service tiers
DEFENSE, EV, WIND, OTHER_E, OTHER_D = "defense", "EV", "wind", "other essential", "other deferrable"
CIVIL = [EV, WIND, OTHER_E, OTHER_D]
OTHER = f"{OTHER_E};{OTHER_D}"

# Materials
NDPR, DY, TB, SM, Y = "NdPr oxide", "Dy oxide", "Tb oxide", "Sm oxide", "Y oxide"
DEF, DEF_ALLIED = "NdFeB defense grade", "NdFeB defense grade (allied)"
EVG, WINDG, COMG = "NdFeB EV grade", "NdFeB wind grade", "NdFeB commercial grade"
NACELLE = "Wind magnets in imported nacelles"
SMCO, SMCO_ALLIED = "SmCo magnet", "SmCo magnet (allied)"
US_SLOT, GBD_SLOT, ALLIED_SLOT = "US sintering capacity", "US GBD capacity", "Allied magnet capacity"

CHINA = "China licensed"

# ----------------------------------------------------------------------------------------------------------
# Grades (domain_facts C "Grades", assumption within [S31] ranges) and oxide per t of magnet (C, derived)
NDPR_PER_T = 0.38  # 0.31 Nd+Pr / 0.857 oxide->metal / 0.95 yield
GRADES = {  # material: (Dy wt%, Tb wt%, basis)
    DEF: (4.5, 1.5, "defense grade 4.5 wt% Dy, 1.5 wt% Tb (domain_facts C; no platform figure public, E.a)"),
    EVG: (1.5, 0.5, "EV grade 1.5 wt% Dy, 0.5 wt% Tb (domain_facts C; [D5] suggests up to 3.3 wt%, weak)"),
    WINDG: (2.0, 0.0, "onshore PM wind grade 2 wt% Dy (domain_facts C)"),
    COMG: (1.0, 0.0, "commercial grade 1 wt% Dy (domain_facts C 'other')"),
}


def dy_per_t(material):
    return round(GRADES[material][0] / 100 / 0.871, 5)  # Dy2O3 per t = Dy wt% / 0.871


def tb_per_t(material):
    return round(GRADES[material][1] / 100 / 0.850, 5)  # Tb4O7 per t = Tb wt% / 0.850


GBD_HRE_FACTOR = 0.55  # GBD saves 30-60% of Dy/Tb at equal coercivity [D2]: midpoint 45%
CE_NDPR_FACTOR = 0.7  # Ce replaces 30% of the NdPr in low grades: assumption (Toyota halved Nd with La/Ce [D8])
SM_PER_SMCO = 0.29  # Sm2O3 per t Sm2Co17 = 0.25 / 0.862 (domain_facts C)

# ----------------------------------------------------------------------------------------------------------
# Prices, one basis: delivered to a US buyer (USD/t)
FX = 7.0  # yuan per USD: assumption
FREIGHT = 2_000  # China/Europe/Asia -> US freight and insurance, ~$2/kg: assumption
DOMESTIC_FREIGHT = 500  # US producer to US buyer, ~$0.5/kg: assumption (a domestic seller saves the ocean leg)
# Duty on Chinese NdFeB (HTS 8505.11) by quarter: 2.1% MFN + 25% s301 from 1 Jan 2026 + IEEPA 20% to 20 Feb 2026,
# then 15% s122 from 24 Feb to 24 Jul 2026 unless Congress extends it [D55-D58][N1]; days-weighted per quarter.
CN_MAGNET_DUTY = {"2026Q1": 0.451, "2026Q2": 0.421, "2026Q3": 0.309}
CN_MAGNET_DUTY_LATER = 0.271
# Duty on allied magnets: 2.1% MFN + 15% (IEEPA reciprocal, then s122 to 24 Jul 2026 [N1]); magnets are not among
# the s122 critical-mineral exemptions (assumption)
ALLIED_DUTY = {"2026Q1": 0.171, "2026Q2": 0.171, "2026Q3": 0.059}
ALLIED_DUTY_LATER = 0.021
DUTY_TEXT = ("duty 2.1% MFN + 25% s301 from 2026 + IEEPA 20% to 20 Feb 2026, 15% s122 24 Feb-24 Jul 2026 "
             "[D55-D58][N1]")

# Chinese oxides FOB (no extra duty: critical minerals exempt from s122 [N1]; no s301 line on RE oxides: assumption)
CN_FOB = {
    NDPR: (138_000, "FOB China Nd oxide Jan 2026 $128-148/kg [S43]"),
    DY: (291_000, "FOB China Jan 2026 $271-311/kg [S43]"),
    TB: (1_010_000, "USGS 2025 ~$1,010/kg, FOB-China basis [S13] (weak)"),
    Y: (8_000, "China domestic 55-57k yuan/t / 7.0 [S42] (no FOB quote found)"),
    SM: (32_500, "FOB China $30-35/kg May 2025 [D61] (weak)"),
}
# Ex-China oxides delivered to the US
NDPR_MARKET = round(744_000 / 1.13 / FX)  # China domestic ex-VAT: ex-China NdPr tracks China + freight [S42][S44]
NDPR_EXCHINA = NDPR_MARKET + FREIGHT
EX_CHINA = {
    NDPR: (NDPR_EXCHINA, "market price: ex-China NdPr tracks China + freight [S44]: 744k yuan/t / 1.13 VAT / 7.0 "
                         "[S42] + $2/kg freight"),
    DY: (900_000, "ex-China market: Rotterdam ~$900/kg Nov 2025 [D60] (Europe CIF $800 Jul 2025 [S44])"),
    TB: (3_625_000, "ex-China market: Europe CIF $3,625/kg Jul 2025 [S44]"),
    SM: (42_500, "ex-China market: Europe $40-45/kg [D61] (weak)"),
    Y: (270_000, "ex-China market: Europe $270/kg Nov 2025 [S47]"),
}
def domestic(material: str) -> int:
    """A US producer sells at the ex-China market price less the ocean freight it saves (assumption)."""
    return EX_CHINA[material][0] - FREIGHT + DOMESTIC_FREIGHT


DOMESTIC_TEXT = "US producer: ex-China market less the $2/kg ocean freight, plus $0.5/kg domestic (assumption)"

# Chinese magnet FOB 2026, average: $49/kg 2024 export value [S10] + 0.38 t x (PrNd Jan 2026 744k yuan/t / 7.0
# [S42] - Nd oxide 2024 $56/kg [S12]) = $68.1/kg (derived). Grade factors from China blank prices May 2025 [D4]
# (45SH 245, 40H 190, 40M 184.5 yuan/kg), normalised to the 2024 US import mix by class (derived below).
MAGNET_FOB_AVG = 49_000 + NDPR_PER_T * (744_000 / FX - 56_000)
BLANK_YUAN = {EVG: 245.0, WINDG: 190.0, COMG: 184.5}
# Allied magnets sold to US buyers (t/yr): 2024 non-Chinese direct imports 8,800 - 7,444 = 1,356 t [S9][S48]
# (derived; China was 85% of Q1-2025 import value), then +500 t/yr (assumption: Neo Narva, SGI Vietnam)
ALLIED_TO_US = [1356 + 500 * i for i in range(5)]
# Allied makers charge +15-20% over Chinese magnets [D62]: midpoint
ALLIED_PREMIUM = 1.175
# US conversion cost (sintering, machining, coating, margin) per t of finished magnet, derived: what a Chinese
# maker adds to its inputs (2026 FOB average less 0.38 t PrNd, Dy and Tb of the import mix at China domestic
# prices incl. VAT [S42]) plus the ex-China magnet premium of $10-30/kg [D62] (midpoint). Weak: no US cost is public.
MIX_DY_WT = 1.5 * 0.311 + 2.0 * 0.091 + 1.0 * 0.598  # wt% Dy of the 2024 import mix by class (EV, wind, other)
MIX_TB_WT = 0.5 * 0.311
CHINA_CONVERSION = (MAGNET_FOB_AVG - NDPR_PER_T * 744_000 / FX - MIX_DY_WT / 100 / 0.871 * 1_405_000 / FX
                    - MIX_TB_WT / 100 / 0.850 * 6_040_000 / FX)
SINTER_COST = round(CHINA_CONVERSION + 20_000, -2)
GBD_COST = round(0.1 * SINTER_COST, -2)  # GBD adds 5-15% to processing [D2]: 10% of the conversion cost

# ----------------------------------------------------------------------------------------------------------
# Demand (t/yr)
DEFENSE_NDFEB = [500, 525, 550, 580, 610]  # assumption consistent with 'tens-to-hundreds t/yr' [S34] (C1)
DEFENSE_SMCO = [100, 100, 105, 110, 115]  # assumption (weak) (C1)
EV_UNITS_M = [1.30, 1.40, 1.55, 1.70, 1.90]  # 2026 [S32]; later years assumption (C1)
EV_KG = 2.0  # kg NdFeB per EV [S18]
WIND_GW = [10.7, 12.7, 7.8, 7.8, 8.0]  # [S33]; 2028-29 split of 15.6 GW and 2030 assumption (C1)
OFFSHORE_GW = [2.0, 2.5, 0.8, 0.6, 0.5]  # assumption (C1)
OFFSHORE_T_PER_GW = 650  # 0.625-0.85 t/MW direct drive (Moss 2013) [S31]
ONSHORE_PM_SHARE, ONSHORE_T_PER_GW = 0.35, 250  # assumptions (C1); geared PM needs ~10% of DD magnet mass [D83]
OTHER_NDFEB = [5000, 5250, 5510, 5790, 6080]  # assumption (C1): brings 2026 use to ~10 kt
Y_TOTAL = [600, 620, 640, 660, 680]  # 470 t Y x 1.27 [S47] (derived), growth assumption (C1)
SM_OTHER = [120, 120, 125, 130, 135]  # assumption (weak) (C1)
ESSENTIAL_SHARE = 0.5  # share of 'other' use that is essential: assumption (no public split)

# ----------------------------------------------------------------------------------------------------------
# Penalties (USD/t unmet): the price above which the user would rather go without this period
PENALTY = {
    DEFENSE: (5_000_000, "$5,000/kg (domain_facts C1): defense is served before any civil use at any price seen"),
    EV: (300_000, "$300/kg (C1) = $600 per vehicle at 2 kg [S18]; above the +$300/vehicle RE-free motor [D20]"),
    WIND: (200_000, "$200/kg (C1) = ~$130k per MW of direct-drive generator at 0.65 t/MW [S31] (derived)"),
    OTHER_E: (300_000, "essential uses (industrial motors, pumps, HVAC, medical, hybrids): production stops; "
                       "set at the EV level, assumption"),
    OTHER_D: (150_000, "deferrable uses (consumer electronics, appliances, e-bikes, audio): ~6x China domestic "
                       "magnet prices [S14] on $20-37/kg blanks [D4] was still paid; above it users defer (derived)"),
}
Y_PENALTY = {
    OTHER_E: (1_000_000, "Y for aerospace coatings and chip tools: ~3x the highest ex-China ask ($350/kg [S46]); "
                         "assumption"),
    OTHER_D: (350_000, "Y for phosphors, ceramics, glass: Rotterdam asks >$350/kg Dec 2025 still traded [S46]; "
                       "above it users defer (revealed willingness to pay)"),
}

# ----------------------------------------------------------------------------------------------------------
# Chinese licences. Requested = what US buyers bought before controls: 2024 imports 7,444 t/yr [S9] (derived),
# split by end-use class in proportion to 2026 loose-magnet civil demand (assumption). Approval 0.74 by volume:
# Q1-2026 imports ~1,376 t (Dec 564 > Jan > Feb > Mar 406: 5th monthly fall [S9], midpoint of the bounds) /
# 2024 quarterly 1,861 t (derived). Application-count rates (EU autos 25%->60% [S7], Dexter 5/180 [S7]) are not
# volume rates: Oct-Dec 2025 US imports (1,802 t) were 97% of the 2024 quarter [S9].
IMPORTS_2024 = 7_444
MAGNET_APPROVAL = 0.74
LEAD = 1  # 45 working days [S6] ~ 0.7 quarter -> one quarter
OXIDE_CAPS = {  # t/yr licensed (domain_facts C2, assumption) at the CLEPA rate 0.6 [S7]
    DY: 50, TB: 10, Y: 300, SM: 50,
}
OXIDE_APPROVAL = 0.6
CN_NDPR_CAP = 2_000  # t/yr, not licensed (NdPr is not listed [S1]); assumption (C2)

# ----------------------------------------------------------------------------------------------------------
# US magnet plants: (name, description, phases [(nameplate t/yr added, first qualified quarter, basis)])
# Qualified output ramps 25/50/75/100% of the phase's nameplate over four quarters (assumption). Qualification
# lag: >= 12 months after first production for new entrants (MP: trial magnets Jan 2025 -> GM volume 2026, E.c),
# 2 quarters for an established magnet maker's new plant (PPAP 4-7 months [D23], weak).
PLANTS = [
    ("MP Independence", "MP Materials, Fort Worth TX (GM offtake ~1,000 t/yr [D24][D26]; Apple from 2027 [D67])", [
        (1000, "2026Q1", "1,000 t/yr [S18]; trial magnets Jan 2025, commercial line Q4 2025, GM ramp 2026 "
                         "[D24-D26]: qualified from 2026Q1"),
        (2000, "2027Q1", "expansion to 3,000 t/yr agreed [D26]; Apple shipments from 2027 [D67]: qualified from "
                         "2027Q1 (timing assumption)"),
    ]),
    ("MP 10X", "MP Materials 10X plant; DoD buys 100% of output (by DoW or syndicated) [S17][D66]", [
        (7000, "2029Q3", "~10,000 t/yr MP total with 10X [S17] less 3,000 at Fort Worth; commissioning 2028 "
                         "[S17] -> first production 2028Q3 (assumption) + 12-month qualification"),
    ]),
    ("eVAC Sumter", "e-VAC (VAC), Sumter SC; GM offtake, volumes undisclosed [D29]", [
        (2000, "2026Q2", "2,000 t/yr target [S23]; first US shipments ~end 2025 [S23]; established maker: "
                         "2-quarter qualification [D23] (weak)"),
    ]),
    ("Noveon", "Noveon Magnetics, San Marcos TX (Nidec 1,000 t over 5 yrs [S22]; GM from Jul 2025 [D32])", [
        (2000, "2025Q3", "2,000 t/yr plant [S22], producing since 2021; first big auto contract (GM) from Jul "
                         "2025 [D32][D33]: ramp from 2025Q3"),
    ]),
    ("USA Rare Earth", "USA Rare Earth, Stillwater OK", [
        (1200, "2027Q1", "Phase 1 1,200 t/yr [S24]; Line 1a target Q1 2026 [D31] + 12-month qualification"),
        (3600, "2029Q1", "to 4,800 t/yr nameplate [S24]; Phase 2 first production 2028Q1 (assumption) + 12 months"),
    ]),
    ("Vulcan Elements", "Vulcan Elements; $620M OSC loan + $50M CHIPS, Nov 2025 [S25]", [
        (10000, "2029Q4", "10,000 t/yr [S25]; first production 2028Q4, 3 yr after financing as MP 10X (Jul 2025 "
                          "-> 2028 [S17]) (assumption) + 12-month qualification"),
    ]),
]
DELAY_QUARTERS = 8  # announced-vs-actual slips of ~2 yr for MP, eVAC, USAR (E.c) -> magnet-delay scenario
DELAYED = {"MP Independence": 1, "MP 10X": 0, "USA Rare Earth": 0, "Vulcan Elements": 0}  # first phase delayed
NIRON = (1500, "2028Q1", "Niron Sartell MN 1,500 t/yr, ground broken Sep 2025, operating early 2027 [D21][D22] "
                         "+ 12-month qualification; unproven at scale (weak)")
GBD_CAPACITY = [0, 500, 1500, 3000, 5000]  # t/yr of US GBD capacity: assumption (no public figure)


def quarter_index(period: str) -> int:
    return PERIODS.index(period) if period in PERIODS else (
        (int(period[:4]) - 2026) * 4 + int(period[-1]) - 1)


def ramp(nameplate: float, qualified: str, shift: int = 0) -> list[float]:
    """t/quarter of qualified output: 25/50/75/100% of nameplate over the four quarters from `qualified`."""
    start = quarter_index(qualified) + shift
    return [nameplate / 4 * min(1.0, max(0, i - start + 1) / 4) for i in range(len(PERIODS))]


def plant_series(phases, delayed_from: int | None = None) -> list[float]:
    total = [0.0] * len(PERIODS)
    for n, (nameplate, qualified, _) in enumerate(phases):
        shift = DELAY_QUARTERS if delayed_from is not None and n >= delayed_from else 0
        total = [a + b for a, b in zip(total, ramp(nameplate, qualified, shift))]
    return [round(v, 4) for v in total]


# ----------------------------------------------------------------------------------------------------------
def per_quarter(annual: list[float]) -> list[float]:
    return [round(annual[YEARS.index(int(p[:4]))] / 4, 4) for p in PERIODS]


def year_of(period: str) -> int:
    return int(period[:4])


def fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"


class Sheets:
    def __init__(self):
        self.rows: dict[str, list[dict]] = {}

    def add(self, _table: str, /, **row):
        assert row.get("reference"), (_table, row)
        self.rows.setdefault(_table, []).append(row)

    def write(self):
        for sheet, rows in self.rows.items():
            columns = list(dict.fromkeys(k for r in rows for k in r if k != "reference")) + ["reference"]
            with (OUT / f"{sheet}.csv").open("w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                for r in rows:
                    writer.writerow({k: _cell(r.get(k)) for k in columns})


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e6 else f"{v:.0f}"
    return v



# ----------------------------------------------------------------------------------------------------------
def build() -> Sheets:
    s = Sheets()
    settings(s)
    periods(s)
    materials(s)
    sources(s)
    sectors(s)
    demand(s)
    supply_and_licences(s)
    processes(s)
    stockpiles(s)
    scenarios(s)
    uncertainty(s)
    return s


def settings(s):
    s.add("Settings", key="name", value="US baseline 2026-2030 (quarterly)",
          reference="assumption: the name printed on every result")
    s.add("Settings", key="currency", value="USD", reference="prices delivered to a US buyer, USD")
    s.add("Settings", key="discount_rate", value=0.0123, reference="assumption: 5%/yr real = 1.05^(1/4)-1 per quarter")


def periods(s):
    for p in PERIODS:
        s.add("Periods", period=p, reference="assumption: quarters, so the 45-working-day licence lag [S6], the "
                                              "10 Nov 2026 truce end [S3] and plant ramps fall in their quarter")


def materials(s):
    rows = [
        (NDPR, False, "neodymium-praseodymium oxide", "not listed in Ann. No.18 [S1] (domain_facts B.1)"),
        (DY, True, "dysprosium oxide", "Ann. No.18 [S1]"),
        (TB, True, "terbium oxide", "Ann. No.18 [S1]"),
        (SM, True, "samarium oxide", "Ann. No.18 [S1]"),
        (Y, True, "yttrium oxide", "Ann. No.18 [S1]"),
        (DEF, True, "sintered NdFeB, defense grade (4.5 wt% Dy, 1.5 wt% Tb), DFARS-compliant: made in the US "
                    "from non-Chinese oxide (clean chain) or, in 2026 only, accepted from allied makers",
         "grade: domain_facts C; DFARS 252.225-7052 [S41]; magnets containing Dy/Tb listed [S1][S2]"),
        (DEF_ALLIED, True, "defense-grade NdFeB made by allied makers whose Dy/Tb may be Chinese-refined: "
                           "DFARS-compliant until 31 Dec 2026 only (melted/produced outside China)",
         "DFARS: from 1 Jan 2027 also mined, refined, separated [S41]"),
        (EVG, True, "sintered NdFeB, EV traction grade (1.5 wt% Dy, 0.5 wt% Tb)", GRADES[EVG][2] + "; [S1]"),
        (WINDG, True, "sintered NdFeB, onshore PM generator grade (2 wt% Dy), loose magnets",
         GRADES[WINDG][2] + "; [S1]"),
        (COMG, True, "sintered NdFeB, commercial grade (1 wt% Dy) for industrial, HVAC, electronics, other",
         GRADES[COMG][2] + "; [S1]"),
        (NACELLE, True, "NdFeB inside imported wind nacelles (offshore direct drive, ~4 wt% Dy): not loose "
                        "magnets, so not under a US buyer's Chinese licence",
         "nacelle origins [D85-D87]; Ann. No.18 licenses the magnet export from China [S1], not the nacelle"),
        (SMCO, True, "samarium-cobalt magnet, DFARS-compliant (US-made from non-Chinese Sm)",
         "Ann. No.18 lists Sm incl. magnets [S1]; DFARS covers SmCo [S41]"),
        (SMCO_ALLIED, True, "SmCo made by allied makers from Sm of possibly Chinese origin: DFARS-compliant "
                            "until 31 Dec 2026 only", "[S1][S41]"),
        (US_SLOT, False, "one tonne of qualified US sintering capacity in the quarter (modelling device: plants "
                         "share it across grades)", "modelling device; plant capacities on sheet Processes"),
        (GBD_SLOT, False, "one tonne of US grain-boundary-diffusion capacity in the quarter (modelling device)",
         "modelling device; GBD [D2]"),
        (ALLIED_SLOT, False, "one tonne of allied magnet output sold to US buyers, any grade (modelling device)",
         "modelling device; allied supply domain_facts C2"),
    ]
    for m, controlled, description, ref in rows:
        s.add("Materials", material=m, export_controlled=controlled, description=description, reference=ref)


def sources(s):
    rows = [
        (CHINA, True, "CN", "Chinese exporters to US buyers: licensed (MOFCOM) where the material is listed; "
                            "NdPr oxide needs no licence", "domain_facts A1, B [S1][S2][S5]"),
        ("MP Materials", False, "US", "Mountain Pass separation incl. heavy-RE circuit", "[S16][S17][S19]"),
        ("Energy Fuels", False, "US", "White Mesa UT separation (Donald feed from 2027)", "[S28][D39][D40] (weak)"),
        ("Lynas", False, "AU/MY", "allied separator; share sold to US buyers", "[S21][D69]"),
        ("Solvay and Neo", False, "FR/EE", "EU separation (La Rochelle, Silmet)", "[S26][S27]"),
        ("Allied magnet makers", False, "JP/KR/VN/EE", "non-Chinese magnet makers whose oxide may be Chinese "
                                                        "(mixed origin)", "domain_facts C2 (assumption); [S26]"),
        ("Imported nacelles", False, "EU", "European turbine makers' nacelles with PM generators",
         "[D85][D86][D87]"),
        ("Recycling", False, "US", "recycled magnets (MP-Apple, Noveon, Cyclic)", "[S20][S29] (assumption)"),
        ("ReElement", False, "US", "US yttrium oxide", "[S47]"),
        ("Allied SmCo makers", False, "JP/EU", "non-Chinese SmCo makers, Sm of possibly Chinese origin",
         "assumption (weak): no public volume found"),
    ]
    for name, controlled, country, description, ref in rows:
        s.add("Sources", source=name, controlled=controlled, country=country, description=description, reference=ref)


def sectors(s):
    descriptions = {
        DEFENSE: ("DoD programmes; military end users refused by China [S2]", False),
        EV: ("EV traction motors", True),
        WIND: ("wind generators: loose magnets for US assembly and magnets inside imported nacelles", True),
        OTHER_E: ("essential other uses: industrial motors and pumps, HVAC, medical, hybrids, aerospace", True),
        OTHER_D: ("deferrable other uses: consumer electronics, appliances, e-bikes, audio", True),
    }
    for sector, (description, accepts) in descriptions.items():
        penalty, basis = PENALTY[sector]
        ref = basis + ("; refused by China [S2]" if not accepts else "")
        s.add("Sectors", sector=sector, shortfall_penalty=penalty, accepts_controlled=accepts,
              description=description, reference=ref)


def demand_rows(s, sector, material, annual, basis, penalty=None, penalty_basis=""):
    for p, v in zip(PERIODS, per_quarter(annual)):
        a = annual[YEARS.index(year_of(p))]
        ref = f"{year_of(p)}: {fmt(a)} t/yr; {basis}" + (f"; penalty {penalty_basis}" if penalty else "")
        s.add("Demand", sector=sector, material=material, period=p, demand_t=v,
              shortfall_penalty=penalty, reference=ref)


def wind_split():
    offshore = [gw * OFFSHORE_T_PER_GW for gw in OFFSHORE_GW]
    onshore = [(t - o) * ONSHORE_PM_SHARE * ONSHORE_T_PER_GW for t, o in zip(WIND_GW, OFFSHORE_GW)]
    return offshore, onshore


def demand(s):
    demand_rows(s, DEFENSE, DEF, DEFENSE_NDFEB, "assumption consistent with 'tens-to-hundreds t/yr' [S34] (C1); "
                                                 "DFARS-compliant grade [S41]")
    demand_rows(s, DEFENSE, SMCO, DEFENSE_SMCO, "assumption (weak) (C1); ~22 kg SmCo per F-35 [D10]")
    demand_rows(s, DEFENSE, Y, [v * 0.1 for v in Y_TOTAL], "10% of 470 t Y x 1.27 [S47] (derived), growth and "
                                                             "defense share assumption (C1)")
    demand_rows(s, EV, EVG, [u * 1000 * EV_KG for u in EV_UNITS_M],
                "units x 2 kg: 1.30M EVs 2026 [S32][S18], later years assumption (C1)")
    offshore, onshore = wind_split()
    demand_rows(s, WIND, NACELLE, offshore, "offshore GW x 0.65 t/MW [S31][S33] (C1); offshore nacelles imported: "
                                            "Vineyard (France), CVOW (Cuxhaven), Empire [D85-D87] (derived 100%)")
    demand_rows(s, WIND, WINDG, onshore, "onshore GW x 35% PM share x 0.25 t/MW, assumptions (C1); loose magnets "
                                         "for US-assembled nacelles/generators (assumption: embedded share small)")
    share = {OTHER_E: ESSENTIAL_SHARE, OTHER_D: 1 - ESSENTIAL_SHARE}
    for sector in (OTHER_E, OTHER_D):
        tier = "essential" if sector == OTHER_E else "deferrable"
        demand_rows(s, sector, COMG, [v * share[sector] for v in OTHER_NDFEB],
                    f"{share[sector]:.0%} ({tier} share, assumption) of other NdFeB; other total assumption, "
                    "2026 use ~10 kt vs ~8.8 kt direct imports 2024 [S9][S48] (C1)")
        demand_rows(s, sector, Y, [v * 0.9 * share[sector] for v in Y_TOTAL],
                    f"{share[sector]:.0%} ({tier}, assumption) of 90% of Y demand [S47] (C1)",
                    penalty=Y_PENALTY[sector][0], penalty_basis=Y_PENALTY[sector][1])
        demand_rows(s, sector, SM, [v * share[sector] for v in SM_OTHER],
                    f"{share[sector]:.0%} ({tier}, assumption) of other Sm oxide, assumption (weak) (C1)")


# ----------------------------------------------------------------------------------------------------------
def magnet_fob() -> dict[str, float]:
    """Chinese FOB by grade (USD/t), normalised so the 2024 import mix averages MAGNET_FOB_AVG."""
    shares = class_shares()
    mean = sum(BLANK_YUAN[g] * shares[g] for g in BLANK_YUAN)
    return {g: MAGNET_FOB_AVG * BLANK_YUAN[g] / mean for g in BLANK_YUAN}


def class_shares() -> dict[str, float]:
    _, onshore = wind_split()
    loose = {EVG: EV_UNITS_M[0] * 1000 * EV_KG, WINDG: onshore[0], COMG: OTHER_NDFEB[0]}
    total = sum(loose.values())
    return {g: v / total for g, v in loose.items()}


def cn_magnet_price(grade: str, period: str) -> float:
    duty = CN_MAGNET_DUTY.get(period, CN_MAGNET_DUTY_LATER)
    return round(magnet_fob()[grade] * (1 + duty) + FREIGHT, -2)


def allied_price(grade: str, period: str) -> float:
    duty = ALLIED_DUTY.get(period, ALLIED_DUTY_LATER)
    return round(magnet_fob()[grade] * ALLIED_PREMIUM * (1 + duty) + FREIGHT, -2)


def allied_defense_fob() -> float:
    """Allied defense grade: EV grade plus the extra Dy/Tb at Chinese FOB prices (derived)."""
    extra = (dy_per_t(DEF) - dy_per_t(EVG)) * CN_FOB[DY][0] + (tb_per_t(DEF) - tb_per_t(EVG)) * CN_FOB[TB][0]
    return magnet_fob()[EVG] + extra


def supply_rows(s, source, material, capacities, prices, text, min_take=None):
    """Per-period rows, or one `*` row when capacity and price never change."""
    if len(set(capacities)) == 1 and len(set(prices)) == 1:
        s.add("Supply", source=source, material=material, period="*", capacity_t=capacities[0], price=prices[0],
              min_take_t=min_take, reference=text(None))
        return
    for p, c, pr in zip(PERIODS, capacities, prices):
        if c == 0:
            continue  # not producing yet: no row (no purchase possible, nothing to report as a binding limit)
        s.add("Supply", source=source, material=material, period=p, capacity_t=c, price=pr, min_take_t=min_take,
              reference=text(p))


def supply_and_licences(s):
    shares = class_shares()
    fob = magnet_fob()
    classes = [(EVG, EV, "EV makers"), (WINDG, WIND, "wind OEMs"), (COMG, OTHER, "other users")]
    for grade, end_use, who in classes:
        requested = round(IMPORTS_2024 * shares[grade] / 4, 4)
        prices = [cn_magnet_price(grade, p) for p in PERIODS]
        supply_rows(
            s, CHINA, grade, [requested] * 20, prices,
            lambda p, g=grade, r=requested: (
                f"capacity = requested {fmt(r * 4)} t/yr (the licence binds); FOB ${fob[g] / 1000:.1f}/kg = 2026 "
                f"average ${MAGNET_FOB_AVG / 1000:.1f}/kg ($49 [S10] + 0.38 x PrNd rise [S42][S12]) x grade factor "
                f"[D4] (derived); x (1 + {CN_MAGNET_DUTY.get(p, CN_MAGNET_DUTY_LATER):.1%} duty) + $2/kg freight; "
                + DUTY_TEXT))
        common = dict(source=CHINA, material=grade, requested_t=requested, approval_rate=MAGNET_APPROVAL,
                      end_use=end_use)
        ref = (f"licences for {who}: requested = 2024 US imports 7,444 t/yr [S9] x {shares[grade]:.1%} class share "
               f"(2026 loose civil demand, assumption); approval 0.74 by volume = Q1-2026 run-rate ~1,376 t/q / "
               f"2024 1,861 t/q [S9] (derived); general licences for named customers since Dec 2025 [S5][D48]; "
               f"none for defense [S2][S7]")
        s.add("Licences", licence=f"China {grade} for {who} quarterly", period="*", lead_time=LEAD, **common,
              reference=ref + "; 45 working days [S6] -> 1 quarter")
        s.add("Licences", licence=f"China {grade} for {who} pipeline", period="2026Q1", lead_time=0, **common,
              reference="applications of 2025Q4 delivering 2026Q1 (approved before the horizon): same volume; "
                        "Oct-Dec 2025 imports 1,802 t [S9]")
    for oxide, cap in OXIDE_CAPS.items():
        requested = round(cap / OXIDE_APPROVAL / 4, 4)
        price = CN_FOB[oxide][0] + FREIGHT
        s.add("Supply", source=CHINA, material=oxide, period="*", capacity_t=requested, price=price,
              reference=f"capacity = requested (the licence binds); {CN_FOB[oxide][1]} + $2/kg freight")
        common = dict(source=CHINA, material=oxide, requested_t=requested, approval_rate=OXIDE_APPROVAL)
        ref = (f"{cap} t/yr licensed = {fmt(requested)} t/quarter x 0.6 (CLEPA [S7]); cap assumption (domain_facts "
               "C2); no public oxide approvals by end use: any civil destination")
        s.add("Licences", licence=f"China {oxide} quarterly", period="*", lead_time=LEAD, **common,
              reference=ref + "; 45 working days [S6] -> 1 quarter")
        s.add("Licences", licence=f"China {oxide} pipeline", period="2026Q1", lead_time=0, **common,
              reference="applications of 2025Q4 delivering 2026Q1: same volume, assumption")
    s.add("Supply", source=CHINA, material=NDPR, period="*", capacity_t=CN_NDPR_CAP / 4,
          price=CN_FOB[NDPR][0] + FREIGHT,
          reference=f"{CN_NDPR_CAP} t/yr assumption (C2), no licence (not listed [S1]); {CN_FOB[NDPR][1]} "
                    "+ $2/kg freight; the China-domestic ex-VAT price is not what a US buyer pays")

    # US and allied oxide
    mp_ndpr = [4000, 5000, 6000, 6000, 6000]
    supply_rows(s, "MP Materials", NDPR, per_quarter(mp_ndpr), [domestic(NDPR)] * 20,
                lambda p: (f"{year_of(p)}: {fmt(mp_ndpr[year_of(p) - 2026])} t/yr; exit run-rate ~4,000 t/yr "
                           f"[S16], later ramp assumption; {EX_CHINA[NDPR][1]}; {DOMESTIC_TEXT}; the DoD $110/kg "
                           "floor is a "
                           "DoD-to-MP transfer, not a buyer cost [S17][D63]"))
    hre = {DY: ([0, 0, 10, 10] + [18.75] * 4 + [37.5] * 12, "MP heavy-RE circuit >200 t/yr Dy+Tb at 3:1 [S19]; "
                "commissioning mid-2026 [D27]; 20 t 2026, 75 t 2027, 150 t/yr from 2028 (ramp assumption, C2)"),
           TB: ([0, 0, 3.5, 3.5] + [6.25] * 4 + [12.5] * 12, "MP heavy-RE circuit at 3:1 [S19]; 7 t 2026, 25 t 2027, "
                "50 t/yr from 2028 (ramp assumption, C2)")}
    for oxide, (caps, basis) in hre.items():
        supply_rows(s, "MP Materials", oxide, caps, [domestic(oxide)] * 20,
                    lambda p, b=basis, o=oxide: f"{b}; {EX_CHINA[o][1]}; {DOMESTIC_TEXT}")
    supply_rows(s, "MP Materials", SM, [0] * 8 + [12.5] * 12, [domestic(SM)] * 20,
                lambda p: f"Sm oxide by 2028 [S19]; 50 t/yr assumption (weak); {EX_CHINA[SM][1]}; {DOMESTIC_TEXT}")

    ef_ndpr = [300, 500, 1000, 3000, 6000]
    supply_rows(s, "Energy Fuels", NDPR, per_quarter(ef_ndpr), [domestic(NDPR)] * 20,
                lambda p: (f"{year_of(p)}: {fmt(ef_ndpr[year_of(p) - 2026])} t/yr; Phase 1 850-1,000 t/yr, Phase 2 "
                           f">6,000 t/yr commissioning Q1 2029 [S28] (weak), ramp assumption; {EX_CHINA[NDPR][1]}; "
                           f"{DOMESTIC_TEXT}"))
    ef = {DY: ([0, 0, 0, 0.25], [46, 92, 120, 240], "commercial Dy/Tb from Q4 2026 [D39]; Donald feed from 2027 "
               "~92 t Dy/yr [D40] (weak, half in 2027: assumption); Phase 2 ~240 t/yr [S28] (weak)"),
          TB: ([0, 0, 0, 0.05], [8, 16, 33, 66], "Tb from Q4 2026 [D39]; Donald ~16 t Tb/yr [D40] (weak, half in "
               "2027); Phase 2 ~66 t/yr [S28] (weak)"),
          SM: ([0, 0, 0, 0], [64.5, 129, 129, 129], "Donald feed ~129 t Sm/yr from 2027 [D40] (weak, half in 2027)")}
    for oxide, (first, later, basis) in ef.items():
        caps = first + [v / 4 for v in later for _ in range(4)]
        supply_rows(s, "Energy Fuels", oxide, caps, [domestic(oxide)] * 20,
                    lambda p, b=basis, o=oxide: f"{b}; {EX_CHINA[o][1]}; {DOMESTIC_TEXT}")

    s.add("Supply", source="Lynas", material=NDPR, period="*", capacity_t=500, price=EX_CHINA[NDPR][0],
          reference="2,000 t/yr: ~20% of 10,500 t/yr NdPr to US buyers, assumption [S21]; >=5,000 t/yr to Japan "
                    f"(JARE, Mar 2026) [D69]; {EX_CHINA[NDPR][1]}")
    lynas_hre = 100 * 0.5 * 0.5  # ~100 t/yr Dy+Tb [D38] (derived) x 50% not to JARE [D69] x 50% to US (assumption)
    for oxide, share in ((DY, 0.75), (TB, 0.25)):
        s.add("Supply", source="Lynas", material=oxide, period="*", capacity_t=round(lynas_hre * share / 4, 4),
              price=EX_CHINA[oxide][0],
              reference=f"{lynas_hre * share:g} t/yr: Lynas HRE ~100 t/yr (26 t in Oct-Dec 2025 [D38], derived) x "
                        f"50% not reserved for JARE [D69] x 50% to US buyers (assumption) x Dy:Tb 3:1 (assumption); "
                        f"{EX_CHINA[oxide][1]}")
    supply_rows(s, "Lynas", SM, [0] + [3.75] * 3 + [6.25] * 16, [EX_CHINA[SM][0]] * 20,
                lambda p: f"HRE plant Sm from Apr 2026 [S21]; 15 t 2026, 25 t/yr later: US share and volume "
                          f"assumption (weak); {EX_CHINA[SM][1]}")
    eu = [300, 500, 800, 1200, 1500]
    supply_rows(s, "Solvay and Neo", NDPR, per_quarter(eu), [EX_CHINA[NDPR][0]] * 20,
                lambda p: (f"{year_of(p)}: {fmt(eu[year_of(p) - 2026])} t/yr; assumption within [S26][S27]; "
                           f"{EX_CHINA[NDPR][1]}"))

    # Allied magnets: one capacity, sold in any grade (processes 'Allied ... grade' add the grade premium)
    allied = ALLIED_TO_US
    supply_rows(s, "Allied magnet makers", ALLIED_SLOT, per_quarter(allied),
                [allied_price(COMG, p) for p in PERIODS],
                lambda p: (f"{year_of(p)}: {fmt(allied[year_of(p) - 2026])} t/yr: 2024 non-Chinese direct imports "
                           "~8,800 - 7,444 = 1,356 t [S9][S48] (derived), +500 t/yr growth (Neo Narva 2 kt from Sep "
                           "2025 [S26], SGI Vietnam): assumption; price = commercial grade: Chinese FOB x 1.175 "
                           "(ex-China "
                           f"premium +15-20% [D62]) x (1 + {ALLIED_DUTY.get(p, ALLIED_DUTY_LATER):.1%} duty: 2.1% "
                           "MFN + 15% to 24 Jul 2026 [N1]) + $2/kg freight"))
    offshore, _ = wind_split()
    nacelle_price = round(fob[WINDG] + FREIGHT, -2)
    supply_rows(s, "Imported nacelles", NACELLE, per_quarter(offshore), [nacelle_price] * 20,
                lambda p: (f"{year_of(p)}: {fmt(offshore[year_of(p) - 2026])} t/yr = offshore magnet demand: every "
                           "offshore nacelle is imported [D85-D87]; magnet value = Chinese wind-grade FOB + freight "
                           "(duty on the nacelle not attributed, assumption); exposed only to the 0.1% rule [S2][D52]"))
    recycling = [200, 500, 800, 1100, 1500]
    supply_rows(s, "Recycling", COMG, per_quarter(recycling), [70_000] * 20,
                lambda p: (f"{year_of(p)}: {fmt(recycling[year_of(p) - 2026])} t/yr; assumption [S20][S29] (C2); "
                           "$70/kg assumption; feed of unknown origin: not DFARS clean chain"))
    s.add("Supply", source="ReElement", material=Y, period="*", capacity_t=50, price=domestic(Y),
          reference=f"200 t/yr initial [S47]; {EX_CHINA[Y][1]}; {DOMESTIC_TEXT}")
    s.add("Supply", source="Allied SmCo makers", material=SMCO_ALLIED, period="*", capacity_t=15, price=150_000,
          reference="60 t/yr and $150/kg: assumption (weak), no public volume or price found")


# ----------------------------------------------------------------------------------------------------------
def substitute(s, process, capacities, cost, description, text, replaces, reference):
    """A substitute needing no rare earths: each unit removes one tonne of `replaces` demand."""
    process_rows(s, process, capacities, cost, description, text)
    recipe(s, process, replaces, output_t=1, reference=reference)


def process_rows(s, process, capacities, cost, description, text):
    if len(set(capacities)) == 1:
        s.add("Processes", process=process, period="*", capacity=capacities[0], cost=cost, description=description,
              reference=text(None))
        return
    for p, c in zip(PERIODS, capacities):
        if c == 0:
            continue  # not running yet: no row
        s.add("Processes", process=process, period=p, capacity=c, cost=cost, description=description,
              reference=text(p))


def recipe(s, process, material, input_t=None, output_t=None, reference=""):
    s.add("Recipes", process=process, material=material, input_t=input_t, output_t=output_t, reference=reference)


def base_plant_capacity() -> dict[str, list[float]]:
    return {name: plant_series(phases) for name, _, phases in PLANTS}


def delayed_plant_capacity() -> dict[str, list[float]]:
    return {name: plant_series(phases, DELAYED[name]) for name, _, phases in PLANTS if name in DELAYED}


def niron_series(shift=0):
    return [round(v, 4) for v in ramp(NIRON[0], NIRON[1], shift)]


def processes(s):
    # US plants: each makes qualified sintering capacity (t/quarter), shared by the grade processes below
    for name, description, phases in PLANTS:
        caps = plant_series(phases)
        basis = "; ".join(b for _, _, b in phases)
        process_rows(s, name, caps, SINTER_COST, description + " (t magnet)",
                     lambda p, c=caps, b=basis: (
                         f"{p}: {fmt(c[PERIODS.index(p)] * 4)} t/yr qualified; {b}; ramp 25/50/75/100% over 4 "
                         f"quarters (assumption); conversion ${SINTER_COST / 1000:.1f}/kg: China's implied "
                         f"${CHINA_CONVERSION / 1000:.1f}/kg "
                         "(2026 magnet FOB less oxide content at domestic prices [S10][S42], derived) + ex-China "
                         "premium $10-30/kg [D62] (midpoint); weak" if p else b))
        recipe(s, name, US_SLOT, output_t=1, reference="one tonne of qualified sintering capacity per unit")
    gbd = per_quarter(GBD_CAPACITY)
    process_rows(s, "US GBD furnaces", gbd, GBD_COST, "grain-boundary diffusion furnaces at US plants (t magnet)",
                 lambda p: (f"{year_of(p)}: {fmt(GBD_CAPACITY[year_of(p) - 2026])} t/yr: assumption (no public "
                            "figure; VAC runs GBD in Germany); +5-15% processing cost [D2]: 10% of conversion, "
                            f"${GBD_COST / 1000:.1f}/kg"))
    recipe(s, "US GBD furnaces", GBD_SLOT, output_t=1, reference="one tonne of GBD capacity per unit")

    # Grade processes: bulk-alloyed grades, GBD Dy-lean grades, Ce-substituted commercial grade
    for grade in (DEF, EVG, WINDG, COMG):
        name = f"US bulk {grade}"
        process_rows(s, name, [BIG], 0, f"US plants make {grade}, bulk-alloyed Dy/Tb (t magnet)",
                     lambda p: "no own limit: bounded by US sintering capacity (modelling device)")
        recipe(s, name, US_SLOT, input_t=1, reference="uses one tonne of US sintering capacity")
        recipe(s, name, NDPR, input_t=NDPR_PER_T, reference="0.31 Nd+Pr / 0.857 oxide->metal / 0.95 yield "
                                                             "(domain_facts C, derived)")
        recipe(s, name, DY, input_t=dy_per_t(grade), reference=f"{GRADES[grade][0]} wt% Dy / 0.871 (derived); "
                                                                + GRADES[grade][2])
        if tb_per_t(grade):
            recipe(s, name, TB, input_t=tb_per_t(grade), reference=f"{GRADES[grade][1]} wt% Tb / 0.850 (derived); "
                                                                    + GRADES[grade][2])
        recipe(s, name, grade, output_t=1, reference="one tonne of magnet per unit")
    gbd_def_caps = [0] * 8 + [BIG] * 12
    for grade, caps, text in (
            (EVG, [BIG], lambda p: "no own limit: bounded by US GBD capacity (modelling device)"),
            (DEF, gbd_def_caps, lambda p: ("defense re-qualification of GBD grades: no public figure (E.b); none "
                                           "before 2028 (assumption), then bounded by US GBD capacity"))):
        name = f"US GBD {grade}"
        process_rows(s, name, caps, 0, f"US plants make {grade} by grain-boundary diffusion: same coercivity, "
                                       "less Dy/Tb (thin magnets only [D2]) (t magnet)", text)
        recipe(s, name, US_SLOT, input_t=1, reference="uses one tonne of US sintering capacity")
        recipe(s, name, GBD_SLOT, input_t=1, reference="uses one tonne of US GBD capacity")
        recipe(s, name, NDPR, input_t=NDPR_PER_T, reference="as bulk grade (domain_facts C)")
        recipe(s, name, DY, input_t=round(dy_per_t(grade) * GBD_HRE_FACTOR, 5),
               reference="GBD saves 30-60% Dy/Tb at equal HcJ [D2]: 45% less than bulk (midpoint)")
        recipe(s, name, TB, input_t=round(tb_per_t(grade) * GBD_HRE_FACTOR, 5),
               reference="GBD saves 30-60% Dy/Tb at equal HcJ [D2]: 45% less than bulk (midpoint)")
        recipe(s, name, grade, output_t=1, reference="one tonne of magnet per unit")
    ce_caps = per_quarter([0.2 * v for v in OTHER_NDFEB])
    name = "US Ce-substituted commercial grade"
    process_rows(s, name, ce_caps, 0, "US plants make low-grade Ce-substituted NdFeB for uses that tolerate it "
                                      "(speakers, e-bikes, some industrial [D14]) (t magnet)",
                 lambda p: (f"{year_of(p)}: 20% of other NdFeB demand suits Ce-substituted grades: assumption "
                            "(Ce-NdFeB took 18% of global CeO2 use, mostly displacing ferrite [D14])"))
    recipe(s, name, US_SLOT, input_t=1, reference="uses one tonne of US sintering capacity")
    recipe(s, name, NDPR, input_t=round(NDPR_PER_T * CE_NDPR_FACTOR, 4),
           reference="30% of NdPr replaced by Ce: assumption (Toyota halved Nd with La/Ce [D8])")
    recipe(s, name, COMG, output_t=1, reference="one tonne of commercial-grade equivalent; no Dy")

    # Substitutes that need no rare earths
    rf_share = [0, 0.05, 0.10, 0.15, 0.20]
    ev_t = [u * 1000 * EV_KG for u in EV_UNITS_M]
    rf_caps = per_quarter([t * share for t, share in zip(ev_t, rf_share)])
    substitute(s, "RE-free EV motors", rf_caps, 150_000,
               "EV platforms switched to wound-rotor (EESM) or induction motors: t of EV-grade magnet no longer needed",
               lambda p: (f"{year_of(p)}: {rf_share[year_of(p) - 2026]:.0%} of EV magnet demand (assumption: "
                          "~5-yr platform change, Renault/Valeo 2022->2027 [D18]; BMW Gen6 EESM in series since "
                          "Aug 2025 [D17]); cost +$300/vehicle [D20] / 2 kg [S18] = $150/kg (derived)"),
               EVG, "one tonne of EV-grade magnet demand removed (magnet equivalent)")
    ferrite_share = [0, 0.05, 0.10, 0.15, 0.20]
    substitute(s, "Ferrite redesign", per_quarter([t * share for t, share in zip(OTHER_NDFEB, ferrite_share)]),
               100_000, "other uses redesigned around ferrite magnets (~1/10 the strength of NdFeB [D15]): t of "
                        "commercial-grade NdFeB no longer needed",
               lambda p: (f"{year_of(p)}: {ferrite_share[year_of(p) - 2026]:.0%} of other NdFeB demand (assumption; "
                          "redesign ~18 months, Ola [D16] weak); $100/kg equivalent: assumption (no public cost)"),
               COMG, "one tonne of commercial-grade magnet demand removed")
    substitute(s, "Niron iron nitride", niron_series(), 100_000,
               "iron-nitride magnets replacing low-grade NdFeB (t equivalent)",
               lambda p: (f"{p}: {fmt(niron_series()[PERIODS.index(p)] * 4)} t/yr; {NIRON[2]}; $100/kg "
                          "equivalent as ferrite redesign: assumption"),
               COMG, "one tonne of commercial-grade equivalent (assumption: 1:1)")

    # SmCo
    s.add("Processes", process="US SmCo magnet making", period="*", capacity=37.5, cost=50_000,
          description="US SmCo plants (EEC/Permag, the only North American SmCo maker [D12]) (t magnet)",
          reference="150 t/yr and $50/kg incl. cobalt: assumption (weak), no public capacity; DFARS-compliant "
                    "target 2027 [D12]")
    recipe(s, "US SmCo magnet making", SM, input_t=SM_PER_SMCO, reference="0.25 / 0.862 (domain_facts C, derived)")
    recipe(s, "US SmCo magnet making", SMCO, output_t=1, reference="one tonne of magnet per unit")
    smco_caps = [0] * 4 + per_quarter([0.1 * v for v in DEFENSE_NDFEB])[4:]
    name = "SmCo in place of defense NdFeB"
    process_rows(s, name, smco_caps, 50_000, "defense designs switched from NdFeB to SmCo (t NdFeB equivalent)",
                 lambda p: (f"{year_of(p)}: 10% of defense NdFeB demand from 2027 (assumption: defense "
                            "re-qualification has no public figure (E.b), >= 12 months); redesign $50/kg assumption"))
    recipe(s, name, SMCO, input_t=1.3, reference="1.3 t SmCo per t NdFeB: lower energy product (assumption)")
    recipe(s, name, DEF, output_t=1, reference="one tonne of defense-grade NdFeB demand served")

    # Allied magnets by grade (premium over commercial at the later duty rate)
    fob = magnet_fob()
    for grade, fob_grade, text in (
            (COMG, fob[COMG], "commercial grade: the allied capacity price"),
            (EVG, fob[EVG], "EV grade premium: 45SH vs 40M blanks [D4]"),
            (WINDG, fob[WINDG], "wind grade premium: 40H vs 40M blanks [D4]"),
            (DEF_ALLIED, allied_defense_fob(), "defense grade premium: EV grade + extra Dy/Tb at Chinese FOB "
                                               "[S43][S13] (derived)")):
        name = f"Allied {grade}"
        premium = round((fob_grade - fob[COMG]) * ALLIED_PREMIUM * (1 + ALLIED_DUTY_LATER), -2)
        process_rows(s, name, [BIG], premium, f"allied makers deliver {grade} (t magnet)",
                     lambda p, t=text, pr=premium: f"{t}; +${pr / 1000:.1f}/kg x 1.175 [D62] x 1.021 duty (derived); "
                                                   "no own limit: bounded by allied capacity")
        recipe(s, name, ALLIED_SLOT, input_t=1, reference="uses one tonne of allied magnet capacity")
        recipe(s, name, grade, output_t=1, reference="one tonne of magnet per unit")

    # DFARS: until 31 Dec 2026 an allied-made magnet counts; from 1 Jan 2027 only a clean chain [S41]
    for allied, clean in ((DEF_ALLIED, DEF), (SMCO_ALLIED, SMCO)):
        name = f"DFARS 2026 acceptance of {allied}"
        for p in PERIODS[:4]:  # no row from 2027: the process does not exist then
            s.add("Processes", process=name, period=p, capacity=BIG, cost=0,
                  description="until 31 Dec 2026 DFARS asks only where a magnet is melted or produced: allied "
                              "magnets qualify (modelling device)",
                  reference="DFARS 252.225-7052: 'melted or produced' until 2026; from 1 Jan 2027 also 'mined, "
                            "refined, separated', so no row from 2027Q1: no allied magnet of unknown oxide origin "
                            "qualifies [S41]")
        recipe(s, name, allied, input_t=1, reference="modelling device: one tonne accepted")
        recipe(s, name, clean, output_t=1, reference="modelling device: one tonne accepted")


# ----------------------------------------------------------------------------------------------------------
NDS_ROWS = [  # material, initial, max_acquire per quarter, size_cost (delivered clean price), max_size
    (NDPR, 100, 25, EX_CHINA[NDPR][0], 380, "2 yr of defense NdPr (500 t x 0.38 x 2)"),
    (DEF, 50, 25, None, 1000, "2 yr of defense NdFeB"),
    (DY, 5, 2, EX_CHINA[DY][0], 52, "2 yr of defense Dy (500 t x 0.0517 x 2)"),
    (TB, 1, 0.5, EX_CHINA[TB][0], 18, "2 yr of defense Tb (500 t x 0.0176 x 2)"),
    (SMCO, 10, 5, 150_000, 200, "2 yr of defense SmCo"),
    (Y, 20, 10, EX_CHINA[Y][0], 120, "2 yr of defense Y"),
]


def us_defense_grade_cost():
    return round(NDPR_PER_T * EX_CHINA[NDPR][0] + dy_per_t(DEF) * EX_CHINA[DY][0] + tb_per_t(DEF) * EX_CHINA[TB][0]
                 + SINTER_COST, -2)


def stockpiles(s):
    for material, initial, acquire, price, max_size, size_basis in NDS_ROWS:
        price = price or us_defense_grade_cost()
        s.add("Stockpiles", stockpile="NDS", material=material, initial_t=initial, origin="free",
              reserved_for=DEFENSE, end_min_t=initial, max_release_t=0,
              max_acquire_t=acquire, holding_cost=round(price * 0.005), sizable=True, size_cost=price,
              max_size_t=max_size,
              reference=f"initial {initial} t: placeholder, no public NDS rare-earth inventory (domain_facts C3, "
                        f"[D79]) [S37]; held in peacetime: no release, end level = initial (national "
                        f"defense only, not for economic purposes; release by Presidential or emergency order "
                        f"[D71][D72]); acquisitions within ~$150M/yr for REEs [S38] (assumption); holding 0.5%/quarter "
                        f"of value (assumption); sizable at the clean delivered price ${price / 1000:,.1f}/kg up to "
                        f"{max_size} t = {size_basis} (assumption)")
    month = {EVG: 220, WINDG: 60, COMG: 420}
    for material, initial in month.items():
        price = cn_magnet_price(material, "2026Q4")
        s.add("Stockpiles", stockpile="Industry buffer", material=material, initial_t=initial, origin="controlled",
              min_level_t=initial, end_min_t=initial, max_release_t=0, holding_cost=round(price * 0.005),
              reference="~1 month of civil loose-magnet use (8,361 t/yr, split by class) held by magnet users, "
                        "mostly Chinese-made: assumption; working stock kept in normal times (floor = end level = "
                        "initial, no release), drawn down in a disruption; holding 0.5%/quarter (assumption)")
    vault = {EVG: (round(EV_UNITS_M[0] * 1000 * EV_KG * 60 / 365), allied_price(EVG, "2026Q1")),
             COMG: (round(OTHER_NDFEB[0] * 60 / 365), allied_price(COMG, "2026Q1"))}
    for material, (max_size, price) in vault.items():
        s.add("Stockpiles", stockpile="Project Vault", material=material, initial_t=0, origin="free",
              reserved_for=";".join(CIVIL), max_release_t=0, max_acquire_t=0, holding_cost=round(price * 0.005),
              sizable=True, size_cost=price, max_size_t=max_size,
              reference=f"civil reserve, $12bn, 60-day supply target, not yet stocked [S39]; released only in a "
                        f"declared disruption (assumption, as the NDS); sizable up to 60 days of "
                        f"2026 use ({max_size} t) at the allied delivered price of 2026Q1 ${price / 1000:.1f}/kg "
                        "(derived)")
    s.add("Stockpiles", stockpile="Legacy Sm stock", material=SM, initial_t=29, origin="free",
          reference="1970s Sm stock in France used by US SmCo makers, said to last ~1 yr [D10][D13] (weak): "
                    "~1 yr of US defense SmCo (100 t x 0.29, derived)")


# ----------------------------------------------------------------------------------------------------------
SCENARIOS = [
    ("base", 0.40, "truce holds: April 2025 licensing in force, October 2025 controls suspended [S3]; DFARS clean "
                   "chain for defense from 2027 [S41]"),
    ("snap-back", 0.20, "October 2025 controls return on 10 Nov 2026: Q4-2026 deliveries at 8% of base, approvals "
                        "then 60% of base for magnets and 25% for oxides; 0.1% rule halves allied mixed-origin supply; "
                        "NDS release authorised (domain_facts C3)"),
    ("full-denial", 0.10, "no controlled flow to US buyers from 2026Q4 (every licence applied for from 2026Q3 "
                          "refused, Chinese NdPr stopped); 0.1% rule with zero approvals stops allied mixed-origin "
                          "supply; NDS release authorised"),
    ("china-out", 0.05, "stress: China exports nothing to anyone from 2026Q3, including licences already approved; "
                        "allied mixed-origin supply stops and allied separators sell half as much to US buyers; NDS "
                        "release authorised"),
    ("approval-25", 0.10, "approval rates fall to 25% (early-2025 CLEPA [S7]) for applications from 2026Q2 on; "
                          "licences already approved untouched"),
    ("magnet-delay", 0.10, "US magnet plants not yet producing (MP expansion and 10X, USA Rare Earth, Vulcan, "
                           "Niron) two years late, the slip seen at MP, eVAC and USAR (E.c)"),
    ("defense-surge", 0.05, "defense magnet, SmCo and Y demand doubles from 2027 (assumption); NDS release "
                            "authorised"),
]


def periods_from(first: str) -> str:
    return ";".join(PERIODS[PERIODS.index(first):])


def override(s, scenario, sheet, column, operation, value, reference, **keys):
    s.add("Overrides", scenario=scenario, sheet=sheet, column=column, operation=operation, value=value,
          **{k: keys.get(k) for k in ("source", "material", "sector", "period", "process", "stockpile", "licence")},
          reference=reference)


def release_nds(s, scenario, why):
    override(s, scenario, "Stockpiles", "min_level_t", "set", 0, f"NDS floor lifted: {why} [D71]", stockpile="NDS")
    override(s, scenario, "Stockpiles", "max_release_t", "set", "no limit", f"NDS release authorised: {why} [D71]",
             stockpile="NDS")


def release_vault(s, scenario):
    override(s, scenario, "Stockpiles", "max_release_t", "set", "no limit", "civil reserve released in a declared "
             "disruption [S39] (assumption)", stockpile="Project Vault")


def release_buffer(s, scenario):
    for column in ("min_level_t", "end_min_t"):
        override(s, scenario, "Stockpiles", column, "set", 0, "users draw down their working stock in a disruption "
                 "(not rebuilt within the horizon): assumption", stockpile="Industry buffer")
    override(s, scenario, "Stockpiles", "max_release_t", "set", "no limit", "users draw their working stock in a "
             "disruption: assumption", stockpile="Industry buffer")


def declare_disruption(s, scenario, start):
    """Every reserve released: the NDS (a declared disruption from `start`), industry buffers, Project Vault."""
    release_nds(s, scenario, f"declared disruption from {start}")
    release_buffer(s, scenario)
    release_vault(s, scenario)


def scenarios(s):
    for name, probability, description in SCENARIOS:
        s.add("Scenarios", scenario=name, probability=probability, description=description,
              reference="probability: assumption (judgement; stockpile studies vary it); " + description)
    quarterly = ";".join(r["licence"] for r in s.rows["Licences"] if r["licence"].endswith("quarterly"))
    magnets = ";".join(r["licence"] for r in s.rows["Licences"]
                       if r["licence"].endswith("quarterly") and "NdFeB" in r["licence"])
    oxides = ";".join(r["licence"] for r in s.rows["Licences"]
                      if r["licence"].endswith("quarterly") and "NdFeB" not in r["licence"])
    mixed = "Allied magnet makers;Allied SmCo makers;Imported nacelles"

    # snap-back
    override(s, "snap-back", "Licences", "approval_rate", "scale", 0.08,
             "deliveries in 2026Q4 (applied 2026Q3) fall to 8% of base: US imports May vs Mar 2025, 46/585 [S9] "
             "(domain_facts C3); customs held every magnet in Apr-May 2025 [D42]", licence=quarterly, period="2026Q3")
    override(s, "snap-back", "Licences", "approval_rate", "scale", 0.6,
             "magnet approvals recover to 60% of base: CLEPA [S7] (domain_facts C3)", licence=magnets,
             period=periods_from("2026Q4"))
    override(s, "snap-back", "Licences", "approval_rate", "scale", 0.25,
             "Dy, Tb, Y, Sm approvals at 25% of base: assumption (domain_facts C3)", licence=oxides,
             period=periods_from("2026Q4"))
    override(s, "snap-back", "Supply", "capacity_t", "scale", 0.5,
             "0.1% rule (>=0.1% Chinese-origin RE by value [D52]) returns: allied mixed-origin supply -50%, "
             "assumption (domain_facts B.7, C3); allied separators of non-Chinese ore are outside the rule",
             source=mixed, period=periods_from("2026Q4"))
    declare_disruption(s, "snap-back", "2026Q4")

    # full denial: the same start as snap-back, nothing controlled flows afterwards
    override(s, "full-denial", "Licences", "approval_rate", "set", 0,
             "every licence applied for from 2026Q3 refused: no controlled delivery from 2026Q4 (the 10 Nov 2026 "
             "truce end [S3]); licences delivered up to 2026Q3 untouched", source=CHINA, period=periods_from("2026Q3"))
    override(s, "full-denial", "Supply", "capacity_t", "set", 0,
             "no controlled flow at all: Chinese NdPr oxide (not licensed) stops too from 2026Q4", source=CHINA,
             period=periods_from("2026Q4"))
    override(s, "full-denial", "Supply", "capacity_t", "set", 0,
             "0.1% rule with zero approvals: allied goods with Chinese-origin RE [D52] cannot be licensed for US "
             "buyers; stricter than snap-back's -50%", source=mixed, period=periods_from("2026Q4"))
    declare_disruption(s, "full-denial", "2026Q4")

    # China out: everything from 2026Q3, including approved licences; allies compete for ex-China oxide
    override(s, "china-out", "Licences", "approval_rate", "set", 0,
             "stress: nothing leaves China from 2026Q3, including licences already approved (applied 2026Q2)",
             source=CHINA, period=periods_from("2026Q2"))
    override(s, "china-out", "Supply", "capacity_t", "set", 0, "stress: no Chinese flow at all from 2026Q3",
             source=CHINA, period=periods_from("2026Q3"))
    override(s, "china-out", "Supply", "capacity_t", "set", 0,
             "stress: allied makers lose their Chinese oxide: mixed-origin supply stops", source=mixed,
             period=periods_from("2026Q3"))
    override(s, "china-out", "Supply", "capacity_t", "scale", 0.5,
             "stress: allies' own industries bid for ex-China oxide (Japan holds 65% of Mt Weld Dy/Tb [S21], "
             "JARE >=5,000 t/yr NdPr [D69]): half to US buyers, assumption", source="Lynas;Solvay and Neo",
             period=periods_from("2026Q3"))
    declare_disruption(s, "china-out", "2026Q3")

    # approval-25: only applications from 2026Q2 on; pipeline and 2026Q1 applications untouched
    override(s, "approval-25", "Licences", "approval_rate", "set", 0.25,
             "25% approval, early-2025 CLEPA [S7], for applications from 2026Q2 (deliveries from 2026Q3); licences "
             "approved earlier, incl. the 2025Q4 pipeline, untouched", licence=quarterly, period=periods_from("2026Q2"))
    release_buffer(s, "approval-25")
    release_vault(s, "approval-25")

    # magnet-delay: two years late
    base, delayed = base_plant_capacity(), delayed_plant_capacity()
    for plant, series in list(delayed.items()) + [("Niron iron nitride", niron_series(DELAY_QUARTERS))]:
        old = base.get(plant, niron_series())
        changed = {}
        for p, a, b in zip(PERIODS, old, series):
            if a != b:
                changed.setdefault(b, []).append(p)
        for value, ps in changed.items():
            override(s, "magnet-delay", "Processes", "capacity", "set", value,
                     f"{plant}: qualified capacity of {DELAY_QUARTERS} quarters earlier ({fmt(value * 4)} t/yr): "
                     "~2-yr slips at MP, eVAC, USAR (E.c)", process=plant, period=";".join(ps))

    # defense surge
    override(s, "defense-surge", "Demand", "demand_t", "scale", 2,
             "defense demand doubles from 2027: assumption", sector=DEFENSE, period=periods_from("2027Q1"))
    release_nds(s, "defense-surge", "mobilisation: release for defense production [D71]")


# ----------------------------------------------------------------------------------------------------------
def uncertainty(s):
    rows = [
        dict(sheet="Licences", column="approval_rate", operation="set", distribution="triangular", low=0.25,
             mode=0.74, high=0.97, source=CHINA,
             licence=";".join(r["licence"] for r in s.rows["Licences"]
                              if r["licence"].endswith("quarterly") and "NdFeB" in r["licence"]),
             period=periods_from("2026Q2"),
             reference="magnet approvals by volume from 2026Q2: low 0.25 (early-2025 CLEPA [S7]), mode 0.74 (Q1-2026 "
                       "run-rate [S9], derived), high 0.97 (Oct-Dec 2025 vs 2024 [S9], derived)"),
        dict(sheet="Licences", column="approval_rate", operation="set", distribution="uniform", low=0.1, high=0.8,
             source=CHINA,
             licence=";".join(r["licence"] for r in s.rows["Licences"]
                              if r["licence"].endswith("quarterly") and "NdFeB" not in r["licence"]),
             period=periods_from("2026Q2"),
             reference="oxide approvals from 2026Q2: assumption around the CLEPA range 25-60% [S7]"),
        dict(sheet="Stockpiles", column="max_release_t", operation="set", distribution="bernoulli", probability=0.4,
             value=1e6, stockpile="NDS;Project Vault",
             reference="a declared disruption authorises releases (p 0.4 = the scenario library's disruption "
                       "probabilities: snap-back 0.2, full denial 0.1, china-out 0.05, defense surge 0.05; NDS release "
                       "by Presidential or emergency order [D71]; Vault as the NDS, assumption): no release limit"),
        dict(sheet="Supply", column="capacity_t", operation="scale", distribution="bernoulli", probability=0.3,
             value=0.5, source="Allied magnet makers;Allied SmCo makers;Imported nacelles",
             period=periods_from("2026Q4"),
             reference="0.1% rule returns after the truce (p 0.3 ~ snap-back + denial probabilities, assumption): "
                       "allied mixed-origin supply halved (domain_facts C3)"),
        dict(sheet="Processes", column="capacity", operation="scale", distribution="uniform", low=0.4, high=1.0,
             process="MP 10X", period=periods_from("2029Q3"),
             reference="MP 10X ramp shortfall or delay: every US plant slipped ~2 yr (E.c); assumption"),
        dict(sheet="Processes", column="capacity", operation="scale", distribution="uniform", low=0.4, high=1.0,
             process="Vulcan Elements", period=periods_from("2029Q4"),
             reference="Vulcan ramp shortfall or delay: start date not public; slips ~2 yr (E.c); assumption"),
        dict(sheet="Processes", column="capacity", operation="scale", distribution="uniform", low=0.4, high=1.0,
             process="USA Rare Earth", period=periods_from("2027Q1"),
             reference="USA Rare Earth ramp shortfall or delay: 2024 start slipped ~2 yr (E.c); assumption"),
        dict(sheet="Processes", column="capacity", operation="scale", distribution="bernoulli", probability=0.5,
             value=0, process="Niron iron nitride",
             reference="iron nitride unproven at scale, expert doubt [D6][D21]: p 0.5 of no output, assumption"),
        dict(sheet="Processes", column="capacity", operation="scale", distribution="uniform", low=0.5, high=1.5,
             process="US GBD furnaces",
             reference="US GBD capacity has no public figure: +/-50% around the assumed ramp (assumption)"),
        dict(sheet="Processes", column="capacity", operation="scale", distribution="uniform", low=0.0, high=1.0,
             process="US Ce-substituted commercial grade",
             reference="share of other uses that tolerate Ce-substituted grades is an assumption (20%): 0-100% of it "
                       "[D14]"),
        dict(sheet="Supply", column="capacity_t", operation="scale", distribution="uniform", low=0.0, high=1.0,
             source="Energy Fuels", material=f"{DY};{TB};{SM}", period=periods_from("2027Q1"),
             reference="Energy Fuels heavy rare earths rest on weak sources [S28][D40]: 0-100% of stated volume"),
        dict(sheet="Demand", column="demand_t", operation="scale", distribution="triangular", low=0.8, mode=1.0,
             high=1.2, sector=EV, period=periods_from("2027Q1"),
             reference="EV sales growth after 2026 is an assumption (C1): +/-20%"),
        dict(sheet="Demand", column="demand_t", operation="scale", distribution="triangular", low=0.9, mode=1.0,
             high=1.15, sector=OTHER, period=periods_from("2027Q1"),
             reference="other NdFeB, Y and Sm use after 2026: assumption (C1), -10%/+15%"),
        dict(sheet="Demand", column="demand_t", operation="scale", distribution="bernoulli", probability=0.1,
             value=2, sector=DEFENSE, period=periods_from("2027Q1"),
             reference="defense surge (demand x2 from 2027) with p 0.1: assumption"),
    ]
    for r in rows:
        s.add("Uncertainty", **{k: r.get(k) for k in ("sheet", "column", "operation", "distribution", "low", "mode",
                                                        "high", "probability", "value", "source", "material",
                                                        "sector", "period", "process", "stockpile", "licence")},
              reference=r["reference"])


def main() -> None:
    sheets = build()
    sheets.write()
    print(f"wrote {len(sheets.rows)} sheets to {OUT}: "
          + ", ".join(f"{k} {len(v)}" for k, v in sheets.rows.items()))


if __name__ == "__main__":
    main()
