# Set-up and the two everyday jobs. `make demo` and `make test` each install what they need
# into .venv on first use (torch pinned to the CPU build, torch==2.13.0).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cimsim-installed
ARCH   ?= arch/neurosim-rram-22nm.yaml
WORKLOAD ?= traces/vgg8-cifar10.cimtrace

.PHONY: install demo test bench clean

# Bytecode of cimsim's own modules is compiled here, as a regular (non-editable) pip install
# does: with PYTHONDONTWRITEBYTECODE=1 in the environment Python never writes it, and every
# `cimsim` start would otherwise recompile ~60 modules from source (about 0.1 s).
install: $(STAMP)
	$(BIN)/python -m compileall -q cimsim

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cimsim describe $(ARCH)
	$(BIN)/cimsim run $(ARCH) $(WORKLOAD) -o out

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
