"""The SQL plan (roiclock.engine) against the numpy passes it replaces.

DuckDB and numpy must agree on the credits (same rows, same order, share and return to a
relative 1e-12) and on the campaign x month grid (same campaigns, launches and channels, cost
and return to 1e-12), on the sample (every heuristic model, today and a past as-of, lookback
variants), on random data, on always-on spend split by month, without touches, and on a
generated set large enough for DuckDB to use both threads; every number of the report's csv
too. The same inputs give the same bytes run after run. What ``roiclock sql`` prints is what
the engine runs. Spark (marked ``spark``: skipped, with the reason, without pyspark or Java)
must agree with DuckDB to 1e-9 on the sample.
"""

import importlib.util
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from conftest import DATA, on_the_default_engine
from test_reference import MODELS, random_data
from typer.testing import CliRunner

import roiclock
from roiclock import engine as E
from roiclock.cli import app
from roiclock.export import to_csv
from roiclock.periods import split

RTOL = 1e-12
ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


# ------------------------------------------------------------------------------ helpers

def assert_same_credits(want: pd.DataFrame, got: pd.DataFrame, rtol: float = RTOL) -> None:
    assert list(got.columns) == list(want.columns)
    assert got["deal_id"].astype(str).tolist() == want["deal_id"].astype(str).tolist()
    assert got["campaign"].astype(str).tolist() == want["campaign"].astype(str).tolist()
    assert list(got["campaign"].cat.categories) == list(want["campaign"].cat.categories)
    assert np.array_equal(got["close_date"].to_numpy(), want["close_date"].to_numpy())
    np.testing.assert_allclose(got["share"], want["share"], rtol=rtol, atol=0)
    np.testing.assert_allclose(got["return"], want["return"], rtol=rtol, atol=0)
    assert got.attrs == want.attrs


def assert_same_months(want, got, rtol: float = RTOL) -> None:
    pd.testing.assert_frame_equal(got.table, want.table)
    np.testing.assert_allclose(got.cost, want.cost, rtol=rtol, atol=0)
    np.testing.assert_allclose(got.ret, want.ret, rtol=rtol, atol=0)


def assert_same_passes(inputs, settings, last: int = 12, engine: str = "duckdb",
                       rtol: float = RTOL) -> None:
    want = E.Engine("numpy").passes(inputs, settings, last)
    got = E.Engine(engine).passes(inputs, settings, last)
    assert_same_credits(want[0], got[0], rtol)
    assert_same_months(want[1], got[1], rtol)


