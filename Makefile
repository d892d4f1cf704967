# `make run`: create .venv with the pinned environment and build Figure 7.
# `make test`: the same environment, then the test suite (what CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all

.PHONY: install run test lint rulegraph clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -e ".[test]"
	touch $@

run: install
	$(BIN)/snakemake figures/fig7.pdf --cores $(CORES)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/

rulegraph: install
	$(BIN)/snakemake --rulegraph dot | dot -Tsvg > docs/rulegraph.svg

clean:
	rm -rf results logs figures/*.pdf figures/*.csv .snakemake
