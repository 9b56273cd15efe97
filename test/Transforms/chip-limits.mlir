// RUN: prism-opt %s -split-input-file -prism-select-schedule=chip=sm_90a | FileCheck %s --check-prefix=SM90
// RUN: prism-opt %s -split-input-file -prism-select-schedule=chip=sm_80 | FileCheck %s --check-prefix=SM80
// RUN: not prism-opt %s -split-input-file -prism-select-schedule=chip=sm_80 -prism-convert-recurrence-to-scf="target=gpu chip=sm_80" 2>&1 | FileCheck %s --check-prefix=REFUSE
// RUN: not prism-opt %s -prism-select-schedule=chip=sm_75 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not prism-opt %s -prism-convert-recurrence-to-scf="target=gpu chip=sm_70" 2>&1 | FileCheck %s --check-prefix=UNKNOWN-SCF

// The chip's limits (prism/Target/GPUTarget.h) bound the schedules: Gated
// DeltaNet in f32 at K = V = 128 fits chunks of 64 in an sm_90a block's
// 227 KiB of shared memory, but an sm_80 block has 163 KiB: the schedule
// shrinks its chunk there, and parameters given explicitly that do not fit
// are refused with the budget named.

// UNKNOWN: error: prism-select-schedule: unknown chip 'sm_75' (known: sm_80, sm_90, sm_90a)
// UNKNOWN-SCF: error: prism-convert-recurrence-to-scf: unknown chip 'sm_70' (known: sm_80, sm_90, sm_90a)

// SM90-LABEL: func.func @gdn_f32
// SM90: schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64
// SM80-LABEL: func.func @gdn_f32
// SM80: schedule = #recurrence.schedule<chunked_fused, chunk = 32, v_tile = 64
func.func @gdn_f32(%q: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>,
                   %v: tensor<?x?x16x128xf32>, %beta: tensor<?x?x16xf32>,
                   %g: tensor<?x?x16xf32>) -> tensor<?x?x16x128xf32> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x16xf32>)
      : tensor<?x?x16x128xf32>, tensor<?x?x16xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x16x128xf32>) values(%v : tensor<?x?x16x128xf32>)
      gates(%beta : tensor<?x?x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x16x128xf32>
      -> tensor<?x?x16x128xf32>
  return %o : tensor<?x?x16x128xf32>
}

// -----

// SM90-LABEL: func.func @gdn_f32_given
// SM80-LABEL: func.func @gdn_f32_given
// SM80: schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 128
// REFUSE: error: 'recurrence.scan' op the chunked schedule needs 251648 bytes of shared memory per program, more than the 166912 a block may use on sm_80: lower chunk, v_tile or the rank
func.func @gdn_f32_given(%q: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>,
                         %v: tensor<?x?x16x128xf32>, %beta: tensor<?x?x16xf32>,
                         %g: tensor<?x?x16xf32>) -> tensor<?x?x16x128xf32> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x16xf32>)
      : tensor<?x?x16x128xf32>, tensor<?x?x16xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x16x128xf32>) values(%v : tensor<?x?x16x128xf32>)
      gates(%beta : tensor<?x?x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 128>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x16x128xf32>
      -> tensor<?x?x16x128xf32>
  return %o : tensor<?x?x16x128xf32>
}
