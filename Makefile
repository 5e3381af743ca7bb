# Thin entry points; the work is done by the scripts they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HTTP_PORT ?= 8080

.PHONY: run test bench docs clean chromium

# The virtual environment with the pinned tools, rebuilt when the pins change.
# Each step says what it does: on a fresh machine this takes minutes.
$(BIN)/.installed: requirements.txt
	@$(PYTHON) tools/check_python.py
	@echo '--- creating $(VENV)/ with $(PYTHON)'
	$(PYTHON) -m venv $(VENV)
	@echo '--- installing the pinned tools of requirements.txt into $(VENV)/ (a few minutes the first time)'
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar off -r requirements.txt
	@echo '--- installing utemplate'
	$(BIN)/python tools/install_utemplate.py
	touch $@

# The device application on the emulated board (state in STATE_DIR, state/).
run: $(BIN)/.installed
	HTTP_PORT=$(HTTP_PORT) $(BIN)/python tools/device.py

# The browser tests drive Debian's Chromium (CI runs as root).
chromium:
	@command -v chromium >/dev/null || { echo 'installing Debian package chromium'; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: $(BIN)/.installed chromium
	$(BIN)/python -m pytest tests examples

# The documentation site (docs/) into build/docs; any warning fails it.
docs: $(BIN)/.installed
	$(BIN)/python -m sphinx -W --keep-going -b html docs build/docs

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py
	$(BIN)/python bench/hardening.py
	$(BIN)/python bench/frozen_heap.py

clean:
	rm -rf $(VENV) build

# Firmware for a board of boards/ (README: "Build and flash your board").
# firmware needs ESP-IDF (exported) or Docker; it runs with the system
# Python, as ESP-IDF's container has no .venv. flash and erase use esptool
# and pyserial from .venv.
BOARD ?= ESP32_GENERIC_C3
PORT ?= /dev/ttyACM0
BAUD ?= 460800

.PHONY: firmware flash erase

firmware:
	$(PYTHON) firmware/build.py $(BOARD) $(if $(BOARD_VARIANT),--variant $(BOARD_VARIANT))

flash: $(BIN)/.installed
	$(BIN)/python firmware/flash.py flash --board $(BOARD) --port $(PORT) --baud $(BAUD)

erase: $(BIN)/.installed
	$(BIN)/python firmware/flash.py erase --board $(BOARD) --port $(PORT) --baud $(BAUD)
