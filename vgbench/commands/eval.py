"""`vgbench eval SOURCE...`: evaluate embeddings and print/write the comparison."""
from __future__ import annotations

import argparse
import sys

from vgbench.commands.options import (add_cache_dir, add_data_root, add_datasets, add_report_layout,
                                      choice, comma_list)
from vgbench.embeddings.core import CASE_POLICIES
from vgbench.evaluation.policy import (ANALOGY_METHODS, DEFAULT, NONFINITE_POLICIES, OOV_POLICIES,
                                      PAIRED_TESTS, Policy)

SPEC_HELP = """source forms:
  glove-6b-50d | glove-6b-100d            registry names (the second needs --download once)
  vectors.txt[.gz|.bz2] | .vec | .bin      GloVe / word2vec / fastText text or word2vec binary
  matrix.npy (+ matrix.vocab) | model.kv   numpy matrix + word list, gensim KeyedVectors
  runs/vge/best.pt                         a trained vgbench checkpoint, grounded on the fly
  'SOURCE|abtt:3'                          SOURCE post-processed (center, abtt:D, normalize, whiten:K)
  'random-m[c=256,seed=0]:SOURCE'          control: SOURCE through an untrained mapping
  'concat[alpha=0.5]:TEXTUAL,GROUNDED'     control: [(1-a) textual ; a grounded] (paper Table 6)
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate word vectors on word similarity, STS, analogies "
                                    "and categorization",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Evaluate one or more embeddings (files in any format, registry "
                                   "names such as glove-6b-50d, trained checkpoints) side by side.",
                       epilog=SPEC_HELP)
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="embedding file, registry name or checkpoint")
    p.add_argument("--name", action="append", default=None, metavar="LABEL",
                   help="label for the n-th source in tables (repeat per source)")
    add_datasets(p, help="comma-separated groups (paper, similarity, sts, analogy, categorization, "
                        "all) or names (MEN, SimLex-999, STS12, STSB, Google, MSR, AP, BLESS, ...; "
                        "`vgbench datasets` lists them); default: paper, or none when --dataset, "
                        "--sts-dir, --analogy or --categorization are given")
    p.add_argument("--dataset", action="append", default=[], metavar="FILE",
                   help="your own word-pair file (word1 word2 score; delimiter sniffed); repeatable")
    p.add_argument("--sts-dir", action="append", default=[], metavar="DIR",
                   help="your own STS folder (STS.input.X.txt + STS.gs.X.txt); repeatable")
    p.add_argument("--analogy", action="append", default=[], metavar="FILE",
                   help="your own analogy file in the Google format (': section' lines, then "
                        "'a b c d'); repeatable")
    p.add_argument("--categorization", action="append", default=[], metavar="FILE",
                   help="your own categorization file (word<TAB>class per line); repeatable")
    _add_policy(p)
    p.add_argument("--baseline", action="append", default=None, metavar="NAME|INDEX",
                   help="embedding the others are tested against (default: the first); repeatable")
    p.add_argument("--format", dest="fmt", default=None, type=str.lower,
                   help="input format for all sources (default: sniffed): glove, word2vec, fasttext, "
                        "word2vec-binary, npy, gensim, checkpoint")
    p.add_argument("--trust-pickle-code", action="store_true",
                   help="unpickle gensim .kv/.model files fully, which RUNS ANY CODE they contain; "
                        "only for files you made yourself (default: a restricted unpickler that "
                        "admits only gensim's classes, numpy arrays and builtins)")
    p.add_argument("--download", action="store_true",
                   help="allow fetching registry embeddings that are not installed (e.g. glove-6b-100d)")
    add_data_root(p, help="folder for your own data: relative --datasets paths are also looked up "
                          "here (default: $VGBENCH_DATA); built-in benchmarks ship with vgbench")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write results.json, CSV, Markdown, LaTeX and charts here")
    add_report_layout(p, "with --out: skip the charts")
    p.add_argument("--postprocess", default=None, metavar="STEPS",
                   help="post-process every source, steps in order: center, abtt:D, normalize, whiten:K "
                        "(e.g. abtt:3); per source: 'SOURCE|STEPS'")
    p.add_argument("--postprocess-rows", type=int, default=100_000, metavar="N",
                   help="estimate post-processing statistics on the first N rows (default 100000)")
    p.add_argument("--no-cache", action="store_true",
                   help="evaluate even if these files were evaluated before, and store nothing")
    add_cache_dir(p, "; `vgbench leaderboard` reads it")
    p.add_argument("--json", action="store_true",
                   help="print the results (as results.json holds them) on stdout instead of the "
                        "table; notes go to stderr")
    p.set_defaults(func=run)


def _add_policy(p: argparse.ArgumentParser) -> None:
    """The options that make up the scoring Policy; their defaults are the Policy's."""
    p.add_argument("--analogy-vocab", type=int, default=DEFAULT.analogy_vocab, metavar="N",
                   help=f"analogies search the first N words of each source (default "
                        f"{DEFAULT.analogy_vocab}, as gensim)")
    p.add_argument("--analogy-methods", default=",".join(DEFAULT.analogy_methods), metavar="LIST",
                   help=f"analogy solvers: {ANALOGY_METHODS[0]} (headline, gensim's), "
                        f"{ANALOGY_METHODS[1]} (Levy & Goldberg 2014; three times the cost); "
                        f"default {','.join(DEFAULT.analogy_methods)}, e.g. "
                        f"{','.join(ANALOGY_METHODS)} for both")
    p.add_argument("--case", choices=CASE_POLICIES, type=choice(CASE_POLICIES), default=DEFAULT.case,
                   help=f"word lookup for word similarity and categorization (default: {DEFAULT.case})")
    p.add_argument("--sts-case", choices=CASE_POLICIES, type=choice(CASE_POLICIES), default=DEFAULT.sts_case,
                   help=f"token lookup for STS (default: {DEFAULT.sts_case}, as SentEval)")
    p.add_argument("--oov", choices=OOV_POLICIES, type=choice(OOV_POLICIES), default=DEFAULT.oov,
                   help=f"pairs with an unknown word: skip them, or score them 0 (default: {DEFAULT.oov})")
    p.add_argument("--common-pairs", action="store_true", default=DEFAULT.common_pairs,
                   help="score every embedding only on the pairs all of them cover")
    p.add_argument("--bootstrap", type=int, default=DEFAULT.n_boot, metavar="N",
                   help=f"bootstrap resamples for {100 * DEFAULT.level:g}%% CIs (0: no CIs; "
                        f"default {DEFAULT.n_boot})")
    p.add_argument("--paired-test", choices=PAIRED_TESTS, type=choice(PAIRED_TESTS), default=DEFAULT.paired_test,
                   help=f"test of each embedding against the baseline (default: {DEFAULT.paired_test})")
    p.add_argument("--seed", type=int, default=DEFAULT.seed, metavar="N",
                   help=f"random seed of the bootstrap (default {DEFAULT.seed})")
    p.add_argument("--nonfinite", choices=NONFINITE_POLICIES, type=choice(NONFINITE_POLICIES),
                   default=DEFAULT.nonfinite,
                   help=f"a vector row with nan/inf: drop that word and count it (default: "
                        f"{DEFAULT.nonfinite}), or stop")


