// RUN: prism-opt %s -split-input-file -prism-convert-tile-to-loops | FileCheck %s
// RUN: prism-opt %s -split-input-file --prism-tile-cpu-mapping | FileCheck %s --check-prefix=MAP --implicit-check-not=tensor --implicit-check-not=tile. --implicit-check-not=linalg. --implicit-check-not=bufferization. --implicit-check-not=memref.alloca

// The CPU mapping of every tile op (prism-convert-tile-to-loops), and the
// whole mapping pipeline: after it only loops over buffers remain, every
// buffer freed (MAP).

// A kernel becomes a loop nest over its grid, first extent outermost, with
// the body inlined.
// CHECK-LABEL: func.func @kernel(
// CHECK-SAME: %[[OUT:[^:]+]]: memref<?x?x?xf32>, %[[X:[^:]+]]: index, %[[Y:[^:]+]]: index, %[[Z:[^:]+]]: index)
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[X]] step
// CHECK-NEXT: scf.for %[[J:.+]] = %{{.+}} to %[[Y]] step
// CHECK-NEXT: scf.for %[[K:.+]] = %{{.+}} to %[[Z]] step
// CHECK-NEXT: %[[V:.+]] = arith.addi %[[I]], %[[K]]
// CHECK: memref.store %{{.+}}, %[[OUT]][%[[I]], %[[J]], %[[K]]]
// CHECK-NOT: tile.
// CHECK: return
// MAP-LABEL: func.func @kernel(
// MAP: memref.store
func.func @kernel(%out: memref<?x?x?xf32>, %X: index, %Y: index, %Z: index) {
  tile.kernel "k" grid(%X, %Y, %Z) {
  ^bb0(%x: index, %y: index, %z: index):
    %v = arith.addi %x, %z : index
    %i = arith.index_cast %v : index to i64
    %f = arith.sitofp %i : i64 to f32
    memref.store %f, %out[%x, %y, %z] : memref<?x?x?xf32>
  }
  return
}

// -----

// A masked load: a fresh buffer filled element by element, rows outside
// [0, bound) (signed) zero and not read.
// CHECK-LABEL: func.func @load_below(
// CHECK-SAME: %[[SRC:[^:]+]]: memref<?x?x4x8xbf16>, %[[T0:[^:]+]]: index, %[[T:[^:]+]]: index
// CHECK: %[[BUF:.+]] = memref.alloc() {alignment = 64 : i64} : memref<16x8xbf16>
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK-NEXT: scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step
// CHECK-NEXT: %[[ROW:.+]] = arith.addi %[[T0]], %[[I]] : index
// CHECK-NEXT: %[[COL:.+]] = arith.addi %{{.+}}, %[[J]] : index
// CHECK: %[[GE:.+]] = arith.cmpi sge, %[[ROW]], %{{.+}} : index
// CHECK-NEXT: %[[LT:.+]] = arith.cmpi slt, %[[ROW]], %[[T]] : index
// CHECK-NEXT: %[[OK:.+]] = arith.andi %[[GE]], %[[LT]] : i1
// CHECK-NEXT: %[[E:.+]] = scf.if %[[OK]] -> (bf16) {
// CHECK-NEXT: %[[L:.+]] = memref.load %[[SRC]][%{{.+}}, %[[ROW]], %{{.+}}, %[[COL]]] : memref<?x?x4x8xbf16>
// CHECK-NEXT: scf.yield %[[L]] : bf16
// CHECK-NEXT: } else {
// CHECK-NEXT: %[[Z:.+]] = arith.constant 0.000000e+00 : bf16
// CHECK-NEXT: scf.yield %[[Z]] : bf16
// CHECK: memref.store %[[E]], %[[BUF]][%[[I]], %[[J]]] : memref<16x8xbf16>
// CHECK: bufferization.to_tensor %[[BUF]] restrict writable : memref<16x8xbf16> to tensor<16x8xbf16>
// CHECK-NOT: tile.
// MAP-LABEL: func.func @load_below(
// MAP: memref.alloc
// MAP: scf.if
// MAP: memref.load
// MAP: memref.dealloc
func.func @load_below(%src: memref<?x?x4x8xbf16>, %t0: index, %T: index,
                      %dst: memref<16x8xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %x = tile.load %src[%p, %t0, %c0, %c0] dims [1, 3] below(%T)
        : memref<?x?x4x8xbf16> -> tensor<16x8xbf16>
    tile.store %x, %dst[%c0, %c0] dims [0, 1] : tensor<16x8xbf16>, memref<16x8xbf16>
  }
  return
}

