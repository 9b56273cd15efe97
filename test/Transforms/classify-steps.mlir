// RUN: prism-opt %s -split-input-file -verify-diagnostics --prism-classify-steps

// Definition 3.1 decided on step bodies (lib/Analysis/StepForm.cpp): one
// case per rule, each with the remark (and note) it must give.

// The explicit solver, sigma = tanh: the injection reads S_{t-1} k_t.
func.func @explicit_tanh(%k: tensor<2x?x4x32xbf16> {recurrence.name = "k"},
                         %v: tensor<2x?x4x32xbf16> {recurrence.name = "v"})
    -> tensor<2x?x4x32xbf16> {
  // expected-remark @+1 {{state-dependent: the next state reads S_{t-1} k_t through math.tanh, so it is not S_{t-1} A_t + B_t (Definition 3.1); only the sequential schedule applies}}
  %o = recurrence.step ins(%k, %v : tensor<2x?x4x32xbf16>, tensor<2x?x4x32xbf16>) -> tensor<2x?x4x32xbf16> {
  ^bb0(%S: tensor<32x32xf32>, %kt: tensor<32xf32>, %vt: tensor<32xf32>):
    %z = recurrence.matvec %S, %kt : tensor<32x32xf32>, tensor<32xf32> -> tensor<32xf32>
    // expected-note @+1 {{here}}
    %f = math.tanh %z : tensor<32xf32>
    %r = arith.subf %vt, %f : tensor<32xf32>
    %u = recurrence.outer %r, %kt : tensor<32xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %n = arith.addf %S, %u : tensor<32x32xf32>
    %y = recurrence.matvec %n, %kt : tensor<32x32xf32>, tensor<32xf32> -> tensor<32xf32>
    recurrence.yield %n, %y : tensor<32x32xf32>, tensor<32xf32>
  }
  return %o : tensor<2x?x4x32xbf16>
}

// -----

// The same body with a chunked schedule is an error.
func.func @explicit_chunked(%k: tensor<2x?x4x32xbf16>, %v: tensor<2x?x4x32xbf16>)
    -> tensor<2x?x4x32xbf16> {
  // expected-error @+1 {{state-dependent: the next state reads S_{t-1} (input 0)_t through math.tanh, so it is not S_{t-1} A_t + B_t (Definition 3.1); the chunked_fused schedule would be wrong, only the sequential one applies}}
  %o = recurrence.step ins(%k, %v : tensor<2x?x4x32xbf16>, tensor<2x?x4x32xbf16>) {schedule = #recurrence.schedule<chunked_fused>} -> tensor<2x?x4x32xbf16> {
  ^bb0(%S: tensor<32x32xf32>, %kt: tensor<32xf32>, %vt: tensor<32xf32>):
    %z = recurrence.matvec %S, %kt : tensor<32x32xf32>, tensor<32xf32> -> tensor<32xf32>
    // expected-note @+1 {{here}}
    %f = math.tanh %z : tensor<32xf32>
    %r = arith.subf %vt, %f : tensor<32xf32>
    %u = recurrence.outer %r, %kt : tensor<32xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %n = arith.addf %S, %u : tensor<32x32xf32>
    recurrence.yield %n, %z : tensor<32x32xf32>, tensor<32xf32>
  }
  return %o : tensor<2x?x4x32xbf16>
}

// -----

