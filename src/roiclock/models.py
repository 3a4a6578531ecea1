"""Attribution models: one registry entry per model, name -> weighting function.

A weighting function gets every eligible touch of the won deals (:class:`Touches`) and the
settings, and returns each touch's unnormalized weight; :func:`roiclock.attribution.attribute`
normalizes them per deal. Adding a model is one function and one entry in :data:`MODELS`: the
config's check, the ``--model`` help, the README's model list and the tests read the registry.

Per-deal quantities (oldest and newest touch, counts) are scattered with ``np.maximum.at`` /
``np.bincount`` over integer deal codes and gathered back by indexing: no sort, no loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

FloatArray = np.ndarray


@dataclass(frozen=True)
class Touches:
    """The eligible touches of won deals, in any order.

    deal : row of the deal among the won deals (0..n_deals-1)
    campaign : the campaign's code (alphabetical rank)
    age_days : whole days from the touch to the deal's close (0 = on the close day)
    n_deals : how many won deals there are
    effect : per touch, its campaign's removal effect (data-driven models only)
    """

    deal: np.ndarray
    campaign: np.ndarray
    age_days: np.ndarray
    n_deals: int
    effect: np.ndarray | None = None
    created_days: np.ndarray | None = None  # per touch: days from its deal's creation to close
    # per touch, the campaign a spend-period cohort stands for (a code; -1 for none), which
    # the Markov model credits once per deal; None: each touch's campaign is its own
    unit: np.ndarray | None = None

    @property
    def created_known(self) -> np.ndarray:
        """Per touch, whether its deal has a created date."""
        if self.created_days is None:
            return np.zeros(len(self.deal), dtype=bool)
        return ~np.isnan(self.created_days)

    def per_deal(self, values: np.ndarray) -> np.ndarray:
        """The sum of ``values`` over each touch's deal, gathered back per touch."""
        return np.bincount(self.deal, weights=values, minlength=self.n_deals)[self.deal]

    def oldest(self) -> np.ndarray:
        """Per touch, the age of its deal's oldest touch (the first touch)."""
        out = np.full(self.n_deals, np.iinfo("int64").min)
        np.maximum.at(out, self.deal, self.age_days)
        return out[self.deal]

    def newest(self) -> np.ndarray:
        """Per touch, the age of its deal's newest touch (the last touch)."""
        out = np.full(self.n_deals, np.iinfo("int64").max)
        np.minimum.at(out, self.deal, self.age_days)
        return out[self.deal]


Weights = Callable[[Touches, Any], FloatArray]


@dataclass(frozen=True)
class Model:
    """An attribution model: its ``weights`` function and a one-line ``summary``.
    ``settings``: the settings it reads (shown beside its name in reports); ``chain``: the
    model needs the fitted Markov chain (``Touches.effect`` is filled); ``created``: it gives
    a role to the touch before the deal's creation (deals without a created date fall back
    to position-based)."""

    summary: str
    weights: Weights
    settings: tuple[str, ...] = ()
    chain: bool = False
    created: bool = False


def describe(name: str, settings: Any) -> str:
    """A model's name with the settings it reads: ``time_decay, half_life_days 30``."""
    values = [f"{key} {getattr(settings, key):g}" if isinstance(getattr(settings, key), float)
              else f"{key} {getattr(settings, key)}" for key in MODELS[name].settings]
    return ", ".join([name, *values])


def _linear(t: Touches, settings: Any) -> FloatArray:
    return np.ones(len(t.deal))


def _first(t: Touches, settings: Any) -> FloatArray:
    return (t.age_days == t.oldest()).astype("float64")


def _last(t: Touches, settings: Any) -> FloatArray:
    return (t.age_days == t.newest()).astype("float64")


def _time_decay(t: Touches, settings: Any) -> FloatArray:
    # relative to the deal's newest touch: the same normalized shares, no underflow
    return np.exp2(-(t.age_days - t.newest()) / settings.half_life_days)


def _position(t: Touches, settings: Any) -> FloatArray:
    """U-shaped: first-day touches share position_first, last-day ones position_last, the
    middle ones the rest. One day of touches: equal shares; no middle: first and last days
    split in the ratio position_first : position_last (50/50 by default)."""
    age, oldest, newest = t.age_days, t.oldest(), t.newest()
    first = age == oldest
    last = (age == newest) & ~first
    middle = ~(first | last)
    n_first, n_last, n_middle = (t.per_deal(m.astype("float64")) for m in (first, last, middle))
    p_first, p_last = settings.position_first, settings.position_last
    ends = p_first + p_last
    no_middle_first = p_first / ends if ends > 0 else 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        with_middle = np.where(first, p_first / n_first,
                               np.where(last, p_last / n_last, (1 - ends) / n_middle))
        without_middle = np.where(first, no_middle_first / n_first,
                                  (1 - no_middle_first) / n_last)
    weights = np.where(n_middle > 0, with_middle, without_middle)
    one_day = n_last == 0
    return np.asarray(np.where(one_day, 1.0, weights), dtype="float64")


