"""The ``roiclock`` commands: parse options, call the library, render. Nothing else.

Each command takes the options of :data:`COMMON` and its own; :func:`run` turns every error
into one line and an exit code (see :mod:`roiclock.cli` for the codes). The group that lists
and runs them is :mod:`roiclock.cli`, which imports this module only when a command runs.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import io
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import typer
from rich.console import Console

from .api import (
    run_explain,
    run_lag,
    run_project,
    run_report,
    run_sql,
    run_validate,
    run_watch,
    sample_paths,
)
from .chart import TITLE, check_drawable, image
from .config import BASES, MAX_MONTHS, prior_problem
from .engine import DEFAULT_SPARK_MASTER, DIALECTS, ENGINE_VARIABLE, ENGINES, default_engine
from .export import FORMATS, stamped, write_atomic
from .mature import BY
from .models import MODELS
from .outputs import check as check_outputs
from .page import html as page
from .periods import PERIODS
from .projection import COHORTS
from .render import (
    Stages,
    backtest_line,
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
from .schema import shown as _shown
from .survival import LAG_BY, STARTS
from .terminal import CheckedStream, finish_stdout, print_error, quiet_pipe, to_stdout
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
    Method = Any
    EngineName = Any
    Dialect = Any
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
    Method = _choices("Method", METHODS)
    EngineName = _choices("EngineName", ENGINES)
    Dialect = _choices("Dialect", DIALECTS)

PERIOD_HELP = ("Always-on spend as cohorts: each campaign x month (or quarter) measured from "
               "the first day of its period.")
ENGINE_HELP = ("Where credits and the campaign x month grid are computed: numpy | duckdb (SQL "
               f"in process) | spark (roiclock[spark]). Default: ${ENGINE_VARIABLE}, else numpy.")
SPARK_MASTER_HELP = f"Spark master URL for --engine spark (default {DEFAULT_SPARK_MASTER})."
BEHIND = 3  # watch: some campaign has fallen behind what its projection expected

# The library's argument names that the command line spells otherwise.
FLAGS = {"backtest_months": "--backtest", "horizon_months": "--horizon", "start": "--from",
         "priors": "--prior"}


def engine_option() -> Any:
    """--engine (report, project, watch, chart)."""
    return typer.Option(getattr(EngineName, default_engine(strict=False)), help=ENGINE_HELP)


def spark_master_option() -> Any:
    """--spark-master (with --engine spark)."""
    return typer.Option(None, "--spark-master", help=SPARK_MASTER_HELP)


def flag(option: str) -> str:
    """The command-line flag of a library argument: ``as_of`` -> ``--as-of``."""
    return FLAGS.get(option, "--" + option.replace("_", "-"))


# The commands register here; the ``roiclock`` group (:mod:`roiclock.cli`) imports this module
# only to run or describe one of them.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@dataclass(frozen=True)
class Common:
    """The options every command takes (see :data:`COMMON`)."""

    spend: str | None
    deals: str | None
    touches: str | None
    config: str | None
    preset: Enum | None
    model: Enum | None
    windows: str | None
    as_of: str | None
    data_through: str | None
    basis: Enum | None
    format: Enum
    output: str | None
    strict: bool
    rejects: str | None
    quiet: bool

    def inputs(self) -> dict[str, str | None]:
        """The files read, by option (the sample data's when no input file is given)."""
        files = {"spend": self.spend, "deals": self.deals, "touches": self.touches,
                 "config": self.config}
        if self.spend is None and self.deals is None and self.touches is None:
            files.update({kind: str(path) for kind, path in sample_paths().items()})
        return files

    def check_paths(self, **outputs: str | None) -> None:
        """Refuse, before any work, an empty or directory input path and any output that
        cannot be written or would overwrite an input, the config or another output."""
        for option, path in self.inputs().items():
            if path is not None and str(path) in ("", "."):
                raise InputError("the path is empty" if str(path) == "" else
                                 "expected a file, got a directory", option=option)
            if path is not None and Path(path).is_dir():
                raise InputError(f"{path} is a directory, not a file", option=option)
        check_outputs({"output": self.output, "rejects": self.rejects, **outputs},
                      self.inputs(), stdout=self.output is None)

    def library_args(self) -> dict[str, Any]:
        """The options as keyword arguments of the run_* functions."""
        return dict(spend=_path(self.spend), deals=_path(self.deals),
                    touches=_path(self.touches), config=_path(self.config),
                    preset=_value(self.preset), model=_value(self.model),
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
        try:
            with Stages(Console(stderr=True), self.quiet) as stages:
                result = function(**args, progress=stages)
        except InputError as exc:
            # a blocking rejection: the rejects file still lists what blocked
            rejects = getattr(exc, "rejects", None)
            if self.rejects is not None and rejects is not None:
                write_file(self.rejects, FORMATS["csv"](rejects))
            raise
        if self.rejects is not None:
            write_file(self.rejects, FORMATS["csv"](result.inputs.rejects))
        for note in getattr(result.inputs, "notes", ()):
            self.note(f"Note: {note}")
        if warn:
            self.warn(result)
        notice = horizon_notice(result.inputs)
        if notice:
            self.note(notice)
        return result

    def warn(self, result: Any) -> None:
        """Warn (unless --quiet) about rows that were rejected and about data quality."""
        warning = rejection_warning(result.inputs)
        if warning and getattr(result, "problem", None) is None:  # else the error says it
            self.note(warning)
        for message in result.inputs.warnings["message"]:
            self.note(f"Warning: {message}.")

    def note(self, text: str) -> None:
        """A note or warning on stderr, unless --quiet."""
        if not self.quiet:
            print_error(Console(stderr=True), text, prefix="")

    def deliver(self, result: Any, show: Callable[[Console], None]) -> None:
        """csv/json records of ``result``, as the library writes them (its table stamped with
        the inputs' as-of and data_through: :func:`roiclock.export.exported`), or the rich
        view (to the terminal, or as plain text to a file)."""
        fmt = self.format.value
        if fmt in FORMATS:
            _emit(FORMATS[fmt](result), self.output)
        elif self.output is None:
            with standard_output():
                show(Stdout())
        else:
            buffer = io.StringIO()
            show(Console(file=buffer, width=120, color_system=None, markup=False))
            write_file(self.output, buffer.getvalue())


class Stdout(Console):
    """The terminal view's console: every write to standard output complete or an error
    (:class:`CheckedStream`); a closed pipe is :func:`quiet_pipe` (exit 141), not rich's
    exit 1."""

    def __init__(self) -> None:
        # names from the files are printed as they are: '[/]' in a campaign name is text,
        # not rich markup (it raised MarkupError; '[link=...]' vanished)
        super().__init__(file=CheckedStream(sys.stdout), markup=False)  # type: ignore[arg-type]

    def on_broken_pipe(self) -> None:
        quiet_pipe()


class WriteFailure(Exception):
    """An output could not be written (a full disk, a quota, an I/O error): exit 1."""

    def __init__(self, where: str, exc: OSError):
        super().__init__(f"cannot write {where}: {exc.strerror or exc}")


def write_file(path: str | Path, data: str | bytes) -> None:
    """Write an output file (see :func:`roiclock.outputs.write`); a failing disk is a
    :class:`WriteFailure`."""
    try:
        write_atomic(path, data)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise WriteFailure(str(path), exc) from None


def _value(choice: Enum | None) -> str | None:
    return None if choice is None else str(choice.value)


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


# Options every command takes, defined once and added to each command by @command.
COMMON = [
    ("spend", str | None, typer.Option(None, help="Spend file (CSV or Parquet).")),
    ("deals", str | None, typer.Option(None, help="Deals file (CSV or Parquet).")),
    ("touches", str | None, typer.Option(None, help="Touches file; enables multi-touch.")),
    ("config", str | None, typer.Option(None, help="Settings YAML (default: packaged).")),
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
    ("output", str | None, typer.Option(None, help="Write here (atomically), not stdout.")),
    ("strict", bool, typer.Option(False, "--strict", help="Any rejected row: exit code 2.")),
    ("rejects", str | None, typer.Option(
        None, help="Write the rejected rows (row number, column, reason) to this CSV.")),
    ("quiet", bool, typer.Option(False, "--quiet", help="No notes or warnings on stderr.")),
]


# A command's own options that name an output file: checked with --output and --rejects.
OUTPUTS = ("html", "backtest_output")


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
            outputs = {name: kwargs[name] for name in OUTPUTS if name in kwargs}

            def action() -> None:
                common.check_paths(**outputs)
                func(common=common, **kwargs)

            run(action)

        wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared)
        app.command(name)(wrapper)
        return func

    return register


def parse_months(text: str | None, option: str = "--windows") -> list[int] | None:
    if text is None:
        return None
    try:
        months = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{option}: expected whole months like 3,6,9,12, got "
                         f"'{_shown(text)}'") from None
    if any(not 0 < m <= MAX_MONTHS for m in months):
        raise InputError(f"{option}: expected positive months (at most {MAX_MONTHS}), got "
                         f"'{_shown(text)}'")
    return list(dict.fromkeys(months))  # a month given twice is one month (3,3: one row)


