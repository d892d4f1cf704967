# `make run`: create .venv with the pinned environment and build Figure 7.
# `make test`: the same environment, then the test suite (what CI runs, with NTKREPRO_SLURM_TEST=1).
# `make test-fast`: the unit tests only, without the end-to-end builds and the SLURM test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all

.PHONY: install run test test-fast lint rulegraph graphviz clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -e ".[workflow,slurm,test]"
	touch $@

run: install
	$(BIN)/snakemake figures/fig7.pdf --cores $(CORES)

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not workflow and not slurm"

lint: install
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/

rulegraph: graphviz install
	$(BIN)/snakemake --rulegraph dot | dot -Tsvg > docs/rulegraph.svg

graphviz:
	@command -v dot >/dev/null || { echo "make rulegraph needs Graphviz's dot: apt-get install graphviz (or conda install graphviz)" >&2; exit 1; }

# Everything a run builds: intermediates, logs, every figure (figures/.gitkeep stays) and the report
clean:
	rm -rf results logs .snakemake report.html
	find figures -mindepth 1 ! -name .gitkeep -delete
