"""The input schema: every sheet and column of SPEC §2, in one place.

Reading, validation, the template workbook and its About sheet are all driven by these tables, so a
column is described exactly once: its kind (how a cell is parsed and checked), unit, default and
meaning.
"""
from __future__ import annotations

from dataclasses import dataclass, field

INF = float("inf")
# The largest magnitude of any number in an input (HiGHS reads 1e20 and above as infinity): a cell beyond
# it is an error naming the cell. Where a column's default is "no limit", leave it blank or write `inf`.
MAX_MAGNITUDE = 1e12
# The largest discount factor, given or computed from discount_rate, so that factor × price stays below 1e18.
MAX_DISCOUNT_FACTOR = 1e6
ALL_PERIODS = "*"
CHANNEL_FREE = "free"
CHANNEL_CONTROLLED = "controlled"
BASE = "base"  # the scenario with no overrides
OPERATIONS = ("set", "scale", "add")
DISTRIBUTIONS = ("uniform", "triangular", "bernoulli")

# Column kinds. Each maps to one parser in planner.validate.
ID = "id"  # a name defined by this sheet
REF = "ref"  # a name defined in another sheet (`refers_to`)
PERIOD = "period"  # a period name, or `*`/blank for every period
REF_LIST = "ref_list"  # `;`-separated names defined in another sheet
QUANTITY = "quantity"  # number >= 0
RATE = "rate"  # number in [0, 1]
COUNT = "count"  # whole number >= 0
FACTOR = "factor"  # number > 0
NUMBER = "number"  # any finite number (every number: |x| <= MAX_MAGNITUDE)
BOOL = "bool"  # TRUE/FALSE, yes/no, y/n, 1/0
TEXT = "text"  # free text
CHOICE = "choice"  # one of `choices`
VALUE = "value"  # a number or a text, depending on the row (Settings, Overrides)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    meaning: str
    unit: str = ""
    required: bool = False
    default: object = None
    refers_to: str | None = None
    key: bool = False
    choices: tuple[str, ...] = ()
    example: object = None

    @property
    def default_text(self) -> str:
        if self.required:
            return "required"
        if self.default is None:
            return ""
        if self.default == INF:
            return "no limit"
        if self.kind == PERIOD:
            return "* (every period)"
        return str(self.default).upper() if isinstance(self.default, bool) else str(self.default)


@dataclass(frozen=True)
class Sheet:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    required: bool = False
    key_columns: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def id_column(self) -> Column | None:
        return next((c for c in self.columns if c.kind == ID), None)

    @property
    def period_column(self) -> Column | None:
        return next((c for c in self.columns if c.kind == PERIOD), None)


def _period(meaning="period; * or blank = every period; a row for a specific period overrides the * row"):
    return Column("period", PERIOD, meaning, refers_to="Periods", key=True, default=ALL_PERIODS, example="2026")


def _ref(name, sheet, meaning, *, required=True, key=True, example=None):
    return Column(name, REF, meaning, required=required, refers_to=sheet, key=key, example=example)


