"""The policy note under every table: case handling, OOV policy, CIs, coverage.

Why a module of its own: every number is read next to the policy it was scored under, so every
renderer (console footer, Markdown and LaTeX notes) takes these lines from one place.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any

from vgbench.evaluation.policy import Policy
from vgbench.evaluation.results import Results

# Settings that describe the run rather than the scoring policy; left out of the policy note.
_NOT_POLICY = {"data_root", "out", "out_dir", "version", "command", "time", "date", "started",
               "elapsed_s", "seconds", "host", "datasets", "citations"}


def _fmt_setting(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "/".join(map(str, value))
    return str(value)


def policy_text(policy: Policy) -> str:
    """The policy in words, for the note under every table."""
    oov = {"skip": "OOV pairs skipped", "zero": "OOV pairs scored 0"}[policy.oov]
    parts = [f"word lookup {policy.case}", f"STS token lookup {policy.sts_case}", oov]
    if policy.common_pairs:
        parts.append("only the pairs every embedding covers")
    parts.append(f"{100 * float(policy.level):g}% CIs from {policy.n_boot} bootstrap resamples "
                 f"(seed {policy.seed})" if policy.n_boot else "no bootstrap CIs")
    parts.append(f"paired test {policy.paired_test}")
    return ", ".join(parts)


def stored_policy_text(stored: Any) -> str:
    """A policy as results.json stores it (a dict, or a string from elsewhere) in words; keys
    that are no Policy field follow as 'key value'."""
    if not isinstance(stored, dict) or not stored:
        return str(stored or "")
    known = {f.name for f in fields(Policy)}
    try:
        text = [policy_text(Policy.from_dict(stored))]
    except (ValueError, TypeError):
        text, known = [], set()
    return ", ".join(text + [f"{k} {_fmt_setting(v)}" for k, v in stored.items() if k not in known])


def setting(results: Results, key: str) -> Any:
    """A setting from Results.settings, or from the policy stored there or with an embedding."""
    if key in results.settings:
        return results.settings[key]
    policies = [results.settings.get("policy")] + [
        m.get("policy") for m in results.embeddings.values() if isinstance(m, dict)]
    for policy in policies:
        if isinstance(policy, dict) and key in policy:
            return policy[key]
    return None


def policy_notes(results: Results) -> list[str]:
    """The policy line(s) that go under every table: case handling, OOV policy, coverage.

    Read from ``Results.embeddings[name]["policy"]`` (a dict or a string; one line when all
    embeddings share it), ``Results.settings["policy"]`` and the other scalar entries of
    ``Results.settings`` (run details such as paths are left out).
    """
    lines = []
    texts = {name: stored_policy_text(meta["policy"]) for name, meta in results.embeddings.items()
             if isinstance(meta, dict) and meta.get("policy")}
    shared = results.settings.get("policy")
    if shared and not texts:
        texts = {"": stored_policy_text(shared)}
    if texts and len(set(texts.values())) == 1:
        lines.append(f"Policy: {next(iter(texts.values()))}.")
    else:
        lines.extend(f"Policy ({name}): {text}." for name, text in texts.items())
    settings = [f"{k} {_fmt_setting(v)}" for k, v in results.settings.items()
                if k not in _NOT_POLICY and k != "policy"
                and (isinstance(v, (str, int, float, bool)) or v is None)]
    if settings:
        lines.append("Settings: " + ", ".join(settings) + ".")
    lines += postprocess_notes(results)
    lines.append("Coverage = pairs used / pairs in the set, shown where below 100%.")
    return lines


def postprocess_notes(results: Results) -> list[str]:
    """How many rows each post-processing fit used (its statistics come from the embedding's
    first rows, its most frequent words), with the warning when that is fewer than asked."""
    parts, warnings = [], []
    for name, meta in results.embeddings.items():
        post = meta.get("postprocess") if isinstance(meta, dict) else None
        if not isinstance(post, dict) or not isinstance(post.get("fit_rows_used"), int):
            continue
        steps = "+".join(map(str, post.get("steps") or [])) or "post-processing"
        if not any(str(s).split(":")[0] in ("center", "abtt", "whiten") for s in post.get("steps") or []):
            continue
        parts.append(f"{name}: {steps} fitted on its first {post['fit_rows_used']:,} rows")
        if post.get("warning"):
            warnings.append(f"Warning ({name}): {post['warning']}.")
    return (["Post-processing statistics from each embedding's most frequent rows (file order): "
             + "; ".join(parts) + "."] if parts else []) + warnings
