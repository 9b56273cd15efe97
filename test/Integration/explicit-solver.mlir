// The explicit solver of prism-math.md section 4 (Eq. 6, sigma = tanh) as
// recurrence.step bodies: state-dependent, so prism-classify-steps keeps them
// steps and they take the sequential walk of StepWalk.cpp. Checked on the CPU
// backend against the float64 oracle of the body (StepOracle), which the
// manifest carries: one inner step with initial and final states; three
// inner steps a token (TTT-style) split into V-tiles of 8 rows; a body that
// reduces along V (S^T y), which needs all V rows in one program; the [B, H,
// V, K] state layout; values from a short convolution of the inputs.
// RUN: prism-run %s --bind B=2,T=77 --seed 3 2>&1 | FileCheck %s
// T = 1 and T not a multiple of anything; B = 1.
// RUN: prism-run %s --bind B=1,T=1 --seed 4 2>&1 | FileCheck %s
// bf16 sequences (the state stays f32): held to bf16's tolerance.
// RUN: sed -E 's/tensor<\?x\?x2x(16|32)xf32>/tensor<?x?x2x\1xbf16>/g' %s | prism-run - --bind B=2,T=65 --seed 5 2>&1 | FileCheck %s
// f16 sequences.
// RUN: sed -E 's/tensor<\?x\?x2x(16|32)xf32>/tensor<?x?x2x\1xf16>/g' %s | prism-run - --bind B=1,T=50 --seed 6 2>&1 | FileCheck %s
// The classification's remark names what makes each body state-dependent.
// RUN: prism-opt %s --prism-classify-steps 2>&1 | FileCheck %s --check-prefix=REMARK

// REMARK-COUNT-5: remark: state-dependent: the next state reads {{.*}} through math.tanh
// CHECK-DAG: PASS eq6_tanh [{{.*}}] o rel_err=
// CHECK-DAG: PASS eq6_tanh [{{.*}}] final_state rel_err=
// CHECK-DAG: PASS eq6_tanh_3_inner [{{.*}}] o rel_err=
// CHECK-DAG: PASS eq6_tanh_3_inner [{{.*}}] final_state rel_err=
// CHECK-DAG: PASS key_correction [{{.*}}] o rel_err=
// CHECK-DAG: PASS eq6_vk [{{.*}}] o rel_err=
// CHECK-DAG: PASS eq6_vk [{{.*}}] final_state rel_err=
// CHECK-DAG: PASS eq6_conv_values [{{.*}}] o rel_err=
// CHECK-NOT: FAIL

