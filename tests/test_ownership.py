"""Never touch what is not ours (issue 18): vgbench removes, moves or overwrites only what it can
prove it wrote - temporary folders carrying its marker, files listed in an output folder's
manifest, run folders it made. Everything else, whatever its name, keeps every byte."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import vgbench.atomic as atomic
from vgbench.atomic import MANIFEST, NotOursError, atomic_output_dir, remove_stale_temps
from vgbench.cli import EXIT_INPUT, EXIT_SYSTEM, main

sys.path.insert(0, str(Path(__file__).parent))

WORDS = ["cat", "dog", "car", "truck", "sun", "moon", "king", "queen"]

# What a careful user keeps in a folder: hidden files and folders named like the temporary names
# older vgbench versions cleaned by pattern (`.NAME.<digits>-<chars>.tmp|.old`, `.X.<8 chars>.tmp`),
# notes, and empty folders. None of it may change.
USER_TREE = {
    ".thesis.2019-draft.old/chapter1.tex": b"\\chapter{Grounding}\n",
    ".thesis.2019-draft.old/figs/plot.pdf": b"%PDF-1.4 user figure",
    ".todo.31337-x.tmp": b"buy milk\n",
    ".backup.20231231.tmp/db.sql": b"CREATE TABLE precious (id int);\n",
    ".results.json.a1b2c3d4.tmp": b"an older tool's temp-like file",
    ".index.html.999999-abc.tmp": b"<p>draft</p>",
    "notes.txt": b"my notes",
    "empty/": None,
    "deep/er/": None,
}
# beside the folder, in its parent: named like a stale staging folder of the output folder
SIBLINGS = {".{name}.1999-backup.old/data.csv": b"a,b\n1,2\n", ".{name}.31337-x.tmp": b"keep me"}


def plant(folder: Path, tree: dict[str, bytes | None], name: str = "") -> None:
    for rel, data in tree.items():
        path = folder / rel.format(name=name)
        if data is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def snapshot(folder: Path, tree: dict[str, bytes | None], name: str = "") -> dict[str, str]:
    """Every planted file's SHA-256 and every planted folder, as they are now."""
    out = {}
    for rel in tree:
        path = folder / rel.format(name=name)
        if rel.endswith("/"):
            out[rel] = "folder" if path.is_dir() else "gone"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "gone"
    return out


def every_byte(folder: Path, tree=USER_TREE):
    """The user's tree planted in `folder` (and the siblings beside it), and a check that it holds."""
    plant(folder, tree)
    plant(folder.parent, SIBLINGS, folder.name)
    before = (snapshot(folder, tree), snapshot(folder.parent, SIBLINGS, folder.name))

    def kept():
        assert snapshot(folder, tree) == before[0]
        assert snapshot(folder.parent, SIBLINGS, folder.name) == before[1]
    return kept


@pytest.fixture()
def inputs(tmp_path):
    rng = np.random.default_rng(0)
    vec = tmp_path / "v.txt"
    vec.write_text("".join(w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=4)) + "\n" for w in WORDS))
    pairs = tmp_path / "p.tsv"
    pairs.write_text("cat\tdog\t8\ncar\ttruck\t7\nsun\tmoon\t6\nking\tqueen\t9\ncat\tcar\t1\n")
    return vec, pairs


def run_eval(inputs, out, *extra) -> int:
    vec, pairs = inputs
    return main(["eval", str(vec), "--dataset", str(pairs), "--bootstrap", "0", "--out", str(out),
                 "--quiet", "--no-cache", *extra])


@pytest.fixture()
def no_evaluation(monkeypatch):
    """Fails the test if the evaluation starts (checks must come before the long work)."""
    import vgbench.evaluation.api as api

    def evaluate(*a, **k):
        raise AssertionError("the evaluation ran before the output was checked")
    monkeypatch.setattr(api, "evaluate", evaluate)


