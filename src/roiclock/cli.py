"""The ``roiclock`` command: parse options, call the library, render. Nothing else.

This module is the light shell: the group, ``--help`` and ``--version``, usage errors. The
commands themselves (:mod:`roiclock.commands`, which loads pandas and the rest) are imported
only when one of them runs or shows its own help, so ``roiclock --help`` and ``roiclock
--version`` stay quick for a cron job or a shell completion.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming file, line and column);
1 unexpected failure (out of memory, a full disk: one line too); 3 (``watch`` only) some
campaign has fallen behind its projection; 130 interrupted (SIGINT), 143 terminated (SIGTERM,
see :mod:`roiclock.entry`); 141 when the reader of standard output went away (``| head``),
quietly, as a tool killed by SIGPIPE.

Whatever happens, stderr gets at most one line per message: no traceback, no Python or
matplotlib warning, no usage text.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from . import __version__
from .terminal import ClosedStream, degrade_stdout, print_error, quiet_pipe, usage_message

# Each command and its one-line summary, in the order --help lists them (a test keeps these
# equal to the first line of each command's own help in :mod:`roiclock.commands`).
COMMANDS = {
    "report": "ROI of each campaign (or channel, or the portfolio) at windows after launch.",
    "lag": "Time from first touch to close: share of eventual wins closed by each month.",
    "project": "Projected final return and ROI of young cohorts.",
    "watch": "Actual vs expected: each campaign's return so far against its projection.",
    "validate": "Check the inputs: rows read, used, rejected by reason, after as-of.",
    "chart": "The ROI curve as an image: --output roi.png or roi.svg.",
    "explain": "Why the Markov model credits what it does: removal effects and top paths.",
    "sql": "The SQL plan of the row-level passes (credits, the campaign x month grid), for a "
           "warehouse or dbt.",
}


class OneLineGroup(TyperGroup):
    """The ``roiclock`` group. Usage errors (an unknown option, a bad choice, a missing value)
    are one line on stderr and exit 2, like every other error: no usage text, no 'Try --help'
    box. Commands are loaded on first use (see the module docstring)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in COMMANDS:
            return None
        commands = importlib.import_module(".commands", __package__)
        return typer.main.get_command(commands.app).get_command(ctx, name)  # type: ignore[attr-defined]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of ``--help`` from :data:`COMMANDS`, without loading them."""
        rows = list(COMMANDS.items())
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        if sys.stdout is None:  # started with standard output closed (>&-)
            sys.stdout = ClosedStream()
        degrade_stdout()
        with warnings.catch_warnings():  # a library warning is never a second stderr line
            warnings.simplefilter("ignore")
            try:
                code = super().main(*args, **kwargs)
            except typer.TyperException as exc:  # typer's usage errors (typer >= 0.29)
                context = getattr(exc, "ctx", None)
                if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
                    # bare `roiclock`: the help on stdout, one line on stderr
                    sys.stdout.write(context.get_help() + "\n")
                    print_error(Console(stderr=True, highlight=False),
                                "no command given (the help above lists them)")
                    sys.exit(exc.exit_code)
                print_error(Console(stderr=True, highlight=False), usage_message(exc))
                sys.exit(exc.exit_code)
            except typer.Abort:
                print_error(Console(stderr=True, highlight=False), "interrupted")
                sys.exit(130)
            except BrokenPipeError:
                quiet_pipe()
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(cls=OneLineGroup, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="roiclock: campaign ROI measured at the right time after launch.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"roiclock {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """roiclock: campaign ROI measured at the right time after launch."""
