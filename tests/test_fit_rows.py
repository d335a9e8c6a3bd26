"""One fit set for post-processing, whatever the path: ABTT's statistics come from the
embedding's own most frequent rows (file order), never from the rows the benchmarks happen to need.

The same GloVe 6B 50d vectors as a registry name, a GloVe text file, a word2vec binary and a
.npy + .vocab pair must give identical `|abtt:3` figures (the issue's done-when: six-set mean
46.9, STS mean 52.30)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from vgbench.cli import EXIT_INPUT, main
from vgbench.embeddings.core import Embeddings
from vgbench.embeddings.writers import save_embeddings
from vgbench.evaluation.api import evaluate, resolve_datasets
from vgbench.reporting.score_tables import STS_YEARS, six_set_mean

FIT = 100_000


@pytest.fixture(scope="module")
def glove_copies(glove50, tmp_path_factory):
    """GloVe's first 100,000 rows plus every later row a default benchmark word needs, in file
    order (exactly what the registry load keeps), saved in three file formats."""
    vocab = {w.lower() for w in resolve_datasets().vocabulary()}
    keep = [i for i, w in enumerate(glove50.words) if i < FIT or w.lower() in vocab]
    sub = Embeddings([glove50.words[i] for i in keep], glove50.vectors[keep], "glove-sub")
    folder = tmp_path_factory.mktemp("glove_copies")
    paths = {"text": folder / "glove.txt", "binary": folder / "glove.bin",
             "npy": folder / "glove.npy"}
    save_embeddings(sub, paths["text"], fmt="glove")
    save_embeddings(sub, paths["binary"], fmt="word2vec-binary")
    np.save(paths["npy"], sub.vectors)
    (folder / "glove.vocab").write_text("\n".join(sub.words) + "\n", encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}


def _figures(results):
    name = next(iter(results.embeddings))
    sts = np.mean([results.get(name, y, "mean", "pearson").value for y in STS_YEARS])
    return (round(six_set_mean(results, name), 6), round(float(sts), 6),
            results.embeddings[name]["postprocess"]["fit_rows_used"])


def test_every_path_fits_abtt_on_the_same_rows(glove_copies):
    registry = _figures(evaluate(["glove-6b-50d|abtt:3"], n_boot=0))
    assert registry[2] == FIT
    assert f"{registry[0]:.1f}" == "46.9" and f"{registry[1]:.2f}" == "52.30"
    for kind, path in glove_copies.items():
        assert _figures(evaluate([f"{path}|abtt:3"], n_boot=0)) == pytest.approx(registry,
                                                                                abs=1e-4), kind


def test_results_json_and_report_show_the_fit_rows(glove_copies, tmp_path):
    out = tmp_path / "rep"
    assert main(["eval", f"{glove_copies['npy']}|abtt:3", "--datasets", "MEN", "--bootstrap", "0",
                 "--out", str(out), "--no-cache", "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    post = data["embeddings"]["glove.npy|abtt:3"]["postprocess"]
    assert post["fit_rows"] == FIT and post["fit_rows_used"] == FIT and "warning" not in post
    assert "fitted on its first 100,000 rows" in (out / "tables.md").read_text()


def test_fewer_rows_than_asked_is_a_visible_warning(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = ["cat", "dog", "car", "truck", "sun", "moon", "king", "queen", "tree", "house"]
    path = tmp_path / "small.txt"
    path.write_text("".join(f"{w} {' '.join(f'{x:.4f}' for x in rng.normal(size=6))}\n"
                            for w in words))
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("cat dog 5\ncar truck 6\nsun moon 4\nking queen 8\ntree house 1\n")
    out = tmp_path / "rep"
    assert main(["eval", f"{path}|abtt:2", "--dataset", str(pairs), "--bootstrap", "0",
                 "--out", str(out), "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "fitted on 10 rows, fewer than the 100,000 asked" in err
    post = json.loads((out / "results.json").read_text())["embeddings"]["small.txt|abtt:2"][
        "postprocess"]
    assert post["fit_rows_used"] == 10 and "fewer than the 100,000 asked" in post["warning"]
    assert "fewer than the 100,000 asked" in (out / "tables.md").read_text()


def test_abtt_with_as_many_directions_as_dimensions_is_an_error(tmp_path, capsys):
    path = tmp_path / "tiny.txt"
    path.write_text("cat 1 0 0\ndog 0 1 0\ncar 0 0 1\ntruck 1 1 0\n")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("cat dog 5\ncar truck 6\ncat car 4\n")
    assert main(["eval", f"{path}|abtt:3", "--dataset", str(pairs), "--no-cache",
                 "--quiet"]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "abtt:3" in err and "3-dimensional" in err and err.count("\n") == 1


def test_a_checkpoint_and_vectors_in_memory_fit_on_the_same_rows(glove_copies, tmp_path):
    """A grounder over the .npy copy (grounded on the fly, word-filtered) against the same
    grounded vectors held whole in memory: ABTT sees the same first 100,000 rows."""
    from vgbench.embeddings import load_embeddings
    from vgbench.grounding.grounder import Grounder
    m = np.linalg.qr(np.random.default_rng(0).normal(size=(50, 50)))[0].astype(np.float32)
    Grounder(m, textual=glove_copies["npy"]).save(tmp_path / "g.pt")
    textual = load_embeddings(glove_copies["npy"])
    grounded = Embeddings(textual.words, textual.vectors @ m, "in-memory")
    sets = ["MEN", "SimLex-999", "RW"]
    ckpt = evaluate([f"{tmp_path / 'g.pt'}|abtt:3"], sets, n_boot=0)
    memory = evaluate([grounded], sets, n_boot=0, postprocess="abtt:3")
    for res in (ckpt, memory):
        assert next(iter(res.embeddings.values()))["postprocess"]["fit_rows_used"] == FIT
    for d in sets:
        assert (ckpt.get("g.pt|abtt:3", d).value
                == pytest.approx(memory.get("in-memory+abtt:3", d).value, abs=1e-3)), d
