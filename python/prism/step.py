"""Recurrences written as the body of one step (`recurrence.step`).

A `StepSpec` states a recurrence by what one token does to the state S
(V x K, f32) and what it outputs, in Python expressions that build the
body's MLIR. Any body is allowed: one that reads the state only as
S_{t-1} A_t + B_t (Definition 3.1) is recognised by the compiler and gets the
parallel schedules; one that reads it through a non-linearity, like the
explicit solver of Eq. 6 below, takes the sequential walk.

    s = StepSpec("eq6", key_dim=128, value_dim=128, heads=16)
    k, v, q = s.input("k", "K"), s.input("v", "V"), s.input("q", "K")
    z = s.state @ k                        # S_{t-1} k, a V-vector
    f = s.tanh(z)
    d = (1.0 - f * f) * (v - f)
    new = s.state + s.outer(d, k)          # S_t
    s.result(new, (new @ q) * (128 ** -0.5))
    program = prism.compile(s)

Values are f32 scalars, V-vectors, K-vectors or the V x K matrix; `+ - * /`
work elementwise between values of one shape, and a scalar (a Python number
or an f32 value) meets a vector or matrix by being splat over it. `M @ x` is
the state-shaped matrix times a K-vector, `M.T @ y` its transpose times a
V-vector.
"""

from __future__ import annotations

import math
import re
from typing import Dict, List, Optional, Union

from .spec import DTYPES, LAYOUTS, SCHEDULE_PARAMS

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FUNCTIONS = ("tanh", "exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "rsqrt",
              "erf", "sin", "cos")

Number = Union[int, float]


class Value:
    """An SSA value of the body: `kind` is "s" (f32), "V", "K" or "VK"."""

    def __init__(self, spec: "StepSpec", name: str, kind: str):
        self.spec, self.name, self.kind = spec, name, kind

    # Elementwise arithmetic, a scalar splat over the other operand.
    def __add__(self, other): return self.spec._binary("arith.addf", self, other)
    def __radd__(self, other): return self.spec._binary("arith.addf", other, self)
    def __sub__(self, other): return self.spec._binary("arith.subf", self, other)
    def __rsub__(self, other): return self.spec._binary("arith.subf", other, self)
    def __mul__(self, other): return self.spec._binary("arith.mulf", self, other)
    def __rmul__(self, other): return self.spec._binary("arith.mulf", other, self)
    def __truediv__(self, other): return self.spec._binary("arith.divf", self, other)
    def __rtruediv__(self, other): return self.spec._binary("arith.divf", other, self)
    def __neg__(self): return self.spec._unary("arith.negf", self)

    def __matmul__(self, vector: "Value") -> "Value":
        """M x: the matrix times a K-vector, a V-vector."""
        return self.spec._matvec(self, vector, transpose=False)

    @property
    def T(self) -> "_Transposed":
        if self.kind != "VK":
            raise TypeError(f"only the V x K matrix has .T, not a {self.spec._kind_name(self)}")
        return _Transposed(self)


class _Transposed:
    def __init__(self, matrix: Value):
        self.matrix = matrix

    def __matmul__(self, vector: Value) -> Value:
        """M^T y: the transposed matrix times a V-vector, a K-vector."""
        return self.matrix.spec._matvec(self.matrix, vector, transpose=True)


