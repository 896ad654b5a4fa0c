"""`invsim history`, `invsim fit` and a replayed trace through the command line: the analyst's path works, and
every malformed file is one clear message naming the row and the column (exit 2), never a traceback."""

import pandas as pd
import pytest

from simulation import scenario as sim_errors
from simulation.cli import main
from tests.conftest import SCENARIOS

TINY = str(SCENARIOS / "tiny.yaml")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    out = tmp_path_factory.mktemp("history")
    assert main(["history", TINY, "--seed", "7", "--out", str(out), "--set", "run.horizon_days=28"]) == 0
    return pd.read_parquet(out / "sales.parquet"), pd.read_parquet(out / "orders.parquet")


def test_history_fit_and_run_the_fitted_scenario(tmp_path, capsys):
    assert main(["history", TINY, "--seed", "7", "--out", str(tmp_path / "h"), "--set", "run.horizon_days=91"]) == 0
    assert main(["fit", str(tmp_path / "h" / "sales.parquet"), str(tmp_path / "h" / "orders.parquet"), "--out",
                 str(tmp_path / "fit"), "--scenario", TINY]) == 0
    err = capsys.readouterr().err
    assert "fitted 50 SKUs at 4 stores over 91 days" in err and "scenario.yaml" in err
    assert main(["run", str(tmp_path / "fit" / "scenario.yaml"), "--quiet", "--out", str(tmp_path / "run"),
                 "--set", "run.horizon_days=60"]) == 0
    catalog = pd.read_parquet(tmp_path / "fit" / "catalog.parquet")
    assert {"sku", "mean_daily_units", "overdispersion", "unit_cost", "price"} <= set(catalog.columns)


