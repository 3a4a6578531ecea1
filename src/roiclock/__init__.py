"""roiclock: campaign ROI measured at the right time after launch.

The flow is load -> validate -> attribute -> mature -> project -> render/export; each stage is
a module (:mod:`roiclock.loading`, :mod:`roiclock.validation`, :mod:`roiclock.attribution`,
:mod:`roiclock.mature`, :mod:`roiclock.projection`, ...) and every step is a function here.
``run_report`` does what ``roiclock report`` does.
"""

__version__ = "0.1.0"

from .api import (
                  Explanation,
                  LagReport,
                  ProjectReport,
                  Report,
                  Validation,
                  WatchReport,
                  load,
                  read,
                  run_explain,
                  run_lag,
                  run_project,
                  run_report,
                  run_validate,
                  run_watch,
                  sample_paths,
)
from .attribution import attribute
from .config import Settings, load_settings
from .export import to_csv, to_json
from .mature import campaigns, maturity
from .models import MODELS
from .projection import backtest, develop, project, triangle
from .schema import InputError
from .survival import lag
from .validation import Inputs, validate
from .words import headline

__all__ = ["Explanation", "Inputs", "InputError", "LagReport", "MODELS", "ProjectReport",
           "Report", "Settings", "Validation", "attribute", "backtest", "campaigns", "develop",
           "headline", "lag", "load", "load_settings", "maturity", "project", "read",
           "run_explain", "run_lag", "run_project", "run_report", "run_validate", "run_watch",
           "WatchReport", "sample_paths", "to_csv", "to_json", "triangle", "validate",
           "__version__"]
