"""The simulated shop (``benchmarks/bench_simulator.py --preset small``): one seeded Groceries
shop, three rounds of 1,000 shoppers through the service's app, the events in a real SQLite
store, mined again with them each round.

What is asserted and why those bounds:

- in round 1 no event exists yet, so the ranking with feedback is the ranking without: the
  same regret on the same carts (to rounding);
- by round 3, with two rounds of attach counts in the model, the feedback ranking's regret is
  below its first round's and below the ranking without feedback on the same carts; by more
  than a quarter, a margin well inside what the hidden model allows (the rules rank by
  co-purchase alone, and the appeals, log-normal with sigma 1, reorder the co-bought items a
  lot) and well outside the noise of 900 carts' mean (the carts differ per round: the regret
  without feedback moves by about 1% between rounds);
- the accept rate the report counts from the events agrees with the one the hidden
  probabilities give for the shown items, within 3 points (about three standard errors of a
  rate near 0.3 over 2,700 impressions);
- the report's 95% intervals of the uplift cover the true uplift in at least two of the three
  rounds, for basket value and items per order (were each interval right 95% of the time,
  two misses of three would happen less than 1% of the time).
"""

from __future__ import annotations

import pytest

from .conftest import DATA, data_file, run_benchmark

pytestmark = pytest.mark.slow  # 15 to 25 s: a benchmark's small preset


@pytest.fixture(scope="module")
def simulation(tmp_path_factory) -> dict:
    data_file("groceries.csv")
    out = tmp_path_factory.mktemp("simulator") / "simulator.json"
    return run_benchmark("bench_simulator.py", out, "--data", str(DATA), env={"PYTHONWARNINGS": "ignore"})


def test_feedback_lowers_the_regret_over_rounds(simulation):
    (run,) = simulation["runs"]
    first, *_, last = run["rounds"]
    assert first["feedback_pairs"] == 0 and last["feedback_pairs"] > 100
    assert first["regret"]["feedback"] == pytest.approx(first["regret"]["without"], rel=1e-12)
    assert last["regret"]["feedback"] < 0.75 * first["regret"]["feedback"]
    assert last["regret"]["feedback"] < 0.75 * last["regret"]["without"]
    assert last["accept_rate_expected"]["feedback"] > last["accept_rate_expected"]["without"]
    # Never better than the oracle, which shows the best three of every item.
    for row in run["rounds"]:
        assert row["regret"]["feedback"] >= 0 and row["regret"]["without"] >= 0


def test_the_report_counts_what_shoppers_did(simulation):
    for row in simulation["runs"][0]["rounds"]:
        assert row["accept_rate_observed"] == pytest.approx(row["accept_rate_expected"]["feedback"], abs=0.03)
        orders_treatment, orders_control = row["uplift"]["basket_value"]["orders"]
        assert orders_treatment + orders_control == simulation["shoppers_per_round"]
        assert 0.05 < orders_control / simulation["shoppers_per_round"] < 0.15  # the holdout share, 0.1


def test_the_reports_interval_covers_the_true_uplift(simulation):
    for name in ("basket_value", "items_per_order"):
        covered, total = map(int, simulation["summary"]["coverage"][name].split("/"))
        assert total == 3 and covered >= 2, name
    for row in simulation["runs"][0]["rounds"]:
        assert row["uplift"]["basket_value"]["truth"] > 0  # suggestions do add to orders
