# fvma-bot — developer commands. `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo check reliability bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/fvma-bot --config config.example.toml demo

check: $(STAMP)
	$(BIN)/fvma-bot --config config.example.toml check samples/fvma-reponses.csv

reliability: $(STAMP)
	rm -rf .reliability
	FVMA_RELIABILITY=full $(BIN)/python -m pytest -q --timeout 3600 tests/reliability
	$(BIN)/python -m tests.reliability.report

bench: $(STAMP)
	rm -rf .bench
	$(BIN)/python benchmarks/run.py --work .bench

screenshots: $(STAMP)
	$(BIN)/python scripts/render_emails.py
	$(BIN)/python scripts/render_guide_emails.py
	$(BIN)/python scripts/screenshot_workbook.py

clean:
	rm -rf $(VENV) demo preview .pytest_cache .bench
