"""The ctypes binding of libprism_runtime.so and Kernel's argument checks:
none of this needs a GPU or PyTorch."""

import ctypes
import json
import os
import subprocess
import sys

import pytest

import prism
from prism import Kernel, Spec
from prism import runtime
from prism.runtime import PrismRuntimeError


@pytest.fixture(scope="module")
def lib():
    return runtime.load_library()


@pytest.fixture(scope="module")
def gdn(prism_opt, tmp_path_factory):
    spec = Spec(name="gdn", forget="delta", delta_gate=True, inject_gates=True,
                initial_state=True, final_state=True, heads=4, key_dim=64, value_dim=64)
    return prism.compile(spec, output_dir=str(tmp_path_factory.mktemp("gdn")),
                         prism_opt=prism_opt)


def gpu_present(lib):
    ctx = ctypes.c_void_p()
    if lib.prism_rt_init(0, ctypes.byref(ctx)) != runtime.SUCCESS:
        return False
    lib.prism_rt_context_destroy(ctx)
    return True


def test_package_imports_without_torch():
    code = "import prism, sys; print('torch' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(prism.__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip() == "False"


def test_library_declares_the_c_api(lib):
    header = os.path.join(runtime.REPO_ROOT, "include", "prism", "Runtime", "Runtime.h")
    declared = {line.split("(")[0].split()[-1].lstrip("*")
                for line in open(header) if "prism_rt_" in line and "(" in line
                and not line.lstrip().startswith(("/*", "*", "typedef"))}
    assert declared == set(runtime.SIGNATURES)
    for name, (restype, argtypes) in runtime.SIGNATURES.items():
        function = getattr(lib, name)
        assert function.restype is restype and function.argtypes == argtypes, name


def test_status_names_and_errors(lib):
    assert lib.prism_rt_status_name(runtime.NO_DEVICE) == b"PRISM_RT_NO_DEVICE"
    assert lib.prism_rt_status_name(runtime.OUT_OF_MEMORY) == b"PRISM_RT_OUT_OF_MEMORY"
    status = lib.prism_rt_launch(None, None, 0, None, None, None)
    assert status == runtime.INVALID_ARGUMENT
    assert lib.prism_rt_last_error() == b"prism_rt_launch: null program"
    ctx = ctypes.c_void_p(0x1)
    assert lib.prism_rt_init(-1, ctypes.byref(ctx)) == runtime.INVALID_ARGUMENT
    assert ctx.value is None
    assert lib.prism_rt_last_error() == b"prism_rt_init: negative device index -1"
    assert lib.prism_rt_program_num_buffers(None) == -1
    assert lib.prism_rt_device_name(None) is None


def test_stream_wrap_checks_its_arguments(lib):
    stream = ctypes.c_void_p(0x1)
    status = lib.prism_rt_stream_wrap(None, ctypes.c_void_p(0x1234), ctypes.byref(stream))
    assert status == runtime.INVALID_ARGUMENT
    assert stream.value is None
    assert lib.prism_rt_last_error() == b"prism_rt_stream_wrap: null context"
    assert lib.prism_rt_stream_wrap(None, None, None) == runtime.INVALID_ARGUMENT
    assert lib.prism_rt_last_error() == b"prism_rt_stream_wrap: null output pointer"
    assert lib.prism_rt_stream_destroy(None) == runtime.SUCCESS


def test_missing_library(tmp_path):
    with pytest.raises(RuntimeError, match="prism runtime library not found: .*nope.so"):
        runtime.load_library(str(tmp_path / "nope.so"))


def test_kernel_without_a_gpu(lib, gdn):
    if gpu_present(lib):
        kernel = Kernel(gdn, device=0)
        assert kernel.name == "gdn"
        kernel.close()
        return
    with pytest.raises(RuntimeError) as info:
        Kernel(gdn, device=0)
    assert isinstance(info.value, PrismRuntimeError)
    assert info.value.status_name == "PRISM_RT_NO_DEVICE"
    assert str(info.value).startswith("prism: cannot use CUDA device 0 for 'gdn': "
                                      "PRISM_RT_NO_DEVICE: ")


def test_kernel_refuses_cpu_programs(prism_run, tmp_path):
    program = prism.compile(Spec(name="la", forget="identity"), output_dir=str(tmp_path),
                            target="cpu", prism_run=prism_run)
    with pytest.raises(ValueError, match="a Kernel runs only cuda programs"):
        Kernel(program)


def test_kernel_from_a_manifest_path(gdn):
    kernel = Kernel(gdn.manifest_path)
    assert kernel.inputs == ("q", "k", "beta", "g", "v", "initial_state")
    assert kernel.outputs == ("o", "final_state")
    assert "Kernel('gdn'" in repr(kernel)


@pytest.mark.skipif("torch" in sys.modules or bool(__import__("importlib").util.find_spec("torch")),
                    reason="torch is installed")
def test_calling_needs_torch(gdn):
    with pytest.raises(ImportError, match="needs PyTorch"):
        Kernel(gdn)()


# -- argument checks, on stand-ins for torch tensors -------------------------

class Device:
    def __init__(self, text):
        self.type, _, index = text.partition(":")
        self.index = int(index) if index else None

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


class Dtype:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return "torch." + self.name


