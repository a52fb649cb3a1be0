"""Benchmarks: `roost bench ...` prints tables of rates measured against the real backends."""
