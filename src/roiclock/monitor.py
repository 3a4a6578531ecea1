"""Watching projections come true: actual vs expected emergence, and why a forecast moved.

``watch``: the projection made ``since`` months ago (from the data as it stood then,
:func:`roiclock.pipeline.snapshot`) expected each campaign to have won, by now,

    expected = measured then + (projected then - measured then) x s,
    s = (m(age now) - m(age then)) / (1 - m(age then))

with m the share of the final return expected to be measured (won) at each age, as fitted
then. A campaign launched since is expected to have won prior x cost x m(age now). Its
interval is on the gain since then (what was won before is no evidence either way) and comes
from the same test made on the past: at every earlier month, the known triangle as it stood
then projected each campaign, and what it won in the ``since`` months after was compared with
the gain expected (log ratio, root mean square per age, as for the projection's intervals). A
campaign below its interval is ``behind``, above ``ahead``; a campaign less than one whole
month old, or that was already at the target, is not judged.

``compare``: the change of each campaign's projected ROI since an earlier json export of
``project``, split in two. The current fit (development pattern and prior) applied to the
campaign as the earlier export saw it (its age, measured return, pipeline and cost) gives ROI';
``factors`` = ROI' - earlier ROI (the pattern and prior moved, or the method changed) and
``new_closes`` = ROI now - ROI' (what the campaign itself did since: deals won, pipeline
changed, spend, time passing without the expected closes).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import reserving
from .config import Settings
from .engine import Engine
from .frames import cents, take
from .markov import Chain
from .mature import ByMonth, by_month, roi
from .pipeline import snapshot
from .precision import as_exported
from .projection import FLOOR, MIN_RESIDUALS, Projection, estimate, project, ultimate
from .schema import InputError, shown
from .validation import Inputs

WATCH_COLUMNS = ["age_months", "age_then", "expected_return", "expected_low",
                 "expected_high", "measured_return", "difference", "status",
                 "projected_roi_then", "projected_roi"]
COMPARE_COLUMNS = ["previous_roi", "change", "new_closes", "factors"]


def _share(pattern: np.ndarray, ages) -> np.ndarray:
    a = np.clip(np.asarray(ages), 0, len(pattern) - 1)
    return np.where(np.asarray(ages) < 0, 0.0, np.nan_to_num(pattern[a]))


def _expected(base, ultimate_, pattern: np.ndarray, then, now) -> np.ndarray:
    """What a cohort at ``base`` at age ``then`` should hold at age ``now``: the part of the
    remaining ``ultimate_ - base`` that the pattern says emerges between the two ages."""
    gone, reach = _share(pattern, then), _share(pattern, now)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.clip(np.where(gone < 1, (reach - gone) / (1 - gone), 1.0), 0, 1)
    return base + (np.fmax(ultimate_, base) - base) * s


def emergence_spread(projection: Projection, months: int) -> np.ndarray:
    """Per age 0..target: root mean square of log((gain + f) / (expected gain + f)) over the
    past cuts of the known triangle, the gain being what was won in the ``months`` after a
    cut (f = FLOOR x cost); NaN with fewer than MIN_RESIDUALS."""
    known, fitted = projection.known, projection.fit
    assert known is not None and fitted is not None
    target = projection.target
    K = known.known
    measured = known.measured
    groups = fitted.groups
    time = fitted.time
    logs: list[list[np.ndarray]] = [[] for _ in range(target + 1)]
    for j in range(months, known.ages_at.shape[1]):  # one refit per past cut
        then, later = known.ages_at[:, j], known.ages_at[:, j - months]
        observed = np.isfinite(K) & (known.cut >= j)
        share, _, prior, latest, exposure = estimate(K, known.cost, then, observed, groups,
                                                      time)
        paid = reserving.emergence(np.where(observed, measured, np.nan),
                                   np.where(then >= 0, np.clip(then, 0, target), -1))
        rows = np.flatnonzero((then >= 1) & (then < target) & np.isfinite(latest)
                              & (exposure > 0))
        a, b = then[rows], np.minimum(later[rows], target)
        actual = measured[rows, b]
        seen = np.isfinite(actual) & (known.cut[rows, b] == j - months)
        if not seen.any():
            continue
        rows, a, b, actual = rows[seen], a[seen], b[seen], actual[seen]
        guess = ultimate(projection.method, latest[rows], share[a],
                         prior.elr[rows] * exposure[rows])
        base = measured[rows, a]
        expected = _expected(base, guess, paid, a, b)
        floor = FLOOR * exposure[rows]
        # the gain since the cut against the gain expected: what a campaign won before is
        # no evidence either way; a cohort the method could not project says nothing
        error = np.log((np.maximum(actual - base, 0) + floor) / (expected - base + floor))
        error, a = error[np.isfinite(guess)], a[np.isfinite(guess)]
        for age in np.unique(a):  # at most target ages
            logs[age].append(error[a == age])
    out = np.full(target + 1, np.nan)
    for age, parts in enumerate(logs):
        values = np.concatenate(parts) if parts else np.zeros(0)
        if len(values) >= MIN_RESIDUALS:
            out[age] = np.sqrt(np.mean(values ** 2) * (1 + 1 / len(values)))
    # an age with too few past errors takes its neighbours' spread
    finite = np.isfinite(out)
    if finite.any():
        out = np.where(finite, out, np.interp(np.arange(target + 1), np.flatnonzero(finite),
                                              out[finite]))
    return out


def watch(inputs: Inputs, credits: pd.DataFrame, settings: Settings, since: int = 3,
          target: int = 12, confidence: float = 0.8, method: str = "auto",
          priors: dict | None = None, chain: Chain | None = None,
          months: ByMonth | None = None, engine: Engine | None = None
          ) -> tuple[pd.DataFrame, Projection, Projection, pd.Timestamp]:
    """Actual vs expected emergence of every campaign (see the module docstring): the table,
    the projections now and ``since`` months ago, and that date. ``months``: the grid now (to
    at least ``target``; saves its pass); ``engine`` runs the passes on the earlier data."""
    if isinstance(since, bool) or not isinstance(since, (int, np.integer)) or since < 1:
        raise InputError(f"expected a positive number of months, got {since}", option="since")
    if method == "chain_ladder":
        raise InputError("watch needs a method with a prior (bf, cape_cod, benktander, auto): "
                         "the chain ladder expects nothing of a campaign with no return yet",
                         option="method")
    if months is None or months.last < target:
        months = by_month(inputs, credits, settings, target)
    now = project(inputs, credits, settings, target, "campaign", confidence, months, method,
                  priors, chain)
    when = (inputs.as_of - pd.DateOffset(months=since)).normalize()
    earlier = snapshot(inputs, when)
    earlier_credits, earlier_months = (engine or Engine()).passes(earlier, settings, target,
                                                                  chain)
    then = project(earlier, earlier_credits, settings, target, "campaign", confidence,
                   earlier_months, method, priors, chain)
    assert then.fit is not None and now.fit is not None
    table_now, table_then = now.table, then.table
    key = table_now.columns[0]
    row = pd.Index(table_then[key]).get_indexer(table_now[key])
    existed = row >= 0

    def then_value(column: str, missing: float) -> np.ndarray:
        """The earlier table's column for each campaign now (``missing`` if it was not there)."""
        return take(table_then[column].to_numpy(dtype="float64"), row, missing)

    age_now = table_now["age_months"].to_numpy()
    # a campaign not there then (launched or first credited since) counts from age 0 in the
    # formulas; its age_then is blank, not 0
    age_then = then_value("age_months", 0).astype("int64")
    base = then_value("measured_return", 0.0)
    cost_now = table_now["projected_cost"].fillna(table_now["measured_cost"]).to_numpy()
    # a campaign launched since (or too young then): what the prior expected of its channel
    prior_then = pd.Series(then.fit.prior.group_elr, index=then.fit.prior.groups)
    channel = months.table["channel"].astype("str").to_numpy()
    elr_new = prior_then.reindex(channel).fillna(then.fit.prior.portfolio).to_numpy()
    projected_then = then_value("projected_return", np.nan)
    ultimate_then = np.where(np.isfinite(projected_then), projected_then,
                             elr_new * np.nan_to_num(cost_now))
    expected = _expected(base, ultimate_then, then.fit.measured_share, age_then,
                         np.minimum(age_now, target))
    spread = emergence_spread(now, since)
    sd = spread[np.clip(age_then, 0, target)]
    fallback = np.nanmax(spread) if np.isfinite(spread).any() else 0.5
    sd = np.where(np.isfinite(sd), sd, fallback)
    cost = np.nan_to_num(cost_now)
    floor = FLOOR * cost
    low, high = reserving.lognormal_interval(expected - base + floor, sd, confidence)
    low, high = base + np.maximum(low - floor, 0), base + np.maximum(high - floor, 0)
    low, high = cents(low, "down"), cents(high, "up")  # as shown and compared
    actual = table_now["measured_return"].to_numpy()
    judged = ((age_now >= 1) & (age_then < target) & np.isfinite(expected)
              & (np.isfinite(ultimate_then)) & ((cost > 0) | existed))
    status = np.where(judged, verdict(actual, low, high), "not judged")
    out = pd.DataFrame({
        key: table_now[key], "age_months": age_now, "age_then": np.where(existed, age_then, np.nan),
        "expected_return": np.where(judged, expected, np.nan),
        "expected_low": np.where(judged, low, np.nan),
        "expected_high": np.where(judged, high, np.nan),
        "measured_return": actual,
        "difference": np.where(judged, actual - expected, np.nan),
        "status": status,
        "projected_roi_then": np.where(np.isfinite(projected_then),
                                       then_value("projected_roi", np.nan),
                                       roi(cost, ultimate_then)),
        "projected_roi": table_now["projected_roi"].to_numpy()})
    return out, now, then, when


