"""store.tables."""
