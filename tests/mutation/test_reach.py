"""Mutation testing reaches the code it is configured for.

mutmut 3 leaves every decorated function out of its mutants, without a word (apart from ``staticmethod``
and ``classmethod``). So the packages ``make mutants`` measures write transactions as
``with transaction.atomic():`` blocks and register facade methods with ``method(name)(handler)`` after
the function. This test names any decorated function that appears there, so the mutation score cannot
quietly stop covering it.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: (file, function) -> why it may stay decorated
ALLOWED = {
    ("src/kontor/modes/conversion.py", "pair"): "a two-line property",
    ("src/kontor/modes/models.py", "active"): "a one-line property",
    ("src/kontor/bitrix/methods/records.py", "multi_fields"): "one-line properties",
    ("src/kontor/modes/tasks.py", "switch_task"): "the task queue's entry point: one call of jobs.switch_run",
}


def _run_module():
    spec = importlib.util.spec_from_file_location("mutation_run", ROOT / "tests" / "mutation" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node
        elif isinstance(node, ast.ClassDef):
            yield from (n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _plain_method(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    decorators = fn.decorator_list
    return len(decorators) == 1 and isinstance(decorators[0], ast.Name) and decorators[0].id in (
        "staticmethod", "classmethod")


def decorated_functions(modules: list[str]) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for module in modules:
        path = ROOT / "src" / Path(*module.split("."))
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
        for file in files:
            if {"migrations", "management"} & set(file.parts):
                continue
            for fn in _functions(ast.parse(file.read_text())):
                if fn.decorator_list and not _plain_method(fn):
                    key = (str(file.relative_to(ROOT)), fn.name)
                    found[key] = [ast.unparse(d) for d in fn.decorator_list]
    return found


def test_the_mutated_packages_have_no_decorated_functions_beyond_the_listed_ones():
    run = _run_module()
    found = decorated_functions(run.DEFAULT)
    unexpected = {key: decorators for key, decorators in found.items() if key not in ALLOWED}
    assert not unexpected, (
        f"mutmut does not mutate decorated functions: {unexpected}. Use `with transaction.atomic():` or "
        "`method(name)(handler)` instead, or add the function to ALLOWED with the reason")
    assert set(ALLOWED) <= set(found), f"ALLOWED names functions that are gone: {set(ALLOWED) - set(found)}"


def test_the_scan_sees_a_decorated_service(tmp_path, monkeypatch):
    (tmp_path / "src" / "kontor" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "kontor" / "demo" / "services.py").write_text(
        "from django.db import transaction\n\n\n@transaction.atomic\ndef lead_create():\n    pass\n\n\n"
        "class Handlers:\n    @staticmethod\n    def plain():\n        pass\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert decorated_functions(["kontor.demo"]) == {
        ("src/kontor/demo/services.py", "lead_create"): ["transaction.atomic"]}
