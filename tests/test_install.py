"""vgbench works anywhere: a wheel built from this checkout, installed into a fresh virtual
environment, evaluates GloVe 6B 50d from an empty folder with no data root, no $VGBENCH_DATA and
an empty home, and reproduces the reference figures from the benchmark files it ships."""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# dataset, section, metric -> value x100 (the reference figures of tests/test_evaluation.py, GloVe 6B 50d)
EXPECTED = {("RW", "All", "spearman"): 34.03, ("MEN", "All", "spearman"): 65.74,
            ("WS353", "All", "spearman"): 50.33, ("MTurk-771", "All", "spearman"): 55.42,
            ("SimVerb-3500", "All", "spearman"): 15.26, ("SimLex-999", "All", "spearman"): 26.46,
            ("SimLex-999", "Conc-q4", "spearman"): 25.53, ("STS12", "mean", "pearson"): 44.30,
            ("STS13", "mean", "pearson"): 42.18, ("STS14", "mean", "pearson"): 47.06,
            ("STS15", "mean", "pearson"): 47.25, ("STS16", "mean", "pearson"): 42.42,
            ("RG-65", "All", "spearman"): 59.46, ("Card-660", "All", "spearman"): 47.26,
            ("STSB", "mean", "pearson"): 32.67, ("SICK-R", "mean", "spearman"): 49.75}


def _run(cmd, cwd, env):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
def test_wheel_installed_elsewhere_reproduces_the_reference_figures(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "vgbench", src / "vgbench", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VGBENCH_DATA", "VGBENCH_CACHE", "XDG_CACHE_HOME", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "-w", tmp_path / "dist", src], tmp_path, env)
    wheel = next((tmp_path / "dist").glob("vgbench-*.whl"))

    # A fresh environment that borrows the dependencies (numpy, GloVe package...) of this one
    # through a .pth file, so nothing is downloaded, but holds its own vgbench.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    python = venv / "bin" / "python"
    own_site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         tmp_path, env).strip())
    (own_site / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel],
         tmp_path, env)

    work, home = tmp_path / "empty", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env["HOME"] = str(home)
    where = _run([python, "-c", "import vgbench; print(vgbench.__file__)"], work, env)
    assert Path(where.strip()).is_relative_to(venv), where
    out = _run([venv / "bin" / "vgbench", "eval", "glove-6b-50d", "--datasets",
                "paper,rg65,card660,stsb,sick-r", "--bootstrap", "0", "--out", "out", "--no-charts"],
               work, env)
    assert "SimLex-999" in out and "STSB" in out
    results = json.loads((work / "out" / "results.json").read_text())
    got = {(s["dataset"], s["section"], s["metric"]): s["value"] for s in results["scores"]}
    for key, value in EXPECTED.items():
        assert got[key] == pytest.approx(value, abs=0.006), key
    assert sorted(p.name for p in work.iterdir()) == ["out"]  # nothing else written where it ran