SHEETS: tuple[Sheet, ...] = (
    Sheet("Settings", "Run-wide settings, one key per row", (
        Column("key", CHOICE, "setting name", required=True, key=True,
               choices=("name", "currency", "discount_rate", "risk_weight", "cvar_alpha", "branch_period"),
               example="currency"),
        Column("value", VALUE, "setting value", required=True, example="USD"),
    ), key_columns=("key",)),
    Sheet("Periods", "The planning horizon, in order from top to bottom", (
        Column("period", ID, "period name", required=True, key=True, example="2026"),
        Column("discount_factor", FACTOR, "present-value factor; default (1+discount_rate)^-i for the i-th period",
               example=1.0),
    ), required=True, key_columns=("period",)),
    Sheet("Materials", "Traded forms of material: oxides, metals, magnets", (
        Column("material", ID, "material name", required=True, key=True, example="Dy oxide"),
        Column("export_controlled", BOOL, "shipments from controlled sources need a licence", default=False,
               example=True),
        Column("description", TEXT, "free text"),
    ), required=True, key_columns=("material",)),
    Sheet("Sources", "Suppliers", (
        Column("source", ID, "source name", required=True, key=True, example="China licensed"),
        Column("controlled", BOOL, "a Chinese-controlled flow, subject to the licensing regime", default=False,
               example=True),
        Column("country", TEXT, "country of the source", example="CN"),
        Column("description", TEXT, "free text"),
    ), required=True, key_columns=("source",)),
    Sheet("Supply", "What each source can deliver per period and at what price", (
        _ref("source", "Sources", "source", example="China licensed"),
        _ref("material", "Materials", "material delivered", example="Dy oxide"),
        _period(),
        Column("capacity_t", QUANTITY, "most the source can deliver in the period", unit="t", required=True,
               example=50),
        Column("price", QUANTITY, "price per tonne", unit="currency/t", required=True, example=290000),
        Column("min_take_t", QUANTITY, "least that must be bought (take-or-pay)", unit="t", default=0.0),
    ), required=True, key_columns=("source", "material", "period")),
    Sheet("Licences", "Export licences applied for; requested_t × approval_rate arrives lead_time periods later", (
        Column("licence", TEXT, "licence name (optional)", key=True, example="L-2026-Dy"),
        _ref("source", "Sources", "controlled source the licence is for", example="China licensed"),
        _ref("material", "Materials", "export-controlled material", example="Dy oxide"),
        _period("period in which the licence is applied for; * or blank = every period"),
        Column("requested_t", QUANTITY, "tonnes applied for", unit="t", required=True, example=50),
        Column("approval_rate", RATE, "share of the request that is approved", unit="fraction", default=1.0,
               example=0.6),
        Column("lead_time", COUNT, "periods between application and delivery", unit="periods", default=0,
               example=1),
        Column("end_use", REF_LIST, "sectors the licence names as its destination (; separated): the licensed "
               "tonnes, and whatever is made from them, serve only these; blank = any sector that accepts "
               "controlled supply", refers_to="Sectors", key=True, example="EV"),
    ), key_columns=("licence", "source", "material", "period", "end_use")),
    Sheet("Sectors", "Demand sectors", (
        Column("sector", ID, "sector name", required=True, key=True, example="defense"),
        Column("shortfall_penalty", QUANTITY, "cost of one tonne of unmet demand", unit="currency/t",
               required=True, example=5000000),
        Column("accepts_controlled", BOOL, "may use material from controlled sources", default=True, example=False),
        Column("description", TEXT, "free text"),
    ), required=True, key_columns=("sector",)),
    Sheet("Demand", "Demand per sector, material and period", (
        _ref("sector", "Sectors", "sector", example="EV"),
        _ref("material", "Materials", "material demanded", example="NdFeB magnet"),
        _period(),
        Column("demand_t", QUANTITY, "tonnes demanded", unit="t", required=True, example=2600),
        Column("shortfall_penalty", QUANTITY, "penalty per unmet tonne; blank = the sector's", unit="currency/t"),
    ), required=True, key_columns=("sector", "material", "period")),
    Sheet("Processes", "Domestic or allied conversion steps (separation, metal making, magnet making, substitution)", (
        Column("process", ID, "process name", required=True, key=True, example="US magnet making"),
        _period(),
        Column("capacity", QUANTITY, "activity units per period", unit="units", required=True, example=1000),
        Column("cost", QUANTITY, "cost per unit of activity", unit="currency/unit", default=0.0, example=20000),
        Column("description", TEXT, "free text"),
    ), key_columns=("process", "period")),
    Sheet("Recipes", "Tonnes consumed and produced per unit of process activity", (
        _ref("process", "Processes", "process", example="US magnet making"),
        _ref("material", "Materials", "material consumed or produced", example="NdPr oxide"),
        Column("input_t", QUANTITY, "tonnes consumed per unit of activity", unit="t/unit", default=0.0, example=0.38),
        Column("output_t", QUANTITY, "tonnes produced per unit of activity", unit="t/unit", default=0.0),
    ), key_columns=("process", "material")),
    Sheet("Stockpiles", "One row per stockpile and material", (
        Column("stockpile", ID, "stockpile name", required=True, key=True, example="NDS"),
        _ref("material", "Materials", "material held", example="Dy oxide"),
        Column("initial_t", QUANTITY, "tonnes held before the first period", unit="t", required=True, example=5),
        Column("origin", CHOICE, "channel acquisitions are drawn from (and releases go to unless reserved)",
               default=CHANNEL_FREE, choices=(CHANNEL_FREE, CHANNEL_CONTROLLED)),
        Column("reserved_for", REF_LIST, "sectors that alone may draw on the stockpile (; separated)",
               refers_to="Sectors", example="defense"),
        Column("min_level_t", QUANTITY, "floor on the level at the end of every period", unit="t", default=0.0),
        Column("max_level_t", QUANTITY, "ceiling on the level", unit="t", default=INF),
        Column("end_min_t", QUANTITY, "least level at the end of the horizon", unit="t", default=0.0),
        Column("max_release_t", QUANTITY, "most released per period", unit="t", default=INF),
        Column("max_acquire_t", QUANTITY, "most acquired per period", unit="t", default=0.0),
        Column("holding_cost", QUANTITY, "cost per tonne held per period", unit="currency/t", default=0.0),
        Column("sizable", BOOL, "the starting level may be raised by the optimiser (stockpile studies)",
               default=False),
        Column("size_cost", QUANTITY, "cost per tonne added to the starting level", unit="currency/t", default=0.0),
        Column("max_size_t", QUANTITY, "ceiling on initial_t plus the added tonnes", unit="t", default=INF),
    ), key_columns=("stockpile", "material")),
    Sheet("Scenarios", "Named cases for --scenario and stockpile studies", (
        Column("scenario", ID, "scenario name", required=True, key=True, example="full-denial"),
        Column("probability", RATE, "probability; blank = share the rest equally", unit="fraction"),
        Column("description", TEXT, "free text"),
    ), key_columns=("scenario",)),
    Sheet("Overrides", "How each scenario changes the base tables (rows apply in order)", (
        _ref("scenario", "Scenarios", "scenario the change belongs to", key=False, example="full-denial"),
        Column("sheet", TEXT, "sheet to change", required=True, example="Licences"),
        Column("column", TEXT, "column to change", required=True, example="approval_rate"),
        Column("operation", CHOICE, "set, scale (multiply) or add", required=True, choices=OPERATIONS,
               example="set"),
        Column("value", VALUE, "the value set, multiplied by or added", required=True, example=0),
        *(Column(name, REF_LIST, f"only rows with this {name} (; separated list; blank = any)",
                 refers_to=sheet)
          for name, sheet in (("source", "Sources"), ("material", "Materials"), ("sector", "Sectors"),
                              ("period", "Periods"), ("process", "Processes"), ("stockpile", "Stockpiles"),
                              ("licence", "Licences"))),
        Column("end_use", REF_LIST, "only licences whose end_use is exactly these sectors (; separated; "
               "blank = any)", refers_to="Sectors"),
    )),
)


