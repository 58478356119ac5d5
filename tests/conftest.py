"""Shared fixtures live in tests/support/, one plugin module per boundary."""

pytest_plugins = [
    "tests.support.clock",
    "tests.support.db",
    "tests.support.cloud",
    "tests.support.slack",
    "tests.support.tls",
]
