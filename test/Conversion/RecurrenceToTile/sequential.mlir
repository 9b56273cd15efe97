// RUN: prism-opt %s -split-input-file -prism-select-schedule -prism-convert-recurrence-to-tile -canonicalize -cse | FileCheck %s

// The sequential schedule at the tile level: a kernel per (head, batch,
// V-tile) whose loop over the tokens carries the V-tile x K state tile; the
// forget family's step (ForgetAlgebra), the rank-L injection as outer
// products, the readout as a row reduction.

func.func @gated_delta(%q: tensor<?x?x4x32xbf16>, %k: tensor<?x?x4x32xbf16>,
                       %v: tensor<?x?x4x32xbf16>, %beta: tensor<?x?x4xbf16>,
                       %g: tensor<?x?x4xf32>, %s0: tensor<?x4x32x32xf32>)
    -> (tensor<?x?x4x32xbf16>, tensor<?x4x32x32xf32>) {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>) {normalize}
      : tensor<?x?x4x32xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x32xbf16>) values(%v : tensor<?x?x4x32xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x32x32xf32>)
      {schedule = #recurrence.schedule<sequential, v_tile = 16>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x32xbf16>
      -> tensor<?x?x4x32xbf16>, tensor<?x4x32x32xf32>
  return %o, %s : tensor<?x?x4x32xbf16>, tensor<?x4x32x32xf32>
}

// CHECK-LABEL: func.func @gated_delta(
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: memref<?x?x4x32xbf16> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["B", "T"]>}
// CHECK-SAME:    %[[K:[a-z0-9]+]]: memref<?x?x4x32xbf16> {recurrence.buffer = #recurrence.buffer<"k",
// CHECK-SAME:    %[[V:[a-z0-9]+]]: memref<?x?x4x32xbf16> {recurrence.buffer = #recurrence.buffer<"v",
// CHECK-SAME:    %[[BETA:[a-z0-9]+]]: memref<?x?x4xbf16> {recurrence.buffer = #recurrence.buffer<"beta",
// CHECK-SAME:    %[[G:[a-z0-9]+]]: memref<?x?x4xf32> {recurrence.buffer = #recurrence.buffer<"g",
// CHECK-SAME:    %[[S0:[a-z0-9]+]]: memref<?x4x32x32xf32> {recurrence.buffer = #recurrence.buffer<"initial_state",
// CHECK-SAME:    %[[O:[a-z0-9]+]]: memref<?x?x4x32xbf16> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>}
// CHECK-SAME:    %[[SF:[a-z0-9]+]]: memref<?x4x32x32xf32> {recurrence.buffer = #recurrence.buffer<"final_state", output, write, sizes = ["B"]>}
// CHECK-SAME:    prism.schedule = #recurrence.schedule<sequential, v_tile = 16
// CHECK-SAME:    recurrence.program = #recurrence.program<forget = delta, heads = 4, key_dim = 32, value_dim = 32, scale = 0.17677669529663687, state_layout = kv, query = 0, keys = [1], values = [2], inject_gates = [3], log_decay = 4, erase_key = 1, erase_strength = 3, normalize_erase_key = true, initial_state = 5, output = 6, final_state = 7>
// CHECK:       tile.kernel "scan" grid(%{{.+}}, %{{.+}}, %c2)
// CHECK-NEXT:  ^bb0(%[[H:.+]]: index, %[[B:.+]]: index, %[[VT:.+]]: index):
// CHECK:         %[[V0:.+]] = arith.muli %[[VT]], %c16
// The state tile of the initial state, transposed from [K, V] storage.
// CHECK:         %[[INIT:.+]] = tile.load %[[S0]][%[[B]], %[[H]], %c0, %[[V0]]] dims [3, 2] : memref<?x4x32x32xf32> -> tensor<16x32xf32>
// CHECK:         %[[WALK:.+]] = scf.for %[[T:.+]] = %c0 to %{{.+}} step %c1 iter_args(%[[S:.+]] = %[[INIT]]) -> (tensor<16x32xf32>)
// The erase key, normalised; S - beta (S w) w^T; the gate.
// CHECK:           tile.load %[[K]][%[[B]], %[[T]], %[[H]], %c0] dims [3] : memref<?x?x4x32xbf16> -> tensor<32xbf16>
// CHECK:           tile.reduce add
// CHECK:           math.sqrt
// CHECK:           memref.load %[[BETA]][%[[B]], %[[T]], %[[H]]]
// CHECK:           %[[SW:.+]] = tile.reduce add %{{.+}} dim 1 : tensor<16x32xf32> -> tensor<16xf32>
// CHECK:           arith.subf %[[S]],
// CHECK:           memref.load %[[G]][%[[B]], %[[T]], %[[H]]]
// CHECK:           math.exp
// The injection of the V-tile's values, gated by beta.
// CHECK:           tile.load %[[V]][%[[B]], %[[T]], %[[H]], %[[V0]]] dims [3] : memref<?x?x4x32xbf16> -> tensor<16xbf16>
// CHECK:           tile.broadcast %{{.+}} dim 1 : tensor<16xf32> -> tensor<16x32xf32>
// CHECK:           %[[NEXT:.+]] = arith.addf
// The readout.
// CHECK:           tile.load %[[Q]][%[[B]], %[[T]], %[[H]], %c0] dims [3]
// CHECK:           tile.reduce add %{{.+}} dim 1 : tensor<16x32xf32> -> tensor<16xf32>
// CHECK:           %[[OT:.+]] = arith.truncf %{{.+}} : tensor<16xf32> to tensor<16xbf16>
// CHECK:           tile.store %[[OT]], %[[O]][%[[B]], %[[T]], %[[H]], %[[V0]]] dims [3] : tensor<16xbf16>, memref<?x?x4x32xbf16>
// CHECK:           scf.yield %[[NEXT]] : tensor<16x32xf32>
// CHECK:         tile.store %[[WALK]], %[[SF]][%[[B]], %[[H]], %c0, %[[V0]]] dims [3, 2]
// CHECK-NOT:   recurrence.

