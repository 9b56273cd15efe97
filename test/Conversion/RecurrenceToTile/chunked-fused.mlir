// RUN: prism-opt %s -split-input-file -prism-select-schedule -prism-convert-recurrence-to-tile -canonicalize -cse | FileCheck %s

// The chunked-fused schedule at the tile level: a kernel per (head, batch,
// V-tile) walks ceil(T / chunk) chunks carrying its state tile. Per chunk the
// tiles of the chunk's tokens (masked at T), the family's decay, the decayed
// scores, the outputs from the state and from the chunk, the state update,
// all as tile products over the operand type (bf16 here).

func.func @simple_gla(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                      %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>)
    -> tensor<?x?x4x64xbf16> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 32>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// CHECK-LABEL: func.func @simple_gla(
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"q",
// CHECK-SAME:    %[[K:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"k",
// CHECK-SAME:    %[[V:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"v",
// CHECK-SAME:    %[[G:[a-z0-9]+]]: memref<?x?x4xf32> {recurrence.buffer = #recurrence.buffer<"g",
// CHECK-SAME:    %[[O:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"o",
// CHECK:       tile.kernel "scan" grid(
// CHECK-NEXT:  ^bb0(%[[H:.+]]: index, %[[B:.+]]: index, %[[VT:.+]]: index):
// CHECK:         %[[T:.+]] = memref.dim %[[Q]], %c1
// CHECK:         %[[N:.+]] = arith.ceildivui %[[T]], %c32
// CHECK:         scf.for %[[C:.+]] = %c0 to %[[N]] step %c1 iter_args(%[[S:.+]] = %{{.+}}) -> (tensor<64x64xf32>)
// CHECK:           %[[T0:.+]] = arith.muli %[[C]], %c32
// CHECK:           %[[QC:.+]] = tile.load %[[Q]][%[[B]], %[[T0]], %[[H]], %c0] dims [1, 3] below(%[[T]]) : memref<?x?x4x64xbf16> -> tensor<32x64xbf16>
// CHECK:           tile.load %[[V]][%[[B]], %[[T0]], %[[H]], %{{.+}}] dims [1, 3] below(%[[T]])
// CHECK:           %[[KC:.+]] = tile.load %[[K]][%[[B]], %[[T0]], %[[H]], %c0] dims [1, 3] below(%[[T]])
// The cumulative log2 decays and the chunk's total.
// CHECK:           %[[GC:.+]] = tile.load %[[G]][%[[B]], %[[T0]], %[[H]]] dims [1] below(%[[T]]) : memref<?x?x4xf32> -> tensor<32xf32>
// CHECK:           %[[G2:.+]] = arith.mulf %[[GC]]
// CHECK:           %[[CUM:.+]] = tile.cumsum %[[G2]] dim 0 : tensor<32xf32>
// CHECK:           %[[TOTAL:.+]] = tile.reduce add %[[G2]] dim 0 : tensor<32xf32> -> f32
// Outputs from the state: (Q e^G) S^T.
// CHECK:           tile.dot %{{.+}}, %{{.+}} transpose_b : tensor<32x64xbf16>, tensor<64x64xbf16> -> tensor<32x64xf32>
// The causal decay matrix, no positive exponent.
// CHECK:           tile.causal_mask %{{.+}} fill(0xFFF0000000000000) : tensor<32x32xf32>
// CHECK:           math.exp2 %{{.+}} : tensor<32x32xf32>
// Causal products: the scores' lower triangle, then their lower triangle
// times the values.
// CHECK:           tile.dot %[[QC]], %[[KC]] transpose_b lower : tensor<32x64xbf16>, tensor<32x64xbf16> -> tensor<32x32xf32>
// CHECK:           tile.dot %{{.+}}, %{{.+}} acc(%{{.+}} : tensor<32x64xf32>) lower_a : tensor<32x32xbf16>, tensor<32x64xbf16> -> tensor<32x64xf32>
// The state update: S e^{G_end} + V^T (K e^{G_end - G}).
// CHECK:           math.exp2 %[[TOTAL]] : f32
// CHECK:           tile.dot %{{.+}}, %{{.+}} acc(%{{.+}} : tensor<64x64xf32>) transpose_a : tensor<32x64xbf16>, tensor<32x64xbf16> -> tensor<64x64xf32>
// CHECK:           tile.store %{{.+}}, %[[O]][%[[B]], %[[T0]], %[[H]], %{{.+}}] dims [1, 3] below(%[[T]]) : tensor<32x64xbf16>
// CHECK:           scf.yield

// -----

// Per-channel decay: the scores are a decay_dot, the state decays per column.
func.func @gla(%q: tensor<?x?x4x32xbf16>, %k: tensor<?x?x4x32xbf16>,
               %v: tensor<?x?x4x32xbf16>, %g: tensor<?x?x4x32xf32>) -> tensor<?x?x4x32xbf16> {
  %a = recurrence.diagonal_forget %g : tensor<?x?x4x32xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x32xbf16>) values(%v : tensor<?x?x4x32xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x4x32xbf16>
      -> tensor<?x?x4x32xbf16>
  return %o : tensor<?x?x4x32xbf16>
}