def check_number(value: float, option: str, what: str, low: float, high: float,
                 low_open: bool = True) -> None:
    """Refuse NaN, infinities and values outside [low, high] (``low`` excluded when
    ``low_open``) for a numeric option: ``what`` says what is expected."""
    inside = math.isfinite(value) and (value > low if low_open else value >= low) \
        and value <= high
    if not inside:
        raise InputError(f"expected {what}, got {_shown(str(value))}", option=option)


def parse_priors(text: str | None) -> dict[str, float] | None:
    """``--prior``: ``NAME=ROI`` pairs separated by commas (a channel or a campaign; ROI as a
    fraction, 1.5, or a percent, 150%), or one ROI for every campaign."""
    if text is None:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, equals, value = part.rpartition("=")
        if equals and not name.strip():  # '=1' is no name, not '*': never a silent pick
            raise InputError(f"--prior: a name is missing before '=' in '{_shown(part.strip())}'"
                             f"; give NAME=ROI, or one ROI alone (or *=ROI) for every campaign")
        name, value = (name.strip() or "*"), value.strip()
        try:
            number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            raise InputError(f"--prior: expected NAME=ROI pairs like paid_search=1.5 or "
                             f"events=120%, got '{_shown(part.strip())}'") from None
        if name in out:
            raise InputError(f"--prior: '{_shown(name)}' is given twice; give each name once")
        problem = prior_problem(number)
        if problem:
            raise InputError(f"--prior: '{_shown(name)}': {problem}")
        out[name] = number
    if not out:  # given, but empty: not silently no prior
        raise InputError(f"--prior: expected NAME=ROI pairs like paid_search=1.5 or "
                         f"events=120%, got '{_shown(text)}'")
    return out


