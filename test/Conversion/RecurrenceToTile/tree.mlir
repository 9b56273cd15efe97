// RUN: prism-opt %s -split-input-file -prism-select-schedule -prism-convert-recurrence-to-tile -canonicalize -cse | FileCheck %s

// The tree schedule at the tile level: the chunks' summaries, a parallel
// prefix over them in ceil(log2(chunks)) rounds on the host (Hillis-Steele,
// between two buffer sets; a loop of launches whose grids empty once the
// offset reaches the chunk count), every start state from the prefix before
// it, then the outputs.

func.func @simple_gla_tree(%q: tensor<?x?x4x32xbf16>, %k: tensor<?x?x4x32xbf16>,
                           %v: tensor<?x?x4x32xbf16>, %g: tensor<?x?x4xf32>,
                           %s0: tensor<?x4x32x32xf32>)
    -> (tensor<?x?x4x32xbf16>, tensor<?x4x32x32xf32>) {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x32xbf16>) values(%v : tensor<?x?x4x32xbf16>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x32x32xf32>)
      {schedule = #recurrence.schedule<tree, chunk = 16>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x4x32xbf16>
      -> tensor<?x?x4x32xbf16>, tensor<?x4x32x32xf32>
  return %o, %s : tensor<?x?x4x32xbf16>, tensor<?x4x32x32xf32>
}

// CHECK-LABEL: func.func @simple_gla_tree(
// CHECK-SAME:    %[[S0:[a-z0-9]+]]: memref<?x4x32x32xf32> {recurrence.buffer = #recurrence.buffer<"initial_state",
// CHECK-SAME:    %[[SF:[a-z0-9]+]]: memref<?x4x32x32xf32> {recurrence.buffer = #recurrence.buffer<"final_state",
// CHECK-SAME:    %[[U0:[a-z0-9]+]]: memref<?x4x?x32x32xf32> {recurrence.buffer = #recurrence.buffer<"prefix_updates0", workspace, readwrite, sizes = ["B", "ceildiv(T, 16)"]>}
// CHECK-SAME:    %[[D0:[a-z0-9]+]]: memref<?x4x?xf32> {recurrence.buffer = #recurrence.buffer<"prefix_decays0", workspace, readwrite, sizes = ["B", "ceildiv(T, 16)"]>}
// CHECK-SAME:    %[[U1:[a-z0-9]+]]: memref<?x4x?x32x32xf32> {recurrence.buffer = #recurrence.buffer<"prefix_updates1", workspace, readwrite, sizes = ["B", "ceildiv(T, 16)"]>}
// CHECK-SAME:    %[[D1:[a-z0-9]+]]: memref<?x4x?xf32> {recurrence.buffer = #recurrence.buffer<"prefix_decays1", workspace, readwrite, sizes = ["B", "ceildiv(T, 16)"]>}
// CHECK-SAME:    %[[ST:[a-z0-9]+]]: memref<?x4x?x32x32xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 16)"]>}
// CHECK:       %[[N:.+]] = arith.ceildivui %{{.+}}, %c16
// CHECK:       tile.kernel "chunk_summaries"
// CHECK:         tile.store %{{.+}}, %[[U0]]
// CHECK:         memref.store %{{.+}}, %[[D0]]
// The rounds: a host loop of 24 launches of one kernel (offsets 1, 2, 4,
// ...), each reading one buffer set and writing the other; a round's grid
// is empty once its offset reaches the chunk count.
// CHECK:       scf.for %[[R:.+]] = %c0 to %c24 step %c1 {
// CHECK:         %[[ODD:.+]] = arith.cmpi ne
// CHECK:         %[[IN:.+]] = arith.select %[[ODD]], %[[U1]], %[[U0]]
// CHECK:         %[[OUT:.+]] = arith.select %[[ODD]], %[[U0]], %[[U1]]
// CHECK:         %[[OFF:.+]] = arith.shli %c1, %[[R]] : index
// CHECK:         %[[LEFT:.+]] = arith.subi %[[N]], %[[OFF]] : index
// CHECK:         %[[POS:.+]] = arith.maxsi %[[LEFT]], %c0 : index
// CHECK:         %[[RUNS:.+]] = arith.minsi %[[POS]], %c1 : index
// CHECK:         %[[GRID:.+]] = arith.muli %[[RUNS]], %[[N]] : index
// CHECK:         tile.kernel "chunk_prefix" grid(%[[GRID]],
// CHECK-NEXT:    ^bb0(%[[C:.+]]: index, %{{.+}}: index, %{{.+}}: index):
// CHECK:           tile.load %[[IN]]
// CHECK:           %[[LATER:.+]] = arith.cmpi uge, %[[C]], %[[OFF]]
// CHECK:           scf.if %[[LATER]] {
// CHECK:             %[[PREV:.+]] = arith.subi %[[C]], %[[OFF]]
// CHECK:             tile.load %[[IN]][%{{.+}}, %{{.+}}, %[[PREV]], %{{.+}}, %c0]
// The composition: decays add, the earlier update decays by the later.
// CHECK:             arith.addf %{{.+}}, %{{.+}} : f32
// CHECK:             tile.store %{{.+}}, %[[OUT]][%{{.+}}, %{{.+}}, %[[C]],
// CHECK:           } else {
// CHECK:             tile.store %{{.+}}, %[[OUT]][%{{.+}}, %{{.+}}, %[[C]],
// Start states: no loop over the chunks; the rounds that ran are counted
// to find the buffer set holding the prefixes; the initial state for chunk
// 0, else carried by the prefix that ends just before the chunk.
// CHECK:       tile.kernel "chunk_states"
// CHECK-NOT:     scf.for
// CHECK:         %[[COUNT:.+]] = arith.addi
// CHECK:         %[[LOW:.+]] = arith.andi %{{.+}}, %c1 : index
// CHECK:         %[[PARITY:.+]] = arith.cmpi ne, %[[LOW]], %c0 : index
// CHECK:         %[[FINAL:.+]] = arith.select %[[PARITY]], %[[U1]], %[[U0]]
// CHECK:         %[[INIT:.+]] = tile.load %[[S0]]
// CHECK:         scf.if %{{.+}} -> (tensor<32x32xf32>) {
// CHECK:           scf.yield %[[INIT]]
// CHECK:         } else {
// CHECK:           tile.load %[[FINAL]]
// CHECK:         tile.store %{{.+}}, %[[ST]]
// CHECK:         scf.if
// CHECK:           tile.store %{{.+}}, %[[SF]]
// CHECK:       tile.kernel "chunk_outputs"
// CHECK:         tile.load %[[ST]]