// -----

// A transposed load (dims [3, 2]) without bound: no guard.
// CHECK-LABEL: func.func @load_transposed(
// CHECK-SAME: %[[SRC:[^:]+]]: memref<?x2x8x4xf32>
// CHECK: memref.alloc
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK-NEXT: scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step
// CHECK-NEXT: %[[R:.+]] = arith.addi %{{.+}}, %[[I]] : index
// CHECK-NEXT: %[[C:.+]] = arith.addi %{{.+}}, %[[J]] : index
// CHECK-NOT: scf.if
// CHECK-NEXT: memref.load %[[SRC]][%{{.+}}, %{{.+}}, %[[C]], %[[R]]] : memref<?x2x8x4xf32>
// CHECK-NOT: tile.
// MAP-LABEL: func.func @load_transposed(
func.func @load_transposed(%src: memref<?x2x8x4xf32>, %dst: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %x = tile.load %src[%p, %c1, %c0, %c0] dims [3, 2]
        : memref<?x2x8x4xf32> -> tensor<4x8xf32>
    tile.store %x, %dst[%c0, %c0] dims [0, 1] : tensor<4x8xf32>, memref<4x8xf32>
  }
  return
}

// -----

// A masked store: extract and store under the same guard.
// CHECK-LABEL: func.func @store_below(
// CHECK-SAME: %[[DST:[^:]+]]: memref<?x?x8xf32>, %[[T0:[^:]+]]: index, %[[T:[^:]+]]: index, %[[V:[^:]+]]: f32
// CHECK: %[[TILE:.+]] = linalg.fill ins(%[[V]] : f32)
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK-NEXT: scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step
// CHECK-NEXT: %[[ROW:.+]] = arith.addi %[[T0]], %[[I]] : index
// CHECK-NEXT: %[[COL:.+]] = arith.addi %{{.+}}, %[[J]] : index
// CHECK: %[[GE:.+]] = arith.cmpi sge, %[[ROW]], %{{.+}} : index
// CHECK-NEXT: %[[LT:.+]] = arith.cmpi slt, %[[ROW]], %[[T]] : index
// CHECK-NEXT: %[[OK:.+]] = arith.andi %[[GE]], %[[LT]] : i1
// CHECK-NEXT: scf.if %[[OK]] {
// CHECK-NEXT: %[[E:.+]] = tensor.extract %[[TILE]][%[[I]], %[[J]]] : tensor<16x8xf32>
// CHECK-NEXT: memref.store %[[E]], %[[DST]][%{{.+}}, %[[ROW]], %[[COL]]] : memref<?x?x8xf32>
// CHECK-NOT: tile.
// MAP-LABEL: func.func @store_below(
// MAP: scf.if
// MAP: memref.store
func.func @store_below(%dst: memref<?x?x8xf32>, %t0: index, %T: index, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %t = tile.splat %v : f32 -> tensor<16x8xf32>
    tile.store %t, %dst[%p, %t0, %c0] dims [1, 2] below(%T)
        : tensor<16x8xf32>, memref<?x?x8xf32>
  }
  return
}

// -----

