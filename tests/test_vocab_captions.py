"""Tokenizer, vocabulary, caption readers (all four formats) and split lists."""
from __future__ import annotations

import csv
import gzip
import json
from collections import Counter

import pytest

from vgbench.caption_data.bundled import BUNDLED
from vgbench.caption_data.captions import read_captions, sniff_format
from vgbench.caption_data.splits import (flickr8k_standard, random_split, read_image_list, resolve_split)
from vgbench.caption_data.vocab import BOS, EOS, PAD, UNK, Vocabulary, tokenize

PAIRS = [("a.jpg", "A dog runs, fast!"), ("a.jpg", "The dog's T-shirt is red."),
         ("b.jpg", 'A man says "hello" to a cat'), ("c.jpg", "Two   kids\tplay")]


def test_tokenize_lowercases_and_removes_punctuation():
    assert tokenize("A dog's T-shirt, running!") == ["a", "dog", "s", "t", "shirt", "running"]
    assert tokenize("  Café  NAÏVE...  ") == ["café", "naïve"]
    assert tokenize("under_score 3.5 kids") == ["under", "score", "3", "5", "kids"]
    assert tokenize("?!.") == []


def test_vocabulary_ranks_by_frequency_then_alphabet():
    lists = [["b", "a", "c"], ["a", "b", "d"], ["a", "e"]]
    v = Vocabulary.build(lists, max_size=3)
    assert v.words[:4] == [PAD, UNK, BOS, EOS]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)
    # counts: a3 b2 c1 d1 e1 -> a, b, then the alphabetically first of the ties
    assert v.words[4:] == ["a", "b", "c"]
    assert len(v) == 7
    assert v.encode(["a", "zzz", "c"]) == [4, 1, 6]
    assert v.decode([4, 1, 6]) == ["a", UNK, "c"]
    assert v.id("d") == v.unk_id
    assert Vocabulary.build(lists, min_count=2).words[4:] == ["a", "b"]


def test_vocabulary_round_trip_and_bad_file(tmp_path):
    v = Vocabulary.build([tokenize(t) for _, t in PAIRS])
    v.save(tmp_path / "vocab.json")
    w = Vocabulary.load(tmp_path / "vocab.json")
    assert w.words == v.words and w.counts == v.counts
    (tmp_path / "bad.json").write_text('{"words": [\n1,,]}')
    with pytest.raises(ValueError, match=r"bad.json: line 2"):
        Vocabulary.load(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="must start with"):
        Vocabulary(["a", "b"])


