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


@pytest.mark.parametrize("bad, error, message", [
    (dict(forget="decay"), ValueError, r"Spec\.forget: must be one of 'identity'"),
    (dict(dtype="f64"), ValueError, r"Spec\.dtype: must be one of"),
    (dict(rank=0), ValueError, r"Spec\.rank: must be at least 1"),
    (dict(conv_window=4), ValueError, r"Spec\.conv_window: a short convolution feeds"),
    (dict(schedule="chunked"), ValueError, r"Spec\.schedule: must be one of"),
    # What a new user tried (each used to fail later, in prism-opt's words,
    # or to write something else than asked).
    (dict(heads=0), ValueError, r"Spec\.heads: must be at least 1 \(got 0\)"),
    (dict(key_dim="x"), TypeError, r"Spec\.key_dim: must be an int \(got 'x'\)"),
    (dict(gate_dtype="bf17"), ValueError, r"Spec\.gate_dtype: must be one of"),
    (dict(layout="xy"), ValueError, r"Spec\.layout: must be one of 'kv', 'vk'"),
    (dict(refine="relu"), ValueError, r"Spec\.refine: must be one of 'gelu', 'identity' or None"),
    (dict(refine="gelu", conv_window=-1), ValueError, r"Spec\.conv_window: must be at least 0"),
    (dict(forget="delta", beta_max=1.25), ValueError, r"Spec\.beta_max: must be 1 .* or 2"),
    (dict(output_dtype="f8"), ValueError, r"Spec\.output_dtype"),
    (dict(scale=float("nan")), ValueError, r"Spec\.scale: must be finite and positive"),
    (dict(schedule_params={"tile": 3}), ValueError, r"unknown parameter 'tile'"),
    (dict(schedule_params={"chunk": -16}), ValueError, r"must be an int >= 0"),
    (dict(steps=0), ValueError, r"Spec\.steps: must be '\?'"),
    (dict(delta_gate=True), ValueError, r"Spec\.delta_gate: only applies to the delta forget"),
    (dict(initial_state="yes"), TypeError, r"Spec\.initial_state: must be True or False"),
])
def test_invalid_specs(bad, error, message):
    with pytest.raises(error, match=message):
        Spec(name="bad", **bad)


@pytest.mark.parametrize("name", ["has space", "../../x/evil", "9lives", "", "a-b", "a/b"])
def test_names_must_be_identifiers(name):
    # The name is the MLIR function and the stem of every file compile()
    # writes: "../../x/evil" used to write outside output_dir.
    with pytest.raises(ValueError, match=r"Spec\.name: must be a plain identifier"):
        Spec(name=name)


def test_float_attributes_are_written_exactly():
    assert "beta_max = 2.0 : f64" in Spec(name="b2", forget="delta", beta_max=2).mlir()
    assert "scale = 1.25 : f64" in Spec(name="s", scale=1.25).mlir()
    assert "scale = 1.0e-05 : f64" in Spec(name="s", scale=1e-5).mlir()
