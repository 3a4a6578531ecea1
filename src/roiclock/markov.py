"""Data-driven attribution: a Markov chain over customer paths, credited by removal effect.

Paths: every deal's touches in date order (ties: campaign name), the eligible ones for a closed
deal (0 <= close - touch < lookback), those within the lookback before as-of for an open one.
A won deal's path ends in the conversion state, a lost or open deal's in the null state. With
order k, a state is the tuple of the last k steps (shorter at a path's start).

The chain: transition probabilities are counts of observed transitions, normalized per state,
from a start state to conversion or null. P(conversion) = x_start with x = (I - Q)^-1 r (Q:
transient-to-transient probabilities, r: to conversion). The removal effect of a channel c is
1 - P_without_c / P, where removing c sends every transition into a state containing c to null
(x = 0 there). For order 1, all removal effects come from one inverse with the Sherman-Morrison
update of row c; for higher orders each channel's reduced system is solved. Exact, where
ChannelAttribution estimates the same quantities by simulation.

Per deal: a won deal's value is split among the distinct campaigns of its eligible path in
proportion to their removal effects (equal shares if all are 0). The totals then differ from a
global allocation of all return by removal-effect share; ``explain`` shows both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .frames import distinct
from .paths import channel_of, deal_end, path_starts, path_steps
from .schema import UNATTRIBUTED, InputError
from .survival import lag_lookback, win_chance
from .validation import Inputs


@dataclass(frozen=True)
class Chain:
    """A fitted chain. ``names``: the channels (campaigns or channels); ``removal_effects``
    aligned with them; ``conversion``: P(conversion) from the start; when asked for,
    ``transitions`` (from, to, probability) and ``paths`` (distinct paths with their
    conversions and nulls, most frequent first)."""

    names: np.ndarray
    removal_effects: np.ndarray
    conversion: float
    transitions: pd.DataFrame | None
    order: int
    paths: pd.DataFrame | None = None
    paths_through: np.ndarray | None = None

    @property
    def per_path(self) -> np.ndarray:
        """Each channel's removal effect per path through it: what one deal's path owes the
        channel, whatever its volume (a deal is split by these, see the module docstring)."""
        through = (self.paths_through if self.paths_through is not None
                   else np.ones(len(self.names)))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(through > 0, self.removal_effects / through, 0.0)


def chain(inputs: Inputs, settings, tables: bool = False) -> Chain:
    """The chain fitted on every deal's path (:func:`roiclock.paths.path_steps`), over
    campaigns or, with ``markov_level: channel``, their channels; with ``tables``, also the
    readable transition and path tables (slower: text per deal)."""
    if inputs.touches is None:
        raise InputError("the markov model needs a touches file (paths of several touches)")
    # an open path is censored, not a failure: it converts with its chance to still win,
    # counted from its start as lag finds it (the first touch within lag_lookback: a short
    # lookback does not cut the durations); the chain's paths hold the touches within the
    # lookback (one pass over the touches either way)
    window = lag_lookback(settings.lookback_days)
    steps, campaign_names = path_steps(inputs, window)
    converted = win_chance(inputs, settings, begin=path_starts(steps, len(inputs.deals)))
    if window > settings.lookback_days:
        steps = _within(steps, inputs, settings.lookback_days)
    level, names = pd.factorize(_level(inputs, settings, campaign_names), sort=True)
    codes = level[steps["code"].to_numpy()]
    if not tables:  # the fit reads only each step's deal: dates and campaigns go (80 MB each
        steps = steps[["deal"]]  # at 10M steps, under the fit's peak)
    return fit(steps, converted, np.asarray(names, dtype=object), codes, settings.markov_order,
               tables=tables)


def _within(steps: pd.DataFrame, inputs: Inputs, lookback_days: int) -> pd.DataFrame:
    """The path steps within ``lookback_days`` of their deal's end (the order kept)."""
    end = deal_end(inputs).astype("datetime64[s]").view("int64")
    deal = steps["deal"].to_numpy()
    date = steps["date"].to_numpy().astype("datetime64[s]", copy=False)
    keep = end[deal] - date.view("int64") < lookback_days * 86_400
    if keep.all():
        return steps
    # numpy selections, not a frame's boolean take (1.0 s -> ~0.2 s at 10M steps)
    return pd.DataFrame({"deal": deal[keep], "code": steps["code"].to_numpy()[keep],
                         "date": date[keep]}, copy=False)


