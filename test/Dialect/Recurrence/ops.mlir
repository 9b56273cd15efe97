// RUN: prism-opt %s -split-input-file | prism-opt -split-input-file | FileCheck %s
// RUN: prism-opt %s -split-input-file --mlir-print-op-generic | prism-opt -split-input-file | FileCheck %s

// Round trips of every recurrence op: the custom form is printed, parsed again
// and checked; the second RUN line does the same through the generic form.

//===----------------------------------------------------------------------===//
// Forget operators
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @identity_forget()
// CHECK:         %[[A:.+]] = recurrence.identity_forget
// CHECK:         return %[[A]] : !recurrence.forget<identity>
func.func @identity_forget() -> !recurrence.forget<identity> {
  %a = recurrence.identity_forget
  return %a : !recurrence.forget<identity>
}

// -----

// CHECK-LABEL: func.func @scalar_forget_static_f32(
// CHECK-SAME:      %[[G:.+]]: tensor<2x16x4xf32>)
// CHECK:         %[[A:.+]] = recurrence.scalar_forget %[[G]] : tensor<2x16x4xf32>
// CHECK:         return %[[A]] : !recurrence.forget<scalar>
func.func @scalar_forget_static_f32(%g: tensor<2x16x4xf32>) -> !recurrence.forget<scalar> {
  %a = recurrence.scalar_forget %g : tensor<2x16x4xf32>
  return %a : !recurrence.forget<scalar>
}

// -----

// CHECK-LABEL: func.func @scalar_forget_dynamic_f16(
// CHECK-SAME:      %[[G:.+]]: tensor<?x?x4xf16>)
// CHECK:         %[[A:.+]] = recurrence.scalar_forget %[[G]] : tensor<?x?x4xf16>
// CHECK:         return %[[A]] : !recurrence.forget<scalar>
func.func @scalar_forget_dynamic_f16(%g: tensor<?x?x4xf16>) -> !recurrence.forget<scalar> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf16>
  return %a : !recurrence.forget<scalar>
}

// -----

// CHECK-LABEL: func.func @scalar_forget_dynamic_bf16(
// CHECK-SAME:      %[[G:.+]]: tensor<?x?x?xbf16>)
// CHECK:         %[[A:.+]] = recurrence.scalar_forget %[[G]] : tensor<?x?x?xbf16>
func.func @scalar_forget_dynamic_bf16(%g: tensor<?x?x?xbf16>) -> !recurrence.forget<scalar> {
  %a = recurrence.scalar_forget %g : tensor<?x?x?xbf16>
  return %a : !recurrence.forget<scalar>
}

// -----

// CHECK-LABEL: func.func @diagonal_forget_static_f32(
// CHECK-SAME:      %[[G:.+]]: tensor<2x16x4x64xf32>)
// CHECK:         %[[A:.+]] = recurrence.diagonal_forget %[[G]] : tensor<2x16x4x64xf32>
// CHECK:         return %[[A]] : !recurrence.forget<diagonal>
func.func @diagonal_forget_static_f32(%g: tensor<2x16x4x64xf32>) -> !recurrence.forget<diagonal> {
  %a = recurrence.diagonal_forget %g : tensor<2x16x4x64xf32>
  return %a : !recurrence.forget<diagonal>
}

// -----

// CHECK-LABEL: func.func @diagonal_forget_dynamic_bf16(
// CHECK-SAME:      %[[G:.+]]: tensor<?x?x?x32xbf16>)
// CHECK:         %[[A:.+]] = recurrence.diagonal_forget %[[G]] : tensor<?x?x?x32xbf16>
func.func @diagonal_forget_dynamic_bf16(%g: tensor<?x?x?x32xbf16>) -> !recurrence.forget<diagonal> {
  %a = recurrence.diagonal_forget %g : tensor<?x?x?x32xbf16>
  return %a : !recurrence.forget<diagonal>
}

// -----

// CHECK-LABEL: func.func @diagonal_forget_f16(
// CHECK:         recurrence.diagonal_forget %{{.+}} : tensor<1x1x1x1xf16>
func.func @diagonal_forget_f16(%g: tensor<1x1x1x1xf16>) -> !recurrence.forget<diagonal> {
  %a = recurrence.diagonal_forget %g : tensor<1x1x1x1xf16>
  return %a : !recurrence.forget<diagonal>
}

// -----

// The default beta_max (1.0) is not printed, whether given or not.
// CHECK-LABEL: func.func @delta_forget_plain(
// CHECK-SAME:      %[[K:.+]]: tensor<2x16x4x64xbf16>, %[[B:.+]]: tensor<2x16x4xbf16>)
// CHECK:         %[[A0:.+]] = recurrence.delta_forget %[[K]], %[[B]] : tensor<2x16x4x64xbf16>, tensor<2x16x4xbf16>
// CHECK-NEXT:    %[[A1:.+]] = recurrence.delta_forget %[[K]], %[[B]] : tensor<2x16x4x64xbf16>, tensor<2x16x4xbf16>
// CHECK-NOT:     beta_max
// CHECK:         return %[[A0]], %[[A1]]
func.func @delta_forget_plain(%k: tensor<2x16x4x64xbf16>, %beta: tensor<2x16x4xbf16>)
    -> (!recurrence.forget<delta>, !recurrence.forget<delta>) {
  %a0 = recurrence.delta_forget %k, %beta : tensor<2x16x4x64xbf16>, tensor<2x16x4xbf16>
  %a1 = recurrence.delta_forget %k, %beta {beta_max = 1.0} : tensor<2x16x4x64xbf16>, tensor<2x16x4xbf16>
  return %a0, %a1 : !recurrence.forget<delta>, !recurrence.forget<delta>
}

// -----