ROLES = ("first", "created", "last", "middle")
W_SHAPED = {"first": 0.3, "created": 0.3, "last": 0.3, "middle": 0.1}


def role_weights(t: Touches, shares: dict[str, float]) -> FloatArray:
    """Roles in a deal's path, each with its share: ``first`` (the earliest day's touches),
    ``created`` (the touches of the latest day on or before the deal's created date; the
    first touch when every touch came after), ``last`` (the latest day's touches) and
    ``middle`` (every other touch). Touches sharing a role split its share; a touch holding
    several roles adds their shares, so with fewer distinct roles the shares fold (one touch:
    100%; first = created, then last: 60/30 of 90, i.e. 2/3 and 1/3). No middle touch: the
    roles' shares are normalized. Deals without a created date fall back to position-based
    (first / middle / last with the shares of first, middle and last renormalized)."""
    age, oldest, newest = t.age_days, t.oldest(), t.newest()
    first, last = age == oldest, age == newest
    created_days = (t.created_days if t.created_days is not None
                    else np.full(len(age), np.nan))
    known = ~np.isnan(created_days)
    # touches on or before creation are at least as old as the creation (ages count back)
    before = known & (age >= np.nan_to_num(created_days, nan=np.inf))
    none = np.iinfo("int64").min
    newest_before = np.full(t.n_deals, none)
    np.maximum.at(newest_before, t.deal, np.where(before, -age, none))
    latest = newest_before[t.deal]
    created = np.where(latest > none, before & (-age == latest), first) & known
    middle = ~(first | last | created)
    weights = np.zeros(len(age))
    for role, mask in (("first", first), ("created", created), ("last", last),
                       ("middle", middle)):
        count = t.per_deal(mask.astype("float64"))
        with np.errstate(divide="ignore", invalid="ignore"):
            weights += np.where(mask, shares.get(role, 0.0) / count, 0.0)
    return weights


def _by_roles(t: Touches, settings: Any, shares: dict[str, float]) -> FloatArray:
    """Role weights; deals without a created date fall back to the position model."""
    weights = role_weights(t, shares)
    if t.created_known.all():
        return weights
    return np.where(t.created_known, weights, _position(t, settings))


def _w_shaped(t: Touches, settings: Any) -> FloatArray:
    return _by_roles(t, settings, W_SHAPED)


def _custom(t: Touches, settings: Any) -> FloatArray:
    return _by_roles(t, settings, dict(settings.position_weights))


def _markov(t: Touches, settings: Any) -> FloatArray:
    """Each distinct campaign of a deal's path weighs its removal effect (repeats weigh 0); a
    deal whose effects are all 0 splits equally among its distinct campaigns. With spend
    periods (``t.unit``: the campaign behind each cohort) a campaign still weighs its effect
    once per deal, shared among its touches, so each cohort gets its touches' part and the
    cohorts of a campaign add up to what the campaign gets without periods."""
    from .frames import first_of, group_sizes  # pandas' hash: the registry stays light

    assert t.effect is not None, "the markov model needs the chain's removal effects"
    if t.unit is None:
        width = int(t.campaign.max(initial=-1)) + 2
        key = t.deal * width + t.campaign
        share = first_of(key).astype("float64")
    else:
        key = t.deal * (int(t.unit.max(initial=-1)) + 2) + (t.unit + 1)
        share = 1.0 / group_sizes(key)
    weights = share * t.effect
    total = np.bincount(t.deal, weights=weights, minlength=t.n_deals)
    return np.where(total[t.deal] > 0, weights, share)


MODELS: dict[str, Model] = {
    "first": Model("the earliest eligible touch (same-day ties share)", _first),
    "last": Model("the latest eligible touch (same-day ties share)", _last),
    "linear": Model("an equal share per eligible touch", _linear),
    "time_decay": Model("weight 2^(-age_days / half_life_days)", _time_decay,
                        ("half_life_days",)),
    "position": Model("U-shaped: position_first / middle / position_last", _position,
                      ("position_first", "position_last")),
    "w_shaped": Model("W-shaped: 30% first, 30% at creation, 30% last, 10% the rest",
                      _w_shaped, created=True),
    "custom": Model("position_weights from the config: first / created / last / middle",
                    _custom, ("position_weights",), created=True),
    "markov": Model("data-driven: removal effects of a Markov chain over paths", _markov,
                    ("markov_order", "markov_level"), chain=True),
}
