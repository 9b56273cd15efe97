// RUN: prism-opt %s -split-input-file -prism-select-schedule -prism-convert-recurrence-to-tile -canonicalize -cse | FileCheck %s

// The chunked-two-pass schedule at the tile level: three kernels and the
// workspaces between them (sized from T, described in the manifest).

func.func @gla_two_pass(%q: tensor<?x?x4x32xbf16>, %k: tensor<?x?x4x32xbf16>,
                        %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4x32xf32>,
                        %s0: tensor<?x4x32x64xf32>)
    -> (tensor<?x?x4x64xbf16>, tensor<?x4x32x64xf32>) {
  %a = recurrence.diagonal_forget %g : tensor<?x?x4x32xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x32xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x32x64xf32>)
      {schedule = #recurrence.schedule<chunked_two_pass, chunk = 32, v_tile = 32>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x4x32xbf16>
      -> tensor<?x?x4x64xbf16>, tensor<?x4x32x64xf32>
  return %o, %s : tensor<?x?x4x64xbf16>, tensor<?x4x32x64xf32>
}

// CHECK-LABEL: func.func @gla_two_pass(
// CHECK-SAME:    %[[SUMS:[a-z0-9]+]]: memref<?x4x?x64x32xf32> {recurrence.buffer = #recurrence.buffer<"chunk_summaries", workspace, readwrite, sizes = ["B", "ceildiv(T, 32)"]>}
// CHECK-SAME:    %[[STATES:[a-z0-9]+]]: memref<?x4x?x64x32xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 32)"]>}
// CHECK-SAME:    %[[DECAYS:[a-z0-9]+]]: memref<?x4x?x32xf32> {recurrence.buffer = #recurrence.buffer<"chunk_decays", workspace, readwrite, sizes = ["B", "ceildiv(T, 32)"]>}
// CHECK-SAME:    recurrence.program = #recurrence.program<forget = diagonal, heads = 4, key_dim = 32, value_dim = 64, scale = 0.17677669529663687, state_layout = kv, query = 0, keys = [1], values = [2], log_decay = 3, initial_state = 4, output = 5, final_state = 6>
// Summaries: per (chunk x V-tile, head, batch), no loop over chunks.
// CHECK:       tile.kernel "chunk_summaries" grid(%{{.+}}, %c4, %{{.+}}) {
// CHECK-NEXT:  ^bb0(%[[P:.+]]: index, %[[H:.+]]: index, %[[B:.+]]: index):
// CHECK:         %[[C:.+]] = arith.divui %[[P]], %c2
// CHECK-NOT:     scf.for
// CHECK:         tile.store %{{.+}}, %[[SUMS]][%[[B]], %[[H]], %[[C]], %{{.+}}, %c0] dims [3, 4] : tensor<32x32xf32>
// CHECK:         tile.store %{{.+}}, %[[DECAYS]][%[[B]], %[[H]], %[[C]], %c0] dims [3] : tensor<32xf32>
// States: the chunks in order, S_c stored before the chunk is applied.
// The decay family's states walk is elementwise: four elements a thread
// (8 rows of 32 keys at 2 warps), 8 programs a head.
// CHECK:       tile.kernel "chunk_states" grid(%c4, %{{.+}}, %c8) {
// CHECK:         scf.for %[[CC:.+]] = %c0 to %{{.+}} step %c1 iter_args(%[[S:.+]] = %{{.+}})
// CHECK:           %[[SB:.+]] = arith.truncf %[[S]] : tensor<8x32xf32> to tensor<8x32xbf16>
// CHECK:           tile.store %[[SB]], %[[STATES]][{{.+}}, %[[CC]], {{.+}}] dims [3, 4]
// CHECK:           tile.load %[[DECAYS]]
// CHECK:           math.exp2
// CHECK:           tile.load %[[SUMS]]
// CHECK:           scf.yield
// CHECK:         tile.store
// Outputs: per (chunk x V-tile, head, batch), from the stored start state.
// CHECK:       tile.kernel "chunk_outputs"
// CHECK-NOT:     scf.for
// CHECK:         tile.load %[[STATES]]
// CHECK:         tile.decay_dot
// CHECK:         tile.store

// -----