def verdict(won, low, high) -> np.ndarray:
    """``behind`` (won less than the interval), ``ahead`` or ``on track``, comparing what the
    exports show: the won amount to the cent (:func:`roiclock.frames.cents`) against the
    interval's ends rounded outward to the cent. A campaign that won nothing since, whose
    interval's low end is what it had won then, stays on track whatever float noise lies
    between the two sums; a cent below the low end shown is behind.

    >>> verdict([138894.925, 138894.92, 162000.0], [138894.92500000002, 138894.93, 139e3],
    ...         [161619.72, 161619.72, 161619.72]).tolist()
    ['on track', 'behind', 'ahead']
    """
    won = cents(won)
    low, high = cents(low, "down"), cents(high, "up")
    return np.where(won < low, "behind", np.where(won > high, "ahead", "on track"))


def read_previous(path, cohort: str | None = None, target: int | None = None,
                  period: str | None = None) -> pd.DataFrame:
    """The records of an earlier ``project --format json`` export; with ``cohort`` and
    ``target`` (and this run's ``period``), refused when made with another --cohort,
    --target or --period (see :func:`check_comparable`)."""
    path = Path(path)
    try:
        records = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a json export of 'roiclock project' ({exc})",
                         file=str(path)) from None
    needed = {"age_months", "measured_return", "projected_cost", "projected_roi", "status"}
    if (not isinstance(records, list) or not records or not isinstance(records[0], dict)
            or not needed <= set(records[0])):
        raise InputError("not a json export of 'roiclock project' (expected its records: "
                         + ", ".join(sorted(needed)) + ")", file=str(path))
    previous = pd.DataFrame.from_records(records)
    if cohort is not None and target is not None:
        check_comparable(previous, cohort, target, period)
    return previous