# ----------------------------------------------------------------- 1. own only what we made
@pytest.mark.parametrize("out_name", ["rep2", "."])
def test_user_files_named_like_old_temps_survive_eval_out(tmp_path, inputs, monkeypatch, out_name):
    folder = tmp_path / "project" / ("rep2" if out_name == "rep2" else "")
    folder = folder.resolve() if out_name == "." else folder
    folder.mkdir(parents=True, exist_ok=True)
    kept = every_byte(folder)
    monkeypatch.chdir(folder.parent if out_name == "rep2" else folder)
    for extra in ((), ("--no-charts",)):  # first run and rerun
        assert run_eval(inputs, out_name, *extra) == 0
        kept()
        assert (folder / "results.json").is_file() and (folder / MANIFEST).is_file()


def test_only_marked_folders_of_dead_writers_are_removed(tmp_path):
    plant(tmp_path, USER_TREE)
    plant(tmp_path, SIBLINGS, "out")
    with atomic_output_dir(tmp_path / "out") as stage:
        (stage / "a.txt").write_text("1")
        live = atomic._marked_folder(tmp_path, "out", "tmp")  # a writer that still runs
        forged = tmp_path / ".out.1-forged.tmp"           # a marker naming another folder
        forged.mkdir()
        (forged / atomic.TEMP_MARK).write_text((live / atomic.TEMP_MARK).read_text()
                                               .replace(f"pid {os.getpid()}", "pid 999999"))
    assert remove_stale_temps(tmp_path) == []
    assert live.is_dir() and forged.is_dir()
    assert snapshot(tmp_path, USER_TREE) == {k: ("folder" if v is None else hashlib.sha256(v).hexdigest())
                                             for k, v in USER_TREE.items()}


def test_a_previous_output_caught_between_two_renames_is_put_back(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as stage:
        (stage / "a.txt").write_text("previous")
    old = atomic._marked_folder(tmp_path, "out", "old")
    os.rename(out, old / "previous")  # killed here: the output is gone from its place
    mark = old / atomic.TEMP_MARK
    mark.write_text(mark.read_text().replace(f"pid {os.getpid()}", "pid 999999"))
    assert remove_stale_temps(tmp_path, "out") == [old]
    assert (out / "a.txt").read_text() == "previous" and not old.exists()


# ------------------------------------------------------- 2. an output folder's foreign files
@pytest.mark.parametrize("name", ["index.html", "results.json", "scores.csv", "tables.md"])
def test_eval_out_refuses_a_user_file_it_would_overwrite_before_evaluating(
        tmp_path, inputs, capsys, no_evaluation, name):
    out = tmp_path / "out"
    kept = every_byte(out, {**USER_TREE, name: b"<h1>the user's own page</h1>"})
    assert run_eval(inputs, out) == EXIT_INPUT
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"vgbench eval: error: {out / name}: exists and was not written by vgbench")
    assert "\n" not in err
    kept()
    assert not (out / MANIFEST).exists()


@pytest.mark.parametrize("name", ["datasets.png", "table1_intrinsic.tex", "charts"])
def test_a_clash_found_only_when_committing_changes_nothing(tmp_path, name):
    out = tmp_path / "out"
    with atomic_output_dir(out) as stage:
        (stage / "a.txt").write_text("vgbench 1")
    kept = every_byte(out, {**USER_TREE, name: b"user"})
    with pytest.raises(NotOursError, match=f"{out / name}: exists"):
        with atomic_output_dir(out) as stage:
            (stage / "a.txt").write_text("vgbench 2")
            target = stage / name if name != "charts" else stage / "charts" / "x.png"
            target.parent.mkdir(exist_ok=True)
            target.write_text("vgbench")
    kept()
    assert (out / "a.txt").read_text() == "vgbench 1"
    assert not [p for p in tmp_path.iterdir() if atomic.is_temporary(p)]


def test_a_folder_of_empty_user_folders_is_not_swapped_away(tmp_path, inputs):
    out = tmp_path / "out"
    tree = {"empty/": None, "deep/er/": None, ".hidden/": None}
    kept = every_byte(out, tree)
    inode = out.stat().st_ino
    for extra in ((), ("--no-charts",)):
        assert run_eval(inputs, out, *extra) == 0
        kept()
        assert out.stat().st_ino == inode  # the folder itself was never renamed away
    listed = (out / MANIFEST).read_text().split()
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted([MANIFEST, *listed])


