"""`vgbench train CONFIG [--set k=v ...] [--resume]`: train the VGE model or a caption-only baseline."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train visually grounded embeddings (VGE) from image captions",
                       description="Train the multi-task grounding model (or a caption-only baseline) "
                                   "described by a TOML config (a shipped name: vge, c_glove, demo_vge, ...; or a file). Writes checkpoints, "
                                   "logs and a loss chart under OUT_DIR/NAME. Under torchrun it trains "
                                   "with DDP (gloo on CPU, nccl on CUDA).")
    p.add_argument("config", nargs="?", default=None,
                   help="a TOML config file, or the name of a config shipped with vgbench (vge, c_glove, ...; default: the built-in defaults, i.e. the paper's setting)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set train.epochs=3 --set model.grounded_dim=256")
    p.add_argument("--resume", action="store_true", help="continue the run from OUT_DIR/NAME/last.pt")
    p.add_argument("--data-root", default=None, help="folder of extra data you bring, e.g. flickr8k/ (default: $VGBENCH_DATA; else the bundled Flickr8k)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.evaluation.dev_scores import dev_scorer
    from vgbench.grounding.config import load_config
    from vgbench.grounding.run_dir import check_run_dir
    from vgbench.grounding.trainer import train
    cfg = load_config(args.config, args.overrides)
    if args.data_root:
        cfg = cfg.with_(data={"data_root": args.data_root})
    if not args.resume:  # a folder that is not vgbench's, or cannot be written: refused before the work
        check_run_dir(cfg.run_dir)
    summary = train(cfg, resume=args.resume, progress=not args.quiet,
                    evaluator=dev_scorer(cfg.train.eval_sets, cfg.data.data_root))
    last = summary["history"][-1] if summary["history"] else {}
    print(f"run {summary['run_dir']}: {summary['epochs_run']} epochs ({summary['stopped']}), "
          f"best epoch {summary['best_epoch']} (selection score {summary['best_score']})")
    if last:
        print(f"last epoch: train loss {last.get('train_loss', float('nan')):.4f}, "
              f"dev loss {last.get('dev_loss', float('nan')):.4f}, "
              f"{last.get('captions_per_s', 0):.0f} captions/s")
    return 0
