// Gated DeltaNet at K = V = 128 with the chunked schedule's defaults: the
// delta forget takes 128-wide V-tiles there (one tile holds the whole state
// width) and two stages (the next chunk's q and k loaded ahead), checked on
// the CPU backend against the float64 oracle.
// RUN: prism-opt %s --prism-select-schedule | FileCheck %s --check-prefix=SCHEDULE
// RUN: prism-run %s --bind B=1,T=130 --seed 3 | FileCheck %s

// SCHEDULE: #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 128, warps = 8, stages = 2>
// CHECK: PASS gdn_k128 [B=1,T=130] o rel_err=
// CHECK: PASS gdn_k128 [B=1,T=130] final_state rel_err=

func.func @gdn_k128(%q: tensor<?x?x2x128xbf16>, %k: tensor<?x?x2x128xbf16>,
                    %beta: tensor<?x?x2xbf16>, %g: tensor<?x?x2xf32>,
                    %v: tensor<?x?x2x128xbf16>, %s0: tensor<?x2x128x128xf32>)
    -> (tensor<?x?x2x128xbf16>, tensor<?x2x128x128xf32>) {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x2xf32>)
      : tensor<?x?x2x128xbf16>, tensor<?x?x2xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x2x128xbf16>) values(%v : tensor<?x?x2x128xbf16>)
      gates(%beta : tensor<?x?x2xbf16>) -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x2x128x128xf32>)
      {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x2x128xbf16>
      -> tensor<?x?x2x128xbf16>, tensor<?x2x128x128xf32>
  return %o, %s : tensor<?x?x2x128xbf16>, tensor<?x2x128x128xf32>
}
