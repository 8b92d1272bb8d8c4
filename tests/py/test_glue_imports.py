"""What `glue/` imports: only runtime code (never the development tooling in devtools/, never
aiosmtpd), and no import circle — in particular glue.auth (tokens, cookies, CSRF) stands alone,
without the pages that use it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GLUE = REPO / "glue"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file (function-level imports included),
    relative imports resolved; `from pkg import name` counts as `pkg.name` when that is a module."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _glue_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(GLUE.rglob("*.py"))}


def test_glue_imports_nothing_from_devtools_nor_aiosmtpd():
    offenders = {
        name: sorted(i for i in _imports(path) if i.split(".")[0] in ("devtools", "aiosmtpd"))
        for name, path in _glue_modules().items()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_app_and_the_worker_loads_neither_devtools_nor_aiosmtpd():
    code = (
        "import sys, glue, glue.worker, glue.tasks, glue.cli, glue.mailer, glue.migrate\n"
        "from glue import create_app\n"
        "from glue.config import TestConfig\n"
        "create_app(TestConfig(DATABASE_URL='postgresql://unused@127.0.0.1:1/unused'))\n"
        "glue.tasks.registry()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('devtools', 'aiosmtpd')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_glue_auth_alone_does_not_import_the_pages():
    code = "import sys, glue.auth; print(sorted(m for m in sys.modules if m.startswith('glue.')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert "glue.pages" not in out.stdout, out.stdout


def test_glue_has_no_import_circle():
    modules = _glue_modules()
    graph = {
        name: {
            target
            for target in _imports(path)
            if target in modules and target != name and not name.startswith(target + ".")  # a parent package
        }
        for name, path in modules.items()
    }
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in trail:
                cycles.append(trail[trail.index(nxt) :] + [nxt])
            elif nxt not in done:
                visit(nxt, trail + [nxt])
        done.add(node)

    done: set[str] = set()
    for start in graph:
        if start not in done:
            visit(start, [start])
    assert cycles == []