def policy_from_args(args: argparse.Namespace) -> Policy:
    """The one Policy of a `vgbench eval` command line."""
    return Policy(case=args.case, sts_case=args.sts_case, oov=args.oov,
                  common_pairs=args.common_pairs, n_boot=args.bootstrap, seed=args.seed,
                  paired_test=args.paired_test, analogy_vocab=args.analogy_vocab,
                  analogy_methods=tuple(comma_list(args.analogy_methods)),
                  nonfinite=args.nonfinite)


def run(args: argparse.Namespace) -> int:
    from vgbench.reporting import console_table, write_reports

    datasets = comma_list(args.datasets)
    if datasets is None:
        datasets = [] if (args.dataset or args.sts_dir or args.analogy or args.categorization) else ["paper"]
    elif not datasets:
        raise ValueError(f"--datasets {args.datasets!r} names no dataset; give names such as "
                         f"MEN,SimLex-999,sts, or all")
    baseline = [int(b) if b.isdigit() else b for b in (args.baseline or ["0"])]
    if args.out:  # a folder that cannot take the report fails now, not after the evaluation
        from vgbench.reporting.writer import check_report_dir
        check_report_dir(args.out)
    with _pickle_trust(args):
        results = _evaluate(args, datasets, baseline)
    from vgbench.reporting.summary import build_summary, run_stamp, summary_console
    results.settings["invocation"] = run_stamp()  # command, date, commit: the reports' first screen
    # with --json, stdout carries the results alone (for `| jq`); every note goes to stderr
    notes = sys.stderr if args.json else sys.stdout
    if results.cached:
        print(f"cached: the same files, datasets, policy and vgbench version were evaluated on "
              f"{results.cached['created']}; nothing re-evaluated ({results.cached['path']})", file=notes)
    if args.json:
        print(results.to_json())
    else:
        print(console_table(results, sts_metric=args.metric, sts_aggregate=args.aggregate))
    for dataset, info in results.settings.get("repeated_pairs", {}).items():
        if not info.get("built_in"):
            print(f"note: {dataset}: {info['rows']} row(s) repeat an earlier pair "
                  f"({', '.join(info.get('examples', []))}); every row is scored as given, so "
                  f"remove the repeats if they are a mistake", file=notes)
    for name, meta in results.embeddings.items():
        if meta.get("nonfinite"):
            print(f"note: {meta.get('source', name)}: dropped {meta['nonfinite']} word(s) whose vectors hold nan or inf "
                  f"({'; '.join(meta.get('nonfinite_examples', [])[:3])}; --nonfinite error to stop instead)",
                  file=notes)
        if meta.get("duplicates"):
            examples = ", ".join(map(str, meta.get("duplicate_examples", [])[:3]))
            print(f"note: {meta.get('source', name)}: {meta['duplicates']} duplicate word(s)"
                  + (f" ({examples})" if examples else "") + "; the first row of each is kept", file=notes)
        post = meta.get("postprocess")
        if isinstance(post, dict) and post.get("warning"):
            print(f"warning: {name}: {post['warning']}", file=sys.stderr)
    if args.out:
        written = write_reports(results, args.out, charts=not args.no_charts,
                                sts_metric=args.metric, sts_aggregate=args.aggregate)
        print(f"wrote {len(written)} files to {args.out} (start with summary.md or "
              f"index.html)", file=notes)
    if not args.json:
        print("\n" + summary_console(build_summary(results)), end="")
    return 0


def _pickle_trust(args: argparse.Namespace):
    """Full unpickling of gensim files only under --trust-pickle-code (it runs their code)."""
    import contextlib
    from vgbench.embeddings.gensim_pickle import trusting_pickle_code
    return trusting_pickle_code() if getattr(args, "trust_pickle_code", False) else contextlib.nullcontext()


def _evaluate(args: argparse.Namespace, datasets, baseline):
    from vgbench.evaluation.api import evaluate
    from vgbench.evaluation.cache import ResultsCache
    return evaluate(args.sources, datasets, policy=policy_from_args(args), baseline=baseline,
                    pair_files=args.dataset, sts_dirs=args.sts_dir, analogy_files=args.analogy,
                    categorization_files=args.categorization, data_root=args.data_root,
                    names=args.name, fmt=args.fmt, download=args.download,
                    postprocess=args.postprocess, postprocess_rows=args.postprocess_rows,
                    progress=not args.quiet and sys.stderr.isatty(),
                    cache=None if args.no_cache else ResultsCache(args.cache_dir))
