"""`write_reports`: every report file of a run, written into one folder.

Why render first, write second: every table and chart is built in memory before the first file
is touched, so a failure while rendering leaves the folder as it was. The files are then written
into a staging folder that replaces the output folder as a whole (vgbench.atomic.atomic_output_dir):
the folder ends with exactly this run's reports, and a kill or a full disk leaves the previous ones.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable

from vgbench.atomic import atomic_output_dir, check_output_dir
from vgbench.evaluation.policy import DEFAULT, STS_AGGREGATE, STS_METRIC
from vgbench.evaluation.results import Results
from vgbench.reporting import html, tables
from vgbench.reporting.escape import csv_frame
from vgbench.reporting.policy import setting

log = logging.getLogger(__name__)

FORMATS = ("md", "tex", "csv", "json", "html")


def captions(level: float) -> dict[str, str]:
    """The charts' captions in index.html, their CI level the one the results were scored at."""
    ci = f"{100 * level:g}% CIs"
    return {"simlex_concreteness": f"SimLex-999 by concreteness quartile ({ci})",
            "simlex_sections": f"SimLex-999 sections ({ci})",
            "datasets": f"Every dataset per embedding ({ci})",
            "concreteness": "Spearman by concreteness quintile over every pair of the word-"
                            "similarity sets, and the difference against the baseline with its "
                            "paired-bootstrap band, joint over the bins"}


def render_reports(results: Results, formats: Iterable[str] = FORMATS, charts: bool = True,
                   sts_metric: str = STS_METRIC, sts_aggregate: str = STS_AGGREGATE,
                   latex_ci: bool = False) -> dict[str, bytes]:
    """{file name: contents} of every report file, nothing written yet."""
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(map(repr, unknown))}: expected "
                         f"some of {', '.join(FORMATS)}")
    files: dict[str, bytes] = {}
    results.adjust_family()  # tests.csv/results.json store the family and p the tables show
    from vgbench.reporting.summary import build_summary, summary_markdown
    summary = build_summary(results)
    if "md" in formats or "html" in formats:  # the first screen of every report folder
        files["summary.md"] = summary_markdown(summary).encode()
    conc = _concreteness(results)
    conc_tables = conc.tables() if conc is not None else []
    if "json" in formats:  # same content as Results.save_json, rendered up front
        files["results.json"] = results.to_json().encode()
    if "csv" in formats:
        files["scores.csv"] = csv_frame(results.frame()).to_csv(index=False).encode()
        if results.tests:
            files["tests.csv"] = csv_frame(results.tests_frame()).to_csv(index=False).encode()
        if conc is not None:
            files["concreteness_pairs.csv"] = conc.pairs.to_csv().encode()
    if "md" in formats:
        files["tables.md"] = tables.markdown_report(results, extra=conc_tables).encode()
    if "tex" in formats:
        for stem, text in tables.latex_tables(results, sts_metric, sts_aggregate,
                                              ci=latex_ci).items():
            files[f"{stem}.tex"] = text.encode()
        if conc is not None:
            files["concreteness.tex"] = "\n".join(
                t.to_latex(ci=latex_ci) for t in conc_tables[:2]).encode()
    pngs: dict[str, bytes] = {}
    if charts:
        from vgbench.reporting import charts as charts_mod  # matplotlib only when drawing
        from vgbench.reporting.report_charts import all_charts
        figures = all_charts(results, sts_metric, sts_aggregate)
        if conc is not None:
            from vgbench.reporting.concreteness import concreteness_chart
            figures["concreteness"] = concreteness_chart(conc, results)
        for stem, fig in figures.items():
            for fmt, data in charts_mod.render(fig).items():
                files[f"{stem}.{fmt}"] = data
            pngs[stem] = files[f"{stem}.png"]
    if "html" in formats:
        page = html.html_report(results, tables.report_tables(results) + conc_tables, pngs,
                                captions(_level(results)), summary=summary)
        files["index.html"] = page.encode()
    return files


def _level(results: Results) -> float:
    """The CI level the results were scored at (the default policy's where none is stored)."""
    stored = setting(results, "level")
    return DEFAULT.level if stored is None else float(stored)


def _concreteness(results: Results):
    """The concreteness analysis when the results keep per-pair predictions and the norms are
    at hand; None (logged) otherwise, so reports without it still render."""
    if not results.pairs or not results.predictions:
        return None
    from vgbench.reporting import concreteness  # pandas only when the analysis runs
    try:
        return concreteness.concreteness_report(results)
    except OSError as exc:
        log.warning("concreteness analysis skipped: %s", exc)
        return None


_ALWAYS = {"json": "results.json", "csv": "scores.csv", "md": "tables.md", "html": "index.html"}


def check_report_dir(out_dir: str | os.PathLike, formats: Iterable[str] = FORMATS) -> None:
    """Before the evaluation: `out_dir` can be written, and the files every report has (results.json,
    scores.csv, tables.md, index.html) are not there unless vgbench wrote them (vgbench.atomic)."""
    check_output_dir(out_dir, [_ALWAYS[f] for f in formats if f in _ALWAYS])


def write_reports(results: Results, out_dir: str | os.PathLike,
                  formats: Iterable[str] = FORMATS, charts: bool = True, *,
                  sts_metric: str = STS_METRIC, sts_aggregate: str = STS_AGGREGATE,
                  latex_ci: bool = False) -> list[Path]:
    """Write the report files into `out_dir` (created if needed); return their paths.

    formats: any of "md" (summary.md: what was compared, the headline and verdicts, policy,
    date, command and version; tables.md, all tables), "tex" (table1_intrinsic.tex,
    table3_simlex.tex, table4_sts.tex or sts_<metric>_<aggregate>.tex, paired_tests.tex),
    "csv" (scores.csv, tests.csv, concreteness_pairs.csv), "json" (results.json, loadable with
    Results.load_json), "html" (index.html: the summary, then every table, chart, the policy and provenance in one
    self-contained page). With per-pair predictions in the results: the concreteness analysis
    (concreteness.tex, .png/.pdf, tables in tables.md and index.html).
    charts: simlex_concreteness, simlex_sections, datasets (and concreteness) as PNG and PDF.
    sts_metric / sts_aggregate choose the STS headline (default: the paper's Pearson, plain
    mean over subsets). latex_ci puts bootstrap CIs into the LaTeX cells.
    """
    files = render_reports(results, formats, charts, sts_metric, sts_aggregate, latex_ci)
    out = Path(out_dir)
    try:
        with atomic_output_dir(out) as stage:
            for name, data in files.items():
                (stage / name).write_bytes(data)
    except OSError as exc:  # name the folder the user gave, not the staging folder
        raise OSError(exc.errno, exc.strerror or str(exc), str(out)) from exc
    written = [out / name for name in files]
    for path in written:
        log.info("wrote %s", path)
    return written
