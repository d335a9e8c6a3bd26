"""The VGE model: losses against an independent computation, gradients, frozen parts, switches."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vgbench.grounding.config import ModelConfig
from vgbench.grounding.model import VGEModel, init_textual_rows, singular_values
from vgbench.grounding.batches import epoch_batches, negatives

V, D, FEAT = 12, 6, 5


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread avoids OpenMP spin-waits on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_model(**kw) -> VGEModel:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    te = rng.normal(size=(V, D)).astype(np.float32)
    te[0] = 0
    known = np.ones(V, bool)
    known[:4] = False          # specials
    known[-1] = False          # a training word missing from the textual vectors
    cfg = ModelConfig(**{"grounded_dim": 7, **kw})
    return VGEModel(cfg, te, known, FEAT)


def batch(seed=0, b=4):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([3, 5, 1, 4][:b])
    tokens = torch.zeros(b, 5, dtype=torch.long)
    for i, n in enumerate(lengths):
        tokens[i, :n] = torch.randint(4, V, (int(n),), generator=g)
    images = torch.randn(b, FEAT, generator=g)
    src, labels = negatives(b, seed, 0, 0)
    return dict(tokens=tokens, lengths=lengths, images=images, match_tokens=tokens[src],
                match_lengths=lengths[src], match_labels=torch.as_tensor(labels))


def manual_lm_loss(model: VGEModel, gru, tokens, lengths, images, reverse=False) -> float:
    """Cross-entropy of one LM, caption by caption, with a hand-written GRU step (eval mode)."""
    te = model.te().detach()
    M = model.M.detach()
    h0 = model.image_mlp((images - model.feat_mean) / model.feat_std).detach()
    W_ih, W_hh, b_ih, b_hh = (p.detach() for p in (gru.weight_ih_l0, gru.weight_hh_l0,
                                                   gru.bias_ih_l0, gru.bias_hh_l0))
    bn = model.bn_f if gru is model.gru_f else model.bn_b
    total, count = 0.0, 0
    for i in range(tokens.shape[0]):
        words = tokens[i, :lengths[i]].tolist()
        if reverse:
            words = words[::-1]
        inp, tgt = [model.bos_id] + words, words + [model.eos_id]
        h = h0[i]
        for x_id, y in zip(inp, tgt):
            x = te[x_id] @ M
            gi, gh = W_ih @ x + b_ih, W_hh @ h + b_hh
            r = torch.sigmoid(gi[:7] + gh[:7])
            z = torch.sigmoid(gi[7:14] + gh[7:14])
            n = torch.tanh(gi[14:] + r * gh[14:])
            h = (1 - z) * n + z * h
            hb = (h - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
            logits = (hb.detach() @ M.t()) @ te.t()
            total += float(-F.log_softmax(logits, 0)[y])
            count += 1
    return total / count


def test_lm_losses_match_a_hand_written_computation():
    model = make_model().eval()
    b = batch()
    with torch.no_grad():
        out = model(**b)
    fw = manual_lm_loss(model, model.gru_f, b["tokens"], b["lengths"], b["images"])
    bw = manual_lm_loss(model, model.gru_b, b["tokens"], b["lengths"], b["images"], reverse=True)
    assert out["fw"].item() == pytest.approx(fw, rel=1e-5)
    assert out["bw"].item() == pytest.approx(bw, rel=1e-5)
    assert out["loss"].item() == pytest.approx(fw + bw + out["match"].item(), rel=1e-6)


def test_padding_never_counts():
    model = make_model().eval()
    b = batch()
    with torch.no_grad():
        ref = model(**b)
        wide = dict(b)
        for key in ("tokens", "match_tokens"):
            t = torch.cat([b[key], torch.zeros(4, 3, dtype=torch.long)], 1)
            wide[key] = t
        junk = dict(b)
        for key, lens in (("tokens", "lengths"), ("match_tokens", "match_lengths")):
            t = b[key].clone()
            pad = torch.arange(5) >= b[lens].unsqueeze(1)
            t[pad] = 7   # garbage where padding is
            junk[key] = t
        for other in (model(**wide), model(**junk)):
            for k in ("fw", "bw", "match"):
                assert other[k].item() == pytest.approx(ref[k].item(), rel=1e-6)


def test_reverse_keeps_padding_right():
    tokens = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0], [4, 0, 0, 0]])
    out = VGEModel.reverse(tokens, torch.tensor([3, 2, 1]))
    assert out.tolist() == [[7, 6, 5, 0], [9, 8, 0, 0], [4, 0, 0, 0]]


def grads(model, b):
    model.train()
    model.zero_grad()
    model(**b)["loss"].backward()
    return {n: (p.grad is not None and float(p.grad.abs().sum()) > 0) for n, p in model.named_parameters()}


def test_gradients_reach_M_every_gru_the_image_net_and_finetuned_te():
    g = grads(make_model(finetune_te=True), batch())
    for name in ("M", "te_known", "te_extra", "gru_f.weight_hh_l0", "gru_b.weight_ih_l0",
                 "gru_m.weight_hh_l0", "image_mlp.0.weight", "classifier.weight", "bn_f.weight"):
        assert g[name], name


def test_frozen_te_does_not_move_but_special_rows_learn():
    model = make_model(finetune_te=False)
    before_known = model.te_known.detach().clone()
    before_extra = model.te_extra.detach().clone()
    before_M = model.M.detach().clone()
    assert not model.te_known.requires_grad
    opt = torch.optim.NAdam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for s in range(3):
        opt.zero_grad()
        model(**batch(s))["loss"].backward()
        opt.step()
    assert torch.equal(model.te_known, before_known)
    assert not torch.equal(model.te_extra, before_extra)     # <s>, </s>, the missing word
    assert not torch.equal(model.M, before_M)
    assert torch.equal(model.te_orig[model.known_ids], before_known)
    assert "reg" not in model(**batch())


def test_loss_switches_build_only_what_they_need():
    m = make_model(loss_bw=False, loss_match=False)
    out = m(**batch())
    assert set(out) >= {"fw", "loss"} and "bw" not in out and "match" not in out
    assert not hasattr(m, "gru_b") and not hasattr(m, "gru_m")
    no_img = make_model(use_image=False, loss_match=True)
    assert not hasattr(no_img, "image_mlp") and "match" not in no_img(**batch())
    # h0 = 0 without images: the images cannot change the loss
    b1, b2 = batch(), batch()
    b2["images"] = b2["images"] * 5
    no_img.eval()
    assert no_img(**b1)["fw"].item() == no_img(**b2)["fw"].item()


def test_regulariser_matches_its_formula():
    model = make_model(finetune_te=True, reg_alpha=0.5, reg_beta=0.8)
    with torch.no_grad():
        model.te_known.add_(torch.randn_like(model.te_known))
    orig = model.te_orig[model.known_ids].numpy()
    new = model.te_known.detach().numpy()
    cos = (orig * new).sum(1) / np.linalg.norm(orig, axis=1) / np.linalg.norm(new, axis=1)
    assert model.regulariser().item() == pytest.approx(0.5 / len(cos) * np.sum(0.8 - cos), rel=1e-5)
    assert make_model(finetune_te=True).regulariser().item() == pytest.approx(0.001 * (1 - 1), abs=1e-7)


def test_caption_lm_baseline_refines_te_without_M_or_image():
    model = make_model(kind="caption_lm", finetune_te=True, loss_bw=True, loss_match=True)
    assert model.M is None and not hasattr(model, "image_mlp") and not hasattr(model, "gru_b")
    assert torch.equal(model.grounding_matrix(), torch.eye(D))
    g = grads(model, batch())
    assert g["te_known"] and g["fc.weight"] and g["gru_f.weight_ih_l0"]
    assert set(model(**batch())) == {"fw", "n_tokens", "reg", "loss"}


def test_without_boundary_tokens_first_word_is_context_only():
    model = make_model(boundary_tokens=False).eval()
    b = batch()
    b["lengths"] = torch.tensor([3, 5, 1, 4])
    with torch.no_grad():
        out = model(**b)
    # 2 + 4 + 0 + 3 predicted words
    assert out["n_tokens"].item() == 9


def test_init_textual_rows_keeps_known_vectors_and_draws_the_rest():
    vecs = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, -2.0]), "c": np.array([2.0, 0.0])}
    words = ["<pad>", "<unk>", "<s>", "</s>", "a", "b", "zzz", "c"]
    te, known = init_textual_rows(words, vecs.get, 4, seed=1)
    assert known.tolist() == [False] * 4 + [True, True, False, True]
    assert np.array_equal(te[4], vecs["a"]) and np.array_equal(te[7], vecs["c"])
    assert np.all(te[0] == 0) and np.all(np.isfinite(te))
    te2, _ = init_textual_rows(words, vecs.get, 4, seed=1)
    assert np.array_equal(te, te2)
    with pytest.raises(ValueError, match="none of the training words"):
        init_textual_rows(words, lambda w: None, 4, seed=1)


def test_batches_hold_each_caption_once_and_no_image_twice():
    image_index = np.repeat(np.arange(50), 5)[np.random.default_rng(0).permutation(250)]
    batches = epoch_batches(image_index, 16, seed=3, epoch=2)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(250))
    for b in batches:
        assert len(set(image_index[b].tolist())) == len(b)
    assert all(np.array_equal(x, y) for x, y in zip(batches, epoch_batches(image_index, 16, 3, 2)))
    assert not all(np.array_equal(x, y) for x, y in zip(batches, epoch_batches(image_index, 16, 3, 3)))


def test_half_the_matcher_captions_come_from_other_images():
    src, labels = negatives(10, 0, 0, 0)
    assert labels.sum() == 5
    assert np.all(src[labels == 1] == np.flatnonzero(labels == 1))
    assert np.all(src[labels == 0] != np.flatnonzero(labels == 0))


def test_singular_values_of_a_known_matrix():
    M = np.diag([3.0, 2.0]) @ np.array([[1, 0, 0], [0, 1, 0]])
    assert np.allclose(singular_values(M), [3, 2])


def test_orthogonal_M_preserves_textual_cosines_and_output_bias_is_learned():
    model = make_model(m_orthogonal=True, output_bias=True)
    opt = torch.optim.NAdam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for s in range(3):
        opt.zero_grad()
        model(**batch(s))["loss"].backward()
        opt.step()
    M = model.grounding_matrix().detach()
    assert torch.allclose(M @ M.t(), torch.eye(D), atol=1e-5)
    assert float(model.out_bias.detach().abs().sum()) > 0
    with pytest.raises(ValueError, match="c >= d"):
        make_model(m_orthogonal=True, grounded_dim=3)
