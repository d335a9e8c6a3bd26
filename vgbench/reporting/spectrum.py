"""How grounding reshapes the space: explained variance of the top principal directions.

A few dominant directions (GloVe's common direction among them) inflate every cosine; ABTT
removes them, and a learned mapping M can stretch or flatten them. This chart puts the spectra
of several embeddings side by side, on their N most frequent words.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from vgbench.atomic import write_bytes_atomic, write_text_atomic
from vgbench.embeddings.core import Embeddings
from vgbench.embeddings.postprocess import DEFAULT_FIT_ROWS, explained_variance
from vgbench.reporting.charts import PAGE_WIDTH, render, styles
from vgbench.reporting.escape import csv_frame


def spectra(embeddings: Sequence[Embeddings], fit_rows: int = DEFAULT_FIT_ROWS,
            top: int = 20) -> dict[str, np.ndarray]:
    """{embedding name: explained-variance ratio of its top `top` directions}."""
    return {e.name: explained_variance(e, fit_rows, min(top, e.dim)) for e in embeddings}


def spectrum_chart(ratios: dict[str, np.ndarray], fit_rows: int = DEFAULT_FIT_ROWS) -> Figure:
    """Explained variance per principal direction, one line per embedding (styles shared with
    the other charts); the rank axis has integer ticks only."""
    fig = Figure(figsize=(PAGE_WIDTH * 0.8, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    st = styles(list(ratios))
    for name, ratio in ratios.items():
        ax.plot(np.arange(1, len(ratio) + 1), 100 * ratio, ms=3, lw=1.2, label=name, **st[name])
    ax.set_xlim(0.5, max(len(r) for r in ratios.values()) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.set_xlabel("principal direction (rank)")
    ax.set_ylabel("explained variance (%)")
    ax.set_title(f"Top principal directions of the {fit_rows:,} most frequent words", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, frameon=False)
    return fig


def write_spectrum(embeddings: Sequence[Embeddings], out_dir: str | os.PathLike,
                   fit_rows: int = DEFAULT_FIT_ROWS, top: int = 20) -> list[Path]:
    """Write spectrum.png, spectrum.pdf and spectrum.csv (one column per embedding) to out_dir."""
    out = Path(out_dir)
    ratios = spectra(embeddings, fit_rows, top)
    files = render(spectrum_chart(ratios, fit_rows))
    written = [write_bytes_atomic(out / f"spectrum.{fmt}", data) for fmt, data in files.items()]
    rows = max(len(r) for r in ratios.values())
    table = pd.DataFrame({name: [float(r[i]) if i < len(r) else None for i in range(rows)]
                          for name, r in ratios.items()}, index=pd.RangeIndex(1, rows + 1, name="rank"))
    written.append(write_text_atomic(out / "spectrum.csv", csv_frame(table).to_csv(float_format="%.6f")))
    return written