// z = S k^, S += beta (1 - tanh(z)^2) (v - tanh(z)) k^T, o = S q / sqrt(K),
// with k^ = k / |k| and beta = sigmoid(b).
func.func @eq6_tanh(%k: tensor<?x?x2x32xf32>, %v: tensor<?x?x2x16xf32>,
                    %q: tensor<?x?x2x32xf32>, %b: tensor<?x?x2xf32>,
                    %s0: tensor<?x2x32x16xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32>) {
  %o, %s = recurrence.step ins(%k, %v, %q, %b : tensor<?x?x2x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x32xf32>, tensor<?x?x2xf32>)
      initial(%s0 : tensor<?x2x32x16xf32>) -> tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32> {
  ^bb0(%S: tensor<16x32xf32>, %kt: tensor<32xf32>, %vt: tensor<16xf32>, %qt: tensor<32xf32>, %bt: f32):
    %kk = recurrence.dot %kt, %kt : tensor<32xf32>
    %rn = math.rsqrt %kk : f32
    %rs = recurrence.splat %rn : tensor<32xf32>
    %kn = arith.mulf %kt, %rs : tensor<32xf32>
    %one = arith.constant 1.0 : f32
    %nb = arith.negf %bt : f32
    %eb = math.exp %nb : f32
    %den = arith.addf %one, %eb : f32
    %beta = arith.divf %one, %den : f32
    %z = recurrence.matvec %S, %kn : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %f = math.tanh %z : tensor<16xf32>
    %ones = arith.constant dense<1.0> : tensor<16xf32>
    %f2 = arith.mulf %f, %f : tensor<16xf32>
    %fp = arith.subf %ones, %f2 : tensor<16xf32>
    %r = arith.subf %vt, %f : tensor<16xf32>
    %g = arith.mulf %fp, %r : tensor<16xf32>
    %bs = recurrence.splat %beta : tensor<16xf32>
    %d = arith.mulf %bs, %g : tensor<16xf32>
    %u = recurrence.outer %d, %kn : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %n = arith.addf %S, %u : tensor<16x32xf32>
    %y = recurrence.matvec %n, %qt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %c = arith.constant dense<0.1767766952966369> : tensor<16xf32>
    %o = arith.mulf %c, %y : tensor<16xf32>
    recurrence.yield %n, %o : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o, %s : tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32>
}

// Three inner gradient steps a token with a fixed rate of 0.5, in V-tiles of
// 8 rows (every op is row-local: the rows of S are independent).
func.func @eq6_tanh_3_inner(%k: tensor<?x?x2x32xf32>, %v: tensor<?x?x2x16xf32>,
                            %q: tensor<?x?x2x32xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32>) {
  %o, %s = recurrence.step ins(%k, %v, %q : tensor<?x?x2x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x32xf32>)
      {schedule = #recurrence.schedule<sequential, v_tile = 8>}
      -> tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32> {
  ^bb0(%S: tensor<16x32xf32>, %kt: tensor<32xf32>, %vt: tensor<16xf32>, %qt: tensor<32xf32>):
    %kk = recurrence.dot %kt, %kt : tensor<32xf32>
    %rn = math.rsqrt %kk : f32
    %rs = recurrence.splat %rn : tensor<32xf32>
    %kn = arith.mulf %kt, %rs : tensor<32xf32>
    %ones = arith.constant dense<1.0> : tensor<16xf32>
    %lr = arith.constant dense<0.5> : tensor<16xf32>
    %z1 = recurrence.matvec %S, %kn : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %f1 = math.tanh %z1 : tensor<16xf32>
    %q1 = arith.mulf %f1, %f1 : tensor<16xf32>
    %p1 = arith.subf %ones, %q1 : tensor<16xf32>
    %r1 = arith.subf %vt, %f1 : tensor<16xf32>
    %g1 = arith.mulf %p1, %r1 : tensor<16xf32>
    %d1 = arith.mulf %lr, %g1 : tensor<16xf32>
    %u1 = recurrence.outer %d1, %kn : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %S1 = arith.addf %S, %u1 : tensor<16x32xf32>
    %z2 = recurrence.matvec %S1, %kn : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %f2 = math.tanh %z2 : tensor<16xf32>
    %q2 = arith.mulf %f2, %f2 : tensor<16xf32>
    %p2 = arith.subf %ones, %q2 : tensor<16xf32>
    %r2 = arith.subf %vt, %f2 : tensor<16xf32>
    %g2 = arith.mulf %p2, %r2 : tensor<16xf32>
    %d2 = arith.mulf %lr, %g2 : tensor<16xf32>
    %u2 = recurrence.outer %d2, %kn : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %S2 = arith.addf %S1, %u2 : tensor<16x32xf32>
    %z3 = recurrence.matvec %S2, %kn : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %f3 = math.tanh %z3 : tensor<16xf32>
    %q3 = arith.mulf %f3, %f3 : tensor<16xf32>
    %p3 = arith.subf %ones, %q3 : tensor<16xf32>
    %r3 = arith.subf %vt, %f3 : tensor<16xf32>
    %g3 = arith.mulf %p3, %r3 : tensor<16xf32>
    %d3 = arith.mulf %lr, %g3 : tensor<16xf32>
    %u3 = recurrence.outer %d3, %kn : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %S3 = arith.addf %S2, %u3 : tensor<16x32xf32>
    %y = recurrence.matvec %S3, %qt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    recurrence.yield %S3, %y : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o, %s : tensor<?x?x2x16xf32>, tensor<?x2x32x16xf32>
}

// A key corrected through the state, S^T (v - tanh(S k)), before the write:
// the body reduces along V, so one program holds all V rows.
func.func @key_correction(%k: tensor<?x?x2x32xf32>, %v: tensor<?x?x2x16xf32>,
                          %q: tensor<?x?x2x32xf32>)
    -> tensor<?x?x2x16xf32> {
  %o = recurrence.step ins(%k, %v, %q : tensor<?x?x2x32xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x32xf32>)
      -> tensor<?x?x2x16xf32> {
  ^bb0(%S: tensor<16x32xf32>, %kt: tensor<32xf32>, %vt: tensor<16xf32>, %qt: tensor<32xf32>):
    %kk = recurrence.dot %kt, %kt : tensor<32xf32>
    %rn = math.rsqrt %kk : f32
    %rs = recurrence.splat %rn : tensor<32xf32>
    %kn = arith.mulf %kt, %rs : tensor<32xf32>
    %z = recurrence.matvec %S, %kn : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %f = math.tanh %z : tensor<16xf32>
    %r = arith.subf %vt, %f : tensor<16xf32>
    %e = recurrence.matvec %S, %r transpose : tensor<16x32xf32>, tensor<16xf32> -> tensor<32xf32>
    %eps = arith.constant dense<0.125> : tensor<32xf32>
    %es = arith.mulf %eps, %e : tensor<32xf32>
    %kc = arith.addf %kn, %es : tensor<32xf32>
    %lr = arith.constant dense<0.25> : tensor<16xf32>
    %d = arith.mulf %lr, %r : tensor<16xf32>
    %u = recurrence.outer %d, %kc : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %n = arith.addf %S, %u : tensor<16x32xf32>
    %y = recurrence.matvec %n, %qt : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    recurrence.yield %n, %y : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o : tensor<?x?x2x16xf32>
}

// Eq. 6 with the state stored [B, H, V, K] and V = K.
func.func @eq6_vk(%k: tensor<?x?x2x16xf32>, %v: tensor<?x?x2x16xf32>,
                  %s0: tensor<?x2x16x16xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>) {
  %o, %s = recurrence.step ins(%k, %v : tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>)
      initial(%s0 : tensor<?x2x16x16xf32>)
      {state_layout = #recurrence<state_layout vk>, schedule = #recurrence.schedule<sequential, v_tile = 4>}
      -> tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32> {
  ^bb0(%S: tensor<16x16xf32>, %kt: tensor<16xf32>, %vt: tensor<16xf32>):
    %kk = recurrence.dot %kt, %kt : tensor<16xf32>
    %rn = math.rsqrt %kk : f32
    %rs = recurrence.splat %rn : tensor<16xf32>
    %kn = arith.mulf %kt, %rs : tensor<16xf32>
    %z = recurrence.matvec %S, %kn : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    %f = math.tanh %z : tensor<16xf32>
    %ones = arith.constant dense<1.0> : tensor<16xf32>
    %f2 = arith.mulf %f, %f : tensor<16xf32>
    %fp = arith.subf %ones, %f2 : tensor<16xf32>
    %r = arith.subf %vt, %f : tensor<16xf32>
    %g = arith.mulf %fp, %r : tensor<16xf32>
    %u = recurrence.outer %g, %kn : tensor<16xf32>, tensor<16xf32> -> tensor<16x16xf32>
    %n = arith.addf %S, %u : tensor<16x16xf32>
    %y = recurrence.matvec %n, %kn : tensor<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    recurrence.yield %n, %y : tensor<16x16xf32>, tensor<16xf32>
  }
  return %o, %s : tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>
}

// Values from a causal depthwise convolution of the inputs, SiLU after it
// (a kernel of its own before the walk; its result a workspace).
func.func @eq6_conv_values(%k: tensor<?x?x2x32xf32>, %x: tensor<?x?x2x16xf32>,
                           %w: tensor<2x16x4xf32>, %bias: tensor<2x16xf32>)
    -> tensor<?x?x2x16xf32> {
  %v = recurrence.short_conv silu %x, %w bias(%bias : tensor<2x16xf32>)
      : tensor<?x?x2x16xf32>, tensor<2x16x4xf32> -> tensor<?x?x2x16xf32>
  %o = recurrence.step ins(%k, %v : tensor<?x?x2x32xf32>, tensor<?x?x2x16xf32>)
      -> tensor<?x?x2x16xf32> {
  ^bb0(%S: tensor<16x32xf32>, %kt: tensor<32xf32>, %vt: tensor<16xf32>):
    %kk = recurrence.dot %kt, %kt : tensor<32xf32>
    %rn = math.rsqrt %kk : f32
    %rs = recurrence.splat %rn : tensor<32xf32>
    %kn = arith.mulf %kt, %rs : tensor<32xf32>
    %z = recurrence.matvec %S, %kn : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    %f = math.tanh %z : tensor<16xf32>
    %r = arith.subf %vt, %f : tensor<16xf32>
    %u = recurrence.outer %r, %kn : tensor<16xf32>, tensor<32xf32> -> tensor<16x32xf32>
    %n = arith.addf %S, %u : tensor<16x32xf32>
    %y = recurrence.matvec %n, %kn : tensor<16x32xf32>, tensor<32xf32> -> tensor<16xf32>
    recurrence.yield %n, %y : tensor<16x32xf32>, tensor<16xf32>
  }
  return %o : tensor<?x?x2x16xf32>
}
