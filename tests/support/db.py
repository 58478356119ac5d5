"""Fixtures for this boundary (filled in by its owner)."""
