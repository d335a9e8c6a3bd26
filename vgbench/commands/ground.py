"""`vgbench ground CHECKPOINT --vectors FILE --out FILE`: zero-shot grounding of a whole embedding."""
from __future__ import annotations

import argparse
import errno
from pathlib import Path

from vgbench.commands.options import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ground", help="apply a trained M to every word of a textual embedding",
                       description="Ground every word of a textual embedding with a trained mapping "
                                   "M (Ge(w) = Te(w)·M), chunk by chunk, and write it in any format "
                                   "the evaluator reads (word2vec binary loads in gensim unchanged).")
    p.add_argument("checkpoint", help="training checkpoint (runs/NAME/best.pt) or grounder file (grounder.pt)")
    p.add_argument("--vectors", default=None,
                   help="textual vectors to ground (file or registry name; default: the ones it was trained from)")
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--format", default=None, choices=("glove", "word2vec", "word2vec-binary", "npy"),
                   help="output format (default: from the suffix: .bin binary, .vec word2vec, .npy, else GloVe text)")
    p.add_argument("--te", default=None, choices=("original", "finetuned"),
                   help="for training words: ground the original or the fine-tuned textual vector "
                        "(default: the checkpoint's export.te)")
    p.add_argument("--chunk-size", type=positive_int, default=65536, help="words grounded per chunk (memory bound)")
    p.add_argument("--nonfinite", choices=("drop", "error"), default="drop",
                   help="a textual row with nan/inf: leave that word out and count it (default), or stop")
    p.set_defaults(func=run)


def _outputs(out: str, fmt: str | None) -> list[Path]:
    """The files `--out` writes: the vectors, and for .npy the word list beside them."""
    from vgbench.embeddings.writers import format_for_path
    path = Path(out)
    return [path, path.with_name(path.stem + ".vocab")] if format_for_path(out, fmt) == "npy" else [path]


def _refuse_inputs_as_outputs(outputs: list[Path], inputs: list[str | None]) -> None:
    from vgbench.atomic import refuse_same_file
    inputs = [i for i in inputs if i]
    inputs += [str(Path(i).with_name(Path(i).stem + ".vocab")) for i in inputs]  # npy word lists
    for out in outputs:
        refuse_same_file(out, inputs)


def run(args: argparse.Namespace) -> int:
    from vgbench.atomic import check_writable
    from vgbench.sources.checkpoint import checkpoint_textual
    outputs = _outputs(args.out, args.format)
    if Path(args.out).is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder; --out names the output file", args.out)
    _refuse_inputs_as_outputs(outputs, [args.vectors, args.checkpoint])
    check_writable(Path(args.out).parent)  # before the long work, not after it
    g, source, emb = checkpoint_textual(args.checkpoint, args.vectors, args.te,
                                        progress=not args.quiet, nonfinite=args.nonfinite)
    _refuse_inputs_as_outputs(outputs, [source])  # the vectors recorded in the checkpoint
    if emb.meta.get("nonfinite"):
        print(f"note: {source}: left out {emb.meta['nonfinite']} word(s) whose vectors hold nan or inf "
              f"({'; '.join(emb.meta.get('nonfinite_examples', [])[:3])})")
    out = g.export(emb, args.out, args.format, chunk=args.chunk_size, progress=not args.quiet)
    print(f"grounded {len(emb)} words ({g.in_dim} -> {g.grounded_dim} dims, training words from the "
          f"{g.te} vectors) into {out}")
    return 0
