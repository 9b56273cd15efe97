// RUN: prism-opt %s --prism-cpu-pipeline | FileCheck %s
// RUN: prism-run %s --emit-llvm=- | FileCheck %s --check-prefix=LLVM
// RUN: prism-run %s --bind B=3,T=50 | FileCheck %s --check-prefix=EXEC

// The CPU backend: the same loop nests lowered to the LLVM dialect (bf16
// through integer arithmetic, erf from libm), runnable by the JIT.
// CHECK: llvm.func @erff(f32) -> f32
// CHECK: llvm.func @refined(
// CHECK-NOT: recurrence.{{[a-z_]+}} %
// CHECK-NOT: scf.
// LLVM: define void @refined(
// EXEC: PASS refined [B=3,T=50] o rel_err={{.*}} tol=1e-02
// EXEC: PASS refined [B=3,T=50] final_state rel_err={{.*}} tol=1e-02
func.func @refined(%q: tensor<?x?x2x32xbf16>, %k: tensor<?x?x2x32xbf16>, %u: tensor<?x?x2x16xbf16>,
                   %v: tensor<?x?x2x16xbf16>, %p: tensor<?x?x2x16xbf16>, %g: tensor<?x?x2xf32>)
    -> (tensor<?x?x2x16xbf16>, tensor<?x2x32x16xf32>) {
  %d = recurrence.refine gelu %u, %v gains(%p : tensor<?x?x2x16xbf16>)
      : tensor<?x?x2x16xbf16>, tensor<?x?x2x16xbf16> -> tensor<?x?x2x16xf32>
  %a = recurrence.scalar_forget %g : tensor<?x?x2xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x2x32xbf16>) values(%d : tensor<?x?x2x16xf32>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x2x32xbf16>
      -> tensor<?x?x2x16xbf16>, tensor<?x2x32x16xf32>
  return %o, %s : tensor<?x?x2x16xbf16>, tensor<?x2x32x16xf32>
}
