// RUN: prism-opt %s -split-input-file | prism-opt -split-input-file | FileCheck %s
// RUN: prism-opt %s -split-input-file --mlir-print-op-generic | prism-opt -split-input-file | FileCheck %s

// Round trips of the attributes a lowering leaves on its program
// (ProgramAttrs.td): #recurrence.buffer on every argument and
// #recurrence.program on the function, from which lib/Target builds the
// manifest. Entries of #recurrence.program may come in any order; they are
// printed in one, optional ones only when set.

//===----------------------------------------------------------------------===//
// Programs
//===----------------------------------------------------------------------===//

// A gated delta rule whose refinement write path reads a short convolution:
// every optional entry set, static buffers without sizes, a workspace sized
// by an expression.

// CHECK-LABEL: func.func @prism_layer(
// CHECK-SAME:    %{{.+}}: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["B", "T"]>}
// CHECK-SAME:    %{{.+}}: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"conv0_in", input, read, sizes = ["B", "T"]>}
// CHECK-SAME:    %{{.+}}: memref<2x16x4xf32> {recurrence.buffer = #recurrence.buffer<"conv0_weight", input, read>}
// CHECK-SAME:    %{{.+}}: memref<2x16xf32> {recurrence.buffer = #recurrence.buffer<"conv0_bias", input, read>}
// CHECK-SAME:    %{{.+}}: memref<?x3x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"conv0_cache", input, read, sizes = ["B"]>}
// CHECK-SAME:    %{{.+}}: memref<?x?x2x16xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>}
// CHECK-SAME:    %{{.+}}: memref<?x2x16x16xf32> {recurrence.buffer = #recurrence.buffer<"final_state", output, write, sizes = ["B"]>}
// CHECK-SAME:    %{{.+}}: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"u", workspace, readwrite, sizes = ["B", "T"]>}
// CHECK-SAME:    %{{.+}}: memref<?x2x?x16x16xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// CHECK-SAME:    attributes {recurrence.program = #recurrence.program<forget = delta, heads = 2, key_dim = 16, value_dim = 16, scale = 2.500000e-01, state_layout = vk, query = 0, keys = [6], inject_gates = [8], log_decay = 9, erase_key = 6, erase_strength = 8, erase_beta_max = 2.000000e+00, normalize_erase_key = true, refine = <anchor = 13, value = 5, gains = [7], activation = gelu>, short_convs = [<input = 1, weight = 2, bias = 3, cache = 4, activation = silu, output = 13>], initial_state = 10, output = 11, final_state = 12>}
func.func @prism_layer(
    %q: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["B", "T"]>},
    %x: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"conv0_in", input, read, sizes = ["B", "T"]>},
    %w: memref<2x16x4xf32> {recurrence.buffer = #recurrence.buffer<"conv0_weight", input, read>},
    %bias: memref<2x16xf32> {recurrence.buffer = #recurrence.buffer<"conv0_bias", input, read>},
    %cache: memref<?x3x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"conv0_cache", input, read, sizes = ["B"]>},
    %v: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"v", input, read, sizes = ["B", "T"]>},
    %k: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"k", input, read, sizes = ["B", "T"]>},
    %p: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"p0", input, read, sizes = ["B", "T"]>},
    %beta: memref<?x?x2xbf16> {recurrence.buffer = #recurrence.buffer<"beta", input, read, sizes = ["B", "T"]>},
    %g: memref<?x?x2xf32> {recurrence.buffer = #recurrence.buffer<"g", input, read, sizes = ["B", "T"]>},
    %s0: memref<?x2x16x16xf32> {recurrence.buffer = #recurrence.buffer<"initial_state", input, read, sizes = ["B"]>},
    %o: memref<?x?x2x16xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>},
    %s: memref<?x2x16x16xf32> {recurrence.buffer = #recurrence.buffer<"final_state", output, write, sizes = ["B"]>},
    %u: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"u", workspace, readwrite, sizes = ["B", "T"]>},
    %states: memref<?x2x?x16x16xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>})
    attributes {recurrence.program = #recurrence.program<
        forget = delta, query = 0, keys = [6], inject_gates = [8],
        refine = <anchor = 13, value = 5, gains = [7], activation = gelu>,
        short_convs = [<input = 1, weight = 2, bias = 3, cache = 4, activation = silu, output = 13>],
        log_decay = 9, erase_key = 6, erase_strength = 8, erase_beta_max = 2.0,
        normalize_erase_key = true, initial_state = 10, output = 11,
        final_state = 12, heads = 2, key_dim = 16, value_dim = 16,
        scale = 0.25, state_layout = vk>} {
  return
}

// -----