// A product without accumulator: a zero fill, (i, k) x (k, j), f32 as is.
// CHECK-DAG: #[[$A:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$B:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$C:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @dot(
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<6x7xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[INIT]] : tensor<6x7xf32>)
// CHECK-NEXT: ^bb0(%[[X:.+]]: f32, %[[Y:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NOT: tile.
// MAP-LABEL: func.func @dot(
// MAP: %[[C:.+]] = memref.alloc() {{.+}} : memref<6x7xf32>
// MAP: memref.store %{{.+}}, %[[C]]
// MAP: scf.for %[[I:.+]] = %{{.+}} to
// MAP-NEXT: scf.for %[[J:.+]] = %{{.+}} to
// MAP-NEXT: scf.for %[[K:.+]] = %{{.+}} to
// MAP-NEXT: %[[X:.+]] = memref.load %{{.+}}[%[[I]], %[[K]]] : memref<6x5xf32>
// MAP-NEXT: %[[Y:.+]] = memref.load %{{.+}}[%[[K]], %[[J]]] : memref<5x7xf32>
// MAP-NEXT: %[[ACC:.+]] = memref.load %[[C]][%[[I]], %[[J]]] : memref<6x7xf32>
// MAP-NEXT: %[[P:.+]] = arith.mulf %[[X]], %[[Y]] : f32
// MAP-NEXT: %[[S:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// MAP-NEXT: memref.store %[[S]], %[[C]][%[[I]], %[[J]]] : memref<6x7xf32>
func.func @dot(%a: memref<6x5xf32>, %b: memref<5x7xf32>, %c: memref<6x7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %ta = tile.load %a[%c0, %c0] dims [0, 1] : memref<6x5xf32> -> tensor<6x5xf32>
    %tb = tile.load %b[%c0, %c0] dims [0, 1] : memref<5x7xf32> -> tensor<5x7xf32>
    %d = tile.dot %ta, %tb : tensor<6x5xf32>, tensor<5x7xf32> -> tensor<6x7xf32>
    tile.store %d, %c[%c0, %c0] dims [0, 1] : tensor<6x7xf32>, memref<6x7xf32>
  }
  return
}

// -----

// Both transposed, bf16, into an accumulator: the transposes are the
// indexing maps, the operands are extended to f32.
// CHECK-DAG: #[[$A:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[$B:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$C:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @dot_transposed_acc(
// CHECK: %[[TA:.+]] = bufferization.to_tensor %{{.+}} : memref<5x6xbf16> to tensor<5x6xbf16>
// CHECK: %[[TB:.+]] = bufferization.to_tensor %{{.+}} : memref<7x5xbf16> to tensor<7x5xbf16>
// CHECK: %[[TC:.+]] = bufferization.to_tensor %{{.+}} : memref<6x7xf32> to tensor<6x7xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[TA]], %[[TB]] : tensor<5x6xbf16>, tensor<7x5xbf16>) outs(%[[TC]] : tensor<6x7xf32>)
// CHECK-NEXT: ^bb0(%[[X:.+]]: bf16, %[[Y:.+]]: bf16, %[[ACC:.+]]: f32):
// CHECK-NEXT: %[[XF:.+]] = arith.extf %[[X]] : bf16 to f32
// CHECK-NEXT: %[[YF:.+]] = arith.extf %[[Y]] : bf16 to f32
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[XF]], %[[YF]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NOT: tile.
// MAP-LABEL: func.func @dot_transposed_acc(
// MAP: arith.extf
func.func @dot_transposed_acc(%a: memref<5x6xbf16>, %b: memref<7x5xbf16>, %c: memref<6x7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %ta = tile.load %a[%c0, %c0] dims [0, 1] : memref<5x6xbf16> -> tensor<5x6xbf16>
    %tb = tile.load %b[%c0, %c0] dims [0, 1] : memref<7x5xbf16> -> tensor<7x5xbf16>
    %tc = tile.load %c[%c0, %c0] dims [0, 1] : memref<6x7xf32> -> tensor<6x7xf32>
    %d = tile.dot %ta, %tb acc(%tc : tensor<6x7xf32>) transpose_a transpose_b
        : tensor<5x6xbf16>, tensor<7x5xbf16> -> tensor<6x7xf32>
    tile.store %d, %c[%c0, %c0] dims [0, 1] : tensor<6x7xf32>, memref<6x7xf32>
  }
  return
}

// -----

