// RUN: prism-opt %s -split-input-file | prism-opt -split-input-file | FileCheck %s
// RUN: prism-opt %s -split-input-file --mlir-print-op-generic | prism-opt -split-input-file | FileCheck %s

// Round trips of recurrence.step and the ops of its body.

// The explicit solver of prism-math.md section 4 with sigma = tanh:
//   z = S k,  S += beta (1 - tanh(z)^2) (v - tanh(z)) k^T,  o = scale S q.
// CHECK-LABEL: func.func @explicit_tanh(
// CHECK-SAME:      %[[K:[^:]+]]: tensor<2x?x4x64xbf16>, %[[V:[^:]+]]: tensor<2x?x4x32xbf16>, %[[Q:[^:]+]]: tensor<2x?x4x64xbf16>, %[[B:[^:]+]]: tensor<2x?x4xf32>, %[[S0:[^:]+]]: tensor<2x4x64x32xf32>)
// CHECK:         %[[O:.+]], %[[SF:.+]] = recurrence.step ins(%[[K]], %[[V]], %[[Q]], %[[B]] : tensor<2x?x4x64xbf16>, tensor<2x?x4x32xbf16>, tensor<2x?x4x64xbf16>, tensor<2x?x4xf32>) initial(%[[S0]] : tensor<2x4x64x32xf32>) -> tensor<2x?x4x32xbf16>, tensor<2x4x64x32xf32> {
// CHECK-NEXT:    ^bb0(%[[S:.+]]: tensor<32x64xf32>, %[[KT:.+]]: tensor<64xf32>, %[[VT:.+]]: tensor<32xf32>, %[[QT:.+]]: tensor<64xf32>, %[[BT:.+]]: f32):
// CHECK-NEXT:      %[[Z:.+]] = recurrence.matvec %[[S]], %[[KT]] : tensor<32x64xf32>, tensor<64xf32> -> tensor<32xf32>
// CHECK-NEXT:      %[[F:.+]] = math.tanh %[[Z]] : tensor<32xf32>
// CHECK:           %[[BS:.+]] = recurrence.splat %[[BT]] : tensor<32xf32>
// CHECK:           %[[U:.+]] = recurrence.outer %{{.+}}, %[[KT]] : tensor<32xf32>, tensor<64xf32> -> tensor<32x64xf32>
// CHECK-NEXT:      %[[N:.+]] = arith.addf %[[S]], %[[U]] : tensor<32x64xf32>
// CHECK-NEXT:      %[[Y:.+]] = recurrence.matvec %[[N]], %[[QT]] : tensor<32x64xf32>, tensor<64xf32> -> tensor<32xf32>
// CHECK:           recurrence.yield %[[N]], %{{.+}} : tensor<32x64xf32>, tensor<32xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[O]], %[[SF]]
func.func @explicit_tanh(%k: tensor<2x?x4x64xbf16>, %v: tensor<2x?x4x32xbf16>,
                         %q: tensor<2x?x4x64xbf16>, %beta: tensor<2x?x4xf32>,
                         %s0: tensor<2x4x64x32xf32>)
    -> (tensor<2x?x4x32xbf16>, tensor<2x4x64x32xf32>) {
  %o, %s = recurrence.step ins(%k, %v, %q, %beta : tensor<2x?x4x64xbf16>, tensor<2x?x4x32xbf16>, tensor<2x?x4x64xbf16>, tensor<2x?x4xf32>)
      initial(%s0 : tensor<2x4x64x32xf32>) -> tensor<2x?x4x32xbf16>, tensor<2x4x64x32xf32> {
  ^bb0(%S: tensor<32x64xf32>, %kt: tensor<64xf32>, %vt: tensor<32xf32>, %qt: tensor<64xf32>, %bt: f32):
    %z = recurrence.matvec %S, %kt : tensor<32x64xf32>, tensor<64xf32> -> tensor<32xf32>
    %f = math.tanh %z : tensor<32xf32>
    %one = arith.constant dense<1.0> : tensor<32xf32>
    %f2 = arith.mulf %f, %f : tensor<32xf32>
    %df = arith.subf %one, %f2 : tensor<32xf32>
    %r = arith.subf %vt, %f : tensor<32xf32>
    %g = arith.mulf %df, %r : tensor<32xf32>
    %bs = recurrence.splat %bt : tensor<32xf32>
    %e = arith.mulf %bs, %g : tensor<32xf32>
    %u = recurrence.outer %e, %kt : tensor<32xf32>, tensor<64xf32> -> tensor<32x64xf32>
    %n = arith.addf %S, %u : tensor<32x64xf32>
    %y = recurrence.matvec %n, %qt : tensor<32x64xf32>, tensor<64xf32> -> tensor<32xf32>
    %scale = arith.constant 0.125 : f32
    %ss = recurrence.splat %scale : tensor<32xf32>
    %o = arith.mulf %y, %ss : tensor<32xf32>
    recurrence.yield %n, %o : tensor<32x64xf32>, tensor<32xf32>
  }
  return %o, %s : tensor<2x?x4x32xbf16>, tensor<2x4x64x32xf32>
}

