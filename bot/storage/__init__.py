"""Storage: SQLAlchemy 2 on SQLite (default) or PostgreSQL; repositories return core models."""
