import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings as hypothesis_settings

import roiclock

# Property tests: a quick profile by default (CI), a thorough one on demand:
#   HYPOTHESIS_PROFILE=thorough python -m pytest
hypothesis_settings.register_profile("default", max_examples=30, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=1000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The whole suite with CSV files read in tiny pieces (what 10M-row files get), on demand:
#   ROICLOCK_TEST_PIECE_BYTES=64 python -m pytest
PIECE_BYTES = os.environ.get("ROICLOCK_TEST_PIECE_BYTES")


@pytest.fixture(autouse=bool(PIECE_BYTES))
def _small_pieces(monkeypatch):
    monkeypatch.setattr("roiclock.loading.PIECE_BYTES", int(PIECE_BYTES or 0))


DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a file in a fresh folder."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text.lstrip("\n"), encoding="utf-8")
        return path
    return _write


def on_the_default_engine(code: str):
    """Run Python ``code`` in a fresh process on the numpy default (ROICLOCK_ENGINE unset,
    whatever this run sets): the import tests check what that default loads."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ROICLOCK_ENGINE"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=env)


def inputs_from(write, deals: str, touches: str | None = None, spend: str | None = None,
                as_of=None, **settings):
    """Validated inputs built from CSV text (spend defaults to one row for campaign A)."""
    spend = spend or "campaign,date,amount\nA,2024-01-01,100\n"
    paths = [write("spend.csv", spend), write("deals.csv", deals)]
    paths.append(write("touches.csv", touches) if touches else None)
    s = roiclock.load_settings(**settings)
    return roiclock.load(*paths, settings=s, as_of=as_of), s


def shares(credits: pd.DataFrame, deal_id: str) -> dict[str, float]:
    rows = credits[credits["deal_id"] == deal_id]
    return dict(zip(rows["campaign"], rows["share"], strict=False))
