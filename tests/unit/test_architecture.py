"""The package's architecture, checked from its source: layers import one way (down), no import cycle,
every module says its job in a docstring and stays under about 400 lines."""

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "simulation"
# Bottom to top: a module may import from its own layer and the layers below it, never above.
LAYERS = ("version", "scenario", "kernels", "world", "policies", "engine", "metrics", "experiment", "reporting", "history", "validation",
          "cli")
FACADE = {"simulation", "simulation.__main__"}  # the public API and `python -m simulation` sit above every layer
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> set[str]:
    """Every module of the package that ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "simulation" and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "simulation"}
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(f"relative import in {path.name}")  # the package imports absolutely
    return found


def layer(module: str) -> str:
    return module.split(".")[1]


def test_the_layers_are_the_folders():
    assert {layer(m) for m in MODULES if m not in FACADE} == set(LAYERS)


@pytest.mark.parametrize("module", sorted(set(MODULES) - FACADE))
def test_a_module_imports_only_its_own_layer_and_those_below(module):
    mine = LAYERS.index(layer(module))
    for target in imports(MODULES[module]):
        assert target in MODULES, f"{module}: imports {target}"
        assert target not in FACADE, f"{module} imports the facade {target}: import from the layer instead"
        assert LAYERS.index(layer(target)) <= mine, f"{module} ({layer(module)}) imports {target} from above"


def test_no_import_cycle():
    graph = {m: imports(p) & set(MODULES) for m, p in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the path being explored, 2: done

    def visit(m, path):
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(n):], n]))
            if n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_its_job_and_stays_small(module):
    text = MODULES[module].read_text()
    assert ast.get_docstring(ast.parse(text)), f"{module}: no docstring saying what the module is for"
    assert len(text.splitlines()) <= MAX_LINES, f"{module}: {len(text.splitlines())} lines"


def test_the_checker_sees_an_upward_import(tmp_path):
    """The layer test can fail: an engine module importing the experiment layer is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from simulation.experiment.run import run\n")
    assert any(LAYERS.index(layer(t)) > LAYERS.index("engine") for t in imports(bad))


