// Gated DeltaNet at K = V = 128 with the two-pass schedule's defaults: the
// chunk summaries (x0, psi, B0, the decayed erase keys) with all of V, a walk
// over the chunks with 32-wide V-tiles whose every operand is loaded one chunk
// ahead (two stages), then the outputs; checked on the CPU backend against
// the float64 oracle.
// RUN: prism-opt %s --prism-select-schedule | FileCheck %s --check-prefix=SCHEDULE
// RUN: prism-run %s --bind B=1,T=130 --seed 3 | FileCheck %s

// SCHEDULE: #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 32, warps = 8, stages = 2>
// CHECK: PASS gdn_two_pass_k128 [B=1,T=130] o rel_err=
// CHECK: PASS gdn_two_pass_k128 [B=1,T=130] final_state rel_err=

func.func @gdn_two_pass_k128(%q: tensor<?x?x2x128xbf16>, %k: tensor<?x?x2x128xbf16>,
                    %beta: tensor<?x?x2xbf16>, %g: tensor<?x?x2xf32>,
                    %v: tensor<?x?x2x128xbf16>, %s0: tensor<?x2x128x128xf32>)
    -> (tensor<?x?x2x128xbf16>, tensor<?x2x128x128xf32>) {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x2xf32>)
      : tensor<?x?x2x128xbf16>, tensor<?x?x2xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x2x128xbf16>) values(%v : tensor<?x?x2x128xbf16>)
      gates(%beta : tensor<?x?x2xbf16>) -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x2x128x128xf32>)
      {schedule = #recurrence.schedule<chunked_two_pass>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x2x128xbf16>
      -> tensor<?x?x2x128xbf16>, tensor<?x2x128x128xf32>
  return %o, %s : tensor<?x?x2x128xbf16>, tensor<?x2x128x128xf32>
}
