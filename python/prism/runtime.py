"""Calling compiled programs on PyTorch tensors through libprism_runtime.so.

A `Kernel` reads a program's manifest (docs/manifest.md) and launches it with
the runtime's C API (include/prism/Runtime/Runtime.h) through ctypes: the
caller passes the manifest's input buffers as CUDA tensors, the outputs are
allocated with torch.empty and returned, and the launch goes on torch's
current stream, so it is ordered with the caller's other work.

The library is $PRISM_RUNTIME_LIB, else this checkout's
build/lib/libprism_runtime.so, else libprism_runtime.so on the loader's
search path. PyTorch is imported only when a kernel is called, so this
module (and the package) imports without it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIBRARY_NAME = "libprism_runtime.so"

# prism_rt_status.
SUCCESS = 0
INVALID_ARGUMENT = 1
NO_DEVICE = 2
CUDA_ERROR = 3
MANIFEST_ERROR = 4
IO_ERROR = 5
OUT_OF_MEMORY = 6

#: Manifest dtype -> name of the torch dtype.
TORCH_DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16",
                "i32": "int32", "i64": "int64"}

_handle = ctypes.c_void_p
_status = ctypes.c_int
_out = ctypes.POINTER(ctypes.c_void_p)
_copy = (_status, [_handle, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t])

#: (restype, argtypes) of every function of Runtime.h.
SIGNATURES: Dict[str, Tuple[Any, List[Any]]] = {
    "prism_rt_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "prism_rt_last_error": (ctypes.c_char_p, []),
    "prism_rt_init": (_status, [ctypes.c_int, _out]),
    "prism_rt_context_destroy": (_status, [_handle]),
    "prism_rt_device_name": (ctypes.c_char_p, [_handle]),
    "prism_rt_synchronize": (_status, [_handle]),
    "prism_rt_program_load": (_status, [_handle, ctypes.c_char_p, ctypes.c_char_p, _out]),
    "prism_rt_program_load_file": (_status, [_handle, ctypes.c_char_p, _out]),
    "prism_rt_program_destroy": (_status, [_handle]),
    "prism_rt_program_num_buffers": (ctypes.c_int, [_handle]),
    "prism_rt_launch": (_status, [_handle, _handle, ctypes.c_int,
                                  ctypes.POINTER(ctypes.c_void_p),
                                  ctypes.POINTER(ctypes.POINTER(ctypes.c_int64)),
                                  ctypes.POINTER(ctypes.c_int)]),
    "prism_rt_malloc": (_status, [_handle, ctypes.c_size_t, _out]),
    "prism_rt_free": (_status, [_handle, ctypes.c_void_p]),
    "prism_rt_memset": (_status, [_handle, ctypes.c_void_p, ctypes.c_ubyte, ctypes.c_size_t]),
    "prism_rt_copy_to_device": _copy,
    "prism_rt_copy_to_host": _copy,
    "prism_rt_copy_device": _copy,
    "prism_rt_stream_create": (_status, [_handle, _out]),
    "prism_rt_stream_wrap": (_status, [_handle, ctypes.c_void_p, _out]),
    "prism_rt_stream_destroy": (_status, [_handle]),
    "prism_rt_stream_synchronize": (_status, [_handle, _handle]),
    "prism_rt_event_create": (_status, [_handle, _out]),
    "prism_rt_event_destroy": (_status, [_handle]),
    "prism_rt_event_record": (_status, [_handle, _handle]),
    "prism_rt_event_elapsed_ms": (_status, [_handle, _handle, ctypes.POINTER(ctypes.c_float)]),
}


class PrismRuntimeError(RuntimeError):
    """A runtime call failed; the message is prism_rt_last_error()'s."""

    def __init__(self, message: str, status: int, status_name: str) -> None:
        super().__init__(message)
        self.status = status
        self.status_name = status_name


# -- the library -----------------------------------------------------------

_libraries: Dict[str, ctypes.CDLL] = {}
_libraries_lock = threading.Lock()


