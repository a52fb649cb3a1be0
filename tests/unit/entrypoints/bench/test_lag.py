from __future__ import annotations

import math

from roost.entrypoints.bench.lag import lag_buckets, observed, quantile

EXPOSITION = b"""# HELP roost_fanout_lag_seconds From the commit of a post to the end of its fanout
# TYPE roost_fanout_lag_seconds histogram
roost_fanout_lag_seconds_bucket{le="0.1"} 10.0
roost_fanout_lag_seconds_bucket{le="1.0"} 30.0
roost_fanout_lag_seconds_bucket{le="+Inf"} 40.0
roost_fanout_lag_seconds_count 40.0
roost_fanout_lag_seconds_sum 12.0
"""


def test_buckets_are_read_from_the_exposition() -> None:
    assert lag_buckets(EXPOSITION) == {0.1: 10.0, 1.0: 30.0, math.inf: 40.0}


def test_quantiles_of_the_difference_are_interpolated_within_buckets() -> None:
    before = {0.1: 10.0, 1.0: 10.0, math.inf: 10.0}
    after = lag_buckets(EXPOSITION)
    assert observed(before, after) == 30
    # 30 new observations: none under 0.1 s, 20 in (0.1, 1], 10 above 1 s.
    assert quantile(before, after, 0.5) == 0.1 + 0.9 * (15 / 20)
    assert quantile(before, after, 0.99) == 1.0  # the open bucket: its lower bound


def test_nothing_observed_has_no_quantile() -> None:
    after = lag_buckets(EXPOSITION)
    assert quantile(after, after, 0.5) is None
    assert lag_buckets(b"") == {}
