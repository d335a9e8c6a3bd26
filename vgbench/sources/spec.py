"""Source specs: how one string names an embedding, a control, or a post-processed one.

    glove-6b-50d                       a registry name
    vectors.txt                        a file in any format (sniffed)
    runs/vge/best.pt                   a trained checkpoint (grounded on the fly)
    'glove-6b-50d|abtt:3'              any source, post-processed (steps in order)
    'random-m[c=256,seed=0]:glove-6b-50d'
                                       the grounding export with an untrained (Xavier) mapping
    'concat[alpha=0.5]:glove-6b-50d,grounded.txt'
                                       [(1-alpha) * textual ; alpha * grounded], each row unit length
                                       first (paper Table 6: alpha=1 is grounded only)

This module only parses; vgbench.sources.load turns a parsed spec into vectors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from vgbench.embeddings.postprocess import DEFAULT_FIT_ROWS, parse_steps

_CONTROL = re.compile(r"^(random-m|concat)(?:\[([^\]]*)\])?:(.+)$", re.IGNORECASE)
_PARAMETERS = {"random-m": {"c", "seed"}, "concat": {"alpha", "normalize"}}


@dataclass
class SourceSpec:
    kind: str                    # "plain" | "random-m" | "concat"
    targets: list[str]
    params: dict[str, str] = field(default_factory=dict)
    postprocess: str | None = None
    text: str = ""


def parse_spec(text: str) -> SourceSpec:
    """Parse a source string (see the module docstring). Plain paths pass through untouched."""
    body, post = text, None
    if "|" in text:
        body, _, post = text.rpartition("|")
        parse_steps(post)  # fail early with a clear message
    m = _CONTROL.match(body)
    if not m:
        return SourceSpec("plain", [body], {}, post, text)
    kind, raw_params, rest = m.group(1).lower(), m.group(2) or "", m.group(3)
    params = {}
    for item in [p.strip() for p in raw_params.split(",") if p.strip()]:
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"source {text!r}: parameter {item!r} should be key=value")
        params[key.strip().lower()] = value.strip()
    unknown = set(params) - _PARAMETERS[kind]
    if unknown:
        raise ValueError(f"source {text!r}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                         f"{kind} takes {', '.join(sorted(_PARAMETERS[kind]))}")
    for key, value in params.items():
        _check_parameter(text, key, value)
    targets = rest.split(",") if kind == "concat" else [rest]
    if kind == "concat" and len(targets) != 2:
        raise ValueError(f"source {text!r}: concat takes two sources, TEXTUAL,GROUNDED")
    return SourceSpec(kind, targets, params, post, text)


def _check_parameter(text: str, key: str, value: str) -> None:
    """Each control parameter's value, checked here so that a typo is named before any loading."""
    if key in ("c", "seed"):
        low = 1 if key == "c" else 0
        if not value.isdigit() or int(value) < low:
            raise ValueError(f"source {text!r}: {key}={value!r} should be a whole number of at least {low}")
    elif key == "alpha":
        try:
            alpha = float(value)
        except ValueError:
            alpha = float("nan")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"source {text!r}: alpha={value!r} should be a number from 0 to 1")
    elif key == "normalize" and value.lower() not in ("0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"source {text!r}: normalize={value!r} should be true or false")


def with_default_steps(text: str, postprocess: str | None) -> SourceSpec:
    """Parse `text`, giving it the `postprocess` steps when it names none of its own."""
    post = postprocess if postprocess and postprocess != "none" else None
    return parse_spec(f"{text}|{post}" if post and "|" not in text else text)


def head_rows_needed(spec: SourceSpec, postprocess: str | None = None,
                     fit_rows: int = DEFAULT_FIT_ROWS) -> int:
    """Rows from the top of each target file that post-processing will fit on (0: none)."""
    steps = spec.postprocess or postprocess
    if not steps or steps == "none":
        return 0
    return fit_rows if parse_steps(steps, fit_rows).needs_fit else 0


def display_name(spec: SourceSpec) -> str:
    """Table label: a plain file's name without its folders (registry names as given), the
    control's spec otherwise, and '|steps' when post-processed."""
    body = spec.text.rpartition("|")[0] if spec.postprocess else spec.text
    if spec.kind == "plain" and Path(body).exists():
        body = Path(body).name
    return f"{body}|{spec.postprocess}" if spec.postprocess else body
