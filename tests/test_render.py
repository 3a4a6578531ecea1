import pytest
from conftest import TINY
from rich.console import Console

import roiclock
from roiclock.render import curve_bars, print_report


def text_of(report) -> str:
    console = Console(width=80, color_system=None, record=True, file=open("/dev/null", "w"))
    print_report(report, console)
    return console.export_text()


def test_immature_portfolio_says_so_plainly():
    r = roiclock.run_report(TINY / "spend.csv", TINY / "deals.csv", windows=[1, 3],
                            as_of="2024-04-01")
    assert curve_bars(r.portfolio).plain.startswith(
        "Portfolio curve: no campaign is mature at 3 months yet, so there is no curve to draw.")


def test_curve_bars_around_break_even():
    r = roiclock.run_report(TINY / "spend.csv", TINY / "deals.csv", windows=[1, 3],
                            as_of="2024-06-01")
    lines = curve_bars(r.portfolio, width=20).plain.splitlines()
    # ROI -25% and +300%: scale -0.25..3 over 20 columns, break-even at round(0.25/3.25*20) = 2,
    # so -25% fills the 2 columns left of it and +300% the 18 columns right of it
    assert lines[1] == "  1 mo ██|" + " " * 18 + " -25%"
    assert lines[2] == "  3 mo   |" + "█" * 18 + " +300%"


def test_report_text_fits_80_columns():
    text = text_of(roiclock.run_report())
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "2023-01 Paid Search ABM" in text and "return" in text


def test_progress_only_on_a_terminal_and_after_the_delay():
    import io
    import time

    from roiclock.render import Stages

    quiet_file = io.StringIO()
    with Stages(Console(file=quiet_file), delay=0.0) as stages:  # not a terminal
        stages("Reading")
        time.sleep(0.05)
    assert quiet_file.getvalue() == ""
    fast = io.StringIO()
    with Stages(Console(file=fast, force_terminal=True), delay=5.0) as stages:  # quick run
        stages("Reading")
    assert fast.getvalue() == ""
    slow = io.StringIO()
    with Stages(Console(file=slow, force_terminal=True), delay=0.0) as stages:
        stages("Attributing won deals")
        time.sleep(0.3)
    assert "Attributing won deals" in slow.getvalue()


def test_api_reports_its_stages():
    seen = []
    roiclock.run_report(progress=seen.append)
    assert seen == ["Reading and checking the inputs", "Attributing won deals to campaigns",
                    "Measuring the windows", "Projecting young campaigns"]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_numbers_are_never_cut_on_a_narrow_console(width):
    # cron mail renders at 80 columns: a cut '+1090…' for +10907% reads as another number.
    # Only the name column gives up width (down to 12 characters); past that the table is
    # printed wider than the console (crop=False) and the terminal wraps it
    from rich.console import Console

    from roiclock.render import _table

    table = _table("Projected ROI")
    table.add_column("campaign", no_wrap=True, overflow="ellipsis", max_width=18)
    numbers = ["+10907%", "+10907%..+10907%", "1.1M", "181k", "12 mo*", "not yet measured"]
    for i in range(len(numbers)):
        table.add_column(f"c{i}", justify="right", no_wrap=True, min_width=3)
    table.add_row("GTX Plus Professional 2017-Q2", *numbers)
    console = Console(width=width, record=True, file=open("/dev/null", "w"))
    console.print(table, crop=False)
    text = console.export_text()
    for number in numbers:
        assert number in text, (width, number, text)
    assert "GTX Plus Professi…" in text  # the name keeps its column's width (18)


def test_a_narrow_console_keeps_the_spend_period_of_a_name():
    # names are cut where the rows are made (words.label keeps the period); the table does
    # not cut them again from the right ('2023-01 L… 202…' would make cohorts look alike)
    from rich.console import Console

    import roiclock
    from roiclock.render import print_project

    result = roiclock.run_project(period="quarter")
    console = Console(width=60, record=True, file=open("/dev/null", "w"))
    print_project(result, console)
    text = console.export_text()
    assert "2023-01 L… 2023-Q1" in text and "202…" not in text
