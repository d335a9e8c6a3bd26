"""Feature store (npy + names + sidecar, memory-mapped) and encoder preprocessing."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from vgbench.caption_data.bundled import BUNDLED
from vgbench.caption_data.encoders import InceptionV3, Preprocess, get_encoder
from vgbench.caption_data.features import FeatureStore, write_store


@pytest.mark.parametrize("dtype,suffix", [(np.float16, ".f16.npy"), (np.float32, ".f32.npy")])
def test_store_round_trip_memory_mapped(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(5, 7)).astype(dtype)
    names = [f"img{i}.jpg" for i in range(5)]
    store = write_store(tmp_path, "enc", vecs, names, {"encoder_name": "enc", "note": "x"})
    assert (tmp_path / f"enc{suffix}").is_file() and (tmp_path / "enc.images.txt").is_file()
    again = FeatureStore.open(tmp_path)
    assert isinstance(again.vectors, np.memmap) and again.vectors.dtype == dtype
    assert again.names == names and again.meta["note"] == "x" and again.meta["shape"] == [5, 7]
    np.testing.assert_array_equal(np.asarray(again.vectors), vecs)
    np.testing.assert_array_equal(again.rows(["img3.jpg", "img0.jpg"]), vecs[[3, 0]].astype(np.float32))
    with pytest.raises(KeyError, match="nope.jpg"):
        again.rows(["nope.jpg"])
    assert not list(tmp_path.glob(".*tmp"))


def test_store_choice_and_errors(tmp_path):
    write_store(tmp_path, "a", np.zeros((2, 3), np.float32), ["x", "y"], {})
    write_store(tmp_path, "b", np.ones((1, 4), np.float16), ["z"], {})
    with pytest.raises(ValueError, match="several feature stores"):
        FeatureStore.open(tmp_path)
    assert FeatureStore.open(tmp_path, "b").dim == 4
    assert FeatureStore.open(tmp_path / "a.json").names == ["x", "y"]
    with pytest.raises(FileNotFoundError, match="no feature store named 'c'"):
        FeatureStore.open(tmp_path, "c")
    (tmp_path / "a.images.txt").write_text("x\n")
    with pytest.raises(ValueError, match="1 names but a matrix of shape"):
        FeatureStore.open(tmp_path, "a")
    with pytest.raises(FileNotFoundError, match="no feature store"):
        FeatureStore.open(tmp_path / "empty")
    with pytest.raises(ValueError, match="float16 or float32"):
        write_store(tmp_path, "c", np.zeros((1, 2), np.int64), ["q"], {})


def test_shipped_flickr8k_store():
    store = FeatureStore.open(BUNDLED / "features")
    assert store.vectors.shape == (8091, 1280) and store.vectors.dtype == np.float16
    assert len(store.names) == 8091 and store.names[0] == "1000268201_693b08cb0e.jpg"
    # Sidecar's "rows" is prose ("NAME.images.txt (one image ...)"): the file name is taken from it.
    meta = json.loads((BUNDLED / "features" / "efficientnet_lite0.json").read_text())
    assert meta["rows"].split()[0] == "efficientnet_lite0.images.txt"


def test_preprocess_stretch_matches_reference_recipe(tmp_path):
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(tmp_path / "x.png")
    with Image.open(tmp_path / "x.png") as im:
        ours = Preprocess((224, 224))(im)
    ref = np.asarray(Image.open(tmp_path / "x.png").convert("RGB").resize((224, 224)))
    assert ours.dtype == np.uint8 and ours.shape == (224, 224, 3)
    np.testing.assert_array_equal(ours, ref)


def test_preprocess_shorter_side_then_centre_crop(tmp_path):
    rng = np.random.default_rng(2)
    img = Image.fromarray(rng.integers(0, 255, (300, 451, 3), dtype=np.uint8))  # h=300, w=451
    out = InceptionV3.preprocess(img)
    assert out.shape == (299, 299, 3)
    # torchvision Resize(342): short side 342, long side int(342 * 451 / 300) = 514; crop offsets round.
    big = img.resize((514, 342), resample=Image.BILINEAR)
    left, top = int(round((514 - 299) / 2)), int(round((342 - 299) / 2))
    np.testing.assert_array_equal(out, np.asarray(big.crop((left, top, left + 299, top + 299))))
    grey = Image.fromarray(rng.integers(0, 255, (50, 40), dtype=np.uint8), mode="L")
    assert Preprocess((16, 16))(grey).shape == (16, 16, 3)


def test_unknown_encoder_and_inception_without_torchvision(tmp_path):
    with pytest.raises(ValueError, match="unknown encoder 'resnet'"):
        get_encoder("resnet")
    try:
        import torchvision  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match="inception-v3 needs torchvision") as info:
            get_encoder("inception-v3", weights=tmp_path / "w.pth")
        assert isinstance(info.value, ImportError) and "\n" not in str(info.value)
        # The failed featurize run leaves nothing behind in its output folder.
        from vgbench.caption_data.featurize import featurize
        Image.new("RGB", (8, 8)).save(tmp_path / "x.png")
        with pytest.raises(ValueError, match="torchvision"):
            featurize([tmp_path / "x.png"], tmp_path / "out", "inception-v3", progress=False)
        assert list((tmp_path / "out").iterdir()) == []
    else:
        with pytest.raises(FileNotFoundError, match="Inception-V3 weights not found"):
            get_encoder("inception-v3", weights=tmp_path / "missing.pth")


def test_inception_v3_loads_torchvision_weights_file(tmp_path):
    """With torchvision present: a state dict saved from its inception_v3 loads and gives 2048-d features."""
    tv = pytest.importorskip("torchvision")
    import torch
    torch.manual_seed(0)
    ref = tv.models.inception_v3(weights=None, aux_logits=True, init_weights=True).eval()
    torch.save(ref.state_dict(), tmp_path / "inception.pth")
    enc = get_encoder("inception-v3", weights=tmp_path / "inception.pth")
    px = np.random.default_rng(0).integers(0, 255, (2, 299, 299, 3), dtype=np.uint8)
    out = enc.encode(px)
    assert out.shape == (2, 2048)
    ref.fc = torch.nn.Identity()
    ref.transform_input = True
    x = (torch.from_numpy(px).permute(0, 3, 1, 2).float() / 255 - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) \
        / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        np.testing.assert_allclose(out, ref(x).numpy(), rtol=1e-3, atol=1e-4)


def test_bad_weights_file_is_one_line_error(tmp_path):
    bad = tmp_path / "w.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"w.pth: not a PyTorch weights file") as info:
        get_encoder("efficientnet-lite0", weights=bad)
    assert "\n" not in str(info.value)