def library_path() -> str:
    """Where the runtime library is looked for first."""
    env = os.environ.get("PRISM_RUNTIME_LIB")
    if env:
        return env
    built = os.path.join(REPO_ROOT, "build", "lib", LIBRARY_NAME)
    return built if os.path.exists(built) else LIBRARY_NAME


def load_library(path: Optional[str] = None) -> ctypes.CDLL:
    """Opens the runtime library (once per path) and declares the C API's
    signatures on it."""
    path = path or library_path()
    with _libraries_lock:
        if path in _libraries:
            return _libraries[path]
        if os.sep in path and not os.path.exists(path):
            raise RuntimeError(f"prism runtime library not found: {path} (build it with "
                               f"`ninja -C build prism-runtime-shared`, or set "
                               f"$PRISM_RUNTIME_LIB)")
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise RuntimeError(f"cannot load the prism runtime library {path}: {e} (build "
                               f"it with `ninja -C build prism-runtime-shared`, or set "
                               f"$PRISM_RUNTIME_LIB)") from None
        for name, (restype, argtypes) in SIGNATURES.items():
            try:
                function = getattr(lib, name)
            except AttributeError:
                raise RuntimeError(f"{path} does not export {name}: it is older than this "
                                   f"package; rebuild prism-runtime-shared") from None
            function.restype = restype
            function.argtypes = argtypes
        _libraries[path] = lib
        return lib


def _error(lib: ctypes.CDLL, status: int, what: str) -> PrismRuntimeError:
    """The exception for a failed call; read right after the call, since the
    message is per thread and the next failure replaces it."""
    name = (lib.prism_rt_status_name(status) or b"?").decode()
    message = (lib.prism_rt_last_error() or b"").decode(errors="replace")
    return PrismRuntimeError(f"{what}: {name}: {message}", status, name)


# -- PyTorch ---------------------------------------------------------------

def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError("calling a prism.Kernel needs PyTorch (pip install torch)") from None
    return torch


