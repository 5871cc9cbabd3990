# Quick start: `make run` (dashboard on http://127.0.0.1:8501) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
ADDRESS ?= 127.0.0.1

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.runtime
	$(BIN)/pip install -r requirements-test.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT)

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest

bench: $(VENV)/.runtime
	$(BIN)/python bench/finetune_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