def _key_filters(what: str) -> tuple[Column, ...]:
    return (*(Column(name, REF_LIST, f"only rows with this {name} (; separated list; blank = any)", refers_to=sheet)
              for name, sheet in (("source", "Sources"), ("material", "Materials"), ("sector", "Sectors"),
                                  ("period", "Periods"), ("process", "Processes"), ("stockpile", "Stockpiles"),
                                  ("licence", "Licences"))),
            Column("end_use", REF_LIST, f"only licences whose end_use is exactly these sectors (; separated; "
                   f"blank = any) {what}", refers_to="Sectors"))


SHEETS = SHEETS + (
    Sheet("Uncertainty", "Parameters drawn at random for sampled scenarios (--sample N --seed S); one draw per row "
          "and scenario, applied like an override", (
              Column("sheet", TEXT, "sheet to change", required=True, example="Licences"),
              Column("column", TEXT, "numeric column to change", required=True, example="approval_rate"),
              Column("operation", CHOICE, "set, scale (multiply) or add the draw", required=True, choices=OPERATIONS,
                     example="scale"),
              Column("distribution", CHOICE, "uniform (low, high), triangular (low, mode, high), bernoulli (with "
                     "probability use value, else no change)", required=True, choices=DISTRIBUTIONS,
                     example="triangular"),
              Column("low", NUMBER, "least value drawn (uniform, triangular)", example=0.25),
              Column("mode", NUMBER, "most likely value (triangular)", example=0.6),
              Column("high", NUMBER, "greatest value drawn (uniform, triangular)", example=1.0),
              Column("probability", RATE, "chance that value applies (bernoulli)", unit="fraction", example=0.1),
              Column("value", NUMBER, "the value applied with that chance (bernoulli)", example=0),
              *_key_filters("(the draw applies to every matching row)"),
          )),
)

SHEET_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}
# Columns kept silently although no sheet declares them.
SILENT_COLUMNS = ("notes", "reference")