// CHECK-LABEL: func.func @delta_forget_gate(
// CHECK-SAME:      %[[K:.+]]: tensor<?x?x4x64xf16>, %[[B:.+]]: tensor<?x?x4xf16>, %[[G:.+]]: tensor<?x?x4xf32>)
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[K]], %[[B]] gate(%[[G]] : tensor<?x?x4xf32>) : tensor<?x?x4x64xf16>, tensor<?x?x4xf16>
// CHECK:         return %[[A]]
func.func @delta_forget_gate(%k: tensor<?x?x4x64xf16>, %beta: tensor<?x?x4xf16>,
                             %g: tensor<?x?x4xf32>) -> !recurrence.forget<delta> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xf16>, tensor<?x?x4xf16>
  return %a : !recurrence.forget<delta>
}

// -----

// CHECK-LABEL: func.func @delta_forget_normalize(
// CHECK-SAME:      %[[K:.+]]: tensor<?x?x4x64xf32>, %[[B:.+]]: tensor<?x?x4xf32>)
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[K]], %[[B]] {normalize} : tensor<?x?x4x64xf32>, tensor<?x?x4xf32>
func.func @delta_forget_normalize(%k: tensor<?x?x4x64xf32>, %beta: tensor<?x?x4xf32>)
    -> !recurrence.forget<delta> {
  %a = recurrence.delta_forget %k, %beta {normalize} : tensor<?x?x4x64xf32>, tensor<?x?x4xf32>
  return %a : !recurrence.forget<delta>
}

// -----

// CHECK-LABEL: func.func @delta_forget_beta_max(
// CHECK-SAME:      %[[K:.+]]: tensor<2x?x4x64xbf16>, %[[B:.+]]: tensor<2x?x4xbf16>)
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[K]], %[[B]] {beta_max = 2.000000e+00 : f64} : tensor<2x?x4x64xbf16>, tensor<2x?x4xbf16>
func.func @delta_forget_beta_max(%k: tensor<2x?x4x64xbf16>, %beta: tensor<2x?x4xbf16>)
    -> !recurrence.forget<delta> {
  %a = recurrence.delta_forget %k, %beta {beta_max = 2.0} : tensor<2x?x4x64xbf16>, tensor<2x?x4xbf16>
  return %a : !recurrence.forget<delta>
}

// -----

// CHECK-LABEL: func.func @delta_forget_all(
// CHECK-SAME:      %[[K:.+]]: tensor<?x?x4x64xbf16>, %[[B:.+]]: tensor<?x?x4xbf16>, %[[G:.+]]: tensor<?x?x4xbf16>)
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[K]], %[[B]] gate(%[[G]] : tensor<?x?x4xbf16>) {beta_max = 2.000000e+00 : f64, normalize} : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
func.func @delta_forget_all(%k: tensor<?x?x4x64xbf16>, %beta: tensor<?x?x4xbf16>,
                            %g: tensor<?x?x4xbf16>) -> !recurrence.forget<delta> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xbf16>) {normalize, beta_max = 2.0}
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  return %a : !recurrence.forget<delta>
}

//===----------------------------------------------------------------------===//
// Injections
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @inject_rank1(
// CHECK-SAME:      %[[K:.+]]: tensor<?x?x2x32xf32>, %[[V:.+]]: tensor<?x?x2x48xf32>)
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K]] : tensor<?x?x2x32xf32>) values(%[[V]] : tensor<?x?x2x48xf32>) -> <1>
// CHECK-NOT:     gates
// CHECK:         return %[[B]] : !recurrence.injection<1>
func.func @inject_rank1(%k: tensor<?x?x2x32xf32>, %v: tensor<?x?x2x48xf32>)
    -> !recurrence.injection<1> {
  %b = recurrence.inject keys(%k : tensor<?x?x2x32xf32>) values(%v : tensor<?x?x2x48xf32>)
      -> !recurrence.injection<1>
  return %b : !recurrence.injection<1>
}

// -----

// CHECK-LABEL: func.func @inject_rank1_gate(
// CHECK-SAME:      %[[K:.+]]: tensor<2x16x4x64xbf16>, %[[V:.+]]: tensor<2x16x4x32xf16>, %[[G:.+]]: tensor<2x16x4xf32>)
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K]] : tensor<2x16x4x64xbf16>) values(%[[V]] : tensor<2x16x4x32xf16>) gates(%[[G]] : tensor<2x16x4xf32>) -> <1>
// CHECK:         return %[[B]] : !recurrence.injection<1>
func.func @inject_rank1_gate(%k: tensor<2x16x4x64xbf16>, %v: tensor<2x16x4x32xf16>,
                             %g: tensor<2x16x4xf32>) -> !recurrence.injection<1> {
  %b = recurrence.inject keys(%k : tensor<2x16x4x64xbf16>) values(%v : tensor<2x16x4x32xf16>)
                         gates(%g : tensor<2x16x4xf32>) -> !recurrence.injection<1>
  return %b : !recurrence.injection<1>
}

// -----

