// What prism-run checks and binds, said in its output: non-finite inputs or
// outputs never PASS, empty outputs are reported, --bind refuses names the
// program lacks and names given twice, defaults are announced, --input files
// bind B and T, and --save creates its folder before anything runs.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/write_npy.py %t/nan.npy f4 2 5 2 16 --fill nan
// RUN: %python %S/write_npy.py %t/inf.npy f4 2 5 2 16 --fill inf
// RUN: %python %S/write_npy.py %t/q.npy f4 3 7 2 16
// RUN: %python %S/write_npy.py %t/k.npy f4 3 8 2 16
// RUN: %python %S/write_npy.py %t/half.npy f2 3 7 2 16
//
// RUN: not prism-run %s --function=dyn --bind B=2,T=5 --input q=%t/nan.npy | FileCheck %s --check-prefix=NAN
// NAN: FAIL dyn [B=2,T=5] o rel_err=inf tol=1e-04 (0 of 320 values compared; non-finite values: 320 outputs are NaN or Inf; the float64 reference is NaN or Inf at 320
// RUN: not prism-run %s --function=dyn --bind B=2,T=5 --input q=%t/inf.npy | FileCheck %s --check-prefix=INF
// INF: FAIL dyn [B=2,T=5] o rel_err=inf tol=1e-04 ({{[0-9]+}} of 320 values compared; non-finite values:
//
// RUN: prism-run %s --function=dyn --bind B=2,T=0 | FileCheck %s --check-prefix=T0
// T0: EMPTY dyn [B=2,T=0] o (empty: 0 values, nothing compared)
// T0: PASS dyn [B=2,T=0] final_state rel_err={{.*}} (1024 of 1024 values compared)
// RUN: prism-run %s --function=dyn --bind B=0,T=9 2>&1 | FileCheck %s --check-prefix=B0
// B0: EMPTY dyn [B=0,T=9] o (empty: 0 values, nothing compared)
// B0: EMPTY dyn [B=0,T=9] final_state (empty
// B0: note: dyn [B=0,T=9]: every output is empty; nothing was checked
//
// RUN: not prism-run %s --function=dyn --bind X=3 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: error: --bind X=3: dyn has no dynamic dimension X (its dynamic dimensions: B, T)
// RUN: not prism-run %s --function=dyn --bind T=5,T=7 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: --bind gives T twice (T=5 and T=7)
// RUN: not prism-run %s --function=fixed --bind B=3,T=7 2>&1 | FileCheck %s --check-prefix=STATIC
// STATIC: error: --bind B=3: fixed has no dynamic dimension B (its dynamic dimensions: none: its shapes are all static)
// RUN: prism-run %s --function=dyn --bind B=3 2>&1 | FileCheck %s --check-prefix=DEFAULT
// DEFAULT: note: dyn: T=77 by default (not given by --bind or an --input file)
// DEFAULT: PASS dyn [B=3,T=77] o
//
// RUN: prism-run %s --function=dyn --input q=%t/q.npy 2>&1 | FileCheck %s --check-prefix=FROMFILE
// FROMFILE-NOT: by default
// FROMFILE: PASS dyn [B=3,T=7] o
// RUN: not prism-run %s --function=dyn --input q=%t/q.npy --bind T=9 2>&1 | FileCheck %s --check-prefix=CONFLICT
// CONFLICT: error: --input q={{.*}}q.npy: {{.*}}q.npy (T=7 from q's shape (3, 7, 2, 16)) disagrees with --bind T=9
// RUN: not prism-run %s --function=dyn --input q=%t/q.npy --input k=%t/k.npy 2>&1 | FileCheck %s --check-prefix=CONFLICT2
// CONFLICT2: error: --input k={{.*}}k.npy: {{.*}}k.npy (T=8 from k's shape (3, 8, 2, 16)) disagrees with {{.*}}q.npy (T=7 from q's shape (3, 7, 2, 16))
// RUN: not prism-run %s --function=dyn --input q=%t/half.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: --input q={{.*}}half.npy: {{.*}}half.npy holds float16; the buffer is f32 (give float32)
//
// RUN: prism-run %s --function=dyn --bind B=1,T=3 --save %t/new/deeper | FileCheck %s --check-prefix=SAVE
// RUN: ls %t/new/deeper | FileCheck %s --check-prefix=SAVED
// SAVE: PASS dyn [B=1,T=3] o
// SAVED: final_state.npy
// SAVED: o.npy
// RUN: not prism-run %s --function=dyn --save /proc/prism-cannot 2>&1 | FileCheck %s --check-prefix=NOSAVE
// NOSAVE: error: --save /proc/prism-cannot: cannot create it:
// NOSAVE-NOT: PASS

func.func @dyn(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x2x16xf32>, %v: tensor<?x?x2x16xf32>)
    -> (tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x2x16xf32>) values(%v : tensor<?x?x2x16xf32>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x2x16xf32>
      -> tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>
  return %o, %s : tensor<?x?x2x16xf32>, tensor<?x2x16x16xf32>
}

func.func @fixed(%q: tensor<2x5x2x16xf32>, %k: tensor<2x5x2x16xf32>, %v: tensor<2x5x2x16xf32>)
    -> tensor<2x5x2x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x5x2x16xf32>) values(%v : tensor<2x5x2x16xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x5x2x16xf32>
      -> tensor<2x5x2x16xf32>
  return %o : tensor<2x5x2x16xf32>
}
