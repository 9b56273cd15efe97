// RUN: prism-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of recurrence.step and its body ops (StepOps.cpp).

func.func @no_inputs() {
  // expected-error @+1 {{needs at least one input sequence}}
  %o = recurrence.step ins() -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>):
    %y = arith.constant dense<1.0> : tensor<4xf32>
    recurrence.yield %S, %y : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @argument_count(%k: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{body must take the state and one slice per input: 2 arguments, got 1}}
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>):
    %c = arith.constant dense<1.0> : tensor<4xf32>
    recurrence.yield %S, %c : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @dynamic_state(%k: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{body's first argument (the state) must be a static V x K f32 matrix, got 'tensor<?x4xf32>'}}
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<?x4xf32>, %kt: tensor<4xf32>):
    %c = arith.constant dense<1.0> : tensor<4xf32>
    recurrence.yield %S, %c : tensor<?x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @input_rank(%k: tensor<1x8xf32>) {
  // expected-error @+1 {{input 0 must have rank 3 ([B, T, H]) or 4 ([B, T, H, D]), got [1, 8]}}
  %o = recurrence.step ins(%k : tensor<1x8xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: f32):
    %c = arith.constant dense<1.0> : tensor<4xf32>
    recurrence.yield %S, %c : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @inputs_disagree(%k: tensor<1x8x2x4xf32>, %b: tensor<1x9x2xf32>) {
  // expected-error @+1 {{input 1 has shape [1, 9, 2], but its leading [B, T, H] dims must match [1, 8, 2]}}
  %o = recurrence.step ins(%k, %b : tensor<1x8x2x4xf32>, tensor<1x9x2xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>, %bt: f32):
    recurrence.yield %S, %kt : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @dynamic_heads(%k: tensor<1x8x?x4xf32>) {
  // expected-error @+1 {{input 0 must have a static, positive H dimension, got [1, 8, ?, 4]}}
  %o = recurrence.step ins(%k : tensor<1x8x?x4xf32>) -> tensor<1x8x?x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    recurrence.yield %S, %kt : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @slice_type(%k: tensor<1x8x2x4xbf16>, %b: tensor<1x8x2xf32>) {
  // expected-error @+1 {{body argument 2 (the slice of input 1) must be 'f32', got 'tensor<4xf32>'}}
  %o = recurrence.step ins(%k, %b : tensor<1x8x2x4xbf16>, tensor<1x8x2xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>, %bt: tensor<4xf32>):
    recurrence.yield %S, %kt : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @output_shape(%k: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{output has shape [1, 8, 2, 3], but its leading [B, T, H, V] dims must match [1, 8, 2, 4]}}
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x3xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    recurrence.yield %S, %kt : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @state_layout(%k: tensor<1x8x2x4xf32>, %s0: tensor<1x2x3x4xf32>) {
  // expected-error @+1 {{initial_state has shape [1, 2, 3, 4], but its leading [B, H, K, V] dims must match [1, 2, 4, 3]}}
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) initial(%s0 : tensor<1x2x3x4xf32>) -> tensor<1x8x2x3xf32> {
  ^bb0(%S: tensor<3x4xf32>, %kt: tensor<4xf32>):
    %y = recurrence.matvec %S, %kt : tensor<3x4xf32>, tensor<4xf32> -> tensor<3xf32>
    recurrence.yield %S, %y : tensor<3x4xf32>, tensor<3xf32>
  }
  return
}

// -----

func.func @op_not_allowed(%k: tensor<1x8x2x4xf32>) {
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    // expected-error @+1 {{'arith.cmpf' op is not allowed in a step body (only recurrence step ops, arith float arithmetic and the math functions tanh, exp,}}
    %c = arith.cmpf olt, %kt, %kt : tensor<4xf32>
    recurrence.yield %S, %kt : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

// A math function outside the vocabulary that the oracle and the lowerings
// share (prism/Runtime/StepBody.h).
func.func @math_not_in_vocabulary(%k: tensor<1x8x2x4xf32>) {
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    // expected-error @+1 {{'math.atan' op is not allowed in a step body}}
    %c = math.atan %kt : tensor<4xf32>
    recurrence.yield %S, %c : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @body_type(%k: tensor<1x8x2x4xf32>) {
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    // expected-error @+1 {{in a step body must work on f32 scalars, vectors of V = 4 or K = 4 entries, or 4x4 matrices, got tensor<7xf32>}}
    %c = arith.constant dense<1.0> : tensor<7xf32>
    recurrence.yield %S, %kt : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @captures(%k: tensor<1x8x2x4xf32>, %x: tensor<4xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %y = arith.addf %kt, %x : tensor<4xf32>
    recurrence.yield %S, %y : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @yield_output(%k: tensor<1x8x2x4xf32>) {
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x3xf32> {
  ^bb0(%S: tensor<3x4xf32>, %kt: tensor<4xf32>):
    // expected-error @+1 {{must yield the output as a V-vector of 3 entries, got 'tensor<4xf32>'}}
    recurrence.yield %S, %kt : tensor<3x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @missing_yield(%k: tensor<1x8x2x4xf32>) {
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    // expected-error @+1 {{block with no terminator}}
    %y = arith.addf %kt, %kt : tensor<4xf32>
  }
  return
}

// -----

func.func @v_tile(%k: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{schedule v_tile 3 does not divide the value width V = 4}}
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) {schedule = #recurrence.schedule<sequential, v_tile = 3>} -> tensor<1x8x2x4xf32> {
  ^bb0(%S: tensor<4x4xf32>, %kt: tensor<4xf32>):
    recurrence.yield %S, %kt : tensor<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @matvec_shape(%k: tensor<1x8x2x4xf32>) {
  %o = recurrence.step ins(%k : tensor<1x8x2x4xf32>) -> tensor<1x8x2x3xf32> {
  ^bb0(%S: tensor<3x4xf32>, %kt: tensor<4xf32>):
    // expected-error @+1 {{transposed product of a 3x4 matrix takes 3 entries and gives 4, got 'tensor<4xf32>' -> 'tensor<3xf32>'}}
    %y = recurrence.matvec %S, %kt transpose : tensor<3x4xf32>, tensor<4xf32> -> tensor<3xf32>
    recurrence.yield %S, %y : tensor<3x4xf32>, tensor<3xf32>
  }
  return
}

// -----

func.func @outer_shape(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{result must be 3x4, got 'tensor<4x3xf32>'}}
  %u = recurrence.outer %a, %b : tensor<3xf32>, tensor<4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @broadcast_dim(%a: tensor<3xf32>) {
  // expected-error @+1 {{dim must be 0 (repeat as rows) or 1 (as columns), got 2}}
  %u = recurrence.broadcast %a dim 2 : tensor<3xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @broadcast_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{repeats 3 entries along dim 0 but the result is 3x4}}
  %u = recurrence.broadcast %a dim 0 : tensor<3xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @yield_outside(%s: tensor<3x4xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{expects parent op 'recurrence.step'}}
  recurrence.yield %s, %y : tensor<3x4xf32>, tensor<3xf32>
}
