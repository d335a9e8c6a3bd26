"""Machine records in the READMEs: runs that differ only in their seed are one line."""
from vgbench.pipeline.machines import merge_seeds, record_key


def test_runs_differing_only_in_seed_are_one_line_with_their_seeds():
    amd = {"cpu": "AMD EPYC", "precision": "bf16 autocast", "threads": 2}
    intel = {"cpu": "Xeon", "precision": "bf16 autocast", "threads": 2}
    merged = merge_seeds([amd | {"seed": 2}, intel | {"seed": 0}, amd | {"seed": 0}, None])
    assert merged == [(amd | {"seed": "0, 2"}, 2), (intel | {"seed": "0"}, 1), (None, 1)]


def test_record_key_leaves_out_the_fields_named():
    a = {"cpu": "x", "seed": 1, "precision": "float32"}
    assert record_key(a, "seed") == record_key(a | {"seed": 5}, "seed")
    assert record_key(a, "seed") != record_key(a | {"precision": "bf16 autocast"}, "seed")
    assert record_key(a, "seed", "precision") == record_key(a | {"precision": "bf16 autocast"}, "seed", "precision")
