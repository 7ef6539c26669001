# Two commands on a fresh machine with Python 3.11 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.8
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export GX_ANALYTICS_ENABLED ?= False
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 300
DEMO_HOME ?= data

.PHONY: install test test-fast lint demo bench samples clean serve

install: $(VENV)/.installed

# The lock file pins every package; uv installs it in seconds (pip is the fallback). Bytecode
# is compiled here, once: where PYTHONDONTWRITEBYTECODE is set, every command would otherwise
# recompile Prefect, pandas and GE from source (seconds per start on two cores).
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION); then \
		$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock && \
		$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . ; \
	else \
		$(BIN)/python -m pip install -q -r requirements.lock && \
		$(BIN)/python -m pip install -q --no-deps -e . ; \
	fi
	@$(BIN)/python -m compileall -q pcmbn flows tasks bench > /dev/null
	@touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every test, servers included, on one pytest-xdist worker per core (each worker starts its own
# Prefect harness and servers on free loopback ports, under its own tmp_path).
test: install lint
	$(BIN)/pytest -n 2

# The fast tier (under 2 minutes on 2 cores): everything not marked slow, no lint, on one
# pytest-xdist worker per core (tests write only under their own tmp_path).
test-fast: install
	$(BIN)/pytest -m "not slow" -n 2

# The standing office's month, end to end on the committed sample reports.
demo: install
	@PCMBN_HOME=$(DEMO_HOME) bash scripts/demo.sh

# The always-on service: Prefect server, scheduled deployments, web app (Ctrl-C stops it).
serve: install
	$(BIN)/pcmbn serve

bench: install
	$(BIN)/python -m bench.run

# Regenerate the committed sample set (deterministic: same seed, same bytes).
samples: install
	rm -rf sample_reports/NA-276-KH-UBND-2021 sample_reports/ST-KH-30-7-2024
	$(BIN)/pcmbn samples --out sample_reports --plan NA-276-KH-UBND-2021 --start 2021-05 --end 2021-11
	$(BIN)/pcmbn samples --out sample_reports --plan ST-KH-30-7-2024 --start 2024-07 --end 2024-09

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
