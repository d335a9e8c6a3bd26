"""Readers for the caption files users have: COCO JSON, Flickr8k captions.txt / Flickr8k.token.txt, TSV
(each also gzip-compressed, `NAME.gz`).

Every reader returns the same `CaptionFile`: (image name, caption) pairs in file order, plus the
lines it could not use, so that nothing is dropped without a word.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

NEWLINE = b"\n"
FORMATS = ("coco", "flickr8k-csv", "flickr8k-token", "tsv")
_TOKEN_KEY = re.compile(r"^(?P<image>.+)#(?P<k>\d+)$")
MAX_EXAMPLES = 5


@dataclass
class Caption:
    image: str
    text: str
    line: int  # 1-based line in the file (for COCO JSON: the annotation's index + 1)


@dataclass
class Problem:
    line: int
    reason: str
    text: str

    def describe(self, path: str | os.PathLike, unit: str = "line") -> str:
        return f"{path}: {unit} {self.line}: {self.reason}: {self.text[:80]!r}"


@dataclass
class CaptionFile:
    path: Path
    format: str
    captions: list[Caption]
    problems: list[Problem] = field(default_factory=list)

    @property
    def images(self) -> list[str]:
        """Image names in order of first appearance."""
        return list(dict.fromkeys(c.image for c in self.captions))

    def problem_summary(self) -> dict:
        by_reason: dict[str, list[Problem]] = {}
        for p in self.problems:
            by_reason.setdefault(p.reason, []).append(p)
        unit = "annotation" if self.format == "coco" else "line"
        return {reason: {"count": len(ps),
                         "examples": [p.describe(self.path, unit) for p in ps[:MAX_EXAMPLES]]}
                for reason, ps in by_reason.items()}


def open_text(path: str | os.PathLike, errors: str = "strict"):
    """Open a caption file as text; a `.gz` file is decompressed on the fly."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors=errors, newline="")
    return open(path, "r", encoding="utf-8-sig", errors=errors, newline="")


def sniff_format(path: str | os.PathLike) -> str:
    """Guess the caption format from the file's first bytes (see FORMATS)."""
    path = Path(path)
    with open_text(path, errors="replace") as fh:
        head = fh.read(4096)
    stripped = head.lstrip()
    if stripped.startswith("{"):
        return "coco"
    first = stripped.splitlines()[0] if stripped else ""
    if first.replace(" ", "").lower() == "image,caption":
        return "flickr8k-csv"
    if "\t" in first:
        key = first.split("\t", 1)[0]
        return "flickr8k-token" if _TOKEN_KEY.match(key) else "tsv"
    raise ValueError(f"{path}: line 1: cannot tell the caption format (expected COCO JSON, an "
                     f"'image,caption' CSV header, or tab-separated 'image<TAB>caption' lines); "
                     f"pass the format explicitly ({', '.join(FORMATS)})")