// The decayed causal product: the term above the diagonal is selected away.
// CHECK-DAG: #[[$I:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$J:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$O:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @decay_dot(
// CHECK: %[[INIT:.+]] = linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[$I]], #[[$J]], #[[$I]], #[[$J]], #[[$O]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[INIT]] : tensor<8x6xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: bf16, %[[B:.+]]: bf16, %[[GA:.+]]: f32, %[[GB:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK-NEXT: %[[AF:.+]] = arith.extf %[[A]] : bf16 to f32
// CHECK-NEXT: %[[BF:.+]] = arith.extf %[[B]] : bf16 to f32
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[AF]], %[[BF]] : f32
// CHECK-NEXT: %[[E:.+]] = arith.subf %[[GA]], %[[GB]] : f32
// CHECK-NEXT: %[[D:.+]] = math.exp2 %[[E]] : f32
// CHECK-NEXT: %[[TERM:.+]] = arith.mulf %[[P]], %[[D]] : f32
// CHECK-NEXT: %[[ROW:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[COL:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[KEPT:.+]] = arith.cmpi ule, %[[COL]], %[[ROW]] : index
// CHECK-NEXT: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[M:.+]] = arith.select %[[KEPT]], %[[TERM]], %[[Z]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[ACC]], %[[M]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NOT: tile.
// MAP-LABEL: func.func @decay_dot(
// MAP: math.exp2
// MAP: arith.select
func.func @decay_dot(%a: memref<8x4xbf16>, %b: memref<6x4xbf16>, %ga: memref<8x4xf32>,
                     %gb: memref<6x4xf32>, %out: memref<8x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %ta = tile.load %a[%c0, %c0] dims [0, 1] : memref<8x4xbf16> -> tensor<8x4xbf16>
    %tb = tile.load %b[%c0, %c0] dims [0, 1] : memref<6x4xbf16> -> tensor<6x4xbf16>
    %tga = tile.load %ga[%c0, %c0] dims [0, 1] : memref<8x4xf32> -> tensor<8x4xf32>
    %tgb = tile.load %gb[%c0, %c0] dims [0, 1] : memref<6x4xf32> -> tensor<6x4xf32>
    %d = tile.decay_dot %ta, %tb, %tga, %tgb : tensor<8x4xbf16>, tensor<6x4xbf16>,
        tensor<8x4xf32>, tensor<6x4xf32> -> tensor<8x6xf32>
    tile.store %d, %out[%c0, %c0] dims [0, 1] : tensor<8x6xf32>, memref<8x6xf32>
  }
  return
}

// -----

