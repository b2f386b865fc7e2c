"""Every hook is documented and has a test named after it (datasette's two tests, adapted)."""

import ast
import inspect
from pathlib import Path

import pytest

from core import hookspecs

TESTS = Path(__file__).resolve().parent.parent


def hook_names() -> list[str]:
    return sorted(name for name, obj in vars(hookspecs).items() if hasattr(obj, "ppe_spec"))


def test_functions_in_tests() -> set[str]:
    names: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {
            node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        }
    return names


test_functions_in_tests.__test__ = False  # a helper, not a test


def test_there_are_hooks():
    assert {"catalogue_services", "case_transitioned", "territory_provisioned"} <= set(hook_names())


@pytest.mark.parametrize("hook", hook_names())
def test_plugin_hooks_are_documented(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook))
    assert doc, f"the hook {hook} has no docstring (its contract)"
    assert len(doc) > 60, f"the docstring of {hook} is too short to be a contract"


@pytest.mark.parametrize("hook", hook_names())
def test_plugin_hooks_have_tests(hook):
    assert f"test_{hook}" in test_functions_in_tests(), f"no test named test_{hook} under tests/"
