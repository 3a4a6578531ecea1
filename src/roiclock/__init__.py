"""roiclock: campaign ROI measured at the right time after launch.

The flow is load -> validate -> attribute -> mature -> project -> render/export; each stage is
a module and every step is a function here. ``run_report`` does what ``roiclock report`` does.
"""

__version__ = "0.1.0"

from .api import (Explanation, LagReport, ProjectReport, Report, Validation,  # noqa: E402
                  load, read, run_explain, run_lag, run_project, run_report, run_validate,
                  sample_paths)
from .lag import lag  # noqa: E402
from .project import backtest, develop, project, triangle  # noqa: E402
from .attribute import attribute  # noqa: E402
from .config import Settings, load_settings  # noqa: E402
from .export import to_csv, to_json  # noqa: E402
from .mature import campaigns, headline, maturity  # noqa: E402
from .schema import InputError  # noqa: E402
from .validate import Inputs, validate  # noqa: E402

__all__ = ["Explanation", "Inputs", "InputError", "LagReport", "ProjectReport", "Report",
           "Settings", "Validation", "attribute", "backtest", "campaigns", "develop", "headline",
           "lag", "load", "load_settings", "maturity", "project", "read", "run_explain",
           "run_lag", "run_project", "run_report", "run_validate", "sample_paths", "to_csv",
           "to_json", "triangle", "validate", "__version__"]