def _write_all_formats(d):
    with open(d / "captions.txt", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image", "caption"])
        w.writerows(PAIRS)
    counts: Counter = Counter()
    lines = []
    for img, cap in PAIRS:
        lines.append(f"{img}#{counts[img]}\t{cap}\r\n")
        counts[img] += 1
    (d / "Flickr8k.token.txt").write_text("".join(lines), newline="")
    (d / "caps.tsv").write_text("".join(f"{i}\t{c}\n" for i, c in PAIRS))
    ids = {"a.jpg": 7, "b.jpg": 8, "c.jpg": 9}
    coco = {"images": [{"id": v, "file_name": k} for k, v in ids.items()],
            "annotations": [{"id": n, "image_id": ids[i], "caption": c} for n, (i, c) in enumerate(PAIRS)]}
    (d / "captions_train2017.json").write_text(json.dumps(coco))


@pytest.mark.parametrize("name,fmt", [("captions.txt", "flickr8k-csv"), ("Flickr8k.token.txt", "flickr8k-token"),
                                      ("caps.tsv", "tsv"), ("captions_train2017.json", "coco")])
def test_every_format_reads_the_same_captions(tmp_path, name, fmt):
    _write_all_formats(tmp_path)
    assert sniff_format(tmp_path / name) == fmt
    cf = read_captions(tmp_path / name)
    assert cf.format == fmt and not cf.problems
    # Whitespace runs are collapsed; the text is otherwise kept verbatim.
    assert [(c.image, c.text) for c in cf.captions] == [(i, " ".join(c.split())) for i, c in PAIRS]
    assert cf.images == ["a.jpg", "b.jpg", "c.jpg"]
    packed = tmp_path / f"{name}.gz"  # the same file gzip-compressed reads the same
    packed.write_bytes(gzip.compress((tmp_path / name).read_bytes()))
    assert sniff_format(packed) == fmt
    assert [(c.image, c.text, c.line) for c in read_captions(packed).captions] == \
        [(c.image, c.text, c.line) for c in cf.captions]
    packed.write_bytes(gzip.compress((tmp_path / name).read_bytes())[:-9])  # cut short
    with pytest.raises(ValueError, match=rf"{name}.gz: not a readable gzip file"):
        read_captions(packed)


def test_format_override_and_unknown_format(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("img1.jpg#0\tA cat\n")
    assert read_captions(p, "tsv").captions[0].image == "img1.jpg#0"
    assert read_captions(p).captions[0].image == "img1.jpg"
    q = tmp_path / "plain.txt"
    q.write_text("just words here\n")
    with pytest.raises(ValueError, match=r"plain.txt: line 1: cannot tell the caption format"):
        read_captions(q)
    with pytest.raises(ValueError, match="unknown caption format"):
        read_captions(p, "yaml")


def test_unreadable_lines_and_empty_captions_are_reported(tmp_path):
    p = tmp_path / "Flickr8k.token.txt"
    p.write_text("a.jpg#0\tA dog\nno tab on this line\nb.jpg\tmissing the #k\nc.jpg#1\t   \nd.jpg#0\tA cat\n")
    cf = read_captions(p)
    assert [c.image for c in cf.captions] == ["a.jpg", "d.jpg"]
    assert [(pr.line, pr.reason) for pr in cf.problems] == [
        (2, "no tab (expected image#k<TAB>caption)"), (3, "key is not image#k"), (4, "empty caption")]
    summary = cf.problem_summary()
    assert summary["empty caption"]["count"] == 1
    assert "Flickr8k.token.txt: line 4: empty caption" in summary["empty caption"]["examples"][0]

    c = tmp_path / "captions.txt"
    c.write_text('image,caption\na.jpg,"A dog, running"\nb.jpg,x,y\n,orphan caption\n')
    cf = read_captions(c)
    assert [(x.image, x.text, x.line) for x in cf.captions] == [("a.jpg", "A dog, running", 2)]
    assert [(pr.line, pr.reason) for pr in cf.problems] == [(3, "3 fields, expected 2"), (4, "no image name")]


def test_coco_reports_unknown_images_and_bad_annotations(tmp_path):
    doc = {"images": [{"id": 1, "file_name": "one.jpg"}],
           "annotations": [{"image_id": 1, "caption": "A red bus."}, {"image_id": 2, "caption": "Lost."},
                           {"image_id": 1}, {"image_id": 1, "caption": ""}]}
    p = tmp_path / "captions_val2017.json"
    p.write_text(json.dumps(doc))
    cf = read_captions(p)
    assert [(c.image, c.text) for c in cf.captions] == [("one.jpg", "A red bus.")]
    assert [pr.line for pr in cf.problems] == [2, 3, 4]
    assert "annotation 2" in cf.problem_summary()["annotation names unknown image_id 2"]["examples"][0]
    (tmp_path / "broken.json").write_text('{"images": [],\n "annotations": [}')
    with pytest.raises(ValueError, match=r"broken.json: line 2: not JSON"):
        read_captions(tmp_path / "broken.json")


def test_shipped_flickr8k_caption_files():
    flickr = BUNDLED
    csv_file = read_captions(flickr / "captions.txt.gz")
    assert csv_file.format == "flickr8k-csv" and not csv_file.problems
    assert len(csv_file.captions) == 40455
    per_image = Counter(c.image for c in csv_file.captions)
    assert len(per_image) == 8091 and set(per_image.values()) == {5}
    tok = read_captions(flickr / "Flickr8k.token.txt.gz")
    assert tok.format == "flickr8k-token" and not tok.problems
    assert len(tok.captions) == 40450
    # The token file lacks two images of captions.txt and names one image "...jpg.1".
    assert set(per_image) - set(tok.images) == {"99679241_adc853a5c0.jpg", "861795382_5145ad433d.jpg"}
    assert set(tok.images) - set(per_image) == {"2258277193_586949ec62.jpg.1"}
    # A quoted CSV caption with a comma survives intact.
    assert any(c.text == "A dog shakes its head near the shore , a red ball next to it ." for c in csv_file.captions)


def test_flickr8k_standard_split():
    s = flickr8k_standard(BUNDLED)
    assert {k: len(v) for k, v in s.items()} == {"train": 5997, "dev": 1000, "test": 1000}
    assert not (set(s["train"]) & set(s["dev"])) and not (set(s["dev"]) & set(s["test"]))


def test_random_split_is_seeded_disjoint_and_complete():
    images = [f"{i}.jpg" for i in range(103)]
    a, b, c = random_split(images, 1), random_split(images, 1), random_split(images, 2)
    assert a == b and a != c
    assert [len(a[k]) for k in ("train", "dev", "test")] == [82, 10, 11]
    assert sorted(a["train"] + a["dev"] + a["test"]) == sorted(images)
    assert resolve_split("random:1", images) == a
    assert [len(v) for v in resolve_split("random:1:0.5,0.5,0", images).values()] == [52, 51, 0]
    with pytest.raises(ValueError, match="random:SEED"):
        resolve_split("random:x", images)


def test_split_lists_from_files_and_errors(tmp_path):
    (tmp_path / "train.txt").write_text("a.jpg\nb.jpg\n\n")
    (tmp_path / "dup.txt").write_text("a.jpg\nc.jpg\na.jpg\n")
    assert read_image_list(tmp_path / "train.txt") == ["a.jpg", "b.jpg"]
    with pytest.raises(ValueError, match=r"dup.txt: line 3: image 'a.jpg' already listed on line 1"):
        read_image_list(tmp_path / "dup.txt")
    s = resolve_split({"train": tmp_path / "train.txt", "dev": ["c.jpg"]}, [])
    assert s == {"train": ["a.jpg", "b.jpg"], "dev": ["c.jpg"], "test": []}
    with pytest.raises(ValueError, match="both the train and the dev split"):
        resolve_split({"train": ["a.jpg"], "dev": ["a.jpg"]}, [])
