"""End-to-end evaluation speed: vgbench vs gensim on GloVe 6B 50d in its text form.

gensim path (what a user would otherwise write): KeyedVectors.load_word2vec_format(no_header=True)
then evaluate_word_pairs on the six word-similarity sets. vgbench path: `evaluate()` on the same
six sets plus SimLex sections and STS12-16 (more work), streaming only the needed words.
Both runs start from the text file; the OS page cache is warmed first so neither pays the disk.

    .venv/bin/python benchmarks/bench_eval.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import glove50_text, timed  # noqa: E402


def gensim_run(text: Path, pair_files: list[Path]) -> dict:
    from gensim.models import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(str(text), binary=False, no_header=True)
    return {p.stem: kv.evaluate_word_pairs(str(p), restrict_vocab=len(kv), case_insensitive=True)[1].statistic
            for p in pair_files}


def main() -> None:
    from vgbench.datasets import load_similarity
    from vgbench.datasets.registry import PAPER_SIMILARITY
    from vgbench.evaluation.api import evaluate

    text = glove50_text()
    subprocess.run(["cat", str(text)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    tmp = Path(tempfile.mkdtemp())
    pair_files = []
    for name in PAPER_SIMILARITY:  # gensim wants tab-separated word1 word2 score
        d = load_similarity(name)
        p = tmp / f"{name}.tsv"
        p.write_text("".join(f"{a}\t{b}\t{g}\n" for a, b, g in zip(d.word1, d.word2, d.gold)))
        pair_files.append(p)
    t: dict[str, float] = {}
    with timed("gensim", t):
        g = gensim_run(text, pair_files)
    with timed("vgbench", t):
        r = evaluate([str(text)], n_boot=0, paired_test="none")
    with timed("vgbench+ci", t):
        evaluate([str(text)], n_boot=1000, paired_test="none")
    label = r.embedding_names()[0]
    for name, p in zip(PAPER_SIMILARITY, pair_files):
        assert abs(100 * g[p.stem] - r.get(label, name).value) < 0.05, name
    print(f"file: {text} ({text.stat().st_size / 1e6:.0f} MB)")
    print(f"gensim load_word2vec_format + evaluate_word_pairs (6 sets):      {t['gensim']:6.2f} s")
    print(f"vgbench evaluate (6 sets + SimLex sections + STS12-16, no CIs): {t['vgbench']:6.2f} s")
    print(f"vgbench evaluate, same with 1000-resample bootstrap CIs:        {t['vgbench+ci']:6.2f} s")
    print(f"speed-up vs gensim: {t['gensim'] / t['vgbench']:.1f}x (with CIs: {t['gensim'] / t['vgbench+ci']:.1f}x)")


if __name__ == "__main__":
    main()
