# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo paper study precision grid test bench screenshots clean-venv

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

# Does grounding help? Seeds, two selection rules, pooled paired tests: reports/study/ (resumable).
# CPU: the caption -> image model at c = 256, 20 epochs, 3 seeds, 50d, float32 (about 2.5 hours of
# training on 2 cores of an AMX Xeon, 3.5 on AMD EPYC). GPU=1: both models at paper size (c = 1024,
# 20 epochs, patience 5) on one GPU, into reports/study/gpu/.
study: $(STAMP)
	$(VENV)/bin/vgbench study --download $(if $(GPU),--gpu,)

# The report pages as a reader first sees them (headless Chromium, the tests' browser), into
# reports/screenshots/; the study's page once `make study` has written it.
screenshots: $(STAMP)
	$(PY) tests/browser.py reports/demo/index.html reports/screenshots/demo.png 1400 1800
	$(if $(wildcard reports/study/index.html),$(PY) tests/browser.py reports/study/index.html reports/screenshots/study.png 1400 1800,@echo "reports/study/index.html not there yet: run make study first")

# Does bf16 autocast or length bucketing move the answer? The caption -> image model (c = 256, GloVe 6B
# 50d, 6 epochs) in float32 / bf16 x random / bucketed batches on seeds 0-2, the CPU named:
# reports/precision/ (resumable). PROTOTYPE=1 adds the prototype's zero rows and all-image standardisation;
# REPORT_ONLY=1 writes the report from the runs finished so far (also while another process trains).
precision: $(STAMP)
	$(PY) benchmarks/precision_study.py $(if $(PROTOTYPE),--with-prototype-choices,) $(if $(REPORT_ONLY),--report-only,)

# The measured grid of reports/grid/README.md: ten CPU runs one after another (each capped at
# TIME_LIMIT seconds of training; resumable, finished runs are skipped), then its tables.
grid: $(STAMP)
	benchmarks/grid/run_grid.sh
	$(PY) benchmarks/grid/make_grid.py runs/grid reports/grid
