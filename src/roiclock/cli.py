"""The ``roiclock`` command: parse options, call the library, render. Nothing else.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming file, row and column);
1 unexpected failure; 3 (``watch`` only) some campaign has fallen behind its projection.
"""

from __future__ import annotations

import functools
import inspect
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer
from rich.console import Console
from typer.core import TyperGroup

from . import __version__
from .api import run_explain, run_lag, run_project, run_report, run_validate, run_watch
from .chart import TITLE, image
from .config import BASES
from .export import FORMATS, write_atomic
from .mature import BY
from .models import MODELS
from .page import html as page
from .projection import COHORTS
from .render import (
    Stages,
    backtest_line,
    print_error,
    print_explanation,
    print_lag,
    print_project,
    print_report,
    print_validation,
    print_watch,
    rejection_warning,
)
from .reserving import METHODS
from .schema import PRESETS, InputError
from .survival import LAG_BY, STARTS


def _choices(name: str, values) -> type[Enum]:
    """An Enum of the library's own choices: typer lists them in --help and refuses anything
    else (one line, exit 2)."""
    return Enum(name, {value: value for value in values}, type=str)  # type: ignore[return-value]


if TYPE_CHECKING:  # members made from the registries at import time are opaque to mypy
    Format = Any
    Model = Any
    By = Any
    LagBy = Any
    Start = Any
    Cohort = Any
    Basis = Any
    Preset = Any
    Method = Any
else:
    Format = _choices("Format", ("table", *FORMATS))
    Model = _choices("Model", MODELS)
    By = _choices("By", BY)
    LagBy = _choices("LagBy", LAG_BY)
    Start = _choices("Start", STARTS)
    Cohort = _choices("Cohort", COHORTS)
    Basis = _choices("Basis", BASES)
    Preset = _choices("Preset", PRESETS)
    Method = _choices("Method", METHODS)

BEHIND = 3  # watch: some campaign has fallen behind what its projection expected

# The library's argument names that the command line spells otherwise.
FLAGS = {"backtest_months": "--backtest", "horizon_months": "--horizon", "start": "--from"}


def flag(option: str) -> str:
    """The command-line flag of a library argument: ``as_of`` -> ``--as-of``."""
    return FLAGS.get(option, "--" + option.replace("_", "-"))


class OneLineGroup(TyperGroup):
    """Usage errors (an unknown option, a bad choice, a missing value) as one line on stderr
    and exit 2, like every other error: no usage text, no 'Try --help' box."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except typer.TyperException as exc:  # typer's usage errors (typer >= 0.29)
            print_error(Console(stderr=True, highlight=False), usage_message(exc))
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


def usage_message(exc: typer.TyperException) -> str:
    """A usage error in roiclock's words: ``--by: 'x' is not one of 'campaign', ...``."""
    param = getattr(exc, "param", None)
    text = exc.message.replace("Value error, ", "")
    if isinstance(exc, typer.BadParameter) and getattr(param, "opts", None):
        return f"{param.opts[0]}: {text}"  # type: ignore[union-attr]
    return exc.format_message()


app = typer.Typer(cls=OneLineGroup, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="roiclock: campaign ROI measured at the right time after launch.")


@dataclass(frozen=True)
class Common:
    """The options every command takes (see :data:`COMMON`)."""

    spend: Path | None
    deals: Path | None
    touches: Path | None
    config: Path | None
    preset: Enum | None
    model: Enum | None
    windows: str | None
    as_of: str | None
    basis: Enum | None
    format: Enum
    output: Path | None
    strict: bool
    rejects: Path | None
    quiet: bool

    def library_args(self) -> dict[str, Any]:
        """The options as keyword arguments of the run_* functions."""
        return dict(spend=self.spend, deals=self.deals, touches=self.touches,
                    config=self.config, preset=_value(self.preset), model=_value(self.model),
                    windows=parse_months(self.windows),
                    as_of=parse_date(self.as_of, "--as-of"), basis=_value(self.basis),
                    strict=self.strict)

    def run(self, function: Callable[..., Any], **kwargs: Any) -> Any:
        """Call a run_* function with the common options and ``kwargs``, showing progress on a
        terminal; then write --rejects and warn about rejected rows."""
        args = {**self.library_args(), **kwargs}
        with Stages(Console(stderr=True), self.quiet) as stages:
            result = function(**args, progress=stages)
        self.account(result)
        return result

    def account(self, result: Any) -> None:
        """Write --rejects and warn (unless --quiet) about rows that were rejected."""
        if self.rejects is not None:
            write_atomic(self.rejects, FORMATS["csv"](result.inputs.rejects))
        warning = rejection_warning(result.inputs)
        if warning:
            self.note(warning)

    def note(self, text: str) -> None:
        """A note or warning on stderr, unless --quiet."""
        if not self.quiet:
            print_error(Console(stderr=True), text, prefix="")

    def deliver(self, table: pd.DataFrame, show: Callable[[Console], None]) -> None:
        """csv/json records, or the rich view (to the terminal, or as plain text to a file)."""
        fmt = self.format.value
        if fmt in FORMATS:
            _emit(FORMATS[fmt](table), self.output)
        elif self.output is None:
            show(Console())
        else:
            buffer = io.StringIO()
            show(Console(file=buffer, width=120, color_system=None))
            write_atomic(self.output, buffer.getvalue())


