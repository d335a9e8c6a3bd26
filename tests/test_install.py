"""vgbench works anywhere: a wheel built from this checkout, installed into a fresh virtual
environment, evaluates GloVe 6B 50d from an empty folder with no data root, no $VGBENCH_DATA and
an empty home, and reproduces the reference figures from the benchmark files it ships.

`pip install vgbench` is the whole set-up: the wheel installed with pip resolving its own
dependencies (no requirements.txt) evaluates a vector file without torch, and with `[train]` runs
the demo from an empty folder (torch pinned by requirements.txt as a constraint only, so pip takes
the release this machine serves instead of resolving a newer CUDA build)."""
from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
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


def _run(cmd, cwd, env, timeout=300):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "VGBENCH_DATA", "VGBENCH_CACHE", "XDG_CACHE_HOME", "VIRTUAL_ENV",
                         "VGBENCH_RESULTS_CACHE")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from this checkout's files (what `python -m build` would package)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "vgbench", src / "vgbench", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "-w", tmp / "dist", src], tmp, _clean_env())
    return next((tmp / "dist").glob("vgbench-*.whl"))


def _fresh_venv(where: Path, env: dict) -> Path:
    """A new virtual environment with its own pip and nothing else; returns its python."""
    _run([sys.executable, "-m", "venv", where], where.parent, env)
    return where / "bin" / "python"


def _empty_home_and_folder(tmp_path: Path, env: dict) -> Path:
    work, home = tmp_path / "empty", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env["HOME"] = str(home)
    return work


