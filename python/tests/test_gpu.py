"""Kernels on the GPU against a float64 PyTorch reference: Gated DeltaNet
(bf16, with initial and final state), the explicit solver of Eq. 6 written
as a step body (bf16, state-dependent) and linear attention (f32), called on
torch tensors, on the default and on a side stream, at two problem sizes.
Skipped unless torch sees a CUDA device.

Where prism-opt cannot run (the GPU machine has no libMLIR), compile the
programs here and point the test at them:

    python3 python/tests/test_gpu.py DIR          # on the build machine
    PRISM_TEST_PROGRAMS=DIR PRISM_RUNTIME_LIB=.../libprism_runtime.so \\
        python3 -m pytest python/tests/test_gpu.py   # on the GPU machine
"""

import os
import sys

import pytest

try:
    import torch
except ImportError:
    torch = None

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import prism  # noqa: E402
from prism import Kernel, Spec  # noqa: E402

pytestmark = pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                                reason="needs PyTorch with a CUDA device")

EXAMPLES = os.path.join(prism.compiler.REPO_ROOT, "docs", "examples")
PROGRAMS = {
    "gdn": Spec(name="gdn", forget="delta", delta_gate=True, inject_gates=True,
                initial_state=True, final_state=True, heads=4, key_dim=64, value_dim=64),
    "linear_attention": os.path.join(EXAMPLES, "linear_attention.mlir"),
    "eq6": prism.explicit_solver("eq6", inner_steps=2, heads=4, key_dim=64, value_dim=32,
                                 initial_state=True, final_state=True),
}
SIZES = [(2, 77), (1, 130)]


def prepare(directory):
    for source in PROGRAMS.values():
        prism.compile(source, output_dir=directory)


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    directory = os.environ.get("PRISM_TEST_PROGRAMS")
    if not directory:
        directory = str(tmp_path_factory.mktemp("programs"))
        prepare(directory)
    return {name: Kernel(os.path.join(directory, name + ".manifest.json")) for name in PROGRAMS}


def reference(q, k, v, scale, g=None, beta=None, initial_state=None):
    """prism-math.md sections 1-2, one step at a time in float64: S (V x K
    per batch and head) is S_{t-1} A_t + B_t with A_t = exp(g_t)(I - beta_t
    k_t k_t^T) (identity without g and beta) and B_t = beta_t v_t k_t^T;
    o_t = scale S_t q_t. States are stored [B, H, K, V]."""
    q, k, v = (x.double() for x in (q, k, v))
    B, T, H, K = q.shape
    V = v.shape[-1]
    eye = torch.eye(K, dtype=torch.float64, device=q.device)
    S = (torch.zeros(B, H, V, K, dtype=torch.float64, device=q.device)
         if initial_state is None else initial_state.double().transpose(-1, -2))
    out = torch.empty(B, T, H, V, dtype=torch.float64, device=q.device)
    for t in range(T):
        kt, vt = k[:, t], v[:, t]
        A = eye.expand(B, H, K, K)
        inject = vt[..., :, None] * kt[..., None, :]
        if beta is not None:
            b = beta[:, t].double()[..., None, None]
            A = A - b * kt[..., :, None] * kt[..., None, :]
            inject = b * inject
        if g is not None:
            A = torch.exp(g[:, t].double())[..., None, None] * A
        S = S @ A + inject
        out[:, t] = scale * (S @ q[:, t, ..., None]).squeeze(-1)
    return out, S.transpose(-1, -2)


def relative_error(got, want):
    return ((got.double() - want).norm() / want.norm()).item()


def gdn_inputs(B, T, generator):
    def normal(*shape):
        return torch.randn(*shape, generator=generator, device="cuda")
    H, K, V = 4, 64, 64
    return dict(
        q=normal(B, T, H, K).bfloat16(),
        k=torch.nn.functional.normalize(normal(B, T, H, K), dim=-1).bfloat16(),
        beta=torch.sigmoid(normal(B, T, H)).bfloat16(),
        g=torch.nn.functional.logsigmoid(normal(B, T, H) + 4.0),
        v=normal(B, T, H, V).bfloat16(),
        initial_state=normal(B, H, K, V),
    )


@pytest.mark.parametrize("B, T", SIZES)
@pytest.mark.parametrize("side_stream", [False, True])
def test_gated_deltanet(kernels, B, T, side_stream):
    kernel = kernels["gdn"]
    inputs = gdn_inputs(B, T, torch.Generator(device="cuda").manual_seed(B * 1000 + T))
    stream = torch.cuda.Stream() if side_stream else torch.cuda.current_stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        o, final_state = kernel(**inputs)
    torch.cuda.synchronize()
    assert (o.dtype, tuple(o.shape)) == (torch.bfloat16, (B, T, 4, 64))
    assert (final_state.dtype, tuple(final_state.shape)) == (torch.float32, (B, 4, 64, 64))
    scale = kernel.manifest["recurrence"]["scale"]
    want_o, want_s = reference(inputs["q"], inputs["k"], inputs["v"], scale, g=inputs["g"],
                               beta=inputs["beta"], initial_state=inputs["initial_state"])
    assert torch.isfinite(o).all() and torch.isfinite(final_state).all()
    assert relative_error(o, want_o) <= 1e-2
    assert relative_error(final_state, want_s) <= 1e-2


