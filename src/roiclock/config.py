"""Settings: the packaged defaults, a YAML file over them, then explicit overrides."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .models import MODELS, ROLES, W_SHAPED
from .schema import COLUMNS, PRESETS, STAGES, InputError

BASES = ("revenue", "margin")
# Windows, horizons and backtests longer than this can never be measured: dates are read from
# 1990 to 2099 (see roiclock.validation), so 100 years is already more than any data holds.
MAX_MONTHS = 1200
# A settings file is a few lines: a larger or deeply nested one is refused before parsing.
MAX_CONFIG_BYTES = 1 << 20
MAX_DEPTH = 10
# A fully loaded cost is a few times the media spend; past this, costs could overflow to
# infinity (amounts go up to 1e12 a row) and ROI silently become empty.
MAX_COST_MULTIPLIER = 1_000_000
# A prior (expected ROI) above this (+10,000%) is a typo, not an expectation: refused, on the
# command line (--prior) as in the config (priors:)
MAX_PRIOR_ROI = 100


@dataclass(frozen=True)
class Settings:
    """Everything that decides the numbers. Build it with :func:`load_settings`."""

    windows: tuple[int, ...] = (3, 6, 9, 12)
    model: str = "linear"
    lookback_days: int = 730
    half_life_days: float = 30.0
    position_first: float = 0.4
    position_last: float = 0.4
    position_weights: dict[str, float] = field(default_factory=lambda: dict(W_SHAPED))
    markov_order: int = 1
    markov_level: str = "campaign"
    basis: str = "revenue"
    default_margin: float | None = None
    cost_multiplier: float = 1.0
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    preset: str | None = None
    stages: dict[str, Any] = field(default_factory=dict)
    dayfirst: bool | None = None
    decimal: str = "auto"
    currency: dict[str, Any] = field(default_factory=dict)
    priors: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self)


def _fail(message: str, source: str) -> None:
    raise InputError(message, file=source if source != "settings" else None)


def shown(value: Any, limit: int = 40) -> str:
    """A setting's value for a message: its repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def prior_problem(value: Any) -> str | None:
    """What is wrong with an expected ROI given as a prior (None: nothing): the one rule of
    ``--prior``, the config's ``priors:`` and the library's ``priors``."""
    if not _number(value) or not value >= -1:
        return f"expected an ROI >= -1 (e.g. 1.5 for +150%), got {shown(value)}"
    if value > MAX_PRIOR_ROI:
        return (f"an ROI of {value:g} is implausibly large (over {MAX_PRIOR_ROI:g}, i.e. "
                f"+{MAX_PRIOR_ROI * 100:,.0f}%)")
    return None


# settings that must be finite numbers (None allowed for default_margin)
NUMBERS = ("lookback_days", "half_life_days", "position_first", "position_last",
           "default_margin", "cost_multiplier", "markov_order")
TEXTS = ("model", "markov_level", "basis", "decimal", "preset")


def _types(s: Settings, source: str) -> None:
    """Each setting of the type it must have, named in the message when it is not."""
    for name in NUMBERS:
        value = getattr(s, name)
        if not (value is None and name == "default_margin") and not _number(value):
            _fail(f"{name}: expected a finite number, got {shown(value)}", source)
    for name in TEXTS:
        value = getattr(s, name)
        if not isinstance(value, str) and not (value is None and name == "preset"):
            _fail(f"{name}: expected text, got {shown(value)}", source)
    if not isinstance(s.windows, tuple) or any(not isinstance(w, int) or isinstance(w, bool)
                                               for w in s.windows):
        _fail(f"windows: expected a list of whole months, got {shown(s.windows)}", source)
    for name in ("columns", "stages", "currency"):
        if not isinstance(getattr(s, name), dict):
            _fail(f"{name}: expected a mapping, got {shown(getattr(s, name))}", source)
    for kind, mapping in s.columns.items():
        if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            _fail(f"columns.{kind}: expected a mapping of column: \"header in the file\", got "
                  f"{shown(mapping)}", source)
    rates = s.currency.get("rates")
    if rates is not None and not isinstance(rates, dict):
        _fail(f"currency.rates: expected a mapping of code: rate, got {shown(rates)}", source)
    base = s.currency.get("base")
    if base is not None and not isinstance(base, str):
        _fail(f"currency.base: expected a currency code, got {shown(base)}", source)


