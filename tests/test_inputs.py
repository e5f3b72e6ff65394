"""Every input shape users have, and every bad input: exit 2, one sentence, nothing written."""

from __future__ import annotations

import gzip
import lzma

import pandas as pd
import pytest

from recommender import InputError, mine, read_baskets
from recommender.cli import main

LONG_CSV = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
    "1001,TEA,Green tea,2,2024-01-02 10:00,3.50,17850.0\n"
    "1001,KETTLE,Kettle,1,2024-01-02 10:00,20.00,17850.0\n"
    "1001,TEA,Green tea,1,2024-01-02 10:00,3.50,17850.0\n"
    "1002,TEA,Green tea,1,2024-01-03 11:00,3.70,13047.0\n"
    "1002,,no item,1,2024-01-03 11:00,1.00,13047.0\n"
    "C1003,TEA,Green tea,-1,2024-01-04 09:00,3.50,17850.0\n"
    "1004,MUG,Mug,-1,2024-01-05 09:00,5.00,\n"
    "1005,MUG,Mug,1,2024-01-05 09:30,5.00,\n"
)


def expected_long(baskets):
    assert sorted(map(sorted, baskets)) == [["KETTLE", "TEA"], ["MUG"], ["TEA"]]
    s = baskets.summary
    assert (s.rows_read, s.cancelled_rows, s.returned_rows, s.missing_item_rows, s.repeated_item_rows) == (
        8,
        1,
        1,
        1,
        1,
    )


def test_long_csv_with_online_retail_conventions(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(LONG_CSV)
    baskets = read_baskets(path)
    expected_long(baskets)
    assert baskets.basket_ids == ("1001", "1002", "1005")
    assert baskets.customers == ("17850", "13047", None)
    assert baskets.catalog.loc["TEA", "name"] == "Green tea"
    assert baskets.catalog.loc["TEA", "price"] == pytest.approx(3.5)  # median of 3.5, 3.5, 3.7
    assert str(baskets.timestamps[0]).startswith("2024-01-02T10:00")


def test_compressed_and_parquet_and_dataframe_read_the_same(tmp_path):
    with gzip.open(tmp_path / "orders.csv.gz", "wt") as handle:
        handle.write(LONG_CSV)
    with lzma.open(tmp_path / "orders.csv.xz", "wt") as handle:
        handle.write(LONG_CSV)
    frame = pd.read_csv(tmp_path / "orders.csv.gz", dtype=str)
    frame.to_parquet(tmp_path / "orders.parquet")
    for source in (tmp_path / "orders.csv.gz", tmp_path / "orders.csv.xz", tmp_path / "orders.parquet", frame):
        expected_long(read_baskets(source))


def test_semicolon_csv_and_named_columns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ticket;article;pieces\n7;a;1\n7;b;1\n8;a;1\n")
    assert sorted(map(sorted, read_baskets(path))) == [["a"], ["a", "b"]]  # known names, found
    path.write_text("bon;artikel;stueck\n7;a;1\n7;b;1\n8;a;1\n")
    with pytest.raises(InputError, match="no order column"):
        read_baskets(path, format="long")
    baskets = read_baskets(path, format="long", columns={"order": "bon", "item": "artikel", "quantity": "stueck"})
    assert sorted(map(sorted, baskets)) == [["a"], ["a", "b"]]


def test_basket_lines_csv_and_dat(tmp_path):
    (tmp_path / "b.csv").write_text("milk,bread\ncream cheese ,milk\n\nbread\n")
    baskets = read_baskets(tmp_path / "b.csv")
    assert sorted(map(sorted, baskets)) == [["bread"], ["bread", "milk"], ["cream cheese", "milk"]]
    assert baskets.summary.empty_baskets == 1
    with lzma.open(tmp_path / "b.dat.xz", "wt") as handle:
        handle.write("1 2 3\n2 3\n3 3\n")
    baskets = read_baskets(tmp_path / "b.dat.xz")
    assert sorted(map(sorted, baskets)) == [["1", "2", "3"], ["2", "3"], ["3"]]


def test_python_lists_and_their_errors():
    assert len(read_baskets([{"a", "b"}, ("b",), [1, 2]])) == 3
    with pytest.raises(InputError, match="string 'abc'"):
        read_baskets(["abc"])
    with pytest.raises(InputError, match="no purchases"):
        read_baskets([[], []])


def run_cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("empty.csv", "", "is empty"),
        ("header_only.csv", "order_id,item_id\n", "has no rows"),
        ("no_item.csv", "order_id,colour\n1,red\n", "has no item column"),
        ("bad_price.csv", "order_id,item_id,price\n1,a,2.5\n2,b,two euros\n", "line 3 has 'two euros'"),
        ("bad_qty.csv", "order_id,item_id,quantity\n1,a,x\n", "column 'quantity' must hold numbers"),
        ("bad_date.csv", "order_id,item_id,date\n1,a,yesterday-ish\n", "must hold dates"),
        ("all_returns.csv", "order_id,item_id,quantity\n1,a,-1\n", "holds no purchases (dropped: 1 returned rows)"),
    ],
)
def test_bad_orders_exit_2_with_one_sentence_and_no_model(tmp_path, capsys, name, content, fragment):
    path = tmp_path / name
    path.write_text(content)
    model = tmp_path / "model.rcm"
    status, out, err = run_cli(capsys, "mine", str(path), "-o", str(model))
    assert status == 2
    assert fragment in err
    assert str(path) in err or name in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not model.exists() and not list(tmp_path.glob(".model.rcm.*"))


