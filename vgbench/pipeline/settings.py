"""What every pipeline run (demo, paper, study, precision) is given: where it writes its report,
where its resumable steps live, the data root and the bootstrap count. One base, so a setting that
every run shares has one name and one default."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vgbench.evaluation.policy import DEFAULT


@dataclass
class RunSettings:
    """The settings every pipeline shares; each pipeline's own settings extend it."""
    out: Path = Path("reports")
    runs: Path = Path("runs")
    data_root: str | None = None       # benchmark and caption data a user brings (else the shipped data)
    n_boot: int = DEFAULT.n_boot       # bootstrap resamples of every CI and test
