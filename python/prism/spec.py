"""Recurrence specifications as MLIR text.

A `Spec` describes one recurrence of prism-math.md (forget family, rank-L
injection, optional refinement write path and short convolution, initial and
final state, schedule) and renders the `recurrence` dialect program that
prism-opt and prism-run compile. B and T stay dynamic by default, so one
compiled program serves every batch size and sequence length.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import List, Optional

FAMILIES = ("identity", "scalar", "diagonal", "delta")
REFINES = ("gelu", "identity")
LAYOUTS = ("kv", "vk")
SCHEDULE_PARAMS = ("chunk", "v_tile", "k_split", "rows", "warps", "stages")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DTYPES = ("f32", "f16", "bf16")
SCHEDULES = ("sequential", "chunked_fused", "chunked_two_pass", "tree")


@dataclass
class Spec:
    name: str
    forget: str = "scalar"
    rank: int = 1
    heads: int = 2
    key_dim: int = 32
    value_dim: int = 32
    dtype: str = "bf16"
    output_dtype: Optional[str] = None
    gate_dtype: str = "f32"
    #: Delta forget: scalar gate alpha_t = exp(g_t).
    delta_gate: bool = False
    #: Delta forget: L2-normalise w inside the kernel.
    normalize: bool = False
    #: Delta forget: an erase key w of its own (default: w = the first key).
    erase_key: bool = False
    beta_max: float = 1.0
    #: Injection gates beta^(l) (for delta, beta^(1) is the erase strength).
    inject_gates: bool = False
    #: "gelu" or "identity": values come from the refinement write path.
    refine: Optional[str] = None
    #: Anchor of the refinement is SiLU(ShortConv(x)) with this window.
    conv_window: int = 0
    initial_state: bool = False
    final_state: bool = False
    layout: str = "kv"
    scale: Optional[float] = None
    schedule: Optional[str] = "sequential"
    schedule_params: dict = field(default_factory=dict)
    batch: str = "?"
    steps: str = "?"

    def __post_init__(self) -> None:
        """Every field is checked here, so that a mistake is a ValueError
        (or TypeError) naming the field, not a parser error from prism-opt
        later."""
        def fail(field_name, why, cls=ValueError):
            raise cls(f"Spec.{field_name}: {why} (got {getattr(self, field_name)!r})")

        def check_int(field_name, low):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, int):
                fail(field_name, "must be an int", TypeError)
            if value < low:
                fail(field_name, f"must be at least {low}")

        def check_choice(field_name, choices, optional=False):
            value = getattr(self, field_name)
            if optional and value is None:
                return
            if not isinstance(value, str) or value not in choices:
                fail(field_name, "must be one of " + ", ".join(map(repr, choices))
                     + (" or None" if optional else ""))

        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            fail("name", "must be a plain identifier (letters, digits, '_', not starting "
                 "with a digit): it names the MLIR function and the files compile() writes")
        check_choice("forget", FAMILIES)
        check_int("rank", 1)
        check_int("heads", 1)
        check_int("key_dim", 1)
        check_int("value_dim", 1)
        check_choice("dtype", DTYPES)
        check_choice("output_dtype", DTYPES, optional=True)
        check_choice("gate_dtype", DTYPES)
        for flag in ("delta_gate", "normalize", "erase_key", "inject_gates",
                     "initial_state", "final_state"):
            if not isinstance(getattr(self, flag), bool):
                fail(flag, "must be True or False", TypeError)
        if isinstance(self.beta_max, bool) or not isinstance(self.beta_max, (int, float)):
            fail("beta_max", "must be a number", TypeError)
        if self.beta_max not in (1, 2):
            fail("beta_max", "must be 1 (beta in (0, 1)) or 2 (beta in (0, 2))")
        check_choice("refine", REFINES, optional=True)
        check_int("conv_window", 0)
        if self.conv_window and not self.refine:
            fail("conv_window", "a short convolution feeds the refinement anchor: set refine too")
        check_choice("layout", LAYOUTS)
        if self.scale is not None:
            if isinstance(self.scale, bool) or not isinstance(self.scale, (int, float)):
                fail("scale", "must be a number or None", TypeError)
            if not math.isfinite(self.scale) or self.scale <= 0:
                fail("scale", "must be finite and positive")
        check_choice("schedule", SCHEDULES, optional=True)
        if not isinstance(self.schedule_params, dict):
            fail("schedule_params", "must be a dict", TypeError)
        for key, value in self.schedule_params.items():
            if key not in SCHEDULE_PARAMS:
                raise ValueError(f"Spec.schedule_params: unknown parameter {key!r} "
                                 f"(known: {', '.join(SCHEDULE_PARAMS)})")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Spec.schedule_params[{key!r}]: must be an int >= 0 "
                                 f"(got {value!r})")
        for dim in ("batch", "steps"):
            value = getattr(self, dim)
            if value != "?" and (isinstance(value, bool) or not isinstance(value, int)
                                 or value < 1):
                fail(dim, "must be '?' (dynamic) or an int >= 1")
        if self.erase_key and self.forget != "delta":
            fail("erase_key", "only the delta forget has an erase key")
        if (self.delta_gate or self.normalize) and self.forget != "delta":
            fail("delta_gate" if self.delta_gate else "normalize",
                 "only applies to the delta forget")

    # -- shapes ---------------------------------------------------------
    def _t(self, *dims, dtype: Optional[str] = None) -> str:
        shape = "x".join(str(d) for d in dims)
        return f"tensor<{shape}x{dtype or self.dtype}>"

    def seq(self, width: Optional[int] = None, dtype: Optional[str] = None) -> str:
        dims = [self.batch, self.steps, self.heads]
        if width is not None:
            dims.append(width)
        return self._t(*dims, dtype=dtype)

    def state(self) -> str:
        k, v = self.key_dim, self.value_dim
        inner = (k, v) if self.layout == "kv" else (v, k)
        return self._t(self.batch, self.heads, *inner, dtype="f32")

    # -- rendering ------------------------------------------------------
    def mlir(self) -> str:
        K, V, L = self.key_dim, self.value_dim, self.rank
        out_dtype = self.output_dtype or self.dtype
        args: List[str] = []
        body: List[str] = []

        def arg(name: str, ty: str) -> str:
            args.append(f"%{name}: {ty}")
            return f"%{name}"

        q = arg("q", self.seq(K))
        keys = [arg(f"k{l}", self.seq(K)) for l in range(L)]
        gates = []
        if self.forget == "delta":
            beta = arg("beta", self.seq(dtype=self.dtype))
            erase = arg("w", self.seq(K)) if self.erase_key else keys[0]
        g = None
        if self.forget == "scalar" or (self.forget == "delta" and self.delta_gate):
            g = arg("g", self.seq(dtype=self.gate_dtype))
        elif self.forget == "diagonal":
            g = arg("g", self.seq(K, dtype=self.gate_dtype))
        if self.inject_gates:
            for l in range(L):
                if self.forget == "delta" and l == 0:
                    gates.append(beta)
                else:
                    gates.append(arg(f"gate{l}", self.seq(dtype=self.dtype)))

        if self.refine:
            if self.conv_window:
                x = arg("x", self.seq(V))
                w = arg("conv_w", self._t(self.heads, V, self.conv_window, dtype="f32"))
                b = arg("conv_b", self._t(self.heads, V, dtype="f32"))
            else:
                u = arg("u", self.seq(V))
            v = arg("v", self.seq(V))
            gains = [arg(f"p{l}", self.seq(V)) for l in range(L)]
        else:
            values = [arg(f"v{l}", self.seq(V)) for l in range(L)]
        s0 = arg("s0", self.state()) if self.initial_state else None

        # Forget.
        if self.forget == "identity":
            body.append("%a = recurrence.identity_forget")
        elif self.forget == "scalar":
            body.append(f"%a = recurrence.scalar_forget {g} : {self.seq(dtype=self.gate_dtype)}")
        elif self.forget == "diagonal":
            body.append(f"%a = recurrence.diagonal_forget {g} : {self.seq(K, dtype=self.gate_dtype)}")
        else:
            gate = f" gate({g} : {self.seq(dtype=self.gate_dtype)})" if g else ""
            attrs = []
            if self.normalize:
                attrs.append("normalize")
            if self.beta_max != 1.0:
                attrs.append(f"beta_max = {float(self.beta_max):.1f} : f64")
            attr = " {" + ", ".join(attrs) + "}" if attrs else ""
            body.append(f"%a = recurrence.delta_forget {erase}, {beta}{gate}{attr}"
                        f" : {self.seq(K)}, {self.seq()}")

        # Write path.
        if self.refine:
            if self.conv_window:
                body.append(f"%u = recurrence.short_conv silu {x}, {w} bias({b} : {self._t(self.heads, V, dtype='f32')})"
                            f" : {self.seq(V)}, {self._t(self.heads, V, self.conv_window, dtype='f32')} -> {self.seq(V)}")
                u = "%u"
            dty = self.seq(V, dtype="f32")
            body.append(f"%d:{L} = recurrence.refine {self.refine} {u}, {v}"
                        f" gains({', '.join(gains)} : {', '.join([self.seq(V)] * L)})"
                        f" : {self.seq(V)}, {self.seq(V)} -> {', '.join([dty] * L)}")
            values = [f"%d#{l}" for l in range(L)]
            value_types = [dty] * L
        else:
            value_types = [self.seq(V)] * L
        gate_text = ""
        if gates:
            gate_text = f" gates({', '.join(gates)} : {', '.join([self.seq()] * L)})"
        body.append(f"%b = recurrence.inject keys({', '.join(keys)} : {', '.join([self.seq(K)] * L)})"
                    f" values({', '.join(values)} : {', '.join(value_types)}){gate_text}"
                    f" -> !recurrence.injection<{L}>")

        # Scan.
        attrs = []
        if self.schedule:
            params = "".join(f", {k} = {v}" for k, v in self.schedule_params.items())
            attrs.append(f"schedule = #recurrence.schedule<{self.schedule}{params}>")
        if self.layout != "kv":
            attrs.append(f"state_layout = #recurrence<state_layout {self.layout}>")
        if self.scale is not None:
            attrs.append(f"scale = {_float_literal(self.scale)} : f64")
        attr = " {" + ", ".join(attrs) + "}" if attrs else ""
        init = f" initial({s0} : {self.state()})" if s0 else ""
        out_ty = self.seq(V, dtype=out_dtype)
        results = [out_ty] + ([self.state()] if self.final_state else [])
        names = "%o, %s" if self.final_state else "%o"
        body.append(f"{names} = recurrence.scan %a, %b, {q}{init}{attr}"
                    f" : !recurrence.forget<{self.forget}>, !recurrence.injection<{L}>, {self.seq(K)}"
                    f" -> {', '.join(results)}")
        ret_vals = "%o, %s" if self.final_state else "%o"
        body.append(f"return {ret_vals} : {', '.join(results)}")

        res = results[0] if len(results) == 1 else "(" + ", ".join(results) + ")"
        lines = [f"func.func @{self.name}({', '.join(args)}) -> {res} {{"]
        lines += ["  " + line for line in body]
        lines.append("}")
        return "\n".join(lines) + "\n"


def _float_literal(value) -> str:
    """`value` as an MLIR float literal (which needs a '.'), exactly."""
    text = repr(float(value))
    if "e" in text and "." not in text:
        text = text.replace("e", ".0e")
    return text


def _family_grid(prefix, dtypes, ranks, key_dim, value_dim, **common):
    """Every forget family (delta with and without its gate) x L x dtype x
    with/without initial (and final) state."""
    specs = []
    variants = [("identity", {}), ("scalar", {}), ("diagonal", {}),
                ("delta", {}), ("delta", {"delta_gate": True})]
    for family, extra in variants:
        tag = family + ("_gated" if extra.get("delta_gate") else "")
        for rank in ranks:
            for dtype in dtypes:
                for init in (False, True):
                    name = f"{prefix}{tag}_L{rank}_{dtype}_{'init' if init else 'zero'}"
                    specs.append(Spec(name=name, forget=family, rank=rank, dtype=dtype,
                                      key_dim=key_dim, value_dim=value_dim,
                                      initial_state=init, final_state=init,
                                      inject_gates=(family == "delta" or rank > 1),
                                      **common, **extra))
    return specs


def matrix(dtypes=("f32", "bf16"), ranks=(1, 2, 3), key_dim=32, value_dim=32):
    """The correctness matrix of the sequential schedule: every forget family
    (delta with and without gate) x L x dtype x with/without initial state,
    plus the refinement write path with and without the short convolution,
    and the vk state layout."""
    specs = _family_grid("", dtypes, ranks, key_dim, value_dim)
    specs.append(Spec(name="prism_refine_gelu_L3", forget="delta", delta_gate=True, rank=3,
                      refine="gelu", inject_gates=True, initial_state=True, final_state=True,
                      key_dim=key_dim, value_dim=value_dim))
    specs.append(Spec(name="prism_conv_refine_L2", forget="delta", delta_gate=True, rank=2,
                      refine="identity", conv_window=4, inject_gates=True, dtype="f32",
                      key_dim=key_dim, value_dim=value_dim))
    specs.append(Spec(name="gla_vk_state", forget="diagonal", rank=1, initial_state=True,
                      final_state=True, layout="vk", key_dim=key_dim, value_dim=value_dim))
    specs.append(Spec(name="deltanet_normalized", forget="delta", rank=1, normalize=True,
                      beta_max=2.0, inject_gates=True, dtype="f16", output_dtype="f32",
                      key_dim=key_dim, value_dim=value_dim))
    # Prefetch depths of the sequential schedule: none, and three steps ahead.
    specs.append(Spec(name="gdn_stages1", forget="delta", delta_gate=True, inject_gates=True,
                      schedule_params={"stages": 1}, initial_state=True, final_state=True,
                      key_dim=key_dim, value_dim=value_dim))
    specs.append(Spec(name="gla_stages4", forget="diagonal", dtype="f32",
                      schedule_params={"stages": 4}, key_dim=key_dim, value_dim=value_dim))
    # Several state rows per lane (each loaded key slice serves them all).
    specs.append(Spec(name="prism_rows2", forget="delta", delta_gate=True, rank=2, refine="gelu",
                      inject_gates=True, initial_state=True, final_state=True,
                      schedule_params={"rows": 2}, key_dim=key_dim, value_dim=value_dim))
    specs.append(Spec(name="gla_vk_rows4", forget="diagonal", layout="vk", initial_state=True,
                      final_state=True, schedule_params={"rows": 4, "stages": 1},
                      key_dim=key_dim, value_dim=value_dim))
    return specs


def chunked_matrix(dtypes=("f32", "bf16", "f16"), ranks=(1, 2, 3, 4), key_dim=32, value_dim=32,
                   schedule="chunked_fused"):
    """The correctness matrix of a chunked schedule (chunked_fused, names
    chunked_*; chunked_two_pass, names two_pass_*; tree, names tree_): every
    forget family x L
    in 1..4 x dtype x with/without initial (and final) state, plus the
    refinement write path, the short convolution, the vk layout, and the
    schedule's parameters (chunk 16..128, warps 1..8, V-tiles smaller than
    V)."""
    prefix = {"chunked_fused": "chunked_", "chunked_two_pass": "two_pass_",
              "tree": "tree_"}[schedule]
    specs = _family_grid(prefix, dtypes, ranks, key_dim, value_dim, schedule=schedule)
    common = dict(key_dim=key_dim, value_dim=value_dim, schedule=schedule)
    # PRISM Eq. 18 (delta forget, gated, refinement write path) and DeltaNet
    # with in-kernel normalisation of w and beta in (0, 2).
    specs.append(Spec(name=f"{prefix}prism_refine_gelu_L3", forget="delta", delta_gate=True,
                      rank=3, refine="gelu", inject_gates=True, initial_state=True,
                      final_state=True, **common))
    specs.append(Spec(name=f"{prefix}deltanet_normalized", forget="delta", rank=1,
                      normalize=True, beta_max=2.0, inject_gates=True, dtype="f16",
                      output_dtype="f32", **common))
    # An erase key of its own (the fused kernel then solves x_t in a slot of
    # its own instead of folding it into the first key's values).
    specs.append(Spec(name=f"{prefix}gdn_erase_key_L1", forget="delta", delta_gate=True,
                      erase_key=True, inject_gates=True, initial_state=True, final_state=True,
                      **common))
    specs.append(Spec(name=f"{prefix}gdn_erase_key_L2_f32", forget="delta", delta_gate=True,
                      rank=2, erase_key=True, inject_gates=True, dtype="f32", **common))
    specs.append(Spec(name=f"{prefix}gdn_vk_state", forget="delta", delta_gate=True,
                      inject_gates=True, initial_state=True, final_state=True, layout="vk",
                      **common))
    specs.append(Spec(name=f"{prefix}refine_gelu_L3", forget="scalar", rank=3, refine="gelu",
                      inject_gates=True, initial_state=True, final_state=True, **common))
    specs.append(Spec(name=f"{prefix}conv_refine_L2", forget="diagonal", rank=2,
                      refine="identity", conv_window=4, inject_gates=True, dtype="f32",
                      **common))
    specs.append(Spec(name=f"{prefix}gla_vk_state", forget="diagonal", initial_state=True,
                      final_state=True, layout="vk", **common))
    specs.append(Spec(name=f"{prefix}f16_out_f32", forget="scalar", dtype="f16",
                      output_dtype="f32", **common))
    # A lane holds v_tile * K / (32 * warps) floats of state (at most 128).
    for chunk, warps, v_tile in ((16, 1, 16), (32, 2, 32), (128, 4, 32), (64, 8, 0)):
        # f32 scratch for 128-token chunks exceeds a block's shared memory.
        # The delta forget's solve needs more scratch: 128-token chunks fit
        # shared memory only for small K.
        for family, dtype in (("scalar", "bf16"), ("diagonal", "f32" if chunk < 128 else "f16"),
                              ("delta", "bf16")):
            if family == "delta" and chunk == 128 and key_dim > 32:
                continue
            specs.append(Spec(name=f"{prefix}{family}_c{chunk}_w{warps}_{dtype}",
                              forget=family, dtype=dtype, initial_state=True,
                              final_state=True, delta_gate=family == "delta",
                              inject_gates=family == "delta",
                              schedule_params={"chunk": chunk, "warps": warps,
                                               **({"v_tile": v_tile} if v_tile else {})},
                              **common))
    # Two stages: a walk loads the next chunk's queries and keys ahead (the
    # two-pass schedule walks only for the delta forget).
    stage_specs = [("delta", "bf16", 1, False), ("delta", "f32", 2, True)]
    if schedule != "chunked_two_pass":
        stage_specs += [("scalar", "bf16", 1, False), ("diagonal", "f16", 2, False),
                        ("identity", "f32", 3, False)]
    for family, dtype, rank, erase in stage_specs:
        specs.append(Spec(name=f"{prefix}{family}_stages2_L{rank}_{dtype}", forget=family,
                          rank=rank, dtype=dtype, erase_key=erase, initial_state=True,
                          final_state=True, delta_gate=family == "delta",
                          inject_gates=family == "delta",
                          schedule_params={"stages": 2}, **common))
    specs.append(Spec(name=f"{prefix}vtile16", forget="diagonal", rank=2, inject_gates=True,
                      schedule_params={"v_tile": 16}, initial_state=True, final_state=True,
                      **common))
    return specs
