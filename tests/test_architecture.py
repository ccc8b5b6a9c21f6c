"""Imports inside `ittifaq.evaluate` point one way (ARCHITECTURE.md): cli → everything; nothing imports cli."""

from __future__ import annotations

import ast
from pathlib import Path

from support import REPO

EVALUATE = REPO / "evaluate"
PREFIX = "ittifaq.evaluate."

#: part -> the parts it may import (besides itself). A part is a sub-package or a top-level module.
ALLOWED: dict[str, set[str]] = {
    "schema": set(),
    "report_tree": {"schema"},
    "gc_pause": set(),
    "text": {"schema"},
    "columns": {"schema"},
    "io": {"schema", "columns", "gc_pause", "text"},
    "scoring": {"schema", "report_tree", "columns", "gc_pause", "io", "text"},
    "formats": {"schema", "io", "text"},
    "render": {"schema", "report_tree", "io", "formats"},
    "authoring": {"schema", "report_tree", "io", "text", "scoring", "render"},
    "llm": {"schema", "report_tree", "io", "text", "scoring"},
    "archive": {"schema", "io", "text"},
    "__init__": {"io", "scoring"},
}
MAX_LINES = 400


def _part(module: str) -> str:
    return module.removeprefix(PREFIX).split(".")[0]


def _imports(path: Path) -> set[str]:
    """Every `ittifaq.evaluate` module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "ittifaq.evaluate":
                found |= {f"{PREFIX}{a.name}" for a in node.names}
            elif node.module.startswith(PREFIX):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PREFIX)}
    return found


def _edges() -> list[tuple[Path, str, str]]:
    out = []
    for path in sorted(EVALUATE.rglob("*.py")):
        rel = path.relative_to(EVALUATE)
        source = rel.parts[0].removesuffix(".py")
        out += [(rel, source, _part(m)) for m in _imports(path)]
    return out


def test_imports_point_one_way():
    wrong = [f"{rel} ({src}) imports {dst}" for rel, src, dst in _edges()
             if src != "cli" and dst != src and dst not in ALLOWED[src]]
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_cli():
    users = [str(p.relative_to(REPO)) for p in sorted([*EVALUATE.rglob("*.py"), *(REPO / "baselines").rglob("*.py")])
             if p.relative_to(REPO).parts[:2] != ("evaluate", "cli")
             and any(_part(m) == "cli" for m in _imports(p))]
    assert not users, users


def test_every_part_is_declared_and_modules_stay_small():
    parts = {p.name.removesuffix(".py") for p in EVALUATE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert parts - {"cli"} == set(ALLOWED)
    big = {str(p.relative_to(REPO)): n for p in EVALUATE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, big


#: The only modules that may import the `transformers` extra (torch, transformers, tokenizers, safetensors).
TORCH_USERS = {"baselines/token_model.py", "baselines/transformer.py", "baselines/tiny_encoder.py"}
TORCH_PACKAGES = {"torch", "transformers", "tokenizers", "safetensors"}


def test_only_the_transformer_baseline_imports_torch():
    users = set()
    for path in sorted([*EVALUATE.rglob("*.py"), *(REPO / "baselines").rglob("*.py"), REPO / "__init__.py"]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            if any(n.split(".")[0] in TORCH_PACKAGES for n in names):
                users.add(path.relative_to(REPO).as_posix())
    assert users <= TORCH_USERS, sorted(users - TORCH_USERS)