def _level(inputs: Inputs, settings, names) -> np.ndarray:
    """The chain's state of each campaign name: its channel (``markov_level: channel``), or
    the campaign itself, a spend-period cohort standing for its campaign."""
    if settings.markov_level == "channel":
        return channel_of(inputs, names)
    return _campaigns(inputs, names)


def _campaigns(inputs: Inputs, names) -> np.ndarray:
    """Each name's campaign: the campaign behind a spend-period cohort, else the name."""
    names = np.asarray(names, dtype=object).astype("str")
    if inputs.cohorts is None:
        return names
    base = inputs.cohorts.set_index("campaign")["base"]
    return pd.Series(names).map(base).fillna(pd.Series(names)).astype("str").to_numpy()


def campaign_effects(fitted: Chain, inputs: Inputs, settings, names) -> np.ndarray:
    """Each campaign name's removal effect per path (:attr:`Chain.per_path`): that of its
    campaign, or of the campaign's channel with ``markov_level: channel``; 0 for one the
    chain never saw."""
    level = _level(inputs, settings, names)
    effect_of = pd.Series(fitted.per_path, index=np.asarray(fitted.names).astype("str"))
    return pd.Series(level).map(effect_of).fillna(0.0).to_numpy()


def touch_effects(fitted: Chain, inputs: Inputs, settings, names, codes) -> np.ndarray:
    """Each touch's removal effect per path: :func:`campaign_effects` of ``names[codes]``; 0
    for a code -1 (a touch whose campaign is not among ``names``)."""
    return np.append(campaign_effects(fitted, inputs, settings, names), 0.0)[codes]


def effects_table(fitted: Chain, inputs: Inputs, settings, names) -> pd.DataFrame:
    """What the SQL plan reads for the markov model, one row per campaign name: ``effect``
    (:func:`campaign_effects`) and ``unit``, the campaign a spend-period cohort stands for
    (the name itself without periods: see :func:`touch_units`)."""
    names = np.asarray(names, dtype=object).astype("str")
    return pd.DataFrame({"campaign": names, "unit": _campaigns(inputs, names),
                         "effect": campaign_effects(fitted, inputs, settings, names)})


def touch_units(inputs: Inputs, names, codes) -> np.ndarray | None:
    """Per touch (``names[codes]``; a code -1 for none), the campaign its spend-period cohort
    stands for, as a code: the Markov model credits a campaign once per deal and shares it
    among its cohorts (:class:`roiclock.models.Touches` ``unit``). None without periods."""
    if inputs.cohorts is None:
        return None
    units = pd.factorize(_campaigns(inputs, names))[0]
    codes = np.asarray(codes)
    return np.where(codes >= 0, units[np.maximum(codes, 0)], -1)


def explanation(fitted: Chain, inputs: Inputs, settings, credits: pd.DataFrame
                ) -> pd.DataFrame:
    """One row per channel of the chain (campaign or channel): removal_effect, share (of the
    summed effects), credited_return (its per-deal credits, as the report uses them),
    global_return (all attributed return allocated by share, the textbook total), paths (the
    deals whose path holds it) and effect_per_path (removal_effect / paths: what each deal's
    split weighs it by, the ``effects`` table of the SQL plan); largest effect first."""
    credited = credits[credits["campaign"] != UNATTRIBUTED]
    names = np.asarray(fitted.names).astype("str")
    level = credited["campaign"].astype("str").to_numpy()
    if settings.markov_level == "channel":
        level = channel_of(inputs, level)
    by_name = credited["return"].groupby(level).sum()
    effects = fitted.removal_effects
    share = effects / effects.sum() if effects.sum() > 0 else np.zeros(len(effects))
    table = pd.DataFrame({settings.markov_level: names, "removal_effect": effects,
                          "share": share,
                          "credited_return": by_name.reindex(names).fillna(0.0).to_numpy(),
                          "global_return": share * credited["return"].sum(),
                          "paths": (fitted.paths_through if fitted.paths_through is not None
                                    else np.ones(len(names), dtype="int64")),
                          "effect_per_path": fitted.per_path})
    return table.sort_values(["removal_effect", settings.markov_level],
                             ascending=[False, True], kind="stable").reset_index(drop=True)


