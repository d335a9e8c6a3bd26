"""The precision/batching study of issue 21 (`make precision`): the caption -> image model at c = 256
on GloVe 6B 50d, float32 vs bf16 autocast x random vs bucketed batches, on the same seeds, a fixed
number of epochs; optionally the throwaway prototype's remaining choices. Writes reports/precision/
(README.md with the table, the per-seed figures and the machine every run recorded; runs.csv).
Resumable: finished runs under runs/precision/ are reused. The work is vgbench.pipeline.precision.

Usage: .venv/bin/python benchmarks/precision_study.py [--seeds 0,1,2] [--epochs 6] [--c 256]
       [--with-prototype-choices] [--cells A,B] [--report-only] [--set KEY=VALUE ...] [--out reports/precision] [--runs runs/precision]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from vgbench.grounding.config import parse_overrides
    from vgbench.pipeline.precision import PrecisionSettings, run_precision
    from vgbench.pipeline.steps import StepError
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="0,1,2", help="training seeds, the same for every setting (default 0,1,2)")
    p.add_argument("--epochs", type=int, default=6, help="epochs per run, no early stopping (default 6)")
    p.add_argument("--c", type=int, default=256, help="grounded dimension c (default 256)")
    p.add_argument("--textual", default="50d", help="GloVe 6B dimension or a textual source (default 50d)")
    p.add_argument("--with-prototype-choices", action="store_true",
                   help="also train with frozen zero rows for unknown words and with image standardisation "
                        "over all images (float32, random batches)")
    p.add_argument("--cells", default="",
                   help="comma-separated settings to train (e.g. float32_random_batches,float32_bucketed); default all")
    p.add_argument("--report-only", action="store_true",
                   help="write the report from the runs that have finished (also while another process "
                        "is still training them); train nothing")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override every run's config, e.g. --set train.threads=2")
    p.add_argument("--out", default="reports/precision")
    p.add_argument("--runs", default="runs/precision")
    p.add_argument("--data-root", default=None)
    args = p.parse_args(argv)
    try:
        settings = PrecisionSettings(out=Path(args.out), runs=Path(args.runs), grounded_dim=args.c,
                                     textual=args.textual, epochs=args.epochs,
                                     seeds=tuple(int(s) for s in args.seeds.split(",") if s.strip()),
                                     with_prototype_choices=args.with_prototype_choices,
                                     only=tuple(c.strip() for c in args.cells.split(",") if c.strip()),
                                     report_only=args.report_only,
                                     changes=parse_overrides(args.set), data_root=args.data_root)
        out = run_precision(settings)
    except (ValueError, StepError) as exc:   # bad input or a failed step: one line and exit 2, as the CLI does
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"precision study written to {out}/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
