// Scalar decay (RetNet, Mamba-2, simple GLA): A_t = exp(g_t) I with one
// log decay per head and step; bf16 inputs and output, f32 gates.
func.func @simple_gla(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                      %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>)
    -> tensor<?x?x4x64xbf16> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>)
                         values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}
