"""compile() to PTX and manifests, its diagnostics, and the CPU backend."""

import json
import os
import tempfile

import pytest

import prism
from prism import CompileError, Spec
from prism.compiler import REPO_ROOT, parse_diagnostics

EXAMPLES = os.path.join(REPO_ROOT, "docs", "examples")

GDN = Spec(name="gdn", forget="delta", delta_gate=True, inject_gates=True,
           initial_state=True, final_state=True, heads=4, key_dim=64, value_dim=64)


def test_gated_deltanet_to_ptx(prism_opt, tmp_path):
    program = prism.compile(GDN, output_dir=str(tmp_path), prism_opt=prism_opt)
    assert program.name == "gdn" and program.target == "cuda"
    assert program.ptx_path == str(tmp_path / "gdn.ptx")
    assert program.manifest_path == str(tmp_path / "gdn.manifest.json")
    assert os.path.exists(program.mlir_path)
    m = program.manifest
    assert m == json.loads((tmp_path / "gdn.manifest.json").read_text())
    assert (m["version"], m["function"], m["backend"], m["module"]) == (1, "gdn", "cuda", "gdn.ptx")
    assert m["symbols"] == ["B", "T"]
    buffers = [(b["name"], b["role"], b["dtype"], b["shape"]) for b in m["buffers"]]
    assert buffers == [
        ("q", "input", "bf16", ["B", "T", 4, 64]),
        ("k", "input", "bf16", ["B", "T", 4, 64]),
        ("beta", "input", "bf16", ["B", "T", 4]),
        ("g", "input", "f32", ["B", "T", 4]),
        ("v", "input", "bf16", ["B", "T", 4, 64]),
        ("initial_state", "input", "f32", ["B", 4, 64, 64]),
        ("o", "output", "bf16", ["B", "T", 4, 64]),
        ("final_state", "output", "f32", ["B", 4, 64, 64]),
    ]
    assert [b["name"] for b in program.buffers("output")] == ["o", "final_state"]
    r = m["recurrence"]
    assert (r["forget"], r["rank"], r["heads"], r["key_dim"], r["value_dim"]) == ("delta", 1, 4, 64, 64)
    assert r["scale"] == pytest.approx(64 ** -0.5)
    assert (r["query"], r["erase_key"], r["erase_strength"], r["log_decay"]) == (0, 1, 2, 3)
    assert (r["initial_state"], r["output"], r["final_state"]) == (5, 6, 7)
    ptx = open(program.ptx_path).read()
    assert ".target sm_90a" in ptx
    assert m["kernels"]
    for kernel in m["kernels"]:
        assert kernel["schedule"].split(",")[0] == "sequential"
        assert f".entry {kernel['name']}(" in ptx


def test_linear_attention_from_text_and_path(prism_opt, tmp_path):
    path = os.path.join(EXAMPLES, "linear_attention.mlir")
    text = open(path).read()
    program = prism.compile(text, output_dir=str(tmp_path / "text"), prism_opt=prism_opt)
    assert program.name == "linear_attention"
    assert os.path.basename(program.mlir_path) == "linear_attention.mlir"
    r = program.manifest["recurrence"]
    assert (r["forget"], r["key_dim"], r["value_dim"], r["heads"]) == ("identity", 32, 48, 2)
    assert [b["name"] for b in program.manifest["buffers"]] == ["q", "k", "v", "o"]
    assert program.buffers("output")[0]["shape"] == ["B", "T", 2, 48]

    again = prism.compile(path, output_dir=str(tmp_path / "path"), prism_opt=prism_opt)
    assert again.manifest == program.manifest


def test_default_output_dir_and_tool_discovery():
    # No arguments: prism-opt from $PRISM_OPT, PATH or build/bin.
    program = prism.compile(Spec(name="la", forget="identity"))
    assert os.path.isdir(os.path.dirname(program.manifest_path))
    assert os.path.exists(program.ptx_path)


def test_several_programs_need_a_name(prism_opt, tmp_path):
    text = "".join(open(os.path.join(EXAMPLES, f)).read()
                   for f in ("linear_attention.mlir", "gla.mlir"))
    with pytest.raises(ValueError, match=r"2 programs \(linear_attention, gla\)"):
        prism.compile(text, output_dir=str(tmp_path), prism_opt=prism_opt)
    program = prism.compile(text, output_dir=str(tmp_path), prism_opt=prism_opt, function="gla")
    assert program.manifest["recurrence"]["forget"] == "diagonal"
    assert os.path.exists(tmp_path / "linear_attention.manifest.json")


MALFORMED = """\
func.func @bad(%q: tensor<?x?x2x32xf32>, %k: tensor<?x?x2x32xf32>,
               %v: tensor<?x?x2x32xf32>, %g: tensor<?x?x3xf32>) -> tensor<?x?x2x32xf32> {
  %a = recurrence.scalar_forget %g : tensor<?x?x3xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x2x32xf32>) values(%v : tensor<?x?x2x32xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x2x32xf32>
      -> tensor<?x?x2x32xf32>
  return %o : tensor<?x?x2x32xf32>
}
"""


