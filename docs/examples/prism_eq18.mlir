// A PRISM layer's recurrence (Eq. 18) with its write path fused (Alg. 1):
//   U = SiLU(ShortConv(X)),  r^(1) = v - u,
//   delta^(l) = GELU(p^(l) * r^(l)),  r^(l+1) = r^(l) - delta^(l),
//   S_t = alpha_t S_{t-1} (I - beta_t k1 k1^T) + sum_l beta^(l) delta^(l) k^(l)T
// with L = 3 and an initial state.
func.func @prism_eq18(
    %q: tensor<?x?x4x64xbf16>, %x: tensor<?x?x4x64xbf16>,
    %conv_w: tensor<4x64x4xf32>, %conv_b: tensor<4x64xf32>,
    %v: tensor<?x?x4x64xbf16>,
    %k1: tensor<?x?x4x64xbf16>, %k2: tensor<?x?x4x64xbf16>, %k3: tensor<?x?x4x64xbf16>,
    %p1: tensor<?x?x4x64xbf16>, %p2: tensor<?x?x4x64xbf16>, %p3: tensor<?x?x4x64xbf16>,
    %b1: tensor<?x?x4xbf16>, %b2: tensor<?x?x4xbf16>, %b3: tensor<?x?x4xbf16>,
    %g: tensor<?x?x4xf32>, %s0: tensor<?x4x64x64xf32>)
    -> (tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>) {
  %u = recurrence.short_conv silu %x, %conv_w bias(%conv_b : tensor<4x64xf32>)
      : tensor<?x?x4x64xbf16>, tensor<4x64x4xf32> -> tensor<?x?x4x64xbf16>
  %d:3 = recurrence.refine gelu %u, %v
      gains(%p1, %p2, %p3 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>
  %a = recurrence.delta_forget %k1, %b1 gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject
      keys(%k1, %k2, %k3 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
      values(%d#0, %d#1, %d#2 : tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>)
      gates(%b1, %b2, %b3 : tensor<?x?x4xbf16>, tensor<?x?x4xbf16>, tensor<?x?x4xbf16>)
      -> !recurrence.injection<3>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x64x64xf32>)
      : !recurrence.forget<delta>, !recurrence.injection<3>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
  return %o, %s : tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
}