// CHECK-LABEL: func.func @inject_rank3(
// CHECK-SAME:      %[[K0:.+]]: tensor<?x?x4x64xbf16>, %[[K1:.+]]: tensor<?x?x4x64xbf16>, %[[K2:.+]]: tensor<?x?x4x64xbf16>,
// CHECK-SAME:      %[[V0:.+]]: tensor<?x?x4x64xf32>, %[[V1:.+]]: tensor<?x?x4x64xf32>, %[[V2:.+]]: tensor<?x?x4x64xf32>)
// CHECK:         %[[B:.+]] = recurrence.inject
// CHECK-SAME:      keys(%[[K0]], %[[K1]], %[[K2]] : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
// CHECK-SAME:      values(%[[V0]], %[[V1]], %[[V2]] : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>)
// CHECK-SAME:      -> <3>
// CHECK-NOT:     gates
// CHECK:         return %[[B]] : !recurrence.injection<3>
func.func @inject_rank3(
    %k0: tensor<?x?x4x64xbf16>, %k1: tensor<?x?x4x64xbf16>, %k2: tensor<?x?x4x64xbf16>,
    %v0: tensor<?x?x4x64xf32>, %v1: tensor<?x?x4x64xf32>, %v2: tensor<?x?x4x64xf32>)
    -> !recurrence.injection<3> {
  %b = recurrence.inject
      keys(%k0, %k1, %k2 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
      values(%v0, %v1, %v2 : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>)
      -> !recurrence.injection<3>
  return %b : !recurrence.injection<3>
}

// -----

// Keys, values and gates may mix element types.
// CHECK-LABEL: func.func @inject_rank3_gates(
// CHECK-SAME:      %[[K0:.+]]: tensor<2x8x1x16xf32>, %[[K1:.+]]: tensor<2x8x1x16xbf16>, %[[K2:.+]]: tensor<2x8x1x16xf16>,
// CHECK-SAME:      %[[V0:.+]]: tensor<2x8x1x8xf32>, %[[V1:.+]]: tensor<2x8x1x8xbf16>, %[[V2:.+]]: tensor<2x8x1x8xf16>,
// CHECK-SAME:      %[[G0:.+]]: tensor<2x8x1xf32>, %[[G1:.+]]: tensor<2x8x1xbf16>, %[[G2:.+]]: tensor<2x8x1xf16>)
// CHECK:         %[[B:.+]] = recurrence.inject
// CHECK-SAME:      keys(%[[K0]], %[[K1]], %[[K2]] : tensor<2x8x1x16xf32>, tensor<2x8x1x16xbf16>, tensor<2x8x1x16xf16>)
// CHECK-SAME:      values(%[[V0]], %[[V1]], %[[V2]] : tensor<2x8x1x8xf32>, tensor<2x8x1x8xbf16>, tensor<2x8x1x8xf16>)
// CHECK-SAME:      gates(%[[G0]], %[[G1]], %[[G2]] : tensor<2x8x1xf32>, tensor<2x8x1xbf16>, tensor<2x8x1xf16>)
// CHECK-SAME:      -> <3>
// CHECK:         return %[[B]] : !recurrence.injection<3>
func.func @inject_rank3_gates(
    %k0: tensor<2x8x1x16xf32>, %k1: tensor<2x8x1x16xbf16>, %k2: tensor<2x8x1x16xf16>,
    %v0: tensor<2x8x1x8xf32>, %v1: tensor<2x8x1x8xbf16>, %v2: tensor<2x8x1x8xf16>,
    %g0: tensor<2x8x1xf32>, %g1: tensor<2x8x1xbf16>, %g2: tensor<2x8x1xf16>)
    -> !recurrence.injection<3> {
  %b = recurrence.inject
      keys(%k0, %k1, %k2 : tensor<2x8x1x16xf32>, tensor<2x8x1x16xbf16>, tensor<2x8x1x16xf16>)
      values(%v0, %v1, %v2 : tensor<2x8x1x8xf32>, tensor<2x8x1x8xbf16>, tensor<2x8x1x8xf16>)
      gates(%g0, %g1, %g2 : tensor<2x8x1xf32>, tensor<2x8x1xbf16>, tensor<2x8x1xf16>)
      -> !recurrence.injection<3>
  return %b : !recurrence.injection<3>
}

//===----------------------------------------------------------------------===//
// Refinement write path
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @refine_gelu_1(
// CHECK-SAME:      %[[U:.+]]: tensor<?x?x4x64xbf16>, %[[V:.+]]: tensor<?x?x4x64xbf16>, %[[P:.+]]: tensor<?x?x4x64xbf16>)
// CHECK:         %[[D:.+]] = recurrence.refine gelu %[[U]], %[[V]] gains(%[[P]] : tensor<?x?x4x64xbf16>) : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xf32>
// CHECK:         return %[[D]] : tensor<?x?x4x64xf32>
func.func @refine_gelu_1(%u: tensor<?x?x4x64xbf16>, %v: tensor<?x?x4x64xbf16>,
                         %p: tensor<?x?x4x64xbf16>) -> tensor<?x?x4x64xf32> {
  %d = recurrence.refine gelu %u, %v gains(%p : tensor<?x?x4x64xbf16>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xf32>
  return %d : tensor<?x?x4x64xf32>
}

// -----

// CHECK-LABEL: func.func @refine_gelu_2(
// CHECK-SAME:      %[[U:.+]]: tensor<2x16x4x64xf16>, %[[V:.+]]: tensor<2x16x4x64xf16>, %[[P0:.+]]: tensor<2x16x4x64xf16>, %[[P1:.+]]: tensor<2x16x4x64xf16>)
// CHECK:         %[[D:.+]]:2 = recurrence.refine gelu %[[U]], %[[V]] gains(%[[P0]], %[[P1]] : tensor<2x16x4x64xf16>, tensor<2x16x4x64xf16>) : tensor<2x16x4x64xf16>, tensor<2x16x4x64xf16> -> tensor<2x16x4x64xf16>, tensor<2x16x4x64xf32>
// CHECK:         return %[[D]]#0, %[[D]]#1
func.func @refine_gelu_2(%u: tensor<2x16x4x64xf16>, %v: tensor<2x16x4x64xf16>,
                         %p0: tensor<2x16x4x64xf16>, %p1: tensor<2x16x4x64xf16>)
    -> (tensor<2x16x4x64xf16>, tensor<2x16x4x64xf32>) {
  %d:2 = recurrence.refine gelu %u, %v gains(%p0, %p1 : tensor<2x16x4x64xf16>, tensor<2x16x4x64xf16>)
      : tensor<2x16x4x64xf16>, tensor<2x16x4x64xf16> -> tensor<2x16x4x64xf16>, tensor<2x16x4x64xf32>
  return %d#0, %d#1 : tensor<2x16x4x64xf16>, tensor<2x16x4x64xf32>
}

// -----

// CHECK-LABEL: func.func @refine_gelu_3(
// CHECK-SAME:      %[[U:.+]]: tensor<?x?x4x64xf32>, %[[V:.+]]: tensor<?x?x4x64xf32>, %[[P0:.+]]: tensor<?x?x4x64xf32>, %[[P1:.+]]: tensor<?x?x4x64xf32>, %[[P2:.+]]: tensor<?x?x4x64xf32>)
// CHECK:         %[[D:.+]]:3 = recurrence.refine gelu %[[U]], %[[V]] gains(%[[P0]], %[[P1]], %[[P2]] : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>) : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32> -> tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>
// CHECK:         return %[[D]]#0, %[[D]]#1, %[[D]]#2
func.func @refine_gelu_3(%u: tensor<?x?x4x64xf32>, %v: tensor<?x?x4x64xf32>,
                         %p0: tensor<?x?x4x64xf32>, %p1: tensor<?x?x4x64xf32>, %p2: tensor<?x?x4x64xf32>)
    -> (tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>) {
  %d:3 = recurrence.refine gelu %u, %v
      gains(%p0, %p1, %p2 : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>)
      : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>
      -> tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>
  return %d#0, %d#1, %d#2 : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>
}

// -----

// CHECK-LABEL: func.func @refine_identity_1(
// CHECK-SAME:      %[[U:.+]]: tensor<2x16x4x64xf32>, %[[V:.+]]: tensor<2x16x4x64xbf16>, %[[P:.+]]: tensor<2x16x4x64xf16>)
// CHECK:         %[[D:.+]] = recurrence.refine identity %[[U]], %[[V]] gains(%[[P]] : tensor<2x16x4x64xf16>) : tensor<2x16x4x64xf32>, tensor<2x16x4x64xbf16> -> tensor<2x16x4x64xbf16>
// CHECK:         return %[[D]] : tensor<2x16x4x64xbf16>
func.func @refine_identity_1(%u: tensor<2x16x4x64xf32>, %v: tensor<2x16x4x64xbf16>,
                             %p: tensor<2x16x4x64xf16>) -> tensor<2x16x4x64xbf16> {
  %d = recurrence.refine identity %u, %v gains(%p : tensor<2x16x4x64xf16>)
      : tensor<2x16x4x64xf32>, tensor<2x16x4x64xbf16> -> tensor<2x16x4x64xbf16>
  return %d : tensor<2x16x4x64xbf16>
}

// -----

// CHECK-LABEL: func.func @refine_identity_2(
// CHECK-SAME:      %[[U:.+]]: tensor<?x8x2x16xbf16>, %[[V:.+]]: tensor<?x8x2x16xbf16>, %[[P0:.+]]: tensor<?x8x2x16xbf16>, %[[P1:.+]]: tensor<?x8x2x16xbf16>)
// CHECK:         %[[D:.+]]:2 = recurrence.refine identity %[[U]], %[[V]] gains(%[[P0]], %[[P1]] : tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16>) : tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16> -> tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16>
// CHECK:         return %[[D]]#0, %[[D]]#1
func.func @refine_identity_2(%u: tensor<?x8x2x16xbf16>, %v: tensor<?x8x2x16xbf16>,
                             %p0: tensor<?x8x2x16xbf16>, %p1: tensor<?x8x2x16xbf16>)
    -> (tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16>) {
  %d:2 = recurrence.refine identity %u, %v gains(%p0, %p1 : tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16>)
      : tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16> -> tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16>
  return %d#0, %d#1 : tensor<?x8x2x16xbf16>, tensor<?x8x2x16xbf16>
}

// -----

// CHECK-LABEL: func.func @refine_identity_3(
// CHECK-SAME:      %[[U:.+]]: tensor<1x4x1x8xf16>, %[[V:.+]]: tensor<1x4x1x8xf16>, %[[P0:.+]]: tensor<1x4x1x8xf16>, %[[P1:.+]]: tensor<1x4x1x8xf16>, %[[P2:.+]]: tensor<1x4x1x8xf16>)
// CHECK:         %[[D:.+]]:3 = recurrence.refine identity %[[U]], %[[V]] gains(%[[P0]], %[[P1]], %[[P2]] : tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>) : tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16> -> tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>
// CHECK:         return %[[D]]#0, %[[D]]#1, %[[D]]#2
func.func @refine_identity_3(%u: tensor<1x4x1x8xf16>, %v: tensor<1x4x1x8xf16>,
                             %p0: tensor<1x4x1x8xf16>, %p1: tensor<1x4x1x8xf16>, %p2: tensor<1x4x1x8xf16>)
    -> (tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>) {
  %d:3 = recurrence.refine identity %u, %v
      gains(%p0, %p1, %p2 : tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>)
      : tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>
      -> tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>
  return %d#0, %d#1, %d#2 : tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>, tensor<1x4x1x8xf16>
}

//===----------------------------------------------------------------------===//
// Short convolution
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @short_conv_plain(
// CHECK-SAME:      %[[X:.+]]: tensor<?x?x4x64xbf16>, %[[W:.+]]: tensor<4x64x4xf32>)
// CHECK:         %[[Y:.+]] = recurrence.short_conv none %[[X]], %[[W]] : tensor<?x?x4x64xbf16>, tensor<4x64x4xf32> -> tensor<?x?x4x64xbf16>
// CHECK-NOT:     bias
// CHECK-NOT:     cache
// CHECK:         return %[[Y]]
func.func @short_conv_plain(%x: tensor<?x?x4x64xbf16>, %w: tensor<4x64x4xf32>)
    -> tensor<?x?x4x64xbf16> {
  %y = recurrence.short_conv none %x, %w
      : tensor<?x?x4x64xbf16>, tensor<4x64x4xf32> -> tensor<?x?x4x64xbf16>
  return %y : tensor<?x?x4x64xbf16>
}

// -----

// CHECK-LABEL: func.func @short_conv_silu_bias(
// CHECK-SAME:      %[[X:.+]]: tensor<2x16x4x64xf16>, %[[W:.+]]: tensor<4x64x3xf16>, %[[B:.+]]: tensor<4x64xf32>)
// CHECK:         %[[Y:.+]] = recurrence.short_conv silu %[[X]], %[[W]] bias(%[[B]] : tensor<4x64xf32>) : tensor<2x16x4x64xf16>, tensor<4x64x3xf16> -> tensor<2x16x4x64xf16>
// CHECK:         return %[[Y]]
func.func @short_conv_silu_bias(%x: tensor<2x16x4x64xf16>, %w: tensor<4x64x3xf16>,
                                %b: tensor<4x64xf32>) -> tensor<2x16x4x64xf16> {
  %y = recurrence.short_conv silu %x, %w bias(%b : tensor<4x64xf32>)
      : tensor<2x16x4x64xf16>, tensor<4x64x3xf16> -> tensor<2x16x4x64xf16>
  return %y : tensor<2x16x4x64xf16>
}

// -----

// CHECK-LABEL: func.func @short_conv_cache(
// CHECK-SAME:      %[[X:.+]]: tensor<2x?x4x64xf32>, %[[W:.+]]: tensor<4x64x4xf32>, %[[C:.+]]: tensor<2x3x4x64xf32>)
// CHECK:         %[[Y:.+]] = recurrence.short_conv silu %[[X]], %[[W]] cache(%[[C]] : tensor<2x3x4x64xf32>) : tensor<2x?x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x?x4x64xf32>
// CHECK-NOT:     bias
// CHECK:         return %[[Y]]
func.func @short_conv_cache(%x: tensor<2x?x4x64xf32>, %w: tensor<4x64x4xf32>,
                            %c: tensor<2x3x4x64xf32>) -> tensor<2x?x4x64xf32> {
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<2x3x4x64xf32>)
      : tensor<2x?x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x?x4x64xf32>
  return %y : tensor<2x?x4x64xf32>
}

// -----

// CHECK-LABEL: func.func @short_conv_bias_cache(
// CHECK-SAME:      %[[X:.+]]: tensor<?x?x2x32xbf16>, %[[W:.+]]: tensor<2x32x16xbf16>, %[[B:.+]]: tensor<2x32xbf16>, %[[C:.+]]: tensor<?x15x2x32xbf16>)
// CHECK:         %[[Y:.+]] = recurrence.short_conv none %[[X]], %[[W]] bias(%[[B]] : tensor<2x32xbf16>) cache(%[[C]] : tensor<?x15x2x32xbf16>) : tensor<?x?x2x32xbf16>, tensor<2x32x16xbf16> -> tensor<?x?x2x32xbf16>
// CHECK:         return %[[Y]]
func.func @short_conv_bias_cache(%x: tensor<?x?x2x32xbf16>, %w: tensor<2x32x16xbf16>,
                                 %b: tensor<2x32xbf16>, %c: tensor<?x15x2x32xbf16>)
    -> tensor<?x?x2x32xbf16> {
  %y = recurrence.short_conv none %x, %w bias(%b : tensor<2x32xbf16>) cache(%c : tensor<?x15x2x32xbf16>)
      : tensor<?x?x2x32xbf16>, tensor<2x32x16xbf16> -> tensor<?x?x2x32xbf16>
  return %y : tensor<?x?x2x32xbf16>
}

// -----

// A window of 1 is allowed; its cache is empty.
// CHECK-LABEL: func.func @short_conv_window1(
// CHECK-SAME:      %[[X:.+]]: tensor<1x8x1x8xf32>, %[[W:.+]]: tensor<1x8x1xf32>, %[[C:.+]]: tensor<1x0x1x8xf32>)
// CHECK:         %[[Y:.+]] = recurrence.short_conv silu %[[X]], %[[W]] cache(%[[C]] : tensor<1x0x1x8xf32>) : tensor<1x8x1x8xf32>, tensor<1x8x1xf32> -> tensor<1x8x1x8xf32>
func.func @short_conv_window1(%x: tensor<1x8x1x8xf32>, %w: tensor<1x8x1xf32>,
                              %c: tensor<1x0x1x8xf32>) -> tensor<1x8x1x8xf32> {
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<1x0x1x8xf32>)
      : tensor<1x8x1x8xf32>, tensor<1x8x1xf32> -> tensor<1x8x1x8xf32>
  return %y : tensor<1x8x1x8xf32>
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

// -----

// The smallest scan: no initial state, no final state, no attributes.
// CHECK-LABEL: func.func @scan_linear_attention(
// CHECK-SAME:      %[[Q:.+]]: tensor<?x?x2x32xf32>, %[[K:.+]]: tensor<?x?x2x32xf32>, %[[V:.+]]: tensor<?x?x2x48xf32>)
// CHECK:         %[[A:.+]] = recurrence.identity_forget
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K]] : tensor<?x?x2x32xf32>) values(%[[V]] : tensor<?x?x2x48xf32>) -> <1>
// CHECK:         %[[O:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] : <identity>, <1>, tensor<?x?x2x32xf32> -> tensor<?x?x2x48xf32>
// CHECK:         return %[[O]] : tensor<?x?x2x48xf32>
func.func @scan_linear_attention(%q: tensor<?x?x2x32xf32>, %k: tensor<?x?x2x32xf32>,
                                 %v: tensor<?x?x2x48xf32>) -> tensor<?x?x2x48xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x2x32xf32>) values(%v : tensor<?x?x2x48xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x2x32xf32>
      -> tensor<?x?x2x48xf32>
  return %o : tensor<?x?x2x48xf32>
}

