"""The ``roiclock`` command: parse options, call the library, render. Nothing else.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming file, row and column);
1 unexpected failure.
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
from .api import run_explain, run_lag, run_project, run_report, run_validate
from .chart import TITLE, image
from .config import BASES
from .export import FORMATS, stamped, write_atomic
from .mature import BY
from .models import MODELS
from .page import html as page
from .periods import PERIODS
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
    rejection_warning,
)
from .schema import PRESETS, InputError
from .survival import LAG_BY, STARTS
from .words import fallback_note, horizon_notice


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
    Period = Any
else:
    Format = _choices("Format", ("table", *FORMATS))
    Model = _choices("Model", MODELS)
    By = _choices("By", BY)
    LagBy = _choices("LagBy", LAG_BY)
    Start = _choices("Start", STARTS)
    Cohort = _choices("Cohort", COHORTS)
    Basis = _choices("Basis", BASES)
    Preset = _choices("Preset", PRESETS)
    Period = _choices("Period", PERIODS)

PERIOD_HELP = ("Always-on spend as cohorts: each campaign x month (or quarter) measured from "
               "the first day of its period.")

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
    data_through: str | None
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
                    as_of=parse_date(self.as_of, "--as-of"),
                    data_through=parse_date(self.data_through, "--data-through"),
                    basis=_value(self.basis),
                    strict=self.strict)

    def unused(self, why: str, *options: str) -> None:
        """Refuse options this command would ignore: a flag given but not used is an error
        (exit 2), never silently dropped."""
        for option in options:
            value = getattr(self, option)
            if value is not None and not (option == "format" and value.value == "table"):
                raise InputError(f"{flag(option)}: {why}")

    def run(self, function: Callable[..., Any], warn: bool = True, **kwargs: Any) -> Any:
        """Call a run_* function with the common options and ``kwargs``, showing progress on a
        terminal; then write --rejects and (``warn``) warn about rejected rows and data
        quality on stderr."""
        args = {**self.library_args(), **kwargs}
        with Stages(Console(stderr=True), self.quiet) as stages:
            result = function(**args, progress=stages)
        if self.rejects is not None:
            write_atomic(self.rejects, FORMATS["csv"](result.inputs.rejects))
        if warn:
            self.warn(result)
        notice = horizon_notice(result.inputs)
        if notice:
            self.note(notice)
        return result

    def warn(self, result: Any) -> None:
        """Warn (unless --quiet) about rows that were rejected and about data quality."""
        warning = rejection_warning(result.inputs)
        if warning:
            self.note(warning)
        for message in result.inputs.warnings["message"]:
            self.note(f"Warning: {message}.")

    def note(self, text: str) -> None:
        """A note or warning on stderr, unless --quiet."""
        if not self.quiet:
            print_error(Console(stderr=True), text, prefix="")

    def deliver(self, table: pd.DataFrame, show: Callable[[Console], None],
                inputs: Any = None) -> None:
        """csv/json records (stamped with the inputs' as-of and data_through), or the rich
        view (to the terminal, or as plain text to a file)."""
        fmt = self.format.value
        if fmt in FORMATS:
            if inputs is not None:
                table = stamped(table, inputs.as_of, inputs.data_through)
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
    ("data_through", str | None, typer.Option(
        None, "--data-through", help="YYYY-MM-DD: the last day the inputs cover (default: "
                                     "their latest event).")),
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
    period: Period | None = typer.Option(None, help=PERIOD_HELP),
    to_date: bool = typer.Option(False, "--to-date", help="Also cost and return so far, any "
                                                         "age (not comparable across ages)."),
) -> None:
    """ROI of each campaign (or channel, or the portfolio) at windows after launch."""
    if kpis and common.format.value in FORMATS:
        raise InputError("--kpis: csv and json always carry the leading indicators; --kpis "
                         "adds them to the table view")
    result = common.run(run_report, by=by.value, period=_value(period), to_date=to_date)
    fallback = fallback_note(result.credits.attrs.get("position_fallback", 0),
                             result.settings.model)
    if fallback:
        common.note(fallback)
    if html is not None:
        write_atomic(html, page(result))
    common.deliver(result.table,
                   lambda c: print_report(result, c, kpis=kpis, quiet=common.quiet),
                   result.inputs)


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
    period: Period | None = typer.Option(None, help="One curve per month (or quarter) of "
                                                   "the deals' start: are deals slowing?"),
) -> None:
    """Time from first touch to close: share of eventual wins closed by each month."""
    common.unused("lag counts deals and their closing times: it attributes no return, "
                  "so it takes no model, windows or basis", "model", "windows", "basis")
    result = common.run(run_lag, by=by.value, months=parse_months(months, "--months") or [],
                        horizon_months=horizon, start=start.value, confidence=confidence,
                        period=_value(period))
    common.deliver(result.table, lambda c: print_lag(result, c, quiet=common.quiet),
                   result.inputs)


@command()
def project(
    common: Common,
    cohort: Cohort = typer.Option(Cohort.campaign, help="campaign | month (launch month)."),
    target: int | None = typer.Option(None, help="Months to project to (default: the "
                                                    "largest window)."),
    confidence: float = typer.Option(0.8, help="Interval level, e.g. 0.8."),
    backtest: int = typer.Option(0, help="Hide the last K months, project, compare."),
    backtest_output: Path | None = typer.Option(
        None, help="With csv/json: write the backtest records here."),
    period: Period | None = typer.Option(None, help=PERIOD_HELP),
) -> None:
    """Projected final return and ROI of young cohorts (chain ladder, Mack interval)."""
    if backtest_output is not None and not backtest:
        raise InputError("--backtest-output: there is no backtest to write; give --backtest K")
    if backtest_output is not None and common.format.value not in FORMATS:
        raise InputError("--backtest-output: the table view prints the backtest; the file is "
                         "for --format csv or json")
    result = common.run(run_project, cohort=cohort.value, target=target,
                        confidence=confidence, backtest_months=backtest,
                        period=_value(period))
    common.deliver(result.table, lambda c: print_project(result, c, quiet=common.quiet),
                   result.inputs)
    fmt = common.format.value
    if result.backtest is not None and fmt in FORMATS:
        if backtest_output is not None:
            write_atomic(backtest_output, FORMATS[fmt](stamped(
                result.backtest, result.backtest_as_of, result.inputs.data_through)))
        else:
            common.note(backtest_line(result))


@command("validate")
def validate_command(common: Common) -> None:
    """Check the inputs: rows read, used, rejected by reason, after as-of. Exit 2 when a
    blocking problem (or, with --strict, any rejected row) is found."""
    common.unused("validate checks the inputs; it attributes nothing and measures no "
                  "window", "model", "windows")
    result = common.run(run_validate, warn=False)  # its table lists every problem
    common.deliver(result.inputs.accounting,
                   lambda c: print_validation(result, c, quiet=common.quiet), result.inputs)
    if result.problem is not None:
        raise result.problem


@command()
def chart(
    common: Common,
    target: int | None = typer.Option(None, help="Months to draw (default: the largest "
                                                    "window)."),
    confidence: float = typer.Option(0.8, help="Interval level of the projected band."),
    period: Period | None = typer.Option(None, help=PERIOD_HELP),
) -> None:
    """The ROI curve as an image: --output roi.png or roi.svg (measured solid, projected
    dashed with its interval band, break-even and the month most marketers measure)."""
    output = common.output
    if output is None or output.suffix.lower().lstrip(".") not in ("png", "svg"):
        raise InputError("--output: give the image file, ending in .png or .svg")
    common.unused("chart draws an image; its format comes from the --output file's suffix "
                  "(.png or .svg)", "format")
    result = common.run(run_project, target=target, confidence=confidence,
                        period=_value(period))
    write_atomic(output, image(result.projection.curve, TITLE, result.projection.confidence,
                               output.suffix.lower().lstrip(".")))


@command()
def explain(
    common: Common,
    top: int = typer.Option(10, help="How many of the most frequent paths to show."),
) -> None:
    """Why the Markov model credits what it does: removal effects and the top paths
    (--model markov is implied)."""
    if common.model is not None and common.model.value != "markov":
        raise InputError("--model: explain explains the markov model only")
    common.unused("explain shows the removal effects, which do not depend on windows",
                  "windows")
    if top != 10 and common.format.value in FORMATS:
        raise InputError("--top: the paths are shown in the table view; csv and json carry "
                         "the removal effects")
    result = common.run(run_explain, model=None)
    common.deliver(result.table,
                   lambda c: print_explanation(result, c, top=top, quiet=common.quiet),
                   result.inputs)
