// RUN: prism-opt %s -split-input-file -prism-convert-recurrence-to-scf | FileCheck %s
// RUN: prism-opt %s -split-input-file -prism-convert-recurrence-to-scf=target=gpu | FileCheck %s --check-prefix=GPU

// Scalar decay: tensors become buffers (inputs, then outputs), the scan one
// scf.parallel nest over (h, b, v-tile, [k-part,] row) walking t in order
// with a register-resident state row.

// CHECK-LABEL: func.func @scalar(
// CHECK-SAME:      %[[Q:[^:]+]]: memref<2x?x4x32xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["T"]>}
// CHECK-SAME:      %[[K:[^:]+]]: memref<2x?x4x32xf32> {recurrence.buffer = #recurrence.buffer<"k", input, read, sizes = ["T"]>}
// CHECK-SAME:      %[[V:[^:]+]]: memref<2x?x4x16xf32> {recurrence.buffer = #recurrence.buffer<"v", input, read, sizes = ["T"]>}
// CHECK-SAME:      %[[G:[^:]+]]: memref<2x?x4xf32> {recurrence.buffer = #recurrence.buffer<"g", input, read, sizes = ["T"]>}
// CHECK-SAME:      %[[O:[^:]+]]: memref<2x?x4x16xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["T"]>}
// CHECK-SAME:      prism.schedule = #recurrence.schedule<sequential, v_tile = 16, k_split = 1, rows = 1>
// CHECK-SAME:      recurrence.program = #recurrence.program<forget = scalar, heads = 4, key_dim = 32, value_dim = 16, scale = 0.17677669529663687, state_layout = kv, query = 0, keys = [1], values = [2], log_decay = 3, output = 4>
// CHECK:         scf.parallel
// CHECK:           %[[T:.+]] = memref.dim %[[Q]], %{{.+}} : memref<2x?x4x32xf32>
// CHECK:           scf.for %{{.+}} = %{{.+}} to %[[T]] step %{{.+}} iter_args(%[[S:.+]] = %{{.+}}) -> (vector<32xf32>)
// CHECK:             %[[GT:.+]] = memref.load %[[G]]
// CHECK:             vector.load %[[K]]
// CHECK:             vector.load %[[Q]]
// CHECK:             %[[A:.+]] = math.exp %[[GT]] : f32
// CHECK:             vector.reduction <add>, %{{.+}} fastmath<reassoc>
// CHECK:             memref.store %{{.+}}, %[[O]]
// CHECK:             scf.yield
// CHECK:         } {prism.loop_roles = ["program", "program", "program", "lane"]}
// CHECK-NOT:     gpu.shuffle
// CHECK:         return

// For the gpu target, K = 32 stays with one lane a row: no shuffles either.
// GPU-LABEL: func.func @scalar(
// GPU-NOT:     gpu.shuffle
// GPU:         return
func.func @scalar(%q: tensor<2x?x4x32xf32>, %k: tensor<2x?x4x32xf32>,
                  %v: tensor<2x?x4x16xf32>, %g: tensor<2x?x4xf32>)
    -> tensor<2x?x4x16xf32> {
  %a = recurrence.scalar_forget %g : tensor<2x?x4xf32>
  %b = recurrence.inject keys(%k : tensor<2x?x4x32xf32>) values(%v : tensor<2x?x4x16xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 16, k_split = 1>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<2x?x4x32xf32>
      -> tensor<2x?x4x16xf32>
  return %o : tensor<2x?x4x16xf32>
}

// -----

// Gated delta rule with k_split = 4 for the gpu target (each lane holds 16 of K = 64),
// and every row dot product is completed by two butterfly shuffles; only the
// first lane of a row stores the output. On the CPU the row is whole.

// CHECK-LABEL: func.func @gated_delta(
// CHECK:         scf.for {{.+}} -> (vector<64xf32>)
// CHECK-NOT:       gpu.shuffle
// CHECK:           math.exp
// CHECK:         return

// GPU-LABEL: func.func @gated_delta(
// GPU-SAME:      prism.schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 4, rows = 1>
// GPU:         scf.for {{.+}} -> (vector<16xf32>)
// GPU:           vector.reduction <add>
// GPU:           gpu.shuffle  xor %{{.+}}, %{{.+}}, %{{.+}} : f32
// GPU:           gpu.shuffle  xor
// GPU:           math.exp
// GPU:           scf.if
// GPU:             memref.store
// GPU:       } {prism.loop_roles = ["program", "program", "program", "lane", "lane"]}
func.func @gated_delta(%q: tensor<?x?x2x64xbf16>, %k: tensor<?x?x2x64xbf16>,
                       %v: tensor<?x?x2x32xbf16>, %beta: tensor<?x?x2xbf16>,
                       %g: tensor<?x?x2xf32>) -> tensor<?x?x2x32xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x2xf32>)
      : tensor<?x?x2x64xbf16>, tensor<?x?x2xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x2x64xbf16>) values(%v : tensor<?x?x2x32xbf16>)
      gates(%beta : tensor<?x?x2xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 4>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x2x64xbf16>
      -> tensor<?x?x2x32xbf16>
  return %o : tensor<?x?x2x32xbf16>
}

