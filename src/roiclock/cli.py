"""The ``roiclock`` command: parse options, call the library, render. Nothing else.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming file, row and column);
1 unexpected failure.
"""

from __future__ import annotations

import functools
import inspect
import io
import sys
from pathlib import Path
from typing import Callable, Optional

import pandas as pd
import typer
from rich.console import Console

from . import __version__
from .api import run_explain, run_lag, run_project, run_report, run_validate
from .chart import render
from .export import to_csv, to_json, write_atomic
from .page import html as page
from .project import curve
from .render import (Stages, backtest_line, print_error, print_explanation, print_lag,
                     print_project, print_report, print_validation, rejection_warning)
from .schema import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="roiclock: campaign ROI measured at the right time after launch.")

FORMATS = ("table", "csv", "json")

# Options every command takes, defined once and added to each command by @common_options.
COMMON = [
    ("spend", Optional[Path], typer.Option(None, help="Spend file (CSV or Parquet).")),
    ("deals", Optional[Path], typer.Option(None, help="Deals file (CSV or Parquet).")),
    ("touches", Optional[Path], typer.Option(None, help="Touches file; enables multi-touch.")),
    ("config", Optional[Path], typer.Option(None, help="Settings YAML (default: packaged).")),
    ("preset", Optional[str], typer.Option(None, help="Column/stage preset: salesforce | "
                                                      "hubspot.")),
    ("model", Optional[str], typer.Option(
        None, help="first | last | linear | time_decay | position | markov.")),
    ("windows", Optional[str], typer.Option(None, help="Months after launch, e.g. 3,6,9,12.")),
    ("as_of", Optional[str], typer.Option(None, "--as-of",
                                          help="YYYY-MM-DD: data is complete before this day.")),
    ("basis", Optional[str], typer.Option(None, help="revenue | margin.")),
    ("format", str, typer.Option("table", "--format", help="table | csv | json.")),
    ("output", Optional[Path], typer.Option(None, help="Write here (atomically), not stdout.")),
    ("strict", bool, typer.Option(False, "--strict", help="Any rejected row: exit code 2.")),
    ("rejects", Optional[Path], typer.Option(
        None, help="Write the rejected rows (row number, column, reason) to this CSV.")),
    ("quiet", bool, typer.Option(False, "--quiet", help="No notes or warnings on stderr.")),
]
COMMON_NAMES = [name for name, _, _ in COMMON]


