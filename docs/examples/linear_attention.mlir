// Linear attention: identity forget, rank-1 injection, f32 throughout.
// S_t = S_{t-1} + v_t k_t^T,  o_t = scale * S_t q_t.
func.func @linear_attention(%q: tensor<?x?x2x32xf32>, %k: tensor<?x?x2x32xf32>,
                            %v: tensor<?x?x2x48xf32>) -> tensor<?x?x2x48xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x2x32xf32>)
                         values(%v : tensor<?x?x2x48xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x2x32xf32>
      -> tensor<?x?x2x48xf32>
  return %o : tensor<?x?x2x48xf32>
}
