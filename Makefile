# make demo: set up .venv and train the textbook MLP on the bundled digits.
# make test: set up .venv with the dev extra and run the whole test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/trainwell demo

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench/.venv/.installed: bench/requirements.txt pyproject.toml
	test -x bench/.venv/bin/python || $(PYTHON) -m venv bench/.venv
	bench/.venv/bin/python -m pip install --quiet -r bench/requirements.txt
	bench/.venv/bin/python -m pip install --quiet -e '.[fast]'
	touch $@

bench: bench/.venv/.installed
	bench/.venv/bin/python bench/mlp_cpu.py

clean:
	rm -rf $(VENV) bench/.venv build *.egg-info