class StepSpec:
    """A recurrence given by one step's body (see the module's docstring)."""

    def __init__(self, name: str, key_dim: int, value_dim: int, heads: int = 2,
                 dtype: str = "bf16", initial_state: bool = False, final_state: bool = False,
                 layout: str = "kv", schedule: Optional[Dict[str, int]] = None,
                 batch: str = "?", steps: str = "?"):
        if not _NAME.fullmatch(name):
            raise ValueError(f"name {name!r} must be an identifier")
        for what, size in (("key_dim", key_dim), ("value_dim", value_dim), ("heads", heads)):
            if not isinstance(size, int) or size < 1:
                raise ValueError(f"{what} must be a positive integer, got {size!r}")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        for key in schedule or {}:
            if key not in SCHEDULE_PARAMS:
                raise ValueError(f"unknown schedule parameter {key!r} (expected "
                                 f"{', '.join(SCHEDULE_PARAMS)})")
        self.name, self.key_dim, self.value_dim, self.heads = name, key_dim, value_dim, heads
        self.dtype, self.layout, self.schedule = dtype, layout, dict(schedule or {})
        self.initial_state, self.final_state = initial_state, final_state
        self.batch, self.steps = batch, steps
        self._inputs: List[tuple] = []  # (name, kind, dtype)
        self._ops: List[str] = []
        self._count = 0
        self._result: Optional[tuple] = None
        self.state = Value(self, "%S", "VK")

    # Inputs and constants.
    def input(self, name: str, width: Optional[str] = None,
              dtype: Optional[str] = None) -> Value:
        """A sequence input: [B, T, H, K] (width "K"), [B, T, H, V] ("V"), or
        [B, T, H] (None, the body sees an f32). Its dtype defaults to the
        spec's for vectors and f32 for scalars."""
        if not _NAME.fullmatch(name) or name in ("S",) or any(i[0] == name for i in self._inputs):
            raise ValueError(f"input name {name!r} must be a new identifier")
        if width not in (None, "K", "V"):
            raise ValueError(f"width must be 'K', 'V' or None, got {width!r}")
        dtype = dtype or (self.dtype if width else "f32")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        kind = width or "s"
        self._inputs.append((name, kind, dtype))
        return Value(self, f"%{name}_t", kind)

    def constant(self, x: Number, like: Optional[Value] = None) -> Value:
        """The number `x` as an f32, or splat to the shape of `like`."""
        kind = like.kind if like is not None else "s"
        literal = repr(float(x))
        if kind == "s":
            return self._emit(f"arith.constant {literal} : f32", "s")
        return self._emit(f"arith.constant dense<{literal}> : {self._type(kind)}", kind)

    # Functions.
    def __getattr__(self, name: str):
        if name in _FUNCTIONS:
            return lambda x: self._unary(f"math.{name}", x)
        raise AttributeError(name)

    def sigmoid(self, x: Value) -> Value:
        return 1.0 / (1.0 + self.exp(-x))

    def dot(self, x: Value, y: Value) -> Value:
        self._check_vector(x, "dot")
        if x.kind != y.kind:
            raise TypeError(f"dot of a {self._kind_name(x)} and a {self._kind_name(y)}")
        return self._emit(f"recurrence.dot {x.name}, {y.name} : {self._type(x.kind)}", "s")

    def outer(self, d: Value, k: Value) -> Value:
        """d k^T: a V-vector and a K-vector give a V x K matrix."""
        if d.kind != "V" or k.kind != "K":
            raise TypeError(f"outer takes a V-vector and a K-vector, got a "
                            f"{self._kind_name(d)} and a {self._kind_name(k)}")
        return self._emit(f"recurrence.outer {d.name}, {k.name} : {self._type('V')}, "
                          f"{self._type('K')} -> {self._type('VK')}", "VK")

    def splat(self, x: Value, kind: str) -> Value:
        if x.kind != "s" or kind not in ("V", "K", "VK"):
            raise TypeError("splat takes an f32 to 'V', 'K' or 'VK'")
        return self._emit(f"recurrence.splat {x.name} : {self._type(kind)}", kind)

    def rows(self, x: Value) -> Value:
        """A K-vector as every row of a V x K matrix (e.g. a per-channel decay)."""
        if x.kind != "K":
            raise TypeError(f"rows takes a K-vector, got a {self._kind_name(x)}")
        return self._emit(f"recurrence.broadcast {x.name} dim 0 : {self._type('K')} -> "
                          f"{self._type('VK')}", "VK")

    def columns(self, x: Value) -> Value:
        """A V-vector as every column of a V x K matrix."""
        if x.kind != "V":
            raise TypeError(f"columns takes a V-vector, got a {self._kind_name(x)}")
        return self._emit(f"recurrence.broadcast {x.name} dim 1 : {self._type('V')} -> "
                          f"{self._type('VK')}", "VK")

    def result(self, state: Value, output: Value) -> None:
        """Ends the body: the next state S_t (V x K) and the output o_t (V)."""
        if state.kind != "VK" or output.kind != "V":
            raise TypeError("result takes the V x K state and a V-vector output")
        self._result = (state, output)

    # Rendering.
    def mlir(self) -> str:
        if self._result is None:
            raise ValueError(f"step {self.name!r} has no result(): call result(state, output)")
        if not self._inputs:
            raise ValueError(f"step {self.name!r} reads no input")
        seq = lambda kind, dtype: ("tensor<%s>" % "x".join(
            [self.batch, self.steps, str(self.heads)]
            + ([str(self._width(kind))] if kind != "s" else []) + [dtype]))
        K, V, H = self.key_dim, self.value_dim, self.heads
        state_dims = (K, V) if self.layout == "kv" else (V, K)
        state_type = f"tensor<{self.batch}x{H}x{state_dims[0]}x{state_dims[1]}xf32>"
        out_type = seq("V", self.dtype)
        args = [f"%{n}: {seq(kind, dtype)} {{recurrence.name = \"{n}\"}}"
                for n, kind, dtype in self._inputs]
        if self.initial_state:
            args.append(f"%s0: {state_type}")
        results = [out_type] + ([state_type] if self.final_state else [])
        ins = ", ".join(f"%{n}" for n, _, _ in self._inputs)
        in_types = ", ".join(seq(kind, dtype) for _, kind, dtype in self._inputs)
        attrs = []
        if self.layout != "kv":
            attrs.append(f"state_layout = #recurrence<state_layout {self.layout}>")
        if self.schedule:
            params = "".join(f", {k} = {v}" for k, v in self.schedule.items())
            attrs.append(f"schedule = #recurrence.schedule<sequential{params}>")
        block_args = ", ".join([f"%S: {self._type('VK')}"] + [
            f"%{n}_t: {self._type(kind)}" for n, kind, _ in self._inputs])
        state, output = self._result
        names = ["%o"] + (["%s"] if self.final_state else [])
        lines = [f"func.func @{self.name}({', '.join(args)})",
                 f"    -> ({', '.join(results)}) {{",
                 f"  {', '.join(names)} = recurrence.step ins({ins} : {in_types})"]
        if self.initial_state:
            lines.append(f"      initial(%s0 : {state_type})")
        if attrs:
            lines.append(f"      {{{', '.join(attrs)}}}")
        lines += [f"      -> {', '.join(results)} {{",
                  f"  ^bb0({block_args}):"]
        lines += [f"    {op}" for op in self._ops]
        lines += [f"    recurrence.yield {state.name}, {output.name} : {self._type('VK')}, "
                  f"{self._type('V')}",
                  "  }",
                  f"  return {', '.join(names)} : {', '.join(results)}",
                  "}", ""]
        return "\n".join(lines)

    # Helpers.
    def _width(self, kind: str) -> int:
        return self.key_dim if kind == "K" else self.value_dim

    def _type(self, kind: str) -> str:
        if kind == "s":
            return "f32"
        if kind == "VK":
            return f"tensor<{self.value_dim}x{self.key_dim}xf32>"
        return f"tensor<{self._width(kind)}xf32>"

    def _kind_name(self, x: Value) -> str:
        return {"s": "scalar", "V": "V-vector", "K": "K-vector", "VK": "V x K matrix"}[x.kind]

    def _check_vector(self, x: Value, what: str):
        if x.kind not in ("V", "K"):
            raise TypeError(f"{what} takes vectors, got a {self._kind_name(x)}")

    def _emit(self, text: str, kind: str) -> Value:
        name = f"%v{self._count}"
        self._count += 1
        self._ops.append(f"{name} = {text}")
        return Value(self, name, kind)

    def _value(self, x: Union[Value, Number]) -> Value:
        if isinstance(x, Value):
            if x.spec is not self:
                raise ValueError("a value of another StepSpec")
            return x
        if isinstance(x, (int, float)) and math.isfinite(x):
            return self.constant(x)
        raise TypeError(f"expected a value or a finite number, got {x!r}")

    def _binary(self, op: str, x, y) -> Value:
        x, y = self._value(x), self._value(y)
        if x.kind != y.kind:
            if x.kind == "s":
                x = self.splat(x, y.kind)
            elif y.kind == "s":
                y = self.splat(y, x.kind)
            else:
                raise TypeError(f"{op} of a {self._kind_name(x)} and a {self._kind_name(y)}")
        return self._emit(f"{op} {x.name}, {y.name} : {self._type(x.kind)}", x.kind)

    def _unary(self, op: str, x) -> Value:
        x = self._value(x)
        return self._emit(f"{op} {x.name} : {self._type(x.kind)}", x.kind)

    def _matvec(self, m: Value, x: Value, transpose: bool) -> Value:
        want = "V" if transpose else "K"
        if m.kind != "VK" or x.kind != want:
            raise TypeError(f"{'M.T @ y' if transpose else 'M @ x'} takes the V x K matrix and "
                            f"a {want}-vector, got a {self._kind_name(m)} and a "
                            f"{self._kind_name(x)}")
        kind = "K" if transpose else "V"
        suffix = " transpose" if transpose else ""
        return self._emit(f"recurrence.matvec {m.name}, {x.name}{suffix} : {self._type('VK')}, "
                          f"{self._type(x.kind)} -> {self._type(kind)}", kind)