def assert_same_table(want: pd.DataFrame, got: pd.DataFrame, rtol: float = RTOL) -> None:
    """Every column equal; numbers to ``rtol`` (what the csv rounds is compared unrounded)."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for column in want.columns:
        a, b = want[column], got[column]
        if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=rtol, atol=0,
                                       err_msg=column)
        else:
            assert b.astype(str).tolist() == a.astype(str).tolist(), column


@pytest.fixture(scope="module")
def sample():
    """The sample, validated today and as it stood on 2024-07-01."""
    settings = roiclock.load_settings()
    return {as_of: roiclock.load(settings=settings, as_of=as_of)
            for as_of in (None, "2024-07-01")}


# ------------------------------------------------------------------------------ agreement

@pytest.mark.parametrize("lookback", [730, 90])
@pytest.mark.parametrize("as_of", [None, "2024-07-01"])
@pytest.mark.parametrize("model", MODELS)
def test_duckdb_agrees_with_numpy_on_the_sample(sample, model, as_of, lookback):
    settings = roiclock.load_settings(model=model, lookback_days=lookback)
    assert_same_passes(sample[as_of], settings)


@pytest.mark.parametrize("options", [
    {}, {"lookback_days": 90}, {"markov_level": "channel"}, {"markov_order": 2},
    {"basis": "margin", "markov_level": "channel", "markov_order": 3}])
@pytest.mark.parametrize("as_of", [None, "2024-07-01"])
def test_duckdb_agrees_on_markov(sample, as_of, options):
    # the chain is fitted in Python; the plan splits each deal by its effects table
    settings = roiclock.load_settings(model="markov", **options)
    chain = roiclock.markov.chain(sample[as_of], settings)
    want = E.Engine("numpy").passes(sample[as_of], settings, 12, chain)
    got = E.Engine("duckdb").passes(sample[as_of], settings, 12, chain)
    assert_same_credits(want[0], got[0])
    assert_same_months(want[1], got[1])


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_duckdb_agrees_on_markov_with_spend_periods(period):
    # a campaign's effect is shared among its cohorts by their touches in each deal (the
    # sample's deals have several touches, often of one campaign in two months; always_on's
    # one each)
    folder = DATA / "always_on"
    settings = roiclock.load_settings(model="markov")
    for inputs in (split(roiclock.load(settings=settings), period),
                   split(roiclock.load(folder / "spend.csv", folder / "deals.csv",
                                       folder / "touches.csv", settings=settings), period)):
        assert_same_passes(inputs, settings)
    want = roiclock.run_report(folder / "spend.csv", folder / "deals.csv",
                               folder / "touches.csv", period=period, model="markov",
                               to_date=True)
    got = roiclock.run_report(folder / "spend.csv", folder / "deals.csv",
                              folder / "touches.csv", period=period, model="markov",
                              to_date=True, engine="duckdb")
    assert_same_table(want.table, got.table)


def test_duckdb_agrees_on_margin_cost_multiplier_and_weights(sample):
    settings = roiclock.load_settings(model="custom", basis="margin", cost_multiplier=1.4,
                                      position_weights={"first": 0.5, "created": 0.0,
                                                        "last": 0.25, "middle": 0.25},
                                      half_life_days=7.5)
    assert_same_passes(sample[None], settings, last=24)
    for model, extra in (("position", {"position_first": 0.0, "position_last": 0.7}),
                         ("time_decay", {"half_life_days": 7.5}),
                         ("linear", {"lookback_days": 30.5})):
        assert_same_passes(sample[None], roiclock.load_settings(model=model, **extra))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duckdb_agrees_with_numpy_on_random_data(write, seed):
    paths, *_ = random_data(seed, write)
    # all of it; then a past snapshot (deals reopened, touches of deals not yet there)
    loaded = {as_of: roiclock.load(*paths, as_of=as_of) for as_of in ("2025-01-01",
                                                                     "2023-06-30")}
    for model in MODELS:
        settings = roiclock.load_settings(model=model, lookback_days=300)
        for inputs in loaded.values():
            assert_same_passes(inputs, settings, last=13)
        margin = roiclock.load_settings(model=model, basis="margin", default_margin=0.4)
        assert_same_passes(loaded["2025-01-01"], margin)


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_duckdb_agrees_on_always_on_spend_periods(period):
    folder, sample_data = DATA / "always_on", ROOT / "sample_data"
    # multi-touch, then single touch (the sample's deals: they name their campaign)
    for files in ([folder / "spend.csv", folder / "deals.csv", folder / "touches.csv"],
                  [sample_data / "spend.csv", sample_data / "deals.csv"]):
        for model in ("linear", "w_shaped"):
            settings = roiclock.load_settings(model=model)
            inputs = split(roiclock.load(*files, settings=settings), period)
            assert_same_passes(inputs, settings)
    want = roiclock.run_report(folder / "spend.csv", folder / "deals.csv",
                               folder / "touches.csv", period=period, by="channel",
                               to_date=True, windows=[3, 6])
    got = roiclock.run_report(folder / "spend.csv", folder / "deals.csv",
                              folder / "touches.csv", period=period, by="channel",
                              to_date=True, windows=[3, 6], engine="duckdb")
    assert_same_table(want.table, got.table)


def test_duckdb_agrees_without_touches():
    spend, deals = ROOT / "sample_data" / "spend.csv", ROOT / "sample_data" / "deals.csv"
    for model in ("linear", "position", "w_shaped"):
        settings = roiclock.load_settings(model=model)
        assert_same_passes(roiclock.load(spend, deals, settings=settings), settings)


@pytest.mark.parametrize("model,by", [("linear", "campaign"), ("markov", "campaign"),
                                      ("position", "campaign"),
                                      ("w_shaped", "campaign"), ("time_decay", "channel"),
                                      ("first", "portfolio")])
def test_every_report_number_agrees(model, by):
    want = roiclock.run_report(model=model, by=by, to_date=True)
    got = roiclock.run_report(model=model, by=by, to_date=True, engine="duckdb")
    assert_same_table(want.table, got.table)
    assert_same_table(want.projection.table, got.projection.table)
    assert got.headline == want.headline
    # the csv rounds money to the cent and ratios to 6 digits: a value on a rounding edge
    # (239988.485) may round either way, so its text is compared within that unit
    a, b = (pd.read_csv(io.StringIO(to_csv(r.table))) for r in (want, got))
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for column in a.columns:
        if pd.api.types.is_numeric_dtype(a[column]):
            np.testing.assert_allclose(b[column], a[column], rtol=1e-5, atol=0.01,
                                       err_msg=column)
        else:
            assert b[column].fillna("").tolist() == a[column].fillna("").tolist(), column


def test_project_backtest_and_watch_agree():
    want = roiclock.run_project(backtest_months=6, cohort="month")
    got = roiclock.run_project(backtest_months=6, cohort="month", engine="duckdb")
    assert_same_table(want.table, got.table)
    assert_same_table(want.backtest, got.backtest)
    want = roiclock.run_watch(since=3)
    got = roiclock.run_watch(since=3, engine="duckdb")
    assert_same_table(want.table, got.table)


def _bench_generator():
    spec = importlib.util.spec_from_file_location("bench_generate",
                                                  ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """300k touches from bench/generate.py: more than one DuckDB row group per thread."""
    folder = tmp_path_factory.mktemp("generated")
    for name, table in _bench_generator().generate(300_000).items():
        pacsv.write_csv(table, folder / f"{name}.csv")
    return [folder / f"{name}.csv" for name in ("spend", "deals", "touches")]


@pytest.mark.parametrize("model", ["linear", "position"])
def test_duckdb_agrees_and_repeats_itself_on_generated_data(generated, model):
    settings = roiclock.load_settings(model=model)
    inputs = roiclock.load(*generated, settings=settings)
    assert_same_passes(inputs, settings)
    runs = [E.Engine("duckdb").passes(inputs, settings, 12) for _ in range(3)]
    for credits, months in runs[1:]:
        first_credits, first_months = runs[0]
        for column in ("share", "return"):
            assert credits[column].to_numpy().tobytes() == \
                first_credits[column].to_numpy().tobytes()
        assert months.cost.tobytes() == first_months.cost.tobytes()
        assert months.ret.tobytes() == first_months.ret.tobytes()


def test_report_csv_is_byte_identical_between_runs():
    texts = {to_csv(roiclock.run_report(model="time_decay", engine="duckdb").table)
             for _ in range(3)}
    assert len(texts) == 1


def test_months_since_in_sql_is_the_numpy_one():
    """Month-end launches clamp as pandas DateOffset does (Jan 31 + 1 month = Feb 29)."""
    import duckdb
    import sqlglot

    from roiclock.frames import months_since

    starts = pd.to_datetime(["2023-01-31", "2024-01-31", "2024-02-29", "2023-03-30",
                             "2023-08-31", "2023-12-31", "2024-05-15", "2023-02-28"])
    ends = pd.date_range("2022-12-01", "2025-03-31", freq="D")
    pairs = pd.DataFrame({"s": np.repeat(starts.to_numpy(), len(ends)),
                          "e": np.tile(ends.to_numpy(), len(starts))})
    want = months_since(pairs["s"].to_numpy(), pairs["e"].to_numpy())
    tree = sqlglot.parse_one(f"SELECT {E.months_since('s', 'e')} AS m FROM pairs",
                             read="duckdb").transform(E._portable_months)
    con = duckdb.connect()
    con.register("pairs", pa.table({"s": pa.array(pairs["s"].dt.date),
                                     "e": pa.array(pairs["e"].dt.date)}))
    got = con.sql(E.lint(tree).sql("duckdb")).fetchnumpy()["m"]
    assert np.array_equal(got, want)


# ------------------------------------------------------------------------------ the printed plan

def _body(printed: str) -> str:
    """The statements of `roiclock sql`'s output, without its leading comment lines."""
    lines = printed.splitlines(keepends=True)
    while lines and (lines[0].startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "".join(lines)


def _spy(monkeypatch, name: str) -> list:
    ran: list = []
    real = getattr(E, name)

    def spy(texts, *args):
        ran.append(list(texts))
        return real(texts, *args)

    monkeypatch.setattr(E, name, spy)
    return ran


def test_printed_markov_plan_is_what_duckdb_runs_and_names_the_effects(monkeypatch):
    ran = _spy(monkeypatch, "run_duckdb")
    roiclock.run_report(engine="duckdb", model="markov")
    result = runner.invoke(app, ["sql", "--model", "markov"])
    assert result.exit_code == 0, result.output
    assert _body(result.output) == "\n\n".join(text + ";" for text in ran[0]) + "\n"
    assert "effects(campaign TEXT, unit TEXT, effect DOUBLE)" in result.output
    plain = runner.invoke(app, ["sql", "--model", "linear"]).output
    assert "effects(" not in plain and "effects AS" not in plain


def test_printed_plan_is_what_duckdb_runs(monkeypatch):
    ran = _spy(monkeypatch, "run_duckdb")
    roiclock.run_report(engine="duckdb", model="position", windows=[3, 6], lookback_days=90)
    result = runner.invoke(app, ["sql", "--model", "position", "--windows", "3,6",
                                 "--lookback-days", "90"])
    assert result.exit_code == 0, result.output
    assert len(ran) == 1 and len(ran[0]) == 3
    assert _body(result.output) == "\n\n".join(text + ";" for text in ran[0]) + "\n"
    assert "-- roiclock" in result.output and "touches(deal_id" in result.output


@pytest.mark.parametrize("dialect", E.DIALECTS)
@pytest.mark.parametrize("model", [*MODELS, "markov"])
def test_every_model_transpiles_to_every_dialect(dialect, model):
    text = roiclock.run_sql(dialect, model=model, basis="margin")
    assert _body(text).count(";\n") == 3
    assert ("FSUM" in text) == (dialect == "duckdb")
    if dialect not in E.EXECUTED:
        assert "not executed by roiclock's tests" in text


def test_lint_refuses_what_does_not_travel():
    import sqlglot

    for text in ("SELECT TO_MONTHS(1)", "SELECT d + INTERVAL 1 MONTH FROM t",
                 "SELECT 0.4 * x FROM t", "SELECT $p FROM t"):
        with pytest.raises(ValueError, match="not portable"):
            E.lint(sqlglot.parse_one(text, read="duckdb"))


@pytest.mark.parametrize("args,message", [
    (["report", "--spark-master", "local[2]"], "--spark-master: a Spark master is for"),
    (["report", "--engine", "sqlite"], "sqlite"),
    (["sql", "--spend", "spend.csv"], "--spend: sql prints the plan; it reads no input"),
    (["sql", "--format", "csv"], "--format: sql prints SQL text"),
    (["sql", "--strict"], "--strict: sql reads no input"),
    (["sql", "--dialect", "mysql"], "mysql"),
])
def test_engine_and_sql_usage_errors(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_spark_without_pyspark_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(E, "_SESSION", {})
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(roiclock.InputError, match=r"pip install 'roiclock\[spark\]'"):
        roiclock.run_report(engine="spark")


def test_numpy_engine_imports_neither_duckdb_nor_sqlglot():
    code = ("import sys, roiclock\nroiclock.run_report()\n"
            "loaded = [m for m in ('duckdb', 'sqlglot', 'pyspark') if m in sys.modules]\n"
            "assert not loaded, loaded")
    result = on_the_default_engine(code)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------ Spark

def _spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed: pip install '.[spark]' (CI does)"
    if shutil.which("java") is None:
        return "no java on PATH: Spark needs Java 17"
    return None


needs_spark = pytest.mark.skipif(_spark_missing() is not None,
                                 reason=_spark_missing() or "")


@pytest.fixture(scope="module")
def spark_session():
    yield E.spark_session("local[2]")
    session = E._SESSION.pop("session", None)
    E._SESSION.clear()
    if session is not None:
        session.stop()


@pytest.mark.spark
@needs_spark
@pytest.mark.parametrize("model", ["linear", "position", "markov"])
def test_spark_agrees_with_duckdb(spark_session, monkeypatch, model):
    ran = _spy(monkeypatch, "run_spark")
    want = roiclock.run_report(model=model, engine="duckdb", to_date=True)
    got = roiclock.run_report(model=model, engine="spark", spark_master="local[2]",
                              to_date=True)
    assert_same_credits(want.credits, got.credits, rtol=1e-9)
    assert_same_table(want.table, got.table, rtol=1e-9)
    assert_same_table(want.projection.table, got.projection.table, rtol=1e-9)
    printed = runner.invoke(app, ["sql", "--dialect", "spark", "--model", model])
    assert printed.exit_code == 0, printed.output
    assert _body(printed.output) == "\n\n".join(text + ";" for text in ran[0]) + "\n"


def test_roiclock_engine_chooses_the_default_and_a_wrong_name_is_one_line():
    env = {**__import__("os").environ, "ROICLOCK_ENGINE": "duckdb"}
    code = ("import sys, roiclock\nfrom roiclock import engine\n"
            "assert engine.default_engine() == 'duckdb'\nroiclock.run_report()\n"
            "assert 'duckdb' in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    env["ROICLOCK_ENGINE"] = "duckbd"
    done = subprocess.run([sys.executable, "-m", "roiclock", "report", "--engine", "numpy"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2
    assert done.stderr == ("Error: ROICLOCK_ENGINE: expected one of numpy, duckdb, spark, "
                           "got 'duckbd'\n")


def test_roiclock_engine_is_read_at_every_call_and_empty_is_unset(monkeypatch):
    monkeypatch.setenv("ROICLOCK_ENGINE", "")
    assert E.resolve(None).name == "numpy"
    monkeypatch.setenv("ROICLOCK_ENGINE", "duckdb")
    assert E.resolve(None).name == "duckdb" and E.resolve("numpy").name == "numpy"
    monkeypatch.setenv("ROICLOCK_ENGINE", "bogus")
    with pytest.raises(roiclock.InputError, match="ROICLOCK_ENGINE: expected one of"):
        E.resolve("numpy")


def test_portfolio_interval_agrees_when_past_projections_met_their_actuals():
    # review 16: with a 60-day lookback by quarter, some past projections equal their actuals:
    # numpy's log errors were exactly 0 (0/0, left out of the portfolio correlation), DuckDB's
    # ~1e-16 (counted): the interval read -67%..-43% against -67%..-45%
    options = dict(period="quarter", lookback_days=60, by="portfolio")
    want = roiclock.run_report(**options)
    got = roiclock.run_report(**options, engine="duckdb")
    assert_same_table(want.projection.table, got.projection.table, rtol=1e-9)
    assert got.headline == want.headline
