"""The first screen of every report: what was compared, who won, under which policy, when, how.

Why one module: the summary is built once from the results (`build_summary`) and rendered for
each reader (Markdown for `summary.md`, HTML for the top of `index.html`, plain text for the
console), so the three can never disagree, and its verdicts ("beats / ties / loses") come from
the same Holm-adjusted p-values (Results.family_adjusted) as the tables' ▲/▼ marks.
"""
from __future__ import annotations

import html
import math
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vgbench.evaluation.means import SIMILARITY_MEAN, STS_MEAN
from vgbench.evaluation.results import PairedTest, Results, Score
from vgbench.reporting.escape import markdown_code, markdown_text
from vgbench.reporting.policy import policy_notes
from vgbench.reporting.render import fmt_number, plain
from vgbench.reporting.score_tables import alpha, embedding_order

# The two headline numbers: (label in words, dataset, metric, decimals).
HEADLINES = [("similarity six-set mean", SIMILARITY_MEAN, "spearman", 1),
             ("STS mean", STS_MEAN, "pearson", 2)]


def run_stamp(argv: list[str] | None = None) -> dict[str, Any]:
    """What `results.settings["invocation"]` keeps about how a report came to be: the command line,
    the date (UTC) and the vgbench commit when vgbench runs from a git checkout."""
    argv = list(sys.argv if argv is None else argv)
    prog = os.path.basename(argv[0]) if argv else "vgbench"
    if prog in ("__main__.py", "-c", "cli.py") or not prog:
        prog = "vgbench"
    return {"command": " ".join([prog] + [_quote(a) for a in argv[1:]]),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": vgbench_commit()}


def _quote(arg: str) -> str:
    import shlex
    return shlex.quote(arg)


def vgbench_commit() -> str | None:
    """The commit of the vgbench checkout this code runs from (None when installed elsewhere
    or git is missing)."""
    from importlib.resources import files
    package = Path(str(files("vgbench"))).resolve()
    try:
        out = subprocess.run(["git", "-C", str(package), "rev-parse", "--show-toplevel",
                              "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 2:
        return None
    # the checkout must be vgbench's own, not a project that holds vgbench in its .venv
    return lines[1] if Path(lines[0]).resolve() == package.parent else None


@dataclass
class Verdict:
    """How embedding `b` fared against baseline `a`, per dataset (headline test of each)."""
    a: str
    b: str
    beats: list[str] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)
    loses: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        """The verdict in words: "B vs A: beats on ...; ties on ...; loses on ..."."""
        parts = [f"{word} on {', '.join(sets)}" for word, sets in
                 (("beats", self.beats), ("ties", self.ties), ("loses", self.loses)) if sets]
        return f"{self.b} vs {self.a}: " + ("; ".join(parts) if parts else "no paired test") + "."


@dataclass
class Summary:
    """A report's first screen: what was compared, the headline scores, the tests in words and the verdicts."""
    title: str
    sources: list[tuple[str, str]]          # (name, one-line description)
    headline: list[tuple[str, list[str]]]   # (name, ["similarity six-set mean 65.7 [..]", ...])
    against: list[str]                      # headline tests in words, one line each
    verdicts: list[Verdict]
    alpha: float
    policy: list[str]
    date: str
    command: str | None
    version: str
    commit: str | None
    verdict_note: str | None = None         # how the verdicts were decided, when not the report's family


def build_summary(results: Results) -> Summary:
    """The summary of `results` (every renderer reads this one object)."""
    from vgbench._version import __version__
    names = embedding_order(results)
    run = results.settings.get("invocation")
    run = run if isinstance(run, dict) else {}
    date = run.get("date") or (results.cached or {}).get("created") or "not recorded"
    scores = {(s.embedding, s.dataset, s.metric): s for s in results.scores
              if s.section == "All"}
    headline = []
    for name in names:
        parts = []
        for label, ds, metric, d in HEADLINES:
            if (name, ds, metric) in scores:
                parts.append(f"{label} {_score_text(scores[(name, ds, metric)], d)}")
            elif math.isfinite(mean := _mean_of_sets(results, name, ds)):
                parts.append(f"{label} {fmt_number(mean, d)} (no CI recorded)")
        if parts:
            headline.append((name, parts))
    a = alpha(results)
    adjusted = results.family_adjusted()
    against = []
    for t, p in zip(results.tests, adjusted):
        for label, ds, metric, d in HEADLINES:
            if t.dataset == ds and t.metric == metric and t.section == "All":
                ci = ("" if t.ci_low is None or t.ci_high is None else
                      f" [{fmt_number(float(t.ci_low), d)}, {fmt_number(float(t.ci_high), d)}]")
                against.append(f"{t.embedding_b} vs {t.embedding_a}, {label}: "
                               f"Δ {fmt_number(t.delta, d)}{ci}, p (Holm) {_p(p)}: "
                               f"{verdict_word(t, p, a)}")
    return Summary(_title(names), [(n, describe_source(results.embeddings.get(n))) for n in names],
                   headline, against, verdicts(results), a, policy_notes(results)[:1], date,
                   run.get("command"), str(results.settings.get("version") or __version__),
                   run.get("commit"))


def _mean_of_sets(results: Results, name: str, mean: str) -> float:
    """A headline mean that older results do not store, from its sets' scores as the tables
    compute it (NaN unless every set was scored)."""
    from vgbench.reporting.score_tables import STS_YEARS, six_set_mean
    if mean == SIMILARITY_MEAN:
        return six_set_mean(results, name)
    years = {s.dataset: s.value for s in results.scores if s.embedding == name
             and s.dataset in STS_YEARS and s.section == "mean" and s.metric == "pearson"}
    return (sum(years.values()) / len(years) if len(years) == len(STS_YEARS)
            and all(map(math.isfinite, years.values())) else math.nan)


def _title(names: list[str]) -> str:
    if len(names) <= 4:
        return " vs ".join(names) or "vgbench report"
    return f"{', '.join(names[:3])} and {len(names) - 3} more ({len(names)} embeddings)"


def _score_text(s: Score | None, decimals: int) -> str:
    if s is None or not math.isfinite(s.value):
        return "–"
    ci = ("" if s.ci_low is None or s.ci_high is None else
          f" [{fmt_number(float(s.ci_low), decimals)}, {fmt_number(float(s.ci_high), decimals)}]")
    return fmt_number(s.value, decimals) + ci


def _p(p: float) -> str:
    return "–" if not math.isfinite(p) else f"{p:.3g}"


def verdict_word(t: PairedTest, p_adjusted: float, a: float) -> str:
    """beats / loses where the Holm-adjusted p is at most alpha (the tables' ▲/▼ rule), else ties."""
    if math.isfinite(p_adjusted) and p_adjusted <= a and t.delta != 0:
        return "beats" if t.delta > 0 else "loses"
    return "ties"


def headline_tests(results: Results) -> list[tuple[PairedTest, float]]:
    """Per (baseline, embedding, dataset) the one test a reader looks at: section "All" (an STS
    year: its plain mean over subsets), Pearson for STS, else the first metric tested."""
    best: dict[tuple[str, str, str], tuple[int, PairedTest, float]] = {}
    sts = {s.dataset for s in results.scores if s.task == "sts"}
    for t, p in zip(results.tests, results.family_adjusted()):
        if t.section not in ("All", "mean"):
            continue
        want = "pearson" if (t.dataset in sts or t.dataset == STS_MEAN) else "spearman"
        rank = 0 if t.metric == want else 1
        key = (t.embedding_a, t.embedding_b, t.dataset)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, t, p)
    return [(t, p) for _, t, p in best.values()]


def verdicts(results: Results) -> list[Verdict]:
    """One verdict per comparison (embedding vs its baseline), in the order of the tests."""
    a = alpha(results)
    out: dict[tuple[str, str], Verdict] = {}
    for t, p in headline_tests(results):
        v = out.setdefault((t.embedding_a, t.embedding_b), Verdict(t.embedding_a, t.embedding_b))
        getattr(v, verdict_word(t, p, a)).append(t.dataset)
    return list(out.values())


def describe_source(meta: Any) -> str:
    """One line about where an embedding came from: a file's name, format, rows and dim; a
    trained model's data, config, epochs and seed(s) as far as the results record them."""
    if not isinstance(meta, dict):
        return "no details recorded"
    parts = []
    source = meta.get("source")
    if source:
        parts.append(os.path.basename(str(source)) if meta.get("format") != "registry"
                     else str(source))
    if meta.get("format"):
        parts.append(str(meta["format"]))
    if isinstance(meta.get("rows_read"), int):
        parts.append(f"{meta['rows_read']:,} rows")
    if isinstance(meta.get("words_loaded"), int):
        parts.append(f"{meta['words_loaded']:,} words loaded")
    if meta.get("dim"):
        parts.append(f"dim {meta['dim']}")
    training = meta.get("training") if isinstance(meta.get("training"), dict) else {}
    grounding = meta.get("grounding") if isinstance(meta.get("grounding"), dict) else {}
    if grounding:
        parts.append("grounded " + ", ".join(f"{k} {grounding[k]}" for k in
                                             ("kind", "name", "textual") if grounding.get(k)))
    for key, word in (("data", "trained on"), ("config", "config"), ("epochs", "epochs"),
                      ("seed", "seed"), ("seeds", "seeds")):
        if training.get(key) not in (None, "", []):
            value = training[key]
            parts.append(f"{word} {'/'.join(map(str, value)) if isinstance(value, list) else value}")
    post = meta.get("postprocess")
    if isinstance(post, dict) and post.get("steps"):
        parts.append("post-processed " + "+".join(map(str, post["steps"])))
    control = meta.get("control")
    if isinstance(control, dict) and control.get("kind"):
        parts.append("control " + ", ".join(f"{k} {v}" for k, v in control.items()))
    return "; ".join(parts) or "no details recorded"


# ---------------------------------------------------------------- renderers

def _sections(s: Summary) -> list[tuple[str, list[str]]]:
    """(heading, lines) of the summary, plain text; each renderer escapes for its reader."""
    head = [f"{name}: {'; '.join(parts)}" for name, parts in s.headline]
    verdict = [v.sentence() for v in s.verdicts] or ["No paired tests (one embedding only)."]
    if s.verdicts and s.verdict_note:
        verdict.append(s.verdict_note)
    elif s.verdicts:
        verdict.append(f"beats / loses: Holm-adjusted p ≤ {s.alpha:g} over every paired test of "
                       f"the report (the p (Holm) of the paired-tests table and tests.csv); ties: "
                       f"no significant difference.")
    return [("Compared", [f"{n}: {d}" for n, d in s.sources]),
            ("Headline", (head or ["No similarity or STS mean (not every set was evaluated)."])
             + s.against),
            ("Verdicts", verdict),
            ("Policy", s.policy),
            ("Run", [f"Date: {s.date}", f"Command: {s.command or 'not recorded'}",
                     f"vgbench {s.version}" + (f", commit {s.commit}" if s.commit else ""),
                     ])]


def summary_markdown(s: Summary) -> str:
    """`summary.md`: the first screen as Markdown (every text escaped)."""
    out = [f"# {markdown_text(s.title)}", ""]
    for heading, lines in _sections(s):
        out += [f"## {heading}", ""]
        for line in lines:
            if heading == "Run" and line.startswith("Command: ") and s.command:
                out.append(f"- Command: {markdown_code(s.command)}")
            else:
                out.append(f"- {markdown_text(line)}")
        out.append("")
    return "\n".join(out)


def summary_html(s: Summary) -> str:
    """The first screen as HTML, for the top of index.html (every text escaped)."""
    e = lambda t: html.escape(str(t), quote=True)  # noqa: E731
    out = ['<section id="summary"><h2>Summary</h2>']
    for heading, lines in _sections(s):
        out.append(f"<h3>{e(heading)}</h3><ul>" + "".join(f"<li>{e(line)}</li>" for line in lines)
                   + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def summary_console(s: Summary, width: int = 100) -> str:
    """The short form printed at the end of `vgbench eval`: what, headline, run (the verdicts
    and the policy close the console table above it)."""
    lines = [plain(f"Summary: {s.title}")]
    for heading, body in _sections(s):
        if heading in ("Policy", "Verdicts"):  # the policy footer and verdicts: console_table
            continue
        for line in body:
            lines += textwrap.wrap(plain(line), width, initial_indent="  ",
                                   subsequent_indent="    ")
    return "\n".join(lines) + "\n"