def parse_date(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    got = "an empty value" if not text.strip() else f"'{_shown(text)}'"
    try:
        day = pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        raise InputError(f"{option}: expected a date YYYY-MM-DD, got {got}") from None
    if pd.isna(day):  # '' and 'NaT' read as no date at all
        raise InputError(f"{option}: expected a date YYYY-MM-DD, got {got}")
    return day


@contextlib.contextmanager
def standard_output() -> Iterator[None]:
    """Write to standard output inside, then flush it: a failed or short write is a
    WriteFailure (exit 1, one line); a closed pipe stays a BrokenPipeError (exit 141)."""
    try:
        yield
        finish_stdout()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise WriteFailure("standard output", exc) from None


def _emit(text: str, output: str | None) -> None:
    if output is None:
        with standard_output():
            to_stdout(text)
    else:
        write_file(output, text)


MEMORY_ERRNOS = (errno.ENOMEM,)


def run(action: Callable[[], None]) -> None:
    """Run ``action``; turn errors into a one-line message and an exit code."""
    err = Console(stderr=True, highlight=False)
    try:
        action()
        finish_stdout()
    except InputError as exc:
        message = str(exc) if exc.option is None else f"{flag(exc.option)}: {exc.reason}"
        print_error(err, message)
        raise typer.Exit(code=2) from None
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:
        quiet_pipe()
    except KeyboardInterrupt:
        print_error(err, "interrupted")
        raise typer.Exit(code=130) from None
    except MemoryError:
        print_error(err, "out of memory: these inputs need more memory than roiclock may use "
                         "here (see ulimit -v)")
        raise typer.Exit(code=1) from None
    except WriteFailure as exc:
        print_error(err, str(exc))
        raise typer.Exit(code=1) from None
    except OSError as exc:
        if exc.errno in MEMORY_ERRNOS:
            print_error(err, f"out of memory: {exc.strerror}")
        else:
            print_error(err, f"unexpected failure: {type(exc).__name__}: {_shown(str(exc), 200)}")
        raise typer.Exit(code=1) from None
    except Exception as exc:
        text = " ".join(str(exc).split())  # one line, whatever the exception says
        if "can't start new thread" in text or (  # no memory for a thread or a library
                isinstance(exc, ImportError) and "failed to map segment" in text):
            print_error(err, "out of memory: cannot start a thread or load a library (see "
                             "ulimit -v)")
            raise typer.Exit(code=1) from None
        print_error(err, f"unexpected failure: {type(exc).__name__}: {_shown(text, 200)}")
        raise typer.Exit(code=1) from None


@command()
def report(
    common: Common,
    by: By = typer.Option(By.campaign, help="Rows: one per campaign, channel or the "
                                            "portfolio."),
    kpis: bool = typer.Option(False, "--kpis", help="Also show the leading indicators."),
    html: str | None = typer.Option(None, help="Also write a one-page HTML report here."),
    period: Period | None = typer.Option(None, help=PERIOD_HELP),
    to_date: bool = typer.Option(False, "--to-date", help="Also cost and return so far, any "
                                                         "age (not comparable across ages)."),
    engine: EngineName = engine_option(),
    spark_master: str | None = spark_master_option(),
) -> None:
    """ROI of each campaign (or channel, or the portfolio) at windows after launch."""
    if kpis and common.format.value in FORMATS:
        raise InputError("--kpis: csv and json always carry the leading indicators; --kpis "
                         "adds them to the table view")
    result = common.run(run_report, by=by.value, period=_value(period), to_date=to_date,
                        engine=engine.value, spark_master=spark_master)
    fallback = fallback_note(result.credits.attrs.get("position_fallback", 0),
                             result.settings.model)
    if fallback:
        common.note(fallback)
    if html is not None:
        write_file(html, page(result))
    common.deliver(result, lambda c: print_report(result, c, kpis=kpis, quiet=common.quiet))


@command("lag")
def lag_command(
    common: Common,
    by: LagBy = typer.Option(LagBy.portfolio, help="One curve for all deals, or per channel "
                                                   "or campaign."),
    months: str | None = typer.Option(None, help="Months at which to report, e.g. 1,3,6 "
                                              "(default 1,3,6,9,12: those within --horizon)."),
    horizon: float = typer.Option(24, help="Months counted as 'eventual' for share_of_wins "
                                           "and the median (unknown for a group followed "
                                           "for less)."),
    start: Start = typer.Option(Start.touch, "--from",
                                help="touch (first eligible touch, or launch) | created."),
    confidence: float = typer.Option(0.95, help="Interval level, e.g. 0.95."),
    period: Period | None = typer.Option(None, help="One curve per month (or quarter) of "
                                                   "the deals' start: are deals slowing?"),
) -> None:
    """Time from first touch to close: share of eventual wins closed by each month."""
    common.unused("lag counts deals and their closing times: it attributes no return, "
                  "so it takes no model, windows or basis", "model", "windows", "basis")
    check_number(horizon, "horizon_months", f"positive months (at most {MAX_MONTHS})", 0,
                 MAX_MONTHS)
    check_number(confidence, "confidence", "a level between 0 and 1", 0, 1)
    result = common.run(run_lag, by=by.value, months=parse_months(months, "--months"),
                        horizon_months=horizon, start=start.value, confidence=confidence,
                        period=_value(period))
    common.deliver(result, lambda c: print_lag(result, c, quiet=common.quiet))


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
    backtest: int | None = typer.Option(None, help="Project from the data K, K+3, K+6 months "
                                                  "back with each method; compare."),
    backtest_output: str | None = typer.Option(
        None, help="With csv/json: write the backtest records here."),
    compare: str | None = typer.Option(
        None, help="An earlier 'project --format json' export: explain what changed."),
    period: Period | None = typer.Option(None, help=PERIOD_HELP),
    engine: EngineName = engine_option(),
    spark_master: str | None = spark_master_option(),
) -> None:
    """Projected final return and ROI of young cohorts: measured, open pipeline and future,
    with an interval checked against the past."""
    if backtest is not None:  # given: a backtest is asked for, 0 months back is none
        check_number(backtest, "backtest_months", f"months >= 1 (at most {MAX_MONTHS})", 1,
                     MAX_MONTHS, low_open=False)
    if backtest_output is not None and backtest is None:
        raise InputError("--backtest-output: there is no backtest to write; give --backtest K")
    if backtest_output is not None and common.format.value not in FORMATS:
        raise InputError("--backtest-output: the table view prints the backtest; the file is "
                         "for --format csv or json")
    _check_target(target)
    check_number(confidence, "confidence", "a level between 0 and 1", 0, 1)
    result = common.run(run_project, cohort=cohort.value, target=target,
                        confidence=confidence, backtest_months=backtest or 0,
                        method=method.value,
                        priors=parse_priors(prior), compare=_path(compare),
                        period=_value(period), engine=engine.value,
                        spark_master=spark_master)
    common.deliver(result, lambda c: print_project(result, c, quiet=common.quiet))
    fmt = common.format.value
    if result.backtest is not None and fmt in FORMATS:
        if backtest_output is not None:
            write_file(backtest_output, FORMATS[fmt](stamped(
                result.backtest, result.inputs.as_of, result.inputs.data_through)))
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
    engine: EngineName = engine_option(),
    spark_master: str | None = spark_master_option(),
) -> None:
    """Actual vs expected: each campaign's return so far against its projection. What it has
    won by now against what the projection from --since months ago expected; exit code 3
    when some campaign is behind."""
    _check_target(target)
    check_number(confidence, "confidence", "a level between 0 and 1", 0, 1)
    check_number(since, "since", f"a positive number of months (at most {MAX_MONTHS})", 1,
                 MAX_MONTHS, low_open=False)
    result = common.run(run_watch, since=since, target=target, confidence=confidence,
                        method=method.value, priors=parse_priors(prior), engine=engine.value,
                        spark_master=spark_master)
    common.deliver(result, lambda c: print_watch(result, c, quiet=common.quiet))
    if result.behind:
        raise typer.Exit(code=BEHIND)


