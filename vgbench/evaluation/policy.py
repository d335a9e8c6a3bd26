"""The scoring policy: how words are looked up and how every number is scored, in one object.

Why one frozen object: the CLI (`vgbench eval`) and the Python API (`vgbench.evaluate`) build it
once, every evaluator reads the field it needs from it, and results.json and the results cache
store it. Each default is written here and nowhere else.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from vgbench.embeddings.core import CASE_POLICIES, LOAD_CASE
from vgbench.embeddings.text_reader import NONFINITE_POLICIES
from vgbench.names import match_name

ANALOGY_METHODS = ("3cosadd", "3cosmul")  # vgbench.evaluation.analogy solves with these
OOV_POLICIES = ("skip", "zero")
PAIRED_TESTS = ("bootstrap", "steiger", "none")
# how an STS year's subset correlations become one figure (vgbench.evaluation.statistics); here,
# with the other choices, so that the command line can offer them without importing scipy.stats
AGGREGATES = ("mean", "wmean", "all")
# The STS headline every table, chart and mean reports unless told otherwise: the paper's (and
# SentEval's) Pearson's r, plain mean over a year's subsets.
STS_METRIC = "pearson"
STS_AGGREGATE = AGGREGATES[0]
# LOAD_CASE (vgbench.embeddings.core): the row filter used when loading a source, so one load
# (and one cached file) serves every case policy.
# The fields results.json and the cache key store under "policy" (in this order).
# More resamples add time and memory (a resample matrix per set) and nothing to a 95% CI.
MAX_BOOTSTRAP = 100_000
_STORED = ("case", "sts_case", "oov", "common_pairs", "n_boot", "seed", "level", "paired_test")


@dataclass(frozen=True)
class Policy:
    """How words are looked up and scored; stored with every result.

    case: word lookup for word similarity and categorization; sts_case: token lookup for STS
    (SentEval's exact); oov: a pair with an unknown word is skipped or scored 0; common_pairs:
    score every embedding on the pairs all of them cover; n_boot: bootstrap resamples for the
    CIs and paired tests (0: none); level: CI level (the significance marks use 1 - level);
    paired_test: each embedding against the baseline; analogy_vocab / analogy_methods: candidates
    and solvers for analogies (vgbench.evaluation.analogy); nonfinite: a vector row holding
    nan/inf is dropped and counted, or stops the evaluation.
    """
    case: str = "lower"
    sts_case: str = "exact"
    oov: str = "skip"
    common_pairs: bool = False
    n_boot: int = 1000
    seed: int = 0
    level: float = 0.95
    paired_test: str = "bootstrap"
    analogy_vocab: int = 300_000  # gensim's restrict_vocab
    analogy_methods: tuple[str, ...] = ("3cosadd",)  # 3CosMul costs three times as much
    nonfinite: str = "drop"

    def __post_init__(self) -> None:
        # any case and dashes name a choice ("Exact-Then-Lower", "3CosMul"); one method may be a str
        methods = self.analogy_methods
        methods = methods.split(",") if isinstance(methods, str) else methods
        object.__setattr__(self, "analogy_methods",
                           tuple(match_name(m, ANALOGY_METHODS) or m for m in methods))
        for field_name, name, allowed in (("case", "case policy", CASE_POLICIES),
                                          ("sts_case", "STS case policy", CASE_POLICIES),
                                          ("oov", "OOV policy", OOV_POLICIES),
                                          ("paired_test", "paired test", PAIRED_TESTS),
                                          ("nonfinite", "non-finite policy", NONFINITE_POLICIES)):
            value = getattr(self, field_name)
            value = match_name(value, allowed) or value if isinstance(value, str) else value
            object.__setattr__(self, field_name, value)
            if value not in allowed:
                raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")
        bad = [m for m in self.analogy_methods if m not in ANALOGY_METHODS]
        if bad or not self.analogy_methods:
            raise ValueError(f"unknown analogy method(s) {', '.join(bad) or '(none given)'}; "
                             f"expected some of {', '.join(ANALOGY_METHODS)}")
        if self.n_boot < 0 or self.n_boot > MAX_BOOTSTRAP:
            raise ValueError(f"n_boot (--bootstrap) must be 0 (no CIs) or more, and at most "
                             f"{MAX_BOOTSTRAP:,}; got {self.n_boot:,} ({_default('n_boot')}, the default, to "
                             f"10,000 resamples give stable {100 * _default('level'):g}% CIs)")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed (--seed) must be a whole number from 0 to 2**32 - 1, got {self.seed}")
        if self.analogy_vocab < 1:
            raise ValueError(f"analogy_vocab (--analogy-vocab) must be at least 1, got {self.analogy_vocab}")
        if not 0 < self.level < 1:
            raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {self.level}")

    @classmethod
    def of(cls, policy: "Policy | None" = None, **fields: Any) -> "Policy":
        """`policy` (default: the defaults) with `fields` replaced: the keyword form of
        `vgbench.evaluate(..., case=..., n_boot=...)` turned into one object."""
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = [name for name in fields if name not in known]
        if unknown:
            raise TypeError(f"unknown argument(s) {', '.join(unknown)}; the policy's fields are "
                            f"{', '.join(known)}")
        return dataclasses.replace(policy or cls(), **fields)

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> "Policy":
        """The policy a results.json stored (its "policy" entry); keys it lacks take their
        defaults, keys that are not policy fields are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        """The scoring policy as results.json stores it under "policy" (under every embedding
        too); the analogy settings are stored under settings["analogy"]."""
        return {name: getattr(self, name) for name in _STORED}

    def key_parts(self) -> dict[str, Any]:
        """What the policy adds to the results cache key."""
        return {"policy": self.to_dict(), "analogy_vocab": self.analogy_vocab,
                "analogy_methods": list(self.analogy_methods), "nonfinite": self.nonfinite}


def _default(name: str) -> Any:
    """A field's default, for messages written before DEFAULT exists."""
    return Policy.__dataclass_fields__[name].default


DEFAULT = Policy()


def methods_list(text: str) -> tuple[str, ...]:
    """Analogy methods from a comma-separated list ("3cosadd,3CosMul")."""
    return tuple(m.strip().lower() for m in text.split(",") if m.strip())
