"""roost: a news-feed system. Publish short posts; read a home feed of the accounts you follow."""

__version__ = "0.1.0"
