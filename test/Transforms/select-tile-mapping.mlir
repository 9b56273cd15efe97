// RUN: prism-opt %s -split-input-file -prism-select-schedule=mapping=tile | FileCheck %s
// RUN: prism-opt %s -split-input-file -prism-select-schedule | FileCheck %s --check-prefix=LOOPS
// RUN: not prism-opt %s -prism-select-schedule=mapping=wgmma 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// With mapping=tile the parameters must pass the tile level and the GPU
// target mapping (run on a copy of the function), not the loop nests'
// model of them.

// UNKNOWN: error: prism-select-schedule: unknown mapping 'wgmma' (expected loops or tile)

// The sequential walk with 4 stages in f32: at k_split = 1 a lane holds
// three steps of whole 32-key loads besides its row (over 255 registers);
// k_split = 2 halves them.
// CHECK-LABEL: func.func @gla_stages4
// CHECK: schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 2, rows = 1, warps = 2, stages = 4>
// LOOPS-LABEL: func.func @gla_stages4
// LOOPS: schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, rows = 1, warps = 1, stages = 4>
func.func @gla_stages4(%q: tensor<?x?x2x32xf32>, %k: tensor<?x?x2x32xf32>, %g: tensor<?x?x2x32xf32>,
                       %v: tensor<?x?x2x32xf32>) -> tensor<?x?x2x32xf32> {
  %a = recurrence.diagonal_forget %g : tensor<?x?x2x32xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x2x32xf32>) values(%v : tensor<?x?x2x32xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, stages = 4>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x2x32xf32> -> tensor<?x?x2x32xf32>
  return %o : tensor<?x?x2x32xf32>
}

// -----

// The diagonal decay's two-pass in f32 at K = V = 128 with chunks of 64 and
// 8 warps given: a V-tile of 128 puts the outputs kernel over 227 KiB of
// shared memory, so the free V-tile shrinks to 64.
// CHECK-LABEL: func.func @gla_two_pass_f32
// CHECK: schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 64, warps = 8, stages = 1>
// LOOPS-LABEL: func.func @gla_two_pass_f32
// LOOPS: schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 128, warps = 8, stages = 1>
func.func @gla_two_pass_f32(%q: tensor<?x?x2x128xf32>, %k: tensor<?x?x2x128xf32>, %g: tensor<?x?x2x128xf32>,
                            %v: tensor<?x?x2x128xf32>) -> tensor<?x?x2x128xf32> {
  %a = recurrence.diagonal_forget %g : tensor<?x?x2x128xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x2x128xf32>) values(%v : tensor<?x?x2x128xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, warps = 8>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x2x128xf32> -> tensor<?x?x2x128xf32>
  return %o : tensor<?x?x2x128xf32>
}

// -----

// A fused walk at K = 64 takes 4 warps through the tile mapping (two blocks
// an SM), 8 through the loop nests; rank 3 keeps 8 (4 warps' tiles spill).
// CHECK-LABEL: func.func @gdn_fused_k64
// CHECK: schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 4,
// LOOPS-LABEL: func.func @gdn_fused_k64
// LOOPS: schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8,
func.func @gdn_fused_k64(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                         %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>,
                         %beta: tensor<?x?x4xbf16>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// -----

// CHECK-LABEL: func.func @rank3_fused_k64
// CHECK: schedule = #recurrence.schedule<chunked_fused, chunk = {{[0-9]+}}, v_tile = 64, warps = 8,
func.func @rank3_fused_k64(%q: tensor<?x?x4x64xbf16>, %k0: tensor<?x?x4x64xbf16>,
                           %k1: tensor<?x?x4x64xbf16>, %k2: tensor<?x?x4x64xbf16>,
                           %v0: tensor<?x?x4x64xbf16>, %v1: tensor<?x?x4x64xbf16>,
                           %v2: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>)
    -> tensor<?x?x4x64xbf16> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  %b = recurrence.inject keys(%k0, %k1, %k2 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
      values(%v0, %v1, %v2 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<3>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<scalar>, !recurrence.injection<3>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}
