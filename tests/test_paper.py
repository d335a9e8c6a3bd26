"""`make paper` on tiny runs: every table is written, Table 6's best alpha is the argmax, a rerun reuses
every step, and EPOCHS=N fixes every run's epochs (no time cap)."""
from __future__ import annotations

import pytest

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
    assert (out / "ablations" / "table3_simlex.tex").exists()
    assert (out / "dimensions" / "table1_intrinsic.tex").exists()
    table = (out / "concatenation" / "table6_concat.md").read_text().splitlines()
    rows = [line.split("|")[1:-1] for line in table if line.startswith("| RW") or line.startswith("| MEN")]
    for cells in rows:
        best, at_best, alpha1, alpha0 = (float(c) for c in cells[1:5])
        assert at_best >= max(alpha1, alpha0)
    readme = (out / "README.md").read_text()
    assert "Tables 7 and 10" in readme and "1 epoch per training run" in readme
    lines: list[str] = []
    run_paper(s, echo=lines.append)
    assert sum(line.startswith("[skip]") for line in lines) == 6
    assert "reused (same inputs" in (out / "README.md").read_text()
