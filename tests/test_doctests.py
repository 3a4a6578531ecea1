"""The docstring examples of every module run as tests (the same as ``pytest
--doctest-modules src``, but on the installed package, so CI's non-editable install works)."""

import doctest
import importlib
import pkgutil

import pytest

import roiclock

MODULES = sorted(m.name for m in pkgutil.walk_packages(roiclock.__path__, "roiclock.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_examples_exist():
    finder = doctest.DocTestFinder()
    examples = [example for name in MODULES
                for test in finder.find(importlib.import_module(name))
                for example in test.examples]
    assert len(examples) >= 10