class FakeTensor:
    def __init__(self, shape, dtype="bfloat16", device="cuda:0", contiguous=True):
        self.shape = tuple(shape)
        self.dtype = Dtype(dtype)
        self.device = Device(device)
        self.contiguous = contiguous

    def is_contiguous(self):
        return self.contiguous

    def data_ptr(self):
        return 0x10000


def gdn_inputs(B=2, T=7, **change):
    shapes = dict(q=(B, T, 4, 64), k=(B, T, 4, 64), beta=(B, T, 4), g=(B, T, 4),
                  v=(B, T, 4, 64), initial_state=(B, 4, 64, 64))
    dtypes = dict(g="float32", initial_state="float32")
    out = {name: FakeTensor(shape, dtypes.get(name, "bfloat16")) for name, shape in shapes.items()}
    out.update(change)
    return out


def test_bind_works_out_the_outputs(gdn):
    kernel = Kernel(gdn)
    binding = kernel.bind(**gdn_inputs(B=3, T=11))
    assert binding.device == 0
    assert binding.symbols == {"B": 3, "T": 11}
    assert binding.shapes[6:] == [(3, 11, 4, 64), (3, 4, 64, 64)]
    assert binding.tensors[6:] == [None, None]
    # Positional inputs in manifest order, and an output given by name.
    inputs = list(gdn_inputs(B=3, T=11).values())
    out = FakeTensor((3, 11, 4, 64), device="cuda:1")
    with pytest.raises(ValueError, match="buffer 'o' is on cuda:1, but 'q' is on cuda:0"):
        kernel.bind(*inputs, o=out)
    binding = kernel.bind(*[FakeTensor(t.shape, str(t.dtype)[6:], "cuda:1") for t in inputs],
                          o=out)
    assert binding.device == 1 and binding.tensors[6] is out


@pytest.mark.parametrize("change, error, message", [
    (dict(k=FakeTensor((2, 7, 4, 64), "float32")), TypeError,
     r"gdn\(\): buffer 'k' has dtype torch.float32, but the program takes bf16 \(torch.bfloat16\)"),
    (dict(g=FakeTensor((2, 7, 4), "bfloat16")), TypeError, r"buffer 'g' has dtype torch.bfloat16.*f32"),
    (dict(v=FakeTensor((2, 7, 4, 64), device="cpu")), ValueError,
     r"buffer 'v' is on cpu: expected a CUDA tensor"),
    (dict(beta=FakeTensor((2, 7, 4), contiguous=False)), ValueError,
     r"buffer 'beta' is not contiguous"),
    (dict(q=FakeTensor((2, 7, 256))), ValueError,
     r"buffer 'q' has shape \[2, 7, 256\], but the program takes \[B, T, 4, 64\] \(rank 4\)"),
    (dict(q=FakeTensor((2, 7, 4, 32))), ValueError, r"buffer 'q' .*dimension 3 must be 64"),
    (dict(v=FakeTensor((2, 9, 4, 64))), ValueError,
     r"buffer 'v' has shape \[2, 9, 4, 64\]: T is 9 there but 7 in 'q'"),
    (dict(initial_state=FakeTensor((3, 4, 64, 64), "float32")), ValueError,
     r"buffer 'initial_state' .*B is 3 there but 2 in 'q'"),
    (dict(k=[[1.0]]), TypeError, r"buffer 'k' is a list, expected a torch.Tensor"),
])
def test_bind_rejects(gdn, change, error, message):
    with pytest.raises(error, match=message):
        Kernel(gdn).bind(**gdn_inputs(**change))


def test_bind_argument_names(gdn):
    kernel = Kernel(gdn)
    inputs = gdn_inputs()
    with pytest.raises(TypeError, match=r"missing input\(s\) beta, initial_state"):
        kernel.bind(**{k: v for k, v in inputs.items() if k not in ("beta", "initial_state")})
    with pytest.raises(TypeError, match="has no buffer 'w'"):
        kernel.bind(w=inputs["k"], **inputs)
    with pytest.raises(TypeError, match="two tensors for buffer 'q'"):
        kernel.bind(inputs["q"], **inputs)
    with pytest.raises(TypeError, match=r"takes 6 input tensors \(q, k, beta, g, v, initial_state\), got 7"):
        kernel.bind(*inputs.values(), inputs["q"])


def test_outputs_need_bound_symbols(tmp_path):
    manifest = {
        "version": 1, "function": "odd", "backend": "cuda", "module": "odd.ptx",
        "symbols": ["T", "N"],
        "buffers": [
            {"name": "x", "role": "input", "dtype": "f32", "shape": ["T"], "access": "read"},
            {"name": "w", "role": "workspace", "dtype": "f32", "shape": ["T"], "access": "readwrite"},
            {"name": "y", "role": "output", "dtype": "f16", "shape": ["N", 2], "access": "write"},
        ],
        "kernels": [], "recurrence": {},
    }
    path = tmp_path / "odd.manifest.json"
    path.write_text(json.dumps(manifest))
    kernel = Kernel(str(path))
    assert (kernel.inputs, kernel.outputs) == (("x",), ("y",))
    with pytest.raises(ValueError, match="the shape of output 'y' needs N, which no input binds"):
        kernel.bind(FakeTensor((5,), "float32"))
    binding = kernel.bind(FakeTensor((5,), "float32"), y=FakeTensor((3, 2), "float16"))
    assert binding.shapes == [(5,), (3, 2)]
