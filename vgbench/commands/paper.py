"""`vgbench paper`: the paper's ablations, dimension study and concatenation (make paper)."""
from __future__ import annotations

import argparse
from pathlib import Path

from vgbench.commands.options import add_bootstrap, add_data_root, bootstrap_count


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("paper", help="run the paper's Tables 6, 7/10 and 8 on our data (resumable)")
    p.add_argument("--epochs", type=int, default=0, metavar="N",
                   help="train every run for N epochs (0: the configs' own epochs and early stopping; "
                        "hours on a CPU). A fixed amount of training, so any machine gives the same tables")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override every training config, e.g. --set train.device=cuda")
    p.add_argument("--dims", default=None, metavar="C1,C2,...",
                   help="Table 8 with these grounded dimensions (the L_All+R config with c set), "
                        "instead of vge_c256.toml / vge_c1024.toml")
    p.add_argument("--out", default="reports/paper", metavar="DIR",
                   help="report folder (default reports/paper)")
    p.add_argument("--runs", default="runs/paper", metavar="DIR",
                   help="training runs, reused on a rerun (default runs/paper)")
    add_bootstrap(p, "bootstrap resamples of the CIs in Tables 7/10 and 8")
    add_data_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.grounding.config import parse_overrides
    from vgbench.pipeline.paper import DIMENSIONS, PaperSettings, dimension_runs, run_paper
    from vgbench.pipeline.steps import StepError
    settings = PaperSettings(out=Path(args.out), runs=Path(args.runs), epochs=args.epochs,
                             changes=parse_overrides(args.set), data_root=args.data_root,
                             n_boot=bootstrap_count(args.bootstrap),
                             dimensions=dimension_runs([int(c) for c in args.dims.split(",")])
                             if args.dims else DIMENSIONS)
    try:
        run_paper(settings)
    except StepError as exc:
        raise ValueError(str(exc)) from None
    return 0