def test_malformed_spec_reports_the_location(prism_opt, tmp_path):
    with pytest.raises(CompileError) as info:
        prism.compile(MALFORMED, output_dir=str(tmp_path), prism_opt=prism_opt)
    error = info.value
    path = str(tmp_path / "bad.mlir")
    assert f"{path}:" in str(error)
    errors = [d for d in error.diagnostics if d.severity == "error"]
    assert errors, str(error)
    assert errors[0].file == path
    assert errors[0].line >= 1 and errors[0].col >= 1
    assert f"{path}:{errors[0].line}:{errors[0].col}: error:" in str(error)
    assert error.command[0] == prism_opt


def test_syntax_error_location(prism_opt, tmp_path):
    text = MALFORMED.replace("%a = recurrence.scalar_forget", "%a = recurrence.scalar_forgot")
    with pytest.raises(CompileError) as info:
        prism.compile(text, output_dir=str(tmp_path), prism_opt=prism_opt)
    (first, *_) = info.value.diagnostics
    assert (first.line, first.col, first.severity) == (3, 8, "error")
    assert "scalar_forgot" in first.message


def test_unlowered_schedule_is_a_compile_error(prism_opt, tmp_path):
    spec = Spec(name="tree_gla", forget="diagonal", schedule="tree")
    with pytest.raises(CompileError, match=r"tree_gla\.mlir:\d+:\d+: error: .*has no lowering"):
        prism.compile(spec, output_dir=str(tmp_path), prism_opt=prism_opt)


def test_no_recurrence_is_a_compile_error(prism_opt, tmp_path):
    text = "func.func @id(%x: tensor<4xf32>) -> tensor<4xf32> {\n  return %x : tensor<4xf32>\n}\n"
    with pytest.raises(CompileError, match="produced no program"):
        prism.compile(text, output_dir=str(tmp_path), prism_opt=prism_opt)


def test_missing_tool(tmp_path):
    with pytest.raises(FileNotFoundError, match="prism-opt from the argument"):
        prism.compile(GDN, output_dir=str(tmp_path), prism_opt=str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="unknown target"):
        prism.compile(GDN, output_dir=str(tmp_path), target="rocm")


def test_parse_diagnostics():
    (d,) = parse_diagnostics("x.mlir:3:8: error: bad thing\n  %a = ...\n       ^\n")
    assert (d.file, d.line, d.col, d.severity, d.message) == ("x.mlir", 3, 8, "error", "bad thing")
    assert str(d) == "x.mlir:3:8: error: bad thing"
    (d,) = parse_diagnostics('loc("/a b/x.mlir":6:8): error: bad: shape [?, 3]\n')
    assert (d.file, d.line, d.col, d.message) == ("/a b/x.mlir", 6, 8, "bad: shape [?, 3]")


def test_cpu_target(prism_run, tmp_path):
    program = prism.compile(GDN, output_dir=str(tmp_path), target="cpu", prism_run=prism_run)
    assert program.target == "cpu" and program.ptx_path is None
    assert program.manifest["backend"] == "cpu" and program.manifest["kernels"] == []
    assert "define" in open(program.module_path).read()
    assert json.load(open(program.manifest_path)) == program.manifest


def test_run_cpu(prism_run):
    checks = prism.run_cpu(GDN, {"B": 2, "T": 19}, seed=3, prism_run=prism_run)
    assert [c.buffer for c in checks] == ["o", "final_state"]
    for c in checks:
        assert c.passed and c.finite and c.function == "gdn"
        assert c.bindings == {"B": 2, "T": 19}
        assert c.rel_err <= c.tol == 1e-2


def test_run_cpu_compile_error(prism_run):
    with pytest.raises(CompileError) as info:
        prism.run_cpu(MALFORMED, prism_run=prism_run)
    (error,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert (os.path.basename(error.file), error.line, error.col) == ("bad.mlir", 6, 8)


def test_temporary_output_dir_is_removed_with_the_program(prism_opt, prism_run):
    # compile() without output_dir used to leave a /tmp/prism-* folder per call.
    import gc
    for target, tool in (("cuda", dict(prism_opt=prism_opt)), ("cpu", dict(prism_run=prism_run))):
        program = prism.compile(Spec(name="la_tmp", forget="identity"), target=target, **tool)
        folder = os.path.dirname(program.manifest_path)
        assert os.path.exists(program.manifest_path)
        del program
        gc.collect()
        assert not os.path.exists(folder), target


def test_failed_compile_removes_its_temporary_folder(prism_opt):
    before = set(os.listdir(tempfile.gettempdir()))
    with pytest.raises(prism.CompileError):
        prism.compile(MALFORMED, prism_opt=prism_opt)
    after = {f for f in os.listdir(tempfile.gettempdir()) if f.startswith("prism-")}
    assert after <= before


def test_function_names_stay_inside_output_dir(prism_opt, tmp_path):
    # A quoted MLIR symbol may hold '/': prism-opt refuses it as a program
    # name (it used to crash in the PTX printer) instead of writing outside
    # output-dir.
    text = open(os.path.join(EXAMPLES, "linear_attention.mlir")).read().replace(
        "@linear_attention", '@"../escaped"')
    out = tmp_path / "out"
    with pytest.raises(prism.CompileError, match="must be a plain identifier"):
        prism.compile(text, output_dir=str(out), prism_opt=prism_opt)
    assert not (tmp_path / "escaped.ptx").exists()