def test_unreadable_files(tmp_path, capsys):
    status, _, err = run_cli(capsys, "mine", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "m.rcm"))
    assert status == 2 and "does not exist" in err
    broken = tmp_path / "broken.dat.xz"
    broken.write_bytes(lzma.compress(b"1 2\n2 3\n" * 1000)[:50])
    status, _, err = run_cli(capsys, "mine", str(broken), "-o", str(tmp_path / "m.rcm"))
    assert status == 2 and "cannot read" in err and "compression" in err
    status, _, err = run_cli(capsys, "mine", str(tmp_path), "-o", str(tmp_path / "m.rcm"))
    assert status == 2 and "is a folder" in err


def test_bad_thresholds_exit_2(tmp_path, capsys):
    path = tmp_path / "b.dat"
    path.write_text("a b\n")
    for option, value, fragment in (
        ("--min-support", "0", "min_support"),
        ("--min-confidence", "1.5", "min_confidence"),
        ("--max-len", "1", "max_len"),
        ("--max-len", "11", "max_len"),
    ):
        status, _, err = run_cli(capsys, "mine", str(path), "-o", str(tmp_path / "m.rcm"), option, value)
        assert status == 2 and fragment in err, (option, value, err)


def test_a_missing_named_column_names_the_columns(tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,item_id\n1,a\n")
    status, _, err = run_cli(capsys, "mine", str(path), "-o", str(tmp_path / "m.rcm"), "--item-col", "sku")
    assert status == 2 and "no column 'sku'" in err and "['order_id', 'item_id']" in err


def test_catalog_errors(tmp_path):
    orders = [["a", "b"], ["a", "b"]]
    bad = tmp_path / "catalog.csv"
    bad.write_text("sku,price\na,1\na,2\n")
    with pytest.raises(InputError, match="lists item 'a' more than once"):
        mine(orders, catalog=bad)
    bad.write_text("sku,price\na,cheap\n")
    with pytest.raises(InputError, match="line 2 has 'cheap'"):
        mine(orders, catalog=bad)


def test_too_many_frequent_pairs_stop_early_with_a_support_that_fits(tmp_path, capsys):
    """Pairs ab 9, cd 7, ef 5, gh 3 of 24 baskets; at most 2 allowed: the third-largest count
    is 5, so a support of 6/24 = 0.25 fits; the message rounds it up to 0.26."""
    from recommender import ConfigError

    baskets = [["a", "b"]] * 9 + [["c", "d"]] * 7 + [["e", "f"]] * 5 + [["g", "h"]] * 3
    with pytest.raises(ConfigError, match=r"4 frequent pairs of items, more than max_pairs 2.*--min-support to 0\.26"):
        mine(baskets, min_support=1 / 24, max_pairs=2)
    assert len(mine(baskets, min_support=0.26, max_pairs=2).itemsets) == 2
    assert len(mine(baskets, min_support=1 / 24, max_pairs=None).itemsets) == 4
    path = tmp_path / "b.dat"
    path.write_text("\n".join(" ".join(b) for b in baskets) + "\n")
    status, _, err = run_cli(capsys, "mine", str(path), "-o", str(tmp_path / "m.rcm"), "--min-support", "0.04",
                             "--max-pairs", "2")  # fmt: skip
    assert status == 2 and "raise --min-support to 0.26" in err and not (tmp_path / "m.rcm").exists()


# -- mining settings: one MiningConfig, or its fields as keywords --------------------------------

SHOP = [["tea", "kettle"]] * 5 + [["tea", "mug"]] * 3 + [["tea", "kettle", "mug"]] * 2 + [["cake"]] * 2


def test_mining_options_are_the_fields_of_mining_config():
    from dataclasses import fields

    from recommender.config import MiningConfig, MiningOptions

    assert set(MiningOptions.__annotations__) == {f.name for f in fields(MiningConfig)}


def test_mine_with_a_config_equals_mine_with_keywords():
    from recommender import MiningConfig

    by_keywords = mine(SHOP, min_support=0.15, min_confidence=0.3, max_len=3, shrinkage=2.0, workers=1)
    config = MiningConfig(min_support=0.15, min_confidence=0.3, max_len=3, shrinkage=2.0)
    by_config = mine(SHOP, config=config, workers=1)
    columns = ["antecedents", "consequent", "count", "support", "confidence", "lift", "p_value"]
    # tea 10, kettle 7, mug 5 of 12 baskets: 7 rules of 2+ baskets and confidence 0.3 or more.
    assert len(by_config.rules) == len(by_keywords.rules) == 7
    pd.testing.assert_frame_equal(by_config.rules[columns], by_keywords.rules[columns])
    assert by_config.config == by_keywords.config
    # A shortcut that repeats the config's value is no conflict.
    same = mine(SHOP, config=config, min_support=0.15, workers=1)
    assert same.rules["antecedents"].tolist() == by_config.rules["antecedents"].tolist()


def test_a_config_and_a_conflicting_keyword_are_refused():
    from recommender import ConfigError, MiningConfig, evaluate

    config = MiningConfig(min_support=0.15)
    with pytest.raises(ConfigError, match=r"mine\(\) got config=MiningConfig\(min_support=0\.15, \.\.\.\) and "
                       r"min_support=0\.2; give each setting once"):  # fmt: skip
        mine(SHOP, config=config, min_support=0.2)
    with pytest.raises(ConfigError, match=r"evaluate\(\) got config=MiningConfig\(max_len=3, \.\.\.\) and max_len=4"):
        evaluate(SHOP, config=config, max_len=4)
    with pytest.raises(ConfigError, match="config must be a MiningConfig, got a dict"):
        mine(SHOP, config={"min_support": 0.15})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'min_suport'; did you mean 'min_support'"):
        mine(SHOP, min_suport=0.15)  # type: ignore[call-arg]
    # Shortcut values are validated like the config's, with or without a config.
    with pytest.raises(ConfigError, match="min_support must be a share of baskets"):
        mine(SHOP, config=config, min_support=0)


def test_evaluate_with_a_config_equals_evaluate_with_keywords():
    from recommender import MiningConfig, evaluate

    options = {"limit": 1, "test_share": 0.5, "seed": 3, "workers": 1}
    by_keywords = evaluate(SHOP, min_support=0.1, min_confidence=0.2, **options)
    by_config = evaluate(SHOP, config=MiningConfig(min_support=0.1, min_confidence=0.2), **options)
    assert by_config.as_dict()["systems"] == by_keywords.as_dict()["systems"]
    assert by_config.thresholds == by_keywords.thresholds and dict(by_config.thresholds)["min_support"] == 0.1


def test_binary_data_and_control_characters_in_ids_are_refused(tmp_path, capsys):
    """Random bytes are no orders: mining them would replace a good model with rules over noise."""
    import random

    good = tmp_path / "good.rcm"
    mine([["tea", "kettle"]] * 3).save(good)
    before = good.read_bytes()
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(random.Random(7).randbytes(3000))
    assert main(["mine", str(garbage), "-o", str(good)]) == 2
    err = capsys.readouterr().err
    assert "does not look like orders as text" in err and "control characters" in err and "Traceback" not in err
    assert good.read_bytes() == before  # the good model is untouched
    # One NUL inside an id of an otherwise fine long CSV, and a tab in a DataFrame's id.
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"order_id,item_id\n1,tea\n1,kettle\n2,te\x00a\n2,mug\n")
    with pytest.raises(InputError, match=r"1 of its 4 item ids hold control characters \(e\.g\. 'te\\x00a'\)"):
        read_baskets(nul)
    frame = pd.DataFrame({"order_id": [1, 1], "item_id": ["tea", "ket\ttle"]})
    with pytest.raises(InputError, match="the DataFrame does not look like orders as text"):
        read_baskets(frame)
    # Accents, other scripts and symbols are text.
    fine = pd.DataFrame({"order_id": [1, 1, 2, 2], "item_id": ["thé", "茶", "tea №1", "thé"]})
    assert read_baskets(fine).items == ("tea №1", "thé", "茶")
