"""The source of truth in SQL: SQLite (embedded) or PostgreSQL (scaled), through SQLAlchemy Core."""
