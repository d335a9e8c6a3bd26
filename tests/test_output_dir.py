"""Output folders as a whole: exactly this run's files, the previous output kept when a run is
killed or the disk fills up, and no temporary litter after the next run."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vgbench.atomic import MANIFEST, TEMP_MARK, _marked_folder, atomic_output_dir, remove_stale_temps
from vgbench.grounding.run_dir import RUN_MARK
from vgbench.cli import EXIT_SYSTEM, main

REPO = Path(__file__).parent.parent
WORDS = ["cat", "dog", "car", "truck", "sun", "moon", "king", "queen"]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


@pytest.fixture()
def inputs(tmp_path):
    rng = np.random.default_rng(0)
    vec = tmp_path / "v.txt"
    vec.write_text("".join(w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=4)) + "\n" for w in WORDS))
    pairs = tmp_path / "p.tsv"
    pairs.write_text("cat\tdog\t8\ncar\ttruck\t7\nsun\tmoon\t6\nking\tqueen\t9\ncat\tcar\t1\n")
    return vec, pairs


def run_eval(vec, pairs, out, *extra) -> int:
    return main(["eval", str(vec), "--dataset", str(pairs), "--bootstrap", "0", "--out", str(out),
                 "--quiet", *extra])


def test_rerun_with_other_settings_leaves_only_its_own_files(tmp_path, inputs):
    out = tmp_path / "out"
    assert run_eval(*inputs, out) == 0
    first = {p.name for p in out.iterdir()}
    assert "datasets.png" in first and MANIFEST in first
    assert run_eval(*inputs, out, "--no-charts") == 0
    second = {p.name for p in out.iterdir()}
    assert not any(n.endswith((".png", ".pdf")) for n in second)
    assert second == {n for n in first if not n.endswith((".png", ".pdf"))}
    assert (out / MANIFEST).read_text().split() == sorted(second - {MANIFEST})


def test_foreign_files_are_kept_and_the_previous_runs_stale_files_removed(tmp_path, inputs):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert run_eval(*inputs, out) == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "datasets.png").exists()
    assert run_eval(*inputs, out, "--no-charts") == 0
    assert (out / "notes.txt").read_text() == "mine" and not (out / "datasets.png").exists()
    assert (out / "results.json").exists() and not litter(out) and not litter(tmp_path)


def test_full_disk_keeps_the_previous_output_and_names_the_folder(tmp_path, inputs, monkeypatch, capsys):
    out = tmp_path / "out"
    assert run_eval(*inputs, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = Path.write_bytes
    calls = []

    def full(self, data):
        calls.append(self)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    assert run_eval(*inputs, out, "--no-charts") == EXIT_SYSTEM
    err = capsys.readouterr().err.strip()
    assert err == (f"vgbench eval: error: {out}: No space left on device; free some space or write "
                   f"elsewhere; the previous output is left as it was")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not litter(tmp_path) and not litter(out)


def test_killed_run_leaves_previous_output_and_next_run_cleans_up(tmp_path, inputs):
    out = tmp_path / "out"
    assert run_eval(*inputs, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    script = ("import sys, time\nfrom vgbench.atomic import atomic_output_dir\n"
              f"with atomic_output_dir({str(out)!r}) as stage:\n"
              "    (stage / 'results.json').write_text('half')\n"
              "    print('ready', flush=True)\n    time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert proc.stdout.readline().strip() == b"ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert litter(tmp_path)  # the killed run's staging folder is still there ...
    (out / ".results.json.a1b2c3d4.tmp").write_text("a user's file with a temp-like name")
    assert run_eval(*inputs, out, "--no-charts") == 0
    assert not litter(tmp_path)  # ... until the next run; a file vgbench did not make stays
    assert litter(out) == [".results.json.a1b2c3d4.tmp"]


def stale_temp(folder: Path, target: str, pid: int | None = None) -> Path:
    """A temporary folder as a vgbench run killed while writing `target` leaves it."""
    made = _marked_folder(folder, target, "tmp")
    mark = made / TEMP_MARK
    mark.write_text(mark.read_text().replace(f"pid {os.getpid()}", f"pid {pid or dead_pid()}"))
    (made / "output").write_text("half")
    return made


def test_stale_temps_of_live_processes_are_kept(tmp_path):
    stale = stale_temp(tmp_path, "last.pt")
    live = stale_temp(tmp_path, "last.pt", pid=os.getpid())
    other = tmp_path / f".last.pt.{dead_pid()}-abc123.tmp"  # the name alone proves nothing
    other.write_text("x")
    assert remove_stale_temps(tmp_path) == [stale]
    assert live.exists() and other.exists() and not stale.exists()


def test_exception_inside_leaves_no_trace(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_output_dir(out) as stage:
            (stage / "a").write_text("x")
            raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_training_run_cleans_litter_and_an_unfinished_run(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from _vge_synthetic import make_task
    from vgbench.grounding.config import load_config
    from vgbench.grounding.trainer import Trainer
    run_dir = tmp_path / "run"
    (run_dir / "grounders").mkdir(parents=True)
    (run_dir / RUN_MARK).write_text("made by vgbench train")
    stale = [stale_temp(run_dir, "last.pt"), stale_temp(run_dir / "grounders", "epoch_001.pt")]
    leftovers = [run_dir / "log.jsonl", run_dir / "grounders" / "epoch_007.pt"]  # killed earlier run
    for p in leftovers:
        p.write_text("x")
    ds, textual = make_task(n_images=30)
    cfg = load_config(None, [f'out_dir="{tmp_path}"', 'name="run"', "model.grounded_dim=8",
                             "train.batch_size=16", "train.epochs=1", "train.threads=1"])
    Trainer(cfg, ds, textual, progress=False).run()
    assert not any(p.exists() for p in stale) and not (run_dir / "grounders" / "epoch_007.pt").exists()
    assert [json.loads(r)["epoch"] for r in (run_dir / "log.jsonl").read_text().splitlines()] == [1]
    assert not [p for p in run_dir.rglob("*") if p.name.endswith(".tmp")]


def test_two_writers_sharing_a_folder_remove_only_their_own_files(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as stage:
        (stage / "a.csv").write_text("1")
        (stage / "a.png").write_text("1")
    with atomic_output_dir(out, owner="spectrum") as stage:
        (stage / "spectrum.csv").write_text("1")
    with atomic_output_dir(out) as stage:
        (stage / "a.csv").write_text("2")
    with atomic_output_dir(out, owner="spectrum") as stage:
        (stage / "spectrum.csv").write_text("2")
    names = sorted(p.name for p in out.iterdir())
    assert names == [".vgbench-files", ".vgbench-files-spectrum", "a.csv", "spectrum.csv"]
    assert (out / "a.csv").read_text() == "2" and (out / "spectrum.csv").read_text() == "2"


def test_working_directory_and_symlinked_folders_are_updated_in_place(tmp_path, monkeypatch):
    real = tmp_path / "real"
    link = tmp_path / "link"
    for folder in (real, link):
        with atomic_output_dir(real if folder is real else link) as stage:
            (stage / "a.txt").write_text("1")
        if folder is real:
            link.symlink_to(real, target_is_directory=True)
    assert link.is_symlink() and (real / "a.txt").read_text() == "1"
    monkeypatch.chdir(real)
    with atomic_output_dir(".") as stage:
        (stage / "b.txt").write_text("2")
    assert Path.cwd() == real.resolve() and sorted(p.name for p in real.iterdir()) == [MANIFEST, "b.txt"]
    assert not litter(tmp_path)


def test_a_hostile_manifest_cannot_remove_files_outside_the_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / "mine.txt").write_text("user file")
    (out / MANIFEST).write_text(f"../victim.txt\n{victim}\nmine.txt\n")
    with atomic_output_dir(out) as stage:
        (stage / "new.txt").write_text("1")
    assert victim.read_text() == "keep"
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "new.txt"]
