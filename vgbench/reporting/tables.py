"""The report's tables assembled: the headline tables for the console (with verdict lines), every
table in report order for Markdown and the page, and the LaTeX files. The tables themselves live in
score_tables (Tables 1, 3, 4), suite_tables (the wider suite) and paired_tables (paired tests).
"""
from __future__ import annotations

import textwrap
from typing import Any

from vgbench.datasets import registry
from vgbench.evaluation.policy import STS_AGGREGATE, STS_METRIC
from vgbench.evaluation.results import Results
from vgbench.reporting.paired_tables import TestsTable, _ci_label, tests_table
from vgbench.reporting.policy import policy_notes, setting
from vgbench.reporting.render import plain
from vgbench.reporting.score_tables import (STS_AGGREGATES, ScoreTable, alpha, intrinsic_table, simlex_table,
                                            six_set_mean, sts_subsets_table, sts_table)
from vgbench.reporting.suite_tables import suite_tables
from vgbench.reporting.summary import verdicts

__all__ = ["all_tables", "console_table", "console_safe", "input_notes", "intrinsic_table", "latex_tables",
           "markdown_report", "report_tables", "simlex_table", "six_set_mean", "sts_table", "tests_table",
           "unscored_notes"]


def all_tables(results: Results, sts_metric: str = STS_METRIC,
               sts_aggregate: str = STS_AGGREGATE) -> list[ScoreTable | TestsTable]:
    """The headline tables in report order (missing ones left out)."""
    tables = [intrinsic_table(results), simlex_table(results),
              sts_table(results, sts_metric, sts_aggregate), *suite_tables(results),
              tests_table(results)]
    return [t for t in tables if t is not None]


CONSOLE_CI_WIDTH = 120  # columns from which the console shows "±" CIs


def console_table(results: Results, width: int | None = None, sts_metric: str = STS_METRIC,
                  sts_aggregate: str = STS_AGGREGATE) -> str:
    """The console report: headline tables side by side per embedding, best marked '*', each
    score with "±" half its CI width when the terminal (`width`, default its width) has at
    least CONSOLE_CI_WIDTH columns; then one verdict line per comparison instead of the full
    paired list (that stays in tests.csv and tables.md).

    The policy footer is printed once at the end rather than under every table.
    """
    import shutil
    width = width or shutil.get_terminal_size((100, 24)).columns
    ci = width >= CONSOLE_CI_WIDTH
    tables = [t for t in all_tables(results, sts_metric, sts_aggregate)
              if not isinstance(t, TestsTable)]
    parts = [t.to_console(width, policy=False, ci=ci) for t in tables]
    unscored = [line for note in unscored_notes(results)
                for line in textwrap.wrap(note, width, subsequent_indent="  ")]
    if not parts:
        return "\n".join(["No scores."] + unscored) + "\n"
    found = verdicts(results)
    if found:
        lines = textwrap.wrap(f"Paired tests against the baseline (p (Holm) <= "
                              f"{alpha(results):g} over all {len(results.tests)} tests; every "
                              f"test in tests.csv and tables.md with --out):", width)
        lines += [line for v in found for line in
                  textwrap.wrap(plain(v.sentence()), width, initial_indent="  ",
                                subsequent_indent="    ")]
        parts.append("\n".join(lines) + "\n")
    footer = [line for note in policy_notes(results)
              for line in textwrap.wrap(plain(note), width, subsequent_indent="  ")]
    if ci and any(c.ci for t in tables for r in t._grid().rows for c in r):
        footer.append(f"±: half the width of the {_ci_label(results)} (bootstrap); the "
                      f"intervals themselves are in tables.md and index.html.")
    return console_safe("\n".join(parts) + "\n" + "\n".join(unscored + footer) + "\n")


def console_safe(text: str) -> str:
    """`text` with "±" as "+-" when stdout cannot print it (a redirected Windows console may
    hold only ASCII)."""
    import sys
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "ascii")
        return text
    except (UnicodeEncodeError, LookupError):
        return text.replace("±", "+-")


