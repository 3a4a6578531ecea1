"""The bundled sample data: reproducible, and shaped like the survey figures."""

from pathlib import Path

import numpy as np
import pandas as pd

import roiclock
from roiclock.sample.generate import generate

ROOT = Path(__file__).resolve().parents[1]


def test_generator_reproduces_bundled_files(tmp_path):
    from roiclock.sample.generate import write
    write(tmp_path, generate())
    for name in ("spend", "deals", "touches"):
        made = (tmp_path / f"{name}.csv").read_bytes()
        assert made == (ROOT / "sample_data" / f"{name}.csv").read_bytes(), name
        assert made == roiclock.sample_paths()[name].read_bytes(), name


def test_sample_shape():
    tables = generate()
    spend, deals = tables["spend"], tables["deals"]
    assert spend["campaign"].nunique() == 30 and spend["channel"].nunique() == 5
    assert 2000 <= len(deals) <= 5000
    assert set(deals["stage"]) == {"won", "lost", "open"}
    unpaid = set(tables["touches"]["campaign"]) - set(spend["campaign"])
    assert unpaid == {"Partner webinar (unpaid)"}


def test_delay_matches_survey_shape():
    deals = generate()["deals"]
    launch = generate()["spend"].groupby("campaign")["date"].min()
    launch["Partner webinar (unpaid)"] = pd.Timestamp("2023-06-14")
    delay = deals["close_date"] - deals["campaign"].map(launch)
    months = delay.dt.days / 30.4375
    # survey: the majority after ~6 months, ~40% after 9, ~18% after 12
    assert (months > 6).mean() > 0.5
    assert abs((months > 9).mean() - 0.40) < 0.06
    assert abs((months > 12).mean() - 0.18) < 0.06


def test_sample_report_shows_the_delay():
    report = roiclock.run_report()
    p = report.portfolio
    assert p["roi"].iloc[0] < 0 < p["roi"].iloc[-1]
    assert np.all(np.diff(p["return"]) >= 0)
