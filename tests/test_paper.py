"""`make paper` on tiny runs: the tables hold the rows asked for, Table 6 agrees with the scores it
was built from (best alpha the argmax, alpha = 0 GloVe's own score), a rerun reuses every step,
and EPOCHS=N fixes every run's epochs (no time cap)."""
from __future__ import annotations

import numpy as np
import pytest

from vgbench.datasets import registry
from vgbench.evaluation.results import Results
from vgbench.pipeline.paper import PaperSettings, run_paper


def test_epochs_setting_fixes_every_run_and_sets_no_time_cap():
    from vgbench.grounding.config import load_config
    from vgbench.pipeline.paper import ABLATIONS, DIMENSIONS
    s = PaperSettings(epochs=3)
    for _, config in ABLATIONS + DIMENSIONS:
        cfg = load_config(config).with_(*s.config_changes())
        assert cfg.train.epochs == 3 and cfg.train.time_limit_s == 0, config
    assert PaperSettings().config_changes() == [{"out_dir": "runs/paper"}, {}]


@pytest.mark.slow
def test_tiny_paper_run_writes_tables_6_7_8(tmp_path):
    s = PaperSettings(out=tmp_path / "paper", runs=tmp_path / "runs", n_boot=0, epochs=1,
                      changes={"data": {"limit_train": 400, "limit_dev": 200}, "model": {"grounded_dim": 16},
                               "train": {"keep_epoch_grounders": False}},
                      ablations=(("L_FW", "ablation_fw"),
                                 ("L_All+R", "ablation_all_r")),
                      dimensions=(("c=256", "vge_c256"),), alphas=(0.0, 0.5, 1.0))
    run_paper(s, echo=lambda _: None)
    out = s.out
    ablations = Results.load_json(out / "ablations" / "results.json")
    dimensions = Results.load_json(out / "dimensions" / "results.json")
    assert ablations.embedding_names() == ["GloVe", "L_FW", "L_All+R"]
    assert dimensions.embedding_names() == ["GloVe", "c=256"]
    for ds in registry.group("paper-similarity"):   # the same GloVe scored alike in both studies
        assert dimensions.get("GloVe", ds).value == ablations.get("GloVe", ds).value
    # Table 6 against the concatenation's own scores: the best alpha is their argmax, and alpha = 0
    # (GloVe's unit vectors, the grounded part weighted 0) scores what GloVe alone scores
    concat = Results.load_json(out / "concatenation" / "results.json")
    table = (out / "concatenation" / "table6_concat.md").read_text().splitlines()
    rows = {line.split("|")[1].strip(): [float(c) for c in line.split("|")[2:6]]
            for line in table if line.startswith("| ") and not line.startswith("| Dataset")}
    assert list(rows) == list(registry.group("paper-similarity"))
    for ds, (best_alpha, at_best, alpha1, alpha0) in rows.items():
        scores = [concat.get(f"alpha={a:g}", ds).value for a in s.alphas]
        assert best_alpha == pytest.approx(s.alphas[int(np.nanargmax(scores))])
        assert at_best == pytest.approx(max(scores), abs=0.051)
        assert (alpha1, alpha0) == (pytest.approx(scores[-1], abs=0.051), pytest.approx(scores[0], abs=0.051))
        assert alpha0 == pytest.approx(ablations.get("GloVe", ds).value, abs=0.2)
    readme = (out / "README.md").read_text()
    assert "Tables 7 and 10" in readme and "1 epoch per training run" in readme
    lines: list[str] = []
    run_paper(s, echo=lines.append)
    assert sum(line.startswith("[skip]") for line in lines) == 6
    assert "reused (same inputs" in (out / "README.md").read_text()
