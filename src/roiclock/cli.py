"""The ``roiclock`` command: parse options, call the library, render. Nothing else.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming file, row and column);
1 unexpected failure.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Callable, Optional

import pandas as pd
import typer
from rich.console import Console

from . import __version__
from .api import run_lag, run_project, run_report
from .export import to_csv, to_json, write_atomic
from .render import (backtest_line, print_error, print_lag, print_project, print_report)
from .schema import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="roiclock: campaign ROI measured at the right time after launch.")

FORMATS = ("table", "csv", "json")

# Options shared by every command (defined once).
SPEND = typer.Option(None, help="Spend file (CSV or Parquet).")
DEALS = typer.Option(None, help="Deals file (CSV or Parquet).")
TOUCHES = typer.Option(None, help="Touches file; enables multi-touch.")
CONFIG = typer.Option(None, help="Settings YAML (default: packaged).")
MODEL = typer.Option(None, help="first | last | linear | time_decay | position.")
WINDOWS = typer.Option(None, help="Months after launch, e.g. 3,6,9,12.")
AS_OF = typer.Option(None, "--as-of", help="YYYY-MM-DD: data is complete before this day.")
BASIS = typer.Option(None, help="revenue | margin.")
FORMAT = typer.Option("table", "--format", help="table | csv | json.")
OUTPUT = typer.Option(None, help="Write here (atomically), not stdout.")


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


def _emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)


def _deliver(table: pd.DataFrame, fmt: str, output: Optional[Path],
             show: Callable[[Console], None]) -> None:
    """csv/json records, or the rich view (to the terminal, or as plain text to a file)."""
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


def _run(action: Callable[[], None]) -> None:
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


def _common(spend, deals, touches, config, model, windows, as_of, basis, fmt) -> dict:
    choice(fmt, "--format", FORMATS)
    return dict(spend=spend, deals=deals, touches=touches, config=config, model=model,
                windows=parse_months(windows), as_of=parse_date(as_of, "--as-of"),
                basis=basis)


@app.command()
def report(
    spend: Optional[Path] = SPEND, deals: Optional[Path] = DEALS,
    touches: Optional[Path] = TOUCHES, config: Optional[Path] = CONFIG,
    model: Optional[str] = MODEL, windows: Optional[str] = WINDOWS,
    as_of: Optional[str] = AS_OF, basis: Optional[str] = BASIS,
    by: str = typer.Option("campaign", help="campaign | channel | portfolio."),
    format: str = FORMAT, output: Optional[Path] = OUTPUT,
    kpis: bool = typer.Option(False, "--kpis", help="Also show the leading indicators."),
) -> None:
    """ROI of each campaign (or channel, or the portfolio) at windows after launch."""

    def action() -> None:
        common = _common(spend, deals, touches, config, model, windows, as_of, basis, format)
        choice(by, "--by", ("campaign", "channel", "portfolio"))
        result = run_report(**common, by=by)
        _deliver(result.table, format, output, lambda c: print_report(result, c, kpis=kpis))

    _run(action)


@app.command("lag")
def lag_command(
    spend: Optional[Path] = SPEND, deals: Optional[Path] = DEALS,
    touches: Optional[Path] = TOUCHES, config: Optional[Path] = CONFIG,
    model: Optional[str] = MODEL, windows: Optional[str] = WINDOWS,
    as_of: Optional[str] = AS_OF, basis: Optional[str] = BASIS,
    by: str = typer.Option("portfolio", help="portfolio | channel | campaign."),
    months: str = typer.Option("1,3,6,9,12", help="Months at which to report, e.g. 1,3,6."),
    horizon: float = typer.Option(24, help="Months counted as 'eventual' for share_of_wins."),
    start: str = typer.Option("touch", "--from",
                              help="touch (first eligible touch, or launch) | created."),
    confidence: float = typer.Option(0.95, help="Interval level, e.g. 0.95."),
    format: str = FORMAT, output: Optional[Path] = OUTPUT,
) -> None:
    """Time from first touch to close: share of eventual wins closed by each month."""

    def action() -> None:
        common = _common(spend, deals, touches, config, model, windows, as_of, basis, format)
        choice(by, "--by", ("portfolio", "channel", "campaign"))
        choice(start, "--from", ("touch", "created"))
        _check_level(confidence)
        month_list = parse_months(months, "--months")
        if not month_list or min(month_list) <= 0 or horizon <= 0:
            raise InputError("--months and --horizon: expected positive months")
        result = run_lag(**common, by=by, months=month_list, horizon_months=horizon,
                         start=start, confidence=confidence)
        _deliver(result.table, format, output, lambda c: print_lag(result, c))

    _run(action)


def _check_level(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise InputError(f"--confidence: expected a level between 0 and 1, got {confidence}")


@app.command()
def project(
    spend: Optional[Path] = SPEND, deals: Optional[Path] = DEALS,
    touches: Optional[Path] = TOUCHES, config: Optional[Path] = CONFIG,
    model: Optional[str] = MODEL, windows: Optional[str] = WINDOWS,
    as_of: Optional[str] = AS_OF, basis: Optional[str] = BASIS,
    cohort: str = typer.Option("campaign", help="campaign | month (launch month)."),
    target: Optional[int] = typer.Option(None, help="Months to project to (default: the "
                                                    "largest window)."),
    confidence: float = typer.Option(0.8, help="Interval level, e.g. 0.8."),
    backtest: int = typer.Option(0, help="Hide the last K months, project, compare."),
    backtest_output: Optional[Path] = typer.Option(
        None, help="With csv/json: write the backtest records here."),
    format: str = FORMAT, output: Optional[Path] = OUTPUT,
) -> None:
    """Projected final return and ROI of young cohorts (chain ladder, Mack interval)."""

    def action() -> None:
        common = _common(spend, deals, touches, config, model, windows, as_of, basis, format)
        choice(cohort, "--cohort", ("campaign", "month"))
        _check_level(confidence)
        result = run_project(**common, cohort=cohort, target=target, confidence=confidence,
                             backtest_months=backtest)
        _deliver(result.table, format, output, lambda c: print_project(result, c))
        if result.backtest is not None and format != "table":
            if backtest_output is not None:
                text = to_csv(result.backtest) if format == "csv" else to_json(result.backtest)
                write_atomic(backtest_output, text)
            else:
                print_error(Console(stderr=True), backtest_line(result), prefix="")

    _run(action)
