"""`make paper` on a tiny budget: every table is written, and Table 6's best alpha is the argmax."""
from __future__ import annotations

import pytest

from vgbench.pipeline.paper import PaperSettings, run_paper


@pytest.mark.slow
def test_tiny_paper_run_writes_tables_6_7_8(tmp_path):
    s = PaperSettings(out=tmp_path / "paper", runs=tmp_path / "runs", n_boot=0,
                      overrides=["data.limit_train=400", "data.limit_dev=200", "train.epochs=1",
                                 "model.grounded_dim=16", "train.keep_epoch_grounders=false"],
                      ablations=(("L_FW", "baselines/ablation_fw.toml"),
                                 ("L_All+R", "baselines/ablation_all_r.toml")),
                      dimensions=(("c=256", "baselines/vge_c256.toml"),), alphas=(0.0, 0.5, 1.0))
    run_paper(s, echo=lambda _: None)
    out = s.out
    assert (out / "ablations" / "table3_simlex.tex").exists()
    assert (out / "dimensions" / "table1_intrinsic.tex").exists()
    table = (out / "concatenation" / "table6_concat.md").read_text().splitlines()
    rows = [line.split("|")[1:-1] for line in table if line.startswith("| RW") or line.startswith("| MEN")]
    for cells in rows:
        best, at_best, alpha1, alpha0 = (float(c) for c in cells[1:5])
        assert at_best >= max(alpha1, alpha0)
    assert "Tables 7 and 10" in (out / "README.md").read_text()