def period_of(table: pd.DataFrame) -> str | None:
    """The --period a projection table (or its export) was made with, from its ``period``
    column (``2024-Q1``: quarter, ``2024-03``: month); None without one. A column holding
    anything else is not guessed at: an error naming a cell."""
    if "period" not in table.columns:
        return None
    labels = table["period"].dropna().astype("str").str.strip()
    labels = labels[labels != ""]
    if labels.empty:
        return None
    for name, pattern in (("quarter", r"\d{4}-Q[1-4]"), ("month", r"\d{4}-(0[1-9]|1[0-2])")):
        if labels.str.fullmatch(pattern).all():
            return name
    odd = labels[~labels.str.fullmatch(r"\d{4}-(Q[1-4]|0[1-9]|1[0-2])")]
    if len(odd):
        raise InputError(f"the earlier export's period column holds '{shown(odd.iloc[0], 40)}':"
                         " neither a month (2024-03) nor a quarter (2024-Q1)", option="compare")
    quarter = labels[labels.str.contains("Q")].iloc[0]
    month = labels[~labels.str.contains("Q")].iloc[0]
    raise InputError(f"the earlier export's period column mixes quarters ('{quarter}') and "
                     f"months ('{month}'): one export per --period", option="compare")


def check_comparable(previous: pd.DataFrame, cohort: str, target: int,
                     period: str | None = None) -> None:
    """An earlier export compares only when made with the same --cohort (its first column),
    --target (its ``target_months``) and --period (its ``period`` column, which exports
    made with --period carry): a 6-month ROI is no earlier 12-month ROI, and a campaign's
    quarter is not the campaign. What an export does not record (the attribution model,
    the basis, the cost multiplier) cannot be checked; a different --method is what
    ``factors`` measures."""
    if cohort not in previous.columns:
        raise InputError(f"the earlier export has no '{cohort}' column (was it made with "
                         "another --cohort?)", option="compare")
    if "target_months" in previous.columns:
        then = sorted({int(t) for t in pd.to_numeric(previous["target_months"],
                                                     errors="coerce").dropna()})
        if then and then != [target]:
            raise InputError(f"the earlier export projects to {then[0]} months, this run to "
                             f"{target} (was it made with another --target?)",
                             option="compare")
    # an export that records no period (made before exports carried it) is not taken for
    # one made without --period: compare() then refuses it only if it shares no cohort. By
    # launch month the cohorts' names do not show a period: that cannot tell, so refused
    earlier = period_of(previous)
    if "period" not in previous.columns and cohort == "month" and period is not None:
        raise InputError("the earlier export records no --period (made without one, or before "
                         "exports carried it): by launch month its cohorts cannot be told from "
                         f"this run's with --period {period}", option="compare")
    if "period" in previous.columns and earlier != period:
        def made(what: str | None) -> str:
            return f"with --period {what}" if what else "without --period"

        raise InputError(f"the earlier export was made {made(earlier)}, this run "
                         f"{made(period)}: its cohorts are not this run's", option="compare")