def test_wheel_ships_its_resources_and_metadata(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    for shipped in ("vgbench/py.typed", "vgbench/configs/vge.toml", "vgbench/configs/demo_vge.toml",
                    "vgbench/data/MANIFEST.json", "vgbench/data/flickr8k/SHA256SUMS",
                    "vgbench/data/flickr8k/captions.txt.gz",
                    "vgbench/data/flickr8k/features/efficientnet_lite0.f16.npy"):
        assert shipped in names, shipped
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in meta and "Requires-Python: >=3.11" in meta
    core = [ln for ln in meta.splitlines() if ln.startswith("Requires-Dist:") and "extra ==" not in ln]
    assert not [ln for ln in core if re.search(r"torch|gensim|kumo|pyarrow|pillow", ln, re.I)], core
    assert "Provides-Extra: train" in meta and "Provides-Extra: glove" in meta


def _men_word2vec(path: Path) -> dict:
    """A small word2vec text file over MEN's words (header line, 8 dimensions); returns the
    Spearman x100 on MEN that an independent computation (scipy on the cosines) gives."""
    import numpy as np
    from scipy.stats import spearmanr
    from vgbench.datasets import load_similarity
    men = load_similarity("MEN")
    words = sorted(set(men.word1) | set(men.word2))[::2]  # half the words: coverage below 100%
    rng = np.random.default_rng(7)
    vec = {w: rng.normal(size=8).round(4) for w in words}
    path.write_text(f"{len(words)} 8\n" + "".join(f"{w} {' '.join(map(str, vec[w]))}\n" for w in words))
    gold, pred = [], []
    for a, b, g in zip(men.word1, men.word2, men.gold):
        if a in vec and b in vec:
            u, v = vec[a].astype(np.float64), vec[b].astype(np.float64)
            gold.append(g)
            pred.append(u @ v / np.linalg.norm(u) / np.linalg.norm(v))
    return {"spearman": 100 * spearmanr(gold, pred).statistic, "pairs": len(gold)}


@pytest.mark.slow
def test_pip_install_alone_evaluates_a_vector_file_without_torch(wheel, tmp_path):
    """No requirements.txt, no borrowed packages: pip resolves pyproject's core dependencies."""
    env = _clean_env()
    python = _fresh_venv(tmp_path / "venv", env)
    _run([python, "-m", "pip", "install", "-q", wheel], tmp_path, env, timeout=900)
    work = _empty_home_and_folder(tmp_path, env)
    expected = _men_word2vec(work / "vectors.txt")

    out = _run([tmp_path / "venv" / "bin" / "vgbench", "eval", "vectors.txt", "--datasets", "MEN",
                "--bootstrap", "0", "--out", "report"], work, env)
    assert "MEN" in out
    results = json.loads((work / "report" / "results.json").read_text())
    [men] = [s for s in results["scores"] if s["dataset"] == "MEN" and s["section"] == "All"]
    assert men["value"] == pytest.approx(expected["spearman"], abs=1e-6)
    assert (work / "report" / "index.html").is_file()  # every report, charts included

    code = ("import sys, vgbench; r = vgbench.evaluate(['vectors.txt'], ['MEN'], n_boot=0); "
            "s = [s for s in r.scores if s.dataset == 'MEN' and s.section == 'All'][0]; "
            "print(s.value); assert 'torch' not in sys.modules, 'torch imported'")
    value = float(_run([python, "-c", code], work, env).split()[-1])
    assert value == pytest.approx(expected["spearman"], abs=1e-6)
    installed = _run([python, "-m", "pip", "list", "--format=freeze"], work, env).lower()
    assert "torch" not in installed and "gensim" not in installed and "pyarrow" not in installed

    for command in ("paper", "study", "train", "ground", "demo"):  # help needs no extra
        assert "usage: vgbench" in _run([tmp_path / "venv" / "bin" / "vgbench", command, "--help"], work, env)

    # an extra that is missing: one line that names the install, exit 3
    done = subprocess.run([tmp_path / "venv" / "bin" / "vgbench", "train", "demo_vge"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3 and "pip install 'vgbench[train]'" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.slow
def test_pip_install_train_extra_runs_the_demo_from_an_empty_folder(wheel, tmp_path):
    env = _clean_env()
    python = _fresh_venv(tmp_path / "venv", env)
    # requirements.txt only as constraints: the versions `make` pins (torch==2.13.0, the build this
    # machine serves), never a package that pyproject does not ask for
    _run([python, "-m", "pip", "install", "-q", "-c", REPO / "requirements.txt", f"{wheel}[train]"],
         tmp_path, env, timeout=900)
    work = _empty_home_and_folder(tmp_path, env)
    vgbench = tmp_path / "venv" / "bin" / "vgbench"
    for command in ("paper", "study", "train", "ground", "demo"):
        assert "usage: vgbench" in _run([vgbench, command, "--help"], work, env)

    _run([vgbench, "demo", "--quick"], work, env, timeout=1200)
    readme = (work / "reports" / "demo-quick" / "README.md").read_text()
    assert "vgbench/data/flickr8k/`), SHA-256 checked" in readme
    results = json.loads((work / "reports" / "demo-quick" / "results.json").read_text())
    glove_men = next(s for s in results["scores"] if s["embedding"] == "GloVe" and s["dataset"] == "MEN")
    assert round(glove_men["value"], 1) == 65.7
    grounder = work / "runs" / "demo-quick" / "demo_vge" / "grounder.pt"
    assert grounder.is_file()

    # the trained grounder grounds a user's vectors; a shipped config trains by name
    vectors = work / "vectors.txt"
    vectors.write_text("".join(f"{w} " + " ".join(["0.1"] * 50) + "\n" for w in ("dog", "cat", "car")))
    _run([vgbench, "ground", grounder, "--vectors", vectors, "--out", "grounded.txt", "--no-progress"],
         work, env)
    assert len((work / "grounded.txt").read_text().splitlines()) >= 3
    _run([vgbench, "train", "demo_c_glove", "--no-progress", "--set", "train.epochs=1",
          "--set", "data.limit_train=200", "--set", "data.limit_dev=100", "--set", "model.grounded_dim=8"],
         work, env, timeout=600)
    assert (work / "runs" / "demo_c_glove" / "best.pt").is_file()
    assert sorted(p.name for p in work.iterdir()) == ["grounded.txt", "reports", "runs", "vectors.txt"]


@pytest.mark.slow
def test_wheel_installed_elsewhere_reproduces_the_reference_figures(wheel, tmp_path):
    env = _clean_env()

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

    work = _empty_home_and_folder(tmp_path, env)
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
