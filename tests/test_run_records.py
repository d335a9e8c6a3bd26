"""Every training run records its machine and numerics (issue 21), and the prototype's remaining
choices are config switches that do what they say: frozen zero rows for words without a textual
vector, image standardisation over all images."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from _vge_synthetic import make_task
from vgbench.grounding.config import load_config
from vgbench.grounding.machine import blas_summary, cpu_info, machine_lines
from vgbench.grounding.inputs import standardisation_images
from vgbench.grounding.trainer import Trainer, load_checkpoint


def cfg(tmp_path, *extra, name="run"):
    return load_config(None, [f'out_dir="{tmp_path}"', f'name="{name}"', "model.grounded_dim=16",
                              "train.batch_size=16", "train.lr=0.01", "train.threads=1",
                              "train.epochs=1", "train.device=\"cpu\"", *extra])


@pytest.fixture(scope="module")
def task():
    return make_task(n_images=40, missing=("oak",))


@pytest.mark.parametrize("kind", ["vge", "caption_image"])
def test_summary_records_machine_and_numerics(tmp_path, task, kind):
    ds, textual = task
    Trainer(cfg(tmp_path, f'model.kind="{kind}"', "train.amp_cpu=false", "train.seed=7"), ds, textual,
            progress=False).run()
    m = json.loads((tmp_path / "run" / "summary.json").read_text())["machine"]
    assert isinstance(m["cpu"], str) and m["cpu"]
    assert m["cpu_flags"] is None or (set(m["cpu_flags"]) == {"amx_bf16", "amx_tile", "avx512_bf16"}
                                      and all(isinstance(v, bool) for v in m["cpu_flags"].values()))
    assert m["torch"] == torch.__version__ and m["torch_cuda"] == torch.version.cuda
    assert isinstance(m["mkldnn"], bool) and isinstance(m["blas"], str) and m["blas"]
    assert m["cpu_capability"] == str(torch.backends.cpu.get_cpu_capability())
    assert m["device"] == "cpu" and m["precision"] == "float32"
    assert m["batching"] == "random" and m["threads"] == 1 and m["seed"] == 7
    line = machine_lines({"run": m})[0]
    assert "float32" in line and "1 threads" in line and m["cpu"] in line


def test_bf16_and_bucketing_are_recorded_as_used(tmp_path, task):
    ds, textual = task
    Trainer(cfg(tmp_path, 'model.kind="caption_image"', "train.amp_cpu=true", "train.bucket_by_length=true"),
            ds, textual, progress=False).run()
    m = json.loads((tmp_path / "run" / "summary.json").read_text())["machine"]
    assert m["precision"] == "bf16 autocast" and m["batching"] == "bucketed by length"
    # train.amp = false turns autocast off even where amp_cpu asks for it
    Trainer(cfg(tmp_path, 'model.kind="caption_image"', "train.amp_cpu=true", "train.amp=false", name="off"),
            ds, textual, progress=False).run()
    assert json.loads((tmp_path / "off" / "summary.json").read_text())["machine"]["precision"] == "float32"


def test_cpu_info_reads_the_model_name_and_bf16_flags(tmp_path):
    f = tmp_path / "cpuinfo"
    f.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
                 "flags\t\t: fpu avx512f amx_bf16 amx_tile avx512_bf16\n\nprocessor\t: 1\n"
                 "model name\t: other\nflags\t\t: fpu\n")
    assert cpu_info(f) == {"cpu": "Intel(R) Xeon(R) Platinum 8480+",
                           "cpu_flags": {"amx_bf16": True, "amx_tile": True, "avx512_bf16": True}}
    f.write_text("model name\t: AMD EPYC\nflags\t\t: fpu avx512_bf16\n")
    assert cpu_info(f)["cpu_flags"] == {"amx_bf16": False, "amx_tile": False, "avx512_bf16": True}
    assert cpu_info(tmp_path / "absent")["cpu_flags"] is None


def test_blas_summary_names_the_library():
    text = ("  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 for Intel(R) 64\n"
            "  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, LAPACK_INFO=mkl,\n")
    assert blas_summary(text) == "mkl (Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605)"
    assert blas_summary("  - Build settings: BLAS_INFO=open, USE_CUDA=0\n") == "open"
    assert blas_summary("nothing") == "unknown"


@pytest.mark.parametrize("kind", ["vge", "caption_image"])
def test_unknown_rows_zero_stay_frozen_zero_rows(tmp_path, task, kind):
    ds, textual = task
    Trainer(cfg(tmp_path, f'model.kind="{kind}"', 'model.unknown_rows="zero"', name="zero"), ds, textual,
            progress=False).run()
    state = load_checkpoint(tmp_path / "zero" / "last.pt")
    assert state["epoch"] == 1
    known = np.asarray(state["known"])
    assert (~known).sum() == 5                          # 4 special tokens and "oak"
    assert torch.count_nonzero(state["model"]["te_extra"]) == 0
    # the default: random rows that training moves
    Trainer(cfg(tmp_path, f'model.kind="{kind}"', name="default"), ds, textual, progress=False).run()
    first = load_checkpoint(tmp_path / "default" / "last.pt")["model"]["te_extra"]
    assert torch.count_nonzero(first[1:]) > 0           # row 0 (padding) starts at zero either way


def test_unknown_rows_is_checked():
    with pytest.raises(ValueError, match="model.unknown_rows = 'random'; expected one of trainable, zero"):
        load_config(None, ['model.unknown_rows="random"'])
    with pytest.raises(ValueError, match="data.standardise = 'dev'; expected one of train, all"):
        load_config(None, ['data.standardise="dev"'])


def test_standardise_over_the_named_images(tmp_path, task):
    ds, textual = task
    train_images = np.unique(ds.splits["train"].image_index)
    assert len(train_images) < len(ds.features)
    feats = np.asarray(ds.features, dtype=np.float64)
    np.testing.assert_allclose(standardisation_images(ds.features, ds.splits["train"], "train"),
                               feats[train_images])
    np.testing.assert_allclose(standardisation_images(ds.features, ds.splits["train"], "all"), feats)
    for mode, rows in (("train", train_images), ("all", slice(None))):
        Trainer(cfg(tmp_path, 'model.kind="caption_image"', f'data.standardise="{mode}"', name=mode), ds,
                textual, progress=False).run()
        model = load_checkpoint(tmp_path / mode / "last.pt")["model"]
        np.testing.assert_allclose(model["feat_mean"].numpy(), feats[rows].mean(0), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(model["feat_std"].numpy(), feats[rows].std(0), rtol=1e-5, atol=1e-5)
    a = load_checkpoint(tmp_path / "train" / "last.pt")["model"]["feat_mean"]
    b = load_checkpoint(tmp_path / "all" / "last.pt")["model"]["feat_mean"]
    assert not torch.allclose(a, b)