// -----

// CHECK-LABEL: func.func @scan_scalar_initial(
// CHECK-SAME:      %[[Q:.+]]: tensor<2x16x4x64xbf16>, %[[K:.+]]: tensor<2x16x4x64xbf16>, %[[V:.+]]: tensor<2x16x4x32xbf16>, %[[G:.+]]: tensor<2x16x4xf32>, %[[S0:.+]]: tensor<2x4x64x32xf32>)
// CHECK:         %[[A:.+]] = recurrence.scalar_forget %[[G]] : tensor<2x16x4xf32>
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K]] : tensor<2x16x4x64xbf16>) values(%[[V]] : tensor<2x16x4x32xbf16>) -> <1>
// CHECK:         %[[O:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] initial(%[[S0]] : tensor<2x4x64x32xf32>) : <scalar>, <1>, tensor<2x16x4x64xbf16> -> tensor<2x16x4x32xbf16>
// CHECK:         return %[[O]]
func.func @scan_scalar_initial(%q: tensor<2x16x4x64xbf16>, %k: tensor<2x16x4x64xbf16>,
                               %v: tensor<2x16x4x32xbf16>, %g: tensor<2x16x4xf32>,
                               %s0: tensor<2x4x64x32xf32>) -> tensor<2x16x4x32xbf16> {
  %a = recurrence.scalar_forget %g : tensor<2x16x4xf32>
  %b = recurrence.inject keys(%k : tensor<2x16x4x64xbf16>) values(%v : tensor<2x16x4x32xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q initial(%s0 : tensor<2x4x64x32xf32>)
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<2x16x4x64xbf16>
      -> tensor<2x16x4x32xbf16>
  return %o : tensor<2x16x4x32xbf16>
}

// -----

// CHECK-LABEL: func.func @scan_diagonal_final(
// CHECK-SAME:      %[[Q:.+]]: tensor<?x?x4x64xf16>, %[[K:.+]]: tensor<?x?x4x64xf16>, %[[V:.+]]: tensor<?x?x4x64xf16>, %[[G:.+]]: tensor<?x?x4x64xf32>)
// CHECK:         %[[A:.+]] = recurrence.diagonal_forget %[[G]] : tensor<?x?x4x64xf32>
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K]] : tensor<?x?x4x64xf16>) values(%[[V]] : tensor<?x?x4x64xf16>) -> <1>
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] : <diagonal>, <1>, tensor<?x?x4x64xf16> -> tensor<?x?x4x64xf16>, tensor<?x4x64x64xf32>
// CHECK:         return %[[O]], %[[S]]
func.func @scan_diagonal_final(%q: tensor<?x?x4x64xf16>, %k: tensor<?x?x4x64xf16>,
                               %v: tensor<?x?x4x64xf16>, %g: tensor<?x?x4x64xf32>)
    -> (tensor<?x?x4x64xf16>, tensor<?x4x64x64xf32>) {
  %a = recurrence.diagonal_forget %g : tensor<?x?x4x64xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xf16>) values(%v : tensor<?x?x4x64xf16>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x4x64xf16>
      -> tensor<?x?x4x64xf16>, tensor<?x4x64x64xf32>
  return %o, %s : tensor<?x?x4x64xf16>, tensor<?x4x64x64xf32>
}

