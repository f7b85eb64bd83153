# The two set-up commands of the README. Each creates its own virtual environment and installs what it needs,
# pinned by requirements.lock (a fresh machine gets the versions the tests and notebooks were recorded with).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
LOCK    = requirements.lock

.PHONY: demo test lint bench clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

install-run: $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[test]'

## demo: search the sample query images on the embedded sandbox and write the HTML landscape report
demo: install-run
	$(BIN)/patsnap-analytics demo --out demo-output

## test: ruff, the unit and integration tests, the doctests and the notebooks (nbval)
test: install-test
	$(BIN)/python scripts/check_lock.py $(LOCK)
	$(BIN)/ruff check patsnap_analytics tests benchmarks scripts
	$(BIN)/python -m pytest -p no:cacheprovider tests --doctest-modules patsnap_analytics --nbval-lax notebooks $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[test,bench]'
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-output .pytest_cache

## lock: re-resolve every dependency (all extras, every platform) into requirements.lock; commit the result
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv && $(BIN)/python -m uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 -o $(LOCK)