def _check(s: Settings, source: str = "settings") -> None:
    _types(s, source)
    if not s.windows or any(w <= 0 or w > MAX_MONTHS for w in s.windows):
        _fail(f"windows must be positive whole months (at most {MAX_MONTHS}), got "
              f"{shown(s.windows)}", source)
    if list(s.windows) != sorted(set(s.windows)):
        _fail(f"windows must be increasing without repeats, got {shown(s.windows)}", source)
    if s.model not in MODELS:
        _fail(f"unknown model {shown(s.model)} (choose from {', '.join(MODELS)})", source)
    if s.markov_order not in (1, 2, 3):
        _fail(f"markov_order must be 1, 2 or 3, got {shown(s.markov_order)}", source)
    if s.markov_level not in ("campaign", "channel"):
        _fail(f"markov_level must be campaign or channel, got {shown(s.markov_level)}", source)
    if s.basis not in BASES:
        _fail(f"unknown basis {shown(s.basis)} (choose from {', '.join(BASES)})", source)
    if not s.lookback_days > 0:
        _fail(f"lookback_days must be > 0, got {s.lookback_days}", source)
    if not s.half_life_days > 0:
        _fail(f"half_life_days must be > 0, got {s.half_life_days}", source)
    if not (0 <= s.position_first and 0 <= s.position_last
            and s.position_first + s.position_last <= 1):
        _fail("position_first and position_last must be >= 0 and sum to at most 1", source)
    weights = s.position_weights
    if not isinstance(weights, dict) or set(weights) - set(ROLES) or any(
            not isinstance(v, (int, float)) or isinstance(v, bool) or not v >= 0
            for v in weights.values()) or abs(sum(weights.values()) - 1) > 1e-9:
        _fail(f"position_weights: expected shares >= 0 of {', '.join(ROLES)} summing to 1, "
              f"got {weights!r}"[:200], source)
    if s.default_margin is not None and not 0 <= s.default_margin <= 1:
        _fail(f"default_margin must be a fraction 0..1, got {s.default_margin}", source)
    if not 0 <= s.cost_multiplier <= MAX_COST_MULTIPLIER:
        _fail(f"cost_multiplier must be >= 0 and at most {MAX_COST_MULTIPLIER:,}, got "
              f"{shown(s.cost_multiplier)}", source)
    if s.preset is not None and s.preset not in PRESETS:
        _fail(f"unknown preset {shown(s.preset)} (choose from {', '.join(PRESETS)})", source)
    if s.decimal not in ("auto", ".", ","):
        _fail(f"decimal must be auto, '.' or ',', got {shown(s.decimal)}", source)
    if s.dayfirst is not None and not isinstance(s.dayfirst, bool):
        _fail(f"dayfirst must be true, false or null, got {shown(s.dayfirst)}", source)
    for stage, labels in s.stages.items():
        if stage not in STAGES:
            _fail(f"stages: unknown stage {shown(stage)} (won, lost, open)", source)
        if labels != "*" and not isinstance(labels, (list, tuple)):
            _fail(f"stages.{stage}: expected a list of labels or \"*\"", source)
    _check_stage_labels(s.stages, source)
    if set(s.currency) - {"base", "rates"}:
        _fail("currency: expected the keys base and rates", source)
    for code, rate in (s.currency.get("rates") or {}).items():
        if not _number(rate) or not rate > 0:
            _fail(f"currency.rates.{shown(code)}: expected a positive number, got {shown(rate)}",
                  source)
    for name, value in s.priors.items():
        problem = prior_problem(value)
        if problem:
            _fail(f"priors.{str(name)[:40]}: {problem}", source)
    for kind, mapping in s.columns.items():
        if kind not in COLUMNS:
            _fail(f"columns: unknown file kind {shown(kind)} (spend, deals, touches)", source)
        for canonical in mapping:
            if canonical not in COLUMNS[kind]:
                _fail(f"columns.{kind}: unknown column {shown(canonical)} "
                      f"(known: {', '.join(COLUMNS[kind])})", source)


