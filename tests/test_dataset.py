"""Caption datasets: Flickr8k from the repository's copy (sizes vs the split lists, checksums, the data
root as override), COCO fixtures, save/load."""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import shutil
from collections import Counter

import numpy as np
import pytest

from vgbench.caption_data import bundled
from vgbench.caption_data.dataset import CaptionDataset, build_dataset, load_flickr8k
from vgbench.caption_data.features import FeatureStore, write_store
from vgbench.caption_data.splits import read_image_list
from vgbench.caption_data.vocab import tokenize

F8K = bundled.BUNDLED


def caption_rows() -> list[dict]:
    with gzip.open(F8K / "captions.txt.gz", "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def flickr():
    return build_dataset(F8K / "captions.txt.gz", F8K / "features")


def test_flickr8k_sizes_match_the_split_lists(flickr):
    lists = {s: read_image_list(F8K / f"Flickr_8k.{s}Images.txt") for s in ("train", "dev", "test")}
    per_image = Counter(row["image"] for row in caption_rows())
    for split, names in lists.items():
        s = flickr.splits[split]
        assert s.n_images == len(names) == {"train": 5997, "dev": 1000, "test": 1000}[split]
        assert len(s) == sum(per_image[n] for n in names) == 5 * len(names)
        assert {flickr.image_names[i] for i in s.image_index} == set(names)
        r = flickr.report["splits"][split]
        assert r["listed_images_without_captions"]["count"] == 0 and r["listed_images_without_vector"]["count"] == 0
    in_split = set().union(*map(set, lists.values()))
    orphans = set(per_image) - in_split
    dropped = flickr.report["dropped_captions"]
    assert dropped["image_in_no_split"] == {"count": 5 * len(orphans), "images": len(orphans),
                                            "examples": dropped["image_in_no_split"]["examples"]}
    assert len(orphans) == 94 and dropped["image_without_vector"]["count"] == 0
    assert flickr.report["captions_read"] == 40455 == sum(len(s) for s in flickr.splits.values()) + 470


def test_flickr8k_tokens_vocab_and_image_rows(flickr):
    rows = caption_rows()
    train = set(read_image_list(F8K / "Flickr_8k.trainImages.txt"))
    counts = Counter(w for r in rows if r["image"] in train for w in tokenize(r["caption"]))
    v = flickr.vocab
    assert len(v) == 4 + len(counts)  # fewer than 10,000 train words: all are kept
    assert v.words[4:9] == [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:5]]
    assert v.words[4] == "a"
    s = flickr.splits["train"]
    assert s.tokens.dtype == np.int32 and s.lengths.dtype == np.int32 and s.image_index.dtype == np.int32
    assert s.tokens.shape == (len(s), int(s.lengths.max()))
    assert (s.tokens[np.arange(s.tokens.shape[1]) >= s.lengths[:, None]] == 0).all()  # right padding
    assert not (s.tokens == v.unk_id).any() and (flickr.splits["dev"].tokens == v.unk_id).any()
    # Caption 0 of train is the first train caption of captions.txt, word for word, without <s>/</s>.
    first = next(r for r in rows if r["image"] in train)
    assert flickr.captions("train", 0) == tokenize(first["caption"])
    store = FeatureStore.open(F8K / "features")
    pick = s.image_index[[0, 1234, len(s) - 1]]
    np.testing.assert_array_equal(np.asarray(flickr.features[pick], np.float32),
                                  store.rows([flickr.image_names[i] for i in pick]))


def test_save_load_round_trip_memory_mapped(flickr, tmp_path):
    flickr.save(tmp_path / "ds")
    back = CaptionDataset.load(tmp_path / "ds")
    assert isinstance(back.features, np.memmap) and isinstance(back.splits["train"].tokens, np.memmap)
    assert back.vocab.words == flickr.vocab.words and back.image_names == flickr.image_names
    for k in ("train", "dev", "test"):
        for attr in ("tokens", "lengths", "image_index"):
            np.testing.assert_array_equal(getattr(back.splits[k], attr), getattr(flickr.splits[k], attr))
    assert back.report == json.loads(json.dumps(flickr.report))
    (tmp_path / "ds" / "extra.tokens.npy").write_bytes(b"a split of an earlier dataset")
    flickr.save(tmp_path / "ds")  # replacing a saved dataset is fine, as a whole ...
    assert not (tmp_path / "ds" / "extra.tokens.npy").exists()
    (tmp_path / "other").mkdir()
    with pytest.raises(ValueError, match="not a saved caption dataset"):
        flickr.save(tmp_path / "other")  # ... any other folder is not touched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "other"]


