"""`vgbench data build-captions | info`: build and inspect the caption datasets the trainer reads."""
from __future__ import annotations

import argparse
import json

from vgbench.commands.options import add_data_root


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="build or inspect an image-caption dataset for grounding")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB",
                             help="build-captions or info (VERB --help for its options)")

    b = verbs.add_parser("build-captions", help="tokenize captions, pair them with image vectors, save",
                         description="Build a caption dataset (vocabulary + token arrays + image vectors) "
                                     "and save it to OUT, for `vgbench train`. Dropped captions are "
                                     "counted in OUT/dataset.json.")
    b.add_argument("captions", nargs="*", metavar="CAPTIONS",
                   help="caption files (COCO JSON, Flickr8k captions.txt / Flickr8k.token.txt, TSV)")
    b.add_argument("--train", nargs="+", default=None, metavar="FILE",
                   help="caption files whose images form the train split (COCO: captions_train2017.json)")
    b.add_argument("--dev", nargs="+", default=None, metavar="FILE", help="caption files of the dev split")
    b.add_argument("--test", nargs="+", default=None, metavar="FILE", help="caption files of the test split")
    b.add_argument("--features", required=True, metavar="DIR", help="feature store folder (or its .json)")
    b.add_argument("--features-name", default=None, metavar="NAME", help="store name if DIR holds several")
    b.add_argument("--split", default=None,
                   help="flickr8k-standard (default), random:SEED[:0.8,0.1,0.1], or "
                        "TRAIN_LIST,DEV_LIST,TEST_LIST files of image names")
    b.add_argument("--format", dest="fmt", default=None,
                   help="caption format: coco, flickr8k-csv, flickr8k-token, tsv (default: sniffed)")
    b.add_argument("--vocab-size", type=int, default=10000, metavar="N",
                   help="keep the N most frequent words (default 10000)")
    b.add_argument("--min-count", type=int, default=1, metavar="N",
                   help="drop words seen fewer than N times (default 1)")
    b.add_argument("--max-len", type=int, default=None, help="truncate captions to this many words")
    add_data_root(b, help="relative caption and feature paths are also looked up here "
                          "(default: $VGBENCH_DATA)")
    b.add_argument("--out", required=True, metavar="DIR", help="folder to save the dataset to")
    b.set_defaults(func=run_build)

    i = verbs.add_parser("info", help="summarize a saved caption dataset")
    i.add_argument("dataset", metavar="DIR", help="a folder written by `vgbench data build-captions`")
    i.add_argument("--json", action="store_true", help="print the full report as JSON")
    i.set_defaults(func=run_info)


def run_build(args: argparse.Namespace) -> int:
    from vgbench.caption_data.dataset import build_dataset
    per_split = {k: v for k, v in (("train", args.train), ("dev", args.dev), ("test", args.test)) if v}
    if per_split and args.captions:
        raise ValueError("give caption files either positionally or with --train/--dev/--test, not both")
    if not per_split and not args.captions:
        raise ValueError("no caption files given")
    split = args.split
    if split and "," in split and not split.startswith("random:"):
        parts = split.split(",")
        if len(parts) != 3:
            raise ValueError(f"--split {split!r}: expected three list files TRAIN,DEV,TEST")
        split = dict(zip(("train", "dev", "test"), parts))
    ds = build_dataset(per_split or args.captions, args.features, split, vocab_size=args.vocab_size,
                       data_root=args.data_root, fmt=args.fmt, min_count=args.min_count,
                       max_len=args.max_len, features_name=args.features_name)
    ds.save(args.out)
    _summary(ds)
    print(f"saved to {args.out}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    from vgbench.caption_data.dataset import CaptionDataset
    ds = CaptionDataset.load(args.dataset)
    if args.json:
        print(json.dumps({"meta": ds.meta, "report": ds.report}, indent=1))
    else:
        _summary(ds)
    return 0


def _summary(ds) -> None:
    print(ds)
    for name, s in ds.report.get("splits", {}).items():
        print(f"  {name}: {s['images']} images ({s['images_listed']} listed), {s['captions']} captions, "
              f"max {s['max_len']} words, unknown-word rate {s['unk_rate']:.2%}")
        for key in ("listed_images_without_captions", "listed_images_without_vector"):
            if s[key]["count"]:
                print(f"    {s[key]['count']} {key.replace('_', ' ')}, e.g. {s[key]['examples'][0]}")
    for key, d in ds.report.get("dropped_captions", {}).items():
        if d["count"]:
            print(f"  dropped {d['count']} captions of {d['images']} images: {key.replace('_', ' ')} "
                  f"(e.g. {d['examples'][0]})")
    if ds.report.get("unreadable_lines"):
        print(f"  {ds.report['unreadable_lines']} unreadable caption lines:")
        for f in ds.report["caption_files"]:
            for reason, d in f["unreadable"].items():
                print(f"    {d['count']} x {reason}, e.g. {d['examples'][0]}")
