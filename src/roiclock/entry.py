"""The ``roiclock`` command's entry point, before anything heavy is imported.

Importing pandas, pyarrow and numpy takes most of a second and may fail under a low
``ulimit -v``; a Ctrl-C or a SIGTERM may come at any moment. Here, with only the standard
library loaded: SIGTERM becomes an exception (so temporary output files are removed on the way
out, see :mod:`roiclock.outputs`), and an interrupt, a termination or running out of memory,
during the imports or the run, is one line on stderr and an exit code: 130 (SIGINT), 143
(SIGTERM), 1 (out of memory). The package's ``__init__`` imports nothing heavy at import time,
so this holds from the first instant.
"""

from __future__ import annotations

import signal
import sys
from typing import Any, NoReturn


class Terminated(BaseException):
    """SIGTERM was received (a BaseException: no ``except Exception`` swallows it)."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def _fail(message: str, code: int) -> NoReturn:
    try:
        sys.stderr.write(f"Error: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    raise SystemExit(code)


OUT_OF_MEMORY = "out of memory (see ulimit -v): roiclock could not start or finish"


def main() -> None:
    """Run the ``roiclock`` command (see :mod:`roiclock.cli`)."""
    try:
        signal.signal(signal.SIGTERM, _terminate)
    except (ValueError, OSError):  # not the main thread: leave the default
        pass
    try:
        from .cli import app

        app(prog_name="roiclock")
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Terminated:
        _fail("terminated", 143)
    except MemoryError:
        _fail(OUT_OF_MEMORY, 1)
    except ImportError as exc:  # a library that cannot load (often: no memory to map it)
        text = " ".join(str(exc).split())
        if "memory" in text.lower():
            _fail(OUT_OF_MEMORY, 1)
        _fail(f"cannot start: {text[:200]}", 1)