// -----

// CHECK-LABEL: func.func @scan_delta_initial_final(
// CHECK-SAME:      %[[Q:.+]]: tensor<?x?x4x64xbf16>, %[[K:.+]]: tensor<?x?x4x64xbf16>, %[[V:.+]]: tensor<?x?x4x64xbf16>, %[[G:.+]]: tensor<?x?x4xf32>, %[[BETA:.+]]: tensor<?x?x4xbf16>, %[[S0:.+]]: tensor<?x4x64x64xf32>)
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[K]], %[[BETA]] gate(%[[G]] : tensor<?x?x4xf32>) : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K]] : tensor<?x?x4x64xbf16>) values(%[[V]] : tensor<?x?x4x64xbf16>) gates(%[[BETA]] : tensor<?x?x4xbf16>) -> <1>
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] initial(%[[S0]] : tensor<?x4x64x64xf32>) {schedule = #recurrence.schedule<sequential>} : <delta>, <1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
// CHECK:         return %[[O]], %[[S]]
func.func @scan_delta_initial_final(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                                    %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>,
                                    %beta: tensor<?x?x4xbf16>, %s0: tensor<?x4x64x64xf32>)
    -> (tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>) {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
                         gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x64x64xf32>)
      {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
  return %o, %s : tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
}

// -----

// CHECK-LABEL: func.func @scan_scale(
// CHECK:         recurrence.scan %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.250000e-01 : f64} : <identity>, <1>, tensor<1x8x1x64xf32> -> tensor<1x8x1x16xf32>
func.func @scan_scale(%q: tensor<1x8x1x64xf32>, %k: tensor<1x8x1x64xf32>,
                      %v: tensor<1x8x1x16xf32>) -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x64xf32>) values(%v : tensor<1x8x1x16xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {scale = 0.125}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x64xf32>
      -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

// The vk layout stores states [B, H, V, K].
// CHECK-LABEL: func.func @scan_layout_vk(
// CHECK-SAME:      %[[Q:.+]]: tensor<?x?x4x64xbf16>, %[[K:.+]]: tensor<?x?x4x64xbf16>, %[[V:.+]]: tensor<?x?x4x32xbf16>, %[[G:.+]]: tensor<?x?x4x64xf32>, %[[S0:.+]]: tensor<?x4x32x64xf32>)
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan %{{.+}}, %{{.+}}, %[[Q]] initial(%[[S0]] : tensor<?x4x32x64xf32>) {schedule = #recurrence.schedule<sequential, v_tile = 32>, state_layout = #recurrence<state_layout vk>} : <diagonal>, <1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x32xbf16>, tensor<?x4x32x64xf32>
// CHECK:         return %[[O]], %[[S]]
func.func @scan_layout_vk(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                          %v: tensor<?x?x4x32xbf16>, %g: tensor<?x?x4x64xf32>,
                          %s0: tensor<?x4x32x64xf32>)
    -> (tensor<?x?x4x32xbf16>, tensor<?x4x32x64xf32>) {
  %a = recurrence.diagonal_forget %g : tensor<?x?x4x64xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x32xbf16>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x32x64xf32>)
      {schedule = #recurrence.schedule<sequential, v_tile = 32>,
       state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x32xbf16>, tensor<?x4x32x64xf32>
  return %o, %s : tensor<?x?x4x32xbf16>, tensor<?x4x32x64xf32>
}

// -----

// The default layout kv is not printed, whether given or not.
// CHECK-LABEL: func.func @scan_layout_kv(
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan %{{.+}}, %{{.+}}, %{{.+}} : <identity>, <1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x32xf32>, tensor<2x4x64x32xf32>
// CHECK-NOT:     state_layout
func.func @scan_layout_kv(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>,
                          %v: tensor<2x8x4x32xf32>)
    -> (tensor<2x8x4x32xf32>, tensor<2x4x64x32xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x32xf32>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q {state_layout = #recurrence<state_layout kv>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x32xf32>, tensor<2x4x64x32xf32>
  return %o, %s : tensor<2x8x4x32xf32>, tensor<2x4x64x32xf32>
}

// -----

// Every schedule kind, with and without parameters. Parameters print in the
// order chunk, v_tile, k_split, warps, stages; parameters equal to 0 are not
// printed. k_split is for the sequential kind only (invalid.mlir).
// CHECK-LABEL: func.func @scan_schedules(
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 64, warps = 2>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 8, warps = 16>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_fused>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 4, stages = 2>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_two_pass>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_two_pass, chunk = 16, v_tile = 256, warps = 1, stages = 1>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<tree>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<tree, chunk = 128, warps = 8, stages = 4>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_fused, chunk = 32, v_tile = 16>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 4>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 32, warps = 16>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, k_split = 1>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_fused, chunk = 16, v_tile = 8, warps = 2, stages = 4>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 4, k_split = 32, warps = 3>} :
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<tree, chunk = 16, v_tile = 256, warps = 32, stages = 1>} :
func.func @scan_schedules(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                          %v: tensor<?x?x4x256xbf16>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x256xbf16>)
      -> !recurrence.injection<1>
  %o0 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o1 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 64, warps = 2>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o2 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, warps = 16, v_tile = 8>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o3 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o4 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 4, stages = 2>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o5 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o6 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass, stages = 1, warps = 1, v_tile = 256, chunk = 16>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o7 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o8 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree, chunk = 128, warps = 8, stages = 4>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o9 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 32, v_tile = 16, warps = 0, stages = 0>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o10 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, chunk = 0, v_tile = 0, k_split = 0, warps = 0, stages = 0>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o11 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, k_split = 4, v_tile = 64>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o12 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 32, warps = 16>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o13 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, k_split = 1>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o14 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, stages = 4, warps = 2, chunk = 16, v_tile = 8>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o15 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, warps = 3, k_split = 32, v_tile = 4>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  %o16 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree, chunk = 16, v_tile = 256, warps = 32, stages = 1>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x256xbf16>
  return
}