// sigma = identity with a gain: the delta rule S + beta (v - S k) k^T is
// S (I - beta k k^T) + beta v k^T: state-independent.
func.func @delta_rule(%k: tensor<2x?x4x32xbf16>, %v: tensor<2x?x4x16xbf16>, %beta: tensor<2x?x4xf32>, %g: tensor<2x?x4xf32>)
    -> tensor<2x?x4x16xbf16> {
  // expected-remark @+1 {{state-independent: the next state is S_{t-1} A_t + B_t with A_t and B_t free of the state (Definition 3.1)}}
  %o = recurrence.step ins(%k, %v, %beta, %g : tensor<2x?x4x32xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4xf32>, tensor<2x?x4xf32>) -> tensor<2x?x4x16xbf16> {
  ^bb0(%S: tensor<16x32xf32>, %kt: tensor<32xf32>, %vt: tensor<16xf32>, %bt: f32, %gt: f32):
    %a = math.exp %gt : f32
    %as = recurrence.splat %a : tensor<16x32xf32>
    %sa = arith.mulf %S, %as : tensor<16x32xf32>
    %e = recurrence.matvec %sa, %kt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %r = arith.subf %vt, %e : tensor<16xf32>
    %bs = recurrence.splat %bt : tensor<16xf32>
    %half = arith.constant dense<0.5> : tensor<16xf32>
    %b2 = arith.mulf %bs, %half : tensor<16xf32>
    %d = arith.mulf %r, %b2 : tensor<16xf32>
    %u = recurrence.outer %d, %kt : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %n = arith.addf %sa, %u : tensor<16x32xf32>
    %y = recurrence.matvec %n, %kt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    recurrence.yield %n, %y : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o : tensor<2x?x4x16xbf16>
}

// -----

// The diagonal decay (a K-vector repeated as rows is a right factor) and a
// rank-2 injection whose values are computed from the inputs: free.
func.func @diagonal(%k: tensor<2x?x4x32xbf16>, %v: tensor<2x?x4x16xbf16>, %g: tensor<2x?x4x32xf32>)
    -> tensor<2x?x4x16xbf16> {
  // expected-remark @+1 {{state-independent}}
  %o = recurrence.step ins(%k, %v, %g : tensor<2x?x4x32xbf16>, tensor<2x?x4x16xbf16>, tensor<2x?x4x32xf32>) -> tensor<2x?x4x16xbf16> {
  ^bb0(%S: tensor<16x32xf32>, %kt: tensor<32xf32>, %vt: tensor<16xf32>, %gt: tensor<32xf32>):
    %a = math.exp %gt : tensor<32xf32>
    %rows = recurrence.broadcast %a dim 0 : tensor<32xf32> -> tensor<16x32xf32>
    %sa = arith.mulf %rows, %S : tensor<16x32xf32>
    %d = math.tanh %vt : tensor<16xf32>
    %u0 = recurrence.outer %vt, %kt : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %u1 = recurrence.outer %d, %a : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %n0 = arith.addf %sa, %u0 : tensor<16x32xf32>
    %n = arith.subf %n0, %u1 : tensor<16x32xf32>
    %y = recurrence.matvec %n, %kt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    recurrence.yield %n, %y : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o : tensor<2x?x4x16xbf16>
}

// -----

// Rows of the state scaled differently: diag(v) S is on the value side.
func.func @value_side(%k: tensor<2x?x4x32xbf16>, %v: tensor<2x?x4x16xbf16>)
    -> tensor<2x?x4x16xbf16> {
  // expected-remark @+1 {{state-dependent: the next state scales S_{t-1} by a factor that varies along V (the recurrence.broadcast at}}
  %o = recurrence.step ins(%k, %v : tensor<2x?x4x32xbf16>, tensor<2x?x4x16xbf16>) -> tensor<2x?x4x16xbf16> {
  ^bb0(%S: tensor<16x32xf32>, %kt: tensor<32xf32>, %vt: tensor<16xf32>):
    %cols = recurrence.broadcast %vt dim 1 : tensor<16xf32> -> tensor<16x32xf32>
    // expected-note @+1 {{here}}
    %n = arith.mulf %S, %cols : tensor<16x32xf32>
    %y = recurrence.matvec %n, %kt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    recurrence.yield %n, %y : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o : tensor<2x?x4x16xbf16>
}

// -----

// S^T reads the state from its value side.
func.func @transposed(%k: tensor<2x?x4x16xbf16>, %v: tensor<2x?x4x16xbf16>)
    -> tensor<2x?x4x16xbf16> {
  // expected-remark @+1 {{state-dependent: the next state reads the state from its value side (S_{t-1}^T (input 1)_t)}}
  %o = recurrence.step ins(%k, %v : tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) -> tensor<2x?x4x16xbf16> {
  ^bb0(%S: tensor<16x16xf32>, %kt: tensor<16xf32>, %vt: tensor<16xf32>):
    // expected-note @+1 {{here}}
    %w = recurrence.matvec %S, %vt transpose : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %u = recurrence.outer %vt, %w : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %n = arith.addf %S, %u : tensor<16x16xf32>
    recurrence.yield %n, %vt : tensor<16x16xf32>, tensor<16xf32>
  }
  return %o : tensor<2x?x4x16xbf16>
}

// -----

// A scalar read from the state (the norm of S k) scales the update.
func.func @scalar_read(%k: tensor<2x?x4x16xbf16>, %v: tensor<2x?x4x16xbf16>)
    -> tensor<2x?x4x16xbf16> {
  // expected-remark @+1 {{state-dependent: the next state reads a scalar from the state (the inner product of S_{t-1} (input 0)_t)}}
  %o = recurrence.step ins(%k, %v : tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) -> tensor<2x?x4x16xbf16> {
  ^bb0(%S: tensor<16x16xf32>, %kt: tensor<16xf32>, %vt: tensor<16xf32>):
    %z = recurrence.matvec %S, %kt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    // expected-note @+1 {{here}}
    %n2 = recurrence.dot %z, %z : tensor<16xf32>
    %c = recurrence.splat %n2 : tensor<16xf32>
    %d = arith.mulf %vt, %c : tensor<16xf32>
    %u = recurrence.outer %d, %kt : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %n = arith.addf %S, %u : tensor<16x16xf32>
    recurrence.yield %n, %vt : tensor<16x16xf32>, tensor<16xf32>
  }
  return %o : tensor<2x?x4x16xbf16>
}

// -----

// Two state reads multiplied: S k (S k)^T-like quadratic update.
func.func @quadratic(%k: tensor<2x?x4x16xbf16>)
    -> tensor<2x?x4x16xbf16> {
  // expected-remark @+1 {{state-dependent: the next state multiplies the state by S_{t-1} (input 0)_t, a vector read from it}}
  %o = recurrence.step ins(%k : tensor<2x?x4x16xbf16>) -> tensor<2x?x4x16xbf16> {
  ^bb0(%S: tensor<16x16xf32>, %kt: tensor<16xf32>):
    %z = recurrence.matvec %S, %kt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    // expected-note @+1 {{here}}
    %zz = recurrence.matvec %S, %z : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %u = recurrence.outer %zz, %kt : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %n = arith.addf %S, %u : tensor<16x16xf32>
    recurrence.yield %n, %z : tensor<16x16xf32>, tensor<16xf32>
  }
  return %o : tensor<2x?x4x16xbf16>
}

// -----

// Three inner gradient steps (TTT-style, sigma = identity): each reads the
// state, and the composition stays key-linear.
func.func @three_inner_steps(%k: tensor<2x?x4x16xbf16>, %v: tensor<2x?x4x16xbf16>)
    -> tensor<2x?x4x16xbf16> {
  // expected-remark @+1 {{state-independent}}
  %o = recurrence.step ins(%k, %v : tensor<2x?x4x16xbf16>, tensor<2x?x4x16xbf16>) -> tensor<2x?x4x16xbf16> {
  ^bb0(%S: tensor<16x16xf32>, %kt: tensor<16xf32>, %vt: tensor<16xf32>):
    %lr = arith.constant dense<0.1> : tensor<16xf32>
    %z0 = recurrence.matvec %S, %kt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %r0 = arith.subf %vt, %z0 : tensor<16xf32>
    %d0 = arith.mulf %r0, %lr : tensor<16xf32>
    %u0 = recurrence.outer %d0, %kt : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %s1 = arith.addf %S, %u0 : tensor<16x16xf32>
    %z1 = recurrence.matvec %s1, %kt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %r1 = arith.subf %vt, %z1 : tensor<16xf32>
    %d1 = arith.mulf %r1, %lr : tensor<16xf32>
    %u1 = recurrence.outer %d1, %kt : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %s2 = arith.addf %s1, %u1 : tensor<16x16xf32>
    %z2 = recurrence.matvec %s2, %kt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %r2 = arith.subf %vt, %z2 : tensor<16xf32>
    %d2 = arith.mulf %r2, %lr : tensor<16xf32>
    %u2 = recurrence.outer %d2, %kt : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %s3 = arith.addf %s2, %u2 : tensor<16x16xf32>
    %y = recurrence.matvec %s3, %kt : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    recurrence.yield %s3, %y : tensor<16x16xf32>, tensor<16xf32>
  }
  return %o : tensor<2x?x4x16xbf16>
}
