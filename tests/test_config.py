from pathlib import Path

import pytest

import roiclock
from roiclock import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_packaged_defaults_equal_config_file():
    packaged = ROOT / "src" / "roiclock" / "defaults.yaml"
    assert packaged.read_text() == (ROOT / "config" / "roiclock.yaml").read_text()


def test_defaults():
    s = roiclock.load_settings()
    assert (s.windows, s.model, s.lookback_days, s.half_life_days) == ((3, 6, 9, 12), "linear",
                                                                       730, 30)
    assert (s.basis, s.cost_multiplier, s.position_first, s.position_last) == ("revenue", 1.0,
                                                                               .4, .4)


def test_file_then_overrides(write):
    path = write("c.yaml", "model: first\nwindows: [6, 12]\nlookback_days: 365\n")
    s = roiclock.load_settings(path, model="last")
    assert (s.model, s.windows, s.lookback_days) == ("last", (6, 12), 365)


@pytest.mark.parametrize("text,expected", [
    ("modle: first\n", "unknown setting 'modle'"),
    ("model: best\n", "unknown model 'best'"),
    ("windows: [6, 3]\n", "windows must be increasing"),
    ("windows: [0]\n", "windows must be positive"),
    ("basis: profit\n", "unknown basis 'profit'"),
    ("columns: {deals: {dealid: X}}\n", "columns.deals: unknown column 'dealid'"),
    ("model: [\n", "not valid YAML"),
])
def test_bad_config(write, text, expected):
    path = write("c.yaml", text)
    with pytest.raises(InputError, match=expected.replace("[", r"\[")) as info:
        roiclock.load_settings(path)
    assert str(info.value).startswith(str(path))