# ------------------------------------------------------------- 3. report, ground, train
def test_report_refuses_another_tools_results_json(tmp_path, capsys):
    folder = tmp_path / "other"
    kept = every_byte(folder, {**USER_TREE, "results.json": b"{}"})
    assert main(["report", str(folder)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"{folder / 'results.json'}: exists and was not written by vgbench" in err
    kept()


def test_report_into_a_folder_of_user_files_keeps_every_byte(tmp_path, inputs):
    src, folder = tmp_path / "src", tmp_path / "mine"
    assert run_eval(inputs, src) == 0
    kept = every_byte(folder)
    assert main(["report", str(src), "--out", str(folder), "--no-charts"]) == 0
    kept()
    assert main(["report", str(folder), "--no-charts"]) == 0  # its results.json is now vgbench's
    kept()
    assert (folder / "index.html").is_file()


@pytest.fixture()
def grounder(tmp_path):
    from vgbench.grounding.grounder import Grounder
    vec = tmp_path / "gin.txt"
    vec.write_text("".join(f"{w} {i} 1 0 2\n" for i, w in enumerate(WORDS)))
    g = Grounder(np.eye(4, 3, dtype=np.float32), textual=str(vec))
    return g.save(tmp_path / "grounder.pt"), vec


@pytest.mark.parametrize("spelling", ["same", "relative", "symlink", "default", "npy-vocab"])
def test_ground_refuses_an_output_that_is_an_input(tmp_path, grounder, monkeypatch, capsys, spelling):
    ckpt, vec = grounder
    monkeypatch.chdir(tmp_path)
    before = {p.name: p.read_bytes() for p in (vec, ckpt)}
    vectors, out = str(vec), str(vec)
    if spelling == "relative":
        out = os.path.join(".", "sub", "..", "gin.txt")
        (tmp_path / "sub").mkdir()
    elif spelling == "symlink":
        (tmp_path / "link.txt").symlink_to(vec)
        out = "link.txt"
    elif spelling == "default":  # no --vectors: the ones recorded in the grounder
        vectors = None
    elif spelling == "npy-vocab":  # writing gin.npy also writes gin.vocab
        vocab = tmp_path / "gin.vocab"
        vocab.write_text("".join(f"{w}\n" for w in WORDS))
        before[vocab.name] = vocab.read_bytes()
        vectors, out = str(vocab), "gin.npy"
    argv = ["ground", str(ckpt), "--out", out, "--no-progress"]
    assert main(argv + (["--vectors", vectors] if vectors else [])) == EXIT_INPUT
    assert "the output is the input" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in before} == before


def test_ground_still_writes_a_new_file(tmp_path, grounder):
    ckpt, vec = grounder
    assert main(["ground", str(ckpt), "--vectors", str(vec), "--out", str(tmp_path / "g.txt"),
                 "--no-progress"]) == 0
    assert len((tmp_path / "g.txt").read_text().splitlines()) == len(WORDS)


@pytest.mark.parametrize("name", ["../../escape_run", "/tmp/abs_run", "a/b", "..", ".", "a\\b"])
def test_run_names_cannot_leave_out_dir(tmp_path, name):
    from vgbench.grounding.config import load_config
    with pytest.raises(ValueError, match="one folder name inside out_dir"):
        load_config(None, [f'out_dir="{tmp_path}"', f"name={json.dumps(name)}"])


def test_train_cli_refuses_a_name_that_escapes_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    assert main(["train", "--set", "out_dir=runs", "--set", 'name="../../escape_run"']) == EXIT_INPUT
    assert "one folder name inside out_dir" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]
    assert not (tmp_path.parent / "escape_run").exists()


