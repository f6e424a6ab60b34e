# The two commands a newcomer needs (see README): `make reproduce` and `make test`.
# Both create .venv on first use: torch 2.13.0 (CPU build) first, then losslab itself.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup reproduce test bench clean

$(BIN)/losslab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(BIN)/losslab

setup: $(BIN)/losslab

reproduce: setup
	$(BIN)/losslab reproduce

# pytest exits 5 when it collects no test; make treats that as a failure too.
test: setup
	$(BIN)/python -m pytest -n 2 -q

bench: setup
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/loss_throughput.py
	$(BIN)/python benchmarks/reproduce_suite.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
