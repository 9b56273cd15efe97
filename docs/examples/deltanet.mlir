// DeltaNet: delta forget without gate, A_t = I - beta_t w_t w_t^T with the
// key normalised inside the kernel (`normalize`), and beta in [0, 2].
// f16 inputs, f32 output.
func.func @deltanet(%q: tensor<?x?x2x64xf16>, %k: tensor<?x?x2x64xf16>,
                    %v: tensor<?x?x2x64xf16>, %beta: tensor<?x?x2xf16>)
    -> tensor<?x?x2x64xf32> {
  %a = recurrence.delta_forget %k, %beta {normalize, beta_max = 2.0 : f64}
      : tensor<?x?x2x64xf16>, tensor<?x?x2xf16>
  %b = recurrence.inject keys(%k : tensor<?x?x2x64xf16>)
                         values(%v : tensor<?x?x2x64xf16>)
                         gates(%beta : tensor<?x?x2xf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x2x64xf16>
      -> tensor<?x?x2x64xf32>
  return %o : tensor<?x?x2x64xf32>
}
