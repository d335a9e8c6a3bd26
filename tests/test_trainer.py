"""Training: it learns the planted task, is deterministic, resumes a killed run exactly, logs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from _vge_synthetic import make_task, save_task, synonym_scores
from vgbench.grounding.config import load_config
from vgbench.grounding.grounder import Grounder
from vgbench.grounding.trainer import Trainer, _Stop, load_checkpoint
from vgbench.paths import package_path

TESTS = Path(__file__).parent
REPO = TESTS.parent


def cfg(tmp_path, *extra, name="run"):
    return load_config(None, [f'out_dir="{tmp_path}"', f'name="{name}"', "model.grounded_dim=16",
                              "train.batch_size=16", "train.lr=0.01", "train.patience=100",
                              "train.threads=1", *extra])


@pytest.fixture(scope="module")
def task():
    return make_task(n_images=90)


def states_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_frozen_te_grounding_pulls_planted_synonyms_together(tmp_path, task):
    ds, textual = task
    syn0, across0, hits0 = synonym_scores(textual)
    assert syn0 == pytest.approx(-0.6, abs=1e-5) and hits0 == 0
    Trainer(cfg(tmp_path, "train.epochs=15", "train.lr=0.03"), ds, textual, progress=False).run()
    g = Grounder.load(tmp_path / "run" / "last.pt")
    untrained = Grounder.load(tmp_path / "run" / "grounders" / "epoch_000.pt")
    syn, across, _ = synonym_scores(g.ground_embeddings(textual))
    syn_u, _, _ = synonym_scores(untrained.ground_embeddings(textual))
    assert syn > syn_u + 0.4 and syn > syn0 + 0.4        # the images/captions pulled them together
    assert across < 0.5                                   # ... without collapsing different concepts
    s = g.describe()
    sv = np.linalg.svd(g.M, compute_uv=False)
    assert sv[-1] / sv[0] > 0.02, s                       # M keeps full rank


@pytest.mark.slow
def test_finetuned_te_makes_each_synonym_the_nearest_neighbour(tmp_path, task):
    ds, textual = task
    Trainer(cfg(tmp_path, "train.epochs=25", "model.finetune_te=true", "model.reg_alpha=0.0",
                'export.te="finetuned"'), ds, textual, progress=False).run()
    g = Grounder.load(tmp_path / "run" / "last.pt")
    syn, across, hits = synonym_scores(g.ground_embeddings(textual))
    assert hits == 6
    assert syn > across + 0.3


def run_params(tmp_path, task, *extra, name="run"):
    ds, textual = task
    Trainer(cfg(tmp_path, "train.epochs=2", *extra, name=name), ds, textual, progress=False).run()
    return load_checkpoint(tmp_path / name / "last.pt")


def test_same_seed_same_result_other_seed_other_result(tmp_path, task):
    a = run_params(tmp_path, task, name="a")
    b = run_params(tmp_path, task, name="b")
    c = run_params(tmp_path, task, "train.seed=1", name="c")
    assert states_equal(a["model"], b["model"])
    assert [r["train_loss"] for r in a["history"]] == [r["train_loss"] for r in b["history"]]
    assert not states_equal(a["model"], c["model"])


def test_run_stopped_mid_epoch_resumes_to_the_same_result(tmp_path, task):
    ds, textual = task
    full = run_params(tmp_path, task, "train.checkpoint_every_steps=3", name="full")
    t = Trainer(cfg(tmp_path, "train.epochs=2", "train.checkpoint_every_steps=3", name="cut"), ds,
                textual, progress=False)
    t.stop_after_steps = 25                      # epoch 1 has 20 steps: stop in epoch 2, step 5
    with pytest.raises(_Stop):
        t.run()
    mid = load_checkpoint(tmp_path / "cut" / "last.pt")
    assert (mid["epoch"], mid["step"]) == (1, 3)  # the last mid-epoch checkpoint before the stop
    Trainer(cfg(tmp_path, "train.epochs=2", "train.checkpoint_every_steps=3", name="cut"), ds, textual,
            progress=False).run(resume=True)
    done = load_checkpoint(tmp_path / "cut" / "last.pt")
    assert states_equal(full["model"], done["model"])
    assert [r["train_loss"] for r in full["history"]] == [r["train_loss"] for r in done["history"]]


KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from _vge_synthetic import make_task
from vgbench.grounding.config import load_config
from vgbench.grounding.trainer import Trainer
ds, textual = make_task(n_images=90)
cfg = load_config(None, {overrides!r})
Trainer(cfg, ds, textual, progress=False).run(resume={resume})
"""


