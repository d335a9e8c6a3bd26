"""`make paper`: the paper's analyses on our data, resumable, CPU or GPU unchanged.

- Tables 7 / 10: loss ablations (L_FW; +L_BW; +L_B; +R with Te fine-tuned), intrinsic scores and
  SimLex sections;
- Table 8: the grounded dimension c;
- Table 6: [(1-alpha)·GloVe ; alpha·VGE] for alpha on a grid, best alpha per dataset.

Each training run is a config shipped in vgbench/configs/; `epochs` sets every run's number of epochs (0 = the
configs' own epochs and early stopping), so a CPU afternoon and a GPU give the same tables for the
same setting: a fixed amount of training, never a time cap. Steps are recorded with fingerprints
under the runs folder as in the demo (vgbench.pipeline.steps); reports/paper is rebuilt from them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.datasets import registry
from vgbench.pipeline.runner import Evaluate, Experiment, Train
from vgbench.pipeline.settings import RunSettings
from vgbench.pipeline.steps import StepLog

TEXTUAL = "glove-6b-50d"
SIX = list(registry.group("paper-similarity"))
ABLATIONS = (("L_FW", "ablation_fw"), ("L_FW+L_BW", "ablation_fw_bw"),
             ("L_FW+L_BW+L_B", "ablation_fw_bw_b"),
             ("L_All+R", "ablation_all_r"))
DIMENSIONS = (("c=256", "vge_c256"), ("c=1024", "vge_c1024"))


def dimension_runs(dims: list[int], config: str = "ablation_all_r") -> tuple:
    """Table 8 for other values of c: the L_All+R ablation config with model.grounded_dim = c
    (each row: label, config, the changes `Config.with_` applies after the settings' own)."""
    return tuple((f"c={c}", config, {"model": {"grounded_dim": c}, "name": f"ablation_all_r_c{c}"})
                 for c in dims)


ALPHAS = tuple(round(a, 2) for a in np.linspace(0, 1, 11))


@dataclass
class PaperSettings(RunSettings):
    """The paper run: epochs per training run (0: the configs' own), overrides and the grids it trains."""
    out: Path = Path("reports/paper")
    runs: Path = Path("runs/paper")
    epochs: int = 0
    changes: dict = field(default_factory=dict)   # applied to every training config (`--set`)
    ablations: tuple = ABLATIONS
    dimensions: tuple = DIMENSIONS
    alphas: tuple = ALPHAS

    def config_changes(self) -> list[dict]:
        """What the paper run changes in every training config, in order (`Config.with_`)."""
        own: dict = {"out_dir": str(self.runs)}
        if self.epochs:
            own["train"] = {"epochs": self.epochs}
        if self.data_root:
            own["data"] = {"data_root": self.data_root}
        return [own, self.changes]

    def train_rows(self) -> tuple[Train, ...]:
        """Every model the paper run trains (the ablations, then the dimensions), as runner rows."""
        return tuple(Train(label, config, tuple(extra)) for label, config, *extra in self.ablations + self.dimensions)

    def evaluations(self) -> dict[str, Evaluate]:
        """The paper run as the runner's evaluation steps: Tables 7/10 and 8 beside GloVe, and
        Table 6's concatenations of GloVe with the full model on the six sets."""
        def beside_glove(title: str, folder: str, rows: tuple) -> Evaluate:
            return Evaluate(title, folder, (TEXTUAL, *(f"{{train:{row[0]}}}" for row in rows)),
                            ("GloVe", *(row[0] for row in rows)), record_runs=True)
        best = self.ablations[-1][0]
        return {"ablations": beside_glove("Tables 7/10: loss ablations", "ablations", self.ablations),
                "dimensions": beside_glove("Table 8: grounded dimension c", "dimensions", self.dimensions),
                "concatenation": Evaluate(
                    "Table 6: concatenation with weight alpha", "concatenation",
                    tuple(f"concat[alpha={a:g}]:{TEXTUAL},{{train:{best}}}" for a in self.alphas),
                    tuple(f"alpha={a:g}" for a in self.alphas),
                    {"datasets": SIX, "n_boot": 0, "paired_test": "none"})}


TITLE = "# The paper's analyses"


def run_paper(settings: PaperSettings, echo: Callable[[str], None] = print) -> Path:
    """Train, evaluate and report the paper's Tables 6, 7/10 and 8 as resumable steps under
    `settings.runs`; returns the report folder (rebuilt from the steps every time)."""
    from vgbench.atomic import write_text_atomic
    from vgbench.evaluation.results import Results
    from vgbench.reporting import write_reports

    exp = Experiment(settings, TEXTUAL, echo)
    for row in settings.train_rows():
        exp.train(row, settings.config_changes())
    results = {name: exp.evaluate(spec) for name, spec in settings.evaluations().items()}

    with exp.report(TITLE) as out:
        for name in ("ablations", "dimensions"):
            write_reports(Results.load_json(results[name]), out / name)
        folder = out / "concatenation"
        concatenation = Results.load_json(results["concatenation"])
        table = concat_table(concatenation, settings.alphas)
        concatenation.save_json(folder / "results.json")
        best_label = settings.ablations[-1][0]
        write_text_atomic(folder / "table6_concat.md", table_markdown(table, best_label))
        write_text_atomic(folder / "table6_concat.tex", table_latex(table, best_label))
        write_concat_chart(concatenation, settings.alphas, folder)
        write_text_atomic(out / "README.md", paper_readme(settings, exp.log))
    return settings.out


def concat_table(results, alphas) -> list[dict]:
    """Per dataset: the best alpha, the score there, and the score at alpha = 1 (grounded only)."""
    rows = []
    for ds in SIX:
        scores = [results.get(f"alpha={a:g}", ds).value for a in alphas]
        best = int(np.nanargmax(scores))
        rows.append({"dataset": ds, "best_alpha": alphas[best], "best": scores[best],
                     "alpha1": scores[-1], "alpha0": scores[0], "scores": scores})
    return rows


def table_markdown(rows: list[dict], grounded: str) -> str:
    """Table 6 as Markdown: per dataset the best alpha of the concatenation, its score and
    the two ends (grounded only, GloVe only)."""
    lines = [f"Table 6 on our data: [(1 - alpha) GloVe ; alpha {grounded}] (each part unit length), "
             "Spearman x 100. alpha = 0: GloVe only; alpha = 1: grounded only.", "",
             "| Dataset | best alpha | score at best alpha | alpha = 1 | alpha = 0 |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['dataset']} | {r['best_alpha']:.2f} | {r['best']:.1f} | {r['alpha1']:.1f} | {r['alpha0']:.1f} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def table_latex(rows: list[dict], grounded: str) -> str:
    """Table 6 as a float that fits a two-column paper (`render.latex_float` measures it)."""
    from vgbench.reporting.render import latex_float, tex_escape
    body = [f"{tex_escape(r['dataset'])} & {r['best_alpha']:.2f} & {r['best']:.1f} & "
            f"{r['alpha1']:.1f} & {r['alpha0']:.1f} \\\\" for r in rows]
    header = ["Dataset", "Best $\\alpha$", "At best $\\alpha$", "$\\alpha=1$", "$\\alpha=0$"]
    caption = (f"Concatenation $[(1-\\alpha)G_w;\\alpha V_w]$ with V = {tex_escape(grounded)} "
               "(Spearman $\\times$ 100).")
    return latex_float("concat", caption, "lrrrr", header, body, [])


def write_concat_chart(results, alphas, folder: Path) -> None:
    """The Table 6 chart: each dataset's Spearman against alpha, written as PNG and PDF."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from vgbench.atomic import write_bytes_atomic
    from vgbench.reporting.charts import render
    fig = Figure(figsize=(6.4, 3.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for ds in SIX:
        ax.plot(alphas, [results.get(f"alpha={a:g}", ds).value for a in alphas], marker="o", ms=3, label=ds)
    ax.set_xlabel("alpha (0 = GloVe only, 1 = grounded only)")
    ax.set_ylabel("Spearman's ρ × 100")
    ax.legend(fontsize=7, ncol=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    for fmt, data in render(fig).items():
        write_bytes_atomic(folder / f"table6_concat.{fmt}", data)


def paper_readme(settings: PaperSettings, log: StepLog) -> str:
    """The paper report's README: what was run with which settings, and the steps table
    (reused or run now, with their times)."""
    from vgbench.grounding.config import describe_changes
    steps = log.table().to_markdown()
    plural = "s" if settings.epochs != 1 else ""
    training = (f"{settings.epochs} epoch{plural} per training run" if settings.epochs
                else "the configs' own epochs and early stopping")
    return f"""{TITLE} on Flickr8k + GloVe 6B 50d

Made by `make paper` ({training}; overrides: {' '.join(describe_changes(settings.changes)) or 'none'}).
The steps took {log.total_seconds(list(log.current())) / 3600:.2f} hours;
each is recorded in `{settings.runs}/steps.json` with a fingerprint of its inputs.

- `ablations/`: Tables 7 and 10 — loss ablations, intrinsic table, SimLex sections, STS, paired tests.
- `dimensions/`: Table 8 — grounded dimension c.
- `concatenation/`: Table 6 — concatenation with weight alpha (`table6_concat.md/.tex/.png`).

{steps}
"""
