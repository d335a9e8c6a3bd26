"""`make demo`'s quick variant end to end (CI's smoke test of the main job), and its resumability."""
from __future__ import annotations

import json

import pytest

from vgbench.pipeline.demo import DemoSettings, run_demo


@pytest.mark.slow
def test_quick_demo_writes_the_report_and_resumes(tmp_path):
    settings = DemoSettings(out=tmp_path / "report", runs=tmp_path / "runs", quick=True)
    lines: list[str] = []
    run_demo(settings, echo=lines.append)
    out = settings.out
    for name in ("README.md", "table1_intrinsic.tex", "table3_simlex.tex", "table4_sts.tex", "tables.md",
                 "simlex_concreteness.png", "neighbors.md", "spectrum.png", "results.json"):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "results.json").read_text())
    assert list(results["embeddings"]) == ["GloVe", "GloVe+ABTT", "C_GloVe", "VGE", "VGE+ABTT"]
    glove_men = next(s for s in results["scores"] if s["embedding"] == "GloVe" and s["dataset"] == "MEN")
    assert round(glove_men["value"], 1) == 65.7
    baselines = {t["embedding_a"] for t in results["tests"]}
    assert baselines == {"GloVe", "GloVe+ABTT"}
    readme = (out / "README.md").read_text()
    assert "| train VGE" in readme and "Nearest neighbours" in readme
    # a rerun skips every finished step
    again: list[str] = []
    run_demo(settings, echo=again.append)
    assert sum(line.startswith("[skip]") for line in again) == 6
