"""Word-analogy speed: vgbench vs gensim's evaluate_word_analogies on GloVe 6B 50d.

Both solve Google (19,544 questions) and MSR (8,000, written in the Google format for gensim)
with 3CosAdd among the 300,000 most frequent words, case-insensitive, from the same vectors in
memory (loading is not timed). The accuracies must agree; the script prints both times and the
ratio, then vgbench's time for 3CosAdd and 3CosMul together.

    .venv/bin/python benchmarks/bench_analogy.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import timed  # noqa: E402


def google_format(aset) -> str:
    lines, current = [], None
    for a, b, c, d, sec in zip(aset.a, aset.b, aset.c, aset.d, aset.section):
        if sec != current:
            lines.append(f": {sec}")
            current = sec
        lines.append(f"{a} {b} {c} {d}")
    return "\n".join(lines) + "\n"


def main() -> None:
    from gensim.models import KeyedVectors

    from vgbench.datasets.analogy import load_google, load_msr
    from vgbench.embeddings import load_embeddings
    from vgbench.evaluation.analogy import analogy_vocab, evaluate_analogies, predict_analogies

    emb = load_embeddings("glove-6b-50d")
    kv = KeyedVectors(emb.dim)
    kv.add_vectors(emb.words, emb.vectors)
    sets = [load_google(), load_msr()]
    tmp = Path(tempfile.mkdtemp())
    files = []
    for aset in sets:
        path = tmp / f"{aset.name}.txt"
        path.write_text(google_format(aset))
        files.append(path)

    t: dict[str, float] = {}
    gensim_acc = {}
    for aset, path in zip(sets, files):
        with timed(f"gensim {aset.name}", t):
            gensim_acc[aset.name] = 100 * kv.evaluate_word_analogies(
                str(path), restrict_vocab=300_000, case_insensitive=True)[0]
    ours = {}
    with timed("vgbench", t):
        vocab = analogy_vocab(emb)
        for aset in sets:
            pred = predict_analogies(vocab, aset, ("3cosadd",))
            ours[aset.name] = next(s for s in evaluate_analogies("g", aset, pred, ci=False)
                                   if s.section == "All")
    with timed("vgbench both", t):
        vocab = analogy_vocab(emb)
        for aset in sets:
            predict_analogies(vocab, aset)
    for name, acc in gensim_acc.items():
        assert abs(acc - ours[name].value) < 1e-9, (name, acc, ours[name].value)
        print(f"{name}: accuracy {acc:.2f}% ({ours[name].n_used}/{ours[name].n_total} answered), "
              "identical in both")
    g = t["gensim Google"] + t["gensim MSR"]
    print(f"gensim evaluate_word_analogies (3CosAdd): Google {t['gensim Google']:6.1f} s, "
          f"MSR {t['gensim MSR']:6.1f} s, total {g:6.1f} s")
    print(f"vgbench 3CosAdd, Google + MSR:            {t['vgbench']:6.1f} s")
    print(f"speed-up vs gensim: {g / t['vgbench']:.1f}x")
    print(f"vgbench 3CosAdd + 3CosMul, Google + MSR:  {t['vgbench both']:6.1f} s")


if __name__ == "__main__":
    main()
