// Gated DeltaNet written as a step body: prism-classify-steps recognises the
// delta forget and a rank-1 injection, rewrites it into recurrence.scan, and
// the chunked-fused and two-pass schedules then run it; checked on the CPU
// backend against the float64 oracle of the rewritten scan and against the
// step body itself, evaluated in float64 from the IR (StepEvaluator).
// RUN: prism-opt %s --prism-classify-steps 2>&1 | FileCheck %s --check-prefix=REWRITE
// RUN: prism-run %s --bind B=2,T=77 --seed 5 2>&1 | FileCheck %s
// RUN: sed 's/chunked_fused/chunked_two_pass/' %s | prism-run - --bind B=1,T=130 --seed 6 2>&1 | FileCheck %s
// bf16 sequences (f32 gates): held to bf16's tolerance.
// RUN: sed 's/tensor<?x?x2x32xf32>/tensor<?x?x2x32xbf16>/g; s/tensor<?x?x2x16xf32>/tensor<?x?x2x16xbf16>/g' %s | prism-run - --bind B=2,T=65 --seed 7 2>&1 | FileCheck %s

// REWRITE: remark: state-independent: {{.*}} with the delta forget and a rank-1 injection; rewritten to recurrence.scan
// REWRITE: recurrence.delta_forget
// REWRITE-NOT: recurrence.step
// CHECK: PASS gdn_step [B={{[0-9]}},T={{[0-9]+}}] o rel_err=
// CHECK: PASS gdn_step [B={{[0-9]}},T={{[0-9]+}}] final_state rel_err=
// CHECK: PASS gdn_step [B={{[0-9]}},T={{[0-9]+}}] o against the step body rel_err=
// CHECK: PASS gdn_step [B={{[0-9]}},T={{[0-9]+}}] final_state against the step body rel_err=

func.func @gdn_step(%q: tensor<?x?x2x32xf32>, %w: tensor<?x?x2x32xf32>, %v: tensor<?x?x2x16xf32>,
                    %beta: tensor<?x?x2xf32>, %g: tensor<?x?x2xf32>, %s0: tensor<?x2x32x16xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32>) {
  %o, %s = recurrence.step ins(%q, %w, %v, %beta, %g : tensor<?x?x2x32xf32>, tensor<?x?x2x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2xf32>, tensor<?x?x2xf32>)
      initial(%s0 : tensor<?x2x32x16xf32>) {schedule = #recurrence.schedule<chunked_fused>}
      -> tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32> {
  ^bb0(%S: tensor<16x32xf32>, %qt: tensor<32xf32>, %wt: tensor<32xf32>, %vt: tensor<16xf32>, %bt: f32, %gt: f32):
    %a = math.exp %gt : f32
    %as = recurrence.splat %a : tensor<16x32xf32>
    %sa = arith.mulf %S, %as : tensor<16x32xf32>
    %e = recurrence.matvec %sa, %wt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %r = arith.subf %vt, %e : tensor<16xf32>
    %bs = recurrence.splat %bt : tensor<16xf32>
    %d = arith.mulf %bs, %r : tensor<16xf32>
    %u = recurrence.outer %d, %wt : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %n = arith.addf %sa, %u : tensor<16x32xf32>
    %y = recurrence.matvec %n, %qt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %c = arith.constant dense<0.1767766952966369> : tensor<16xf32>
    %o = arith.mulf %c, %y : tensor<16xf32>
    recurrence.yield %n, %o : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o, %s : tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32>
}