// Forward substitution on the right-hand side: rows from 1, the row's
// strictly lower entries only (16-bit entries of L extended to f32).
// CHECK-LABEL: func.func @tri_solve(
// CHECK: %[[L:.+]] = bufferization.to_tensor %{{.+}} : memref<8x8xbf16> to tensor<8x8xbf16>
// CHECK: %[[RHS:.+]] = bufferization.to_tensor %{{.+}} : memref<8x4xf32> to tensor<8x4xf32>
// CHECK: %[[ONE:.+]] = arith.constant 1 : index
// CHECK: %[[ROWS:.+]] = arith.constant 8 : index
// CHECK: %[[COLS:.+]] = arith.constant 4 : index
// CHECK: %[[X:.+]] = scf.for %[[T:.+]] = %[[ONE]] to %[[ROWS]] step %[[ONE]] iter_args(%[[XT:.+]] = %[[RHS]]) -> (tensor<8x4xf32>) {
// CHECK-NEXT: %{{.+}} = scf.for %[[V:.+]] = %{{.+}} to %[[COLS]] step %[[ONE]] iter_args(%[[XV:.+]] = %[[XT]]) -> (tensor<8x4xf32>) {
// CHECK-NEXT: %[[SUM:.+]] = scf.for %[[S:.+]] = %{{.+}} to %[[T]] step %[[ONE]] iter_args(%[[ACC:.+]] = %{{.+}}) -> (f32) {
// CHECK-NEXT: %[[LTS:.+]] = tensor.extract %[[L]][%[[T]], %[[S]]] : tensor<8x8xbf16>
// CHECK-NEXT: %[[LF:.+]] = arith.extf %[[LTS]] : bf16 to f32
// CHECK-NEXT: %[[XSV:.+]] = tensor.extract %[[XV]][%[[S]], %[[V]]] : tensor<8x4xf32>
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[LF]], %[[XSV]] : f32
// CHECK-NEXT: %[[N:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: scf.yield %[[N]] : f32
// CHECK: %[[R:.+]] = tensor.extract %[[XV]][%[[T]], %[[V]]] : tensor<8x4xf32>
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[R]], %[[SUM]] : f32
// CHECK-NEXT: %[[NEW:.+]] = tensor.insert %[[D]] into %[[XV]][%[[T]], %[[V]]] : tensor<8x4xf32>
// CHECK-NEXT: scf.yield %[[NEW]] : tensor<8x4xf32>
// CHECK-NOT: tile.
// MAP-LABEL: func.func @tri_solve(
// MAP: arith.subf
func.func @tri_solve(%l: memref<8x8xbf16>, %r: memref<8x4xf32>, %out: memref<8x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %tl = tile.load %l[%c0, %c0] dims [0, 1] : memref<8x8xbf16> -> tensor<8x8xbf16>
    %tr = tile.load %r[%c0, %c0] dims [0, 1] : memref<8x4xf32> -> tensor<8x4xf32>
    %x = tile.tri_solve %tl, %tr : tensor<8x8xbf16>, tensor<8x4xf32> -> tensor<8x4xf32>
    tile.store %x, %out[%c0, %c0] dims [0, 1] : tensor<8x4xf32>, memref<8x4xf32>
  }
  return
}

// -----

// Cumulative sums: along dim 1 of a 2-d tile (a loop across it inside), and
// of a 1-d tile.
// CHECK-LABEL: func.func @cumsum(
// CHECK: %[[IN:.+]] = bufferization.to_tensor %{{.+}} : memref<6x5xf32> to tensor<6x5xf32>
// CHECK: %[[ONE:.+]] = arith.constant 1 : index
// CHECK: %[[LEN:.+]] = arith.constant 5 : index
// CHECK: scf.for %[[T:.+]] = %[[ONE]] to %[[LEN]] step %[[ONE]] iter_args(%[[X:.+]] = %[[IN]]) -> (tensor<6x5xf32>) {
// CHECK: %[[ACROSS:.+]] = arith.constant 6 : index
// CHECK-NEXT: scf.for %[[O:.+]] = %{{.+}} to %[[ACROSS]] step %[[ONE]] iter_args(%[[Y:.+]] = %[[X]]) -> (tensor<6x5xf32>) {
// CHECK-NEXT: %[[PREV:.+]] = arith.subi %[[T]], %[[ONE]] : index
// CHECK-NEXT: %[[A:.+]] = tensor.extract %[[Y]][%[[O]], %[[PREV]]] : tensor<6x5xf32>
// CHECK-NEXT: %[[B:.+]] = tensor.extract %[[Y]][%[[O]], %[[T]]] : tensor<6x5xf32>
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[N:.+]] = tensor.insert %[[S]] into %[[Y]][%[[O]], %[[T]]] : tensor<6x5xf32>
// CHECK-NEXT: scf.yield %[[N]] : tensor<6x5xf32>
// CHECK: %[[V:.+]] = bufferization.to_tensor %{{.+}} : memref<7xf32> to tensor<7xf32>
// CHECK: scf.for %[[T1:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[X1:.+]] = %[[V]]) -> (tensor<7xf32>) {
// CHECK-NEXT: %[[PREV1:.+]] = arith.subi %[[T1]], %{{.+}} : index
// CHECK-NEXT: %[[A1:.+]] = tensor.extract %[[X1]][%[[PREV1]]] : tensor<7xf32>
// CHECK-NEXT: %[[B1:.+]] = tensor.extract %[[X1]][%[[T1]]] : tensor<7xf32>
// CHECK-NEXT: %[[S1:.+]] = arith.addf %[[A1]], %[[B1]] : f32
// CHECK-NEXT: %[[N1:.+]] = tensor.insert %[[S1]] into %[[X1]][%[[T1]]] : tensor<7xf32>
// CHECK-NEXT: scf.yield %[[N1]] : tensor<7xf32>
// CHECK-NOT: tile.
// MAP-LABEL: func.func @cumsum(
func.func @cumsum(%x: memref<6x5xf32>, %o: memref<6x5xf32>, %v: memref<7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %tx = tile.load %x[%c0, %c0] dims [0, 1] : memref<6x5xf32> -> tensor<6x5xf32>
    %s = tile.cumsum %tx dim 1 : tensor<6x5xf32>
    tile.store %s, %o[%c0, %c0] dims [0, 1] : tensor<6x5xf32>, memref<6x5xf32>
    %tv = tile.load %v[%c0] dims [0] : memref<7xf32> -> tensor<7xf32>
    %sv = tile.cumsum %tv dim 0 : tensor<7xf32>
    tile.store %sv, %v[%c0] dims [0] : tensor<7xf32>, memref<7xf32>
  }
  return
}

