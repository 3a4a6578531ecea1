from pathlib import Path

import pytest

import roiclock
from roiclock import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_documented_config_is_the_packaged_defaults():
    # one file: config/roiclock.yaml is a link to the defaults the package reads
    packaged = ROOT / "src" / "roiclock" / "defaults.yaml"
    documented = ROOT / "config" / "roiclock.yaml"
    assert documented.is_symlink() and documented.resolve() == packaged.resolve()


def test_model_registry_drives_config_help_and_docs():
    from typer.testing import CliRunner

    from roiclock.cli import app

    names = list(roiclock.MODELS)
    defaults = (ROOT / "src" / "roiclock" / "defaults.yaml").read_text()
    assert f"# Attribution model: {' | '.join(names)}" in defaults
    for name in names:
        assert roiclock.load_settings(model=name).model == name
    with pytest.raises(InputError, match="unknown model"):
        roiclock.load_settings(model="nope")
    help_text = CliRunner().invoke(app, ["report", "--help"]).output
    assert f"<{'|'.join(names)}>" in help_text.replace("\n", "").replace(" ", "")
    readme = (ROOT / "README.md").read_text()
    for name in names:
        assert f"`{name}`" in readme


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
