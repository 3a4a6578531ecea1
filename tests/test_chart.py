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


def test_chart_with_nothing_to_draw_is_refused(tmp_path):
    # on 2023-06-01 the sample's oldest campaign (2023-01) is 4 months old: none is mature at
    # 12 months and none older supplies a pattern to project with; at --target 24 the
    # 24-month sample has no campaign that old either. No blank axes: exit 2, one line
    for args in (["--as-of", "2023-06-01"], ["--target", "24"]):
        out = tmp_path / "roi.png"
        result = runner.invoke(app, ["chart", "--output", str(out), *args])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Error: nothing to draw: no paid campaign is mature")
        assert result.stderr.count("\n") == 1 and not out.exists()


def test_legend_does_not_cover_the_break_even_label():
    import pandas as pd

    from roiclock.chart import _matplotlib, figure

    # a curve that rises far above break-even (the real CRM's shape: -95% to +2,200%), so
    # break-even runs along the bottom, where the legend is
    roi = [-0.95, -0.9, 0.5, 2.2, 4.4, 6.1, 8.7, 11.4, 14.1, 16.6, 19.6, 22.2]
    points = pd.DataFrame({"months": range(1, 13), "measured_roi": roi,
                           "projected_roi": [r * 0.9 for r in roi],
                           "interval_low": [r * 0.8 for r in roi],
                           "interval_high": roi, "measured_campaigns": 6,
                           "projected_campaigns": 7})
    fig = figure(points, "ROI", 0.8, "auto")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    label = next(t for t in ax.texts if "break-even" in t.get_text())
    legend = ax.get_legend().get_window_extent(renderer)
    assert not label.get_window_extent(renderer).overlaps(legend)
    _matplotlib().close(fig)


def test_html_page_has_no_blank_axes(tmp_path):
    # as of 2023-06-01 nothing is mature at 12 months and nothing can be projected: `chart`
    # refuses (exit 2); the page says so in a sentence instead of embedding empty axes
    page = tmp_path / "p.html"
    result = runner.invoke(app, ["report", "--html", str(page), "--as-of", "2023-06-01",
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert "No ROI curve yet" in text and "<svg" not in text


def test_backtest_months_are_checked_by_the_library():
    import pytest

    from roiclock import InputError
    with pytest.raises(InputError, match="expected months from 0 to 1200"):
        roiclock.run_project(backtest_months=10**6)
    with pytest.raises(InputError, match="expected months from 0 to 1200"):
        roiclock.run_project(backtest_months=-1)