def unscored_notes(results: Results) -> list[str]:
    """One line per dataset section that yielded no correlation, with the reason and for whom.

    STS aggregates are left out (they follow from their subsets)."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for s in results.scores:
        if s.note and (s.task != "sts" or s.section not in STS_AGGREGATES):
            groups.setdefault((s.dataset, s.section, s.note), [])
            if s.embedding not in groups[(s.dataset, s.section, s.note)]:
                groups[(s.dataset, s.section, s.note)].append(s.embedding)
    return [f"no correlation: {dataset}" + (f" ({section})" if section != "All" else "")
            + f" for {', '.join(embs)}: {note}" for (dataset, section, note), embs in groups.items()]


def input_notes(results: Results) -> list[str]:
    """What loading the inputs found that changes no number silently but should be seen: duplicate
    words in a vector file (first row kept), pairs repeated in a user's word-pair file."""
    notes = []
    for name, meta in results.embeddings.items():
        if isinstance(meta, dict) and meta.get("duplicates"):
            notes.append(f"{name}: {meta['duplicates']} duplicate word(s) in the vector file; the "
                         f"first row of each was kept")
    for dataset, info in results.settings.get("repeated_pairs", {}).items():
        if isinstance(info, dict) and not info.get("built_in"):
            notes.append(f"{dataset}: {info.get('rows')} row(s) repeat an earlier pair "
                         f"({', '.join(map(str, info.get('examples', [])))}); every row was scored")
    return notes


def report_tables(results: Results) -> list[Any]:
    """Every table of the full report, in order: Tables 1 and 3, each STS metric and
    aggregate, STS subsets, paired tests (missing ones left out)."""
    tables: list[Any] = [intrinsic_table(results), simlex_table(results)]
    metrics = [m for m in registry.TASK_METRICS["sts"]
               if any(s.task == "sts" and s.metric == m for s in results.scores)]
    for metric in metrics:
        for agg in STS_AGGREGATES:
            tables.append(sts_table(results, metric, agg))
    for metric in metrics:
        tables.append(sts_subsets_table(results, metric))
    tables += suite_tables(results, full=True)
    tables.append(tests_table(results))
    return [t for t in tables if t is not None]


def markdown_report(results: Results, ci: bool = True, extra: list[Any] = ()) -> str:
    """Every table in one Markdown document, including the other STS aggregates and subsets;
    `extra` tables (e.g. by concreteness) follow."""
    body = [t.to_markdown(ci) for t in report_tables(results) + list(extra)]
    if ci and body and any(s.ci_low is not None for s in results.scores):
        body.insert(0, _ci_note(results) + "\n")
    from vgbench.reporting.escape import markdown_text
    unscored = unscored_notes(results)
    if unscored:
        body.append("## Not scored\n\n" + "".join(f"- {markdown_text(n)}\n" for n in unscored))
    notes = input_notes(results)
    if notes:
        body.append("## Input notes\n\n" + "".join(f"- {markdown_text(n)}\n" for n in notes))
    return "# vgbench results\n\n" + "\n".join(body)


def _ci_note(results: Results) -> str:
    n_boot = setting(results, "n_boot")
    extra = f", {n_boot} resamples" if n_boot else ""
    return (f"Brackets: {_ci_label(results)} (percentile bootstrap over pairs{extra}; STS years "
            "resampled within each subset).")


def latex_tables(results: Results, sts_metric: str = STS_METRIC, sts_aggregate: str = STS_AGGREGATE,
                 ci: bool = False, coverage: bool = True) -> dict[str, str]:
    """{file stem: LaTeX source} for Tables 1, 3, 4 and the paired tests, where data exist."""
    return {t.key: t.to_latex(ci=ci, coverage=coverage)
            for t in all_tables(results, sts_metric, sts_aggregate)}
