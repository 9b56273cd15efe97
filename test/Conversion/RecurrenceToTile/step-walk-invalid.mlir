// RUN: prism-opt %s -split-input-file -prism-convert-recurrence-to-tile -verify-diagnostics

// V-tiles are refused where the body reduces along V: the rows of the state
// are then not independent.
func.func @split_v_with_transpose(%k: tensor<?x?x4x32xf32>, %v: tensor<?x?x4x64xf32>)
    -> tensor<?x?x4x64xf32> {
  // expected-error @+1 {{v_tile 16 splits the state's V = 64 rows across programs, but the body reduces along V (S^T y): each program needs all of them (v_tile = 64)}}
  %o = recurrence.step ins(%k, %v : tensor<?x?x4x32xf32>, tensor<?x?x4x64xf32>)
      {schedule = #recurrence.schedule<sequential, v_tile = 16, k_split = 1, rows = 1, warps = 1, stages = 1>} -> tensor<?x?x4x64xf32> {
  ^bb0(%S: tensor<64x32xf32>, %kt: tensor<32xf32>, %vt: tensor<64xf32>):
    %z = recurrence.matvec %S, %kt : tensor<64x32xf32>, tensor<32xf32> -> tensor<64xf32>
    %f = math.tanh %z : tensor<64xf32>
    %r = arith.subf %vt, %f : tensor<64xf32>
    // expected-note @+1 {{here}}
    %e = recurrence.matvec %S, %r transpose : tensor<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    %u = recurrence.outer %r, %e : tensor<64xf32>, tensor<32xf32> -> tensor<64x32xf32>
    %n = arith.addf %S, %u : tensor<64x32xf32>
    recurrence.yield %n, %z : tensor<64x32xf32>, tensor<64xf32>
  }
  return %o : tensor<?x?x4x64xf32>
}

// -----

// A dot of two V-vectors sums along V.
func.func @split_v_with_dot(%k: tensor<?x?x4x32xf32>, %v: tensor<?x?x4x64xf32>)
    -> tensor<?x?x4x64xf32> {
  // expected-error @+1 {{but the body reduces along V (a dot of V-vectors)}}
  %o = recurrence.step ins(%k, %v : tensor<?x?x4x32xf32>, tensor<?x?x4x64xf32>)
      {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, rows = 1, warps = 1, stages = 1>} -> tensor<?x?x4x64xf32> {
  ^bb0(%S: tensor<64x32xf32>, %kt: tensor<32xf32>, %vt: tensor<64xf32>):
    %z = recurrence.matvec %S, %kt : tensor<64x32xf32>, tensor<32xf32> -> tensor<64xf32>
    // expected-note @+1 {{here}}
    %e = recurrence.dot %z, %vt : tensor<64xf32>
    %es = recurrence.splat %e : tensor<64xf32>
    %r = arith.subf %vt, %es : tensor<64xf32>
    %u = recurrence.outer %r, %kt : tensor<64xf32>, tensor<32xf32> -> tensor<64x32xf32>
    %n = arith.addf %S, %u : tensor<64x32xf32>
    recurrence.yield %n, %z : tensor<64x32xf32>, tensor<64xf32>
  }
  return %o : tensor<?x?x4x64xf32>
}

// -----

// Only the sequential schedule walks a step.
func.func @step_chunked(%k: tensor<?x?x4x32xf32>, %v: tensor<?x?x4x32xf32>)
    -> tensor<?x?x4x32xf32> {
  // expected-error @+1 {{a state-dependent step takes only the sequential schedule, got chunked_fused}}
  %o = recurrence.step ins(%k, %v : tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>)
      {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 32, warps = 4, stages = 1>} -> tensor<?x?x4x32xf32> {
  ^bb0(%S: tensor<32x32xf32>, %kt: tensor<32xf32>, %vt: tensor<32xf32>):
    %z = recurrence.matvec %S, %kt : tensor<32x32xf32>, tensor<32xf32> -> tensor<32xf32>
    %f = math.tanh %z : tensor<32xf32>
    %u = recurrence.outer %f, %kt : tensor<32xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %n = arith.addf %S, %u : tensor<32x32xf32>
    recurrence.yield %n, %z : tensor<32x32xf32>, tensor<32xf32>
  }
  return %o : tensor<?x?x4x32xf32>
}

// -----

// A short convolution of a short convolution is not lowered.
func.func @step_input_chained(%k: tensor<?x?x4x32xf32>, %x: tensor<?x?x4x32xf32>,
                              %w: tensor<4x32x3xf32>) -> tensor<?x?x4x32xf32> {
  %c = recurrence.short_conv none %x, %w : tensor<?x?x4x32xf32>, tensor<4x32x3xf32> -> tensor<?x?x4x32xf32>
  // expected-error @+1 {{'recurrence.short_conv' op operands must be function arguments (chained short convolutions are not supported)}}
  %c2 = recurrence.short_conv none %c, %w : tensor<?x?x4x32xf32>, tensor<4x32x3xf32> -> tensor<?x?x4x32xf32>
  %o = recurrence.step ins(%k, %c2 : tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32>)
      {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, rows = 1, warps = 1, stages = 1>} -> tensor<?x?x4x32xf32> {
  ^bb0(%S: tensor<32x32xf32>, %kt: tensor<32xf32>, %vt: tensor<32xf32>):
    %z = recurrence.matvec %S, %kt : tensor<32x32xf32>, tensor<32xf32> -> tensor<32xf32>
    %f = math.tanh %z : tensor<32xf32>
    %r = arith.subf %vt, %f : tensor<32xf32>
    %u = recurrence.outer %r, %kt : tensor<32xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %n = arith.addf %S, %u : tensor<32x32xf32>
    recurrence.yield %n, %z : tensor<32x32xf32>, tensor<32xf32>
  }
  return %o : tensor<?x?x4x32xf32>
}