// -----

// The schedule attribute alone, at the edges of its ranges: v_tile is any
// width in [1, 1024] (a power of two or not), warps any count in [1, 32].
// CHECK-LABEL: func.func @schedule_attr_ranges()
// CHECK-SAME:      s0 = #recurrence.schedule<sequential, v_tile = 1, k_split = 1, warps = 1>
// CHECK-SAME:      s1 = #recurrence.schedule<sequential, v_tile = 4>
// CHECK-SAME:      s2 = #recurrence.schedule<chunked_fused, v_tile = 48>
// CHECK-SAME:      s3 = #recurrence.schedule<sequential, v_tile = 512>
// CHECK-SAME:      s4 = #recurrence.schedule<sequential, v_tile = 32, k_split = 32, warps = 32>
// CHECK-SAME:      s5 = #recurrence.schedule<sequential, warps = 3>
// CHECK-SAME:      s6 = #recurrence.schedule<chunked_fused, warps = 32>
// CHECK-SAME:      s7 = #recurrence.schedule<tree, chunk = 16, v_tile = 1000, warps = 17, stages = 4>
// CHECK-SAME:      s8 = #recurrence.schedule<chunked_two_pass>
func.func @schedule_attr_ranges() attributes {
    s0 = #recurrence.schedule<sequential, v_tile = 1, k_split = 1, warps = 1>,
    s1 = #recurrence.schedule<sequential, v_tile = 4>,
    s2 = #recurrence.schedule<chunked_fused, v_tile = 48>,
    s3 = #recurrence.schedule<sequential, v_tile = 512>,
    s4 = #recurrence.schedule<sequential, warps = 32, k_split = 32, v_tile = 32>,
    s5 = #recurrence.schedule<sequential, warps = 3>,
    s6 = #recurrence.schedule<chunked_fused, warps = 32>,
    s7 = #recurrence.schedule<tree, stages = 4, warps = 17, v_tile = 1000, chunk = 16>,
    s8 = #recurrence.schedule<chunked_two_pass, k_split = 0>} {
  return
}