// -----

// The delta forget: the chunks' K x K transitions, dense (M = R^T W~), are
// composed by products in the rounds.
func.func @gdn_tree(%q: tensor<?x?x4x32xbf16>, %k: tensor<?x?x4x32xbf16>,
                    %v: tensor<?x?x4x32xbf16>, %beta: tensor<?x?x4xbf16>,
                    %g: tensor<?x?x4xf32>) -> tensor<?x?x4x32xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x32xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x32xbf16>) values(%v : tensor<?x?x4x32xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x32xbf16>
      -> tensor<?x?x4x32xbf16>
  return %o : tensor<?x?x4x32xbf16>
}

// CHECK-LABEL: func.func @gdn_tree(
// CHECK-SAME:    %[[M0:[a-z0-9]+]]: memref<?x4x?x32x32xf32> {recurrence.buffer = #recurrence.buffer<"prefix_transitions0", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// CHECK:       tile.kernel "chunk_summaries"
// The update, then M = R^T W~.
// CHECK:         tile.dot %{{.+}}, %{{.+}} acc(%{{.+}}) transpose_a : tensor<64x32xbf16>, tensor<64x32xbf16> -> tensor<32x32xf32>
// CHECK:         %[[M:.+]] = tile.dot %{{.+}}, %{{.+}} transpose_a : tensor<64x32xbf16>, tensor<64x32xbf16> -> tensor<32x32xf32>
// CHECK:         tile.store %[[M]], %[[M0]]
// CHECK:       scf.for
// CHECK:         tile.kernel "chunk_prefix"
// CHECK:           scf.if
// CHECK:             tile.dot %{{.+}}, %{{.+}} acc(%{{.+}} : tensor<32x32xf32>) : tensor<32x32xbf16>, tensor<32x32xbf16> -> tensor<32x32xf32>

// -----

// Two V-tiles of 32 share out the rows of the 64 x 64 transitions: each
// program composes 32 rows, from the same rows of both prefixes (bf16
// operands, f32 accumulation), and stores them at its row offset.

func.func @gdn_tree_split(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                    %v: tensor<?x?x4x64xbf16>, %beta: tensor<?x?x4xbf16>,
                    %g: tensor<?x?x4xf32>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree, v_tile = 32>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// CHECK-LABEL: func.func @gdn_tree_split(
// CHECK:       tile.kernel "chunk_prefix"
// CHECK:         %[[OWN:.+]] = tile.load %[[IN:[a-z0-9_]+]][%{{.+}}, %{{.+}}, %[[C:[a-z0-9_]+]], %c0, %c0] dims [3, 4] : memref<?x4x?x64x64xf32> -> tensor<64x64xf32>
// CHECK:         %[[ROW:.+]] = arith.muli %{{.+}}, %c32 : index
// CHECK:         scf.if
// CHECK:           %[[PREV:.+]] = arith.subi %[[C]], %{{.+}} : index
// CHECK:           %[[FIRST:.+]] = tile.load %[[IN]][%{{.+}}, %{{.+}}, %[[PREV]], %[[ROW]], %c0] dims [3, 4] : memref<?x4x?x64x64xf32> -> tensor<32x64xf32>
// CHECK:           %[[SECOND:.+]] = tile.load %[[IN]][%{{.+}}, %{{.+}}, %[[C]], %[[ROW]], %c0] dims [3, 4] : memref<?x4x?x64x64xf32> -> tensor<32x64xf32>
// CHECK:           %[[P:.+]] = tile.dot %{{.+}}, %{{.+}} acc(%{{.+}} : tensor<32x64xf32>) : tensor<32x64xbf16>, tensor<64x64xbf16> -> tensor<32x64xf32>
// CHECK:           %[[M:.+]] = arith.addf %{{.+}}, %[[P]] : tensor<32x64xf32>
// CHECK:           tile.store %[[M]], %{{.+}}[%{{.+}}, %{{.+}}, %[[C]], %[[ROW]], %c0] dims [3, 4] : tensor<32x64xf32>
// CHECK:         } else {
// CHECK:           %[[COPY:.+]] = tile.load %[[IN]][%{{.+}}, %{{.+}}, %[[C]], %[[ROW]], %c0] dims [3, 4]
// CHECK:           tile.store %[[COPY]], %{{.+}}[%{{.+}}, %{{.+}}, %[[C]], %[[ROW]], %c0] dims [3, 4]
// CHECK:       tile.kernel "chunk_states"