@command("validate")
def validate_command(common: Common) -> None:
    """Check the inputs: rows read, used, rejected by reason, after as-of. Exit 2 when a
    blocking problem (or, with --strict, any rejected row) is found."""
    common.unused("validate checks the inputs; it attributes nothing and measures no "
                  "window", "model", "windows")
    result = common.run(run_validate, warn=False)  # its table lists every problem
    common.deliver(result, lambda c: print_validation(result, c, quiet=common.quiet))
    if result.problem is not None:
        raise result.problem


@command()
def chart(
    common: Common,
    target: int | None = typer.Option(None, help="Months to draw (default: the largest "
                                                    "window)."),
    confidence: float = typer.Option(0.8, help="Interval level of the projected band."),
    period: Period | None = typer.Option(None, help=PERIOD_HELP),
    method: Method = typer.Option(Method.auto, help=METHOD_HELP),
    prior: str | None = typer.Option(None, help=PRIOR_HELP),
    engine: EngineName = engine_option(),
    spark_master: str | None = spark_master_option(),
) -> None:
    """The ROI curve as an image: --output roi.png or roi.svg. Measured solid, projected
    dashed with its interval band, break-even and the month most marketers measure."""
    output = None if common.output is None else Path(common.output)
    if output is None or output.suffix.lower().lstrip(".") not in ("png", "svg"):
        raise InputError("--output: give the image file, ending in .png or .svg")
    common.unused("chart draws an image; its format comes from the --output file's suffix "
                  "(.png or .svg)", "format")
    _check_target(target)
    check_number(confidence, "confidence", "a level between 0 and 1", 0, 1)
    result = common.run(run_project, target=target, confidence=confidence,
                        method=method.value, priors=parse_priors(prior), period=_value(period),
                        engine=engine.value, spark_master=spark_master)
    projection = result.projection
    check_drawable(projection.curve, projection.target, result.inputs.as_of)
    write_file(output, image(projection.curve, TITLE, projection.confidence,
                             output.suffix.lower().lstrip("."), projection.method))


