"""The dataset registry is the only list of data sets: every other module reads its groups, its
files and its citations, so adding a set or fixing a citation is one edit."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vgbench
from vgbench.datasets import registry

PACKAGE = Path(vgbench.__file__).parent
NAMES = set(registry.BENCHMARKS)


def _name_lists(tree: ast.AST):
    """Tuple/list/set literals of three or more strings, all of them registry names."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 3:
            values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if len(values) == len(node.elts) and all(isinstance(v, str) and v in NAMES for v in values):
                yield node.lineno, values


def test_the_scan_finds_a_literal_list():
    """The scan itself can fail: a module with the six sets written out is caught."""
    tree = ast.parse('SIX = ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999"]')
    assert [values for _, values in _name_lists(tree)] == [list(registry.group("paper-similarity"))]


def test_no_module_outside_the_registry_lists_data_sets():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "datasets" / "registry.py":
            continue
        for line, values in _name_lists(ast.parse(path.read_text(encoding="utf-8"))):
            found.append(f"{path.relative_to(PACKAGE)}:{line}: {values}")
    assert not found, "lists of data sets outside the registry:\n" + "\n".join(found)


def test_paper_groups():
    assert registry.group("paper-similarity") == ("RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500",
                                                  "SimLex-999")
    assert registry.group("paper-test") == ("RW", "MEN-test", "WS353", "MTurk-771", "SimVerb-test",
                                            "SimLex-999")
    assert registry.group("paper-sts") == ("STS12", "STS13", "STS14", "STS15", "STS16")
    assert registry.group("paper") == registry.group("paper-similarity") + registry.group("paper-sts")
    assert registry.expand("paper test") == list(registry.group("paper-test"))


@pytest.mark.parametrize("name", [*registry.group("analogy"), *registry.group("categorization")])
def test_loaded_sets_carry_the_registry_file_and_citation(name):
    """One citation per set: what a result file cites is what `vgbench datasets` shows."""
    entry, loaded = registry.get(name), registry.load(name)
    assert loaded.citation == entry.citation
    assert loaded.path in entry.files
    assert loaded.name == name