// -----

// A rank-3 injection with all attributes, the vk layout and static shapes.
// CHECK-LABEL: func.func @scan_rank3_all(
// CHECK-SAME:      %[[Q:.+]]: tensor<2x32x4x64xf32>, %[[K0:.+]]: tensor<2x32x4x64xf32>, %[[K1:.+]]: tensor<2x32x4x64xf32>, %[[K2:.+]]: tensor<2x32x4x64xf32>, %[[D0:.+]]: tensor<2x32x4x128xf32>, %[[D1:.+]]: tensor<2x32x4x128xf32>, %[[D2:.+]]: tensor<2x32x4x128xf32>, %[[BETA:.+]]: tensor<2x32x4xf32>, %[[S0:.+]]: tensor<2x4x128x64xf32>)
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[K0]], %[[BETA]] {beta_max = 2.000000e+00 : f64, normalize} : tensor<2x32x4x64xf32>, tensor<2x32x4xf32>
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K0]], %[[K1]], %[[K2]] : {{.+}}) values(%[[D0]], %[[D1]], %[[D2]] : {{.+}}) gates(%[[BETA]], %[[BETA]], %[[BETA]] : {{.+}}) -> <3>
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] initial(%[[S0]] : tensor<2x4x128x64xf32>)
// CHECK-SAME:      {scale = 5.000000e-01 : f64, schedule = #recurrence.schedule<chunked_two_pass, chunk = 32, v_tile = 128, warps = 8, stages = 3>, state_layout = #recurrence<state_layout vk>}
// CHECK-SAME:      : <delta>, <3>, tensor<2x32x4x64xf32> -> tensor<2x32x4x128xf32>, tensor<2x4x128x64xf32>
// CHECK:         return %[[O]], %[[S]]
func.func @scan_rank3_all(%q: tensor<2x32x4x64xf32>, %k0: tensor<2x32x4x64xf32>,
                          %k1: tensor<2x32x4x64xf32>, %k2: tensor<2x32x4x64xf32>,
                          %d0: tensor<2x32x4x128xf32>, %d1: tensor<2x32x4x128xf32>,
                          %d2: tensor<2x32x4x128xf32>, %beta: tensor<2x32x4xf32>,
                          %s0: tensor<2x4x128x64xf32>)
    -> (tensor<2x32x4x128xf32>, tensor<2x4x128x64xf32>) {
  %a = recurrence.delta_forget %k0, %beta {normalize, beta_max = 2.0}
      : tensor<2x32x4x64xf32>, tensor<2x32x4xf32>
  %b = recurrence.inject
      keys(%k0, %k1, %k2 : tensor<2x32x4x64xf32>, tensor<2x32x4x64xf32>, tensor<2x32x4x64xf32>)
      values(%d0, %d1, %d2 : tensor<2x32x4x128xf32>, tensor<2x32x4x128xf32>, tensor<2x32x4x128xf32>)
      gates(%beta, %beta, %beta : tensor<2x32x4xf32>, tensor<2x32x4xf32>, tensor<2x32x4xf32>)
      -> !recurrence.injection<3>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<2x4x128x64xf32>)
      {scale = 0.5,
       schedule = #recurrence.schedule<chunked_two_pass, chunk = 32, v_tile = 128, warps = 8, stages = 3>,
       state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<delta>, !recurrence.injection<3>, tensor<2x32x4x64xf32>
      -> tensor<2x32x4x128xf32>, tensor<2x4x128x64xf32>
  return %o, %s : tensor<2x32x4x128xf32>, tensor<2x4x128x64xf32>
}