def sales_case(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    f = frame.copy()
    if case == "negative units":
        f.loc[5, "units"] = -3
    elif case == "unknown location":
        f["location"] = f["location"].astype(str)
        f.loc[7, "location"] = "S99"
    elif case == "unknown sku":
        f["sku"] = f["sku"].astype(str)
        f.loc[2, "sku"] = "NOPE"
    elif case == "duplicate":
        f = pd.concat([f.iloc[:10], f.iloc[[3]], f.iloc[10:]], ignore_index=True)
    elif case == "out of order":
        f = pd.concat([f[f.day == 1], f[f.day == 0], f[f.day > 1]], ignore_index=True)
    elif case == "gap":
        f = f[f.day != 3]
    elif case == "missing column":
        f = f.drop(columns="units")
    elif case == "unknown channel":
        f["channel"] = f["channel"].astype(str)
        f.loc[4, "channel"] = "drone"
    elif case == "fractional units":
        f["units"] = f["units"].astype(float)
        f.loc[9, "units"] = 1.5
    return f


SALES_CASES = {  # case: what the message must say
    "negative units": "row 6 column 'units': must be a whole number >= 0, got -3",
    "unknown location": "row 8 column 'location': unknown location",
    "unknown sku": "row 3 column 'sku': unknown sku",
    "duplicate": "rows 4 and 11 repeat (day, location, sku, channel)",
    "out of order": "column 'day': out of order (day 0 after day 1)",
    "gap": "no rows for 1 day(s) between the first and the last, first day 3",
    "missing column": "missing column(s) 'units'",
    "unknown channel": "row 5 column 'channel': unknown channel",
    "fractional units": "row 10 column 'units': must be a whole number >= 0, got 1.5",
}


@pytest.mark.parametrize("case", SALES_CASES)
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_malformed_sales_file_is_one_clear_message(history, case, fmt, tmp_path, capsys):
    path = tmp_path / f"sales.{fmt}"
    frame = sales_case(history[0], case)
    frame.to_parquet(path) if fmt == "parquet" else frame.to_csv(path, index=False)
    assert main(["fit", str(path), "--out", str(tmp_path / "fit"), "--scenario", TINY]) == 2
    err = capsys.readouterr().err
    assert SALES_CASES[case] in err and f"sales (sales.{fmt})" in err and "Traceback" not in err, err


ORDER_CASES = {
    "unknown zone": "row 2 column 'zone': unknown zone",
    "walk-in order": "row 1 column 'channel': unknown channel",
    "hour out of range": "row 4 column 'hour': must be an hour of day in [0, 24), got 25.0",
    "lines apart": "column 'order_id': order 0's lines are not together",
    "zone differs within an order": "column 'zone': differs from the order's first line",
    "no units": "row 3 column 'units': must be a whole number >= 1, got 0",
}


def orders_case(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    f = frame.copy()
    for column in ("zone", "channel"):
        f[column] = f[column].astype(str)
    first_two = f.order_id.iloc[0] == f.order_id.iloc[1]
    if case == "unknown zone":
        f.loc[1, "zone"] = "Z99"
    elif case == "walk-in order":
        f.loc[0, "channel"] = "walk_in"
    elif case == "hour out of range":
        f.loc[3, "hour"] = 25.0
    elif case == "lines apart":
        f = pd.concat([f.iloc[[0]], f[f.order_id != f.order_id.iloc[0]].iloc[:3], f.iloc[[1]] if first_two else f.iloc[[0]],
                       f[f.order_id != f.order_id.iloc[0]].iloc[3:]], ignore_index=True)
    elif case == "zone differs within an order":
        row = int(f.index[f.order_id.duplicated()][0])
        f.loc[row, "zone"] = next(z for z in f.zone.unique() if z != f.loc[row, "zone"])
    elif case == "no units":
        f.loc[2, "units"] = 0
    return f


@pytest.mark.parametrize("case", ORDER_CASES)
def test_a_malformed_order_log_is_one_clear_message(history, case, tmp_path, capsys):
    sales, orders = tmp_path / "sales.parquet", tmp_path / "orders.parquet"
    history[0].to_parquet(sales)
    orders_case(history[1], case).to_parquet(orders)
    assert main(["fit", str(sales), str(orders), "--out", str(tmp_path / "fit"), "--scenario", TINY]) == 2
    err = capsys.readouterr().err
    assert ORDER_CASES[case] in err and "orders (orders.parquet)" in err and "Traceback" not in err, err


def test_a_replayed_trace_is_checked_against_the_scenario_and_its_horizon(history, tmp_path, capsys):
    sales, orders = tmp_path / "sales.parquet", tmp_path / "orders.parquet"
    sales_case(history[0], "unknown sku").to_parquet(sales)
    history[1].to_parquet(orders)
    trace = f"demand.trace={{sales: {sales}, orders: {orders}}}"
    assert main(["run", TINY, "--set", trace, "--set", "run.horizon_days=28", "--quiet", "--out", str(tmp_path / "r1")]) == 2
    err = capsys.readouterr().err
    assert "demand.trace.sales (sales.parquet): row 3 column 'sku': unknown sku" in err and "Traceback" not in err
    history[0].to_parquet(sales)
    assert main(["run", TINY, "--set", trace, "--quiet", "--out", str(tmp_path / "r2")]) == 2  # tiny runs 120 days
    assert "run.horizon_days: 120, but demand.trace covers 28 day(s)" in capsys.readouterr().err
    assert main(["run", TINY, "--set", "demand.trace={mode: exact}", "--quiet", "--out", str(tmp_path / "r3")]) == 2
    assert "demand.trace: give sales, orders or both" in capsys.readouterr().err


def test_a_file_streamed_in_small_batches_is_checked_and_fitted_as_a_whole(history, tmp_path, monkeypatch):
    """Row numbers, the duplicate and order checks and the fit's statistics carry across batches."""
    import numpy as np

    from simulation.history.fitted import fit
    from simulation.world import sales_file

    sales = history[0]
    path = tmp_path / "sales.parquet"
    sales.to_parquet(path)
    whole = fit(path)
    monkeypatch.setattr(sales_file, "BATCH_ROWS", 50)  # a day's rows span three batches
    np.testing.assert_allclose(fit(path).walk_in.rate, whole.walk_in.rate, rtol=1e-12)
    start = int(np.flatnonzero(sales.day.to_numpy() == 5)[0])
    assert (sales.day == 5).sum() > 61
    twin, late = start + 1, start + 60  # the repeat lands more than a batch after its twin, on the same day
    repeated = pd.concat([sales.iloc[: late + 1], sales.iloc[[twin]], sales.iloc[late + 1:]], ignore_index=True)
    repeated.to_parquet(path)
    with pytest.raises(sim_errors.DataError, match=f"rows {twin + 1:,} and {late + 2:,} repeat"):
        fit(path)
    backwards = pd.concat([sales.iloc[:start], sales[sales.day == 6], sales[sales.day == 5], sales[sales.day > 6]], ignore_index=True)
    backwards.to_parquet(path)
    with pytest.raises(sim_errors.DataError, match="out of order \\(day 5 after day 6\\)"):
        fit(path)


def test_a_store_mix_table_is_checked_against_the_scenario(tmp_path, capsys):
    path = tmp_path / "mix.csv"
    pd.DataFrame({"location": ["S1", "S9"], "sku": ["SKU00001", "SKU00002"], "multiplier": [1.2, 0.8]}).to_csv(path, index=False)
    assert main(["run", TINY, "--set", f"demand.store_mix_file={path}", "--quiet", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "demand.store_mix_file (mix.csv): row 2 column 'location': unknown location" in err and "Traceback" not in err
    assert main(["run", TINY, "--set", f"demand.store_mix_file={path}", "--set", "demand.store_mix_cv=0.3", "--quiet",
                 "--out", str(tmp_path / "r2")]) == 2
    assert "give store_mix_cv (a drawn mix) or store_mix_file (a table), not both" in capsys.readouterr().err


def test_an_order_log_streamed_in_small_batches_is_checked_and_fitted_as_a_whole(history, tmp_path, monkeypatch):
    import numpy as np

    from simulation.history.fit import fit_online
    from simulation.world import sales_file
    from simulation.world.order_file import OrderFile

    orders = history[1]
    path = tmp_path / "orders.parquet"
    orders.to_parquet(path)
    whole = fit_online(OrderFile(path), None)
    monkeypatch.setattr(sales_file, "BATCH_ROWS", 37)  # batches that split orders
    small = fit_online(OrderFile(path), None)
    assert (small.orders, small.basket_lines_mean, small.zone_mix) == (whole.orders, whole.basket_lines_mean, whole.zone_mix)
    assert small.orders == orders.order_id.nunique()
    moved, ids = orders.copy(), orders.order_id.to_numpy()
    one_line = np.flatnonzero((ids[1:-1] != ids[:-2]) & (ids[1:-1] != ids[2:])) + 1  # orders of a single line
    lone = int(one_line[one_line > 100][0])  # batches after order 0's
    moved.iloc[lone, moved.columns.get_loc("order_id")] = 0  # a one-line order that claims order 0's id, far from it
    moved.iloc[lone, moved.columns.get_loc("zone")] = moved.zone.iloc[0]
    moved.to_parquet(path)
    with pytest.raises(sim_errors.DataError, match="column 'order_id': order 0's lines are not together"):
        fit_online(OrderFile(path), None)
