// The explicit solver of PRISM's Eq. 6 with three inner gradient steps a
// token (TTT-style): the update of explicit_solver.mlir applied three times to
// the state before the readout, each on the state the previous one left.
// State-dependent, sequential only; the inner steps are ops of the body, so
// the walk runs them unrolled.
func.func @explicit_solver_3(%k: tensor<?x?x2x64xbf16> {recurrence.name = "k"},
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
    %z2 = recurrence.matvec %S1, %kn : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
    %f2 = math.tanh %z2 : tensor<64xf32>
    %ff2 = arith.mulf %f2, %f2 : tensor<64xf32>
    %fp2 = arith.subf %ones, %ff2 : tensor<64xf32>
    %r2 = arith.subf %vt, %f2 : tensor<64xf32>
    %g2 = arith.mulf %fp2, %r2 : tensor<64xf32>
    %d2 = arith.mulf %bs, %g2 : tensor<64xf32>
    %u2 = recurrence.outer %d2, %kn : tensor<64xf32>, tensor<64xf32> -> tensor<64x64xf32>
    %S2 = arith.addf %S1, %u2 : tensor<64x64xf32>
    %z3 = recurrence.matvec %S2, %kn : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
    %f3 = math.tanh %z3 : tensor<64xf32>
    %ff3 = arith.mulf %f3, %f3 : tensor<64xf32>
    %fp3 = arith.subf %ones, %ff3 : tensor<64xf32>
    %r3 = arith.subf %vt, %f3 : tensor<64xf32>
    %g3 = arith.mulf %fp3, %r3 : tensor<64xf32>
    %d3 = arith.mulf %bs, %g3 : tensor<64xf32>
    %u3 = recurrence.outer %d3, %kn : tensor<64xf32>, tensor<64xf32> -> tensor<64x64xf32>
    %S3 = arith.addf %S2, %u3 : tensor<64x64xf32>
    %y = recurrence.matvec %S3, %qt : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
    %c = arith.constant dense<0.125> : tensor<64xf32>
    %o = arith.mulf %c, %y : tensor<64xf32>
    recurrence.yield %S3, %o : tensor<64x64xf32>, tensor<64xf32>
  }
  return %o : tensor<?x?x2x64xbf16>
}
