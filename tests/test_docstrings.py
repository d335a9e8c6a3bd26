"""Every public function and method of pipeline/, reporting/ and evaluation/ says what it is for."""
from __future__ import annotations

import ast
from pathlib import Path

import vgbench

PACKAGE = Path(vgbench.__file__).parent


def _undocumented(tree: ast.AST, where: str) -> list[str]:
    out = []

    def visit(body, prefix=""):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not node.name.startswith("_") and ast.get_docstring(node) is None:
                    out.append(f"{where}:{node.lineno}: {prefix}{node.name}")
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, node.name + ".")
    visit(tree.body)
    return out


def test_the_check_finds_a_missing_docstring():
    tree = ast.parse("def run(x):\n    return x\n\nclass A:\n    def get(self):\n        '''ok'''\n"
                     "    def put(self):\n        pass\n\ndef _private():\n    pass\n")
    assert _undocumented(tree, "m.py") == ["m.py:1: run", "m.py:7: A.put"]


def test_public_functions_have_docstrings():
    missing = []
    for part in ("pipeline", "reporting", "evaluation"):
        for path in sorted((PACKAGE / part).rglob("*.py")):
            missing += _undocumented(ast.parse(path.read_text(encoding="utf-8")),
                                     str(path.relative_to(PACKAGE)))
    assert not missing, "public functions without a docstring:\n" + "\n".join(missing)
