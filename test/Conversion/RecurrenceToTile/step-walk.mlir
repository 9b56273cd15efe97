// RUN: prism-opt %s -split-input-file -prism-select-schedule=mapping=tile -prism-convert-recurrence-to-tile -canonicalize -cse | FileCheck %s

// The sequential walk of a state-dependent step at the tile level
// (StepWalk.cpp): a kernel per (head, batch, V-tile) whose loop over the
// tokens carries the V-tile x K block of the state and runs the body on it.
// Vectors along V are the program's V-tile of them (the value, S k, the
// output), vectors along K whole (the key, the query); S k is a row
// reduction, the write an outer product of broadcasts. The lowered program
// carries the body as #recurrence.step_program for the oracle.

// CHECK-LABEL: func.func @eq6(
// CHECK-SAME:    %[[K:[a-z0-9]+]]: memref<?x?x4x32xbf16> {recurrence.buffer = #recurrence.buffer<"x0", input, read, sizes = ["B", "T"]>}
// CHECK-SAME:    %[[V:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"x1",
// CHECK-SAME:    %[[O:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>}
// CHECK-SAME:    prism.schedule = #recurrence.schedule<sequential, v_tile = 16,
// CHECK-SAME:    recurrence.program = #recurrence.step_program<heads = 4, key_dim = 32, value_dim = 64, state_layout = kv, inputs = [0, 1], output = 2, body = [<op = "matvec", args = [0, 1], shape = [64]>, <op = "tanh", args = [3], shape = [64]>
// CHECK:         %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : tensor<16x32xf32>
// CHECK:         %[[TILES:.+]] = arith.constant 4 : index
// CHECK:         tile.kernel "step" grid(%[[TILES]], %{{.+}}, %[[TILES]])
// CHECK-NEXT:    ^bb0(%[[H:.+]]: index, %[[B:.+]]: index, %[[VT:.+]]: index):
// CHECK:           %[[V0:.+]] = arith.muli %[[VT]], %c16
// CHECK:           scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[S:.+]] = %[[ZERO]]) -> (tensor<16x32xf32>)
// CHECK:             %[[KT:.+]] = tile.load %[[K]][%[[B]], %[[T]], %[[H]], %c0] dims [3] : memref<?x?x4x32xbf16> -> tensor<32xbf16>
// CHECK:             %[[KF:.+]] = arith.extf %[[KT]]
// CHECK:             %[[VTOK:.+]] = tile.load %[[V]][%[[B]], %[[T]], %[[H]], %[[V0]]] dims [3] : memref<?x?x4x64xbf16> -> tensor<16xbf16>
// CHECK:             %[[KB:.+]] = tile.broadcast %[[KF]] dim 0 : tensor<32xf32> -> tensor<16x32xf32>
// CHECK:             %[[SK:.+]] = arith.mulf %[[S]], %[[KB]] : tensor<16x32xf32>
// CHECK:             %[[Z:.+]] = tile.reduce add %[[SK]] dim 1 : tensor<16x32xf32> -> tensor<16xf32>
// CHECK:             %[[F:.+]] = math.tanh %[[Z]] : tensor<16xf32>
// CHECK:             %[[R:.+]] = arith.subf %{{.+}}, %[[F]] : tensor<16xf32>
// CHECK:             %[[RB:.+]] = tile.broadcast %[[R]] dim 1 : tensor<16xf32> -> tensor<16x32xf32>
// CHECK:             %[[U:.+]] = arith.mulf %[[RB]], %[[KB]] : tensor<16x32xf32>
// CHECK:             %[[N:.+]] = arith.addf %[[S]], %[[U]] : tensor<16x32xf32>
// CHECK:             tile.store %{{.+}}, %[[O]][%[[B]], %[[T]], %[[H]], %[[V0]]] dims [3] : tensor<16xbf16>
// CHECK:             scf.yield %[[N]] : tensor<16x32xf32>
func.func @eq6(%k: tensor<?x?x4x32xbf16>, %v: tensor<?x?x4x64xbf16>)
    -> tensor<?x?x4x64xbf16> {
  %o = recurrence.step ins(%k, %v : tensor<?x?x4x32xbf16>, tensor<?x?x4x64xbf16>)
      {schedule = #recurrence.schedule<sequential, v_tile = 16>} -> tensor<?x?x4x64xbf16> {
  ^bb0(%S: tensor<64x32xf32>, %kt: tensor<32xf32>, %vt: tensor<64xf32>):
    %z = recurrence.matvec %S, %kt : tensor<64x32xf32>, tensor<32xf32> -> tensor<64xf32>
    %f = math.tanh %z : tensor<64xf32>
    %r = arith.subf %vt, %f : tensor<64xf32>
    %u = recurrence.outer %r, %kt : tensor<64xf32>, tensor<32xf32> -> tensor<64x32xf32>
    %n = arith.addf %S, %u : tensor<64x32xf32>
    recurrence.yield %n, %z : tensor<64x32xf32>, tensor<64xf32>
  }
  return %o : tensor<?x?x4x64xbf16>
}

// -----

// A body that reduces along V (S^T y) takes all V rows in one program.

// CHECK-LABEL: func.func @whole_v(
// CHECK-SAME:    prism.schedule = #recurrence.schedule<sequential, v_tile = 64,
// CHECK:         tile.kernel "step" grid(%{{.+}}, %{{.+}}, %c1)
// CHECK:           tile.reduce add %{{.+}} dim 0 : tensor<64x32xf32> -> tensor<32xf32>
func.func @whole_v(%k: tensor<?x?x4x32xf32>, %v: tensor<?x?x4x64xf32>)
    -> tensor<?x?x4x64xf32> {
  %o = recurrence.step ins(%k, %v : tensor<?x?x4x32xf32>, tensor<?x?x4x64xf32>) -> tensor<?x?x4x64xf32> {
  ^bb0(%S: tensor<64x32xf32>, %kt: tensor<32xf32>, %vt: tensor<64xf32>):
    %z = recurrence.matvec %S, %kt : tensor<64x32xf32>, tensor<32xf32> -> tensor<64xf32>
    %f = math.tanh %z : tensor<64xf32>
    %r = arith.subf %vt, %f : tensor<64xf32>
    %e = recurrence.matvec %S, %r transpose : tensor<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    %u = recurrence.outer %r, %e : tensor<64xf32>, tensor<32xf32> -> tensor<64x32xf32>
    %n = arith.addf %S, %u : tensor<64x32xf32>
    recurrence.yield %n, %z : tensor<64x32xf32>, tensor<64xf32>
  }
  return %o : tensor<?x?x4x64xf32>
}
