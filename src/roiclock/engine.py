"""Engines: the row-level passes of a report as one SQL plan, run by DuckDB or Spark.

Two passes read every row: the credits of each won deal x campaign
(:func:`roiclock.attribution.attribute`) and each campaign's cumulative cost and return by
calendar month since launch (:func:`roiclock.mature.by_month`). Everything after them
(windows, leading indicators, projection, rendering) reads those two results. The ``numpy``
engine computes them with the numpy code of those modules; ``duckdb`` and ``spark`` run the
same plan, written here once as DuckDB-dialect SQL text with ``$name`` parameters, parsed by
sqlglot, checked (:func:`lint`) and generated for each dialect (:func:`statements`).
``roiclock sql`` prints it (:func:`script`), so a warehouse or a dbt model can run it too.

The plan reads the validated inputs (rejections, the snapshot at as-of, reopened deals and
spend periods are decided in Python first), as tables:

- ``spend(campaign, channel, date, amount)``
- ``deals(deal_id, stage, close_date, amount, margin, created_date, campaign)``
- ``touches(deal_id, campaign, touch_date)`` (absent in single-touch mode)
- ``cohorts(campaign, channel, launch)`` (with spend periods only)

The engines pass each deal's row number as its ``deal_id`` and each touch's ``deal_row``
(matched once by validation) as its ``deal_id``: the join is on integers, and credits come
back in the numpy engine's order (deal row, then campaign name).

Portability rules (the README's "Engines" section): month arithmetic only as
``ADD_MONTHS(date, n)`` (rewritten to sqlglot's ``DateAdd``, which every dialect renders),
day differences only as ``DATE_DIFF('day', a, b)``, fractional constants as DOUBLE literals
in exponent form (Spark reads ``0.4`` as DECIMAL), no function sqlglot does not know. For
DuckDB, every ``SUM`` runs as ``FSUM`` (compensated): a parallel SUM of doubles differs in the
last bit from run to run as the threads split the rows; FSUM gave the same bits in every run
(tested on 300k touches and measured at 1M and 10M).

Not in the plan yet (numpy whatever the engine): reading and validation, the leading
indicators, lag's event counts, the Markov chain's fit (its transition counts and removal
effects: the plan's markov credits read them as the ``effects`` table) and the open
pipeline's valuation.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import __version__
from .attribution import attribute
from .config import Settings
from .frames import release
from .mature import ByMonth, by_month
from .models import MODELS, W_SHAPED
from .paths import ranked
from .schema import NO_CHANNEL, UNATTRIBUTED, InputError
from .validation import Inputs

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot import exp

    from .markov import Chain

# The engine registry: name -> one line for --help and the README.
ENGINES = {
    "numpy": "the numpy passes (every model; the default in this version)",
    "duckdb": "the SQL plan on DuckDB, in process",
    "spark": "the same SQL plan on Spark (pip install 'roiclock[spark]')",
}
# ROICLOCK_ENGINE=duckdb (or spark) makes another engine the default of every command and of
# the Python API (an explicit `--engine` or engine= is used instead); an unknown name is
# refused by every command that runs the passes, `--engine` given or not (a typo in a cron
# job's environment must not pass unnoticed); empty is unset
ENGINE_VARIABLE = "ROICLOCK_ENGINE"
DEFAULT_ENGINE = "numpy"  # without ROICLOCK_ENGINE


def default_engine(strict: bool = True) -> str:
    """The default engine now: ``$ROICLOCK_ENGINE`` (read at every call), else
    :data:`DEFAULT_ENGINE`. An unknown name is an error (``strict``) or the plain default (for
    a help text)."""
    chosen = os.environ.get(ENGINE_VARIABLE, "").strip()
    if chosen and chosen not in ENGINES:
        if strict:
            raise InputError(f"{ENGINE_VARIABLE}: expected one of {', '.join(ENGINES)}, got "
                             f"'{chosen[:40]}'")
        return DEFAULT_ENGINE
    return chosen or DEFAULT_ENGINE


DEFAULT_SPARK_MASTER = "local[*]"
# Dialects `roiclock sql` writes; the first two are executed by the engines (and the tests),
# the others only transpiled by sqlglot: unverified.
DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")
EXECUTED = ("duckdb", "spark")
CREDITS_TABLE = "roiclock_credits"

# What the plan expects of each input table (also printed by `roiclock sql`).
TABLES = {
    "spend": "campaign TEXT, channel TEXT, date DATE, amount DOUBLE: one row per spend "
             "(one channel per campaign)",
    "deals": "deal_id (unique), stage TEXT ('won', 'lost' or 'open'), close_date DATE, "
             "amount DOUBLE, margin DOUBLE (0..1, may be NULL), created_date DATE (may be "
             "NULL), campaign TEXT (the source campaign, may be NULL)",
    "touches": "deal_id (as in deals), campaign TEXT, touch_date DATE",
}
# The markov model's credits also read the chain roiclock fits (its transition counts and
# removal effects are computed in Python, on every deal's path)
EFFECTS_TABLE = ("effects(campaign TEXT, unit TEXT, effect DOUBLE): per campaign name of the "
                 "touches, effect = its removal effect per path in the chain roiclock fits "
                 "(`roiclock explain --format csv`: effect_per_path of the campaign's row, of "
                 "its channel's row with markov_level: channel; 0 when absent; exported to 6 "
                 "significant digits) and unit = the campaign a spend-period cohort stands for "
                 "(else the campaign itself)")


@dataclass(frozen=True)
class Engine:
    """Where the row-level passes run: ``name`` from :data:`ENGINES`; ``spark_master`` for
    Spark (``local[*]``, ``local[2]``, ``spark://host:7077``, ...)."""

    name: str = DEFAULT_ENGINE
    spark_master: str = DEFAULT_SPARK_MASTER

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise InputError(f"expected one of {', '.join(ENGINES)}, got '{self.name}'",
                             option="engine")
        if not isinstance(self.spark_master, str) or not self.spark_master.strip():
            raise InputError("expected a Spark master URL such as local[*]",
                             option="spark_master")

    def passes(self, inputs: Inputs, settings: Settings, last: int,
               chain: Chain | None = None) -> tuple[pd.DataFrame, ByMonth]:
        """The credits (:func:`roiclock.attribution.attribute`) and the campaign x month grid
        to ``last`` months (:func:`roiclock.mature.by_month`)."""
        if self.name == "numpy":
            credits = attribute(inputs, settings, chain)
            months = by_month(inputs, credits, settings, last)
            release()  # the passes' temporaries, before the projection's peak
            return credits, months
        tables = input_tables(inputs)
        if MODELS[settings.model].chain:
            tables["effects"] = _effects(inputs, settings, chain)
        texts = statements(settings, last, self.name, touches=inputs.touches is not None,
                           cohorts=inputs.cohorts is not None)
        if self.name == "duckdb":
            results = run_duckdb(texts, tables)
        else:
            results = run_spark(texts, tables, self.spark_master)
        credits = credits_frame(results[0], inputs, settings)
        return credits, months_frame(results[1], last)


def resolve(value: str | Engine | None, spark_master: str | None = None) -> Engine:
    """An :class:`Engine` from a name (None: the default); ``spark_master`` only for spark."""
    if isinstance(value, Engine):
        return value
    chosen = default_engine()  # a wrong ROICLOCK_ENGINE is refused even with --engine
    name = value or chosen
    if spark_master is not None and name != "spark":
        raise InputError("a Spark master is for --engine spark only", option="spark_master")
    return Engine(name, spark_master or DEFAULT_SPARK_MASTER)


# ------------------------------------------------------------------------------ the plan

def months_since(start: str, end: str) -> str:
    """SQL: whole calendar months from ``start`` to ``end``, the largest m with
    ADD_MONTHS(start, m) <= end (month-end clamped, as :func:`roiclock.frames.months_since`)."""
    m0 = f"((YEAR({end}) - YEAR({start})) * 12 + MONTH({end}) - MONTH({start}))"
    return f"({m0} - CASE WHEN ADD_MONTHS({start}, {m0}) > {end} THEN 1 ELSE 0 END)"


def _position(first: str, last: str, n_first: str, n_last: str, n_middle: str) -> str:
    """The position model's weight of a touch (:func:`roiclock.models._position`): first-day
    touches share $p_first, last-day ones $p_last, the middle the rest; one day of touches:
    equal; no middle: the first and last days split $p_first : $p_last."""
    return f"""CASE
            WHEN {n_last} = 0 THEN CAST(1 AS DOUBLE)
            WHEN {n_middle} > 0 THEN CASE
                WHEN {first} THEN $p_first / CAST({n_first} AS DOUBLE)
                WHEN {last} THEN $p_last / CAST({n_last} AS DOUBLE)
                ELSE $p_middle / CAST({n_middle} AS DOUBLE) END
            ELSE CASE
                WHEN {first} THEN $nm_first / CAST({n_first} AS DOUBLE)
                ELSE $nm_last / CAST({n_last} AS DOUBLE) END
            END"""


def _one_day(edge: str, name: str, which: str) -> str:
    """The CTEs of first (``MAX`` age: the oldest day) or last (``MIN``: the newest day):
    that day's touches share the deal equally."""
    return f"""
ends AS (SELECT deal_id, {edge}(age) AS {name} FROM eligible GROUP BY deal_id),
weighted AS (        -- the {which} day's touches, equal
    SELECT e.deal_id, e.campaign, CAST(COUNT(*) AS DOUBLE) AS w
    FROM eligible AS e JOIN ends AS s ON e.deal_id = s.deal_id AND e.age = s.{name}
    GROUP BY e.deal_id, e.campaign),"""


# Per model: the CTEs from ``eligible`` (deal_id, campaign, age[, created_age]) to
# ``weighted`` (deal_id, campaign, w): each campaign's unnormalized weight in each deal.
WEIGHTED = {
    "linear": """
weighted AS (
    SELECT deal_id, campaign, CAST(COUNT(*) AS DOUBLE) AS w
    FROM eligible GROUP BY deal_id, campaign),""",
    "first": _one_day("MAX", "oldest", "earliest"),
    "last": _one_day("MIN", "newest", "latest"),
    "time_decay": """
ends AS (SELECT deal_id, MIN(age) AS newest FROM eligible GROUP BY deal_id),
weighted AS (        -- 2^(-age / half-life), relative to the newest touch: no underflow
    SELECT e.deal_id, e.campaign,
           SUM(POWER(CAST(2 AS DOUBLE), CAST(s.newest - e.age AS DOUBLE) / $half_life_days))
               AS w
    FROM eligible AS e JOIN ends AS s ON e.deal_id = s.deal_id
    GROUP BY e.deal_id, e.campaign),""",
    "position": """
ends AS (SELECT deal_id, MAX(age) AS oldest, MIN(age) AS newest FROM eligible
         GROUP BY deal_id),
flagged AS (
    SELECT e.deal_id, e.campaign, e.age = s.oldest AS is_first,
           e.age = s.newest AND e.age <> s.oldest AS is_last
    FROM eligible AS e JOIN ends AS s ON e.deal_id = s.deal_id),
counts AS (
    SELECT deal_id,
           COUNT(CASE WHEN is_first THEN 1 END) AS n_first,
           COUNT(CASE WHEN is_last THEN 1 END) AS n_last,
           COUNT(CASE WHEN NOT is_first AND NOT is_last THEN 1 END) AS n_middle
    FROM flagged GROUP BY deal_id),
weighted AS (
    SELECT f.deal_id, f.campaign, SUM({position}) AS w
    FROM flagged AS f JOIN counts AS n ON f.deal_id = n.deal_id
    GROUP BY f.deal_id, f.campaign),""",
    # markov: each campaign of a deal weighs its removal effect per path once (the chain is
    # fitted in Python and read as the effects table); with spend periods a campaign's
    # effect is shared among its cohorts by their touches; a deal whose campaigns all weigh
    # 0 splits equally among them (roiclock.models._markov)
    "markov": """
units AS (
    SELECT e.deal_id, e.campaign, COALESCE(f.unit, e.campaign) AS unit,
           COALESCE(f.effect, CAST(0 AS DOUBLE)) AS effect, COUNT(*) AS n
    FROM eligible AS e LEFT JOIN effects AS f ON e.campaign = f.campaign
    GROUP BY e.deal_id, e.campaign, COALESCE(f.unit, e.campaign),
             COALESCE(f.effect, CAST(0 AS DOUBLE))),
shared AS (
    SELECT deal_id, campaign, effect,
           CAST(n AS DOUBLE) / SUM(n) OVER (PARTITION BY deal_id, unit) AS part
    FROM units),
effective AS (SELECT deal_id, SUM(part * effect) AS total FROM shared GROUP BY deal_id),
weighted AS (
    SELECT s.deal_id, s.campaign,
           CASE WHEN t.total > 0 THEN s.part * s.effect ELSE s.part END AS w
    FROM shared AS s JOIN effective AS t ON s.deal_id = t.deal_id),""",
    # w_shaped and custom: roles first, created (the latest day on or before the deal's
    # creation; the first day when every touch came after), last, middle; a touch holding
    # several roles adds their shares. No created date: the position model.
    "roles": """
ends AS (
    SELECT deal_id, MAX(age) AS oldest, MIN(age) AS newest,
           MIN(CASE WHEN age >= created_age THEN age END) AS created_at
    FROM eligible GROUP BY deal_id),
flagged AS (
    SELECT e.deal_id, e.campaign, e.created_age IS NOT NULL AS known,
           e.age = s.oldest AS is_first, e.age = s.newest AS is_last,
           e.created_age IS NOT NULL AND e.age = COALESCE(s.created_at, s.oldest)
               AS is_created
    FROM eligible AS e JOIN ends AS s ON e.deal_id = s.deal_id),
counts AS (
    SELECT deal_id,
           COUNT(CASE WHEN is_first THEN 1 END) AS n_first,
           COUNT(CASE WHEN is_created THEN 1 END) AS n_created,
           COUNT(CASE WHEN is_last THEN 1 END) AS n_last,
           COUNT(CASE WHEN NOT (is_first OR is_created OR is_last) THEN 1 END) AS n_middle,
           COUNT(CASE WHEN is_last AND NOT is_first THEN 1 END) AS n_last_only,
           COUNT(CASE WHEN NOT is_first AND NOT is_last THEN 1 END) AS n_between
    FROM flagged GROUP BY deal_id),
weighted AS (
    SELECT f.deal_id, f.campaign, SUM(CASE WHEN f.known THEN
            CASE WHEN f.is_first THEN $r_first / CAST(n.n_first AS DOUBLE)
                 ELSE CAST(0 AS DOUBLE) END
          + CASE WHEN f.is_created THEN $r_created / CAST(n.n_created AS DOUBLE)
                 ELSE CAST(0 AS DOUBLE) END
          + CASE WHEN f.is_last THEN $r_last / CAST(n.n_last AS DOUBLE)
                 ELSE CAST(0 AS DOUBLE) END
          + CASE WHEN NOT (f.is_first OR f.is_created OR f.is_last)
                 THEN $r_middle / CAST(n.n_middle AS DOUBLE) ELSE CAST(0 AS DOUBLE) END
        ELSE {position_fallback} END) AS w
    FROM flagged AS f JOIN counts AS n ON f.deal_id = n.deal_id
    GROUP BY f.deal_id, f.campaign),""",
}

ELIGIBLE = {
    # a touch of a won deal counts when 0 <= close_date - touch_date < lookback_days
    True: """
eligible AS (
    SELECT * FROM (
        SELECT w.deal_id, t.campaign, DATE_DIFF('day', t.touch_date, w.close_date) AS age
               {created}
        FROM touches AS t JOIN won AS w ON t.deal_id = w.deal_id) AS x
    WHERE age >= 0 AND age < $lookback_days),""",
    # single touch: a won deal's source campaign, on the close day (no lookback)
    False: """
eligible AS (
    SELECT deal_id, campaign, 0 AS age {created}
    FROM won WHERE campaign IS NOT NULL),""",
}

CREDITS = """
CREATE TEMPORARY TABLE {table} AS
WITH
won AS (
    SELECT deal_id, close_date, created_date, campaign, {value} AS value
    FROM deals WHERE stage = 'won'),
{eligible}
{weighted}
totals AS (           -- per won deal with an eligible touch: its weight, close, value
    SELECT t.deal_id, t.total, w.close_date, w.value
    FROM (SELECT deal_id, SUM(w) AS total FROM weighted GROUP BY deal_id) AS t
    JOIN won AS w ON t.deal_id = w.deal_id),
credited AS (        -- shares sum to 1 per deal; a campaign with no weight gets no row
    SELECT * FROM (
        SELECT w.deal_id, w.campaign, t.close_date, t.value, w.w / t.total AS share
        FROM weighted AS w JOIN totals AS t ON w.deal_id = t.deal_id
        WHERE t.total > 0) AS x
    WHERE share > 0)
SELECT deal_id, campaign, close_date, share, value * share AS "return" FROM credited
UNION ALL            -- a won deal with no eligible touch: (unattributed), in full
SELECT w.deal_id, '{unattributed}', w.close_date, CAST(1 AS DOUBLE), w.value
FROM won AS w LEFT JOIN totals AS t ON w.deal_id = t.deal_id AND t.total > 0
WHERE t.deal_id IS NULL
"""

CREDITS_OUT = """
SELECT deal_id, campaign, close_date, share, "return" FROM {table}
ORDER BY deal_id, campaign
"""

# Launches (roiclock.paths.campaigns): the first spend; a credited campaign without spend
# launches at its first touch (single touch: its first deal date, created or else closed);
# with spend periods, each cohort at the first day of its period.
LAUNCHES = {
    "touches": """
paid AS (SELECT campaign, MIN(channel) AS channel, MIN(date) AS launch FROM spend
         GROUP BY campaign),
credited AS (        -- campaigns credited without spend (usually none)
    SELECT DISTINCT c.campaign FROM {table} AS c LEFT JOIN paid AS p
      ON c.campaign = p.campaign
    WHERE p.campaign IS NULL),
unpaid AS (
    SELECT t.campaign, '{none}' AS channel, MIN(t.touch_date) AS launch
    FROM touches AS t JOIN credited AS c ON t.campaign = c.campaign
    GROUP BY t.campaign),
campaigns AS (SELECT campaign, channel, launch FROM paid
              UNION ALL SELECT campaign, channel, launch FROM unpaid),""",
    "deals": """
paid AS (SELECT campaign, MIN(channel) AS channel, MIN(date) AS launch FROM spend
         GROUP BY campaign),
credited AS (        -- campaigns credited without spend
    SELECT DISTINCT c.campaign FROM {table} AS c LEFT JOIN paid AS p
      ON c.campaign = p.campaign
    WHERE p.campaign IS NULL),
unpaid AS (
    SELECT d.campaign, '{none}' AS channel,
           MIN(COALESCE(d.created_date, d.close_date)) AS launch
    FROM deals AS d JOIN credited AS c ON d.campaign = c.campaign
    GROUP BY d.campaign),
campaigns AS (SELECT campaign, channel, launch FROM paid
              UNION ALL SELECT campaign, channel, launch FROM unpaid),""",
    "cohorts": """
campaigns AS (
    SELECT k.campaign, k.channel, k.launch FROM cohorts AS k
    WHERE k.campaign IN (SELECT campaign FROM spend UNION SELECT campaign FROM {table})),""",
}

# (the windows' ORDER BY says NULLS FIRST, BigQuery's default, or sqlglot would write an
# explicit NULLS LAST that BigQuery refuses in a window; months is never NULL)
BY_MONTH = """
WITH
{launches}
dated AS (           -- cost and return by day
    SELECT campaign, date, CAST(amount AS DOUBLE) AS cost, CAST(0 AS DOUBLE) AS ret
    FROM spend
    UNION ALL
    SELECT campaign, close_date, CAST(0 AS DOUBLE), SUM("return") FROM {table}
    GROUP BY campaign, close_date),
monthly AS (         -- by whole months since launch (-1: before it; capped at $last)
    SELECT campaign, m, SUM(cost) AS cost, SUM(ret) AS ret FROM (
        SELECT d.campaign, d.cost, d.ret,
               LEAST(GREATEST({months}, -1), $last) AS m
        FROM dated AS d JOIN campaigns AS c ON d.campaign = c.campaign) AS x
    GROUP BY campaign, m),
ages AS (SELECT * FROM (VALUES {ages}) AS k(months)),
cells AS (           -- month k holds what is dated in month k - 1 (k = 0: before launch)
    SELECT c.campaign, c.channel, c.launch, k.months,
           COALESCE(x.cost, CAST(0 AS DOUBLE)) AS cost,
           COALESCE(x.ret, CAST(0 AS DOUBLE)) AS ret
    FROM campaigns AS c CROSS JOIN ages AS k
    LEFT JOIN monthly AS x ON x.campaign = c.campaign AND x.m = k.months - 1)
SELECT campaign, channel, launch, months,
       SUM(cost) OVER (PARTITION BY campaign ORDER BY months NULLS FIRST
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
           * $cost_multiplier AS cost,
       SUM(ret) OVER (PARTITION BY campaign ORDER BY months NULLS FIRST
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "return"
FROM cells
ORDER BY launch, campaign, months
"""


def double(x: float | None) -> exp.Expression:
    """A DOUBLE literal that every dialect reads as the same double: exponent form (``0.4``
    alone is DECIMAL in Spark); NULL for None."""
    from sqlglot import exp

    if x is None:
        return exp.cast(exp.null(), "DOUBLE")
    x = float(x)
    if not math.isfinite(x):
        raise InputError(f"expected a finite number, got {x}")
    return exp.Literal.number(format(x, ".17e"))


def _texts(settings: Settings, last: int, touches: bool, cohorts: bool
           ) -> tuple[list[str], dict[str, Any]]:
    """The plan's statements as DuckDB-dialect text with ``$name`` placeholders, and the
    placeholders' values (numbers; :func:`plan` turns them into typed literals)."""
    model = settings.model
    if model not in WEIGHTED and not MODELS[model].created:
        raise InputError(f"the {model} model is not in the SQL plan yet", option="model")
    roles = MODELS[model].created
    weighted = WEIGHTED["roles" if roles else model].format(
        position=_position("f.is_first", "f.is_last", "n.n_first", "n.n_last", "n.n_middle"),
        position_fallback=_position("f.is_first", "f.is_last AND NOT f.is_first", "n.n_first",
                                    "n.n_last_only", "n.n_between"))
    created = ""
    if roles:
        created = (", DATE_DIFF('day', w.created_date, w.close_date) AS created_age" if touches
                   else ", DATE_DIFF('day', created_date, close_date) AS created_age")
    value = "CAST(amount AS DOUBLE)"
    if settings.basis == "margin":
        value += " * COALESCE(CAST(margin AS DOUBLE), $default_margin)"
    credits = CREDITS.format(table=CREDITS_TABLE, value=value, weighted=weighted,
                             eligible=ELIGIBLE[touches].format(created=created),
                             unattributed=UNATTRIBUTED)
    launches = LAUNCHES["cohorts" if cohorts else "touches" if touches else "deals"]
    grid = BY_MONTH.format(
        launches=launches.format(table=CREDITS_TABLE, none=NO_CHANNEL), table=CREDITS_TABLE,
        months=months_since("c.launch", "d.date"),
        ages=", ".join(f"({k})" for k in range(last + 1)))
    p_first, p_last = settings.position_first, settings.position_last
    ends = p_first + p_last
    no_middle_first = p_first / ends if ends > 0 else 0.5  # the same float operations as numpy
    shares = W_SHAPED if model == "w_shaped" else dict(settings.position_weights)
    values: dict[str, Any] = {
        # age < lookback for whole days: the next whole day for a fractional lookback
        "lookback_days": min(math.ceil(settings.lookback_days), 10**7), "last": int(last),
        "half_life_days": float(settings.half_life_days),
        "p_first": p_first, "p_last": p_last, "p_middle": 1 - ends,
        "nm_first": no_middle_first, "nm_last": 1 - no_middle_first,
        "default_margin": settings.default_margin,
        "cost_multiplier": float(settings.cost_multiplier),
        **{f"r_{role}": float(shares.get(role, 0.0)) for role in
           ("first", "created", "last", "middle")}}
    return [credits, CREDITS_OUT.format(table=CREDITS_TABLE), grid], values


def plan(settings: Settings, last: int, *, touches: bool = True, cohorts: bool = False
         ) -> list[exp.Expression]:
    """The plan's statements as sqlglot trees (parameters filled, checked by :func:`lint`):
    the credits into a temporary table, the credits in order, the campaign x month grid."""
    import sqlglot
    from sqlglot import exp

    texts, values = _texts(settings, last, touches, cohorts)
    literals = {name: (exp.Literal.number(value) if isinstance(value, int)
                       else double(value)) for name, value in values.items()}
    trees = []
    for text in texts:
        tree = sqlglot.parse_one(text, read="duckdb")
        used = {node.name for node in tree.find_all(exp.Placeholder)}
        tree = exp.replace_placeholders(tree, **{k: v for k, v in literals.items() if k in used})
        trees.append(lint(tree.transform(_portable_months)))
    return trees


def _portable_months(node: exp.Expression) -> exp.Expression:
    """ADD_MONTHS(d, n) -> sqlglot's DateAdd(d, n, MONTH), which every dialect renders in its
    own words (DuckDB ``+ INTERVAL``, Spark ``ADD_MONTHS``, Snowflake ``DATEADD``, ...)."""
    from sqlglot import exp

    if isinstance(node, exp.AddMonths):
        return exp.DateAdd(this=node.this, expression=node.expression, unit=exp.var("MONTH"))
    return node


def lint(tree: exp.Expression) -> exp.Expression:
    """Refuse what sqlglot would pass through untranslated, or what means something else on
    another engine: unknown functions, INTERVAL literals, unfilled placeholders, decimal
    literals (DECIMAL in Spark)."""
    from sqlglot import exp

    problems = []
    for node in tree.walk():
        if isinstance(node, exp.Anonymous):
            problems.append(f"unknown function {node.name}(): not translated between dialects")
        elif isinstance(node, exp.Interval):
            problems.append(f"INTERVAL {node.sql()}: write ADD_MONTHS(date, n)")
        elif isinstance(node, exp.Placeholder):
            problems.append(f"unfilled placeholder ${node.name}")
        elif (isinstance(node, exp.Literal) and not node.is_string and "." in node.this
              and "e" not in node.this.lower()):
            problems.append(f"decimal literal {node.this}: DECIMAL in Spark; use double()")
    if problems:
        raise ValueError("plan not portable: " + "; ".join(problems))
    return tree


def _for_dialect(tree: exp.Expression, dialect: str) -> exp.Expression:
    """DuckDB's own adaptation of a checked tree: its sums are FSUM (compensated), the same
    bits on every run however its threads split the rows."""
    from sqlglot import exp

    if dialect == "duckdb":
        return tree.transform(lambda node: exp.Anonymous(this="FSUM", expressions=[node.this])
                              if isinstance(node, exp.Sum) else node)
    return tree


def statements(settings: Settings, last: int, dialect: str = "duckdb", *,
               touches: bool = True, cohorts: bool = False) -> list[str]:
    """The plan in ``dialect`` (one of :data:`DIALECTS`): exactly what the engine runs."""
    if dialect not in DIALECTS:
        raise InputError(f"expected one of {', '.join(DIALECTS)}, got '{dialect}'",
                         option="dialect")
    read = {name: getattr(settings, name) for name in PLAN_SETTINGS}
    read["position_weights"] = tuple(sorted(read["position_weights"].items()))
    return list(_statements(tuple(read.items()), int(last), dialect, touches, cohorts))


# The settings the plan reads (the rest, columns, stages, priors, ..., act before or after it)
PLAN_SETTINGS = ("model", "lookback_days", "half_life_days", "position_first",
                 "position_last", "position_weights", "basis", "default_margin",
                 "cost_multiplier")


@functools.lru_cache(maxsize=64)
def _statements(read: tuple, last: int, dialect: str, touches: bool, cohorts: bool
                ) -> tuple[str, ...]:
    """:func:`statements`, kept for settings alike (``read``: the :data:`PLAN_SETTINGS`;
    sqlglot takes ~60 ms a plan, and a backtest or a watch runs several)."""
    import sqlglot

    values = dict(read)
    values["position_weights"] = dict(values["position_weights"])
    settings = Settings(**values)
    return tuple(_for_dialect(tree, dialect).sql(dialect=dialect, pretty=True,
                                                 unsupported_level=sqlglot.ErrorLevel.RAISE)
                 for tree in plan(settings, last, touches=touches, cohorts=cohorts))


def script(settings: Settings, last: int, dialect: str = "duckdb") -> str:
    """The plan as a script for ``roiclock sql``: what the inputs must hold, then the
    statements (those the engine runs for ``dialect``), each ending with ``;``."""
    verified = ("executed by roiclock's tests" if dialect in EXECUTED
                else "transpiled by sqlglot only, not executed by roiclock's tests: check it")
    header = [
        f"roiclock {__version__}: the row-level passes of `roiclock report` as SQL "
        f"({dialect}; {verified}).",
        f"Model {settings.model}, lookback {settings.lookback_days} days, basis "
        f"{settings.basis}, cost x {settings.cost_multiplier:g}, months 0..{last}.",
        "Inputs: tables (or views) with these names and columns, holding the data as roiclock "
        "validates it:",
        *[f"  {name}({columns})" for name, columns in TABLES.items()],
        *([f"  {EFFECTS_TABLE}"] if MODELS[settings.model].chain else []),
        "  rows dated on or after as-of left out; a deal closed on or after it is 'open', "
        "its close_date NULL.",
        f"Outputs: 1. the temporary table {CREDITS_TABLE} (deal_id, campaign, close_date, "
        "share, return): each won",
        f"  deal's credit per campaign (shares sum to 1; {UNATTRIBUTED} when no touch is "
        "eligible);",
        "  2. the credits in order; 3. per campaign (channel, launch) and months since launch "
        f"k = 0..{last}:",
        "  cost (x cost_multiplier) and return dated before launch + k calendar months.",
    ]
    body = statements(settings, last, dialect)
    return ("\n".join("-- " + line for line in header) + "\n\n"
            + "\n\n".join(text + ";" for text in body) + "\n")


# ------------------------------------------------------------------------------ inputs

def _effects(inputs: Inputs, settings: Settings, chain: Chain | None) -> pa.Table:
    """The effects table of the markov model (:func:`roiclock.markov.effects_table`) for
    every campaign name of the touches."""
    import pyarrow as pa

    from . import markov

    fitted = chain or markov.chain(inputs, settings)
    assert inputs.touches is not None, "the markov model needs touches"
    campaign = inputs.touches["campaign"]
    names = (campaign.cat.categories if isinstance(campaign.dtype, pd.CategoricalDtype)
             else pd.unique(campaign.dropna()))
    table = markov.effects_table(fitted, inputs, settings, names)
    return pa.table({"campaign": pa.array(table["campaign"].astype(object), pa.string()),
                     "unit": pa.array(table["unit"].astype(object), pa.string()),
                     "effect": pa.array(table["effect"].to_numpy(), pa.float64())})


def input_tables(inputs: Inputs) -> dict[str, pa.Table]:
    """The validated inputs as Arrow tables for the plan: dates as DATE, a deal's row number
    as its ``deal_id`` (and a touch's ``deal_row``)."""
    import pyarrow as pa

    def table(columns: dict[str, Any]) -> pa.Table:
        arrays = {}
        for name, values in columns.items():
            if isinstance(values, pd.Series) and values.dtype.kind == "M":
                arrays[name] = pa.array(values.to_numpy(dtype="datetime64[s]"),
                                        pa.timestamp("s")).cast(pa.date32())
            elif isinstance(values, pd.Series) and isinstance(values.dtype,
                                                              pd.CategoricalDtype):
                arrays[name] = pa.array(values)
            elif isinstance(values, pd.Series) and values.dtype.kind == "f":
                arrays[name] = pa.array(values.to_numpy(), pa.float64(),
                                        from_pandas=True)
            elif isinstance(values, pd.Series):
                arrays[name] = pa.array(values.astype("object"), pa.string(),
                                        from_pandas=True)
            else:
                arrays[name] = pa.array(values)
        return pa.table(arrays)

    spend, deals = inputs.spend, inputs.deals
    out = {
        "spend": table({"campaign": spend["campaign"], "channel": spend["channel"],
                        "date": spend["date"], "amount": spend["amount"]}),
        "deals": table({"deal_id": np.arange(len(deals), dtype="int64"),
                        "stage": deals["stage"], "close_date": deals["close_date"],
                        "amount": deals["amount"], "margin": deals["margin"],
                        "created_date": deals["created_date"],
                        "campaign": deals["campaign"]})}
    if inputs.touches is not None:
        touches = inputs.touches
        out["touches"] = table({"deal_id": touches["deal_row"].to_numpy(dtype="int64"),
                                "campaign": touches["campaign"],
                                "touch_date": touches["touch_date"]})
    if inputs.cohorts is not None:
        cohorts = inputs.cohorts
        out["cohorts"] = table({"campaign": cohorts["campaign"], "channel": cohorts["channel"],
                                "launch": cohorts["start"]})
    return out


# ------------------------------------------------------------------------------ engines

def run_duckdb(texts: list[str], tables: dict[str, pa.Table]) -> list[pa.Table]:
    """Run the statements on a fresh in-process DuckDB over ``tables``; the results of the
    queries, in order. DuckDB spills to a temporary folder of its own (removed after); under
    an address-space limit (``ulimit -v``) it runs on one thread within a quarter of it, and
    running out is a MemoryError (the command's one-line "out of memory")."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="roiclock-duckdb-") as spill:
        con = duckdb.connect(config={"temp_directory": spill, **_duckdb_limits()})
        try:
            for name, table in tables.items():
                con.register(name, table)
            results = []
            for text in texts:
                if text.lstrip().upper().startswith("CREATE"):
                    con.execute(text)
                else:
                    relation = con.sql(text)
                    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
                    results.append(fetch())
            return results
        except duckdb.OutOfMemoryException as exc:
            raise MemoryError(" ".join(str(exc).split())[:200]) from None
        finally:
            con.close()


def _duckdb_limits() -> dict[str, Any]:
    """DuckDB's threads and memory under an address-space limit (none without one: DuckDB's
    defaults, all cores and 80% of the memory)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return {}
    if soft == resource.RLIM_INFINITY:
        return {}
    return {"threads": 1, "memory_limit": f"{max(soft // 4 >> 20, 64)}MB"}


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 to /dev/null inside: the JVM that pyspark starts inherits it and
    would otherwise print its start-up notes and log lines on roiclock's stderr."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_SESSION: dict[str, Any] = {}


