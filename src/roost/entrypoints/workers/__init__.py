"""Event consumers: thin loops that hand each event to a service."""
