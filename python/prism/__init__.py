"""prism: write linear-recurrence specifications, compile them with
prism-opt, and run them (see README.md)."""

from .spec import Spec, matrix  # noqa: F401
