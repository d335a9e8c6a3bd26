"""A step's code fingerprint covers the modules the step imports, found from the code itself:
a change the evaluation can reach (the grounder it loads checkpoints with) reruns it; a change
it cannot reach (a report table) does not."""
from __future__ import annotations

import shutil

import pytest

from vgbench.pipeline import fingerprint as fp


def test_evaluation_covers_the_grounder_it_loads_checkpoints_with():
    modules = fp.imported_modules(fp.EVALUATION)
    assert "vgbench.grounding.grounder" in modules          # via sources, a function-level import
    assert "vgbench.grounding.model" in modules             # and what the grounder imports
    assert "vgbench.evaluation" in modules                  # packages whose __init__ runs
    assert not any(m.startswith("vgbench.reporting") for m in modules)
    assert "vgbench.grounding.trainer" not in modules


def test_training_covers_its_dev_scores_and_caption_data():
    modules = fp.imported_modules(fp.TRAINING)
    assert {"vgbench.evaluation.dev_scores", "vgbench.caption_data.dataset",
            "vgbench.datasets.registry"} <= set(modules)


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """The package's Python files in a scratch folder, fingerprinted from there."""
    copy = tmp_path / "vgbench"
    shutil.copytree(fp.PACKAGE, copy, ignore=lambda d, names: [
        n for n in names if not n.endswith(".py") and not (fp.PACKAGE / d / n).is_dir()
        or n in ("data", "__pycache__")])
    monkeypatch.setattr(fp, "PACKAGE", copy)
    monkeypatch.setattr(fp, "_SOURCES", {})
    return copy


def test_a_change_the_step_can_reach_changes_its_fingerprint(package_copy):
    before = fp.source_digest(fp.EVALUATION)
    tables = package_copy / "reporting" / "tables.py"
    tables.write_text(tables.read_text() + "\n# a report-only change\n")
    fp._SOURCES.clear()
    assert fp.source_digest(fp.EVALUATION) == before
    grounder = package_copy / "grounding" / "grounder.py"
    grounder.write_text(grounder.read_text() + "\n# a change in grounding/\n")
    fp._SOURCES.clear()
    assert fp.source_digest(fp.EVALUATION) != before


def test_a_missing_entry_module_is_named():
    with pytest.raises(FileNotFoundError, match="vgbench.evaluation.nope"):
        fp.imported_modules(["vgbench.evaluation.nope"])


def test_every_step_kind_names_modules_that_exist():
    """Each kind's entries resolve (a path-style or misspelt entry fails here, not mid-run)."""
    for kind in (fp.EVALUATION, fp.TRAINING, fp.GROUNDING, fp.NEIGHBOURS, fp.STUDY_TESTS):
        assert fp.source_digest(kind)
    assert {"vgbench.evaluation.hierarchical", "vgbench.evaluation.concreteness",
            "vgbench.evaluation.statistics"} <= set(fp.imported_modules(fp.STUDY_TESTS))