def explicit_solver(name: str = "explicit_solver", inner_steps: int = 1,
                    activation: str = "tanh", **kwargs) -> StepSpec:
    """PRISM's Eq. 6 (prism-math.md section 4): per token and inner step
    z = S k^, S += beta (sigma'(z) (v - sigma(z))) k^^T, then o = S q / sqrt(K),
    with k^ = k / |k| and beta = sigmoid(beta_logit); sigma is tanh, sigmoid
    or identity. Inputs k, v, q (bf16 by default) and beta_logit (f32)."""
    if activation not in ("tanh", "sigmoid", "identity"):
        raise ValueError(f"activation must be tanh, sigmoid or identity, got {activation!r}")
    if not isinstance(inner_steps, int) or inner_steps < 1:
        raise ValueError(f"inner_steps must be a positive integer, got {inner_steps!r}")
    s = StepSpec(name, **kwargs)
    k, v = s.input("k", "K"), s.input("v", "V")
    q, b = s.input("q", "K"), s.input("beta_logit")
    kn = k * s.rsqrt(s.dot(k, k))
    beta = s.sigmoid(b)
    state = s.state
    for _ in range(inner_steps):
        z = state @ kn
        if activation == "tanh":
            f = s.tanh(z)
            slope = 1.0 - f * f
        elif activation == "sigmoid":
            f = s.sigmoid(z)
            slope = f * (1.0 - f)
        else:
            f, slope = z, None
        r = v - f
        d = beta * (slope * r if slope is not None else r)
        state = state + s.outer(d, kn)
    s.result(state, (state @ q) * (1.0 / math.sqrt(s.key_dim)))
    return s
