"""The featurizer: batches, worker decoding, skipped images, resume after a kill, shards, CLI.

Mechanics are checked with a cheap but real encoder (mean colour of the resized image, checked
against PIL's own statistics); the default encoder is checked against the shipped vectors.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vgbench.caption_data import encoders
from vgbench.caption_data.bundled import BUNDLED
from vgbench.caption_data.encoders import ImageEncoder, Preprocess
from vgbench.caption_data.features import FeatureStore
from vgbench.caption_data.featurize import collect_images, featurize, parse_shard

REPO = Path(__file__).resolve().parent.parent
# Eight of the 1,000 Flickr8k test-split images (224x224 JPEGs), committed for these tests.
SAMPLE = Path(__file__).resolve().parent / "data" / "flickr8k_images"


class MeanColour(ImageEncoder):
    """Mean R, G, B of the image resized to 16x16, scaled to 0..1."""
    name, dim = "mean-colour", 3
    preprocess = Preprocess((16, 16))

    def __init__(self, fail_after: int | None = None):
        self.batches = 0
        self.fail_after = fail_after

    def encode(self, pixels):
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise KeyboardInterrupt
        self.batches += 1
        return pixels.reshape(len(pixels), -1, 3).mean(axis=1).astype(np.float32) / 255


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("imgs")
    rng = np.random.default_rng(0)
    for i in range(20):
        sub = d / "sub" if i % 5 == 0 else d
        sub.mkdir(exist_ok=True)
        arr = rng.integers(0, 255, (24 + i, 30, 3), dtype=np.uint8)
        Image.fromarray(arr).save(sub / f"img{i:02d}.{'png' if i % 3 else 'jpg'}")
    (d / "corrupt.jpg").write_bytes(b"this is not a JPEG")
    good = (d / "img01.png").read_bytes()
    (d / "truncated.png").write_bytes(good[:len(good) // 2])
    (d / "notes.txt").write_text("not an image")
    return d


def expected_mean(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB").resize((16, 16)), dtype=np.float64)
    return arr.reshape(-1, 3).mean(0) / 255


def test_collect_images_names_and_shards(image_dir, tmp_path):
    items = collect_images([image_dir, tmp_path / "gone.jpg"])
    names = [n for n, _ in items]
    assert names == sorted(names) and "notes.txt" not in names
    assert "sub/img00.jpg" in names and "gone.jpg" in names and len(names) == 23
    with pytest.raises(ValueError, match="comes from both"):
        collect_images([image_dir / "img01.png", tmp_path / "img01.png"])
    assert parse_shard("1/3") == (1, 3) and parse_shard(None) == (0, 1)
    for bad in ("3/3", "x", "1/0"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


@pytest.mark.parametrize("workers", [0, 2])
def test_featurize_values_and_skipped_images(image_dir, tmp_path, workers):
    res = featurize([image_dir, tmp_path / "gone.jpg"], tmp_path / "out", MeanColour(), batch_size=4,
                    chunk_size=8, workers=workers, dtype="float32", progress=False)
    assert res.chunks_missing == 0 and res.n_encoded == 20
    store = FeatureStore.open(tmp_path / "out")
    assert store.names == [n for n, _ in collect_images([image_dir]) if n not in ("corrupt.jpg", "truncated.png")]
    for name, vec in zip(store.names, np.asarray(store.vectors)):
        np.testing.assert_allclose(vec, expected_mean(image_dir / name), atol=1e-6)
    assert sorted(s.image for s in res.skipped) == ["corrupt.jpg", "gone.jpg", "truncated.png"]
    errors = {s.image: s.error for s in res.skipped}
    assert "FileNotFoundError" in errors["gone.jpg"] and "UnidentifiedImageError" in errors["corrupt.jpg"]
    assert store.meta["images_skipped"] == 3 and store.meta["encoder_name"] == "mean-colour"
    assert not (tmp_path / "out" / ".featurize-mean_colour").exists()


def test_rerun_of_a_complete_store_does_no_work_and_other_inputs_are_refused(image_dir, tmp_path):
    featurize([image_dir], tmp_path, MeanColour(), chunk_size=8, workers=0, progress=False)
    enc = MeanColour()
    again = featurize([image_dir], tmp_path, enc, chunk_size=8, workers=0, progress=False)
    assert enc.batches == 0 and again.store is not None and len(again.skipped) == 2
    with pytest.raises(ValueError, match="other images or settings"):
        featurize([image_dir / "img01.png"], tmp_path, MeanColour(), chunk_size=8, workers=0, progress=False)
    res = featurize([image_dir / "img01.png"], tmp_path, MeanColour(), chunk_size=8, workers=0,
                    progress=False, overwrite=True)
    assert res.store.names == ["img01.png"]


def test_interrupted_run_resumes_where_it_stopped(image_dir, tmp_path):
    out = tmp_path / "out"
    kw = dict(batch_size=4, chunk_size=8, workers=1, dtype="float32", progress=False)
    with pytest.raises(KeyboardInterrupt):
        featurize([image_dir], out, MeanColour(fail_after=5), **kw)  # dies inside the third chunk
    work = out / ".featurize-mean_colour"
    assert sorted(p.name for p in work.iterdir()) == ["chunk-000000.npz", "chunk-000001.npz", "manifest.json"]
    assert not list(out.glob("*.json")), "no store may appear before all chunks exist"
    enc = MeanColour()
    res = featurize([image_dir], out, enc, **kw)
    assert res.n_reused == 16 and enc.batches == 2  # 22 images: chunks 0-1 reused, 6 left = 2 batches
    fresh = featurize([image_dir], tmp_path / "fresh", MeanColour(), **kw)
    assert res.store.names == fresh.store.names
    np.testing.assert_array_equal(np.asarray(res.store.vectors), np.asarray(fresh.store.vectors))
    with pytest.raises(ValueError, match="unfinished run with other inputs or settings \\(chunk_size\\)"):
        with pytest.raises(KeyboardInterrupt):
            featurize([image_dir], tmp_path / "x", MeanColour(fail_after=2), **kw)
        featurize([image_dir], tmp_path / "x", MeanColour(), **{**kw, "chunk_size": 4})


def test_shards_split_the_work_and_the_last_one_assembles(image_dir, tmp_path):
    kw = dict(batch_size=4, chunk_size=4, workers=0, dtype="float32", progress=False)
    a = featurize([image_dir], tmp_path / "a", MeanColour(), shard="0/2", **kw)
    b = featurize([image_dir], tmp_path / "b", MeanColour(), shard="1/2", **kw)
    assert a.store is None and b.store is None and a.chunks_missing == 3 and b.chunks_missing == 3
    # 22 images in chunks of 4: shard 0 takes chunks 0, 2, 4 (12 images), shard 1 chunks 1, 3, 5 (10).
    assert a.n_encoded + len(a.skipped) == 12 and b.n_encoded + len(b.skipped) == 10
    # Gather shard b's chunks into a's folder, then one more run assembles without encoding.
    for p in (tmp_path / "b" / ".featurize-mean_colour").glob("chunk-*.npz"):
        p.rename(tmp_path / "a" / ".featurize-mean_colour" / p.name)
    enc = MeanColour()
    done = featurize([image_dir], tmp_path / "a", enc, **kw)
    assert enc.batches == 0 and done.n_reused == 22
    whole = featurize([image_dir], tmp_path / "whole", MeanColour(), **kw)
    assert done.store.names == whole.store.names
    np.testing.assert_array_equal(np.asarray(done.store.vectors), np.asarray(whole.store.vectors))


def test_cli_featurize(image_dir, tmp_path, monkeypatch, capsys):
    from vgbench.cli import build_parser  # the whole CLI: -q/--quiet is a global option
    monkeypatch.setitem(encoders.ENCODERS, "mean-colour", lambda **kw: MeanColour())
    args = build_parser().parse_args(["featurize", str(image_dir), "--encoder", "mean-colour", "--out", str(tmp_path),
                              "--workers", "0", "--quiet"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "22 images" in out and "skipped 2 of 22 images" in out and "corrupt.jpg" in out
    assert FeatureStore.open(tmp_path).dim == 3


def test_sample_images_are_the_recorded_ones():
    import hashlib
    sums = dict(reversed(line.split()) for line in (SAMPLE / "SHA256SUMS").read_text().splitlines())
    assert len(sums) == 8 == len(list(SAMPLE.glob("*.jpg")))
    for name, digest in sums.items():
        assert hashlib.sha256((SAMPLE / name[2:]).read_bytes()).hexdigest() == digest, name


def test_default_encoder_reproduces_shipped_vectors(tmp_path):
    """Issue 3's check on the committed sample: cosine >= 0.999 with efficientnet_lite0.f16.npy (all
    1,000 test images in benchmarks/bench_featurize.py)."""
    sample = sorted(p.name for p in SAMPLE.glob("*.jpg"))
    res = featurize([SAMPLE / n for n in sample], tmp_path, batch_size=4, progress=False)
    assert res.store.meta["encoder_name"] == "efficientnet-lite0" and res.store.dim == 1280
    ours = res.store.rows(sample).astype(np.float64)
    ref = FeatureStore.open(BUNDLED / "features").rows(sample).astype(np.float64)
    cos = (ours * ref).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() >= 0.999, f"worst cosine {cos.min():.6f}"


@pytest.mark.slow
def test_killed_cli_run_resumes(tmp_path):
    """A real `vgbench featurize` killed with SIGKILL after its first chunk continues from there."""
    names = sorted(p.name for p in SAMPLE.glob("*.jpg"))
    files = [str(SAMPLE / n) for n in names]
    cmd = [sys.executable, "-c", "import sys; from vgbench.cli import main; sys.exit(main(sys.argv[1:]))",
           "featurize", *files, "--out", str(tmp_path), "--chunk-size", "2", "--batch-size", "1",
           "--workers", "1", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    work = tmp_path / ".featurize-efficientnet_lite0"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not list(work.glob("chunk-*.npz")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(work.glob("chunk-*.npz")))
    assert 1 <= done_before < 4, "the run should have been killed part-way"
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"done before {2 * done_before}" in again.stdout
    ours = FeatureStore.open(tmp_path).rows(names).astype(np.float64)
    ref = FeatureStore.open(BUNDLED / "features").rows(names).astype(np.float64)
    cos = (ours * ref).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() >= 0.999


def test_featurize_leaves_torch_thread_count_as_it_was(tmp_path):
    import torch
    before = torch.get_num_threads()
    img = next(SAMPLE.glob("*.jpg"))
    featurize([img], tmp_path, threads=1, workers=0, progress=False)
    assert torch.get_num_threads() == before