// Linear attention over static shapes: no optional entry, no sizes; the
// defaults (erase_beta_max = 1.0, normalize_erase_key = false) are not
// printed, and a scale that is no short decimal keeps every digit.

// CHECK-LABEL: func.func @linear_attention(
// CHECK-SAME:    memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read>}
// CHECK-SAME:    memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write>}
// CHECK-SAME:    attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 0.17677669529663687, state_layout = kv, query = 0, keys = [1, 1], values = [2, 2], output = 3>}
func.func @linear_attention(
    %q: memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read>},
    %k: memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"k", input, read>},
    %v: memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"v", input, read>},
    %o: memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write>})
    attributes {recurrence.program = #recurrence.program<forget = identity,
        heads = 1, key_dim = 4, value_dim = 4, scale = 0.17677669529663687,
        state_layout = kv, query = 0, keys = [1, 1], values = [2, 2],
        output = 3>} {
  return
}

// -----

// The CPU backend's host function keeps the description but not the
// memref arguments its indices refer to: only a func.func is checked
// against its buffers.

// CHECK-LABEL: llvm.func @host(
// CHECK-SAME:    attributes {recurrence.program = #recurrence.program<forget = scalar,
llvm.func @host(%arg0: !llvm.ptr) attributes {recurrence.program =
    #recurrence.program<forget = scalar, heads = 1, key_dim = 4,
    value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0,
    keys = [1], values = [2], log_decay = 3, output = 4>} {
  llvm.return
}

//===----------------------------------------------------------------------===//
// Specifications
//===----------------------------------------------------------------------===//

// -----

// A specification's argument may name the buffer it becomes.

// CHECK-LABEL: func.func @named(
// CHECK-SAME:    %{{.+}}: tensor<2x4xf32> {recurrence.name = "query"})
func.func @named(%q: tensor<2x4xf32> {recurrence.name = "query"}) {
  return
}

// -----

// A state-dependent program (a recurrence.step that stayed one): its body as
// instructions, for the oracle of programs without MLIR. Values 0 (state),
// 1-3 (slices of k, v, q), then one per instruction.

// CHECK-LABEL: func.func @explicit_solver(
// CHECK-SAME:    attributes {recurrence.program = #recurrence.step_program<heads = 2, key_dim = 8, value_dim = 4, state_layout = kv, inputs = [0, 1, 2], initial_state = 3, output = 4, body = [<op = "matvec", args = [0, 1], shape = [4]>, <op = "tanh", args = [4], shape = [4]>, <op = "sub", args = [2, 5], shape = [4]>, <op = "constant", values = [5.000000e-01]>, <op = "splat", args = [7], shape = [4]>, <op = "mul", args = [6, 8], shape = [4]>, <op = "outer", args = [9, 1], shape = [4, 8]>, <op = "add", args = [0, 10], shape = [4, 8]>, <op = "matvec", args = [11, 3], shape = [4]>], yield_state = 11, yield_output = 12>}
func.func @explicit_solver(
    %k: memref<?x?x2x8xf32> {recurrence.buffer = #recurrence.buffer<"x0", input, read, sizes = ["B", "T"]>},
    %v: memref<?x?x2x4xf32> {recurrence.buffer = #recurrence.buffer<"x1", input, read, sizes = ["B", "T"]>},
    %q: memref<?x?x2x8xf32> {recurrence.buffer = #recurrence.buffer<"x2", input, read, sizes = ["B", "T"]>},
    %s0: memref<?x2x8x4xf32> {recurrence.buffer = #recurrence.buffer<"initial_state", input, read, sizes = ["B"]>},
    %o: memref<?x?x2x4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>})
    attributes {recurrence.program = #recurrence.step_program<heads = 2,
        key_dim = 8, value_dim = 4, state_layout = kv, inputs = [0, 1, 2],
        initial_state = 3, output = 4,
        body = [#recurrence.step_instr<op = "matvec", args = [0, 1], shape = [4]>,
                #recurrence.step_instr<op = "tanh", args = [4], shape = [4]>,
                #recurrence.step_instr<op = "sub", args = [2, 5], shape = [4]>,
                #recurrence.step_instr<op = "constant", values = [5.000000e-01]>,
                #recurrence.step_instr<op = "splat", args = [7], shape = [4]>,
                #recurrence.step_instr<op = "mul", args = [6, 8], shape = [4]>,
                #recurrence.step_instr<op = "outer", args = [9, 1], shape = [4, 8]>,
                #recurrence.step_instr<op = "add", args = [0, 10], shape = [4, 8]>,
                #recurrence.step_instr<op = "matvec", args = [11, 3], shape = [4]>],
        yield_state = 11, yield_output = 12>} {
  return
}