def common_options(func: Callable) -> Callable:
    """Add the COMMON options to a command; it receives them as one dict, ``common``."""
    own = [p for p in inspect.signature(func).parameters.values() if p.name != "common"]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                annotation=kind) for name, kind, default in COMMON]

    @functools.wraps(func)
    def wrapper(**kwargs):
        common = {name: kwargs.pop(name) for name in COMMON_NAMES}
        return func(common=common, **kwargs)

    wrapper.__signature__ = inspect.Signature(
        [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared)
    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roiclock {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """roiclock: campaign ROI measured at the right time after launch."""


def parse_months(text: Optional[str], option: str = "--windows") -> Optional[list[int]]:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{option}: expected whole months like 3,6,9,12, got '{text}'") from None


def parse_date(text: Optional[str], option: str) -> Optional[pd.Timestamp]:
    if text is None:
        return None
    try:
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        raise InputError(f"{option}: expected a date YYYY-MM-DD, got '{text}'") from None


def choice(value: str, option: str, allowed) -> str:
    if value not in allowed:
        raise InputError(f"{option}: expected {', '.join(allowed[:-1])} or {allowed[-1]}, "
                         f"got '{value}'")
    return value


def check_level(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InputError(f"--confidence: expected a level between 0 and 1, got {confidence}")
    return confidence


def library_args(common: dict) -> dict:
    """The common options as keyword arguments of the run_* functions."""
    choice(common["format"], "--format", FORMATS)
    return dict(spend=common["spend"], deals=common["deals"], touches=common["touches"],
                config=common["config"], preset=common["preset"], model=common["model"],
                windows=parse_months(common["windows"]),
                as_of=parse_date(common["as_of"], "--as-of"), basis=common["basis"],
                strict=common["strict"])


def _emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)


def deliver(table: pd.DataFrame, common: dict, show: Callable[[Console], None]) -> None:
    """csv/json records, or the rich view (to the terminal, or as plain text to a file)."""
    fmt, output = common["format"], common["output"]
    if fmt == "csv":
        _emit(to_csv(table), output)
    elif fmt == "json":
        _emit(to_json(table), output)
    elif output is None:
        show(Console())
    else:
        buffer = io.StringIO()
        show(Console(file=buffer, width=120, color_system=None))
        write_atomic(output, buffer.getvalue())


def account(result, common: dict) -> None:
    """Write --rejects and warn (unless --quiet) about rows that were rejected."""
    if common["rejects"] is not None:
        write_atomic(common["rejects"], to_csv(result.inputs.rejects))
    warning = rejection_warning(result.inputs)
    if warning and not common["quiet"]:
        note(warning)


def note(text: str) -> None:
    print_error(Console(stderr=True), text, prefix="")


def run(action: Callable[[], None]) -> None:
    """Run ``action``; turn errors into a one-line message and an exit code."""
    err = Console(stderr=True, highlight=False)
    try:
        action()
    except InputError as exc:
        print_error(err, str(exc))
        raise typer.Exit(code=2)
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        print_error(err, f"unexpected failure: {type(exc).__name__}: {exc}")
        raise typer.Exit(code=1)


@app.command()
@common_options
def report(
    common: dict,
    by: str = typer.Option("campaign", help="campaign | channel | portfolio."),
    kpis: bool = typer.Option(False, "--kpis", help="Also show the leading indicators."),
    html: Optional[Path] = typer.Option(None, help="Also write a one-page HTML report here."),
) -> None:
    """ROI of each campaign (or channel, or the portfolio) at windows after launch."""

    def action() -> None:
        args = library_args(common)
        choice(by, "--by", ("campaign", "channel", "portfolio"))
        with Stages(Console(stderr=True), common["quiet"]) as stages:
            result = run_report(**args, by=by, progress=stages)
        account(result, common)
        if html is not None:
            write_atomic(html, page(result))
        deliver(result.table, common,
                lambda c: print_report(result, c, kpis=kpis, quiet=common["quiet"]))

    run(action)


@app.command("lag")
@common_options
def lag_command(
    common: dict,
    by: str = typer.Option("portfolio", help="portfolio | channel | campaign."),
    months: str = typer.Option("1,3,6,9,12", help="Months at which to report, e.g. 1,3,6."),
    horizon: float = typer.Option(24, help="Months counted as 'eventual' for share_of_wins."),
    start: str = typer.Option("touch", "--from",
                              help="touch (first eligible touch, or launch) | created."),
    confidence: float = typer.Option(0.95, help="Interval level, e.g. 0.95."),
) -> None:
    """Time from first touch to close: share of eventual wins closed by each month."""

    def action() -> None:
        args = library_args(common)
        choice(by, "--by", ("portfolio", "channel", "campaign"))
        choice(start, "--from", ("touch", "created"))
        month_list = parse_months(months, "--months")
        if not month_list or min(month_list) <= 0 or horizon <= 0:
            raise InputError("--months and --horizon: expected positive months")
        with Stages(Console(stderr=True), common["quiet"]) as stages:
            result = run_lag(**args, by=by, months=month_list, horizon_months=horizon,
                             start=start, confidence=check_level(confidence), progress=stages)
        account(result, common)
        deliver(result.table, common, lambda c: print_lag(result, c, quiet=common["quiet"]))

    run(action)


@app.command()
@common_options
def project(
    common: dict,
    cohort: str = typer.Option("campaign", help="campaign | month (launch month)."),
    target: Optional[int] = typer.Option(None, help="Months to project to (default: the "
                                                    "largest window)."),
    confidence: float = typer.Option(0.8, help="Interval level, e.g. 0.8."),
    backtest: int = typer.Option(0, help="Hide the last K months, project, compare."),
    backtest_output: Optional[Path] = typer.Option(
        None, help="With csv/json: write the backtest records here."),
) -> None:
    """Projected final return and ROI of young cohorts (chain ladder, Mack interval)."""

    def action() -> None:
        args = library_args(common)
        choice(cohort, "--cohort", ("campaign", "month"))
        with Stages(Console(stderr=True), common["quiet"]) as stages:
            result = run_project(**args, cohort=cohort, target=target,
                                 confidence=check_level(confidence), backtest_months=backtest,
                                 progress=stages)
        account(result, common)
        deliver(result.table, common, lambda c: print_project(result, c, quiet=common["quiet"]))
        if result.backtest is not None and common["format"] != "table":
            if backtest_output is not None:
                text = (to_csv(result.backtest) if common["format"] == "csv"
                        else to_json(result.backtest))
                write_atomic(backtest_output, text)
            elif not common["quiet"]:
                note(backtest_line(result))

    run(action)


@app.command("validate")
@common_options
def validate_command(common: dict) -> None:
    """Check the inputs: rows read, used, rejected by reason, after as-of. Exit 2 when a
    blocking problem (or, with --strict, any rejected row) is found."""

    def action() -> None:
        args = library_args(common)
        with Stages(Console(stderr=True), common["quiet"]) as stages:
            result = run_validate(**args, progress=stages)
        if common["rejects"] is not None:
            write_atomic(common["rejects"], to_csv(result.inputs.rejects))
        deliver(result.inputs.accounting, common,
                lambda c: print_validation(result, c, quiet=common["quiet"]))
        if result.problem is not None:
            raise result.problem

    run(action)


@app.command()
@common_options
def chart(
    common: dict,
    target: Optional[int] = typer.Option(None, help="Months to draw (default: the largest "
                                                    "window)."),
    confidence: float = typer.Option(0.8, help="Interval level of the projected band."),
) -> None:
    """The ROI curve as an image: --output roi.png or roi.svg (measured solid, projected
    dashed with its interval band, break-even and the month most marketers measure)."""

    def action() -> None:
        args = library_args(common)
        output = common["output"]
        if output is None or output.suffix.lower().lstrip(".") not in ("png", "svg"):
            raise InputError("--output: give the image file, ending in .png or .svg")
        with Stages(Console(stderr=True), common["quiet"]) as stages:
            result = run_project(**args, target=target, confidence=check_level(confidence),
                                 progress=stages)
        account(result, common)
        image = render(curve(result.projection), "Portfolio ROI by months since launch",
                       result.projection.confidence, output.suffix.lower().lstrip("."))
        write_atomic(output, image)

    run(action)


@app.command()
@common_options
def explain(
    common: dict,
    top: int = typer.Option(10, help="How many of the most frequent paths to show."),
) -> None:
    """Why the Markov model credits what it does: removal effects and the top paths
    (--model markov is implied)."""

    def action() -> None:
        args = library_args(common)
        if args["model"] not in (None, "markov"):
            raise InputError("--model: explain explains the markov model only")
        args.pop("model")
        with Stages(Console(stderr=True), common["quiet"]) as stages:
            result = run_explain(**args, progress=stages)
        account(result, common)
        deliver(result.table, common,
                lambda c: print_explanation(result, c, top=top, quiet=common["quiet"]))

    run(action)
