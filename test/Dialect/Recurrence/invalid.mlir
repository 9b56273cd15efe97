// RUN: prism-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the recurrence dialect: the ODS type and
// attribute constraints, the op verifiers (RecurrenceOps.cpp), the schedule
// attribute's parser and verifier and the injection type's verifier
// (RecurrenceDialect.cpp).

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

// expected-error @+1 {{injection rank must be at least 1, got 0}}
func.func @injection_rank_zero(%b: !recurrence.injection<0>) {
  return
}

// -----

// expected-error @+1 {{injection rank must be at least 1, got -2}}
func.func @injection_rank_negative(%b: !recurrence.injection<-2>) {
  return
}

// -----

// expected-error @+2 {{expected ::prism::recurrence::ForgetFamily to be one of: identity, scalar, diagonal, delta}}
// expected-error @+1 {{failed to parse Recurrence_ForgetType parameter 'family'}}
func.func @forget_unknown_family(%a: !recurrence.forget<lowrank>) {
  return
}

//===----------------------------------------------------------------------===//
// identity_forget, scalar_forget, diagonal_forget
//===----------------------------------------------------------------------===//

// -----

func.func @identity_forget_wrong_family() {
  // expected-error @+1 {{'recurrence.identity_forget' op result #0 must be forget of family identity, but got '!recurrence.forget<scalar>'}}
  %a = "recurrence.identity_forget"() : () -> !recurrence.forget<scalar>
  return
}

// -----

func.func @scalar_forget_wrong_family(%g: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.scalar_forget' op result #0 must be forget of family scalar, but got '!recurrence.forget<diagonal>'}}
  %a = "recurrence.scalar_forget"(%g) : (tensor<2x8x4xf32>) -> !recurrence.forget<diagonal>
  return
}

// -----

func.func @scalar_forget_i32(%g: tensor<2x8x4xi32>) {
  // expected-error @+1 {{'recurrence.scalar_forget' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4xi32>'}}
  %a = recurrence.scalar_forget %g : tensor<2x8x4xi32>
  return
}

// -----

func.func @scalar_forget_f64(%g: tensor<2x8x4xf64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4xf64>'}}
  %a = recurrence.scalar_forget %g : tensor<2x8x4xf64>
  return
}

// -----

func.func @scalar_forget_unranked(%g: tensor<*xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<*xf32>'}}
  %a = "recurrence.scalar_forget"(%g) : (tensor<*xf32>) -> !recurrence.forget<scalar>
  return
}

// -----

func.func @scalar_forget_rank(%g: tensor<2x8x4x1xf32>) {
  // expected-error @+1 {{'recurrence.scalar_forget' op log_decay must have rank 3 ([B, T, H]), got [2, 8, 4, 1]}}
  %a = recurrence.scalar_forget %g : tensor<2x8x4x1xf32>
  return
}

// -----

func.func @diagonal_forget_rank(%g: tensor<?x?x4xf32>) {
  // expected-error @+1 {{'recurrence.diagonal_forget' op log_decay must have rank 4 ([B, T, H, K]), got [?, ?, 4]}}
  %a = recurrence.diagonal_forget %g : tensor<?x?x4xf32>
  return
}

// -----

func.func @diagonal_forget_dynamic_k(%g: tensor<2x8x4x?xf32>) {
  // expected-error @+1 {{'recurrence.diagonal_forget' op log_decay must have a static, positive K dimension, got [2, 8, 4, ?]}}
  %a = recurrence.diagonal_forget %g : tensor<2x8x4x?xf32>
  return
}

// -----

func.func @diagonal_forget_zero_k(%g: tensor<2x8x4x0xbf16>) {
  // expected-error @+1 {{'recurrence.diagonal_forget' op log_decay must have a static, positive K dimension, got [2, 8, 4, 0]}}
  %a = recurrence.diagonal_forget %g : tensor<2x8x4x0xbf16>
  return
}

// -----

func.func @diagonal_forget_i32(%g: tensor<2x8x4x64xi32>) {
  // expected-error @+1 {{'recurrence.diagonal_forget' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4x64xi32>'}}
  %a = recurrence.diagonal_forget %g : tensor<2x8x4x64xi32>
  return
}

//===----------------------------------------------------------------------===//
// delta_forget
//===----------------------------------------------------------------------===//

// -----

func.func @delta_forget_key_rank(%k: tensor<2x8x64xf32>, %b: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op key must have rank 4 ([B, T, H, K]), got [2, 8, 64]}}
  %a = recurrence.delta_forget %k, %b : tensor<2x8x64xf32>, tensor<2x8x4xf32>
  return
}

// -----

func.func @delta_forget_dynamic_k(%k: tensor<?x?x4x?xbf16>, %b: tensor<?x?x4xbf16>) {
  // expected-error @+1 {{'recurrence.delta_forget' op key must have a static, positive K dimension, got [?, ?, 4, ?]}}
  %a = recurrence.delta_forget %k, %b : tensor<?x?x4x?xbf16>, tensor<?x?x4xbf16>
  return
}

// -----

func.func @delta_forget_strength_rank(%k: tensor<2x8x4x64xf32>, %b: tensor<2x8x4x1xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op strength must have rank 3 ([B, T, H]), got [2, 8, 4, 1]}}
  %a = recurrence.delta_forget %k, %b : tensor<2x8x4x64xf32>, tensor<2x8x4x1xf32>
  return
}

// -----

func.func @delta_forget_strength_dims(%k: tensor<2x8x4x64xf32>, %b: tensor<2x8x2xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op strength has shape [2, 8, 2], but its leading [B, T, H] dims must match [2, 8, 4]}}
  %a = recurrence.delta_forget %k, %b : tensor<2x8x4x64xf32>, tensor<2x8x2xf32>
  return
}

