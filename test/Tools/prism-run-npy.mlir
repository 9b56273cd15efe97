// prism-run reads inputs from NumPy files (multi-dimensional shapes spelled
// the way NumPy writes them) and refuses mismatched ones with a clear error.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/write_npy.py %t/q.npy f4 2 9 2 16
// RUN: %python %S/write_npy.py %t/v.npy f4 2 9 2 16
// RUN: %python %S/write_npy.py %t/bad.npy f4 2 9 2 15
// RUN: prism-run %s --bind B=2,T=9 --input q=%t/q.npy --input v=%t/v.npy --save %t | FileCheck %s
// RUN: ls %t | FileCheck %s --check-prefix=SAVED
// RUN: not prism-run %s --bind B=2,T=9 --input q=%t/bad.npy 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not prism-run %s --bind B=2,T=9 --input nope=%t/q.npy 2>&1 | FileCheck %s --check-prefix=NAME
// CHECK: PASS npy [B=2,T=9] o rel_err={{.*}} tol=1e-04
// SAVED: o.npy
// BAD: error: --input q={{.*}}bad.npy: {{.*}}bad.npy has shape (2, 9, 2, 15); the buffer's is (2, 9, 2, 16)
// NAME: error: --input nope={{.*}}: no input buffer named 'nope' in npy (its inputs: q, k, v; write --input NAME=FILE.npy)
func.func @npy(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x2x16xf32>, %v: tensor<?x?x2x16xf32>)
    -> tensor<?x?x2x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x2x16xf32>) values(%v : tensor<?x?x2x16xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x2x16xf32>
      -> tensor<?x?x2x16xf32>
  return %o : tensor<?x?x2x16xf32>
}