def test_train_refuses_a_folder_it_did_not_make(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    tree = {"myexp/config.toml": b"[mine]\n", "myexp/summary.json": b"{\"mine\": 1}",
            "myexp/log.csv": b"epoch,loss\n1,0.5\n", "myexp/grounders/epoch_001.pt": b"mine",
            **USER_TREE}
    kept = every_byte(tmp_path, tree)
    assert main(["train", "--set", "out_dir=.", "--set", 'name="myexp"']) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"myexp: exists, holds config.toml, grounders, log.csv ..." in err and "not made by vgbench" in err
    kept()


def small_training(out_dir: Path, name: str):
    from _vge_synthetic import make_task
    from vgbench.grounding.config import load_config
    from vgbench.grounding.trainer import Trainer
    ds, textual = make_task(n_images=30)
    cfg = load_config(None, [f'out_dir="{out_dir}"', f'name="{name}"', "model.grounded_dim=8",
                             "train.batch_size=16", "train.epochs=1", "train.threads=1"])
    return Trainer(cfg, ds, textual, progress=False)


def test_training_in_a_folder_of_user_files_keeps_every_byte(tmp_path):
    out_dir = tmp_path / "mine"
    kept = every_byte(out_dir, {**USER_TREE, "notes/config.toml": b"user"})
    with pytest.raises(ValueError, match="not made by vgbench train"):
        small_training(out_dir, "notes").run()  # an existing folder of the user's
    kept()
    small_training(out_dir, "run1").run()  # a new run folder beside the user's files
    kept()
    assert (out_dir / "run1" / "summary.json").is_file()
    small_training(out_dir, "run1").run(resume=True)  # ours: resumable
    kept()


# ------------------------------------------------------------- 4. mount points, other devices
@pytest.mark.parametrize("how", ["EBUSY", "EXDEV", "ismount"])
def test_a_folder_that_cannot_be_renamed_is_written_file_by_file(tmp_path, inputs, monkeypatch, how):
    out = tmp_path / "vol"
    assert run_eval(inputs, out) == 0  # vgbench's files only: swapped if it could be
    kept = every_byte(out, {})  # the siblings beside it
    inode = out.stat().st_ino
    real_rename, real_replace, real_ismount = os.rename, os.replace, os.path.ismount
    out_real = os.path.realpath(out)

    def rename(src, dst, *a, **k):
        if os.path.realpath(src) == out_real or os.path.realpath(dst) == out_real:
            raise OSError(errno.EBUSY if how == "EBUSY" else errno.EXDEV, "Device or resource busy", str(src))
        return real_rename(src, dst, *a, **k)

    def replace(src, dst, *a, **k):  # another device: a staged file cannot be renamed into the folder
        if how == "EXDEV" and os.path.dirname(os.path.realpath(dst)) == out_real \
                and not os.path.realpath(src).startswith(out_real + os.sep):
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(src))
        return real_replace(src, dst, *a, **k)

    if how == "ismount":
        monkeypatch.setattr(os.path, "ismount", lambda p: os.path.realpath(p) == out_real or real_ismount(p))
    else:
        monkeypatch.setattr(os, "rename", rename)
        monkeypatch.setattr(os, "replace", replace)
    before = (out / "results.json").read_bytes()
    assert run_eval(inputs, out, "--no-charts", "--name", "renamed") == 0
    monkeypatch.undo()
    assert out.stat().st_ino == inode
    assert (out / "results.json").read_bytes() != before and b"renamed" in (out / "results.json").read_bytes()
    listed = (out / MANIFEST).read_text().split()
    assert not any(n.endswith(".png") for n in listed)
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, *listed])  # stale files gone
    assert not [p for p in tmp_path.rglob(".*") if atomic.is_temporary(p)]
    kept()


def test_user_files_in_a_mount_point_are_kept(tmp_path, inputs, monkeypatch):
    out = tmp_path / "vol"
    kept = every_byte(out)
    monkeypatch.setattr(os.path, "ismount", lambda p: os.path.realpath(p) == os.path.realpath(out))
    assert run_eval(inputs, out) == 0
    kept()


def test_the_folder_above_cannot_be_written_stages_inside(tmp_path, inputs, monkeypatch):
    out = tmp_path / "vol"
    kept = every_byte(out)
    real = tempfile.mkdtemp

    def mkdtemp(*a, dir=None, **k):
        if dir is not None and os.path.realpath(dir) == os.path.realpath(tmp_path):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real(*a, dir=dir, **k)
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    assert run_eval(inputs, out) == 0
    monkeypatch.undo()
    kept()
    assert (out / "index.html").is_file()
    assert not [p for p in out.iterdir() if atomic.is_temporary(p)]


