"""The ``roiclock`` command's entry point, before anything heavy is imported.

Importing pandas, pyarrow and numpy takes most of a second and may fail under a low
``ulimit -v``; a Ctrl-C or a SIGTERM may come at any moment. Here, with only the standard
library loaded: SIGTERM becomes an exception (so temporary output files are removed on the way
out, see :mod:`roiclock.outputs`), and an interrupt, a termination or running out of memory,
during the imports or the run, is one line on stderr and an exit code: 130 (SIGINT), 143
(SIGTERM), 1 (out of memory). The package's ``__init__`` imports nothing heavy at import time,
so this holds from the first instant. A memory limit too low to even load the libraries is
refused before trying: some of them (OpenBLAS) print their own error and exit otherwise.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, NoReturn

# Below this address-space limit (ulimit -v) the numeric libraries cannot even be loaded.
MIN_ADDRESS_SPACE = 256 << 20
OUT_OF_MEMORY = "out of memory (see ulimit -v): roiclock could not start or finish"
LAST_RESORT = b"Error: out of memory (see ulimit -v): roiclock could not start or finish\n"


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


def _address_space_limit() -> int | None:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return None
    return None if soft == resource.RLIM_INFINITY else soft


def _memory_related(exc: BaseException | None) -> bool:
    """True when an import failed for lack of memory (the cause may be chained)."""
    seen = 0
    while exc is not None and seen < 10:
        text = str(exc).lower()
        if isinstance(exc, MemoryError) or "memory" in text or "failed to map segment" in text:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _main() -> None:
    try:
        signal.signal(signal.SIGTERM, _terminate)
    except (ValueError, OSError):  # not the main thread: leave the default
        pass
    limit = _address_space_limit()
    if limit is not None and limit < MIN_ADDRESS_SPACE:
        _fail(f"out of memory: ulimit -v allows {limit >> 20} MB, roiclock needs at least "
              f"{MIN_ADDRESS_SPACE >> 20} MB to start", 1)
    if limit is not None:
        # Under an address-space limit, thread stacks and per-thread buffers of the C libraries
        # fail first, and some of those libraries then print their own message and exit or
        # abort (OpenBLAS, Arrow) where Python cannot say it in one line: fewer threads keep
        # them within the limit (Arrow sizes its pool from OMP_NUM_THREADS).
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
            os.environ.setdefault(name, "1")
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
        if _memory_related(exc):
            _fail(OUT_OF_MEMORY, 1)
        _fail(f"cannot start: {' '.join(str(exc).split())[:200]}", 1)


def main() -> None:
    """Run the ``roiclock`` command (see :mod:`roiclock.cli`)."""
    try:
        _main()
    except SystemExit:
        raise
    except BaseException:  # even a handler above failed (no memory left to format a line)
        try:
            os.write(2, LAST_RESORT)
        finally:
            os._exit(1)