def test_vendored_files_match_the_recorded_checksums():
    """Independent of the loader: hashlib over the decompressed bytes vs SHA256SUMS and the README."""
    import hashlib
    readme = (F8K / "README.md").read_text()
    sums = {}
    for line in (F8K / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name[2:]] = digest
        assert f"`{digest}`" in readme, name
    assert sorted(sums) == sorted(bundled.DATASET_FILES + (bundled.TOKEN_FILE,))
    for name, digest in sums.items():
        path = bundled.require(F8K, name)
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
    assert bundled.verify(F8K)["captions.txt"] == sums["captions.txt"]


def copy_flickr(dest):
    shutil.copytree(F8K, dest, ignore=shutil.ignore_patterns("README.md"))
    return dest


def test_a_changed_file_stops_the_load_with_its_name(tmp_path):
    root = tmp_path / "root"
    f8k = copy_flickr(root / "flickr8k")
    lists = f8k / "Flickr_8k.devImages.txt"
    lists.write_text(lists.read_text() + "9999999999_0000000000.jpg\n")
    with pytest.raises(bundled.ChecksumError, match=r"Flickr_8k.devImages.txt: SHA-256 of its content is "
                       r"[0-9a-f]{64}, but .*SHA256SUMS: line 2 expects 18ba829f"):
        load_flickr8k(root, cache=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_data_root_overrides_the_vendored_copy(tmp_path, monkeypatch):
    """A data root holding flickr8k/ is used (here with captions of one image cut); one without it
    falls back to the repository's copy; $VGBENCH_DATA counts as a data root."""
    root = tmp_path / "root"
    f8k = copy_flickr(root / "flickr8k")
    (f8k / "SHA256SUMS").unlink()  # user-brought data: no checksums to check
    rows = [r for r in caption_rows() if r["image"] != "1000268201_693b08cb0e.jpg"]
    (f8k / "captions.txt.gz").unlink()
    with open(f8k / "captions.txt", "w", newline="") as fh:
        w = csv.DictWriter(fh, ["image", "caption"])
        w.writeheader()
        w.writerows(rows)
    ds = load_flickr8k(root, vocab_size=50, cache=tmp_path / "cache")
    assert ds.report["captions_read"] == 40455 - 5 and ds.meta["captions"] == [str(f8k / "captions.txt")]
    assert ds.meta["inputs_sha256"]["captions.txt"] is None
    monkeypatch.setenv("VGBENCH_DATA", str(root))
    assert bundled.flickr8k_dir() == f8k
    (tmp_path / "bare").mkdir()
    monkeypatch.setenv("VGBENCH_DATA", str(tmp_path / "bare"))
    assert bundled.flickr8k_dir() == F8K
    monkeypatch.delenv("VGBENCH_DATA")
    assert bundled.flickr8k_dir() == F8K and bundled.flickr8k_dir(tmp_path / "bare") == F8K


def test_load_flickr8k_caches(tmp_path):
    a = load_flickr8k(vocab_size=50, cache=tmp_path)
    assert len(a.vocab) == 54 and isinstance(a.features, np.memmap)
    assert a.meta["inputs_sha256"]["features/efficientnet_lite0.f16.npy"].startswith("3252827340f7")
    (cached,) = (tmp_path / "datasets").iterdir()
    mtime = (cached / "dataset.json").stat().st_mtime_ns
    b = load_flickr8k(vocab_size=50, cache=tmp_path)
    assert (cached / "dataset.json").stat().st_mtime_ns == mtime and b.vocab.words == a.vocab.words
    assert len(list((tmp_path / "datasets").iterdir())) == 1
    load_flickr8k(vocab_size=60, cache=tmp_path)
    assert len(list((tmp_path / "datasets").iterdir())) == 2


@pytest.fixture
def coco(tmp_path):
    """Tiny COCO-format train/val files and a feature store covering all images but one."""
    def write(name, images, anns):
        doc = {"info": {}, "images": [{"id": i, "file_name": f"{i:012d}.jpg"} for i in images],
               "annotations": [{"id": k, "image_id": i, "caption": c} for k, (i, c) in enumerate(anns)]}
        (tmp_path / name).write_text(json.dumps(doc))
    write("captions_train2017.json", [1, 2, 3], [
        (1, "A man riding a horse."), (1, "A person on a horse!"), (2, "Two dogs play in the snow."),
        (2, "Dogs, in snow."), (3, "A red bus on a street."), (2, "   "), (9, "Orphan caption")])
    write("captions_val2017.json", [4, 5], [(4, "A horse in a field."), (5, "A zebra grazing.")])
    names = [f"{i:012d}.jpg" for i in (1, 2, 4, 5)]  # image 3 was never featurized
    vecs = np.arange(4 * 6, dtype=np.float32).reshape(4, 6)
    write_store(tmp_path / "feats", "toy", vecs, names, {"encoder_name": "toy"})
    return tmp_path


def test_coco_by_file_splits_and_reports(coco):
    ds = build_dataset({"train": coco / "captions_train2017.json", "dev": coco / "captions_val2017.json"},
                       coco / "feats", vocab_size=5)
    assert [len(ds.splits[k]) for k in ("train", "dev", "test")] == [4, 2, 0]
    rep = ds.report
    assert rep["dropped_captions"]["image_without_vector"]["count"] == 1
    assert "000000000003.jpg" in rep["dropped_captions"]["image_without_vector"]["examples"][0]
    problems = rep["caption_files"][0]["unreadable"]
    assert problems["empty caption"]["count"] == 1
    assert problems["annotation names unknown image_id 9"]["count"] == 1
    assert rep["unreadable_lines"] == 2
    # Vocabulary from train only, 5 words: a(4) in(2)... ties alphabetical; 'zebra' (dev only) is unknown.
    train_counts = Counter(w for t in ["A man riding a horse.", "A person on a horse!", "Two dogs play in the snow.",
                                       "Dogs, in snow."] for w in tokenize(t))
    assert ds.vocab.words[4:] == [w for w, _ in sorted(train_counts.items(), key=lambda x: (-x[1], x[0]))[:5]]
    assert ds.captions("dev", 1) == ["a", "<unk>", "<unk>"]
    # Feature rows: only images that keep captions, with their own vectors.
    assert ds.image_names == ["000000000001.jpg", "000000000002.jpg", "000000000004.jpg", "000000000005.jpg"]
    np.testing.assert_array_equal(ds.features[ds.splits["dev"].image_index[0]], np.arange(12, 18))


def test_random_split_truncation_and_errors(coco):
    caps = [coco / "captions_train2017.json", coco / "captions_val2017.json"]
    a = build_dataset(caps, coco / "feats", "random:7:0.5,0.25,0.25", max_len=3)
    b = build_dataset(caps, coco / "feats", "random:7:0.5,0.25,0.25", max_len=3)
    assert a.image_names == b.image_names
    for k in a.splits:
        np.testing.assert_array_equal(a.splits[k].tokens, b.splits[k].tokens)
    assert sum(s.n_images for s in a.splits.values()) == 4  # image 3 has no vector: not split
    assert max(int(s.lengths.max(initial=0)) for s in a.splits.values()) == 3
    assert a.report["truncated_captions"] == 4  # the captions of 5 and 6 words
    assert a.report["dropped_captions"]["image_without_vector"]["count"] == 1
    with pytest.raises(ValueError, match="leave split unset"):
        build_dataset({"train": caps[0]}, coco / "feats", "random:1")
    with pytest.raises(ValueError, match=r"flickr8k-standard': none of the 5 images of "
                       r".*captions_train2017.json, .*captions_val2017.json is in"):
        build_dataset(caps, coco / "feats", data_root=coco)


def test_cli_data_build_and_info(coco, tmp_path, capsys):
    from vgbench.commands import data as cmd
    parser = argparse.ArgumentParser()
    cmd.register(parser.add_subparsers())
    args = parser.parse_args(["data", "build-captions", "--train", str(coco / "captions_train2017.json"),
                              "--dev", str(coco / "captions_val2017.json"), "--features", str(coco / "feats"),
                              "--out", str(tmp_path / "ds")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "train: 2 images" in out and "dropped 1 captions of 1 images: image without vector" in out
    assert "2 unreadable caption lines" in out
    args = parser.parse_args(["data", "info", str(tmp_path / "ds")])
    assert args.func(args) == 0 and "dev: 2 images (2 listed), 2 captions" in capsys.readouterr().out