// -----

// The refinement write path is fused: its inputs are read per step, GELU is
// computed in registers, and no buffer holds delta. The short convolution
// gets its own nest writing a workspace buffer (named after its use, the
// refinement's value v), launched before the scan.

// CHECK-LABEL: func.func @prism_layer(
// CHECK-SAME:      {recurrence.buffer = #recurrence.buffer<"u", input, read, sizes = ["T"]>}
// CHECK-SAME:      {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["T"]>}
// CHECK-SAME:      {recurrence.buffer = #recurrence.buffer<"v", workspace, readwrite, sizes = ["T"]>}
// CHECK:         scf.parallel
// CHECK:           arith.cmpi sge
// CHECK:           scf.if
// CHECK:           math.exp
// CHECK:           arith.divf
// CHECK:         } {prism.loop_roles = ["program", "program", "program", "lane"]}
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK-COUNT-2:     math.erf
// CHECK:         } {prism.loop_roles
func.func @prism_layer(%q: tensor<1x?x1x16xf32>, %x: tensor<1x?x1x16xf32>,
                       %cw: tensor<1x16x3xf32>, %u: tensor<1x?x1x16xf32>,
                       %k: tensor<1x?x1x16xf32>, %p0: tensor<1x?x1x16xf32>,
                       %p1: tensor<1x?x1x16xf32>) -> tensor<1x?x1x16xf32> {
  %c = recurrence.short_conv silu %x, %cw : tensor<1x?x1x16xf32>, tensor<1x16x3xf32> -> tensor<1x?x1x16xf32>
  %d:2 = recurrence.refine gelu %u, %c gains(%p0, %p1 : tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>)
      : tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32> -> tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k, %k : tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>)
      values(%d#0, %d#1 : tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>) -> !recurrence.injection<2>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<2>, tensor<1x?x1x16xf32>
      -> tensor<1x?x1x16xf32>
  return %o : tensor<1x?x1x16xf32>
}

// -----

// stages = 3: the loads of the next two steps are in flight while a step
// computes. A prologue (only when T > 0) loads steps 0 and 1; each iteration
// loads step t + 2, clamped to T - 1 so that every load stays in bounds, and
// carries the loaded values in storage precision.

// CHECK-LABEL: func.func @prefetch(
// CHECK:         %[[T:.+]] = memref.dim
// CHECK:         %[[LAST:.+]] = arith.subi %[[T]], %{{.+}} : index
// CHECK:         %[[ANY:.+]] = arith.cmpi sgt, %[[T]], %{{.+}} : index
// CHECK:         %[[PRE:.+]]:8 = scf.if %[[ANY]] -> (f32, bf16, vector<16xbf16>, vector<16xbf16>, f32, bf16, vector<16xbf16>, vector<16xbf16>)
// CHECK:         } else {
// CHECK:         scf.for %[[I:.+]] = %{{.+}} to %[[T]] step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %[[PRE]]#0, {{.+}}) -> (vector<16xf32>, f32, bf16, vector<16xbf16>, vector<16xbf16>, f32, bf16, vector<16xbf16>, vector<16xbf16>)
// CHECK:           %[[AHEAD:.+]] = arith.addi %[[I]], %{{.+}} : index
// CHECK:           %[[IDX:.+]] = arith.minsi %[[AHEAD]], %[[LAST]] : index
// CHECK:           memref.load %{{.+}}[%{{.+}}, %[[IDX]], %{{.+}}] : memref<1x?x2xf32>
// CHECK:           math.exp
// CHECK:           scf.yield
func.func @prefetch(%q: tensor<1x?x2x16xbf16>, %k: tensor<1x?x2x16xbf16>,
                    %v: tensor<1x?x2x16xbf16>, %g: tensor<1x?x2xf32>) -> tensor<1x?x2x16xbf16> {
  %a = recurrence.scalar_forget %g : tensor<1x?x2xf32>
  %b = recurrence.inject keys(%k : tensor<1x?x2x16xbf16>) values(%v : tensor<1x?x2x16xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, stages = 3>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<1x?x2x16xbf16>
      -> tensor<1x?x2x16xbf16>
  return %o : tensor<1x?x2x16xbf16>
}

// -----

// rows = 2: a lane carries two state rows, v and v + v_tile / 2; each loaded
// key and query slice serves both, per-row values are loaded per row.

// CHECK-LABEL: func.func @two_rows(
// CHECK:         scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-2:   memref.load %{{.+}} : memref<1x?x2x16xf32>
// CHECK:           vector.load
// CHECK-COUNT-2:   memref.store
// CHECK:           scf.yield %{{.+}}, %{{.+}} : vector<16xf32>, vector<16xf32>
// CHECK:       } {prism.loop_roles = ["program", "program", "program", "lane"]}
func.func @two_rows(%q: tensor<1x?x2x16xf32>, %k: tensor<1x?x2x16xf32>,
                    %v: tensor<1x?x2x16xf32>) -> tensor<1x?x2x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x?x2x16xf32>) values(%v : tensor<1x?x2x16xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, rows = 2>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x?x2x16xf32>
      -> tensor<1x?x2x16xf32>
  return %o : tensor<1x?x2x16xf32>
}
