# `make test` and `make demo` do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test lint typecheck migrations-check pytest demo bench mutation clean

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
	$(BIN)/python bench/discovery.py
	$(BIN)/python bench/rss.py

# Mutation testing of the approval rules and the signer against their own tests
# ([tool.mutmut] in pyproject.toml; docs/mutation.md). Not part of `make test`: it takes
# minutes of both cores. Starts afresh, prints each module's score and every mutant that
# survived, and fails below 90% for either module.
mutation: install
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results
	$(BIN)/mutmut results --all true | awk -F': ' \
	  '{ name = $$1; gsub(/ /, "", name); sub(/\.[^.]*$$/, "", name); total[name]++; \
	     if ($$2 == "killed") killed[name]++ } \
	   END { low = 0; for (m in total) { score = 100 * killed[m] / total[m]; \
	     printf "%s: %d of %d mutants killed (%.1f%%)\n", m, killed[m], total[m], score; \
	     if (score < 90) low = 1 }; exit low }'

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis mutants
