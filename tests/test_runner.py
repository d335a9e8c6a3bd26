"""The one experiment runner (vgbench.pipeline.runner): the demo, paper and study are specs it
executes; an evaluation step reruns exactly when its sources, names, options or upstream steps
change; references to trained models resolve to their files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vgbench.datasets import registry
from vgbench.pipeline import demo, paper
from vgbench.pipeline.runner import REFERENCE, Evaluate, Experiment
from vgbench.pipeline.settings import RunSettings


def _vectors(path: Path) -> Path:
    """A small text embedding over MEN's words, with rows that follow a fixed random draw."""
    words = sorted({w for a, b in zip(registry.load("MEN").word1, registry.load("MEN").word2) for w in (a, b)})
    rng = np.random.default_rng(0)
    path.write_text("".join(f"{w} {' '.join(f'{x:.4f}' for x in rng.normal(size=8))}\n" for w in words))
    return path


def _references(spec: Evaluate) -> set[tuple[str, str]]:
    return {(kind, label) for src in spec.sources for kind, label in REFERENCE.findall(src)}


def test_the_demo_and_paper_specs_only_name_models_they_train_or_ground():
    trained = {row.label for row in demo.DemoSettings().train_rows()}
    grounded = {row.label for row in demo.GROUND}
    assert grounded <= trained
    refs = _references(demo.EVALUATION)
    assert refs == {("train", "C_GloVe"), ("ground", "VGE"), ("ground", "CapImg")}
    assert len(demo.EVALUATION.sources) == len(demo.EVALUATION.names) == 8
    settings = paper.PaperSettings()
    paper_trained = {row.label for row in settings.train_rows()}
    specs = settings.evaluations()
    for spec in specs.values():
        assert {label for kind, label in _references(spec)} <= paper_trained and not any(
            kind == "ground" for kind, _ in _references(spec))
    assert specs["concatenation"].options["n_boot"] == 0   # Table 6 reports point scores only


def test_references_resolve_to_the_grounder_and_the_grounded_vectors(tmp_path):
    exp = Experiment(RunSettings(runs=tmp_path), "glove-6b-50d", echo=lambda _: None)
    exp.trained["VGE"] = tmp_path / "vge_run"
    exp.grounded["VGE"] = tmp_path / "grounded" / "vge.npy"
    assert exp.resolve("{train:VGE}|abtt:3") == f"{tmp_path / 'vge_run' / 'grounder.pt'}|abtt:3"
    assert exp.resolve("concat[alpha=0.5]:glove-6b-50d,{ground:VGE}") == \
        f"concat[alpha=0.5]:glove-6b-50d,{tmp_path / 'grounded' / 'vge.npy'}"


def test_an_evaluation_step_reruns_exactly_when_what_it_reads_changes(tmp_path):
    vectors = _vectors(tmp_path / "men.txt")
    settings = RunSettings(out=tmp_path / "out", runs=tmp_path / "runs", n_boot=0)
    spec = Evaluate("evaluate MEN", "men", (str(vectors),), ("Mine",), {"datasets": ["MEN"]})

    def run(spec: Evaluate) -> tuple[list[str], dict]:
        lines: list[str] = []
        out = Experiment(settings, "glove-6b-50d", echo=lines.append).evaluate(spec)
        return [line.split(" ")[0] for line in lines], json.loads(out.read_text())

    ran, results = run(spec)
    assert ran == ["[step]", "[done]"] and list(results["embeddings"]) == ["Mine"]
    assert [s["dataset"] for s in results["scores"]] == ["MEN"]
    assert run(spec)[0] == ["[skip]"]
    renamed = Evaluate(spec.step, spec.folder, spec.sources, ("Yours",), spec.options)
    ran, results = run(renamed)
    assert ran == ["[step]", "[done]"] and list(results["embeddings"]) == ["Yours"]
    more = Evaluate(spec.step, spec.folder, spec.sources, ("Yours",), {"datasets": ["MEN", "RW"]})
    ran, results = run(more)
    assert ran == ["[step]", "[done]"] and {s["dataset"] for s in results["scores"]} == {"MEN", "RW"}
    vectors.write_text(vectors.read_text().replace("0.", "1.", 5) + "extra 1 2 3 4 5 6 7 8\n")  # the file changed
    assert run(more)[0] == ["[step]", "[done]"]