// -----

// Gated DeltaNet as a body: S e^g (I - beta w w^T) + beta v w^T, with the
// transposed product, the inner product, broadcasts and the vk layout.
// CHECK-LABEL: func.func @gated_delta(
// CHECK:         recurrence.step ins(%{{.+}} : tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2xf32>, tensor<1x?x2xf32>) {state_layout = #recurrence<state_layout vk>} -> tensor<1x?x2x16xf32> {
// CHECK:           recurrence.dot %{{.+}}, %{{.+}} : tensor<16xf32>
// CHECK:           recurrence.matvec %{{.+}}, %{{.+}} transpose : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
// CHECK:           recurrence.broadcast %{{.+}} dim 0 : tensor<16xf32> -> tensor<16x16xf32>
// CHECK:           recurrence.broadcast %{{.+}} dim 1 : tensor<16xf32> -> tensor<16x16xf32>
// CHECK:           math.exp %{{.+}} : f32
func.func @gated_delta(%w: tensor<1x?x2x16xf32>, %v: tensor<1x?x2x16xf32>,
                       %beta: tensor<1x?x2xf32>, %g: tensor<1x?x2xf32>)
    -> tensor<1x?x2x16xf32> {
  %o = recurrence.step ins(%w, %v, %beta, %g : tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2xf32>, tensor<1x?x2xf32>)
      {state_layout = #recurrence<state_layout vk>} -> tensor<1x?x2x16xf32> {
  ^bb0(%S: tensor<16x16xf32>, %wt: tensor<16xf32>, %vt: tensor<16xf32>, %bt: f32, %gt: f32):
    %nn = recurrence.dot %wt, %wt : tensor<16xf32>
    %back = recurrence.matvec %S, %vt transpose : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %rows = recurrence.broadcast %back dim 0 : tensor<16xf32> -> tensor<16x16xf32>
    %cols = recurrence.broadcast %vt dim 1 : tensor<16xf32> -> tensor<16x16xf32>
    %a = math.exp %gt : f32
    %as = recurrence.splat %a : tensor<16x16xf32>
    %sa = arith.mulf %S, %as : tensor<16x16xf32>
    %sw = recurrence.matvec %sa, %wt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %bs = recurrence.splat %bt : tensor<16xf32>
    %r = arith.subf %vt, %sw : tensor<16xf32>
    %d = arith.mulf %bs, %r : tensor<16xf32>
    %u = recurrence.outer %d, %wt : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %n = arith.addf %sa, %u : tensor<16x16xf32>
    %y = recurrence.matvec %n, %wt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    recurrence.yield %n, %y : tensor<16x16xf32>, tensor<16xf32>
  }
  return %o : tensor<1x?x2x16xf32>
}
