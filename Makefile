# payerdesk: `make run` serves the demo, `make test` runs everything. Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -n 2

.PHONY: install run demo test lint browser bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/payerdesk migrate --noinput
	$(BIN)/payerdesk demo

# The task worker and the scheduler (which enqueues the daily jobs, and catches up at
# start-up) run beside the web server and stop with it.
run: demo
	@echo "payerdesk on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	@$(BIN)/payerdesk db_worker --interval 2 & worker=$$!; \
	$(BIN)/payerdesk scheduler & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/payerdesk runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=payerdesk.settings.test \
	  $(BIN)/payerdesk makemigrations --check --dry-run

# Browser tests drive Debian's chromium; install it when missing (never a downloaded browser).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  $(if $(filter 0,$(shell id -u)),,sudo) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install lint browser
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/work_queue.py
	$(BIN)/python bench/enrollment.py
	$(BIN)/python bench/billing.py
	$(BIN)/python bench/priorauth.py
	$(BIN)/python bench/api_token.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
