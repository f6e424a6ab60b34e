# The two commands a newcomer needs (see README): `make reproduce` and `make test`.
# Both create .venv on first use: torch 2.13.0 (CPU build) first, then losslab itself.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup browser reproduce test bench clean

$(BIN)/losslab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(BIN)/losslab

setup: $(BIN)/losslab

reproduce: setup
	$(BIN)/losslab reproduce

# The HTML report's test renders it in headless Chromium (Debian's package).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "install Chromium for the report test (Debian: apt-get install chromium)"; exit 1; }; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# pytest exits 5 when it collects no test; make treats that as a failure too.
# --dist loadgroup: the Ray tests (xdist_group "ray") share one local Ray on one pytest worker.
test: setup browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: setup
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/loss_throughput.py
	$(BIN)/python benchmarks/reproduce_suite.py --scaling
	$(BIN)/python benchmarks/custom_loss.py
	$(BIN)/python benchmarks/landscape_grid.py
	$(BIN)/python benchmarks/executors.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
