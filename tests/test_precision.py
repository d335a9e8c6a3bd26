"""The precision/batching study (issue 21, `make precision`) end to end on a tiny setting."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vgbench.pipeline.precision import GRID, PROTOTYPE, REFERENCE, PrecisionSettings, cell_config, run_precision

REPO = Path(__file__).resolve().parent.parent
TINY = {"data": {"limit_train": 128, "limit_dev": 60}, "train": {"threads": 1, "batch_size": 64}}


def test_cells_switch_what_their_labels_say():
    settings = PrecisionSettings(with_prototype_choices=True)
    seen = {}
    for cell in settings.cells:
        cfg = cell_config(cell, 1, settings)
        seen[cell.label] = (cfg.train.amp_cpu, cfg.train.amp, cfg.train.bucket_by_length,
                            cfg.model.unknown_rows, cfg.data.standardise)
        assert cfg.model.kind == "caption_image" and cfg.model.grounded_dim == 256
        assert cfg.train.epochs == 6 and cfg.train.patience > 6 and cfg.train.seed == 1
        assert cfg.data.textual == "glove-6b-50d"
    assert seen[REFERENCE] == (False, False, False, "trainable", "train")
    assert seen["bf16, bucketed"] == (True, True, True, "trainable", "train")
    assert seen["float32, bucketed"] == (False, False, True, "trainable", "train")
    assert seen["float32, random, both prototype choices"] == (False, False, False, "zero", "all")
    assert len(set(seen.values())) == len(GRID) + len(PROTOTYPE)
    assert len({cell_config(c, 0, settings).name for c in settings.cells}) == len(settings.cells)


def test_only_cuts_the_study_to_named_settings_and_refuses_unknown_ones():
    settings = PrecisionSettings(only=("float32_random_batches", "Float32, Bucketed", "BF16-Bucketed"))
    assert [c.label for c in settings.cells] == [REFERENCE, "float32, bucketed", "bf16, bucketed"]
    with pytest.raises(ValueError, match="unknown precision setting 'fp8'.*float32_bucketed"):
        PrecisionSettings(only=("fp8",)).cells


def test_each_delta_is_paired_with_the_setting_one_choice_away():
    from vgbench.pipeline.precision import cell_summary, verdict_lines
    figures = {"float32, random batches": (46.0, 49.0), "float32, bucketed": (46.5, 50.0),
               "bf16, bucketed": (46.6, 50.5)}
    rows = [{"cell": cell, "seed": seed, "seconds_per_epoch": 1.0, "Mean6": m + 0.1 * seed + 0.01 * seed ** 2,
             "Mean6 test": m, "STS mean": s + 0.2 * seed} for cell, (m, s) in figures.items() for seed in range(3)]
    summary = {s["cell"]: s for s in cell_summary(rows)}
    assert summary[REFERENCE]["against"] is None and summary[REFERENCE]["delta Mean6"] is None
    bf16 = summary["bf16, bucketed"]
    assert bf16["against"] == "float32, bucketed"          # precision alone, not precision and batching
    assert abs(bf16["delta Mean6"]["mean"] - 0.1) < 1e-9 and abs(bf16["delta STS mean"]["mean"] - 0.5) < 1e-9
    assert summary["float32, bucketed"]["against"] == REFERENCE
    lines = verdict_lines(list(summary.values()))
    assert any(l.startswith("- **bf16, bucketed** against float32, bucketed") and "moved" in l
               for l in lines)
    target = {l.split(":")[0][2:]: l.endswith("met.") and "NOT" not in l for l in lines if "target" in l}
    assert target == {REFERENCE: False, "float32, bucketed": True, "bf16, bucketed": True}


def test_report_names_the_command_that_made_it_and_the_prototype_choices_it_measured(monkeypatch):
    """The prototype study (make precision PROTOTYPE=1) writes into its own folder, so its README must
    name its own command line and say what its cells switch; the grid's README says neither."""
    from vgbench.pipeline.precision import PROTOTYPE_NOTE, precision_readme
    torch = pytest.importorskip("torch")
    from vgbench.grounding.machine import run_record
    machine = run_record(torch.device("cpu"), amp=False, bucketed=False, seed=0)
    def rows(cells):
        return [{"cell": c, "seed": s, "run": f"r{s}", "epoch": 6, "dev_loss": 0.9, "seconds_per_epoch": 1.0,
                 "Mean6": 46.0 + s, "Mean6 test": 46.0, "STS mean": 50.0, "machine": machine}
                for c in cells for s in range(2)]
    argv = ["benchmarks/precision_study.py", "--with-prototype-choices", "--cells", "a,b", "--out", "x y"]
    monkeypatch.setattr(sys, "argv", argv)
    prototype = PrecisionSettings(with_prototype_choices=True)
    readme = precision_readme(prototype, rows([REFERENCE, PROTOTYPE[0].label]))
    assert "Made by `python benchmarks/precision_study.py --with-prototype-choices --cells a,b --out 'x y'`" in readme
    assert PROTOTYPE_NOTE in readme and '`model.unknown_rows = "trainable"`' in readme
    assert f"- **{PROTOTYPE[0].label}** against {REFERENCE}" in readme
    grid = precision_readme(PrecisionSettings(), rows([REFERENCE, GRID[1].label]))
    assert PROTOTYPE_NOTE not in grid