# ----------------------------------------------------------- 5. writability, up front
def _unwritable(monkeypatch, folder: Path):
    real = tempfile.mkstemp

    def mkstemp(*a, dir=None, **k):
        if dir is not None and os.path.realpath(dir) == os.path.realpath(folder):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real(*a, dir=dir, **k)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


@pytest.mark.parametrize("case", ["read-only", "under-a-file", "not-a-folder"])
def test_eval_fails_up_front_when_the_output_cannot_be_written(tmp_path, inputs, monkeypatch, capsys,
                                                               no_evaluation, case):
    target = tmp_path / "out"
    if case == "read-only":
        target.mkdir()
        _unwritable(monkeypatch, target)
        code, where = EXIT_SYSTEM, target
    elif case == "under-a-file":
        (tmp_path / "file").write_text("x")
        target = tmp_path / "file" / "out"
        code, where = EXIT_INPUT, tmp_path / "file"
    else:
        target.write_text("x")
        code, where = EXIT_INPUT, target
    assert run_eval(inputs, target) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"vgbench eval: error: {where}: ") and "\n" not in err


def test_report_ground_and_train_fail_up_front_too(tmp_path, inputs, grounder, monkeypatch, capsys):
    src = tmp_path / "src"
    assert run_eval(inputs, src) == 0
    ro = tmp_path / "ro"
    ro.mkdir()
    _unwritable(monkeypatch, ro)
    assert main(["report", str(src), "--out", str(ro)]) == EXIT_SYSTEM
    assert f"{ro}: cannot write here" in capsys.readouterr().err
    import vgbench.sources.checkpoint as sc
    monkeypatch.setattr(sc, "checkpoint_textual", lambda *a, **k: pytest.fail("loaded before checking"))
    ckpt, vec = grounder
    assert main(["ground", str(ckpt), "--vectors", str(vec), "--out", str(ro / "g.txt")]) == EXIT_SYSTEM
    assert f"{ro}: cannot write here" in capsys.readouterr().err
    assert main(["train", "--set", f'out_dir="{ro}"', "--set", 'name="r"']) == EXIT_SYSTEM
    assert f"{ro / 'r'}: cannot write here" in capsys.readouterr().err
    assert list(ro.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_folder(tmp_path, inputs, no_evaluation, capsys):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert run_eval(inputs, out) == EXIT_SYSTEM
    finally:
        out.chmod(0o700)
    assert f"{out}: cannot write here" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["spectrum", "neighbors"])
def test_spectrum_and_neighbors_never_replace_a_users_file(tmp_path, inputs, capsys, command):
    vec, _ = inputs
    out = tmp_path / "out"
    name = "spectrum.csv" if command == "spectrum" else "neighbors.md"
    argv = ([command, str(vec), "--out", str(out), "--top", "3"] if command == "spectrum" else
            [command, str(vec), str(vec), "--words", "cat,dog", "-k", "2", "--out", str(out)])
    assert main(argv) == 0  # a fresh folder, then a rerun that replaces its own files
    assert main(argv) == 0
    kept = every_byte(out, {**USER_TREE, "results.json": b"a report beside it"})
    assert main(argv) == 0
    kept()
    (out / name).unlink()
    (out / f"{MANIFEST}-{command}").unlink()
    kept = every_byte(out, {name: b"my own file"})
    assert main(argv) == EXIT_INPUT
    assert f"{out / name}: exists and was not written by vgbench" in capsys.readouterr().err
    kept()


def test_featurize_never_uses_or_removes_a_users_folder_named_like_its_work_folder(tmp_path):
    from vgbench.caption_data.featurize import featurize
    images = tmp_path / "images"
    images.mkdir()
    from PIL import Image
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(images / f"{i}.png")
    out = tmp_path / "out"
    kept = every_byte(out, {".featurize-mean_colour/thesis.tex": b"mine", **USER_TREE})
    for overwrite in (False, True):
        with pytest.raises(ValueError, match="not a featurize work folder"):
            featurize([images], out, encoder="mean_colour", overwrite=overwrite, progress=False)
        kept()
