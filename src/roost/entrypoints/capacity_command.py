"""`roost capacity --dau N`: cores, Redis memory and PostgreSQL storage for N daily actives."""

from __future__ import annotations

from roost.domain.capacity import Measured, Workload, plan


def print_plan(dau: int) -> None:
    workload, measured = Workload(), Measured()
    need = plan(dau, workload, measured)
    rows = [
        ("daily active users", f"{dau:,}"),
        ("posts/s at peak", f"{need.posts_per_second:,.0f}"),
        ("feed reads/s at peak", f"{need.feed_reads_per_second:,.0f}"),
        ("API cores", f"{need.api_cores:,}"),
        ("worker cores", f"{need.worker_cores:,}"),
        ("Redis memory", _size(need.redis_bytes)),
        (f"PostgreSQL storage ({workload.years:g} years)", _size(need.postgres_bytes)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        f"\nfrom: {workload.posts_per_user_per_day:g} posts per user a day, "
        f"{workload.reads_per_write:g} reads per write, peak {workload.peak_to_mean:g}x the mean; "
        f"per core {measured.feed_reads_per_core:,.0f} feed reads/s, "
        f"{measured.posts_per_core:,.0f} posts/s, "
        f"{measured.fanout_inserts_per_core:,.0f} fanout inserts/s (docs/capacity.md)"
    )


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000:
            return f"{value:,.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} PB"