@pytest.mark.slow
def test_killed_process_resumes_to_the_same_result(tmp_path, task):
    """SIGKILL a real training process as soon as it wrote a mid-epoch checkpoint, then resume."""
    overrides = [f'out_dir="{tmp_path}"', 'name="killed"', "model.grounded_dim=16", "train.batch_size=16",
                 "train.lr=0.01", "train.threads=1", "train.epochs=2", "train.checkpoint_every_steps=2"]
    script = tmp_path / "train.py"
    script.write_text(KILL_SCRIPT.format(tests=str(TESTS), overrides=overrides, resume=False))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=REPO)
    last = tmp_path / "killed" / "last.pt"
    deadline = time.time() + 60
    while not last.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    killed_at = load_checkpoint(last)
    assert killed_at["step"] > 0                   # killed mid-epoch
    assert not list((tmp_path / "killed").glob(".*.tmp"))   # nothing half-written is left
    script.write_text(KILL_SCRIPT.format(tests=str(TESTS), overrides=overrides, resume=True))
    subprocess.run([sys.executable, str(script)], cwd=REPO, check=True)
    ds, textual = task
    ref_cfg = load_config(None, [o.replace('"killed"', '"ref"') for o in overrides])
    Trainer(ref_cfg, ds, textual, progress=False).run()
    assert states_equal(load_checkpoint(tmp_path / "ref" / "last.pt")["model"], load_checkpoint(last)["model"])


