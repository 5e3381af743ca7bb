# Thin entry points; the work is done by the scripts they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HTTP_PORT ?= 8080

.PHONY: run test bench clean

# The virtual environment with the pinned tools, rebuilt when the pins change.
$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

run: $(BIN)/.installed
	HTTP_PORT=$(HTTP_PORT) $(BIN)/python examples/demo.py

test: $(BIN)/.installed
	$(BIN)/python -m pytest tests

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build