// -----

// Causal masks compare the indices: j < i kept with strict, j <= i without.
// CHECK-LABEL: func.func @causal_mask(
// CHECK: %[[IN:.+]] = bufferization.to_tensor
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[IN]] : tensor<5x7xf32>)
// CHECK-NEXT: ^bb0(%[[X:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[I:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[J:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[KEPT:.+]] = arith.cmpi ult, %[[J]], %[[I]] : index
// CHECK-NEXT: %[[FILL:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT: %[[V:.+]] = arith.select %[[KEPT]], %[[X]], %[[FILL]] : f32
// CHECK-NEXT: linalg.yield %[[V]] : f32
// CHECK: linalg.generic
// CHECK: %[[KEPT2:.+]] = arith.cmpi ule, %{{.+}}, %{{.+}} : index
// CHECK-NEXT: %[[FILL2:.+]] = arith.constant 2.500000e+00 : f32
// CHECK-NOT: tile.
// MAP-LABEL: func.func @causal_mask(
// MAP: math.exp2
func.func @causal_mask(%x: memref<5x7xf32>, %o0: memref<5x7xf32>, %o1: memref<5x7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %t = tile.load %x[%c0, %c0] dims [0, 1] : memref<5x7xf32> -> tensor<5x7xf32>
    %m = tile.causal_mask %t strict fill(0xFFF0000000000000) : tensor<5x7xf32>
    %e = math.exp2 %m : tensor<5x7xf32>
    %m2 = tile.causal_mask %t fill(2.5) : tensor<5x7xf32>
    tile.store %e, %o0[%c0, %c0] dims [0, 1] : tensor<5x7xf32>, memref<5x7xf32>
    tile.store %m2, %o1[%c0, %c0] dims [0, 1] : tensor<5x7xf32>, memref<5x7xf32>
  }
  return
}

// -----