def read_captions(path: str | os.PathLike, fmt: str | None = None) -> CaptionFile:
    """Read a caption file; `fmt` (one of FORMATS) overrides the sniffed format."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: caption file not found")
    readers = {"coco": _read_coco, "flickr8k-csv": _read_csv, "flickr8k-token": _read_token,
               "tsv": _read_tsv}
    if fmt is not None and fmt not in readers:
        raise ValueError(f"unknown caption format {fmt!r}; expected one of {', '.join(FORMATS)}")
    try:
        fmt = fmt or sniff_format(path)
        captions, problems = readers[fmt](path)
    except (gzip.BadGzipFile, EOFError) as exc:
        raise ValueError(f"{path}: not a readable gzip file ({exc})") from None
    except UnicodeDecodeError as exc:
        if path.suffix == ".gz":
            where = f"byte {exc.start} of its decompressed content"
        else:
            where = f"line {path.read_bytes()[:exc.start].count(NEWLINE) + 1}"
        raise ValueError(f"{path}: {where}: not valid UTF-8 text") from None
    return CaptionFile(path, fmt, captions, problems)


def _add(captions: list[Caption], problems: list[Problem], image: str, text: str, line: int) -> None:
    image, text = image.strip(), " ".join(text.split())
    if not image:
        problems.append(Problem(line, "no image name", text))
    elif not text:
        problems.append(Problem(line, "empty caption", image))
    else:
        captions.append(Caption(image, text, line))


def _lines(path: Path):
    with open_text(path) as fh:
        for n, raw in enumerate(fh, 1):
            yield n, raw.rstrip("\r\n")


def _tab_rows(path: Path, layout: str, problems: list[Problem]):
    """(line number, left, right) for each non-blank `left<TAB>right` line; others are reported."""
    for n, line in _lines(path):
        if not line.strip():
            continue
        if "\t" not in line:
            problems.append(Problem(n, f"no tab (expected {layout})", line))
            continue
        left, right = line.split("\t", 1)
        yield n, left, right


def _read_tsv(path: Path):
    captions: list[Caption] = []
    problems: list[Problem] = []
    for n, image, text in _tab_rows(path, "image<TAB>caption", problems):
        if n == 1 and image.strip().lower() in ("image", "image_name", "file_name", "filename"):
            continue  # header
        _add(captions, problems, image, text, n)
    return captions, problems


def _read_token(path: Path):
    captions: list[Caption] = []
    problems: list[Problem] = []
    for n, key, text in _tab_rows(path, "image#k<TAB>caption", problems):
        m = _TOKEN_KEY.match(key.strip())
        if not m:
            problems.append(Problem(n, "key is not image#k", key + "\t" + text))
            continue
        _add(captions, problems, m["image"], text, n)
    return captions, problems


def _read_csv(path: Path):
    captions: list[Caption] = []
    problems: list[Problem] = []
    with open_text(path) as fh:
        text = fh.read()
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return captions, problems
    except csv.Error as exc:
        raise ValueError(f"{path}: line 1: unreadable CSV header ({exc})") from None
    cols = [h.strip().lower() for h in header]
    if "image" not in cols or "caption" not in cols:
        raise ValueError(f"{path}: line 1: expected a header with 'image' and 'caption' columns, "
                         f"got {header!r}")
    ii, ci = cols.index("image"), cols.index("caption")
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(line, f"unreadable CSV ({exc})", ""))
            break
        if not row or not any(f.strip() for f in row):
            continue
        if len(row) != len(cols):
            problems.append(Problem(line, f"{len(row)} fields, expected {len(cols)}", ",".join(row)))
            continue
        _add(captions, problems, row[ii], row[ci], line)
    return captions, problems


def _read_coco(path: Path):
    try:
        with open_text(path) as fh:
            doc = json.loads(fh.read())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or "annotations" not in doc or "images" not in doc:
        raise ValueError(f"{path}: expected COCO caption JSON with 'images' and 'annotations'")
    names: dict = {}
    problems: list[Problem] = []
    for i, img in enumerate(doc["images"]):
        if not isinstance(img, dict) or "id" not in img or "file_name" not in img:
            problems.append(Problem(i + 1, "image entry without id/file_name", str(img)))
            continue
        names[img["id"]] = img["file_name"]
    captions: list[Caption] = []
    for i, ann in enumerate(doc["annotations"]):
        n = i + 1
        if not isinstance(ann, dict) or "image_id" not in ann or "caption" not in ann:
            problems.append(Problem(n, "annotation without image_id/caption", str(ann)))
            continue
        if ann["image_id"] not in names:
            problems.append(Problem(n, f"annotation names unknown image_id {ann['image_id']!r}",
                                    str(ann["caption"])))
            continue
        if not isinstance(ann["caption"], str):
            problems.append(Problem(n, "caption is not a string", str(ann["caption"])))
            continue
        _add(captions, problems, names[ann["image_id"]], ann["caption"], n)
    return captions, problems