def test_the_readme_tree_names_every_folder_and_module():
    readme = (ROOT / "README.md").read_text()
    tree = readme.split("## Repository layout", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    words = set(re.findall(r"[A-Za-z_]+", tree.replace(".py", " ")))
    for module, path in MODULES.items():
        if path.stem not in ("__init__", "__main__"):
            assert path.stem in words, f"README's repository layout does not mention {path.relative_to(ROOT)}"
        if path.stem == "__init__" and module != "simulation":
            assert f"{path.parent.name}/" in tree, f"README's repository layout does not show the folder {path.parent.name}/"


def test_the_fan_out_passes_on_every_hook_and_the_engine_calls_hooks_directly():
    """``Observers`` overrides every hook of ``Observer`` (a hook it missed would silently reach no observer), and
    nothing in the engine calls a hook through ``getattr`` (a misspelt name would fail only at run time; typed
    calls are checked by mypy, which reads engine/simulation.py and engine/returns.py)."""
    from simulation.engine.observers import Observer, Observers

    hooks = {name for name in vars(Observer) if not name.startswith("_")}
    assert hooks and hooks <= set(vars(Observers)), f"Observers does not pass on {sorted(hooks - set(vars(Observers)))}"
    for module, path in MODULES.items():
        if module.startswith("simulation.engine"):
            calls = [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
                     and isinstance(node.func, ast.Call) and getattr(node.func.func, "id", "") == "getattr"]
            assert not calls, f"{module}: a method called by computed name at line {calls[0].lineno}" if calls else ""


def test_no_observer_shadows_a_hook_with_data():
    """An attribute named like a hook in an Observer subclass (the validation probe once counted ``orders_placed``)
    would be called instead of the hook."""
    from simulation.engine.observers import Observer

    hooks = {name for name in vars(Observer) if not name.startswith("_")}
    for module, path in MODULES.items():
        for cls in ast.walk(ast.parse(path.read_text())):
            if isinstance(cls, ast.ClassDef) and any(getattr(b, "id", getattr(b, "attr", "")) == "Observer" for b in cls.bases):
                for node in ast.walk(cls):
                    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                            getattr(node.value, "id", "") == "self":
                        assert node.attr not in hooks, f"{module}.{cls.name}: self.{node.attr} shadows the observer hook"


def test_no_two_classes_of_the_package_share_a_name():
    """A settings class (the scenario's schema) never shares a name with an engine class, nor any two classes of
    the package with each other: a reader (or a tool) following ``Replenishment`` must land on one thing."""
    where: dict[str, list[str]] = {}
    for module, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(module)
    shared = {name: modules for name, modules in where.items() if len(modules) > 1}
    assert not shared, f"classes defined more than once: {shared}"


def test_no_module_constant_is_defined_in_two_modules():
    """An upper-case constant (``HEADLINE``, ``RETURNS``) is defined in one module and imported elsewhere, so two
    lists with one name cannot drift apart."""
    where: dict[str, list[str]] = {}
    for module, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper() and target.id != "__all__":
                    where.setdefault(target.id, []).append(module)
    shared = {name: modules for name, modules in where.items() if len(modules) > 1}
    assert not shared, f"constants defined in more than one module: {shared}"


def _scenario_reads(tree: ast.AST, where: str = "module") -> list[tuple[str, int]]:
    """(function, line) of every mention of a scenario object: a name ``scenario`` or ``sc``, an attribute
    ``.scenario``, or the ``Scenario`` class imported."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += _scenario_reads(node, node.name)
            continue
        if isinstance(node, ast.ClassDef):
            found += _scenario_reads(node, where)
            continue
        for sub in ast.walk(node):
            if (isinstance(sub, ast.Name) and sub.id in ("scenario", "sc")) or \
                    (isinstance(sub, ast.Attribute) and sub.attr == "scenario") or \
                    (isinstance(sub, ast.arg) and sub.arg in ("scenario", "sc")) or \
                    (isinstance(sub, ast.ImportFrom) and any(a.name == "Scenario" for a in sub.names)):
                found.append((where, sub.lineno))
    return found


# Where the scenario may still be read below the compile step: the simulation compiles it and hands each part its
# section (its constructor and sized_world; "module": its import of the Scenario type), and the pilot run is a scenario
# of its own.
COMPILE_POINTS = {"simulation.engine.simulation": {"__init__", "sized_world", "module"}, "simulation.engine.sizing": None}


def test_the_engine_policies_kernels_and_metrics_read_the_compiled_world_not_the_scenario():
    """The scenario is compiled once (``world/``: the World and its plans); engine, policies, kernels and metrics read
    only what that gives them, so a setting is followed through one route. Only the compile points above touch it."""
    for module, path in MODULES.items():
        if module.split(".")[1:2] not in (["engine"], ["policies"], ["kernels"], ["metrics"]):
            continue
        allowed = COMPILE_POINTS.get(module, set())
        if allowed is None:
            continue
        reads = [(f, line) for f, line in _scenario_reads(ast.parse(path.read_text())) if f not in allowed]
        assert not reads, f"{module} reads the scenario at {reads}: read the World (or a plan compiled into it) instead"


def test_kernels_are_called_by_name():
    """A kernel takes many arrays of one dtype, so a call that passes more than three by position could swap two and
    silently change results: outside ``kernels/`` every such call names its arguments (numba takes keywords at no
    cost per call)."""
    import simulation.kernels as kernels_package
    from simulation.kernels import fitting

    def compiled(name):
        return hasattr(getattr(kernels_package, name, None) or getattr(fitting, name, None), "py_func")

    for module, path in MODULES.items():
        if module.startswith("simulation.kernels"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name and compiled(name):
                    assert len(node.args) <= 3, f"{module}:{node.lineno}: {name} called with {len(node.args)} positional arguments"
