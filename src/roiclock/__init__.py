"""roiclock: campaign ROI measured at the right time after launch.

The flow is load -> validate -> attribute -> mature -> project -> render/export; each stage is
a module (:mod:`roiclock.loading`, :mod:`roiclock.validation`, :mod:`roiclock.attribution`,
:mod:`roiclock.mature`, :mod:`roiclock.projection`, ...) and every step is a function here.
``run_report`` does what ``roiclock report`` does.

The names below are imported on first use (``roiclock.run_report`` imports pandas then), so
that ``import roiclock`` itself is instant: the command's entry point (:mod:`roiclock.entry`)
sets up its signal handling before any heavy import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_WHERE = {
    **dict.fromkeys(["Explanation", "LagReport", "ProjectReport", "Report", "Validation", "load",
                     "read", "run_explain", "run_lag", "run_project", "run_report",
                     "run_sql", "run_validate", "run_watch", "sample_paths", "WatchReport"], "api"),
    "attribute": "attribution",
    "Settings": "config", "load_settings": "config",
    "to_csv": "export", "to_json": "export", "stamped": "export",
    "campaigns": "paths", "maturity": "mature",
    "MODELS": "models",
    "backtest": "projection", "develop": "projection", "project": "projection",
    "triangle": "projection",
    "InputError": "schema",
    "lag": "survival",
    "Inputs": "validation", "validate": "validation",
    "headline": "words",
}

__all__ = ["Explanation", "Inputs", "InputError", "LagReport", "MODELS", "ProjectReport",
           "Report", "Settings", "Validation", "attribute", "backtest", "campaigns", "develop",
           "headline", "lag", "load", "load_settings", "maturity", "project", "read",
           "run_explain", "run_lag", "run_project", "run_report", "run_sql", "run_validate",
           "sample_paths", "stamped", "to_csv", "to_json", "triangle", "validate",
           "__version__"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'roiclock' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the same names, for type checkers and editors
    from .api import (
        Explanation,
        LagReport,
        ProjectReport,
        Report,
        Validation,
        load,
        read,
        run_explain,
        run_lag,
        run_project,
        run_report,
        run_sql,
        run_validate,
        sample_paths,
    )
    from .attribution import attribute
    from .config import Settings, load_settings
    from .export import stamped, to_csv, to_json
    from .mature import campaigns, maturity
    from .models import MODELS
    from .projection import backtest, develop, project, triangle
    from .schema import InputError
    from .survival import lag
    from .validation import Inputs, validate
    from .words import headline
