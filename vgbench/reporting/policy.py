"""The policy note under every table: case handling, OOV policy, CIs, coverage.

Why a module of its own: the issue asks for the policy next to every number, so every renderer
(console footer, Markdown and LaTeX notes) takes these lines from one place.
"""
from __future__ import annotations

from typing import Any

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


def _policy_text(policy: Any) -> str:
    """Readable policy: the evaluator's known keys in words, any other key as 'key value'."""
    if not isinstance(policy, dict):
        return str(policy)
    p = dict(policy)
    parts = []
    if "case" in p:
        parts.append(f"word lookup {p.pop('case')}")
    if "sts_case" in p:
        parts.append(f"STS token lookup {p.pop('sts_case')}")
    if "oov" in p:
        oov = p.pop("oov")
        parts.append({"skip": "OOV pairs skipped", "zero": "OOV pairs scored 0"}.get(
            oov, f"OOV pairs {oov}"))
    if "common_pairs" in p:
        if p.pop("common_pairs"):
            parts.append("only the pairs every embedding covers")
    if "n_boot" in p:
        n_boot, level, seed = p.pop("n_boot"), p.pop("level", None), p.pop("seed", None)
        if n_boot:
            lvl = f"{100 * float(level):g}% " if level is not None else ""
            parts.append(f"{lvl}CIs from {n_boot} bootstrap resamples"
                         + (f" (seed {seed})" if seed is not None else ""))
        else:
            parts.append("no bootstrap CIs")
    if "paired_test" in p:
        parts.append(f"paired test {p.pop('paired_test')}")
    parts += [f"{k} {_fmt_setting(v)}" for k, v in p.items()]
    return ", ".join(parts)


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
    texts = {name: _policy_text(meta["policy"]) for name, meta in results.embeddings.items()
             if isinstance(meta, dict) and meta.get("policy")}
    shared = results.settings.get("policy")
    if shared and not texts:
        texts = {"": _policy_text(shared)}
    if texts and len(set(texts.values())) == 1:
        lines.append(f"Policy: {next(iter(texts.values()))}.")
    else:
        lines.extend(f"Policy ({name}): {text}." for name, text in texts.items())
    settings = [f"{k} {_fmt_setting(v)}" for k, v in results.settings.items()
                if k not in _NOT_POLICY and k != "policy"
                and (isinstance(v, (str, int, float, bool)) or v is None)]
    if settings:
        lines.append("Settings: " + ", ".join(settings) + ".")
    lines.append("Coverage = pairs used / pairs in the set, shown where below 100%.")
    return lines