// -----

// Diagonal decay, rank 2 with per-injection gates, vk state layout: the
// state tile is stored as it is.
func.func @gla_rank2(%q: tensor<2x?x4x32xf32>, %k0: tensor<2x?x4x32xf32>, %k1: tensor<2x?x4x32xf32>,
                     %v0: tensor<2x?x4x64xf32>, %v1: tensor<2x?x4x64xf32>,
                     %c0: tensor<2x?x4xf32>, %c1: tensor<2x?x4xf32>,
                     %g: tensor<2x?x4x32xf32>) -> (tensor<2x?x4x64xf32>, tensor<2x4x64x32xf32>) {
  %a = recurrence.diagonal_forget %g : tensor<2x?x4x32xf32>
  %b = recurrence.inject keys(%k0, %k1 : tensor<2x?x4x32xf32>, tensor<2x?x4x32xf32>)
      values(%v0, %v1 : tensor<2x?x4x64xf32>, tensor<2x?x4x64xf32>)
      gates(%c0, %c1 : tensor<2x?x4xf32>, tensor<2x?x4xf32>) -> !recurrence.injection<2>
  %o, %s = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential>, state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<diagonal>, !recurrence.injection<2>, tensor<2x?x4x32xf32>
      -> tensor<2x?x4x64xf32>, tensor<2x4x64x32xf32>
  return %o, %s : tensor<2x?x4x64xf32>, tensor<2x4x64x32xf32>
}

// CHECK-LABEL: func.func @gla_rank2(
// CHECK-SAME:    %[[SF:[a-z0-9]+]]: memref<2x4x64x32xf32> {recurrence.buffer = #recurrence.buffer<"final_state", output, write>}
// CHECK:       tile.kernel "scan"
// CHECK:         scf.for
// The per-channel decay, broadcast over the state's rows.
// CHECK:           math.exp %{{.+}} : tensor<32xf32>
// CHECK:           tile.broadcast %{{.+}} dim 0 : tensor<32xf32> -> tensor<64x32xf32>
// Two injections, each gated.
// CHECK-COUNT-2:   tile.splat %{{.+}} : f32 -> tensor<64xf32>
// CHECK:         tile.store %{{.+}}, %[[SF]][%{{.+}}, %{{.+}}, %{{.+}}, %c0] dims [2, 3] : tensor<64x32xf32>, memref<2x4x64x32xf32>

// -----

// The refinement write path: r = v - u, delta_l = gelu(p_l r_l), fused into
// the step; the short convolution producing u is a kernel of its own, first.
func.func @prism_layer(%q: tensor<?x?x2x32xbf16>, %k: tensor<?x?x2x32xbf16>,
                       %v: tensor<?x?x2x32xbf16>, %x: tensor<?x?x2x32xbf16>,
                       %w: tensor<2x32x4xf32>, %p0: tensor<?x?x2x32xbf16>,
                       %p1: tensor<?x?x2x32xbf16>) -> tensor<?x?x2x32xbf16> {
  %u = recurrence.short_conv silu %x, %w : tensor<?x?x2x32xbf16>, tensor<2x32x4xf32> -> tensor<?x?x2x32xbf16>
  %d:2 = recurrence.refine gelu %u, %v gains(%p0, %p1 : tensor<?x?x2x32xbf16>, tensor<?x?x2x32xbf16>)
      : tensor<?x?x2x32xbf16>, tensor<?x?x2x32xbf16> -> tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k, %k : tensor<?x?x2x32xbf16>, tensor<?x?x2x32xbf16>)
      values(%d#0, %d#1 : tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>) -> !recurrence.injection<2>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<identity>, !recurrence.injection<2>, tensor<?x?x2x32xbf16>
      -> tensor<?x?x2x32xbf16>
  return %o : tensor<?x?x2x32xbf16>
}

// CHECK-LABEL: func.func @prism_layer(
// CHECK-SAME:    %[[CONV:[a-z0-9]+]]: memref<?x?x2x32xbf16> {recurrence.buffer = #recurrence.buffer<"u", workspace, readwrite, sizes = ["B", "T"]>}
// CHECK:       tile.kernel "short_conv"
// CHECK:         tile.store %{{.+}}, %[[CONV]]
// CHECK:       tile.kernel "scan"
// CHECK:         scf.for
// CHECK:           %[[U:.+]] = tile.load %[[CONV]]
// CHECK:           arith.subf %{{.+}}, %{{.+}} : tensor<32xf32>
// CHECK-COUNT-2:   math.erf
// CHECK:           tile.store
