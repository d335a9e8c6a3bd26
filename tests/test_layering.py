"""The import layering of pyproject.toml ([tool.importlinter]) holds, function-level imports
included; and training, which sits below evaluation, gets its per-epoch scores injected."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_no_part_imports_a_part_above_it():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


def test_training_with_per_epoch_scores_needs_an_injected_evaluator(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from _vge_synthetic import make_task
    from vgbench.grounding.config import load_config
    from vgbench.grounding.trainer import Trainer
    ds, textual = make_task(n_images=30)
    cfg = load_config(None, [f'out_dir="{tmp_path}"', "train.eval_each_epoch=true"])
    with pytest.raises(ValueError, match="needs an evaluator.*dev_scorer"):
        Trainer(cfg, ds, textual, progress=False)


def test_dev_scorer_scores_as_the_evaluation_suite():
    """The identity grounder of GloVe 6B 50d scores on the dev splits what vgbench.evaluate gives."""
    import vgbench
    from vgbench.evaluation.dev_scores import dev_scorer
    from vgbench.grounding.grounder import Grounder
    scores = dev_scorer(["men-dev", "simverb-dev"])(Grounder(np.eye(50, dtype=np.float32),
                                                             textual="glove-6b-50d"))
    ref = vgbench.evaluate(["glove-6b-50d"], ["MEN-dev", "SimVerb-dev"], n_boot=0)
    assert scores["men-dev"] == pytest.approx(ref.get("glove-6b-50d", "MEN-dev").value, abs=1e-6)
    assert scores["simverb-dev"] == pytest.approx(ref.get("glove-6b-50d", "SimVerb-dev").value, abs=1e-6)