// CHECK-LABEL: func.func @gla(
// CHECK:         scf.for
// CHECK:           %[[CUM:.+]] = tile.cumsum %{{.+}} dim 0 : tensor<64x32xf32>
// CHECK:           %[[TOTAL:.+]] = tile.reduce add %{{.+}} dim 0 : tensor<64x32xf32> -> tensor<32xf32>
// CHECK:           tile.decay_dot %{{.+}}, %{{.+}}, %[[CUM]], %[[CUM]] : tensor<64x32xbf16>, tensor<64x32xbf16>, tensor<64x32xf32>, tensor<64x32xf32> -> tensor<64x64xf32>
// CHECK:           math.exp2 %[[TOTAL]] : tensor<32xf32>
// CHECK:           tile.broadcast %{{.+}} dim 0 : tensor<32xf32> -> tensor<32x32xf32>

// -----

// Gated DeltaNet: the erase key is the injection key, so the solved values
// join its slot (one score product for the outputs, one state update).
func.func @gated_deltanet(%q: tensor<?x?x4x32xbf16>, %k: tensor<?x?x4x32xbf16>,
                          %v: tensor<?x?x4x32xbf16>, %beta: tensor<?x?x4xbf16>,
                          %g: tensor<?x?x4xf32>) -> tensor<?x?x4x32xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x32xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x32xbf16>) values(%v : tensor<?x?x4x32xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x32xbf16>
      -> tensor<?x?x4x32xbf16>
  return %o : tensor<?x?x4x32xbf16>
}

// CHECK-LABEL: func.func @gated_deltanet(
// CHECK:         scf.for {{.+}} iter_args(%[[S:.+]] = %{{.+}})
// The strictly causal, decayed W W^T (also the injection's scores seen by
// w_t: W is K), scaled by beta per column.
// CHECK:           tile.causal_mask %{{.+}} strict fill(0xFFF0000000000000)
// CHECK:           %[[WW:.+]] = arith.mulf %{{.+}}, %{{.+}} : tensor<64x64xf32>
// CHECK:           %[[L:.+]] = arith.mulf %[[WW]], %{{.+}} : tensor<64x64xf32>
// The right-hand side: (W e^G) S^T plus the injections seen by w_t (both
// on bf16 operands), then the solve with L on the operand type.
// CHECK:           %[[SB:.+]] = arith.truncf %[[S]] : tensor<32x32xf32> to tensor<32x32xbf16>
// CHECK:           tile.dot %{{.+}}, %[[SB]] transpose_b : tensor<64x32xbf16>, tensor<32x32xbf16> -> tensor<64x32xf32>
// CHECK:           %[[RHS:.+]] = tile.dot %{{.+}}, %{{.+}} acc(
// CHECK:           %[[LB:.+]] = arith.truncf %[[L]] : tensor<64x64xf32> to tensor<64x64xbf16>
// CHECK:           %[[E:.+]] = tile.tri_solve %[[LB]], %[[RHS]] : tensor<64x64xbf16>, tensor<64x32xf32> -> tensor<64x32xf32>
// CHECK:           arith.negf
// CHECK-NOT:       tile.tri_solve
// One output product and one state-update product: the slot is shared.
// CHECK-COUNT-1:   tile.dot %{{.+}}, %{{.+}} acc(%{{.+}} : tensor<64x32xf32>) lower_a :
// CHECK-COUNT-1:   tile.dot %{{.+}}, %{{.+}} acc(%{{.+}} : tensor<32x32xf32>) transpose_a
// CHECK-NOT:       tile.dot
// CHECK:           scf.yield

// -----

// A normalised erase key is not the injection key: a slot of its own.
func.func @deltanet_normalized(%q: tensor<?x?x2x32xf32>, %k: tensor<?x?x2x32xf32>,
                               %v: tensor<?x?x2x32xf32>, %beta: tensor<?x?x2xf32>) -> tensor<?x?x2x32xf32> {
  %a = recurrence.delta_forget %k, %beta {normalize} : tensor<?x?x2x32xf32>, tensor<?x?x2xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x2x32xf32>) values(%v : tensor<?x?x2x32xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x2x32xf32>
      -> tensor<?x?x2x32xf32>
  return %o : tensor<?x?x2x32xf32>
}

// CHECK-LABEL: func.func @deltanet_normalized(
// CHECK:           tile.tri_solve
// CHECK-COUNT-2:   tile.dot %{{.+}}, %{{.+}} acc(%{{.+}} : tensor<32x32xf32>) transpose_a
// CHECK-NOT:       tile.dot
