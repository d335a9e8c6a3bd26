"""The command line as a user meets it: files written, one-line errors, exit codes."""
from __future__ import annotations

import json


from vgbench.cli import main
from vgbench.embeddings import save_embeddings


def test_eval_user_file_and_pairs_writes_every_report(tmp_path, glove50, capsys):
    vectors = save_embeddings(glove50.subset(glove50.words[:20000]), tmp_path / "v.txt")
    pairs = tmp_path / "mine.tsv"
    pairs.write_text("cat\tdog\t8\ncar\tbanana\t1\nking\tqueen\t9\nsun\tchair\t0.5\n")
    out = tmp_path / "out"
    code = main(["eval", str(vectors), "glove-6b-50d", "--datasets", "SimLex-999,STS12", "--dataset",
                 str(pairs), "--bootstrap", "50", "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "SimLex-999" in printed and "STS12" in printed and "mine" in printed
    names = {p.name for p in out.iterdir()}
    assert {"results.json", "scores.csv", "tables.md", "table1_intrinsic.tex", "table3_simlex.tex",
            "table4_sts.tex", "simlex_concreteness.png", "simlex_concreteness.pdf"} <= names
    data = json.loads((out / "results.json").read_text())
    assert data["settings"]["policy"]["oov"] == "skip"
    assert {s["dataset"] for s in data["scores"]} == {"SimLex-999", "STS12", "mine"}
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_bad_vectors_give_one_line_error_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2\nb 1 2 3\n")
    assert main(["eval", str(bad), "--datasets", "MEN", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{bad}: line 2: expected a word and 2 values, found 3" in err


def test_unknown_dataset_is_reported(capsys):
    assert main(["eval", "glove-6b-50d", "--datasets", "MENN", "--quiet"]) == 2
    assert "unknown dataset 'MENN'" in capsys.readouterr().err


def test_spectrum_command(tmp_path, capsys):
    assert main(["spectrum", "glove-6b-50d", "glove-6b-50d|abtt:3", "--rows", "5000",
                 "--out", str(tmp_path)]) == 0
    csv = (tmp_path / "spectrum.csv").read_text().splitlines()
    assert len(csv) == 21 and csv[0].startswith("rank,")
    glove_top = float(csv[1].split(",")[1])
    assert 0 < glove_top < 1 and (tmp_path / "spectrum.png").stat().st_size > 1000
