"""Adapters: the ports implemented on real technology (SQL, Redis, in-process)."""
