"""Images: valid, fixed size, deterministic."""

import struct

from typer.testing import CliRunner

import roiclock
from roiclock.chart import image
from roiclock.cli import app
from roiclock.projection import curve

runner = CliRunner()


def points():
    return curve(roiclock.run_report().projection)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_is_valid_fixed_size_and_deterministic():
    first = image(points(), "ROI", 0.8, "png")
    assert png_size(first) == (800, 450)  # 8 x 4.5 inches at 100 dpi
    assert image(points(), "ROI", 0.8, "png") == first


def test_svg_is_valid_and_deterministic():
    svg = image(points(), "ROI", 0.8, "svg").decode()
    assert "<svg" in svg and 'width="576pt"' in svg and 'height="324pt"' in svg
    assert "<dc:date>" not in svg  # no timestamp
    assert image(points(), "ROI", 0.8, "svg").decode() == svg


def test_curve_points():
    p = points()
    assert list(p["months"]) == list(range(1, 13))
    assert (p["interval_low"] <= p["projected_roi"] + 1e-12).all()
    assert (p["projected_roi"] <= p["interval_high"] + 1e-12).all()
    # the measured curve at 3 and 12 months is the report's portfolio curve
    portfolio = roiclock.run_report().portfolio.set_index("window_months")["roi"]
    assert p.set_index("months").loc[[3, 12], "measured_roi"].tolist() == \
        portfolio.loc[[3, 12]].tolist()


def test_chart_command(tmp_path):
    for name in ("roi.png", "roi.svg"):
        out = tmp_path / name
        result = runner.invoke(app, ["chart", "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 10_000
    bad = runner.invoke(app, ["chart", "--output", str(tmp_path / "roi.gif")])
    assert bad.exit_code == 2 and "ending in .png or .svg" in bad.stderr
