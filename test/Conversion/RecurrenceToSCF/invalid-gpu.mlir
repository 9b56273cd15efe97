// RUN: prism-opt %s -split-input-file -prism-convert-recurrence-to-scf=target=gpu -verify-diagnostics

// Limits of the GPU target only: a block's shared memory holds the chunked
// schedule's scratch (the CPU backend has no such limit).
func.func @chunked_shared_memory(%q: tensor<1x8x1x128xf32>, %k0: tensor<1x8x1x128xf32>,
                                 %k1: tensor<1x8x1x128xf32>, %k2: tensor<1x8x1x128xf32>,
                                 %v0: tensor<1x8x1x128xf32>, %v1: tensor<1x8x1x128xf32>,
                                 %v2: tensor<1x8x1x128xf32>)
    -> tensor<1x8x1x128xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k0, %k1, %k2 : tensor<1x8x1x128xf32>, tensor<1x8x1x128xf32>, tensor<1x8x1x128xf32>)
      values(%v0, %v1, %v2 : tensor<1x8x1x128xf32>, tensor<1x8x1x128xf32>, tensor<1x8x1x128xf32>) -> !recurrence.injection<3>
  // expected-error @+1 {{bytes of shared memory per program, more than the 232448 a block may use on sm_90a}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 128, v_tile = 64, warps = 8>}
      : !recurrence.forget<identity>, !recurrence.injection<3>, tensor<1x8x1x128xf32> -> tensor<1x8x1x128xf32>
  return %o : tensor<1x8x1x128xf32>
}
