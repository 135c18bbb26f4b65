# Two commands do everything: `make run` (the bot, or the local console without Slack
# credentials) and `make test`. Both install into a local venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run console test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pacer run

console: $(STAMP)
	$(BIN)/pacer console

# Two workers (pytest-xdist); the coverage report lists every line no test ran, file by file.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --cov --cov-report=term-missing

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info pacer-console.db*
