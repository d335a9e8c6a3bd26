"""`vgbench demo [--quick]`: the whole study end to end (what `make demo` runs)."""
from __future__ import annotations

import argparse
from pathlib import Path

from vgbench.commands.options import add_data_root


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole study on the bundled defaults (make demo)",
                       description="Evaluate GloVe, train C_GloVe and VGE on Flickr8k, ground all "
                                   "words zero-shot, evaluate side by side, write reports/demo/. "
                                   "Each step is recorded under --runs with a fingerprint of its "
                                   "inputs: a rerun reuses only unchanged steps and resumes a killed "
                                   "training run; the report folder is rebuilt every time.")
    p.add_argument("--quick", action="store_true",
                   help="a few-minute variant (small model, 1 epoch on a slice): a smoke test")
    p.add_argument("--out", default=None, metavar="DIR", help="report folder (default reports/demo)")
    p.add_argument("--runs", default=None, metavar="DIR", help="training runs (default runs/demo)")
    add_data_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.pipeline.demo import DemoSettings, run_demo
    from vgbench.pipeline.steps import StepError

    suffix = "-quick" if args.quick else ""
    settings = DemoSettings(out=Path(args.out or f"reports/demo{suffix}"),
                            runs=Path(args.runs or f"runs/demo{suffix}"), quick=args.quick,
                            data_root=args.data_root)
    try:
        run_demo(settings)
    except StepError as exc:
        raise ValueError(str(exc)) from None
    return 0