// -----

// A whole PRISM layer (docs/examples/prism_eq18.mlir): the write path feeds
// the injection.
// CHECK-LABEL: func.func @prism_layer(
// CHECK-SAME:      %[[Q:.+]]: tensor<?x?x4x64xbf16>, %[[X:.+]]: tensor<?x?x4x64xbf16>, %[[CW:.+]]: tensor<4x64x4xf32>, %[[CB:.+]]: tensor<4x64xf32>, %[[V:.+]]: tensor<?x?x4x64xbf16>, %[[K1:.+]]: tensor<?x?x4x64xbf16>, %[[K2:.+]]: tensor<?x?x4x64xbf16>, %[[P1:.+]]: tensor<?x?x4x64xbf16>, %[[P2:.+]]: tensor<?x?x4x64xbf16>, %[[B1:.+]]: tensor<?x?x4xbf16>, %[[G:.+]]: tensor<?x?x4xf32>)
// CHECK:         %[[U:.+]] = recurrence.short_conv silu %[[X]], %[[CW]] bias(%[[CB]] : tensor<4x64xf32>)
// CHECK:         %[[D:.+]]:2 = recurrence.refine gelu %[[U]], %[[V]] gains(%[[P1]], %[[P2]] :
// CHECK:         %[[A:.+]] = recurrence.delta_forget %[[K1]], %[[B1]] gate(%[[G]] : tensor<?x?x4xf32>)
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K1]], %[[K2]] : {{.+}}) values(%[[D]]#0, %[[D]]#1 : {{.+}}) -> <2>
// CHECK:         %[[O:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] : <delta>, <2>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
// CHECK:         return %[[O]]
func.func @prism_layer(
    %q: tensor<?x?x4x64xbf16>, %x: tensor<?x?x4x64xbf16>,
    %conv_w: tensor<4x64x4xf32>, %conv_b: tensor<4x64xf32>, %v: tensor<?x?x4x64xbf16>,
    %k1: tensor<?x?x4x64xbf16>, %k2: tensor<?x?x4x64xbf16>,
    %p1: tensor<?x?x4x64xbf16>, %p2: tensor<?x?x4x64xbf16>,
    %b1: tensor<?x?x4xbf16>, %g: tensor<?x?x4xf32>) -> tensor<?x?x4x64xbf16> {
  %u = recurrence.short_conv silu %x, %conv_w bias(%conv_b : tensor<4x64xf32>)
      : tensor<?x?x4x64xbf16>, tensor<4x64x4xf32> -> tensor<?x?x4x64xbf16>
  %d:2 = recurrence.refine gelu %u, %v gains(%p1, %p2 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>
  %a = recurrence.delta_forget %k1, %b1 gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k1, %k2 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
                         values(%d#0, %d#1 : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>)
      -> !recurrence.injection<2>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<delta>, !recurrence.injection<2>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}