def compare(projection: Projection, previous: pd.DataFrame) -> pd.DataFrame:
    """Per cohort of ``projection``: previous_roi, change (now - previous), and the change split
    into new_closes and factors (see the module docstring); empty where the cohort is new or
    was not projected then.

    The earlier export holds its numbers as exports write them (ROI to 6 significant
    digits, money to the cent): the current ones are taken to the same precision before
    they are set against them (:func:`roiclock.precision.as_exported`), and a cohort whose
    state (age, won, pipeline, cost) reads the same in both is projected again as it is
    now, so a run compared with its own export changes by exactly 0. An export sharing no
    cohort with this run is refused: there would be nothing to compare."""
    table = projection.table
    key = table.columns[0]
    check_comparable(previous, str(key), projection.target, period_of(table))
    prev = previous.drop_duplicates(key).set_index(previous.drop_duplicates(key)[key]
                                                   .astype("str"))
    if len(table) and not table[key].astype("str").isin(prev.index).any():
        noun = "launch months" if key == "month" else "campaigns"
        raise InputError(f"the earlier export has none of this run's {len(table)} {noun} "
                         "(was it made from other data, or with another --period?)",
                         option="compare")
    prev = prev.reindex(table[key].astype("str"))
    state = ("measured_return", "pipeline_return", "projected_cost")
    number = {c: as_exported(pd.to_numeric(prev[c], errors="coerce").to_numpy(
                  dtype="float64") if c in prev else np.full(len(prev), np.nan), c)
              for c in ("age_months", *state, "projected_roi")}
    mine = {c: as_exported(table[c].to_numpy(dtype="float64"), c)
            for c in ("age_months", *state, "projected_roi")}
    target = projection.target
    age = number["age_months"]
    ok = np.isfinite(age) & np.isfinite(number["projected_roi"])
    a = np.clip(np.nan_to_num(age).astype("int64"), 0, target)
    cost = number["projected_cost"]
    known = number["measured_return"] + np.nan_to_num(number["pipeline_return"])
    fitted = projection.fit
    assert fitted is not None
    if projection.method == "chain_ladder":
        with np.errstate(divide="ignore", invalid="ignore"):
            again = number["measured_return"] / fitted.paid_share[a]
    else:
        again = ultimate(projection.method, known, fitted.known_share[a], fitted.elr * cost)
    again = np.where(a >= target, number["measured_return"], again)
    now = mine["projected_roi"]
    # nothing the export records about the cohort moved: projected again, it is as it is now
    unmoved = ((a == np.clip(mine["age_months"], 0, target))
               & (number["measured_return"] == mine["measured_return"])
               & (np.nan_to_num(number["pipeline_return"])
                  == np.nan_to_num(mine["pipeline_return"]))
               & (cost == mine["projected_cost"]))
    roi_again = np.where(unmoved, now, as_exported(roi(cost, again), "projected_roi"))
    previous_roi = np.where(ok, number["projected_roi"], np.nan)
    return pd.DataFrame({
        "previous_roi": previous_roi, "change": now - previous_roi,
        "new_closes": np.where(ok, now - roi_again, np.nan),
        "factors": np.where(ok, roi_again - previous_roi, np.nan)})
