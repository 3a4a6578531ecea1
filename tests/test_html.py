"""The one-page HTML report: structure (html.parser) and a real render in headless Chromium."""

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import numpy as np
import pytest
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app

runner = CliRunner()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


class Outline(HTMLParser):
    """Collects tags, attributes and text of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.text, self.title = [], [], [], ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [value for name, value in attrs
                      if name in ("src", "href", "xlink:href") and value]
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "report.html"
    result = runner.invoke(app, ["report", "--html", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    return path


def test_structure(page):
    outline = Outline()
    outline.feed(page.read_text())
    text = " ".join(outline.text)
    assert outline.title == "roiclock report"
    assert outline.tags.count("svg") == 1 and outline.tags.count("table") == 3
    assert "Measured at 3 months, ROI is" in text and "Projected at 12 months" in text
    for words in ("ROI by channel", "Definitions", "As of", "linear", "revenue", "Data",
                  "rejected", "after as-of", "Young campaigns: projected ROI at 12 months",
                  "won so far", "open pipeline", "future", "Benktander"):
        assert words in text
    # self-contained: no external requests, only references inside the page
    assert all(ref.startswith("#") for ref in outline.refs), outline.refs
    assert "script" not in outline.tags and "link" not in outline.tags


def chromium(*args) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp()
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true",
                    reason="Chromium is not installed (.ci/run installs it; outside CI: "
                           "apt-get install chromium)")
def test_renders_in_headless_chromium(page, tmp_path):
    assert CHROMIUM, "CI must have Chromium: .ci/run installs it"
    dom = chromium("--dump-dom", page.as_uri())
    assert "<title>roiclock report</title>" in dom.stdout
    shot = tmp_path / "shot.png"
    chromium("--window-size=1000,1300", f"--screenshot={shot}", page.as_uri())
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (1300, 1000)
    # not blank: many distinct colours, and dark text/lines on a light page
    gray = pixels[..., :3].mean(axis=2)
    assert gray.std() > 0.05 and (gray < 0.3).mean() > 0.005
    assert len(np.unique((pixels[..., :3] * 255).astype(int).reshape(-1, 3), axis=0)) > 50


def test_page_names_the_campaigns_too_young(write, tmp_path):
    # B launched 2024-05-20, 12 days before as-of: too young; A, five months old, projected
    spend = write("s.csv", "campaign,date,amount\nA,2024-01-01,100\nB,2024-05-20,50\n")
    deals = write("d.csv", "deal_id,close_date,amount,campaign\nD1,2024-03-01,300,A\n")
    report = roiclock.run_report(spend, deals, as_of="2024-06-01", data_through="2024-05-31")
    from roiclock.page import html

    page = html(report)
    assert "Too young to project" in page and "B." in page.split("Too young to project")[1]
