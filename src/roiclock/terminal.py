"""The terminal and standard output, as the command line uses them: complete writes or an
error, a closed pipe as exit 141, tables degraded to ASCII where the terminal cannot show them,
and every message on one line. Light on purpose (no pandas): ``roiclock --help`` loads it.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
import sys
import unicodedata

import typer
from rich.console import Console

from .outputs import write_all

# Standard output: only the command line writes it.


def to_stdout(text: str) -> None:
    """Write ``text`` to standard output as UTF-8 bytes and flush (errors raise)."""
    stream = sys.stdout
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a text-only stream (a test harness): write text
        stream.write(text)
        stream.flush()
        return
    write_all(buffer, text.encode("utf-8"))
    buffer.flush()


class ClosedStream(io.TextIOBase):
    """Standard output when the process was started without one (``>&-``): every write is an
    error (so a run writing there fails in one line), while runs writing to files go on."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class CheckedStream:
    """A text stream (standard output, as rich sees it) whose every write is complete or
    raises: text is encoded with the stream's own encoding and error handler, then written
    to its byte buffer in full. Everything else (isatty, encoding, fileno) is the stream's."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        buffer = getattr(self._stream, "buffer", None)
        if buffer is None:
            return self._stream.write(text)
        self._stream.flush()
        write_all(buffer, text.encode(self._stream.encoding or "utf-8",
                                       self._stream.errors or "strict"))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()
        buffer = getattr(self._stream, "buffer", None)
        if buffer is not None:
            buffer.flush()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def finish_stdout() -> None:
    """Flush standard output and, when it is a regular file, fsync it: a full disk or a
    quota reported late still raises here, before the exit code says success."""
    stream = sys.stdout
    stream.flush()
    try:
        fd = stream.fileno()
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except (OSError, ValueError, AttributeError):
        return
    if regular:
        try:
            os.fsync(fd)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EROFS, errno.ENOTSUP):
                raise


# Table characters and their ASCII stand-ins, for a terminal or file whose encoding lacks them
# (PYTHONIOENCODING=ascii, LANG=C): the table degrades instead of failing half-way.
ASCII = {"…": "...", "─": "-", "━": "-", "│": "|", "┃": "|", "█": "#", "▁": "_", "▂": "_",
         "▃": "-", "▄": "-", "▅": "=", "▆": "=", "▇": "#", "’": "'", "‘": "'", "“": '"',
         "”": '"', "–": "-", "—": "-", "×": "x", "→": "->", "≤": "<=", "≥": ">=", "€": "EUR",
         "£": "GBP", "¥": "JPY", "\u00a0": " ", "\u202f": " "}
DEGRADE = "roiclock.degrade"


def _degrade(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for char in exc.object[exc.start:exc.end]:
        stand_in = ASCII.get(char)
        if stand_in is None:  # an accented letter loses its accent, anything else is '?'
            stand_in = (unicodedata.normalize("NFKD", char).encode("ascii", "ignore")
                        .decode("ascii") or "?")
        out.append(stand_in)
    return "".join(out), exc.end


codecs.register_error(DEGRADE, _degrade)


def degrade_stdout() -> None:
    """When standard output cannot encode every character (not UTF-8), replace the table's
    characters with ASCII stand-ins instead of failing. csv and json bypass this: they are
    written as UTF-8 bytes, whatever the terminal's encoding (see :func:`outputs.to_stdout`)."""
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if encoding.startswith("utf") or not hasattr(stream, "reconfigure"):
        return
    try:
        stream.reconfigure(errors=DEGRADE)
    except (ValueError, OSError, io.UnsupportedOperation):
        pass


def quiet_pipe() -> None:
    """The reader of standard output went away (``roiclock report | head -1``): stop quietly
    with 141 (128 + SIGPIPE), what the shell reports for a tool killed by SIGPIPE."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second EPIPE when Python flushes at exit
    except (OSError, ValueError, AttributeError):
        pass
    sys.exit(141)


def print_error(console: Console, message: str, prefix: str = "Error: ") -> None:
    """One message, on one line whatever it holds: a newline or another control character in
    a file name or a value is shown escaped (``\\n``), never as a line break."""
    console.print(f"{prefix}{printable(message)}", markup=False, highlight=False,
                  soft_wrap=True)


def printable(text: str) -> str:
    """``text`` with its control characters escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def usage_message(exc: typer.TyperException) -> str:
    """A usage error in roiclock's words: ``--by: 'x' is not one of 'campaign', ...``."""
    param = getattr(exc, "param", None)
    text = _cut_quoted(exc.message.replace("Value error, ", ""))
    if isinstance(exc, typer.BadParameter) and getattr(param, "opts", None):
        return f"{param.opts[0]}: {text}"  # type: ignore[union-attr]
    return _cut_quoted(" ".join(exc.format_message().split()))


def _cut_quoted(text: str) -> str:
    """A value quoted in a usage message cut to 40 characters, the message to 200 (never a
    pasted file back)."""
    text = re.sub(r"'([^']{40})[^']+'", r"'\1…'", text)
    return text if len(text) <= 200 else text[:200] + "…"
