"""The package's shape: imports go one way (down the flow), never in a cycle, and the README's
architecture map lists exactly the modules there are.

Checked with the standard library's ast: every import counts, at module level or inside a
function (a function-level import hides a cycle, it does not remove it).
"""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "roiclock"
README = Path(__file__).resolve().parents[1] / "README.md"



def readme_map() -> list[str]:
    """The modules of the README's architecture table, in its order."""
    section = README.read_text().split("## Architecture", 1)[1].split("\n## ", 1)[0]
    return [name.replace("/", ".")
            for name in re.findall(r"^\| `([\w/.]+)\.py` \|", section, flags=re.M)]


# Lowest first, in the README's order: a module may import only modules before it. The flow
# is load -> validate -> attribute -> mature -> project -> words/export -> api -> render -> cli.
LAYERS = readme_map() + ["__init__", "__main__"]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        found[name.removesuffix(".__init__") or "__init__"] = path
    return {name: path for name, path in found.items() if name != "sample"}


def imports(name: str, path: Path) -> set[str]:
    """The package modules that ``name`` imports."""
    package = name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if (node.module or "").startswith("roiclock."):
                    out.add(node.module.removeprefix("roiclock."))
                continue
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                out.add(".".join(base + [node.module]))
            else:  # from . import x
                out.update(".".join(base + [alias.name]) for alias in node.names)
        elif isinstance(node, ast.Import):
            out.update(alias.name.removeprefix("roiclock.") for alias in node.names
                       if alias.name.startswith("roiclock."))
    known = modules()
    return {m for m in out if m in known} | {"__init__" for m in out if m == ""}


def test_every_module_has_a_layer():
    assert sorted(modules()) == sorted(LAYERS)


def test_imports_go_down_the_flow_only():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = [(name, target) for name, path in modules().items()
              for target in imports(name, path) if rank[target] >= rank[name]]
    assert upward == []


def test_no_import_cycle():
    graph = {name: imports(name, path) for name, path in modules().items()}
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def test_readme_architecture_map_lists_every_module_once():
    assert len(readme_map()) == len(set(readme_map()))
    assert set(readme_map()) == set(modules()) - {"__init__", "__main__"}
