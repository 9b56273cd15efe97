"""Spec renders MLIR that prism-opt parses and verifies, for every forget
family, rank, dtype and option."""

import subprocess

import pytest

from prism import Spec, matrix
from prism.spec import SCHEDULES


def variants():
    """The correctness matrix, plus each option on its own."""
    specs = list(matrix())
    for family in ("identity", "scalar", "diagonal", "delta"):
        for schedule in SCHEDULES + (None,):
            tag = schedule or "default"
            specs.append(Spec(name=f"{family}_{tag}", forget=family, schedule=schedule,
                              rank=2, inject_gates=True))
    specs += [
        Spec(name="static_dims", batch=2, steps=16, forget="scalar"),
        Spec(name="custom_scale", forget="identity", scale=0.25),
        Spec(name="f16_to_f32", dtype="f16", output_dtype="f32", forget="diagonal"),
        Spec(name="bf16_gate", forget="scalar", gate_dtype="bf16"),
        Spec(name="wide_values", forget="delta", delta_gate=True, inject_gates=True,
             key_dim=64, value_dim=128, heads=4),
        Spec(name="beta2_normalized", forget="delta", beta_max=2.0, normalize=True,
             inject_gates=True),
        Spec(name="refine_identity", forget="delta", rank=2, refine="identity",
             inject_gates=True),
        Spec(name="vk_delta", forget="delta", layout="vk", initial_state=True,
             final_state=True, inject_gates=True),
        Spec(name="final_only", forget="scalar", final_state=True),
        Spec(name="k_split", forget="delta", delta_gate=True, inject_gates=True,
             schedule_params={"stages": 2, "k_split": 4}),
    ]
    return specs


@pytest.mark.parametrize("spec", variants(), ids=lambda s: s.name)
def test_prism_opt_accepts(spec, prism_opt, tmp_path):
    path = tmp_path / (spec.name + ".mlir")
    path.write_text(spec.mlir())
    proc = subprocess.run([prism_opt, str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"@{spec.name}(" in proc.stdout


def test_matrix_names_are_unique():
    names = [s.name for s in matrix()]
    assert len(names) == len(set(names))


def test_rendering():
    text = Spec(name="gdn", forget="delta", delta_gate=True, inject_gates=True,
                initial_state=True, final_state=True, scale=0.5, layout="vk",
                schedule_params={"stages": 2}).mlir()
    assert text.startswith("func.func @gdn(%q: tensor<?x?x2x32xbf16>")
    assert "recurrence.delta_forget %k0, %beta gate(%g : tensor<?x?x2xf32>)" in text
    assert "#recurrence.schedule<sequential, stages = 2>" in text
    assert "state_layout = #recurrence<state_layout vk>" in text
    assert "scale = 0.5 : f64" in text
    assert "initial(%s0 : tensor<?x2x32x32xf32>)" in text


@pytest.mark.parametrize("bad, message", [
    (dict(forget="decay"), "unknown forget family"),
    (dict(dtype="f64"), "unknown dtype"),
    (dict(rank=0), "rank must be at least 1"),
    (dict(conv_window=4), "short convolution"),
    (dict(schedule="chunked"), "unknown schedule"),
])
def test_invalid_specs(bad, message):
    with pytest.raises(ValueError, match=message):
        Spec(name="bad", **bad)
