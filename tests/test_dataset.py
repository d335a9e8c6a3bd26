"""Caption datasets: Flickr8k from the shared files (sizes vs the split lists), COCO fixtures, save/load."""
from __future__ import annotations

import argparse
import csv
import json
from collections import Counter

import numpy as np
import pytest

from vgbench.grounding.dataset import CaptionDataset, build_dataset, load_flickr8k
from vgbench.grounding.features import FeatureStore, write_store
from vgbench.grounding.splits import read_image_list
from vgbench.grounding.vocab import tokenize


@pytest.fixture(scope="module")
def flickr(root):
    return build_dataset(root / "flickr8k" / "captions.txt", root / "flickr8k" / "features")


def test_flickr8k_sizes_match_the_split_lists(root, flickr):
    f8k = root / "flickr8k"
    lists = {s: read_image_list(f8k / f"Flickr_8k.{s}Images.txt") for s in ("train", "dev", "test")}
    with open(f8k / "captions.txt", newline="") as fh:
        per_image = Counter(row["image"] for row in csv.DictReader(fh))
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


def test_flickr8k_tokens_vocab_and_image_rows(root, flickr):
    with open(root / "flickr8k" / "captions.txt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    train = set(read_image_list(root / "flickr8k" / "Flickr_8k.trainImages.txt"))
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
    store = FeatureStore.open(root / "flickr8k" / "features")
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
    flickr.save(tmp_path / "ds")  # replacing a saved dataset is fine ...
    (tmp_path / "other").mkdir()
    with pytest.raises(ValueError, match="not a saved caption dataset"):
        flickr.save(tmp_path / "other")  # ... any other folder is not touched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "other"]


def test_load_flickr8k_caches(root, tmp_path):
    a = load_flickr8k(root, vocab_size=50, cache=tmp_path)
    assert len(a.vocab) == 54 and isinstance(a.features, np.memmap)
    (cached,) = (tmp_path / "datasets").iterdir()
    mtime = (cached / "dataset.json").stat().st_mtime_ns
    b = load_flickr8k(root, vocab_size=50, cache=tmp_path)
    assert (cached / "dataset.json").stat().st_mtime_ns == mtime and b.vocab.words == a.vocab.words
    assert len(list((tmp_path / "datasets").iterdir())) == 1
    load_flickr8k(root, vocab_size=60, cache=tmp_path)
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
    with pytest.raises(FileNotFoundError, match="Flickr_8k.trainImages.txt"):
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