// The delta forget: its chunks respond to their start state; the states'
// walk applies the response and the decayed erase keys (factored K x K).
func.func @gdn_two_pass(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                        %v: tensor<?x?x4x64xbf16>, %beta: tensor<?x?x4xbf16>,
                        %g: tensor<?x?x4xf32>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass, v_tile = 32>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// CHECK-LABEL: func.func @gdn_two_pass(
// CHECK-SAME:    %[[STATES:[a-z0-9]+]]: memref<?x4x?x64x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states"
// CHECK-SAME:    %[[DECAYS:[a-z0-9]+]]: memref<?x4x?xf32> {recurrence.buffer = #recurrence.buffer<"chunk_decays", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// CHECK-SAME:    %[[RESP:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_responses", workspace, readwrite, sizes = ["B", "T"]>}
// CHECK-SAME:    %[[VALS:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_slot_values", workspace, readwrite, sizes = ["B", "T"]>}
// CHECK-SAME:    %[[ENDK:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_erase_keys", workspace, readwrite, sizes = ["B", "T"]>}
// A program per chunk (its L built once, not once per V-tile), walking the
// chunk's V-tiles with what does not depend on them (keys, scores, the
// solved scores) hoisted out of the walk; two solves: the values from a
// zero state per V-tile (kept for the outputs), and their response to it
// (keys alone: K wide) once.
// CHECK:       tile.kernel "chunk_summaries" grid(%[[CHUNKS:.+]], %c4, %{{.+}}) {
// CHECK-NEXT:  ^bb0(%[[P:.+]]: index, %[[H:.+]]: index, %[[B:.+]]: index):
// CHECK:         %[[T0:.+]] = arith.muli %[[P]], %c64
// The solve meets the scores once, before the V-tiles (one product each).
// CHECK:         %[[SOLVED:.+]] = tile.tri_solve %[[LB:.+]], %{{.+}} : tensor<64x64xbf16>, tensor<64x64xf32> -> tensor<64x64xf32>
// CHECK:         %[[SOLVEDB:.+]] = arith.truncf %[[SOLVED]]
// CHECK:         scf.for %[[V0:.+]] = %c0 to %c64 step %c32 {
// CHECK-NOT:       tile.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %c0]
// CHECK-NOT:       tile.tri_solve
// CHECK:           tile.dot %[[SOLVEDB]], %{{.+}} lower_a : tensor<64x64xbf16>, tensor<64x32xbf16> -> tensor<64x32xf32>
// CHECK:           tile.store %{{.+}}, %[[VALS]][%[[B]], %[[T0]], %[[H]], %[[V0]]] dims [1, 3] below(%{{.+}}) : tensor<64x32xbf16>
// CHECK:           tile.store %{{.+}}, %{{.+}}[%[[B]], %[[H]], %[[P]], %[[V0]], %c0] dims [3, 4] : tensor<32x64xbf16>
// CHECK-NEXT:    }
// CHECK:         memref.store %{{.+}}, %[[DECAYS]][%[[B]], %[[H]], %[[P]]]
// CHECK-NOT:     scf.if
// CHECK:         tile.tri_solve %[[LB]], %{{.+}} : tensor<64x64xbf16>, tensor<64x64xf32> -> tensor<64x64xf32>
// CHECK-NOT:     tile.tri_solve
// CHECK:         tile.store %{{.+}}, %[[RESP]]
// CHECK:         tile.store %{{.+}}, %[[ENDK]]
// CHECK:       tile.kernel "chunk_states"
// CHECK:         scf.for
// CHECK:           %[[R:.+]] = tile.load %[[RESP]]
// CHECK:           %[[W:.+]] = tile.load %[[ENDK]]
// CHECK:           %[[SR:.+]] = tile.dot %{{.+}}, %[[R]] transpose_b : tensor<32x64xbf16>, tensor<64x64xbf16> -> tensor<32x64xf32>
// CHECK:           %[[SRB:.+]] = arith.truncf %[[SR]]
// CHECK:           tile.dot %[[SRB]], %[[W]] acc(
// The outputs: the slot's values as seen from the start state, the kept
// values plus the kept response R S^T: no solve, and a program per chunk
// and V-tile.
// CHECK:       tile.kernel "chunk_outputs" grid(%{{.+}}, %c4, %{{.+}}) {
// CHECK-NOT:     tile.tri_solve
// CHECK-NOT:     scf.for
// CHECK:         %[[OR:.+]] = tile.load %[[RESP]]
// CHECK:           %[[OS:.+]] = tile.load %[[STATES]]
// CHECK:           %[[OX:.+]] = tile.load %[[VALS]]
// CHECK:           %[[OXF:.+]] = arith.extf %[[OX]]
// CHECK:           tile.dot %[[OR]], %[[OS]] acc(%[[OXF]] : tensor<64x32xf32>) transpose_b : tensor<64x64xbf16>, tensor<32x64xbf16>
// CHECK-NOT:     tile.tri_solve
// CHECK:         tile.store