def _value(choice: Enum | None) -> str | None:
    return None if choice is None else str(choice.value)


# Options every command takes, defined once and added to each command by @command.
COMMON = [
    ("spend", Path | None, typer.Option(None, help="Spend file (CSV or Parquet).")),
    ("deals", Path | None, typer.Option(None, help="Deals file (CSV or Parquet).")),
    ("touches", Path | None, typer.Option(None, help="Touches file; enables multi-touch.")),
    ("config", Path | None, typer.Option(None, help="Settings YAML (default: packaged).")),
    ("preset", Preset | None, typer.Option(None, help="Column/stage preset.")),
    ("model", Model | None, typer.Option(None, help="Attribution model.")),
    ("windows", str | None, typer.Option(None, help="Months after launch, e.g. 3,6,9,12.")),
    ("as_of", str | None, typer.Option(None, "--as-of",
                                          help="YYYY-MM-DD: data is complete before this day.")),
    ("basis", Basis | None, typer.Option(None, help="Return basis.")),
    ("format", Format, typer.Option("table", "--format", help="Output format.")),
    ("output", Path | None, typer.Option(None, help="Write here (atomically), not stdout.")),
    ("strict", bool, typer.Option(False, "--strict", help="Any rejected row: exit code 2.")),
    ("rejects", Path | None, typer.Option(
        None, help="Write the rejected rows (row number, column, reason) to this CSV.")),
    ("quiet", bool, typer.Option(False, "--quiet", help="No notes or warnings on stderr.")),
]


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command that takes the COMMON options (as ``common``, a :class:`Common`)
    besides its own, and turns every error into one line and an exit code."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        own = [p for p in inspect.signature(func).parameters.values() if p.name != "common"]
        shared = [inspect.Parameter(option, inspect.Parameter.KEYWORD_ONLY, default=default,
                                    annotation=kind) for option, kind, default in COMMON]

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> None:
            common = Common(**{option: kwargs.pop(option) for option, _, _ in COMMON})
            run(lambda: func(common=common, **kwargs))

        wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared)
        app.command(name)(wrapper)
        return func

    return register


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roiclock {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """roiclock: campaign ROI measured at the right time after launch."""


def parse_months(text: str | None, option: str = "--windows") -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{option}: expected whole months like 3,6,9,12, got '{text}'") from None


def parse_priors(text: str | None) -> dict[str, float] | None:
    """``--prior``: ``NAME=ROI`` pairs separated by commas (a channel or a campaign; ROI as a
    fraction, 1.5, or a percent, 150%), or one ROI for every campaign."""
    if text is None:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, _, value = part.rpartition("=")
        name, value = (name.strip() or "*"), value.strip()
        try:
            number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            raise InputError(f"--prior: expected NAME=ROI pairs like paid_search=1.5 or "
                             f"events=120%, got '{part.strip()}'") from None
        out[name] = number
    return out


def parse_date(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        raise InputError(f"{option}: expected a date YYYY-MM-DD, got '{text}'") from None


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)


def run(action: Callable[[], None]) -> None:
    """Run ``action``; turn errors into a one-line message and an exit code."""
    err = Console(stderr=True, highlight=False)
    try:
        action()
    except InputError as exc:
        message = str(exc) if exc.option is None else f"{flag(exc.option)}: {exc.reason}"
        print_error(err, message)
        raise typer.Exit(code=2) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        print_error(err, f"unexpected failure: {type(exc).__name__}: {exc}")
        raise typer.Exit(code=1) from None


@command()
def report(
    common: Common,
    by: By = typer.Option(By.campaign, help="Rows: one per campaign, channel or the "
                                            "portfolio."),
    kpis: bool = typer.Option(False, "--kpis", help="Also show the leading indicators."),
    html: Path | None = typer.Option(None, help="Also write a one-page HTML report here."),
) -> None:
    """ROI of each campaign (or channel, or the portfolio) at windows after launch."""
    result = common.run(run_report, by=by.value)
    if html is not None:
        write_atomic(html, page(result))
    common.deliver(result.table,
                   lambda c: print_report(result, c, kpis=kpis, quiet=common.quiet))


@command("lag")
def lag_command(
    common: Common,
    by: LagBy = typer.Option(LagBy.portfolio, help="One curve for all deals, or per channel "
                                                   "or campaign."),
    months: str = typer.Option("1,3,6,9,12", help="Months at which to report, e.g. 1,3,6."),
    horizon: float = typer.Option(24, help="Months counted as 'eventual' for share_of_wins."),
    start: Start = typer.Option(Start.touch, "--from",
                                help="touch (first eligible touch, or launch) | created."),
    confidence: float = typer.Option(0.95, help="Interval level, e.g. 0.95."),
) -> None:
    """Time from first touch to close: share of eventual wins closed by each month."""
    result = common.run(run_lag, by=by.value, months=parse_months(months, "--months") or [],
                        horizon_months=horizon, start=start.value, confidence=confidence)
    common.deliver(result.table, lambda c: print_lag(result, c, quiet=common.quiet))


METHOD_HELP = ("auto (Benktander credibility blend) | chain_ladder | bf (your --prior, else "
               "Cape Cod) | cape_cod | benktander.")
PRIOR_HELP = ("Expected ROI: NAME=ROI,... by channel or campaign (1.5 or 150%), or one ROI "
              "for all.")


@command()
def project(
    common: Common,
    cohort: Cohort = typer.Option(Cohort.campaign, help="campaign | month (launch month)."),
    target: int | None = typer.Option(None, help="Months to project to (default: the "
                                                    "largest window)."),
    confidence: float = typer.Option(0.8, help="Interval level, e.g. 0.8."),
    method: Method = typer.Option(Method.auto, help=METHOD_HELP),
    prior: str | None = typer.Option(None, help=PRIOR_HELP),
    backtest: int = typer.Option(0, help="Project from the data K, K+3, K+6 months back with "
                                         "each method; compare."),
    backtest_output: Path | None = typer.Option(
        None, help="With csv/json: write the backtest records here."),
    compare: Path | None = typer.Option(
        None, help="An earlier 'project --format json' export: explain what changed."),
) -> None:
    """Projected final return and ROI of young cohorts: measured, open pipeline and future,
    with an interval checked against the past."""
    result = common.run(run_project, cohort=cohort.value, target=target,
                        confidence=confidence, backtest_months=backtest, method=method.value,
                        priors=parse_priors(prior), compare=compare)
    common.deliver(result.table, lambda c: print_project(result, c, quiet=common.quiet))
    fmt = common.format.value
    if result.backtest is not None and fmt in FORMATS:
        if backtest_output is not None:
            write_atomic(backtest_output, FORMATS[fmt](result.backtest))
        else:
            common.note(backtest_line(result))


@command()
def watch(
    common: Common,
    since: int = typer.Option(3, help="Compare with the projection made this many months "
                                      "ago."),
    target: int | None = typer.Option(None, help="Months projected to (default: the largest "
                                                    "window)."),
    confidence: float = typer.Option(0.95, help="Interval level of what was expected."),
    method: Method = typer.Option(Method.auto, help=METHOD_HELP),
    prior: str | None = typer.Option(None, help=PRIOR_HELP),
) -> None:
    """Actual vs expected: each campaign's return so far against what its projection from
    --since months ago expected by now. Exit code 3 when some campaign is behind."""
    result = common.run(run_watch, since=since, target=target, confidence=confidence,
                        method=method.value, priors=parse_priors(prior))
    common.deliver(result.table, lambda c: print_watch(result, c, quiet=common.quiet))
    if result.behind:
        raise typer.Exit(code=BEHIND)


@command("validate")
def validate_command(common: Common) -> None:
    """Check the inputs: rows read, used, rejected by reason, after as-of. Exit 2 when a
    blocking problem (or, with --strict, any rejected row) is found."""
    result = common.run(run_validate)
    common.deliver(result.inputs.accounting,
                   lambda c: print_validation(result, c, quiet=common.quiet))
    if result.problem is not None:
        raise result.problem


@command()
def chart(
    common: Common,
    target: int | None = typer.Option(None, help="Months to draw (default: the largest "
                                                    "window)."),
    confidence: float = typer.Option(0.8, help="Interval level of the projected band."),
    method: Method = typer.Option(Method.auto, help=METHOD_HELP),
    prior: str | None = typer.Option(None, help=PRIOR_HELP),
) -> None:
    """The ROI curve as an image: --output roi.png or roi.svg (measured solid, projected
    dashed with its interval band, break-even and the month most marketers measure)."""
    output = common.output
    if output is None or output.suffix.lower().lstrip(".") not in ("png", "svg"):
        raise InputError("--output: give the image file, ending in .png or .svg")
    result = common.run(run_project, target=target, confidence=confidence,
                        method=method.value, priors=parse_priors(prior))
    projection = result.projection
    write_atomic(output, image(projection.curve, TITLE, projection.confidence,
                               output.suffix.lower().lstrip("."), projection.method))


@command()
def explain(
    common: Common,
    top: int = typer.Option(10, help="How many of the most frequent paths to show."),
) -> None:
    """Why the Markov model credits what it does: removal effects and the top paths
    (--model markov is implied)."""
    if common.model is not None and common.model.value != "markov":
        raise InputError("--model: explain explains the markov model only")
    result = common.run(run_explain, model=None)
    common.deliver(result.table,
                   lambda c: print_explanation(result, c, top=top, quiet=common.quiet))
