"""`vgbench featurize IMAGES... --encoder NAME --out DIR`: images -> a feature store."""
from __future__ import annotations

import argparse

from vgbench.commands.options import choice


def register(sub: argparse._SubParsersAction) -> None:
    from vgbench.caption_data.encoders import DEFAULT_ENCODER, ENCODERS
    p = sub.add_parser("featurize", help="compute image vectors (a feature store) for grounding",
                       description="Encode images into a feature store (NAME.f16.npy + NAME.images.txt + "
                                   "NAME.json). Resumable: rerun the same command after an interruption. "
                                   "Unreadable or missing images are skipped and listed.")
    p.add_argument("images", nargs="+", metavar="IMAGES", help="image files or folders (searched recursively)")
    p.add_argument("--encoder", default=DEFAULT_ENCODER, choices=sorted(ENCODERS), type=choice(sorted(ENCODERS)),
                   help=f"image encoder (default: {DEFAULT_ENCODER})")
    p.add_argument("--weights", default=None, metavar="FILE",
                   help="weights file (inception-v3: torchvision's inception_v3_google-0cc3c7bd.pth)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder of the feature store")
    p.add_argument("--batch-size", type=int, default=32, metavar="N",
                   help="images per forward pass of the encoder (default 32)")
    p.add_argument("--workers", type=int, default=None,
                   help="image-decoding processes (default: half the CPUs, 1 to 4; 0: decode in the main process)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads for the model (default: the CPUs the decoding workers leave, at least 1)")
    p.add_argument("--shard", default=None, metavar="i/n",
                   help="do only part i of n (0-based); gather all parts' OUT/.featurize-* chunk files in "
                        "one OUT and run once more without --shard to assemble the store")
    p.add_argument("--dtype", choices=("float16", "float32"), type=str.lower, default="float16",
                   help="precision the vectors are stored in (default float16: half the disk)")
    p.add_argument("--chunk-size", type=int, default=512,
                   help="images per resumable chunk (default 512)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--overwrite", action="store_true", help="discard an existing store or unfinished run in OUT")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.caption_data.featurize import featurize
    res = featurize(args.images, args.out, args.encoder, weights=args.weights, batch_size=args.batch_size,
                    workers=args.workers, shard=args.shard, dtype=args.dtype, chunk_size=args.chunk_size,
                    device=args.device, threads=args.threads, overwrite=args.overwrite,
                    progress=not args.quiet)
    done = res.n_encoded + len(res.skipped) if res.store is None else res.n_images
    print(f"{res.n_images} images; encoded now {res.n_encoded}, done before {res.n_reused} "
          f"({res.seconds:.1f} s)")
    if res.store is None:
        print(f"shard finished; {res.chunks_missing} chunks of other shards missing in {args.out} "
              f"(run again without --shard once they are there)")
        return 0
    print(f"feature store: {res.store.path} ({len(res.store)} x {res.store.dim}, {res.store.vectors.dtype})")
    if res.skipped:
        print(f"skipped {len(res.skipped)} of {done} images (listed under 'skipped' in {res.store.path}):")
        for s in res.skipped[:10]:
            print(f"  {s.path}: {s.error}")
        if len(res.skipped) > 10:
            print(f"  ... and {len(res.skipped) - 10} more")
    return 1 if len(res.store) == 0 else 0
