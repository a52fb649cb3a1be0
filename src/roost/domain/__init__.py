"""The pure core of roost: rules and values, no I/O and no frameworks."""
