"""Hostile outputs and failing machines (issue 12): outputs never destroy an input or each
other, devices and pipes are written in place, temp files never stay, standard output is
checked (full disk: exit 1; closed pipe: quiet exit 141)."""

import errno
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest
from typer.testing import CliRunner

from roiclock import outputs
from roiclock.cli import app
from roiclock.entry import Terminated

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-01-01,100\n"
DEALS = "deal_id,close_date,amount,campaign\nD1,2024-03-01,500,A\n"
CONFIG = "model: linear\n"


@pytest.fixture
def folder(tmp_path):
    for name, text in (("spend.csv", SPEND), ("deals.csv", DEALS), ("c.yaml", CONFIG)):
        (tmp_path / name).write_text(text)
    os.link(tmp_path / "deals.csv", tmp_path / "deals-hard.csv")
    os.symlink(tmp_path / "spend.csv", tmp_path / "spend-link.csv")
    (tmp_path / "y").mkdir()
    return tmp_path


def report(folder, *args):
    return runner.invoke(app, ["report", "--spend", str(folder / "spend.csv"), "--deals",
                               str(folder / "deals.csv"), "--config", str(folder / "c.yaml"),
                               *args], catch_exceptions=False)


# (name, options, message): each output is refused before any work, inputs untouched
CONFLICTS = [
    ("output is an input", ["--format", "csv", "--output", "deals.csv"],
     "--output: {f}/deals.csv is the same file as --deals (an input)"),
    ("rejects is an input", ["--rejects", "deals.csv"],
     "--rejects: {f}/deals.csv is the same file as --deals (an input)"),
    ("html is an input", ["--html", "spend.csv"],
     "--html: {f}/spend.csv is the same file as --spend (an input)"),
    ("output is the config", ["--output", "c.yaml"],
     "--output: {f}/c.yaml is the same file as --config (an input)"),
    ("hard link to an input", ["--output", "deals-hard.csv"],
     "--output: {f}/deals-hard.csv is the same file as --deals (an input)"),
    ("symbolic link to an input", ["--output", "spend-link.csv"],
     "is a symbolic link (to {f}/spend.csv)"),
    ("output and rejects alike", ["--format", "csv", "--output", "x.csv", "--rejects", "x.csv"],
     "--rejects: {f}/x.csv is the same file as --output (another output)"),
    ("output and html alike, spelled differently", ["--output", "x.csv", "--html", "y/../x.csv"],
     "--html: {f}/y/../x.csv is the same file as --output (another output)"),
    ("empty path", ["--output", ""], "--output: the path is empty"),
    ("a directory", ["--output", "."], "--output: {f} is a directory, not a file"),
    ("missing folder", ["--output", "nope/x.csv"], "--output: folder {f}/nope does not exist"),
]


@pytest.mark.parametrize("name,args,expected", CONFLICTS, ids=[c[0] for c in CONFLICTS])
def test_outputs_never_overwrite_inputs(folder, name, args, expected):
    args = [str(folder / a) if a not in ("", ".") and not a.startswith("-") and a not in
            ("csv",) else (str(folder) if a == "." else a) for a in args]
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert not (folder / "x.csv").exists()
    result = report(folder, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert expected.format(f=folder) in result.stderr
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == before


def test_backtest_output_is_checked_too(folder):
    result = runner.invoke(app, ["project", "--spend", str(folder / "spend.csv"), "--deals",
                                 str(folder / "deals.csv"), "--format", "csv", "--backtest",
                                 "1", "--backtest-output", str(folder / "spend.csv")])
    assert result.exit_code == 2 and "--backtest-output:" in result.stderr


def test_read_only_folder(folder, monkeypatch):
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if str(p) == str(folder / "ro")
                        else real(p, m))
    (folder / "ro").mkdir()
    result = report(folder, "--output", str(folder / "ro" / "x.csv"))
    assert result.exit_code == 2 and "cannot write in folder" in result.stderr


def test_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("old\n")
    path.chmod(0o600)
    outputs.write(path, "new\n")
    assert path.read_text() == "new\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_device_written_in_place_never_replaced():
    before = os.stat(os.devnull)
    outputs.write(os.devnull, "x" * 100)
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and (before.st_ino, before.st_mode) == (after.st_ino,
                                                                               after.st_mode)


