"""The code's layout is part of its contract: a newcomer finds every stage by its folder, the driver
stays a driver, and the installed package never claims generic top-level names."""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = {"pipeline": "newsbeam.pipeline", "transforms": "newsbeam.transforms", "configs": "newsbeam.configs"}
STAGES = ["read", "parse", "extract", "dedup", "tag", "write"]


def modules() -> dict[str, Path]:
    """Every module of the package by its installed name."""
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts[:-1])) if parts[-1] == "__init__" else ".".join((package, *parts))
            found[name] = path
    return found


def module_level_imports(path: Path) -> set[str]:
    """The modules a file imports when it is imported (not those imported inside functions)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_no_module_imports_a_bare_top_level_name():
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            imported = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                        [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for module in imported:
                assert module.split(".")[0] not in PACKAGES, f"{path}: imports {module}"


def test_no_import_cycles():
    known = modules()
    graph = {name: {m for m in module_level_imports(path) if m in known and m != name}
             for name, path in known.items()}
    state: dict[str, str] = {}

    def visit(name, trail):
        state[name] = "open"
        for target in sorted(graph[name]):
            assert state.get(target) != "open", "import cycle: " + " -> ".join(trail + [name, target])
            if target not in state:
                visit(target, trail + [name])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_every_beam_stage_lives_under_transforms_in_its_stage_folder():
    """pipeline/ is the driver: the only Beam transform it defines is the assembly of the stages."""
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(base) for base in node.bases}
            is_beam = bool(bases & {"beam.DoFn", "beam.PTransform", "ItemFn"})
            if name.startswith("newsbeam.pipeline."):
                assert not is_beam or (name, node.name) == ("newsbeam.pipeline.assemble", "IngestNews"), \
                    f"{path}: {node.name} is a Beam stage in the driver"
            elif is_beam and name.startswith("newsbeam.transforms."):
                folder = name.split(".")[2]
                assert folder in STAGES or name == "newsbeam.transforms.isolation", \
                    f"{path}: {node.name} is outside the stage folders"
    assert sorted(p.name for p in (ROOT / "transforms").iterdir() if p.is_dir() and p.name in STAGES) == \
        sorted(STAGES)


def test_the_wheel_installs_everything_under_the_newsbeam_namespace():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert all(package.startswith("newsbeam.") for package in config["packages"])
    assert config["package-dir"] == {package: folder for folder, package in PACKAGES.items()}
    on_disk = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert on_disk == set(config["packages"])