def test_logs_checkpoints_and_chart(tmp_path, task):
    ds, textual = task
    summary = Trainer(cfg(tmp_path, "train.epochs=3"), ds, textual, progress=False).run()
    run = tmp_path / "run"
    rows = [json.loads(l) for l in (run / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert all(r["captions_per_s"] > 0 and np.isfinite(r["dev_loss"]) for r in rows)
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert (run / "log.csv").read_text().splitlines()[0].startswith("epoch,")
    assert (run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (run / "grounders").iterdir()) == [f"epoch_00{i}.pt" for i in range(4)]
    best = load_checkpoint(run / "best.pt")
    assert best["epoch"] == summary["best_epoch"] == 1 + int(np.argmin([r["dev_loss"] for r in rows]))
    assert load_config(run / "config.toml").model.grounded_dim == 16
    assert not list(run.glob(".*.tmp"))
    with pytest.raises(ValueError, match="already holds a run"):
        Trainer(cfg(tmp_path, "train.epochs=3"), ds, textual, progress=False).run()


def test_early_stopping_on_an_intrinsic_score_keeps_the_best_epoch(tmp_path, task):
    ds, textual = task
    scores = iter([10.0, 30.0, 20.0, 25.0, 5.0, 99.0, 99.0])
    c = cfg(tmp_path, "train.epochs=7", "train.patience=3", "train.eval_each_epoch=true",
            'train.select="intrinsic"')
    summary = Trainer(c, ds, textual, progress=False, evaluator=lambda g: {"dev": next(scores)}).run()
    assert summary["epochs_run"] == 5 and summary["stopped"] == "early stopping"
    assert summary["best_epoch"] == 2
    assert load_checkpoint(tmp_path / "run" / "best.pt")["epoch"] == 2


def test_time_limit_stops_between_epochs(tmp_path, task):
    ds, textual = task
    summary = Trainer(cfg(tmp_path, "train.epochs=50", "train.time_limit_s=0.001"), ds, textual,
                      progress=False).run()
    assert summary["epochs_run"] == 1 and summary["stopped"] == "time limit"


def test_config_overrides_and_errors(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text('[model]\ngrounded_dim = 32\nloss_bw = false\n[train]\nlr = 1\n')
    c = load_config(f, ["train.epochs=3", "model.reg_alpha=2", 'train.eval_sets="men-dev"'])
    assert (c.name, c.model.grounded_dim, c.model.loss_bw, c.train.lr, c.train.epochs) == ("x", 32, False, 1.0, 3)
    assert c.model.reg_alpha == 2.0 and c.train.eval_sets == ["men-dev"]
    with pytest.raises(ValueError, match="unknown setting 'epoch'"):
        load_config(f, ["train.epoch=3"])
    with pytest.raises(ValueError, match="train.epochs expects int"):
        load_config(f, ["train.epochs=many"])
    with pytest.raises(ValueError, match="model.kind"):
        load_config(f, ['model.kind="lstm"'])
    f.write_text("[model\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(f)


def test_every_baseline_config_is_valid():
    names = {load_config(p).name for p in sorted(package_path("configs").glob("*.toml"))}
    assert {"vge", "paper_vge", "c_glove", "vge_no_image", "ablation_fw", "ablation_fw_bw", "ablation_fw_bw_b",
            "ablation_all_r", "vge_c256", "vge_c1024"} <= names


def test_cli_train_reads_a_saved_dataset(tmp_path, capsys):
    from vgbench.cli import main
    data, textual = save_task(tmp_path)
    rc = main(["train", "--no-progress", "--set", f'out_dir="{tmp_path / "runs"}"', "--set",
               f'data.dataset="{data}"', "--set", f'data.textual="{textual}"', "--set",
               "model.grounded_dim=8", "--set", "train.batch_size=16", "--set", "train.epochs=1",
               "--set", "train.threads=1"])
    assert rc == 0 and "1 epochs" in capsys.readouterr().out
    assert (tmp_path / "runs" / "vge" / "best.pt").is_file()
    rc = main(["train", "--no-progress", "--resume", "--set", f'out_dir="{tmp_path / "runs"}"', "--set",
               f'data.dataset="{data}"', "--set", f'data.textual="{textual}"', "--set",
               "model.grounded_dim=8", "--set", "train.batch_size=16", "--set", "train.epochs=2",
               "--set", "train.threads=1"])
    assert rc == 0
    assert len((tmp_path / "runs" / "vge" / "log.jsonl").read_text().splitlines()) == 2


DDP_SCRIPT = """
import os, sys, torch
sys.path.insert(0, {tests!r})
from _vge_synthetic import make_task
from vgbench.grounding.config import load_config
from vgbench.grounding.trainer import Trainer
ds, textual = make_task(n_images=60)
cfg = load_config(None, {overrides!r})
t = Trainer(cfg, ds, textual, progress=False)
t.run()
torch.save(t.model.state_dict(), os.path.join({out!r}, "rank%s.pt" % os.environ["RANK"]))
torch.distributed.destroy_process_group()
"""


@pytest.mark.slow
def test_ddp_with_gloo_on_two_cpu_processes(tmp_path):
    overrides = [f'out_dir="{tmp_path}"', 'name="ddp"', "model.grounded_dim=8", "train.batch_size=16",
                 "train.epochs=2", "train.threads=1", 'train.device="cpu"']
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.format(tests=str(TESTS), overrides=overrides, out=str(tmp_path)))
    torchrun = Path(sys.executable).parent / "torchrun"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2", str(script)], cwd=REPO,
                   check=True, env=env, timeout=240, capture_output=True)
    r0, r1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert states_equal(r0, r1)         # gradients averaged, BatchNorm statistics shared from rank 0
    ckpt = load_checkpoint(tmp_path / "ddp" / "last.pt")      # rank 0 wrote the checkpoint
    assert ckpt["epoch"] == 2 and states_equal(ckpt["model"], r0)
    assert len((tmp_path / "ddp" / "log.jsonl").read_text().splitlines()) == 2


def test_config_with_derives_checked_copies_and_parse_overrides_gives_the_same_config():
    from vgbench.grounding.config import Config, describe_changes, parse_overrides
    base = load_config("vge")
    derived = base.with_({"train": {"epochs": 3}}, model=dict(grounded_dim=256), out_dir="elsewhere")
    assert (derived.train.epochs, derived.model.grounded_dim, derived.out_dir) == (3, 256, "elsewhere")
    assert (base.train.epochs, base.model.grounded_dim, base.out_dir) != (3, 256, "elsewhere")
    assert derived.data == base.data and derived.train.lr == base.train.lr
    assert base.with_(train=dict(time_limit_s=0)).train.time_limit_s == 0.0       # int for a float
    sets = ["train.epochs=3", "model.grounded_dim=256", 'out_dir="elsewhere"']
    assert load_config("vge", sets) == derived
    assert describe_changes(parse_overrides(sets)) == sets
    # later changes win, sections merge; only the end result is validated
    both = Config().with_({"train": {"select": "intrinsic", "epochs": 9}}, {"train": {"epochs": 2}},
                          train=dict(eval_each_epoch=True))
    assert (both.train.select, both.train.epochs, both.train.eval_each_epoch) == ("intrinsic", 2, True)
    with pytest.raises(ValueError, match="unknown setting 'epoch'"):
        base.with_(train=dict(epoch=3))
    with pytest.raises(ValueError, match="train.epochs expects int"):
        base.with_(train=dict(epochs="3"))
    with pytest.raises(ValueError, match="model.grounded_dim must be at least 1"):
        base.with_(model=dict(grounded_dim=0))
    with pytest.raises(ValueError, match="train must be a table"):
        base.with_(train=3)
