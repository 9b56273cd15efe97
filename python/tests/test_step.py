"""StepSpec: recurrences written as one step's body, through prism-run (the
CPU backend against the body's float64 oracle) and prism-opt (PTX and a
manifest that carries the body)."""

import pytest

import prism
from prism import StepSpec, explicit_solver


@pytest.mark.parametrize("inner,activation", [(1, "tanh"), (3, "tanh"), (2, "sigmoid")])
def test_explicit_solver_on_the_cpu(prism_run, inner, activation):
    spec = explicit_solver(f"eq6_{activation}_{inner}", inner_steps=inner,
                           activation=activation, key_dim=32, value_dim=16, heads=2,
                           dtype="f32", initial_state=True, final_state=True)
    checks = prism.run_cpu(spec, {"B": 2, "T": 21}, seed=2, prism_run=prism_run)
    assert [c.buffer for c in checks] == ["o", "final_state"]
    assert all(c.passed and c.finite for c in checks), checks


def test_v_tiles_and_the_transposed_read(prism_run):
    # Rows split in V-tiles of 8; then a body that reads S^T y, whole V.
    split = explicit_solver("eq6_split", key_dim=32, value_dim=32, dtype="bf16",
                            schedule={"v_tile": 8})
    assert all(c.passed for c in prism.run_cpu(split, {"B": 1, "T": 30}, prism_run=prism_run))
    s = StepSpec("key_correction", key_dim=16, value_dim=32, dtype="f32")
    k, v = s.input("k", "K"), s.input("v", "V")
    r = v - s.tanh(s.state @ k)
    kc = k + 0.125 * (s.state.T @ r)
    new = s.state + s.outer(0.25 * r, kc)
    s.result(new, new @ k)
    assert all(c.passed for c in prism.run_cpu(s, {"B": 2, "T": 17}, prism_run=prism_run))


def test_manifest_carries_the_body(prism_opt, tmp_path):
    spec = explicit_solver("eq6_gpu", key_dim=64, value_dim=64, heads=4)
    program = prism.compile(spec, output_dir=str(tmp_path), prism_opt=prism_opt)
    rec = program.manifest["recurrence"]
    assert rec["forget"] == "step"
    assert (rec["key_dim"], rec["value_dim"], rec["heads"]) == (64, 64, 4)
    ops = [op["op"] for op in rec["step"]["ops"]]
    assert "tanh" in ops and "outer" in ops and "matvec" in ops
    assert [b["name"] for b in program.buffers("input")] == ["k", "v", "q", "beta_logit"]
    assert (tmp_path / "eq6_gpu.ptx").exists()


def test_body_errors():
    s = StepSpec("bad", key_dim=8, value_dim=4)
    k, v = s.input("k", "K"), s.input("v", "V")
    with pytest.raises(TypeError, match="outer takes a V-vector and a K-vector"):
        s.outer(k, v)
    with pytest.raises(TypeError, match="M @ x takes the V x K matrix and a K-vector"):
        s.state @ v
    with pytest.raises(TypeError, match="arith.addf of a K-vector and a V-vector"):
        k + v
    with pytest.raises(ValueError, match="has no result"):
        s.mlir()
    with pytest.raises(ValueError, match="must be a new identifier"):
        s.input("k", "K")
    with pytest.raises(ValueError, match="width must be"):
        s.input("x", "D")
    with pytest.raises(ValueError, match="inner_steps"):
        explicit_solver(inner_steps=0, key_dim=8, value_dim=8)