def _check_stage_labels(stages: dict, source: str) -> None:
    """won, lost and open themselves are always understood (any case): a label equal to one
    cannot mean another stage, and a label (matched ignoring case and spaces) cannot map to
    two stages, nor "*" (every other label) be given to two: each would be a silent pick. An
    empty label (null, '') names nothing: an error, not ignored."""
    rest = [stage for stage, labels in stages.items() if labels == "*"]
    if len(rest) > 1:
        _fail(f"stages: \"*\" (every other label) is given to both {rest[0]} and {rest[1]}; "
              "give it to one stage", source)
    seen: dict[str, str] = {}
    for stage, labels in stages.items():
        for label in () if labels == "*" else labels:
            key = "" if label is None else str(label).strip().casefold()
            if not key:
                _fail(f"stages.{stage}: an empty label ({shown(label)}) names no CRM stage; "
                      "remove it", source)
            if key in STAGES and key != stage:
                _fail(f"stages.{stage}: {shown(label)} is the stage {key} itself (won, lost "
                      "and open are always understood and cannot mean another stage)", source)
            if seen.get(key, stage) != stage:
                _fail(f"stages: {shown(label)} is mapped to both {seen[key]} and {stage}",
                      source)
            seen[key] = stage


class _Loader(yaml.SafeLoader):
    """YAML's safe loader without aliases (``*name``: an alias bomb grows without bound) and
    with a nesting limit (a deeply nested file would exhaust the stack)."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              mark)
        if self.depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} deep",
                                              mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _read_yaml(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        text = resources.files("roiclock").joinpath("defaults.yaml").read_text("utf-8")
        source = "roiclock defaults"
    else:
        path = Path(path)
        source = str(path)
        if str(path) in ("", "."):
            raise InputError("the path is empty", option="config")
        if not path.exists():
            raise InputError("config file not found", file=source)
        if path.is_dir():
            raise InputError("is a directory, not a settings file", file=source)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=source) from None
        if len(data) > MAX_CONFIG_BYTES:
            raise InputError(f"larger than {MAX_CONFIG_BYTES >> 20} MB: not a settings file",
                             file=source)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError("not UTF-8 text (save the config as UTF-8)", file=source,
                             row=data[:exc.start].count(b"\n") + 1) from None
    try:
        loaded = yaml.load(text, Loader=_Loader) or {}  # a SafeLoader, aliases refused
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(mark, "line", None)
        problem = getattr(exc, "problem", None)
        why = f": {' '.join(str(problem).split())[:80]}" if problem else ""
        raise InputError(f"not valid YAML{why}", file=source,
                         row=None if line is None else line + 1) from None
    except RecursionError:
        raise InputError(f"not valid YAML: nested more than {MAX_DEPTH} deep",
                         file=source) from None
    if not isinstance(loaded, dict):
        raise InputError("expected a mapping of settings at the top level", file=source)
    return loaded, source


def _mapping(values: dict[str, Any], name: str, source: str, parent: str = "") -> dict:
    """``values[name]`` as a dict (empty when missing or null); an error naming the setting
    when it is something else."""
    value = values.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{parent}{name}: expected a mapping, got {shown(value)}",
                         file=source)
    return dict(value)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from the packaged defaults, then ``path`` (YAML), then non-None ``overrides``.

    Examples
    --------
    >>> load_settings(model="first", windows=[3, 6]).windows
    (3, 6)
    """
    values, _ = _read_yaml(None)
    source = "roiclock defaults"
    if path is not None:
        user, source = _read_yaml(Path(path))
        known = {f.name for f in dataclasses.fields(Settings)}
        unknown = sorted(str(key) for key in user if key not in known)
        if unknown:
            raise InputError(f"unknown setting {shown(unknown[0])} "
                             f"(known: {', '.join(sorted(known))})", file=source)
        values.update(user)
    values.update({k: v for k, v in overrides.items() if v is not None})
    windows = values.get("windows") or ()
    if not isinstance(windows, (list, tuple)):
        raise InputError(f"windows: expected a list of whole months, got {shown(windows)}",
                         file=source)
    values["windows"] = tuple(windows)
    columns = _mapping(values, "columns", source)
    for kind in list(columns):
        columns[kind] = _mapping(columns, kind, source, "columns.")
    values["columns"] = columns
    values["stages"] = _mapping(values, "stages", source)
    values["currency"] = _mapping(values, "currency", source)
    values["priors"] = {str(k): v for k, v in _mapping(values, "priors", source).items()}
    preset = PRESETS.get(values.get("preset") or "", {})
    for kind, mapping in preset.get("columns", {}).items():  # the file's own mapping wins
        values["columns"][kind] = {**mapping, **values["columns"].get(kind, {})}
    values["stages"] = {**preset.get("stages", {}), **values["stages"]}
    try:
        settings = Settings(**values)
    except InputError as exc:
        if exc.file is None and path is not None:
            raise InputError(str(exc), file=source) from None
        raise
    except TypeError as exc:
        text = " ".join(str(exc).split())[:120]
        raise InputError(f"bad setting: {text}", file=source) from None
    return settings
