"""Shared by the Python tests: the package from this checkout, and the
tools ($PRISM_OPT, $PRISM_RUN and $PRISM_RUNTIME_LIB, set by ctest, else
this checkout's build/)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from prism.compiler import find_tool  # noqa: E402


def _tool(name, env):
    try:
        return find_tool(name, env=env)
    except FileNotFoundError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def prism_opt():
    return _tool("prism-opt", "PRISM_OPT")


@pytest.fixture(scope="session")
def prism_run():
    return _tool("prism-run", "PRISM_RUN")
