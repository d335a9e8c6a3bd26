"""`make demo`: fingerprinted steps (reuse, rerun, resume), the report folder rebuilt from the run, and
the quick variant end to end (CI's smoke test of the main job)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vgbench.pipeline import fingerprint as fp
from vgbench.paths import config_path
from vgbench.pipeline.demo import DemoSettings, run_demo
from vgbench.atomic import MANIFEST
from vgbench.pipeline.steps import StepError, StepLog, report_folder


def _writer(path: Path, calls: list):
    def fn(resume):
        calls.append(resume)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"run {len(calls)}")
    return fn


def test_a_step_is_reused_only_with_the_same_fingerprint_and_its_outputs(tmp_path):
    out = tmp_path / "work" / "out.txt"
    calls: list = []
    log = StepLog.open(tmp_path / "steps.json")
    assert log.run("s", _writer(out, calls), fingerprint="a", outputs=[out], workdir=out.parent, echo=print)
    again = StepLog.open(tmp_path / "steps.json")
    assert not again.run("s", _writer(out, calls), fingerprint="a", outputs=[out], echo=print)
    assert again.reused == ["s"] and calls == [False]
    (out.parent / "stale.txt").write_text("from the old inputs")
    assert again.run("s", _writer(out, calls), fingerprint="b", outputs=[out], workdir=out.parent, echo=print)
    assert not (out.parent / "stale.txt").exists(), "a changed fingerprint starts from a clean work folder"
    out.unlink()
    assert StepLog.open(tmp_path / "steps.json").run("s", _writer(out, calls), fingerprint="b", outputs=[out],
                                                     echo=print)
    assert calls == [False, False, False]
    doc = json.loads((tmp_path / "steps.json").read_text())
    assert doc["steps"]["s"]["fingerprint"] == "b" and doc["steps"]["s"]["state"] == "done"


def test_a_killed_step_resumes_with_the_same_fingerprint_and_restarts_with_another(tmp_path):
    out = tmp_path / "work" / "out.txt"
    log = StepLog.open(tmp_path / "steps.json")

    def killed(resume):
        out.parent.mkdir(parents=True, exist_ok=True)
        (out.parent / "last.pt").write_text("half")
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        log.run("train", killed, fingerprint="a", outputs=[out], workdir=out.parent, echo=print)
    calls: list = []
    StepLog.open(tmp_path / "steps.json").run("train", _writer(out, calls), fingerprint="a", outputs=[out],
                                              workdir=out.parent, echo=print)
    assert calls == [True] and (out.parent / "last.pt").exists()

    with pytest.raises(KeyboardInterrupt):
        StepLog.open(tmp_path / "steps.json").run("train", killed, fingerprint="b", outputs=[out],
                                                  workdir=out.parent, echo=print)
    StepLog.open(tmp_path / "steps.json").run("train", _writer(out, calls), fingerprint="c", outputs=[out],
                                              workdir=out.parent, echo=print)
    assert calls == [True, False] and not (out.parent / "last.pt").exists()


def test_failures_name_the_step_and_older_records_count_as_nothing_done(tmp_path):
    (tmp_path / "steps.json").write_text(json.dumps({"s": {"seconds": 3.0, "finished": "x"}}))
    log = StepLog.open(tmp_path / "steps.json")
    assert log.steps == {}

    def boom(resume):
        raise ValueError("boom")
    with pytest.raises(StepError, match=r"step 's' failed: boom \(try again\)"):
        log.run("s", boom, fingerprint="a", outputs=[], hint="try again", echo=print)
    with pytest.raises(StepError, match="finished without writing .*nothing.txt"):
        log.run("t", lambda _: None, fingerprint="a", outputs=[tmp_path / "nothing.txt"], echo=print)


def test_report_folder_rebuilds_reports_and_refuses_foreign_folders(tmp_path):
    dest = tmp_path / "report"
    dest.mkdir()
    (dest / "README.md").write_text("# vgbench demo\nold")
    (dest / "stale.png").write_text("from a committed report")
    (dest / "charts").mkdir()
    (dest / "charts" / "old.png").write_text("from a committed report")

    with report_folder(dest, "# vgbench demo") as folder:
        (folder / "README.md").write_text("# vgbench demo\nnew")
    assert sorted(p.name for p in dest.iterdir()) == [MANIFEST, "README.md"]
    assert "new" in (dest / "README.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]

    with pytest.raises(RuntimeError):
        with report_folder(dest, "# vgbench demo") as folder:
            (folder / "half.md").write_text("x")
            raise RuntimeError("render failed")
    assert sorted(p.name for p in dest.iterdir()) == [MANIFEST, "README.md"]
    assert "new" in (dest / "README.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]

    # a report written into a subfolder by another run (make study100's reports/study/100d) survives
    # the outer report's rebuild; the outer report's own earlier files do not
    with report_folder(dest / "100d", "# vgbench demo") as folder:
        (folder / "README.md").write_text("# vgbench demo\n100d")
    (dest / "stale.png").write_text("left by hand, listed nowhere")
    with report_folder(dest, "# vgbench demo") as folder:
        (folder / "README.md").write_text("# vgbench demo\nnewer")
    assert sorted(p.name for p in dest.iterdir()) == [MANIFEST, "100d", "README.md"]
    assert sorted(p.name for p in (dest / "100d").iterdir()) == [MANIFEST, "README.md"]
    assert "100d" in (dest / "100d" / "README.md").read_text()
    assert "newer" in (dest / "README.md").read_text()

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(StepError, match="not a report written by this command"):
        with report_folder(mine, "# vgbench demo") as folder:
            (folder / "README.md").write_text("# vgbench demo\nnew")
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "report"]


def test_source_digest_follows_file_contents(tmp_path, monkeypatch):
    """The digest follows the bytes of the modules a step imports (not their compiled caches)."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from vgbench.pkg import b\nx = 1\n")
    (tmp_path / "pkg" / "b.py").write_text("y = 1\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    monkeypatch.setattr(fp, "PACKAGE", tmp_path)
    monkeypatch.setattr(fp, "_SOURCES", {})
    first = fp.source_digest(["vgbench.pkg.a"])
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\1")
    monkeypatch.setattr(fp, "_SOURCES", {})
    assert fp.source_digest(["vgbench.pkg.a"]) == first
    (tmp_path / "pkg" / "b.py").write_text("y = 2\n")      # an imported module changed
    monkeypatch.setattr(fp, "_SOURCES", {})
    second = fp.source_digest(["vgbench.pkg.a"])
    assert second != first
    (tmp_path / "pkg" / "a.py").write_text("from vgbench.pkg import b\nx = 2\n")
    monkeypatch.setattr(fp, "_SOURCES", {})
    assert fp.source_digest(["vgbench.pkg.a"]) not in (first, second)
    assert fp.digest({"a": 1, "b": [2]}) == fp.digest({"b": [2], "a": 1}) != fp.digest({"a": 1, "b": [3]})


def test_demo_configs_train_a_fixed_number_of_epochs():
    from vgbench.grounding.config import load_config
    for name in ("demo_c_glove", "demo_vge", "demo_caption_image"):
        cfg = load_config(name)
        assert cfg.train.time_limit_s == 0 and cfg.train.epochs >= 4, name


@pytest.mark.slow
def test_quick_demo_writes_the_report_and_reruns_only_what_changed(tmp_path):
    out = tmp_path / "report"
    out.mkdir()  # a committed report from an earlier run: never counts as done
    (out / "README.md").write_text("# vgbench demo\nfrom another machine")
    (out / "results.json").write_text("{}")
    settings = DemoSettings(out=out, runs=tmp_path / "runs", quick=True)
    lines: list[str] = []
    run_demo(settings, echo=lines.append)
    assert not any(line.startswith("[skip]") for line in lines)
    for name in ("README.md", "table1_intrinsic.tex", "table3_simlex.tex", "table4_sts.tex", "tables.md",
                 "simlex_concreteness.png", "neighbors.md", "spectrum.png", "results.json", "index.html",
                 "concreteness.png"):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "results.json").read_text())
    assert list(results["embeddings"]) == ["GloVe", "GloVe+ABTT", "C_GloVe", "C_GloVe+ABTT", "VGE",
                                           "VGE+ABTT", "CapImg", "CapImg+ABTT"]
    glove_men = next(s for s in results["scores"] if s["embedding"] == "GloVe" and s["dataset"] == "MEN")
    assert round(glove_men["value"], 1) == 65.7
    assert {t["embedding_a"] for t in results["tests"]} == {"GloVe", "GloVe+ABTT"}
    readme = (out / "README.md").read_text()
    assert "| train VGE" in readme and "| train CapImg" in readme and "Nearest neighbours" in readme and "from another machine" not in readme
    assert "vgbench/data/flickr8k/`), SHA-256 checked" in readme
    # the machine and numerics each training run recorded (issue 21)
    assert "## Machine and numerics" in readme and "- CapImg: " in readme and "batches random" in readme

    again: list[str] = []
    run_demo(settings, echo=again.append)
    assert sum(line.startswith("[skip]") for line in again) == 8

    # A changed C_GloVe config reruns its training and the evaluation that reads it, nothing else.
    config = tmp_path / "demo_c_glove.toml"
    config.write_text(config_path("demo_c_glove").read_text().replace(
        "reg_alpha = 0.001", "reg_alpha = 0.01"))
    settings.configs = (("C_GloVe", str(config)), *settings.configs[1:])
    third: list[str] = []
    run_demo(settings, echo=third.append)
    ran = [line[len("[step] "):].split(" (")[0].removesuffix(" ...")
           for line in third if line.startswith("[step]")]
    assert ran == ["train C_GloVe", "evaluate all side by side", "write the report from this run's results"]
    readme = (out / "README.md").read_text()
    from vgbench.reporting.escape import markdown_text    # the steps table escapes Markdown's `_`
    assert "reused (same inputs" in readme and f"| {markdown_text('train C_GloVe (demo_c_glove')}" not in readme
    assert readme.count(f"| {markdown_text('train C_GloVe')}") == 1