def eq6_reference(k, v, q, beta_logit, initial_state, inner_steps):
    """prism-math.md section 4 in float64, written here and not from the
    body: per token and inner step z = S k^, S += sigmoid(b) (1 - tanh(z)^2)
    (v - tanh(z)) k^^T with k^ = k / |k|; o_t = S_t q_t / sqrt(K)."""
    k, v, q = (x.double() for x in (k, v, q))
    B, T, H, K = k.shape
    S = initial_state.double().transpose(-1, -2)  # [B, H, V, K]
    out = torch.empty(B, T, H, v.shape[-1], dtype=torch.float64, device=k.device)
    for t in range(T):
        kt = torch.nn.functional.normalize(k[:, t], dim=-1)
        rate = torch.sigmoid(beta_logit[:, t].double())[..., None]
        for _ in range(inner_steps):
            f = torch.tanh((S @ kt[..., None]).squeeze(-1))
            d = rate * (1 - f * f) * (v[:, t] - f)
            S = S + d[..., :, None] * kt[..., None, :]
        out[:, t] = (S @ q[:, t, ..., None]).squeeze(-1) / K ** 0.5
    return out, S.transpose(-1, -2)


@pytest.mark.parametrize("B, T", SIZES)
def test_explicit_solver(kernels, B, T):
    kernel = kernels["eq6"]
    gen = torch.Generator(device="cuda").manual_seed(7 * T + B)
    H, K, V = 4, 64, 32
    inputs = dict(
        k=torch.randn(B, T, H, K, generator=gen, device="cuda").bfloat16(),
        v=torch.randn(B, T, H, V, generator=gen, device="cuda").bfloat16(),
        q=torch.randn(B, T, H, K, generator=gen, device="cuda").bfloat16(),
        beta_logit=torch.randn(B, T, H, generator=gen, device="cuda"),
        initial_state=0.1 * torch.randn(B, H, K, V, generator=gen, device="cuda"),
    )
    o, final_state = kernel(**inputs)
    torch.cuda.synchronize()
    assert (o.dtype, tuple(o.shape)) == (torch.bfloat16, (B, T, H, V))
    want_o, want_s = eq6_reference(**inputs, inner_steps=2)
    assert torch.isfinite(o).all() and torch.isfinite(final_state).all()
    assert relative_error(o, want_o) <= 1e-2
    assert relative_error(final_state, want_s) <= 1e-2


@pytest.mark.parametrize("B, T", SIZES)
def test_linear_attention(kernels, B, T):
    kernel = kernels["linear_attention"]
    gen = torch.Generator(device="cuda").manual_seed(T)
    q, k = (torch.randn(B, T, 2, 32, generator=gen, device="cuda") for _ in range(2))
    v = torch.randn(B, T, 2, 48, generator=gen, device="cuda")
    (o,) = kernel(q, k, v)  # positional, in manifest order
    torch.cuda.synchronize()
    assert (o.dtype, tuple(o.shape)) == (torch.float32, (B, T, 2, 48))
    want, _ = reference(q, k, v, kernel.manifest["recurrence"]["scale"])
    assert relative_error(o, want) <= 1e-4


def test_output_written_in_place(kernels):
    kernel = kernels["linear_attention"]
    q, k = (torch.randn(1, 16, 2, 32, device="cuda") for _ in range(2))
    v = torch.randn(1, 16, 2, 48, device="cuda")
    out = torch.full((1, 16, 2, 48), float("nan"), device="cuda")
    (o,) = kernel(q, k, v, o=out)
    assert o is out
    (fresh,) = kernel(q, k, v)
    torch.cuda.synchronize()
    assert torch.equal(out, fresh)


def test_errors_name_the_buffer(kernels):
    kernel = kernels["gdn"]
    inputs = gdn_inputs(2, 5, torch.Generator(device="cuda").manual_seed(0))
    with pytest.raises(TypeError, match="buffer 'k' has dtype torch.float32"):
        kernel(**dict(inputs, k=inputs["k"].float()))
    with pytest.raises(ValueError, match="buffer 'q' is on cpu"):
        kernel(**dict(inputs, q=inputs["q"].cpu()))
    with pytest.raises(ValueError, match="buffer 'v' is not contiguous"):
        kernel(**dict(inputs, v=inputs["v"].transpose(0, 1).contiguous().transpose(0, 1)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    prepare(sys.argv[1])
    print(f"programs for {', '.join(PROGRAMS)} written to {sys.argv[1]}")