def _states(codes: np.ndarray, deal: np.ndarray, order: int, n: int):
    """State id of every step: the last ``order`` channel codes (1-based, 0 = before start)
    in mixed radix; and per step whether it starts its path."""
    first = np.r_[True, deal[1:] != deal[:-1]] if len(deal) else np.array([], bool)
    if order == 1:  # the step's own channel: no look back (0.3 s of shifts at 10M steps)
        return codes.astype("int64") + 1, first
    key = np.zeros(len(codes), dtype="int64")
    since_start = np.zeros(len(codes), dtype="int64")
    if len(codes):
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(codes)), 0))
        since_start = np.arange(len(codes)) - group_start
    for lag in range(order):  # a handful of passes: order <= 3
        shifted = np.roll(codes + 1, lag)
        shifted = np.where(since_start >= lag, shifted, 0)
        key = key * (n + 1) + shifted
    return key, first


# The chain is solved with dense matrices (states + 3 squared, float64, about five of them)
# and, above order 1, one reduced solve per channel: refuse what would not fit or not end
MAX_STATES = 10_000  # ~0.8 GB a matrix
MAX_WORK = 2e12  # channels x states^3 for orders 2-3 (the sample's order 3: 8e11, ~10 s)


def _check_size(states: int, channels: int, order: int) -> None:
    if states + 1 > MAX_STATES or (order > 1 and channels * float(states) ** 3 > MAX_WORK):
        raise InputError(
            f"the Markov chain of order {order} has {states:,} states over {channels:,} "
            f"channels: too many to solve here (at most {MAX_STATES:,} states, fewer at "
            "orders 2-3); use markov_order: 1 or markov_level: channel")


def fit(steps: pd.DataFrame, converted: np.ndarray, names: np.ndarray, codes: np.ndarray,
        order: int = 1, tables: bool = False) -> Chain:
    """Fit the chain on path steps (``codes``: the channel index of each step in ``names``);
    ``converted``: per deal, 1 when it was won, 0 when lost, or (open, censored) its chance
    to still win: its path ends in conversion with that weight and in null with the rest.
    ``tables`` adds the readable transition and path tables (for explanations; they cost a
    string per transition and per deal). ``paths_through``: per channel, how many deals'
    paths hold it."""
    deal = steps["deal"].to_numpy()
    converted = np.asarray(converted, dtype="float64")
    n = len(names)
    key, first = _states(codes, deal, order, n)
    state_keys, state = _compact(key, (n + 1) ** order)
    del key
    s = len(state_keys)
    _check_size(s, n, order)
    start, conv, null = s, s + 1, s + 2
    last = np.r_[deal[1:] != deal[:-1], True] if len(deal) else np.array([], bool)
    # start -> first step; each step -> the next; the last step -> conversion (weight: the
    # deal's chance to be won) and null (the rest)
    # (each kind of transition counted apart, no concatenated copy of every step: the same
    # sums, as each cell receives one kind only)
    won = converted[deal[last]]
    ends = state[last]
    pairs = state[~last]  # from -> to as one index, built in place (80 MB a copy at 10M)
    pairs *= s + 3
    pairs += state[~first]
    counts = np.bincount(pairs, minlength=(s + 3) ** 2).astype("float64").reshape(s + 3, s + 3)
    del pairs
    counts[start] += np.bincount(state[first], minlength=s + 3)
    counts[:, conv] += np.bincount(ends, weights=won, minlength=s + 3)
    counts[:, null] += np.bincount(ends, weights=1 - won, minlength=s + 3)
    counts = counts[: s + 1]                      # rows: states and start
    totals = counts.sum(axis=1, keepdims=True)
    prob = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    Q, r = prob[:, : s + 1], prob[:, conv]
    members = _members(state_keys, order, n)      # states x channels: contains channel?
    p, effects = _removal_effects(Q, r, start, members)
    key_deal_code = deal * (n + 1)
    key_deal_code += codes
    key_deal_code = distinct(key_deal_code, runs=True)  # steps are in deal order
    through = np.bincount(key_deal_code % (n + 1), minlength=n)[:n]
    if not tables:
        return Chain(names, effects, p, None, order, paths_through=through)
    return Chain(names, effects, p, _transition_table(prob, state_keys, order, n, names),
                 order, path_table(steps, names, codes, converted), through)


