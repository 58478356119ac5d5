# `make test` and `make demo` do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test lint typecheck migrations-check pytest demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check bot commands storage tests bench
	$(BIN)/ruff format --check bot commands storage tests bench

typecheck: install
	$(BIN)/mypy

# Models and migrations may not drift: `alembic check` against a fresh SQLite database.
migrations-check: install
	$(BIN)/python -m storage.migrate check

pytest: install
	$(BIN)/pytest

test: lint typecheck migrations-check pytest

demo: install
	$(BIN)/offboard-bot demo

bench: install
	$(BIN)/python bench/sign.py
	$(BIN)/python bench/approvals.py
	$(BIN)/python bench/ack.py
	$(BIN)/python bench/audit.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
