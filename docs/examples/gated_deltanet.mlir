// Gated DeltaNet (prism-math.md section 2: delta forget with a scalar gate,
// rank-1 injection with w = k and beta^(1) = beta), with an initial state
// and the final state returned. B and T are dynamic: one compiled program
// serves every batch size and sequence length.
func.func @gated_deltanet(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                          %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>,
                          %beta: tensor<?x?x4xbf16>, %s0: tensor<?x4x64x64xf32>)
    -> (tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>) {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>)
                         values(%v : tensor<?x?x4x64xbf16>)
                         gates(%beta : tensor<?x?x4xbf16>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x64x64xf32>)
      {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
  return %o, %s : tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
}
