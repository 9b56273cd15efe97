// Gated linear attention: diagonal decay, one log decay per key channel.
// The final state is returned too, stored [B, H, V, K] (state_layout = vk).
func.func @gla(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
               %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4x64xf32>)
    -> (tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>) {
  %a = recurrence.diagonal_forget %g : tensor<?x?x4x64xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>)
                         values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q
      {schedule = #recurrence.schedule<sequential, v_tile = 32>,
       state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
  return %o, %s : tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
}
