# Two commands for a newcomer: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test bench lint format translations mutate clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app wsgi init-db
	$(BIN)/flask --app wsgi seed-demo
	$(BIN)/flask --app wsgi run-all

# Three pytest processes (pytest-xdist), each with its own database and Redis db
# (tests/conftest.py): on two cores, the third runs while the fault tests wait out an outage.
PYTEST_WORKERS ?= 3
test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# FULL=1 adds the million-ticket PostgreSQL run; the table goes to bench/results.md too.
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(FULL),--full) $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/pip install --quiet ruff==0.17.6
	$(BIN)/ruff format --check ticketing workers tests bench config.py wsgi.py
	$(BIN)/ruff check ticketing workers tests bench config.py wsgi.py

format: $(STAMP)
	$(BIN)/pip install --quiet ruff==0.17.6
	$(BIN)/ruff format ticketing workers tests bench config.py wsgi.py

# The customer's pages in English and Kiswahili: extract every marked string into the template,
# merge it into each language's messages.po (translate the new empty msgstr there), compile the
# .mo files. The .mo files are committed, so a fresh clone runs without this step; the test
# tests/test_customer_language.py fails when a .mo is out of date or a string is untranslated.
# A new language: $(BIN)/pybabel init -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) -l XX
CATALOGUES := ticketing/translations
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output --width=100 \
		--project=Fuatilia --version=0.1.0 --copyright-holder=Fuatilia \
		--msgid-bugs-address=support@fuatilia.example -o $(CATALOGUES)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) \
		--no-fuzzy-matching --ignore-obsolete --width=100
	$(BIN)/pybabel compile -d $(CATALOGUES) --statistics

# Mutation testing of the follow-up policy, the business-time arithmetic and the service charter
# (not part of `make test` or CI): mutmut mutates ticketing/followup.py, ticketing/hours.py,
# ticketing/charter.py, the charter targets' units (ticketing/targets.py), the report figures
# (ticketing/stats/figures.py, ticketing/stats/tags.py) and the notify rules
# (ticketing/loop_guard.py, ticketing/updates.py) in a
# copy under mutants/ (with config.py and templates/), runs the tests of [tool.mutmut] in
# pyproject.toml on each mutant without the project's conftest (the charter's and the notify
# rules' tests build their own app on a throwaway SQLite file, so no Redis), and prints the
# survivors and a score per module
# (tests/mutation_report.py, which lists the known equivalent mutants and fails on any other
# survivor).
mutate: $(STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -rf mutants && mkdir mutants
	$(BIN)/mutmut run --max-children 1 > mutants/run.log 2>&1 || { tail -c 3000 mutants/run.log; exit 1; }
	$(BIN)/python tests/mutation_report.py

clean:
	rm -rf $(VENV)
