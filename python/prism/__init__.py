"""prism: write linear-recurrence specifications, compile them with
prism-opt, and call the kernels on PyTorch tensors (see README.md).

    spec = prism.Spec(name="gdn", forget="delta", delta_gate=True, inject_gates=True)
    kernel = prism.Kernel(prism.compile(spec))
    (o,) = kernel(q, k, beta, g, v)
"""

from .compiler import CompileError, Program, compile, run_cpu  # noqa: F401
from .runtime import Kernel  # noqa: F401
from .spec import Spec, matrix  # noqa: F401
from .step import StepSpec, explicit_solver  # noqa: F401

__all__ = ["Spec", "StepSpec", "explicit_solver", "matrix", "compile", "CompileError",
           "Program", "run_cpu", "Kernel"]
