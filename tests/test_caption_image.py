"""The caption -> image model: its loss against an independent computation, frozen parts, planted
synonyms, resume, export and DDP; and the exact fused softmax and length bucketing of the trainer."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from _vge_synthetic import make_task, synonym_scores
from vgbench.grounding.caption_image import CaptionImageModel
from vgbench.grounding.config import ModelConfig, load_config
from vgbench.grounding.grounder import Grounder
from vgbench.grounding.model import build_model, full_softmax_cross_entropy
from vgbench.grounding.batches import epoch_batches
from vgbench.grounding.trainer import Trainer, _Stop, load_checkpoint

TESTS = Path(__file__).parent
REPO = TESTS.parent
V, D, FEAT = 12, 6, 5


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_model(**kw) -> CaptionImageModel:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    te = rng.normal(size=(V, D)).astype(np.float32)
    te[0] = 0
    known = np.ones(V, bool)
    known[:4] = False
    known[-1] = False
    mean, std = rng.normal(size=FEAT).astype(np.float32), rng.uniform(0.5, 2, FEAT).astype(np.float32)
    cfg = ModelConfig(**{"kind": "caption_image", "grounded_dim": 7, **kw})
    return build_model(cfg, te, known, FEAT, feat_mean=mean, feat_std=std)


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([3, 5, 1, 4])
    tokens = torch.zeros(4, 6, dtype=torch.long)     # one column of padding beyond the longest
    for i, n in enumerate(lengths):
        tokens[i, :n] = torch.randint(4, V, (int(n),), generator=g)
    return dict(tokens=tokens, lengths=lengths, images=torch.randn(4, FEAT, generator=g) * 3)


def test_loss_is_the_mse_of_each_unpadded_captions_final_lstm_state():
    model = make_model()
    b = batch()
    with torch.no_grad():
        out = model(**b)
    ref = torch.nn.LSTM(7, FEAT)                       # an independent LSTM with copied weights
    ref.load_state_dict({k: v for k, v in model.lstm.state_dict().items()})
    te, M = model.te().detach().numpy(), model.M.detach().numpy()
    assert np.array_equal(te[model.known_ids], model.te_orig.numpy()[model.known_ids])
    errors = []
    for i, n in enumerate(b["lengths"].tolist()):
        x = torch.from_numpy(te[b["tokens"][i, :n].numpy()] @ M)   # one caption, no padding
        with torch.no_grad():
            _, (h, _) = ref(x.unsqueeze(1))
        target = (b["images"][i].numpy() - model.feat_mean.numpy()) / model.feat_std.numpy()
        errors.append((h[0, 0].numpy() - target) ** 2)
    assert out["mse"].item() == pytest.approx(float(np.mean(errors)), rel=1e-5)
    assert out["loss"].item() == out["mse"].item() and "reg" not in out


def test_padding_content_and_width_never_count():
    model = make_model()
    b = batch()
    with torch.no_grad():
        ref = model(**b)["loss"].item()
        junk = dict(b, tokens=torch.where(torch.arange(6) >= b["lengths"].unsqueeze(1), 7, b["tokens"]))
        wide = dict(b, tokens=torch.cat([b["tokens"], torch.zeros(4, 4, dtype=torch.long)], 1))
        assert model(**junk)["loss"].item() == pytest.approx(ref, rel=1e-6)
        assert model(**wide)["loss"].item() == pytest.approx(ref, rel=1e-6)


def test_textual_vectors_stay_frozen_while_M_the_lstm_and_special_rows_learn():
    model = make_model()
    assert not model.te_known.requires_grad
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.NAdam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for s in range(3):
        opt.zero_grad()
        model(**batch(s))["loss"].backward()
        opt.step()
    after = dict(model.named_parameters())
    assert torch.equal(after["te_known"], before["te_known"])
    for name in ("M", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "te_extra"):
        assert not torch.equal(after[name], before[name]), name
    assert model.grounding_matrix() is model.M


def test_config_checks_for_the_new_kind():
    with pytest.raises(ValueError, match="lstm_hidden"):
        make_model(lstm_hidden=FEAT + 1)
    with pytest.raises(ValueError, match="use_image must be true"):
        load_config(None, ['model.kind="caption_image"', "model.use_image=false"])
    for name in ("caption_image", "demo_caption_image"):
        assert load_config(name).model.kind == "caption_image"


# ------------------------------------------------------------------------ exact fused softmax
@pytest.mark.parametrize("with_bias", [False, True])
def test_fused_softmax_equals_torch_cross_entropy_in_value_and_gradient(with_bias):
    g = torch.Generator().manual_seed(1)
    back = torch.randn(300, 5, generator=g, requires_grad=True)
    te = torch.randn(40, 5, generator=g, requires_grad=True)
    bias = torch.randn(40, generator=g, requires_grad=True) if with_bias else None
    targets = torch.randint(1, 40, (300,), generator=g)
    targets[::7] = 0                                   # ignored rows
    ref = F.cross_entropy(back @ te.t() + (bias if with_bias else 0), targets, ignore_index=0)
    ref_grads = torch.autograd.grad(ref, [back, te] + ([bias] if with_bias else []))
    got = full_softmax_cross_entropy(back, te, bias, targets, 0, chunk=64)
    grads = torch.autograd.grad(got, [back, te] + ([bias] if with_bias else []))
    assert got.item() == pytest.approx(ref.item(), rel=1e-6)
    for a, b in zip(grads, ref_grads):
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-5)
    with torch.no_grad():
        assert full_softmax_cross_entropy(back, te, bias, targets, 0).item() == pytest.approx(ref.item(), rel=1e-6)


def test_bucketed_batches_keep_every_caption_once_and_cut_padding():
    rng = np.random.default_rng(0)
    image_index = np.repeat(np.arange(400), 5)[rng.permutation(2000)]
    lengths = rng.integers(3, 30, 2000)
    plain = epoch_batches(image_index, 16, 3, 1)
    bucketed = epoch_batches(image_index, 16, 3, 1, lengths)
    assert sorted(np.concatenate(bucketed).tolist()) == list(range(2000))
    assert all(len(set(image_index[b].tolist())) == len(b) for b in bucketed)
    width = lambda bs: np.mean([lengths[b].max() for b in bs])
    assert width(bucketed) < 0.6 * width(plain)
    assert all(np.array_equal(x, y) for x, y in zip(bucketed, epoch_batches(image_index, 16, 3, 1, lengths)))


# ------------------------------------------------------------------------------ training
def cfg(tmp_path, *extra, name="run"):
    return load_config(None, [f'out_dir="{tmp_path}"', f'name="{name}"', 'model.kind="caption_image"',
                              "model.grounded_dim=16", "train.batch_size=16", "train.lr=0.01",
                              "train.patience=100", "train.threads=1", *extra])


@pytest.fixture(scope="module")
def task():
    return make_task(n_images=90)


def test_planted_synonyms_are_pulled_together_by_the_images(tmp_path, task):
    """A narrow M (c = 4 < d = 8) must drop directions; regressing on the images makes it drop the
    ones that tell planted synonyms apart. (With a wide M the LSTM can learn each synonym separately
    and M need not change the synonyms' cosine.)"""
    ds, textual = task
    syn0, _, hits0 = synonym_scores(textual)
    assert syn0 == pytest.approx(-0.6, abs=1e-5) and hits0 == 0
    Trainer(cfg(tmp_path, "train.epochs=12", "train.lr=0.03", "model.grounded_dim=4"), ds, textual,
            progress=False).run()
    g = Grounder.load(tmp_path / "run" / "last.pt")
    untrained = Grounder.load(tmp_path / "run" / "grounders" / "epoch_000.pt")
    syn, across, _ = synonym_scores(g.ground_embeddings(textual))
    syn_u, across_u, _ = synonym_scores(untrained.ground_embeddings(textual))
    assert syn > syn_u + 0.3 and syn > syn0 + 0.3        # the images pulled the synonyms together
    assert across < across_u + 0.15                      # ... and not every pair alike


def test_resumed_mid_epoch_run_equals_the_uninterrupted_one_and_exports(tmp_path, task):
    ds, textual = task
    extra = ("train.epochs=2", "train.checkpoint_every_steps=3", "train.bucket_by_length=true")
    Trainer(cfg(tmp_path, *extra, name="full"), ds, textual, progress=False).run()
    t = Trainer(cfg(tmp_path, *extra, name="cut"), ds, textual, progress=False)
    t.stop_after_steps = 25
    with pytest.raises(_Stop):
        t.run()
    Trainer(cfg(tmp_path, *extra, name="cut"), ds, textual, progress=False).run(resume=True)
    full, done = load_checkpoint(tmp_path / "full" / "last.pt"), load_checkpoint(tmp_path / "cut" / "last.pt")
    assert full["model"].keys() == done["model"].keys()
    assert all(torch.equal(full["model"][k], done["model"][k]) for k in full["model"])
    assert [r["train_loss"] for r in full["history"]] == [r["train_loss"] for r in done["history"]]
    assert all("dev_mse" in r for r in full["history"])
    # export: the checkpoint, the grounder file and the grounded vectors are Te_orig(w)·M
    g = Grounder.load(tmp_path / "full" / "grounder.pt")
    M = load_checkpoint(tmp_path / "full" / "best.pt")["model"]["M"].numpy()
    assert np.array_equal(g.M, M) and g.te == "original" and g.meta["kind"] == "caption_image"
    grounded = g.ground_embeddings(textual)
    assert np.allclose(grounded["dog"], textual["dog"] @ M, atol=1e-6)
    out = g.export(textual, tmp_path / "grounded.txt", progress=False)
    from vgbench.embeddings import load_embeddings
    assert np.allclose(load_embeddings(str(out))["oak"], textual["oak"] @ M, atol=1e-4)


def test_cpu_mixed_precision_trains_and_dev_loss_stays_float32(tmp_path, task):
    ds, textual = task
    t = Trainer(cfg(tmp_path, "train.epochs=1", "train.amp_cpu=true"), ds, textual, progress=False)
    summary = t.run()
    assert t.amp and np.isfinite(summary["history"][0]["train_loss"])
    again = t.dev_loss(0)["dev_loss"]                  # recomputed outside any autocast
    assert summary["history"][0]["dev_loss"] == again


DDP_SCRIPT = """
import os, sys, torch
sys.path.insert(0, {tests!r})
from _vge_synthetic import make_task
from vgbench.grounding.config import load_config
from vgbench.grounding.trainer import Trainer
ds, textual = make_task(n_images=60)
t = Trainer(load_config(None, {overrides!r}), ds, textual, progress=False)
t.run()
torch.save(t.model.state_dict(), os.path.join({out!r}, "rank%s.pt" % os.environ["RANK"]))
torch.distributed.destroy_process_group()
"""


@pytest.mark.slow
def test_ddp_with_gloo_on_two_cpu_processes(tmp_path):
    overrides = [f'out_dir="{tmp_path}"', 'name="ddp"', 'model.kind="caption_image"', "model.grounded_dim=8",
                 "train.batch_size=16", "train.epochs=2", "train.threads=1", 'train.device="cpu"']
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.format(tests=str(TESTS), overrides=overrides, out=str(tmp_path)))
    torchrun = Path(sys.executable).parent / "torchrun"
    proc = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node=2", str(script)], cwd=REPO,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=240, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert r0.keys() == r1.keys() and all(torch.equal(r0[k], r1[k]) for k in r0)
    ckpt = load_checkpoint(tmp_path / "ddp" / "last.pt")
    assert ckpt["epoch"] == 2 and all(torch.equal(ckpt["model"][k], r0[k]) for k in r0)