def spark_session(master: str) -> Any:
    """A Spark session on ``master`` (kept for the process: it takes seconds to start)."""
    if _SESSION.get("master") == master:
        return _SESSION["session"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("needs pyspark: pip install 'roiclock[spark]'", option="engine") \
            from None
    if "session" in _SESSION:
        _SESSION.pop("session").stop()
    try:
        with _quiet_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            session = (SparkSession.builder.master(master).appName("roiclock")
                       .config("spark.ui.enabled", "false")
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.sql.session.timeZone", "UTC")
                       .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                       .getOrCreate())
            session.sparkContext.setLogLevel("ERROR")
            # as many shuffle partitions as cores (Spark's 200 are for large clusters; on
            # the sample, local[2] ran 2-3x faster with 2)
            session.conf.set("spark.sql.shuffle.partitions",
                             str(session.sparkContext.defaultParallelism))
    except Exception as exc:  # no Java, a master that cannot be reached, ...
        text = " ".join(str(exc).split())[:200]
        raise InputError(f"could not start Spark on {master}: {text}",
                         option="spark_master") from None
    _SESSION.update(master=master, session=session)
    return session


def run_spark(texts: list[str], tables: dict[str, pa.Table], master: str) -> list[pa.Table]:
    """Run the statements on Spark over ``tables`` (as temporary views); the results of the
    queries, in order. The credits view (``CREATE TEMPORARY VIEW``) is checkpointed as soon as
    it is made: Spark would otherwise compute it again inside every query that reads it (a
    cached table is not used inside a WITH query). The views are dropped after."""
    spark = spark_session(master)
    results = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, table in tables.items():
                spark.createDataFrame(table).createOrReplaceTempView(name)
            for text in texts:
                frame = spark.sql(text)
                if text.lstrip().upper().startswith("CREATE"):
                    (spark.table(CREDITS_TABLE).localCheckpoint(eager=True)
                     .createOrReplaceTempView(CREDITS_TABLE))
                else:
                    results.append(frame.toArrow())
    finally:
        for name in (CREDITS_TABLE, *tables):
            spark.catalog.dropTempView(name)
    return results


# ------------------------------------------------------------------------------ results

def credits_frame(result: pa.Table, inputs: Inputs, settings: Settings) -> pd.DataFrame:
    """The plan's credits as :func:`roiclock.attribution.attribute` returns them: deal_id,
    campaign (categorical, the touches' campaigns in alphabetical order, then
    ``(unattributed)``), close_date, share, return, in the same row order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    source = inputs.touches["campaign"] if inputs.touches is not None else \
        inputs.deals["campaign"]
    names = list(ranked(source)[1])
    if UNATTRIBUTED not in names:
        names.append(UNATTRIBUTED)
    rows = result.column("deal_id").to_numpy().astype("int64")
    codes = pc.index_in(result.column("campaign").cast(pa.string()),
                        value_set=pa.array(names, pa.string()))
    if codes.null_count:
        raise AssertionError("the plan credited a campaign that is not in the inputs")
    codes = np.asarray(codes.to_numpy(zero_copy_only=False), dtype="int64")
    close = result.column("close_date").cast(pa.timestamp("s")).to_numpy()
    credits = pd.DataFrame({
        "deal_id": inputs.deals["deal_id"].array.take(rows),
        "campaign": pd.Categorical.from_codes(np.asarray(codes, dtype="int64"),
                                              categories=pd.Index(names, dtype="str")),
        "close_date": close.astype("datetime64[s]"),
        "share": result.column("share").to_numpy().astype("float64"),
        "return": result.column("return").to_numpy(zero_copy_only=False).astype("float64"),
    })
    fallback = 0
    if MODELS[settings.model].created:  # deals without a created date: position-based
        won = inputs.deals["stage"] == "won"
        fallback = int(inputs.deals.loc[won.to_numpy(), "created_date"].isna().sum())
    credits.attrs["position_fallback"] = fallback
    return credits


def months_frame(result: pa.Table, last: int) -> ByMonth:
    """The plan's grid as :class:`roiclock.mature.ByMonth`: one row per campaign (sorted by
    launch, then name), cumulative cost and return at k = 0..last months."""
    import pyarrow as pa

    width = last + 1
    n = result.num_rows // width
    step = np.arange(n) * width
    launch = result.column("launch").cast(pa.timestamp("s")).to_numpy()[step]
    table = pd.DataFrame({
        "campaign": pd.Series(result.column("campaign").to_numpy(zero_copy_only=False)[step],
                              dtype="str"),
        "channel": pd.Series(result.column("channel").to_numpy(zero_copy_only=False)[step],
                             dtype="str"),
        "launch": launch.astype("datetime64[s]")})
    cost = result.column("cost").to_numpy(zero_copy_only=False).reshape(n, width)
    ret = result.column("return").to_numpy(zero_copy_only=False).reshape(n, width)
    order = table.sort_values(["launch", "campaign"], kind="stable").index.to_numpy()
    return ByMonth(table.iloc[order].reset_index(drop=True), cost[order].astype("float64"),
                   ret[order].astype("float64"))
