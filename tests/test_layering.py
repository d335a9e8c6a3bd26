"""The import layering of pyproject.toml ([tool.importlinter]) holds, function-level imports
included; and training, which sits below evaluation, gets its per-epoch scores injected."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_no_part_imports_a_part_above_it():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


def test_training_with_per_epoch_scores_needs_an_injected_evaluator(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from _vge_synthetic import make_task
    from vgbench.grounding.config import load_config
    from vgbench.grounding.trainer import Trainer
    ds, textual = make_task(n_images=30)
    cfg = load_config(None, [f'out_dir="{tmp_path}"', "train.eval_each_epoch=true"])
    with pytest.raises(ValueError, match="needs an evaluator.*dev_scorer"):
        Trainer(cfg, ds, textual, progress=False)


def test_dev_scorer_scores_as_the_evaluation_suite():
    """The identity grounder of GloVe 6B 50d scores on the dev splits what vgbench.evaluate gives."""
    import vgbench
    from vgbench.evaluation.dev_scores import dev_scorer
    from vgbench.grounding.grounder import Grounder
    scores = dev_scorer(["men-dev", "simverb-dev"])(Grounder(np.eye(50, dtype=np.float32),
                                                             textual="glove-6b-50d"))
    ref = vgbench.evaluate(["glove-6b-50d"], ["MEN-dev", "SimVerb-dev"], n_boot=0)
    assert scores["men-dev"] == pytest.approx(ref.get("glove-6b-50d", "MEN-dev").value, abs=1e-6)
    assert scores["simverb-dev"] == pytest.approx(ref.get("glove-6b-50d", "SimVerb-dev").value, abs=1e-6)


def test_no_module_imports_the_root_package():
    """The layering contract cannot see imports of the root package (`from vgbench import X`),
    which loads the public API of every layer; the version lives in vgbench._version instead."""
    import ast
    package = ROOT / "vgbench"
    found = []
    for path in sorted(package.rglob("*.py")):
        if path == package / "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "vgbench" for a in node.names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: import vgbench")
            elif isinstance(node, ast.ImportFrom) and node.module == "vgbench" and not node.level:
                names = [a.name for a in node.names if not (package / a.name).is_dir()
                         and not (package / f"{a.name}.py").is_file()]
                if names:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from vgbench import "
                                 + ", ".join(names))
    assert not found, "\n".join(found)


def test_independent_parts_are_declared_independent():
    """caption_data, embeddings and datasets import none of each other: one layer, siblings."""
    import tomllib
    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"][0]["layers"]
    assert "caption_data | embeddings | datasets" in layers


def test_no_module_loads_vgbench_code_through_importlib():
    """An `importlib.import_module("vgbench....")` is invisible to the layering contract; the CLI
    imports its sub-commands by name instead. Only the root package's lazy public names (whose
    TYPE_CHECKING imports the contract reads) and extras.require (third-party libraries) may load
    modules dynamically."""
    import ast
    package = ROOT / "vgbench"
    allowed = {package / "__init__.py", package / "extras.py"}
    found = []
    for path in sorted(package.rglob("*.py")):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"import_module", "__import__"}) or (
                    isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "dynamic imports the contract cannot see: " + ", ".join(found)


def test_the_cli_registers_every_command_module_it_lists():
    from vgbench import cli
    modules = cli.command_modules()
    assert list(modules) == cli.COMMANDS
    assert all(m.__name__ == f"vgbench.commands.{name}" for name, m in modules.items())
    assert set(cli.COMMANDS) == {p.stem for p in (ROOT / "vgbench" / "commands").glob("*.py")} - {"__init__", "options"}


def test_no_import_cycle_between_modules_of_a_part():
    """Within reporting/ and pipeline/ no two modules import each other, directly or round a
    cycle, at module level or inside a function (a function-level import only hides a cycle)."""
    import ast
    for part in ("reporting", "pipeline"):
        folder = ROOT / "vgbench" / part
        names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        graph = {}
        for name in names:
            deps = set()
            for node in ast.walk(ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    if node.module == f"vgbench.{part}":
                        deps |= {a.name for a in node.names if a.name in names}
                    elif node.module.startswith(f"vgbench.{part}."):
                        deps.add(node.module.split(".")[2])
                elif isinstance(node, ast.Import):
                    deps |= {a.name.split(".")[2] for a in node.names if a.name.startswith(f"vgbench.{part}.")}
            graph[name] = deps & names - {name}
        state: dict[str, int] = {}

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for dep in sorted(graph[node]):
                assert state.get(dep) != 1, f"import cycle in {part}/: " + " -> ".join(path + [node, dep])
                if dep not in state:
                    visit(dep, path + [node])
            state[node] = 2
        for name in sorted(names):
            if name not in state:
                visit(name, [])