def _compact(key: np.ndarray, space: int):
    """Distinct keys (sorted) and each key's index among them: a presence table when the key
    space is small (no sort), np.unique otherwise."""
    if space <= 20_000_000:
        present = np.zeros(space, dtype=bool)
        present[key] = True
        index = np.cumsum(present) - 1
        return np.flatnonzero(present), index[key]
    return np.unique(key, return_inverse=True)


def _members(state_keys: np.ndarray, order: int, n: int) -> np.ndarray:
    out = np.zeros((len(state_keys), n), dtype=bool)
    rest = state_keys.copy()
    for _ in range(order):
        digit = rest % (n + 1)
        rest //= n + 1
        hit = digit > 0
        out[np.flatnonzero(hit), digit[hit] - 1] = True
    return out


def _removal_effects(Q: np.ndarray, r: np.ndarray, start: int, members: np.ndarray):
    """P(conversion) and every channel's removal effect."""
    A = np.eye(len(Q)) - Q
    N = np.linalg.inv(A)
    x = N @ r
    p = float(x[start])
    n_states, n = members.shape
    if p <= 0:
        return p, np.zeros(n)
    if members.sum(axis=0).max(initial=0) <= 1 and members.sum(axis=1).max(initial=0) <= 1:
        # order 1: channel c is one state; zeroing its row is a rank-1 update of A
        state_of = np.full(n, -1)
        rows, cols = np.nonzero(members)
        state_of[cols] = rows
        c = state_of
        QN_cc = np.einsum("ij,ji->i", Q[c], N[:, c])
        Qx_c = Q[c] @ x
        N_sc = N[start, c]
        without = (x[start] - r[c] * N_sc
                   - N_sc * (Qx_c - r[c] * QN_cc) / (1 + QN_cc))
        without = np.where(state_of >= 0, without, p)
    else:
        without = np.empty(n)
        for channel in range(n):  # higher orders: one reduced solve per channel
            keep = np.ones(len(Q), dtype=bool)
            keep[: len(members)] = ~members[:, channel]
            idx = np.flatnonzero(keep)
            sub = np.linalg.solve(np.eye(len(idx)) - Q[np.ix_(idx, idx)], r[idx])
            without[channel] = sub[np.searchsorted(idx, start)]
    return p, np.clip(1 - without / p, 0.0, 1.0)


def _state_names(state_keys: np.ndarray, order: int, n: int, names: np.ndarray) -> list[str]:
    labels = []
    for key in state_keys.tolist():  # one label per state, for the explanation only
        parts = []
        for _ in range(order):
            digit = key % (n + 1)
            key //= n + 1
            if digit:
                parts.append(str(names[digit - 1]))
        labels.append(" > ".join(reversed(parts)))
    return labels


def _transition_table(prob, state_keys, order, n, names) -> pd.DataFrame:
    labels = _state_names(state_keys, order, n, names) + ["(start)", "(conversion)", "(null)"]
    s = len(state_keys)
    rows = list(range(s)) + [s]
    frm, to = np.nonzero(prob[rows])
    return pd.DataFrame({"from": [labels[rows[i]] for i in frm], "to": [labels[j] for j in to],
                         "probability": prob[rows][frm, to]})


def path_table(steps: pd.DataFrame, names, codes, converted) -> pd.DataFrame:
    label = pd.Series(np.asarray(names, dtype=object)[codes]).astype("str")
    text = label.groupby(steps["deal"].to_numpy()).agg(" > ".join)
    table = pd.DataFrame({"path": text.to_numpy(), "converted": converted[text.index]})
    table = (table.groupby("path")["converted"].agg(conversions="sum", deals="size")
             .reset_index())
    table["nulls"] = table["deals"] - table["conversions"]  # open deals: fractional
    return (table.sort_values(["deals", "path"], ascending=[False, True], kind="stable")
            [["path", "conversions", "nulls"]].reset_index(drop=True))
