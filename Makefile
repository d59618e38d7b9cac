# The README's commands. Everything runs inside .venv, created on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := t2i_nb
STAMP := $(VENV)/.installed
DEMO_DIR ?= runs/demo
export PYTHONHASHSEED := 0

.PHONY: venv demo test check-sync lab readme clean-runs outputs

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --no-cache-dir -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python ($(KERNEL))" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## make demo: the one-object `shapes` level and its card, then GALIP trained on it for 2,000 steps of 16 with an EMA of G (about 10 minutes of training here) and evaluated, through the papermill jobs
DEMO_PRESET ?= galip-shapes1
DEMO_LEVEL ?= centred
# 30_galip chose the budget (steps of 16 beat the preset's steps of 32 in the same time; 2,000 of them fit ten
# minutes at two threads) and the EMA of G (decay 0.995) that the demo model is evaluated with
DEMO_STEPS ?= 2000
DEMO_BATCH ?= 16
DEMO_EMA ?= 0.995
demo: $(STAMP)
	mkdir -p $(DEMO_DIR)/$(DEMO_PRESET)
	$(BIN)/papermill nbs/jobs/dataset_card.ipynb $(DEMO_DIR)/dataset_card.ipynb -k $(KERNEL) \
	  --cwd . -p out_dir $(DEMO_DIR) -p data_dir $(DEMO_DIR)/shapes-$(DEMO_LEVEL) -p n_images 10000 -p level $(DEMO_LEVEL) \
	  --log-output --no-progress-bar
	$(BIN)/papermill nbs/jobs/train.ipynb $(DEMO_DIR)/$(DEMO_PRESET)/train.ipynb -k $(KERNEL) --cwd . -p preset $(DEMO_PRESET) \
	  -p data_root $(DEMO_DIR)/shapes-$(DEMO_LEVEL) -p run_dir $(DEMO_DIR)/$(DEMO_PRESET) -p steps $(DEMO_STEPS) -p batch_size $(DEMO_BATCH) \
	  -p eval_samples 1000 -y "overrides: {ema: $(DEMO_EMA)}" --log-output --no-progress-bar
	$(BIN)/python tools/demo_report.py $(DEMO_DIR)/$(DEMO_PRESET)
	@echo "demo finished: $(DEMO_DIR)/card.md, $(DEMO_DIR)/preview.png; $(DEMO_PRESET): $(DEMO_DIR)/$(DEMO_PRESET)/metrics.json, accuracy.png, samples/, losses.png"

## make test: library in sync with the notebooks, notebooks clean, every notebook (those that keep their outputs
## through tools/kept_outputs.py, which also checks the outputs are current), then tests/
# Two workers, one thread each: T2I_THREADS for the notebooks' torch, OMP_NUM_THREADS for everything else (torch in
# subprocesses such as the papermill kernels and `t2i train`, NumPy's and SciPy's OpenBLAS). Without it each worker's
# BLAS and OpenMP start a thread per core, and four spinning threads on two cores make e.g. the 2,048-dimensional
# eigendecompositions of FID several times slower.
TEST_ENV := T2I_THREADS=1 OMP_NUM_THREADS=1
# The notebooks make their datasets, runs and weight files in temporary folders: those go into one
# folder, removed afterwards. pytest removes a passing test's folder at once (pytest.ini); a failing one's stays.
test: $(STAMP) check-sync
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && export TMPDIR="$$tmp" && \
	$(TEST_ENV) $(BIN)/nbdev_test --n_workers 2 --timing --skip_file_re "$$($(BIN)/python tools/kept_outputs.py --skip-re)" && \
	$(TEST_ENV) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python tools/kept_outputs.py --check --workers 2
	$(TEST_ENV) $(BIN)/python -m pytest tests/ -q -p no:cacheprovider -n 2 --dist load --durations=15

check-sync: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python tools/check_sync.py

## make outputs: execute the notebooks that keep their outputs (settings.ini `kept_outputs`) and store them; NB=name for one
outputs: $(STAMP)
	$(TEST_ENV) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python tools/kept_outputs.py --write $(NB)

## make readme: README.md is rendered from nbs/index.ipynb
readme: $(STAMP)
	$(BIN)/python tools/render_readme.py

lab: $(STAMP)
	$(BIN)/jupyter lab nbs/

clean-runs:
	rm -rf runs/
