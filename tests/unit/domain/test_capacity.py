import pytest

from roost.domain.capacity import Measured, Workload, plan


def test_the_seed_estimates() -> None:
    need = plan(20_000_000)
    assert need.posts_per_second == pytest.approx(100_000_000 / 86_400 * 2)
    assert need.feed_reads_per_second == pytest.approx(need.posts_per_second * 100)
    assert need.api_cores == 173  # 231,481 reads/s at 1,357 a core, 2,315 posts/s at 1,000
    assert need.worker_cores == 5  # 2,315 posts/s x 85 inserts at 48,307 a core
    assert need.redis_bytes == 20_000_000 * 800 * 64 + 100_000_000 * 400
    assert need.postgres_bytes == 100_000_000 * 3650 * 200


def test_scales_with_the_users_and_the_measured_rates() -> None:
    small, large = plan(1_000), plan(1_000_000)
    assert small.api_cores == small.worker_cores == 1
    assert large.postgres_bytes == 1000 * small.postgres_bytes
    faster = plan(20_000_000, Workload(), Measured(feed_reads_per_core=2 * 1_357.0))
    assert faster.api_cores < plan(20_000_000).api_cores