// -----

// A dynamic dim matches only a dynamic dim.
func.func @delta_forget_strength_dynamic_vs_static(%k: tensor<?x8x4x64xf32>, %b: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op strength has shape [2, 8, 4], but its leading [B, T, H] dims must match [?, 8, 4]}}
  %a = recurrence.delta_forget %k, %b : tensor<?x8x4x64xf32>, tensor<2x8x4xf32>
  return
}

// -----

func.func @delta_forget_gate_rank(%k: tensor<2x8x4x64xf32>, %b: tensor<2x8x4xf32>, %g: tensor<2x8xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op gate must have rank 3 ([B, T, H]), got [2, 8]}}
  %a = recurrence.delta_forget %k, %b gate(%g : tensor<2x8xf32>) : tensor<2x8x4x64xf32>, tensor<2x8x4xf32>
  return
}

// -----

func.func @delta_forget_gate_dims(%k: tensor<2x?x4x64xf32>, %b: tensor<2x?x4xf32>, %g: tensor<2x16x4xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op gate has shape [2, 16, 4], but its leading [B, T, H] dims must match [2, ?, 4]}}
  %a = recurrence.delta_forget %k, %b gate(%g : tensor<2x16x4xf32>) : tensor<2x?x4x64xf32>, tensor<2x?x4xf32>
  return
}

// -----

func.func @delta_forget_beta_max(%k: tensor<2x8x4x64xf32>, %b: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op beta_max must be 1 or 2, got 1.5}}
  %a = recurrence.delta_forget %k, %b {beta_max = 1.5} : tensor<2x8x4x64xf32>, tensor<2x8x4xf32>
  return
}

// -----

func.func @delta_forget_beta_max_zero(%k: tensor<2x8x4x64xf32>, %b: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op beta_max must be 1 or 2, got 0}}
  %a = recurrence.delta_forget %k, %b {beta_max = 0.0} : tensor<2x8x4x64xf32>, tensor<2x8x4xf32>
  return
}

// -----

func.func @delta_forget_beta_max_f32(%k: tensor<2x8x4x64xf32>, %b: tensor<2x8x4xf32>) {
  // expected-error @+1 {{attribute 'beta_max' failed to satisfy constraint: 64-bit float attribute}}
  %a = recurrence.delta_forget %k, %b {beta_max = 2.0 : f32} : tensor<2x8x4x64xf32>, tensor<2x8x4xf32>
  return
}

// -----

func.func @delta_forget_strength_i32(%k: tensor<2x8x4x64xf32>, %b: tensor<2x8x4xi32>) {
  // expected-error @+1 {{'recurrence.delta_forget' op operand #1 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4xi32>'}}
  %a = recurrence.delta_forget %k, %b : tensor<2x8x4x64xf32>, tensor<2x8x4xi32>
  return
}

//===----------------------------------------------------------------------===//
// inject
//===----------------------------------------------------------------------===//

// -----

// Only the generic form can spell an empty key list.
func.func @inject_no_keys() {
  // expected-error @+1 {{'recurrence.inject' op needs at least one key sequence}}
  %b = "recurrence.inject"() <{operandSegmentSizes = array<i32: 0, 0, 0>}> : () -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_keys_vs_rank(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op has 1 key sequences but its result is rank 2}}
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x32xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_keys_vs_values(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op has 3 key sequences but 2 value sequences; L must agree}}
  %b = recurrence.inject keys(%k, %k, %k : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>)
                         values(%v, %v : tensor<2x8x4x32xf32>, tensor<2x8x4x32xf32>)
      -> !recurrence.injection<3>
  return
}

// -----

func.func @inject_keys_vs_gates(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>, %g: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.inject' op has 2 key sequences but 1 gates; give one gate per rank or none}}
  %b = recurrence.inject keys(%k, %k : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>)
                         values(%v, %v : tensor<2x8x4x32xf32>, tensor<2x8x4x32xf32>)
                         gates(%g : tensor<2x8x4xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_key0_rank(%k: tensor<2x8x64xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op key 0 must have rank 4 ([B, T, H, K]), got [2, 8, 64]}}
  %b = recurrence.inject keys(%k : tensor<2x8x64xf32>) values(%v : tensor<2x8x4x32xf32>)
      -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_key0_dynamic_k(%k: tensor<2x8x4x?xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op key 0 must have a static, positive K dimension, got [2, 8, 4, ?]}}
  %b = recurrence.inject keys(%k : tensor<2x8x4x?xf32>) values(%v : tensor<2x8x4x32xf32>)
      -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_key1_rank(%k0: tensor<2x8x4x64xf32>, %k1: tensor<2x8x4xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op key 1 must have rank 4 ([B, T, H, K]), got [2, 8, 4]}}
  %b = recurrence.inject keys(%k0, %k1 : tensor<2x8x4x64xf32>, tensor<2x8x4xf32>)
                         values(%v, %v : tensor<2x8x4x32xf32>, tensor<2x8x4x32xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_key1_k_mismatch(%k0: tensor<2x8x4x64xf32>, %k1: tensor<2x8x4x32xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op key 1 has shape [2, 8, 4, 32], but its leading [B, T, H, K] dims must match [2, 8, 4, 64]}}
  %b = recurrence.inject keys(%k0, %k1 : tensor<2x8x4x64xf32>, tensor<2x8x4x32xf32>)
                         values(%v, %v : tensor<2x8x4x32xf32>, tensor<2x8x4x32xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_key2_t_mismatch(%k0: tensor<2x?x4x64xbf16>, %k2: tensor<2x8x4x64xbf16>, %v: tensor<2x?x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op key 2 has shape [2, 8, 4, 64], but its leading [B, T, H, K] dims must match [2, ?, 4, 64]}}
  %b = recurrence.inject keys(%k0, %k0, %k2 : tensor<2x?x4x64xbf16>, tensor<2x?x4x64xbf16>, tensor<2x8x4x64xbf16>)
                         values(%v, %v, %v : tensor<2x?x4x32xf32>, tensor<2x?x4x32xf32>, tensor<2x?x4x32xf32>)
      -> !recurrence.injection<3>
  return
}

