"""`make paper`: the paper's analyses on our data, resumable, CPU or GPU unchanged.

- Tables 7 / 10: loss ablations (L_FW; +L_BW; +L_B; +R with Te fine-tuned), intrinsic scores and
  SimLex sections;
- Table 8: the grounded dimension c;
- Table 6: [(1-alpha)·GloVe ; alpha·VGE] for alpha on a grid, best alpha per dataset.

Each training run is a config in baselines/; `budget_minutes` caps every run (the trainer stops
before an epoch that would end past it), so the whole study fits a CPU afternoon or runs in full
on a GPU (budget 0 = the configs' own epochs and early stopping).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.pipeline.steps import StepLog

TEXTUAL = "glove-6b-50d"
REPO = Path(__file__).resolve().parents[2]
SIX = ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999"]
ABLATIONS = (("L_FW", "baselines/ablation_fw.toml"), ("L_FW+L_BW", "baselines/ablation_fw_bw.toml"),
             ("L_FW+L_BW+L_B", "baselines/ablation_fw_bw_b.toml"),
             ("L_All+R", "baselines/ablation_all_r.toml"))
DIMENSIONS = (("c=256", "baselines/vge_c256.toml"), ("c=1024", "baselines/vge_c1024.toml"))


def dimension_runs(dims: list[int], config: str = "baselines/ablation_all_r.toml") -> tuple:
    """Table 8 for other values of c: the L_All+R ablation config with model.grounded_dim = c."""
    return tuple((f"c={c}", config, [f"model.grounded_dim={c}", f'name="ablation_all_r_c{c}"'])
                 for c in dims)
ALPHAS = tuple(round(a, 2) for a in np.linspace(0, 1, 11))


@dataclass
class PaperSettings:
    out: Path = Path("reports/paper")
    runs: Path = Path("runs/paper")
    budget_minutes: float = 0.0
    overrides: list[str] = field(default_factory=list)
    data_root: str | None = None
    n_boot: int = 1000
    ablations: tuple = ABLATIONS
    dimensions: tuple = DIMENSIONS
    alphas: tuple = ALPHAS

    def config_overrides(self) -> list[str]:
        extra = [f"out_dir={json.dumps(str(self.runs))}"]
        if self.budget_minutes:
            extra.append(f"train.time_limit_s={60 * self.budget_minutes:g}")
        if self.data_root:
            extra.append(f"data.data_root={json.dumps(self.data_root)}")
        return extra + list(self.overrides)


def run_paper(settings: PaperSettings, echo: Callable[[str], None] = print) -> Path:
    from vgbench.atomic import write_text_atomic
    from vgbench.evaluation.api import evaluate
    from vgbench.grounding.config import load_config
    from vgbench.grounding.trainer import train
    from vgbench.reporting import write_reports

    out, runs = settings.out, settings.runs
    runs.mkdir(parents=True, exist_ok=True)
    log = StepLog.open(runs / "steps.json")
    grounders: dict[str, Path] = {}
    for label, config, *extra in settings.ablations + settings.dimensions:
        cfg = load_config(REPO / config, settings.config_overrides() + (extra[0] if extra else []))
        run_dir = cfg.run_dir
        grounders[label] = run_dir / "grounder.pt"

        def _train(cfg=cfg, run_dir=run_dir):
            return train(cfg, resume=(run_dir / "last.pt").exists(), progress=True)
        log.run(f"train {label} ({config})", _train, done=(run_dir / "summary.json").exists, echo=echo,
                hint=f"rerun to resume from {run_dir}/last.pt")

    def _study(name: str, rows: tuple) -> None:
        folder = out / name
        sources = [TEXTUAL] + [str(grounders[row[0]]) for row in rows]
        names = ["GloVe"] + [row[0] for row in rows]
        results = evaluate(sources, names=names, n_boot=settings.n_boot, data_root=settings.data_root)
        results.settings["runs"] = {row[0]: str(grounders[row[0]].parent) for row in rows}
        write_reports(results, folder)

    log.run("Tables 7/10: loss ablations", lambda: _study("ablations", settings.ablations),
            done=(out / "ablations" / "results.json").exists, echo=echo)
    log.run("Table 8: grounded dimension c", lambda: _study("dimensions", settings.dimensions),
            done=(out / "dimensions" / "results.json").exists, echo=echo)

    best_label = settings.ablations[-1][0]

    def _concat() -> None:
        sources = [f"concat[alpha={a:g}]:{TEXTUAL},{grounders[best_label]}" for a in settings.alphas]
        results = evaluate(sources, SIX, names=[f"alpha={a:g}" for a in settings.alphas], n_boot=0,
                           paired_test="none", data_root=settings.data_root)
        table = concat_table(results, settings.alphas)
        folder = out / "concatenation"
        results.save_json(folder / "results.json")
        write_text_atomic(folder / "table6_concat.md", table_markdown(table, best_label))
        write_text_atomic(folder / "table6_concat.tex", table_latex(table, best_label))
        write_concat_chart(results, settings.alphas, folder)
    log.run("Table 6: concatenation with weight alpha", _concat,
            done=(out / "concatenation" / "table6_concat.md").exists, echo=echo)
    write_text_atomic(out / "README.md", paper_readme(settings, log))
    return out


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
    lines = [f"Table 6 on our data: [(1 - alpha) GloVe ; alpha {grounded}] (each part unit length), "
             "Spearman x 100. alpha = 0: GloVe only; alpha = 1: grounded only.", "",
             "| Dataset | best alpha | score at best alpha | alpha = 1 | alpha = 0 |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['dataset']} | {r['best_alpha']:.2f} | {r['best']:.1f} | {r['alpha1']:.1f} | {r['alpha0']:.1f} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def table_latex(rows: list[dict], grounded: str) -> str:
    body = [f"{r['dataset']} & {r['best_alpha']:.2f} & {r['best']:.1f} & {r['alpha1']:.1f} & {r['alpha0']:.1f} \\\\"
            for r in rows]
    return "\n".join(["\\begin{table}[t]", "\\centering", "\\begin{tabular}{lrrrr}", "\\toprule",
                      "Dataset & Best $\\alpha$ & Acc.\\ best $\\alpha$ & $\\alpha=1$ & $\\alpha=0$ \\\\",
                      "\\midrule", *body, "\\bottomrule", "\\end{tabular}",
                      f"\\caption{{Concatenation $[(1-\\alpha)G_w;\\alpha V_w]$ with V = {grounded.replace('_', chr(92) + '_')}.}}",
                      "\\end{table}", ""])


def write_concat_chart(results, alphas, folder: Path) -> None:
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
    steps = "\n".join(f"| {n} | {s['seconds'] / 60:.1f} min |" for n, s in log.steps.items())
    budget = (f"each training run capped at {settings.budget_minutes:g} minutes"
              if settings.budget_minutes else "the configs' own epochs and early stopping")
    return f"""# The paper's analyses on Flickr8k + GloVe 6B 50d

Made by `make paper` ({budget}; overrides: {' '.join(settings.overrides) or 'none'}).
Total {log.total_seconds() / 3600:.2f} hours.

- `ablations/`: Tables 7 and 10 — loss ablations, intrinsic table, SimLex sections, STS, paired tests.
- `dimensions/`: Table 8 — grounded dimension c.
- `concatenation/`: Table 6 — concatenation with weight alpha (`table6_concat.md/.tex/.png`).

| step | time |
|---|---|
{steps}
"""
