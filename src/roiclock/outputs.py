"""Where results go: files written safely, never over an input, and standard output checked.

- :func:`check` refuses, before any work is done, an output path that is empty, a directory,
  in a folder that does not exist or cannot be written, a symbolic link to a regular file, or
  the same file (device and inode: symbolic and hard links included) as an input, the config
  or another output of the same run.
- :func:`write` replaces a regular file atomically (a temporary file in the same folder,
  fsync, rename), keeping the mode (and, where allowed, the owner) of the file it replaces;
  a device, FIFO or socket (``/dev/null``, ``/dev/stdout``, a named pipe) is written in place,
  never replaced. Temporary files are removed on every way out: an error, an interrupt, a
  SIGTERM turned into an exception by the command line, or interpreter exit.
- :func:`write_all` writes every byte or raises (a buffered write may return short without
  an error); the command line uses it for standard output, which it alone writes.

Nothing here prints: problems are :class:`~roiclock.schema.InputError` (a path the user should
change, exit 2) or the ``OSError`` of the failing write (exit 1, said in one line by the CLI).
"""

from __future__ import annotations

import atexit
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .schema import InputError

# temporary files not yet renamed into place: removed at exit if an error path missed them
_PENDING: set[str] = set()


def _cleanup() -> None:
    for tmp in list(_PENDING):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _PENDING.discard(tmp)


atexit.register(_cleanup)


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file ``path`` names, following links; None if there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _problem(path: Path) -> str | None:
    """Why ``path`` cannot be an output file, or None."""
    text = str(path)
    if text in ("", "."):
        return "the path is empty" if text == "" else "is a directory, not a file"
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        link = None
    except OSError as exc:
        return f"cannot use {text}: {exc.strerror}"
    if link is not None and stat.S_ISLNK(link.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            return (f"{text} is a symbolic link to a missing file; give the path of the file "
                    "itself")
        if stat.S_ISREG(target.st_mode) or stat.S_ISDIR(target.st_mode):
            return (f"{text} is a symbolic link (to {os.path.realpath(path)}); give the path "
                    "of the file itself, roiclock does not replace a link's target")
        return None  # a link to a device or pipe (/dev/stdout): written in place
    if link is not None and stat.S_ISDIR(link.st_mode):
        return f"{text} is a directory, not a file"
    if link is not None and not stat.S_ISREG(link.st_mode):
        return None  # device, FIFO, socket: written in place
    folder = path.parent
    if not folder.is_dir():
        return f"folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write in folder {folder} (permission denied)"
    if link is not None and not os.access(path, os.W_OK):
        return f"{text} is read-only"
    return None


def _key(path: Path) -> tuple:
    """What makes two paths the same file: device and inode when the file exists (links
    resolved), else the resolved folder and the name."""
    found = _identity(path)
    if found is not None:
        return found
    return ("new", os.path.realpath(path.parent), path.name)


def regular_or_new(path: Path) -> bool:
    """True when ``path`` is (or will be) a regular file: not a device, FIFO or socket."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def check(outputs: Mapping[str, str | Path | None],
          inputs: Mapping[str, str | Path | None] | None = None,
          stdout: bool = False) -> None:
    """Refuse outputs that cannot be written or would destroy something.

    ``outputs`` and ``inputs`` map an option name (``output``, ``rejects``, ``deals``,
    ``config``, ...) to a path (None: not given). With ``stdout``, standard output (when it
    is a regular file, as after ``> file`` or ``>> file``) must not be an input either.
    Raises :class:`InputError` naming the option.
    """
    seen: dict[tuple, str] = {}
    for option, path in (inputs or {}).items():
        if path is None:
            continue
        found = _identity(path)
        if found is not None:
            seen.setdefault(found, option)
    if stdout:
        try:
            st = os.fstat(sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            st = None
        if st is not None and stat.S_ISREG(st.st_mode):
            other = seen.get((st.st_dev, st.st_ino))
            if other is not None:
                raise InputError(f"standard output is the file given to {_flag(other)}; "
                                 "write elsewhere", option="output")
    for option, path in outputs.items():
        if path is None:
            continue
        problem = _problem(Path(path)) if str(path) != "" else "the path is empty"
        path = Path(path)
        if problem is not None:
            raise InputError(problem, option=option)
        if not regular_or_new(path):
            continue  # several outputs to /dev/null are harmless
        key = _key(path)
        other = seen.get(key)
        if other is not None:
            what = "an input" if other in (inputs or {}) else "another output"
            raise InputError(f"{path} is the same file as {_flag(other)} ({what}); "
                             "roiclock never writes over its inputs or one output over "
                             "another", option=option)
        seen[key] = option


def _flag(option: str) -> str:
    return {"backtest_output": "--backtest-output"}.get(option, "--" + option.replace("_", "-"))


def write(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path``: a regular file atomically, keeping the
    mode of the file it replaces; a device, FIFO or socket in place."""
    path = Path(path)
    problem = _problem(path)
    if problem is not None:
        raise InputError(problem)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if not regular_or_new(path):
        with open(path, "wb") as handle:  # follows a link such as /dev/stdout: in place
            handle.write(payload)
            handle.flush()
        return
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _PENDING.add(tmp)
    try:
        with os.fdopen(fd, "wb") as handle:
            write_all(handle, payload)  # a short write is retried; an error raises
            handle.flush()
            os.fsync(handle.fileno())
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            try:
                os.chown(tmp, old.st_uid, old.st_gid)
            except OSError:
                pass  # not allowed (not root): the new file is ours, the mode still kept
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
        _PENDING.discard(tmp)
        _sync_folder(path.parent)
    finally:
        if tmp in _PENDING:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            _PENDING.discard(tmp)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: some file systems refuse fsync on a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_all(buffer, data: bytes) -> None:
    """Write every byte or raise: a buffered write may return short without an error (a file
    size limit reached, a disk filling up); the next write then raises."""
    view = memoryview(data)
    while view:
        written = buffer.write(view)
        if written is None:  # a non-blocking stream with no room: flush and go on
            buffer.flush()
            continue
        view = view[written:]
