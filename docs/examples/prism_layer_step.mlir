// A PRISM layer's recurrence (Eq. 18, L = 3, write path of Alg. 1) written
// as one step's body, the same layer as prism_eq18.mlir:
//   U = SiLU(ShortConv(X)),  r1 = v - u,  delta_l = GELU(p_l r_l),
//   r_(l+1) = r_l - delta_l,
//   S_t = e^(g_t) S_(t-1) (I - b1_t k1 k1^T) + sum_l b_l delta_l k_l^T,
//   o_t = S_t q_t / 8.
// The body reads the state only as S_(t-1) A_t + B_t with A_t and B_t free of
// it (Definition 3.1): prism-classify-steps recognises the gated delta forget,
// the rank-3 injection and the refinement write path (GELU in its erf form)
// and rewrites the step into recurrence.refine / delta_forget / inject / scan,
// so the layer gets every schedule, chunked ones included.
func.func @prism_layer_step(
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
  %o, %s = recurrence.step ins(%q, %v, %u, %k1, %k2, %k3, %p1, %p2, %p3, %b1, %b2, %b3, %g :
      tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>, tensor<?x?x4xbf16>, tensor<?x?x4xbf16>, tensor<?x?x4xf32>)
      initial(%s0 : tensor<?x4x64x64xf32>)
      {schedule = #recurrence.schedule<chunked_fused>}
      -> tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32> {
  ^bb0(%S: tensor<64x64xf32>, %qt: tensor<64xf32>, %vt: tensor<64xf32>, %ut: tensor<64xf32>, %k1t: tensor<64xf32>, %k2t: tensor<64xf32>, %k3t: tensor<64xf32>,
       %p1t: tensor<64xf32>, %p2t: tensor<64xf32>, %p3t: tensor<64xf32>, %b1t: f32, %b2t: f32, %b3t: f32, %gt: f32):
    %alpha = math.exp %gt : f32
    %as = recurrence.splat %alpha : tensor<64x64xf32>
    %sa = arith.mulf %S, %as : tensor<64x64xf32>
    %e = recurrence.matvec %sa, %k1t : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
    %b1v = recurrence.splat %b1t : tensor<64xf32>
    %b2v = recurrence.splat %b2t : tensor<64xf32>
    %b3v = recurrence.splat %b3t : tensor<64xf32>
    %be = arith.mulf %b1v, %e : tensor<64xf32>
    %erase = recurrence.outer %be, %k1t : tensor<64xf32>, tensor<64xf32> -> tensor<64x64xf32>
    %kept = arith.subf %sa, %erase : tensor<64x64xf32>
    %ones = arith.constant dense<1.0> : tensor<64xf32>
    %half = arith.constant dense<0.5> : tensor<64xf32>
    %isq2 = arith.constant dense<0.7071067811865476> : tensor<64xf32>
    %r1 = arith.subf %vt, %ut : tensor<64xf32>
    %x1 = arith.mulf %p1t, %r1 : tensor<64xf32>
    %h1 = arith.mulf %x1, %isq2 : tensor<64xf32>
    %e1 = math.erf %h1 : tensor<64xf32>
    %a1 = arith.addf %ones, %e1 : tensor<64xf32>
    %m1 = arith.mulf %x1, %a1 : tensor<64xf32>
    %d1 = arith.mulf %m1, %half : tensor<64xf32>
    %r2 = arith.subf %r1, %d1 : tensor<64xf32>
    %x2 = arith.mulf %p2t, %r2 : tensor<64xf32>
    %h2 = arith.mulf %x2, %isq2 : tensor<64xf32>
    %e2 = math.erf %h2 : tensor<64xf32>
    %a2 = arith.addf %ones, %e2 : tensor<64xf32>
    %m2 = arith.mulf %x2, %a2 : tensor<64xf32>
    %d2 = arith.mulf %m2, %half : tensor<64xf32>
    %r3 = arith.subf %r2, %d2 : tensor<64xf32>
    %x3 = arith.mulf %p3t, %r3 : tensor<64xf32>
    %h3 = arith.mulf %x3, %isq2 : tensor<64xf32>
    %e3 = math.erf %h3 : tensor<64xf32>
    %a3 = arith.addf %ones, %e3 : tensor<64xf32>
    %m3 = arith.mulf %x3, %a3 : tensor<64xf32>
    %d3 = arith.mulf %m3, %half : tensor<64xf32>
    %w1 = arith.mulf %b1v, %d1 : tensor<64xf32>
    %w2 = arith.mulf %b2v, %d2 : tensor<64xf32>
    %w3 = arith.mulf %b3v, %d3 : tensor<64xf32>
    %i1 = recurrence.outer %w1, %k1t : tensor<64xf32>, tensor<64xf32> -> tensor<64x64xf32>
    %i2 = recurrence.outer %w2, %k2t : tensor<64xf32>, tensor<64xf32> -> tensor<64x64xf32>
    %i3 = recurrence.outer %w3, %k3t : tensor<64xf32>, tensor<64xf32> -> tensor<64x64xf32>
    %n1 = arith.addf %kept, %i1 : tensor<64x64xf32>
    %n2 = arith.addf %n1, %i2 : tensor<64x64xf32>
    %n = arith.addf %n2, %i3 : tensor<64x64xf32>
    %y = recurrence.matvec %n, %qt : tensor<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
    %c = arith.constant dense<0.125> : tensor<64xf32>
    %o = arith.mulf %y, %c : tensor<64xf32>
    recurrence.yield %n, %o : tensor<64x64xf32>, tensor<64xf32>
  }
  return %o, %s : tensor<?x?x4x64xbf16>, tensor<?x4x64x64xf32>
}