def test_fifo_written_in_place(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    outputs.write(fifo, "a,b\n")
    reader.join(5)
    assert received == [b"a,b\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_symbolic_link_to_a_device_is_written_through(tmp_path):
    link = tmp_path / "out"
    os.symlink(os.devnull, link)
    outputs.check({"output": link})
    outputs.write(link, "x")
    assert os.path.islink(link)


@pytest.mark.parametrize("fault", [KeyboardInterrupt, Terminated,
                                   OSError(errno.ENOSPC, "No space")])
def test_temp_file_removed_on_every_way_out(tmp_path, monkeypatch, fault):
    path = tmp_path / "r.csv"
    path.write_text("old\n")

    def fail(fd):
        raise fault

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(type(fault) if isinstance(fault, Exception) else fault):
        outputs.write(path, "new\n")
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"] and path.read_text() == "old\n"
    assert not outputs._PENDING


class Disk(io.RawIOBase):
    """A file system with ``room`` bytes left: a short write, then ENOSPC (or EPIPE)."""

    def __init__(self, room, error=errno.ENOSPC):
        self.room, self.error, self.data = room, error, bytearray()

    def writable(self):
        return True

    def write(self, b):
        if self.room <= 0:
            raise (BrokenPipeError if self.error == errno.EPIPE else OSError)(
                self.error, os.strerror(self.error))
        n = min(len(b), self.room)
        self.data += bytes(b[:n])
        self.room -= n
        return n


@pytest.mark.parametrize("args", [["report", "--format", "csv"], ["report"],
                                  ["lag", "--format", "json"]])
@pytest.mark.parametrize("error,code", [(errno.ENOSPC, 1), (errno.EFBIG, 1), (errno.EPIPE, 141)])
def test_stdout_faults(monkeypatch, capsys, args, error, code):
    disk = Disk(1000, error)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(disk, 256),
                                                        encoding="utf-8"))
    with pytest.raises(SystemExit) as exit_:
        app([*args, "--quiet"], prog_name="roiclock")
    assert exit_.value.code == code
    err = capsys.readouterr().err
    if code == 141:
        assert err == ""  # a reader that went away is not an error
    else:
        assert err == f"Error: cannot write standard output: {os.strerror(error)}\n"


def roiclock(*args, **kwargs):
    env = {**os.environ, **kwargs.pop("env", {})}
    return subprocess.Popen([sys.executable, "-m", "roiclock", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.parametrize("args", [["report"], ["report", "--format", "csv"], ["lag"]])
def test_pipe_closed_early_is_quiet(args):
    process = roiclock(*args)
    process.stdout.close()  # the reader is gone before the first byte: `| head -0`
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (141, b"")


def test_head_one_line():
    shell = subprocess.run(f"{sys.executable} -m roiclock report | head -1; "
                           "echo \"${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
                           capture_output=True, text=True, timeout=120)
    lines = shell.stdout.splitlines()
    assert lines[0].startswith("Using the sample data") and lines[-1] in ("0", "141")
    assert shell.stderr == ""


def test_ascii_terminal_degrades_the_table():
    process = roiclock("report", env={"PYTHONIOENCODING": "ascii"})
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0 and err == b""
    text = out.decode("ascii")  # every byte is ASCII
    assert "|##" in text and "..." in text


@pytest.mark.parametrize("sig,code,word", [(signal.SIGINT, 130, "interrupted"),
                                           (signal.SIGTERM, 143, "terminated")])
@pytest.mark.parametrize("delay", [0.3, 1.5])
def test_signals_one_line(tmp_path, sig, code, word, delay):
    out = tmp_path / "r.csv"
    process = roiclock("report", "--format", "csv", "--output", str(out), "--model", "markov")
    time.sleep(delay)
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    if process.returncode == 0:  # finished before the signal: nothing to say
        return
    assert process.returncode in (code, -sig)
    assert err in (f"Error: {word}\n".encode(), b"")
    assert [p.name for p in tmp_path.iterdir()] in ([], ["r.csv"])  # no temporary file left


def test_low_memory_limit_is_one_line():
    resource = pytest.importorskip("resource")
    limit = 128 << 20

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    process = subprocess.run([sys.executable, "-m", "roiclock", "report"], preexec_fn=cap,
                             capture_output=True, timeout=120)
    assert process.returncode == 1
    assert process.stderr.decode().startswith("Error: out of memory")
    assert process.stderr.count(b"\n") == 1


def test_stdout_is_an_input(tmp_path):
    spend, deals = tmp_path / "spend.csv", tmp_path / "deals.csv"
    spend.write_text(SPEND)
    deals.write_text(DEALS)
    with open(deals, "a") as handle:  # roiclock report ... >> deals.csv
        process = subprocess.run([sys.executable, "-m", "roiclock", "report", "--spend",
                                  str(spend), "--deals", str(deals)], stdout=handle,
                                 stderr=subprocess.PIPE, timeout=120)
    assert process.returncode == 2 and deals.read_text() == DEALS
    assert b"standard output is the file given to --deals" in process.stderr


@pytest.mark.parametrize("args,code,err", [
    (["report", "--format", "csv"], 1, b"Error: cannot write standard output: standard output "
                                       b"is closed\n"),
    (["report"], 1, b"Error: cannot write standard output: standard output is closed\n"),
])
def test_stdout_closed(args, code, err):
    process = subprocess.run([sys.executable, "-m", "roiclock", *args], stdout=None,
                             stderr=subprocess.PIPE, timeout=120,
                             preexec_fn=lambda: os.close(1))
    assert (process.returncode, process.stderr) == (code, err)


def test_stdout_closed_does_not_matter_with_output(tmp_path):
    out = tmp_path / "r.csv"
    process = subprocess.run([sys.executable, "-m", "roiclock", "report", "--format", "csv",
                              "--output", str(out)], stderr=subprocess.PIPE, timeout=120,
                             preexec_fn=lambda: os.close(1))
    assert process.returncode == 0 and out.read_text().startswith("campaign,")


def test_a_pipe_as_input_is_named(tmp_path):
    fifo = tmp_path / "deals.csv"
    os.mkfifo(fifo)
    (tmp_path / "spend.csv").write_text(SPEND)
    result = runner.invoke(app, ["report", "--spend", str(tmp_path / "spend.csv"), "--deals",
                                 str(fifo)])
    assert result.exit_code == 2
    assert "not a regular file (a pipe or a device)" in result.stderr
