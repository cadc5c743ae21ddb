# Two commands for a newcomer: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test bench lint format clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app wsgi init-db
	$(BIN)/flask --app wsgi seed-demo
	$(BIN)/flask --app wsgi run-all

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/pip install --quiet ruff==0.17.6
	$(BIN)/ruff format --check ticketing workers tests bench config.py wsgi.py
	$(BIN)/ruff check ticketing workers tests bench config.py wsgi.py

format: $(STAMP)
	$(BIN)/pip install --quiet ruff==0.17.6
	$(BIN)/ruff format ticketing workers tests bench config.py wsgi.py

clean:
	rm -rf $(VENV)
