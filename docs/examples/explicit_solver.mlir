// The explicit solver of PRISM's Eq. 6 (prism-math.md section 4), sigma =
// tanh: z = S_{t-1} k, S_t = S_{t-1} + beta (1 - tanh(z)^2) (v - tanh(z)) k^T,
// o_t = S_t q / sqrt(K), with k normalised in the body and beta =
// sigmoid(beta_logit). The injection reads S_{t-1} k through tanh, so the body
// is state-dependent (prism-classify-steps says so in a remark) and only the
// sequential walk is correct: each program walks the tokens with its V-tile
// of the state's rows (the body never sums along V, so the rows are
// independent). bf16 sequences, f32 state.
func.func @explicit_solver(%k: tensor<?x?x2x64xbf16> {recurrence.name = "k"},
                  %v: tensor<?x?x2x64xbf16> {recurrence.name = "v"},
                  %q: tensor<?x?x2x64xbf16> {recurrence.name = "q"},
                  %b: tensor<?x?x2xf32> {recurrence.name = "beta_logit"})
    -> tensor<?x?x2x64xbf16> {
  %o = recurrence.step ins(%k, %v, %q, %b : tensor<?x?x2x64xbf16>, tensor<?x?x2x64xbf16>, tensor<?x?x2x64xbf16>, tensor<?x?x2xf32>)
      -> tensor<?x?x2x64xbf16> {
  ^bb0(%S: tensor<64x64xf32>, %kt: tensor<64xf32>, %vt: tensor<64xf32>, %qt: tensor<64xf32>, %bt: f32):
    %kk = recurrence.dot %kt, %kt : tensor<64xf32>
    %rn = math.rsqrt %kk : f32
    %rs = recurrence.splat %rn : tensor<64xf32>
    %kn = arith.mulf %kt, %rs : tensor<64xf32>
    %one = arith.constant 1.0 : f32
    %nb = arith.negf %bt : f32
    %eb = math.exp %nb : f32
    %den = arith.addf %one, %eb : f32
    %beta = arith.divf %one, %den : f32
    %bs = recurrence.splat %beta : tensor<64xf32>
    %ones = arith.constant dense<1.0> : tensor<64xf32>
    %z1 = recurrence.matvec %S, %kn : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
    %f1 = math.tanh %z1 : tensor<64xf32>
    %ff1 = arith.mulf %f1, %f1 : tensor<64xf32>
    %fp1 = arith.subf %ones, %ff1 : tensor<64xf32>
    %r1 = arith.subf %vt, %f1 : tensor<64xf32>
    %g1 = arith.mulf %fp1, %r1 : tensor<64xf32>
    %d1 = arith.mulf %bs, %g1 : tensor<64xf32>
    %u1 = recurrence.outer %d1, %kn : tensor<64xf32>, tensor<64xf32> -> tensor<64x64xf32>
    %S1 = arith.addf %S, %u1 : tensor<64x64xf32>
    %y = recurrence.matvec %S1, %qt : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
    %c = arith.constant dense<0.125> : tensor<64xf32>
    %o = arith.mulf %c, %y : tensor<64xf32>
    recurrence.yield %S1, %o : tensor<64x64xf32>, tensor<64xf32>
  }
  return %o : tensor<?x?x2x64xbf16>
}