// -----

func.func @inject_value0_rank(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x128xf32>) {
  // expected-error @+1 {{'recurrence.inject' op value 0 must have rank 4 ([B, T, H, V]), got [2, 8, 128]}}
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x128xf32>)
      -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_value0_dynamic_v(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x?xf32>) {
  // expected-error @+1 {{'recurrence.inject' op value 0 must have a static, positive V dimension, got [2, 8, 4, ?]}}
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x?xf32>)
      -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_value0_bth(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x2x64xf32>) {
  // expected-error @+1 {{'recurrence.inject' op value 0 has shape [2, 8, 2, 64], but its leading [B, T, H] dims must match [2, 8, 4]}}
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x2x64xf32>)
      -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_value1_rank(%k: tensor<2x8x4x64xf32>, %v0: tensor<2x8x4x32xf32>, %v1: tensor<2x8x4x32x1xf32>) {
  // expected-error @+1 {{'recurrence.inject' op value 1 must have rank 4 ([B, T, H, V]), got [2, 8, 4, 32, 1]}}
  %b = recurrence.inject keys(%k, %k : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>)
                         values(%v0, %v1 : tensor<2x8x4x32xf32>, tensor<2x8x4x32x1xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_value1_v_mismatch(%k: tensor<2x8x4x64xf32>, %v0: tensor<2x8x4x32xf32>, %v1: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.inject' op value 1 has shape [2, 8, 4, 64], but its leading [B, T, H, V] dims must match [2, 8, 4, 32]}}
  %b = recurrence.inject keys(%k, %k : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>)
                         values(%v0, %v1 : tensor<2x8x4x32xf32>, tensor<2x8x4x64xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_value1_b_mismatch(%k: tensor<?x8x4x64xf32>, %v0: tensor<?x8x4x32xf32>, %v1: tensor<3x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op value 1 has shape [3, 8, 4, 32], but its leading [B, T, H] dims must match [?, 8, 4]}}
  %b = recurrence.inject keys(%k, %k : tensor<?x8x4x64xf32>, tensor<?x8x4x64xf32>)
                         values(%v0, %v1 : tensor<?x8x4x32xf32>, tensor<3x8x4x32xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_gate_rank(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>, %g: tensor<2x8x4x1xf32>) {
  // expected-error @+1 {{'recurrence.inject' op gate 0 must have rank 3 ([B, T, H]), got [2, 8, 4, 1]}}
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x32xf32>)
                         gates(%g : tensor<2x8x4x1xf32>) -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_gate_dims(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>,
                            %g0: tensor<2x8x4xf32>, %g1: tensor<2x?x4xf32>) {
  // expected-error @+1 {{'recurrence.inject' op gate 1 has shape [2, ?, 4], but its leading [B, T, H] dims must match [2, 8, 4]}}
  %b = recurrence.inject keys(%k, %k : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>)
                         values(%v, %v : tensor<2x8x4x32xf32>, tensor<2x8x4x32xf32>)
                         gates(%g0, %g1 : tensor<2x8x4xf32>, tensor<2x?x4xf32>)
      -> !recurrence.injection<2>
  return
}

// -----

func.func @inject_key_i32(%k: tensor<2x8x4x64xi32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op operand #0 must be variadic of ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4x64xi32>'}}
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xi32>) values(%v : tensor<2x8x4x32xf32>)
      -> !recurrence.injection<1>
  return
}

// -----

func.func @inject_result_not_injection(%k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.inject' op result #0 must be}}
  %b = "recurrence.inject"(%k, %v) <{operandSegmentSizes = array<i32: 1, 1, 0>}>
      : (tensor<2x8x4x64xf32>, tensor<2x8x4x32xf32>) -> !recurrence.forget<identity>
  return
}

//===----------------------------------------------------------------------===//
// refine
//===----------------------------------------------------------------------===//

// -----

// Only the generic form can spell an empty gain list.
func.func @refine_no_gains(%u: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.refine' op needs at least one gain (L >= 1)}}
  "recurrence.refine"(%u, %u) <{activation = #recurrence<activation gelu>}>
      : (tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>) -> ()
  return
}

// -----

func.func @refine_result_count(%u: tensor<2x8x4x64xf32>, %p: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.refine' op has 2 gains but 1 results; L must agree}}
  %d = recurrence.refine gelu %u, %u gains(%p, %p : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @refine_result_count_more(%u: tensor<2x8x4x64xf32>, %p: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.refine' op has 1 gains but 3 results; L must agree}}
  %d:3 = recurrence.refine identity %u, %u gains(%p : tensor<2x8x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>
  return
}

// -----

func.func @refine_anchor_rank(%u: tensor<2x8x256xf32>, %v: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.refine' op anchor must have rank 4 ([B, T, H, V]), got [2, 8, 256]}}
  %d = recurrence.refine gelu %u, %v gains(%v : tensor<2x8x4x64xf32>)
      : tensor<2x8x256xf32>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @refine_anchor_dynamic_v(%u: tensor<2x8x4x?xf32>) {
  // expected-error @+1 {{'recurrence.refine' op anchor must have a static, positive V dimension, got [2, 8, 4, ?]}}
  %d = recurrence.refine gelu %u, %u gains(%u : tensor<2x8x4x?xf32>)
      : tensor<2x8x4x?xf32>, tensor<2x8x4x?xf32> -> tensor<2x8x4x?xf32>
  return
}

// -----

func.func @refine_value_rank(%u: tensor<2x8x4x64xf32>, %v: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.refine' op value must have rank 4 ([B, T, H, V]), got [2, 8, 4]}}
  %d = recurrence.refine gelu %u, %v gains(%u : tensor<2x8x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @refine_value_shape(%u: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.refine' op value has shape [2, 8, 4, 32], but its leading [B, T, H, V] dims must match [2, 8, 4, 64]}}
  %d = recurrence.refine gelu %u, %v gains(%u : tensor<2x8x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4x32xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @refine_gain_rank(%u: tensor<2x8x4x64xf32>, %p: tensor<2x8x4x64x1xf32>) {
  // expected-error @+1 {{'recurrence.refine' op gain 1 must have rank 4 ([B, T, H, V]), got [2, 8, 4, 64, 1]}}
  %d:2 = recurrence.refine gelu %u, %u gains(%u, %p : tensor<2x8x4x64xf32>, tensor<2x8x4x64x1xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>
  return
}

// -----

func.func @refine_gain_shape(%u: tensor<?x?x4x64xbf16>, %p: tensor<?x16x4x64xbf16>) {
  // expected-error @+1 {{'recurrence.refine' op gain 0 has shape [?, 16, 4, 64], but its leading [B, T, H, V] dims must match [?, ?, 4, 64]}}
  %d = recurrence.refine gelu %u, %u gains(%p : tensor<?x16x4x64xbf16>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xf32>
  return
}

// -----

func.func @refine_result_rank(%u: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.refine' op result 0 must have rank 4 ([B, T, H, V]), got [2, 8, 256]}}
  %d = recurrence.refine gelu %u, %u gains(%u : tensor<2x8x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32> -> tensor<2x8x256xf32>
  return
}

// -----

func.func @refine_result_shape(%u: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.refine' op result 1 has shape [2, 8, 4, 32], but its leading [B, T, H, V] dims must match [2, 8, 4, 64]}}
  %d:2 = recurrence.refine gelu %u, %u gains(%u, %u : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>, tensor<2x8x4x32xf32>
  return
}

// -----

func.func @refine_result_i32(%u: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.refine' op result #0 must be variadic of ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4x64xi32>'}}
  %d = recurrence.refine gelu %u, %u gains(%u : tensor<2x8x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xi32>
  return
}

//===----------------------------------------------------------------------===//
// short_conv
//===----------------------------------------------------------------------===//

// -----

func.func @short_conv_input_rank(%x: tensor<2x8x256xf32>, %w: tensor<4x64x4xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op input must have rank 4 ([B, T, H, D]), got [2, 8, 256]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x256xf32>, tensor<4x64x4xf32> -> tensor<2x8x256xf32>
  return
}

// -----

func.func @short_conv_input_dynamic_h(%x: tensor<2x8x?x64xf32>, %w: tensor<4x64x4xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op input must have a static, positive H dimension, got [2, 8, ?, 64]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x?x64xf32>, tensor<4x64x4xf32> -> tensor<2x8x?x64xf32>
  return
}

// -----

func.func @short_conv_input_dynamic_d(%x: tensor<?x?x4x?xbf16>, %w: tensor<4x64x4xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op input must have a static, positive D dimension, got [?, ?, 4, ?]}}
  %y = recurrence.short_conv none %x, %w : tensor<?x?x4x?xbf16>, tensor<4x64x4xf32> -> tensor<?x?x4x?xbf16>
  return
}

// -----

func.func @short_conv_weight_rank(%x: tensor<2x8x4x64xf32>, %w: tensor<256x4xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op weight must have rank 3 ([H, D, W]), got [256, 4]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<256x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_window_dynamic(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x?xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op weight window W must be static and in [1, 16], got [4, 64, ?]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<4x64x?xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_window_zero(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x0xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op weight window W must be static and in [1, 16], got [4, 64, 0]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<4x64x0xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_window_too_large(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x17xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op weight window W must be static and in [1, 16], got [4, 64, 17]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<4x64x17xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_weight_shape(%x: tensor<2x8x4x64xf32>, %w: tensor<64x4x4xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op weight has shape [64, 4, 4] but the input [2, 8, 4, 64] needs [H, D, W] = [4, 64, W]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<64x4x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_weight_dynamic_d(%x: tensor<2x8x4x64xf32>, %w: tensor<4x?x4xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op weight has shape [4, ?, 4] but the input [2, 8, 4, 64] needs [H, D, W] = [4, 64, W]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<4x?x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_bias_rank(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x4xf32>, %b: tensor<256xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op bias must have rank 2 ([H, D]), got [256]}}
  %y = recurrence.short_conv silu %x, %w bias(%b : tensor<256xf32>)
      : tensor<2x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_bias_shape(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x4xf32>, %b: tensor<4x32xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op bias has shape [4, 32], but its leading [H, D] dims must match [4, 64]}}
  %y = recurrence.short_conv silu %x, %w bias(%b : tensor<4x32xf32>)
      : tensor<2x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_cache_rank(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x4xf32>, %c: tensor<2x3x256xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op cache must have rank 4 ([B, W-1, H, D]), got [2, 3, 256]}}
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<2x3x256xf32>)
      : tensor<2x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_cache_window(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x4xf32>, %c: tensor<2x4x4x64xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op cache has shape [2, 4, 4, 64] but must be [B, W-1, H, D] = [2, 3, 4, 64]}}
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<2x4x4x64xf32>)
      : tensor<2x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_cache_batch(%x: tensor<?x?x4x64xf32>, %w: tensor<4x64x4xf32>, %c: tensor<2x3x4x64xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op cache has shape [2, 3, 4, 64] but must be [B, W-1, H, D] = [?, 3, 4, 64]}}
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<2x3x4x64xf32>)
      : tensor<?x?x4x64xf32>, tensor<4x64x4xf32> -> tensor<?x?x4x64xf32>
  return
}

// -----

func.func @short_conv_cache_channels(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x2xf32>, %c: tensor<2x1x4x32xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op cache has shape [2, 1, 4, 32] but must be [B, W-1, H, D] = [2, 1, 4, 64]}}
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<2x1x4x32xf32>)
      : tensor<2x8x4x64xf32>, tensor<4x64x2xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

// The expected shape is printed whole, B included.
func.func @short_conv_cache_window_b12(%x: tensor<12x8x4x64xf32>, %w: tensor<4x64x4xf32>, %c: tensor<12x4x4x64xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op cache has shape [12, 4, 4, 64] but must be [B, W-1, H, D] = [12, 3, 4, 64]}}
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<12x4x4x64xf32>)
      : tensor<12x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<12x8x4x64xf32>
  return
}

// -----

func.func @short_conv_cache_batch_b12(%x: tensor<12x8x4x64xf32>, %w: tensor<4x64x4xf32>, %c: tensor<2x3x4x64xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op cache has shape [2, 3, 4, 64] but must be [B, W-1, H, D] = [12, 3, 4, 64]}}
  %y = recurrence.short_conv silu %x, %w cache(%c : tensor<2x3x4x64xf32>)
      : tensor<12x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<12x8x4x64xf32>
  return
}

// -----

func.func @short_conv_result_shape(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x4xf32>) {
  // expected-error @+1 {{'recurrence.short_conv' op result shape [2, ?, 4, 64] must equal the input shape [2, 8, 4, 64]}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x?x4x64xf32>
  return
}

// -----

func.func @short_conv_weight_i32(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x4xi32>) {
  // expected-error @+1 {{'recurrence.short_conv' op operand #1 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4x64x4xi32>'}}
  %y = recurrence.short_conv silu %x, %w : tensor<2x8x4x64xf32>, tensor<4x64x4xi32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @short_conv_unknown_activation(%x: tensor<2x8x4x64xf32>, %w: tensor<4x64x4xf32>) {
  // expected-error @+2 {{expected ::prism::recurrence::ConvActivation to be one of: none, silu}}
  // expected-error @+1 {{failed to parse Recurrence_ConvActivationAttr parameter 'value'}}
  %y = recurrence.short_conv relu %x, %w : tensor<2x8x4x64xf32>, tensor<4x64x4xf32> -> tensor<2x8x4x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// scan: operands
//===----------------------------------------------------------------------===//

// -----

func.func @scan_query_rank(%q: tensor<2x8x256xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op query must have rank 4 ([B, T, H, K]), got [2, 8, 256]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x256xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_query_dynamic_k(%q: tensor<2x8x4x?xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op query must have a static, positive K dimension, got [2, 8, 4, ?]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x?xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_query_i32(%q: tensor<2x8x4x64xi32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op operand #2 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4x64xi32>'}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xi32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_forget_argument(%a: !recurrence.forget<scalar>, %q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op forget operand must be produced by a recurrence forget op}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_forget_other_op(%x: i32, %q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = builtin.unrealized_conversion_cast %x : i32 to !recurrence.forget<identity>
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op forget operand must be produced by a recurrence forget op}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_injection_argument(%b: !recurrence.injection<1>, %q: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  // expected-error @+1 {{'recurrence.scan' op injection operand must be produced by recurrence.inject}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_forget_not_forget_type(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op operand #0 must be}}
  %o = "recurrence.scan"(%b, %b, %q) : (!recurrence.injection<1>, !recurrence.injection<1>, tensor<2x8x4x64xf32>)
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_scalar_log_decay_dims(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %g: tensor<2x8x2xf32>) {
  %a = recurrence.scalar_forget %g : tensor<2x8x2xf32>
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op log_decay has shape [2, 8, 2], but its leading [B, T, H] dims must match [2, 8, 4]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_diagonal_log_decay_k(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %g: tensor<2x8x4x32xf32>) {
  %a = recurrence.diagonal_forget %g : tensor<2x8x4x32xf32>
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op log_decay has shape [2, 8, 4, 32], but its leading [B, T, H, K] dims must match [2, 8, 4, 64]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_delta_key_k(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %w: tensor<2x8x4x32xf32>, %beta: tensor<2x8x4xf32>) {
  %a = recurrence.delta_forget %w, %beta : tensor<2x8x4x32xf32>, tensor<2x8x4xf32>
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op delta key has shape [2, 8, 4, 32], but its leading [B, T, H, K] dims must match [2, 8, 4, 64]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_inject_key_k(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x32xf32>, %v: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x32xf32>) values(%v : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op key 0 has shape [2, 8, 4, 32], but its leading [B, T, H, K] dims must match [2, 8, 4, 64]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_inject_key_t(%q: tensor<2x?x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op key 0 has shape [2, 8, 4, 64], but its leading [B, T, H, K] dims must match [2, ?, 4, 64]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x?x4x64xf32>
      -> tensor<2x?x4x64xf32>
  return
}

// -----

func.func @scan_output_rank(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op output must have rank 4 ([B, T, H, V]), got [2, 8, 256]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x256xf32>
  return
}

// -----

func.func @scan_output_v(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x32xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op output has shape [2, 8, 4, 64], but its leading [B, T, H, V] dims must match [2, 8, 4, 32]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_output_b(%q: tensor<?x8x4x64xf32>, %k: tensor<?x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x8x4x64xf32>) values(%k : tensor<?x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op output has shape [2, 8, 4, 64], but its leading [B, T, H, V] dims must match [?, 8, 4, 64]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_output_i32(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x4x64xi32>'}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xi32>
  return
}

//===----------------------------------------------------------------------===//
// scan: placed before its producers
//===----------------------------------------------------------------------===//

// -----

// The scan verifier reads its producers' operands, so it verifies them first;
// an invalid producer that comes later in the block is reported at the
// producer, then at the scan (no crash), and nothing else.
func.func @scan_before_invalid_inject(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.scan' op has an invalid forget or injection operand}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  %a = recurrence.identity_forget
  // expected-error @+1 {{'recurrence.inject' op key 0 must have rank 4 ([B, T, H, K]), got [2, 8, 64]}}
  %b = recurrence.inject keys(%k : tensor<2x8x64xf32>) values(%v : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  return
}

// -----

func.func @scan_before_empty_inject(%q: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.scan' op has an invalid forget or injection operand}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  %a = recurrence.identity_forget
  // expected-error @+1 {{'recurrence.inject' op needs at least one key sequence}}
  %b = "recurrence.inject"() <{operandSegmentSizes = array<i32: 0, 0, 0>}> : () -> !recurrence.injection<1>
  return
}

// -----

func.func @scan_before_invalid_diagonal_forget(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %g: tensor<2x8x4x?xf32>) {
  // expected-error @+1 {{'recurrence.scan' op has an invalid forget or injection operand}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  // expected-error @+1 {{'recurrence.diagonal_forget' op log_decay must have a static, positive K dimension, got [2, 8, 4, ?]}}
  %a = recurrence.diagonal_forget %g : tensor<2x8x4x?xf32>
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  return
}

// -----

func.func @scan_before_invalid_delta_forget(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %w: tensor<2x8x64xf32>, %beta: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'recurrence.scan' op has an invalid forget or injection operand}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  // expected-error @+1 {{'recurrence.delta_forget' op key must have rank 4 ([B, T, H, K]), got [2, 8, 64]}}
  %a = recurrence.delta_forget %w, %beta : tensor<2x8x64xf32>, tensor<2x8x4xf32>
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  return
}

// -----

// Two scans before one invalid inject: the first failure stops verification,
// so the inject's error is reported once.
func.func @two_scans_before_invalid_inject(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{'recurrence.scan' op has an invalid forget or injection operand}}
  %o0 = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  %o1 = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  %a = recurrence.identity_forget
  // expected-error @+1 {{'recurrence.inject' op key 0 must have rank 4 ([B, T, H, K]), got [2, 8, 64]}}
  %b = recurrence.inject keys(%k : tensor<2x8x64xf32>) values(%v : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  return
}

// -----

// The same inside a region: the producers are in the parent block.
func.func @nested_scan_before_invalid_inject(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x8x4x64xf32>) {
  %o = scf.execute_region -> tensor<2x8x4x64xf32> {
    // expected-error @+1 {{'recurrence.scan' op has an invalid forget or injection operand}}
    %s = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
        -> tensor<2x8x4x64xf32>
    scf.yield %s : tensor<2x8x4x64xf32>
  }
  %a = recurrence.identity_forget
  // expected-error @+1 {{'recurrence.inject' op key 0 must have rank 4 ([B, T, H, K]), got [2, 8, 64]}}
  %b = recurrence.inject keys(%k : tensor<2x8x64xf32>) values(%v : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  return
}

// -----

// With valid producers the scan verifies, and the misplacement is the
// dominance error.
func.func @scan_before_valid_producers(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  // expected-error @+1 {{operand #0 does not dominate this use}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  // expected-note @+1 {{operand defined here (op in the same block)}}
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  return
}

// -----

// Valid producers that do not fit the scan: the scan's own shape check runs
// first, before the dominance check.
func.func @scan_before_mismatched_inject(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x32xf32>) {
  // expected-error @+1 {{'recurrence.scan' op key 0 has shape [2, 8, 4, 32], but its leading [B, T, H, K] dims must match [2, 8, 4, 64]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x32xf32>) values(%k : tensor<2x8x4x32xf32>) -> !recurrence.injection<1>
  return
}

//===----------------------------------------------------------------------===//
// scan: states
//===----------------------------------------------------------------------===//

// -----

func.func @scan_initial_rank(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %s0: tensor<8x64x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op initial_state must have rank 4 ([B, H, K, V]), got [8, 64, 64]}}
  %o = recurrence.scan %a, %b, %q initial(%s0 : tensor<8x64x64xf32>)
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_initial_kv(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>, %s0: tensor<2x4x32x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x32xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op initial_state has shape [2, 4, 32, 64], but its leading [B, H, K, V] dims must match [2, 4, 64, 32]}}
  %o = recurrence.scan %a, %b, %q initial(%s0 : tensor<2x4x32x64xf32>)
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x32xf32>
  return
}

// -----

func.func @scan_initial_vk(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>, %s0: tensor<2x4x64x32xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x32xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op initial_state has shape [2, 4, 64, 32], but its leading [B, H, V, K] dims must match [2, 4, 32, 64]}}
  %o = recurrence.scan %a, %b, %q initial(%s0 : tensor<2x4x64x32xf32>) {state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x32xf32>
  return
}

// -----

func.func @scan_initial_batch(%q: tensor<?x?x4x64xf32>, %k: tensor<?x?x4x64xf32>, %s0: tensor<2x4x64x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xf32>) values(%k : tensor<?x?x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op initial_state has shape [2, 4, 64, 64], but its leading [B, H, K, V] dims must match [?, 4, 64, 64]}}
  %o = recurrence.scan %a, %b, %q initial(%s0 : tensor<2x4x64x64xf32>)
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xf32> -> tensor<?x?x4x64xf32>
  return
}

// -----

func.func @scan_initial_bf16(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %s0: tensor<2x4x64x64xbf16>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op operand #3 must be ranked tensor of 32-bit float values, but got 'tensor<2x4x64x64xbf16>'}}
  %o = recurrence.scan %a, %b, %q initial(%s0 : tensor<2x4x64x64xbf16>)
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_final_rank(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op final_state must have rank 4 ([B, H, V, K]), got [2, 4, 4096]}}
  %o, %s = recurrence.scan %a, %b, %q {state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>, tensor<2x4x4096xf32>
  return
}

// -----

func.func @scan_final_kv(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x128xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x128xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op final_state has shape [2, 4, 128, 64], but its leading [B, H, K, V] dims must match [2, 4, 64, 128]}}
  %o, %s = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x128xf32>, tensor<2x4x128x64xf32>
  return
}

// -----

func.func @scan_final_vk(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x128xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x128xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op final_state has shape [2, 4, 64, 128], but its leading [B, H, V, K] dims must match [2, 4, 128, 64]}}
  %o, %s = recurrence.scan %a, %b, %q {state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x128xf32>, tensor<2x4x64x128xf32>
  return
}

// -----

func.func @scan_final_f16(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op result #1 must be ranked tensor of 32-bit float values, but got 'tensor<2x4x64x64xf16>'}}
  %o, %s = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32>
      -> tensor<2x8x4x64xf32>, tensor<2x4x64x64xf16>
  return
}

//===----------------------------------------------------------------------===//
// scan: attributes
//===----------------------------------------------------------------------===//

// -----

func.func @scan_scale_zero(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op scale must be a positive normal f32 value (about 1.2e-38 to 3.4e38), got 0}}
  %o = recurrence.scan %a, %b, %q {scale = 0.0}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_scale_negative(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op scale must be a positive normal f32 value (about 1.2e-38 to 3.4e38), got -1.250000e-01}}
  %o = recurrence.scan %a, %b, %q {scale = -0.125}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_scale_inf(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op scale must be a positive normal f32 value (about 1.2e-38 to 3.4e38), got INF}}
  %o = recurrence.scan %a, %b, %q {scale = 0x7FF0000000000000 : f64}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_scale_f32(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %o = recurrence.scan %a, %b, %q {scale = 0.5 : f32}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_schedule_not_schedule(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{attribute 'schedule' failed to satisfy constraint}}
  %o = recurrence.scan %a, %b, %q {schedule = "sequential"}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_v_tile_divides_v(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x48xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x48xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op schedule v_tile 32 does not divide the value width V = 48}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 32>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x48xf32>
  return
}

// -----

func.func @scan_v_tile_wider_than_v(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>, %v: tensor<2x8x4x32xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%v : tensor<2x8x4x32xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op schedule v_tile 64 does not divide the value width V = 32}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x32xf32>
  return
}

// -----

func.func @scan_k_split_divides_k(%q: tensor<2x8x4x48xf32>, %k: tensor<2x8x4x48xf32>, %v: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x48xf32>) values(%v : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op schedule k_split 32 does not divide the key width K = 48}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 16, k_split = 32>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x48xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_unknown_state_layout(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+2 {{expected ::prism::recurrence::StateLayout to be one of: kv, vk}}
  // expected-error @+1 {{failed to parse Recurrence_StateLayoutAttr parameter 'value'}}
  %o = recurrence.scan %a, %b, %q {state_layout = #recurrence<state_layout kvk>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Schedule attribute
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{unknown schedule 'blocked' (expected sequential, chunked_fused, chunked_two_pass or tree)}}
func.func @schedule_unknown_kind() attributes {s = #recurrence.schedule<blocked>} {
  return
}

// -----

// expected-error @+1 {{unknown schedule parameter 'tile' (expected chunk, v_tile, k_split, rows, warps or stages)}}
func.func @schedule_unknown_parameter() attributes {s = #recurrence.schedule<chunked_fused, tile = 64>} {
  return
}

// -----

// expected-error @+1 {{schedule parameter 'chunk' given twice}}
func.func @schedule_duplicate_parameter() attributes {s = #recurrence.schedule<chunked_fused, chunk = 64, warps = 4, chunk = 32>} {
  return
}

// -----

// expected-error @+1 {{schedule 'sequential' takes no chunk}}
func.func @schedule_sequential_chunk() attributes {s = #recurrence.schedule<sequential, chunk = 64>} {
  return
}


// -----

// expected-error @+1 {{schedule chunk must be a multiple of 16 in [16, 128], got 8}}
func.func @schedule_chunk_small() attributes {s = #recurrence.schedule<chunked_fused, chunk = 8>} {
  return
}

// -----

// expected-error @+1 {{schedule chunk must be a multiple of 16 in [16, 128], got 40}}
func.func @schedule_chunk_not_multiple() attributes {s = #recurrence.schedule<chunked_two_pass, chunk = 40>} {
  return
}

// -----

// expected-error @+1 {{schedule chunk must be a multiple of 16 in [16, 128], got 256}}
func.func @schedule_chunk_large() attributes {s = #recurrence.schedule<tree, chunk = 256>} {
  return
}

// -----

// expected-error @+1 {{schedule chunk must be a multiple of 16 in [16, 128], got -16}}
func.func @schedule_chunk_negative() attributes {s = #recurrence.schedule<tree, chunk = -16>} {
  return
}

// -----

// v_tile may be any width in [1, 1024] (0 asks the pass to choose); whether
// it divides V is checked where a scan holds the schedule. 4, 48 and 512 are
// valid now: ops.mlir round-trips them.
// expected-error @+1 {{schedule v_tile must be in [1, 1024] (or 0 to choose), got 1025}}
func.func @schedule_v_tile_large() attributes {s = #recurrence.schedule<sequential, v_tile = 1025>} {
  return
}

// -----

// expected-error @+1 {{schedule v_tile must be in [1, 1024] (or 0 to choose), got -8}}
func.func @schedule_v_tile_negative() attributes {s = #recurrence.schedule<chunked_fused, v_tile = -8>} {
  return
}

// -----

// expected-error @+1 {{schedule k_split must be a power of two in [1, 32], got 3}}
func.func @schedule_k_split_not_power_of_two() attributes {s = #recurrence.schedule<sequential, k_split = 3>} {
  return
}

// -----

// expected-error @+1 {{schedule k_split must be a power of two in [1, 32], got 64}}
func.func @schedule_k_split_large() attributes {s = #recurrence.schedule<sequential, v_tile = 32, k_split = 64>} {
  return
}

// -----

// expected-error @+1 {{schedule k_split must be a power of two in [1, 32], got -2}}
func.func @schedule_k_split_negative() attributes {s = #recurrence.schedule<sequential, k_split = -2>} {
  return
}

// -----

// k_split splits a row of the sequential state over lanes; the chunked
// kinds have no such split, whatever its value.
// expected-error @+1 {{schedule k_split applies to the sequential schedule only}}
func.func @schedule_k_split_chunked_fused() attributes {s = #recurrence.schedule<chunked_fused, k_split = 4>} {
  return
}

// -----

// expected-error @+1 {{schedule k_split applies to the sequential schedule only}}
func.func @schedule_k_split_chunked_two_pass() attributes {s = #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 64, k_split = 1, warps = 4, stages = 2>} {
  return
}

// -----

// expected-error @+1 {{schedule k_split applies to the sequential schedule only}}
func.func @schedule_k_split_tree() attributes {s = #recurrence.schedule<tree, k_split = 2>} {
  return
}

// -----

// The kind is checked before the value: -2 is not reported as out of range.
// expected-error @+1 {{schedule k_split applies to the sequential schedule only}}
func.func @schedule_k_split_chunked_negative() attributes {s = #recurrence.schedule<chunked_fused, k_split = -2>} {
  return
}

// -----

// warps may be any count in [1, 32] (0 asks the pass to choose); 3 and 32
// are valid now: ops.mlir round-trips them.
// expected-error @+1 {{schedule warps must be in [1, 32] (or 0 to choose), got 33}}
func.func @schedule_warps_large() attributes {s = #recurrence.schedule<chunked_fused, warps = 33>} {
  return
}

// -----

// expected-error @+1 {{schedule warps must be in [1, 32] (or 0 to choose), got -4}}
func.func @schedule_warps_negative() attributes {s = #recurrence.schedule<chunked_fused, warps = -4>} {
  return
}

// -----

// expected-error @+1 {{schedule stages must be in [1, 4] (or 0 to choose), got 5}}
func.func @schedule_stages_large() attributes {s = #recurrence.schedule<chunked_fused, stages = 5>} {
  return
}

// -----

// expected-error @+1 {{schedule stages must be in [1, 4] (or 0 to choose), got -1}}
func.func @schedule_stages_negative() attributes {s = #recurrence.schedule<tree, stages = -1>} {
  return
}

// -----

// The schedule attribute is checked where a scan holds it, too.
func.func @schedule_on_scan(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{schedule chunk must be a multiple of 16 in [16, 128], got 100}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 100>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

// A k_split on a chunked schedule is refused where a scan holds it, before the
// pass could keep it.
func.func @schedule_k_split_on_chunked_scan(%q: tensor<2x64x4x128xf32>, %k: tensor<2x64x4x128xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x64x4x128xf32>) values(%k : tensor<2x64x4x128xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{schedule k_split applies to the sequential schedule only}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, k_split = 4>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x64x4x128xf32> -> tensor<2x64x4x128xf32>
  return
}

// -----

// A v_tile that is not a power of two is fine in itself but must divide V.
func.func @scan_v_tile_48_divides_v(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op schedule v_tile 48 does not divide the value width V = 64}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 48>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

// expected-error @+1 {{schedule v_tile / rows * k_split must be at most 1024 lanes per program, got 2048}}
func.func @schedule_too_many_lanes() attributes {s = #recurrence.schedule<sequential, v_tile = 256, k_split = 8>} {
  return
}

// -----

// expected-error @+1 {{schedule rows must be in [1, 8] (or 0 to choose), got 16}}
func.func @schedule_rows_large() attributes {s = #recurrence.schedule<sequential, rows = 16>} {
  return
}

// -----

// expected-error @+1 {{schedule rows 4 must divide v_tile 6}}
func.func @schedule_rows_divide() attributes {s = #recurrence.schedule<sequential, v_tile = 6, rows = 4>} {
  return
}

// -----

// expected-error @+1 {{schedule rows applies to the sequential schedule only}}
func.func @schedule_rows_chunked() attributes {s = #recurrence.schedule<chunked_fused, rows = 2>} {
  return
}

// -----

// Kernels compute in f32: a scale past f32's range would overflow.
func.func @scan_scale_beyond_f32(%q: tensor<2x8x4x64xf32>, %k: tensor<2x8x4x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x4x64xf32>) values(%k : tensor<2x8x4x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op scale must be a positive normal f32 value (about 1.2e-38 to 3.4e38), got 1.000000e+308}}
  %o = recurrence.scan %a, %b, %q {scale = 1.0e308 : f64}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xf32> -> tensor<2x8x4x64xf32>
  return
}

// -----

func.func @scan_dynamic_heads(%q: tensor<2x8x?x64xf32>, %k: tensor<2x8x?x64xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x8x?x64xf32>) values(%k : tensor<2x8x?x64xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{'recurrence.scan' op query must have a static, positive H dimension, got [2, 8, ?, 64]}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x?x64xf32> -> tensor<2x8x?x64xf32>
  return
}