def _device_guard(index: int):
    """Makes `index` torch's current device for the block. The runtime makes
    the device's primary context current, which the CUDA runtime reads as
    its current device: the guard restores torch's afterwards."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return torch.cuda.device(index)
    return contextlib.nullcontext()


def _dtype_name(tensor) -> str:
    return str(tensor.dtype).replace("torch.", "")


# -- kernels ---------------------------------------------------------------

@dataclass
class Binding:
    """What a call binds: the device, the symbols' values, and per caller
    buffer (manifest order) the given tensor (None: to allocate) and shape."""
    device: int
    symbols: Dict[str, int]
    tensors: List[Any]
    shapes: List[Tuple[int, ...]]


class Kernel:
    """A compiled program, callable on torch CUDA tensors.

        kernel = Kernel(program)            # a Program, or a .manifest.json path
        o, final_state = kernel(q, k, v, g, beta, initial_state)

    Inputs go by position (the manifest's input order, `kernel.inputs`) or by
    name; an output buffer may also be passed by name to be written in place,
    otherwise it is allocated. Outputs come back as a tuple in manifest order
    (`kernel.outputs`). The module is loaded on the device of the tensors at
    the first call there, or at once on `device` when one is given.

    Programs with workspaces (the manifest's "workspace" buffers) reuse one
    per device, so calls of one Kernel on different streams must not overlap.
    """

    def __init__(self, program, device: Optional[int] = None,
                 library: Optional[str] = None) -> None:
        # A Program compiled into a temporary folder keeps it while it lives.
        self._program = program
        path = getattr(program, "manifest_path", program)
        self.manifest_path = os.path.abspath(os.fspath(path))
        with open(self.manifest_path) as f:
            self.manifest = json.load(f)
        self.name = self.manifest.get("function", "?")
        if self.manifest.get("backend") != "cuda":
            raise ValueError(f"{self.manifest_path}: backend {self.manifest.get('backend')!r}:"
                             f" a Kernel runs only cuda programs (compile with target='cuda')")
        self._buffers = [b for b in self.manifest["buffers"] if b["role"] != "workspace"]
        self.inputs = tuple(b["name"] for b in self._buffers if b["role"] == "input")
        self.outputs = tuple(b["name"] for b in self._buffers if b["role"] == "output")
        self._lib = load_library(library)
        self._lock = threading.Lock()
        # device -> (context, program) handles.
        self._loaded: Dict[int, Tuple[int, int]] = {}
        if device is not None:
            self.load(device)

    def __repr__(self) -> str:
        return (f"Kernel({self.name!r}, inputs=({', '.join(self.inputs)}), "
                f"outputs=({', '.join(self.outputs)}))")

    # -- loading --------------------------------------------------------
    def load(self, device: int) -> None:
        """Loads the module on `device` (once)."""
        lib = self._lib
        with self._lock:
            if device in self._loaded:
                return
            ctx, program = ctypes.c_void_p(), ctypes.c_void_p()
            with _device_guard(device):
                status = lib.prism_rt_init(device, ctypes.byref(ctx))
                if status != SUCCESS:
                    raise _error(lib, status, f"prism: cannot use CUDA device {device} for "
                                              f"'{self.name}'")
                status = lib.prism_rt_program_load_file(ctx, self.manifest_path.encode(),
                                                        ctypes.byref(program))
                if status != SUCCESS:
                    error = _error(lib, status, f"prism: loading {self.manifest_path}")
                    lib.prism_rt_context_destroy(ctx)
                    raise error
            count = lib.prism_rt_program_num_buffers(program)
            if count != len(self._buffers):
                raise RuntimeError(f"{self.manifest_path}: the runtime counts {count} caller "
                                   f"buffers, this package {len(self._buffers)}")
            self._loaded[device] = (ctx.value, program.value)

    def close(self) -> None:
        """Unloads the module from every device; the Kernel loads it again
        if called."""
        lib = self._lib
        with self._lock:
            loaded, self._loaded = self._loaded, {}
        for device, (ctx, program) in loaded.items():
            with _device_guard(device):
                lib.prism_rt_program_destroy(program)
                lib.prism_rt_context_destroy(ctx)

    def __del__(self) -> None:
        try:
            if getattr(self, "_loaded", None):
                self.close()
        except Exception:  # Interpreter shutdown: nothing left to report to.
            pass

    # -- arguments ------------------------------------------------------
    def bind(self, *args, **kwargs) -> Binding:
        """Checks a call's tensors against the manifest (device, dtype,
        contiguity, rank, static dimensions, consistent symbols) and works
        out the outputs' shapes. Needs no GPU and no torch import."""
        fn = f"{self.name}()"
        if len(args) > len(self.inputs):
            raise TypeError(f"{fn} takes {len(self.inputs)} input tensors "
                            f"({', '.join(self.inputs)}), got {len(args)}")
        given = dict(zip(self.inputs, args))
        names = {b["name"] for b in self._buffers}
        for name, tensor in kwargs.items():
            if name not in names:
                raise TypeError(f"{fn} has no buffer '{name}' (inputs: {', '.join(self.inputs)};"
                                f" outputs: {', '.join(self.outputs)})")
            if name in given:
                raise TypeError(f"{fn} got two tensors for buffer '{name}'")
            given[name] = tensor
        missing = [n for n in self.inputs if n not in given]
        if missing:
            raise TypeError(f"{fn} is missing input(s) {', '.join(missing)} "
                            f"(inputs in order: {', '.join(self.inputs)})")

        device: Optional[int] = None
        first = ""
        symbols: Dict[str, int] = {}
        source: Dict[str, str] = {}
        tensors: List[Any] = []
        for b in self._buffers:
            name, tensor = b["name"], given.get(b["name"])
            tensors.append(tensor)
            if tensor is None:
                continue
            what = f"{fn}: buffer '{name}'"
            if not all(hasattr(tensor, a) for a in ("device", "dtype", "shape", "data_ptr")):
                raise TypeError(f"{what} is a {type(tensor).__name__}, expected a torch.Tensor")
            if tensor.device.type != "cuda":
                raise ValueError(f"{what} is on {tensor.device}: expected a CUDA tensor")
            index = tensor.device.index or 0
            if device is None:
                device, first = index, name
            elif index != device:
                raise ValueError(f"{what} is on cuda:{index}, but '{first}' is on "
                                 f"cuda:{device}: all buffers must be on one device")
            expected = TORCH_DTYPES.get(b["dtype"])
            if expected is None:
                raise TypeError(f"{what} has dtype {b['dtype']} in the manifest, which "
                                f"torch cannot hold")
            if _dtype_name(tensor) != expected:
                raise TypeError(f"{what} has dtype torch.{_dtype_name(tensor)}, but the program "
                                f"takes {b['dtype']} (torch.{expected})")
            if not tensor.is_contiguous():
                raise ValueError(f"{what} is not contiguous: pass tensor.contiguous()")
            shape = tuple(int(d) for d in tensor.shape)
            want = "[" + ", ".join(str(d) for d in b["shape"]) + "]"
            if len(shape) != len(b["shape"]):
                raise ValueError(f"{what} has shape {list(shape)}, but the program takes "
                                 f"{want} (rank {len(b['shape'])})")
            for axis, (have, dim) in enumerate(zip(shape, b["shape"])):
                if isinstance(dim, str):
                    if dim not in symbols:
                        symbols[dim], source[dim] = have, name
                    elif symbols[dim] != have:
                        raise ValueError(f"{what} has shape {list(shape)}: {dim} is {have} "
                                         f"there but {symbols[dim]} in '{source[dim]}'")
                elif have != dim:
                    raise ValueError(f"{what} has shape {list(shape)}, but the program takes "
                                     f"{want}: dimension {axis} must be {dim}")

        shapes: List[Tuple[int, ...]] = []
        for b, tensor in zip(self._buffers, tensors):
            if tensor is not None:
                shapes.append(tuple(int(d) for d in tensor.shape))
                continue
            unbound = [d for d in b["shape"] if isinstance(d, str) and d not in symbols]
            if unbound:
                raise ValueError(f"{fn}: the shape of output '{b['name']}' needs "
                                 f"{', '.join(unbound)}, which no input binds")
            shapes.append(tuple(symbols[d] if isinstance(d, str) else d for d in b["shape"]))
        return Binding(device if device is not None else 0, symbols, tensors, shapes)

    # -- calls ----------------------------------------------------------
    def __call__(self, *args, **kwargs) -> tuple:
        torch = _import_torch()
        binding = self.bind(*args, **kwargs)
        tensors = list(binding.tensors)
        for i, b in enumerate(self._buffers):
            if tensors[i] is None:
                tensors[i] = torch.empty(binding.shapes[i],
                                         dtype=getattr(torch, TORCH_DTYPES[b["dtype"]]),
                                         device=torch.device("cuda", binding.device))
        self.load(binding.device)
        ctx, program = self._loaded[binding.device]

        n = len(tensors)
        pointers = (ctypes.c_void_p * n)(*[t.data_ptr() or None for t in tensors])
        dims = [(ctypes.c_int64 * len(s))(*s) for s in binding.shapes]
        shapes = (ctypes.POINTER(ctypes.c_int64) * n)(
            *[ctypes.cast(d, ctypes.POINTER(ctypes.c_int64)) for d in dims])
        ranks = (ctypes.c_int * n)(*[len(s) for s in binding.shapes])

        lib = self._lib
        with _device_guard(binding.device):
            handle = torch.cuda.current_stream(binding.device).cuda_stream
            stream = ctypes.c_void_p()
            status = lib.prism_rt_stream_wrap(ctx, ctypes.c_void_p(handle or None),
                                              ctypes.byref(stream))
            if status != SUCCESS:
                raise _error(lib, status, f"prism: {self.name}")
            try:
                with self._lock:
                    status = lib.prism_rt_launch(program, stream, n, pointers, shapes, ranks)
                    if status != SUCCESS:
                        raise _error(lib, status, f"prism: {self.name}")
            finally:
                lib.prism_rt_stream_destroy(stream)
        return tuple(t for t, b in zip(tensors, self._buffers) if b["role"] == "output")
