# Two commands for a newcomer: `make run` and `make test`.  Everything else is plumbing
# they call.  Stamps make each step re-run only when its inputs changed.
SHELL := /bin/bash
PY311 ?= $(shell command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import sys' 2>/dev/null && echo python3.11 || echo python3)
PY310 ?= $(shell test -x /root/.pyenv/versions/3.10.13/bin/python && echo /root/.pyenv/versions/3.10.13/bin/python || echo python3.10)
VENV := .venv
RVENV := .venv-rasa
PIP_FLAGS := --disable-pip-version-check -q

.PHONY: run test venv venv-rasa index model web-deps browser lint bench eval clean

venv: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml
	test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(VENV)/bin/pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

venv-rasa: $(RVENV)/.stamp
$(RVENV)/.stamp: bot/requirements.txt
	test -x $(RVENV)/bin/python || $(PY310) -m venv $(RVENV)
	$(RVENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(RVENV)/bin/pip install $(PIP_FLAGS) -r bot/requirements.txt
	touch $@

index: venv
	$(VENV)/bin/python -m retrieval build

model: venv-rasa
	bash scripts/train_model.sh

web-deps:
	bash scripts/web_deps.sh

browser:
	bash scripts/ensure_chromium.sh

lint: venv
	$(VENV)/bin/ruff check .

run: venv venv-rasa index model web-deps
	bash scripts/run.sh

test: venv venv-rasa index model web-deps browser
	$(VENV)/bin/ruff check .
	bash scripts/test.sh

bench: venv index
	$(VENV)/bin/python bench/search_latency.py

eval: venv index
	$(VENV)/bin/python -m retrieval eval --gold eval/dev.jsonl

clean:
	rm -rf data/ bot/models/ node_modules/