// Reductions start from their identity; broadcasts and splats are linalg's.
// CHECK-LABEL: func.func @reduce_broadcast_splat(
// CHECK-SAME: %{{[^:]+}}: memref<5x7xf32>, %{{[^:]+}}: memref<5xf32>, %[[ALPHA:[^:]+]]: f32
// CHECK: %[[IN:.+]] = bufferization.to_tensor %{{.+}} : memref<5x7xf32> to tensor<5x7xf32>
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[Z:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<7xf32>)
// CHECK: linalg.reduce { arith.addf } ins(%[[IN]] : tensor<5x7xf32>) outs(%[[Z]] : tensor<7xf32>) dimensions = [0]
// CHECK: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[M:.+]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.+}} : tensor<5xf32>)
// CHECK: %[[MAX:.+]] = linalg.reduce { arith.maximumf } ins(%[[IN]] : tensor<5x7xf32>) outs(%[[M]] : tensor<5xf32>) dimensions = [1]
// CHECK: %[[E:.+]] = tensor.empty() : tensor<5x7xf32>
// CHECK-NEXT: linalg.broadcast ins(%[[MAX]] : tensor<5xf32>) outs(%[[E]] : tensor<5x7xf32>) dimensions = [1]
// CHECK: %[[E2:.+]] = tensor.empty() : tensor<3x4xf32>
// CHECK-NEXT: linalg.fill ins(%[[ALPHA]] : f32) outs(%[[E2]] : tensor<3x4xf32>)
// CHECK-NOT: tile.
// MAP-LABEL: func.func @reduce_broadcast_splat(
func.func @reduce_broadcast_splat(%x: memref<5x7xf32>, %o: memref<5xf32>, %alpha: f32,
                                  %ob: memref<5x7xf32>, %os: memref<3x4xf32>, %o7: memref<7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %t = tile.load %x[%c0, %c0] dims [0, 1] : memref<5x7xf32> -> tensor<5x7xf32>
    %s = tile.reduce add %t dim 0 : tensor<5x7xf32> -> tensor<7xf32>
    %m = tile.reduce max %t dim 1 : tensor<5x7xf32> -> tensor<5xf32>
    %b = tile.broadcast %m dim 1 : tensor<5xf32> -> tensor<5x7xf32>
    %sp = tile.splat %alpha : f32 -> tensor<3x4xf32>
    tile.store %s, %o7[%c0] dims [0] : tensor<7xf32>, memref<7xf32>
    tile.store %m, %o[%c0] dims [0] : tensor<5xf32>, memref<5xf32>
    tile.store %b, %ob[%c0, %c0] dims [0, 1] : tensor<5x7xf32>, memref<5x7xf32>
    tile.store %sp, %os[%c0, %c0] dims [0, 1] : tensor<3x4xf32>, memref<3x4xf32>
  }
  return
}

// -----

// A chunk loop carrying a tile, each iteration yielding a fresh one (the
// mask's): after the mapping the loop carries the buffer with its ownership,
// and frees the one it replaces and the iteration's other tiles in each
// iteration.
// CHECK-LABEL: func.func @chunk_loop(
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %{{.+}}) -> (tensor<4x4xf32>)
// CHECK-NOT: tile.
// MAP-LABEL: func.func @chunk_loop(
// MAP: scf.for {{.+}} iter_args(%[[ACC:.+]] = %{{.+}}, %[[OWNED:.+]] = %{{.+}}) -> (memref<4x4xf32>, i1) {
// MAP: %[[X:.+]] = memref.alloc() {{.+}} : memref<8x4xf32>
// MAP: %[[NEW:.+]] = memref.alloc() {{.+}} : memref<4x4xf32>
// MAP: %[[BASE:[^,]+]], {{.+}} = memref.extract_strided_metadata %[[ACC]]
// MAP-NEXT: scf.if %[[OWNED]] {
// MAP-NEXT: memref.dealloc %[[BASE]]
// MAP: memref.dealloc %[[X]]
// MAP: scf.yield %[[NEW]], %{{.+}} : memref<4x4xf32>, i1
// MAP: memref.dealloc
// MAP: return
func.func @chunk_loop(%x: memref<?x4xf32>, %out: memref<4x4xf32>, %T: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  tile.kernel "k" grid(%c1) {
  ^bb0(%p: index):
    %zero = arith.constant 0.0 : f32
    %init = tile.splat %zero : f32 -> tensor<4x4xf32>
    %n = arith.ceildivsi %T, %c8 : index
    %r = scf.for %c = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<4x4xf32>) {
      %t0 = arith.muli %c, %c8 : index
      %xc = tile.load %x[%t0, %c0] dims [0, 1] below(%T) : memref<?x4xf32> -> tensor<8x4xf32>
      %g = tile.dot %xc, %xc acc(%acc : tensor<4x4xf32>) transpose_a
          : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
      %m = tile.causal_mask %g fill(0.0) : tensor<4x4xf32>
      scf.yield %m : tensor<4x4xf32>
    }
    tile.store %r, %out[%c0, %c0] dims [0, 1] : tensor<4x4xf32>, memref<4x4xf32>
  }
  return
}
