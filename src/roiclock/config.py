"""Settings: the packaged defaults, a YAML file over them, then explicit overrides."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .models import MODELS
from .schema import COLUMNS, PRESETS, STAGES, InputError

BASES = ("revenue", "margin")


@dataclass(frozen=True)
class Settings:
    """Everything that decides the numbers. Build it with :func:`load_settings`."""

    windows: tuple[int, ...] = (3, 6, 9, 12)
    model: str = "linear"
    lookback_days: int = 730
    half_life_days: float = 30.0
    position_first: float = 0.4
    position_last: float = 0.4
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


def _check(s: Settings, source: str = "settings") -> None:
    if not s.windows or any(not isinstance(w, int) or isinstance(w, bool) or w <= 0
                            for w in s.windows):
        _fail(f"windows must be positive whole months, got {list(s.windows)}", source)
    if list(s.windows) != sorted(set(s.windows)):
        _fail(f"windows must be increasing without repeats, got {list(s.windows)}", source)
    if s.model not in MODELS:
        _fail(f"unknown model '{s.model}' (choose from {', '.join(MODELS)})", source)
    if s.markov_order not in (1, 2, 3):
        _fail(f"markov_order must be 1, 2 or 3, got {s.markov_order}", source)
    if s.markov_level not in ("campaign", "channel"):
        _fail(f"markov_level must be campaign or channel, got '{s.markov_level}'", source)
    if s.basis not in BASES:
        _fail(f"unknown basis '{s.basis}' (choose from {', '.join(BASES)})", source)
    if not s.lookback_days > 0:
        _fail(f"lookback_days must be > 0, got {s.lookback_days}", source)
    if not s.half_life_days > 0:
        _fail(f"half_life_days must be > 0, got {s.half_life_days}", source)
    if not (0 <= s.position_first and 0 <= s.position_last
            and s.position_first + s.position_last <= 1):
        _fail("position_first and position_last must be >= 0 and sum to at most 1", source)
    if s.default_margin is not None and not 0 <= s.default_margin <= 1:
        _fail(f"default_margin must be a fraction 0..1, got {s.default_margin}", source)
    if not s.cost_multiplier >= 0:
        _fail(f"cost_multiplier must be >= 0, got {s.cost_multiplier}", source)
    if s.preset is not None and s.preset not in PRESETS:
        _fail(f"unknown preset '{s.preset}' (choose from {', '.join(PRESETS)})", source)
    if s.decimal not in ("auto", ".", ","):
        _fail(f"decimal must be auto, '.' or ',', got '{s.decimal}'", source)
    if s.dayfirst not in (None, True, False):
        _fail(f"dayfirst must be true, false or null, got '{s.dayfirst}'", source)
    for stage, labels in s.stages.items():
        if stage not in STAGES:
            _fail(f"stages: unknown stage '{stage}' (won, lost, open)", source)
        if labels != "*" and not isinstance(labels, (list, tuple)):
            _fail(f"stages.{stage}: expected a list of labels or \"*\"", source)
    if set(s.currency) - {"base", "rates"}:
        _fail("currency: expected the keys base and rates", source)
    for code, rate in (s.currency.get("rates") or {}).items():
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not rate > 0:
            _fail(f"currency.rates.{code}: expected a positive number, got {rate!r}", source)
    for name, value in s.priors.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= -1:
            _fail(f"priors.{name}: expected an ROI >= -1 (e.g. 1.5 for +150%), got {value!r}",
                  source)
    for kind, mapping in s.columns.items():
        if kind not in COLUMNS:
            _fail(f"columns: unknown file kind '{kind}' (spend, deals, touches)", source)
        for canonical in mapping:
            if canonical not in COLUMNS[kind]:
                _fail(f"columns.{kind}: unknown column '{canonical}' "
                      f"(known: {', '.join(COLUMNS[kind])})", source)


def _read_yaml(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        text = resources.files("roiclock").joinpath("defaults.yaml").read_text("utf-8")
        source = "roiclock defaults"
    else:
        path = Path(path)
        if not path.is_file():
            raise InputError("config file not found", file=str(path))
        text = path.read_text("utf-8")
        source = str(path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise InputError("not valid YAML", file=source,
                         row=None if line is None else line + 1) from None
    if not isinstance(data, dict):
        raise InputError("expected a mapping of settings at the top level", file=source)
    return data, source


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
        unknown = sorted(set(user) - known)
        if unknown:
            raise InputError(f"unknown setting '{unknown[0]}' (known: {', '.join(sorted(known))})",
                             file=source)
        values.update(user)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["windows"] = tuple(values.get("windows") or ())
    values["columns"] = {k: dict(v or {}) for k, v in (values.get("columns") or {}).items()}
    values["stages"] = dict(values.get("stages") or {})
    values["currency"] = dict(values.get("currency") or {})
    values["priors"] = {str(k): v for k, v in (values.get("priors") or {}).items()}
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
        raise InputError(f"bad setting: {exc}", file=source) from None
    return settings
