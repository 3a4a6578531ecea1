"""The ``roiclock`` command: parse options, call the library, render. Nothing else.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming file, row and column);
1 unexpected failure.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Optional

import pandas as pd
import typer
from rich.console import Console

from . import __version__
from .api import run_report
from .export import to_csv, to_json, write_atomic
from .render import print_error, print_report
from .schema import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="roiclock: campaign ROI measured at the right time after launch.")

FORMATS = ("table", "csv", "json")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roiclock {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """roiclock: campaign ROI measured at the right time after launch."""


def parse_windows(text: Optional[str]) -> Optional[list[int]]:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"--windows: expected whole months like 3,6,9,12, got '{text}'") from None


def parse_date(text: Optional[str], option: str) -> Optional[pd.Timestamp]:
    if text is None:
        return None
    try:
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        raise InputError(f"{option}: expected a date YYYY-MM-DD, got '{text}'") from None


def _emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(output, text)


def _run(action) -> None:
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
def report(
    spend: Optional[Path] = typer.Option(None, help="Spend file (CSV or Parquet)."),
    deals: Optional[Path] = typer.Option(None, help="Deals file (CSV or Parquet)."),
    touches: Optional[Path] = typer.Option(None, help="Touches file; enables multi-touch."),
    config: Optional[Path] = typer.Option(None, help="Settings YAML (default: packaged)."),
    model: Optional[str] = typer.Option(
        None, help="first | last | linear | time_decay | position."),
    windows: Optional[str] = typer.Option(None, help="Months after launch, e.g. 3,6,9,12."),
    as_of: Optional[str] = typer.Option(
        None, "--as-of", help="YYYY-MM-DD: data is complete before this day."),
    basis: Optional[str] = typer.Option(None, help="revenue | margin."),
    by: str = typer.Option("campaign", help="campaign | channel | portfolio."),
    format: str = typer.Option("table", "--format", help="table | csv | json."),
    output: Optional[Path] = typer.Option(None, help="Write here (atomically), not stdout."),
) -> None:
    """ROI of each campaign (or channel, or the portfolio) at windows after launch."""

    def action() -> None:
        if format not in FORMATS:
            raise InputError(f"--format: expected table, csv or json, got '{format}'")
        if by not in ("campaign", "channel", "portfolio"):
            raise InputError(f"--by: expected campaign, channel or portfolio, got '{by}'")
        result = run_report(spend, deals, touches, config, as_of=parse_date(as_of, "--as-of"),
                            by=by, model=model, windows=parse_windows(windows), basis=basis)
        if format == "csv":
            _emit(to_csv(result.table), output)
        elif format == "json":
            _emit(to_json(result.table), output)
        elif output is None:
            print_report(result, Console())
        else:
            buffer = io.StringIO()
            print_report(result, Console(file=buffer, width=120, color_system=None))
            write_atomic(output, buffer.getvalue())

    _run(action)
