"""`roost demo`: a synthetic social graph to try roost on and to benchmark it with."""
