// RUN: prism-opt %s -split-input-file --prism-classify-steps 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks

// Step bodies that are S_{t-1} A_t + B_t with a structured family become
// recurrence.{*_forget, inject, scan} (lib/Analysis/StepStructure.cpp).

// Gated DeltaNet: S e^g (I - beta w w^T) + beta v w^T, o = S_t q / sqrt(K).
// REMARK: remark: state-independent: the next state is S_{t-1} A_t + B_t (Definition 3.1) with the delta forget and a rank-1 injection; rewritten to recurrence.scan
// CHECK-LABEL: func.func @gated_delta(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x?x4x32xbf16>, %[[W:[^:]+]]: tensor<2x?x4x32xbf16>, %[[V:[^:]+]]: tensor<2x?x4x16xbf16>, %[[B:[^:]+]]: tensor<2x?x4xbf16>, %[[G:[^:]+]]: tensor<2x?x4xf32>, %[[S0:[^:]+]]: tensor<2x4x16x32xf32>)
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[W]], %[[B]] gate(%[[G]] : tensor<2x?x4xf32>) : tensor<2x?x4x32xbf16>, tensor<2x?x4xbf16>
// CHECK:         %[[I:.+]] = recurrence.inject keys(%[[W]] : tensor<2x?x4x32xbf16>) values(%[[V]] : tensor<2x?x4x16xbf16>) gates(%[[B]] : tensor<2x?x4xbf16>) -> <1>
// CHECK:         %[[O:.+]], %[[SF:.+]] = recurrence.scan %[[A]], %[[I]], %[[Q]] initial(%[[S0]] : tensor<2x4x16x32xf32>) {scale = 0.17677669{{[0-9]*}} : f64, schedule = #recurrence.schedule<chunked_fused>, state_layout = #recurrence<state_layout vk>}
// CHECK-NOT:     recurrence.step
// CHECK:         return %[[O]], %[[SF]]
func.func @gated_delta(%q: tensor<2x?x4x32xbf16>, %w: tensor<2x?x4x32xbf16>, %v: tensor<2x?x4x16xbf16>,
                       %beta: tensor<2x?x4xbf16>, %g: tensor<2x?x4xf32>, %s0: tensor<2x4x16x32xf32>)
    -> (tensor<2x?x4x16xbf16>, tensor<2x4x16x32xf32>) {
  %o, %s = recurrence.step ins(%q, %w, %v, %beta, %g : tensor<2x?x4x32xbf16>, tensor<2x?x4x32xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4xbf16>, tensor<2x?x4xf32>)
      initial(%s0 : tensor<2x4x16x32xf32>)
      {schedule = #recurrence.schedule<chunked_fused>, state_layout = #recurrence<state_layout vk>}
      -> tensor<2x?x4x16xbf16>, tensor<2x4x16x32xf32> {
  ^bb0(%S: tensor<16x32xf32>, %qt: tensor<32xf32>, %wt: tensor<32xf32>, %vt: tensor<16xf32>, %bt: f32, %gt: f32):
    %a = math.exp %gt : f32
    %as = recurrence.splat %a : tensor<16x32xf32>
    %sa = arith.mulf %S, %as : tensor<16x32xf32>
    %e = recurrence.matvec %sa, %wt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %r = arith.subf %vt, %e : tensor<16xf32>
    %bs = recurrence.splat %bt : tensor<16xf32>
    %d = arith.mulf %bs, %r : tensor<16xf32>
    %u = recurrence.outer %d, %wt : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %n = arith.addf %sa, %u : tensor<16x32xf32>
    %y = recurrence.matvec %n, %qt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %c = arith.constant dense<0.1767766952966369> : tensor<16xf32>
    %o = arith.mulf %c, %y : tensor<16xf32>
    recurrence.yield %n, %o : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o, %s : tensor<2x?x4x16xbf16>, tensor<2x4x16x32xf32>
}

// -----

// GLA: S diag(e^g) + v k^T.
// REMARK: remark: state-independent: {{.*}} with the diagonal forget and a rank-1 injection; rewritten to recurrence.scan
// CHECK-LABEL: func.func @gla(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x?x2x16xf32>, %[[K:[^:]+]]: tensor<1x?x2x16xf32>, %[[V:[^:]+]]: tensor<1x?x2x8xf32>, %[[G:[^:]+]]: tensor<1x?x2x16xf32>)
// CHECK:         %[[A:.+]] = recurrence.diagonal_forget %[[G]] : tensor<1x?x2x16xf32>
// CHECK:         %[[I:.+]] = recurrence.inject keys(%[[K]] : tensor<1x?x2x16xf32>) values(%[[V]] : tensor<1x?x2x8xf32>) -> <1>
// CHECK:         recurrence.scan %[[A]], %[[I]], %[[Q]] {scale = 1.000000e+00 : f64}
func.func @gla(%q: tensor<1x?x2x16xf32>, %k: tensor<1x?x2x16xf32>, %v: tensor<1x?x2x8xf32>, %g: tensor<1x?x2x16xf32>)
    -> tensor<1x?x2x8xf32> {
  %o = recurrence.step ins(%q, %k, %v, %g : tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x16xf32>) -> tensor<1x?x2x8xf32> {
  ^bb0(%S: tensor<8x16xf32>, %qt: tensor<16xf32>, %kt: tensor<16xf32>, %vt: tensor<8xf32>, %gt: tensor<16xf32>):
    %a = math.exp %gt : tensor<16xf32>
    %rows = recurrence.broadcast %a dim 0 : tensor<16xf32> -> tensor<8x16xf32>
    %sa = arith.mulf %S, %rows : tensor<8x16xf32>
    %u = recurrence.outer %vt, %kt : tensor<8xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %n = arith.addf %u, %sa : tensor<8x16xf32>
    %y = recurrence.matvec %n, %qt : tensor<8x16xf32>, tensor<16xf32> -> tensor<8xf32>
    recurrence.yield %n, %y : tensor<8x16xf32>, tensor<8xf32>
  }
  return %o : tensor<1x?x2x8xf32>
}

// -----

// Simple GLA (exp of a scalar input) with a rank-2 injection, gated.
// REMARK: remark: state-independent: {{.*}} with the scalar forget and a rank-2 injection; rewritten to recurrence.scan
// CHECK-LABEL: func.func @simple_gla_rank2(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<1x?x2x16xf32>, %[[K0:[^:]+]]: tensor<1x?x2x16xf32>, %[[K1:[^:]+]]: tensor<1x?x2x16xf32>, %[[V0:[^:]+]]: tensor<1x?x2x8xf32>, %[[V1:[^:]+]]: tensor<1x?x2x8xf32>, %[[B0:[^:]+]]: tensor<1x?x2xf32>, %[[B1:[^:]+]]: tensor<1x?x2xf32>, %[[G:[^:]+]]: tensor<1x?x2xf32>)
// CHECK:         %[[A:.+]] = recurrence.scalar_forget %[[G]] : tensor<1x?x2xf32>
// CHECK:         %[[I:.+]] = recurrence.inject keys(%[[K0]], %[[K1]] : {{.+}}) values(%[[V0]], %[[V1]] : {{.+}}) gates(%[[B0]], %[[B1]] : {{.+}}) -> <2>
// CHECK:         recurrence.scan %[[A]], %[[I]], %[[Q]] {scale = 2.500000e-01 : f64}
func.func @simple_gla_rank2(%q: tensor<1x?x2x16xf32>, %k0: tensor<1x?x2x16xf32>, %k1: tensor<1x?x2x16xf32>,
                            %v0: tensor<1x?x2x8xf32>, %v1: tensor<1x?x2x8xf32>,
                            %b0: tensor<1x?x2xf32>, %b1: tensor<1x?x2xf32>, %g: tensor<1x?x2xf32>)
    -> tensor<1x?x2x8xf32> {
  %o = recurrence.step ins(%q, %k0, %k1, %v0, %v1, %b0, %b1, %g : tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2xf32>, tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x2x8xf32> {
  ^bb0(%S: tensor<8x16xf32>, %qt: tensor<16xf32>, %k0t: tensor<16xf32>, %k1t: tensor<16xf32>, %v0t: tensor<8xf32>, %v1t: tensor<8xf32>, %b0t: f32, %b1t: f32, %gt: f32):
    %a = math.exp %gt : f32
    %as = recurrence.splat %a : tensor<8x16xf32>
    %sa = arith.mulf %as, %S : tensor<8x16xf32>
    %b0s = recurrence.splat %b0t : tensor<8xf32>
    %d0 = arith.mulf %v0t, %b0s : tensor<8xf32>
    %u0 = recurrence.outer %d0, %k0t : tensor<8xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %u1 = recurrence.outer %v1t, %k1t : tensor<8xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %b1s = recurrence.splat %b1t : tensor<8x16xf32>
    %u1g = arith.mulf %u1, %b1s : tensor<8x16xf32>
    %n0 = arith.addf %sa, %u0 : tensor<8x16xf32>
    %n = arith.addf %n0, %u1g : tensor<8x16xf32>
    %y = recurrence.matvec %n, %qt : tensor<8x16xf32>, tensor<16xf32> -> tensor<8xf32>
    %quarter = arith.constant 0.25 : f32
    %c = recurrence.splat %quarter : tensor<8xf32>
    %o = arith.mulf %y, %c : tensor<8xf32>
    recurrence.yield %n, %o : tensor<8x16xf32>, tensor<8xf32>
  }
  return %o : tensor<1x?x2x8xf32>
}

// -----

// Linear attention with the readout of S_{t-1} (not S_t): state-independent,
// but not the scan's readout, so the step stays.
// REMARK: remark: state-independent: the next state is S_{t-1} A_t + B_t with A_t and B_t free of the state (Definition 3.1), but the output is not scale * S_t q_t with q an input and scale a constant; only the sequential schedule applies
// CHECK-LABEL: func.func @previous_state_readout(
// CHECK:         recurrence.step
// CHECK-NOT:     recurrence.scan
func.func @previous_state_readout(%q: tensor<1x?x2x16xf32>, %k: tensor<1x?x2x16xf32>, %v: tensor<1x?x2x8xf32>)
    -> tensor<1x?x2x8xf32> {
  %o = recurrence.step ins(%q, %k, %v : tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x8xf32>) -> tensor<1x?x2x8xf32> {
  ^bb0(%S: tensor<8x16xf32>, %qt: tensor<16xf32>, %kt: tensor<16xf32>, %vt: tensor<8xf32>):
    %u = recurrence.outer %vt, %kt : tensor<8xf32>, tensor<16xf32> -> tensor<8x16xf32>
    %n = arith.addf %S, %u : tensor<8x16xf32>
    %y = recurrence.matvec %S, %qt : tensor<8x16xf32>, tensor<16xf32> -> tensor<8xf32>
    recurrence.yield %n, %y : tensor<8x16xf32>, tensor<8xf32>
  }
  return %o : tensor<1x?x2x8xf32>
}