def _check_target(target: int | None) -> None:
    if target is not None and not 0 < target <= MAX_MONTHS:
        raise InputError(f"expected a positive number of months (at most {MAX_MONTHS}), got "
                         f"{_shown(str(target))}", option="target")


@command()
def explain(
    common: Common,
    top: int = typer.Option(10, help="How many of the most frequent paths to show."),
) -> None:
    """Why the Markov model credits what it does: removal effects and top paths (--model
    markov is implied)."""
    if not 0 <= top <= 10**9:
        raise InputError(f"expected a count from 0 to 1e9, got {_shown(str(top))}",
                         option="top")
    if common.model is not None and common.model.value != "markov":
        raise InputError("--model: explain explains the markov model only")
    common.unused("explain shows the removal effects, which do not depend on windows",
                  "windows")
    if top != 10 and common.format.value in FORMATS:
        raise InputError("--top: the paths are shown in the table view; csv and json carry "
                         "the removal effects")
    result = common.run(run_explain, model=None)
    common.deliver(result,
                   lambda c: print_explanation(result, c, top=top, quiet=common.quiet))


@command("sql")
def sql_command(
    common: Common,
    dialect: Dialect = typer.Option(Dialect.duckdb, help="SQL dialect: duckdb and spark are "
                                                         "executed in the tests, the others "
                                                         "only transpiled."),
    lookback_days: int | None = typer.Option(None, "--lookback-days",
                                             help="Days a touch stays eligible (default: "
                                                  "the config's, 730)."),
) -> None:
    """The SQL plan of the row-level passes (credits, the campaign x month grid), for a
    warehouse or dbt: input tables spend, deals and touches as parameters."""
    common.unused("sql prints the plan; it reads no input (the tables spend, deals and "
                  "touches are its parameters)", "spend", "deals", "touches", "preset",
                  "as_of", "data_through", "rejects")
    common.unused("sql prints SQL text", "format")
    if common.strict:
        raise InputError("--strict: sql reads no input, so it rejects nothing")
    text = run_sql(dialect.value, config=_path(common.config), model=_value(common.model),
                   windows=parse_months(common.windows), basis=_value(common.basis),
                   lookback_days=lookback_days)
    _emit(text, common.output)