@pytest.mark.slow
def test_tiny_precision_study_writes_its_table_and_reruns_nothing(tmp_path):
    settings = PrecisionSettings(out=tmp_path / "report", runs=tmp_path / "runs", grounded_dim=8, seeds=(0, 1),
                                 epochs=1, changes=TINY)
    lines: list[str] = []
    run_precision(settings, echo=lines.append)
    assert sum(l.startswith("[step] train") for l in lines) == 2 * len(GRID)
    rows = list(csv.DictReader((tmp_path / "report" / "runs.csv").open()))
    assert {(r["cell"], r["seed"]) for r in rows} == {(c.label, s) for c in GRID for s in "01"}
    runs = json.loads((tmp_path / "report" / "runs.json").read_text())
    by = {(r["cell"], r["seed"]): r for r in runs}
    assert by[(REFERENCE, 0)]["machine"]["precision"] == "float32"
    assert by[("bf16, random batches", 1)]["machine"]["precision"] == "bf16 autocast"
    assert by[("bf16, bucketed", 0)]["machine"]["batching"] == "bucketed by length"
    assert all(r["epoch"] == 1 and 0 < r["Mean6"] < 100 and 0 < r["STS mean"] < 100 for r in runs)
    readme = (tmp_path / "report" / "README.md").read_text()
    assert "## Machine and numerics" in readme and "All runs on one machine" in readme
    machine = [l for l in readme.split("## Machine and numerics")[1].split("##")[0].splitlines() if l.startswith("- ")]
    assert len(machine) == len(GRID) and all(l.endswith("seeds 0, 1") for l in machine)  # a line per setting
    assert "float32, batches random" in machine[0] and "bf16 autocast, batches bucketed by length" in machine[3]
    # the table: mean ± SD over the seeds and the paired difference from the reference
    import numpy as np
    line = next(l for l in readme.splitlines() if l.startswith("| bf16, random batches |"))
    bf16 = [by[("bf16, random batches", s)]["Mean6"] for s in (0, 1)]
    ref = [by[(REFERENCE, s)]["Mean6"] for s in (0, 1)]
    assert f"{np.mean(bf16):.1f} ± {np.std(bf16, ddof=1):.1f}" in line
    delta = np.subtract(bf16, ref)
    assert f"{np.mean(delta):+.2f} ± {np.std(delta, ddof=1):.2f}" in line
    assert next(l for l in readme.splitlines() if l.startswith(f"| {REFERENCE} |")).endswith("| - | - | - |")
    lines.clear()
    run_precision(settings, echo=lines.append)                 # resumable: nothing is trained again
    assert not any(l.startswith("[step] train") for l in lines)
    # --report-only: the same report from the finished runs, the step log left as it was
    from dataclasses import replace
    log_before = (tmp_path / "runs" / "steps.json").read_bytes()
    lines.clear()
    run_precision(replace(settings, report_only=True), echo=lines.append)
    assert not any(l.startswith("[step] train") for l in lines)
    assert (tmp_path / "runs" / "steps.json").read_bytes() == log_before
    assert (tmp_path / "report" / "README.md").read_text().split("## Results")[1].split("## Per seed")[0] == \
        readme.split("## Results")[1].split("## Per seed")[0]
    with pytest.raises(ValueError, match="no finished run"):
        run_precision(replace(settings, report_only=True, runs=tmp_path / "empty"), echo=lines.append)


def test_script_reports_bad_overrides_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "precision_study.py"), "--set", "train.epochs",
                           "--out", str(tmp_path / "o"), "--runs", str(tmp_path / "r")],
                          capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "KEY=VALUE" in done.stderr
    assert not (tmp_path / "r").exists()


def test_the_report_names_the_setting_the_shipped_configs_and_the_study_train(monkeypatch):
    from vgbench.pipeline import study_spec
    from vgbench.pipeline.precision import shipped_settings
    assert shipped_settings() == ('The demo\'s caption -> image run trains as "float32, random batches" '
                                  '(`demo_caption_image`), the study as "float32, random batches" (its '
                                  '`--precision`/`--batches` defaults); the shipped configs keep '
                                  '`model.unknown_rows = "trainable"` and `data.standardise = "train"`.')
    monkeypatch.setattr(study_spec, "CPU_PRECISION", "bf16")
    monkeypatch.setattr(study_spec, "CPU_BATCHES", "bucketed")
    assert 'the study as "bf16, bucketed"' in shipped_settings()
