// RUN: prism-opt %s | prism-opt | FileCheck %s
// RUN: prism-opt %s --mlir-print-op-generic | prism-opt | FileCheck %s

// Every op of the tile dialect round-trips through its custom syntax and the
// generic form.

// CHECK-LABEL: func.func @chunk
func.func @chunk(%q: memref<?x?x4x64xbf16>, %g: memref<?x?x4xf32>,
                 %o: memref<?x?x4x64xbf16>, %s: memref<?x4x64x64xf32>,
                 %T: index, %H: index, %B: index) {
  %c0 = arith.constant 0 : index
  // CHECK: tile.kernel "scan" grid(%{{.+}}, %{{.+}}) {
  // CHECK-NEXT: ^bb0(%[[H:.+]]: index, %[[B:.+]]: index):
  tile.kernel "scan" grid(%H, %B) {
  ^bb0(%h: index, %b: index):
    // CHECK: %[[Q:.+]] = tile.load %{{.+}}[%[[B]], %{{.+}}, %[[H]], %{{.+}}] dims [1, 3] below(%{{.+}}) : memref<?x?x4x64xbf16> -> tensor<64x64xbf16>
    %qc = tile.load %q[%b, %c0, %h, %c0] dims [1, 3] below(%T) : memref<?x?x4x64xbf16> -> tensor<64x64xbf16>
    // CHECK: %[[G:.+]] = tile.load %{{.+}} dims [1] below
    %gc = tile.load %g[%b, %c0, %h] dims [1] below(%T) : memref<?x?x4xf32> -> tensor<64xf32>
    // CHECK: %[[S:.+]] = tile.load %{{.+}} dims [3, 2] :
    %s0 = tile.load %s[%b, %h, %c0, %c0] dims [3, 2] : memref<?x4x64x64xf32> -> tensor<64x64xf32>
    // CHECK: %[[CS:.+]] = tile.cumsum %[[G]] dim 0 : tensor<64xf32>
    %G = tile.cumsum %gc dim 0 : tensor<64xf32>
    // CHECK: %[[GI:.+]] = tile.broadcast %[[CS]] dim 1 : tensor<64xf32> -> tensor<64x64xf32>
    %gi = tile.broadcast %G dim 1 : tensor<64xf32> -> tensor<64x64xf32>
    %gj = tile.broadcast %G dim 0 : tensor<64xf32> -> tensor<64x64xf32>
    %diff = arith.subf %gi, %gj : tensor<64x64xf32>
    // CHECK: tile.causal_mask %{{.+}} fill(0xFFF0000000000000) : tensor<64x64xf32>
    %m = tile.causal_mask %diff fill(0xFFF0000000000000) : tensor<64x64xf32>
    // CHECK: tile.causal_mask %{{.+}} strict fill(0.000000e+00) : tensor<64x64xf32>
    %ms = tile.causal_mask %diff strict fill(0.0) : tensor<64x64xf32>
    %dec = math.exp2 %m : tensor<64x64xf32>
    // CHECK: %[[P:.+]] = tile.dot %[[Q]], %[[Q]] transpose_b : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    %p = tile.dot %qc, %qc transpose_b : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    %pd = arith.mulf %p, %dec : tensor<64x64xf32>
    // CHECK: tile.dot %{{.+}}, %[[S]] acc(%[[P]] : tensor<64x64xf32>) transpose_a transpose_b : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    %o1 = tile.dot %pd, %s0 acc(%p : tensor<64x64xf32>) transpose_a transpose_b : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    // CHECK: tile.dot %[[Q]], %[[Q]] transpose_b lower : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    %pl = tile.dot %qc, %qc transpose_b lower : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    // CHECK: tile.dot %{{.+}}, %[[S]] acc(%[[P]] : tensor<64x64xf32>) lower_a : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    %ol = tile.dot %pl, %s0 acc(%p : tensor<64x64xf32>) lower_a : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    // CHECK: tile.decay_dot %[[Q]], %[[Q]], %{{.+}}, %{{.+}} : tensor<64x64xbf16>, tensor<64x64xbf16>, tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    %dd = tile.decay_dot %qc, %qc, %gi, %gi : tensor<64x64xbf16>, tensor<64x64xbf16>, tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    // CHECK: tile.tri_solve %{{.+}}, %[[P]] : tensor<64x64xbf16>, tensor<64x64xf32> -> tensor<64x64xf32>
    %lb = arith.truncf %ms : tensor<64x64xf32> to tensor<64x64xbf16>
    %x = tile.tri_solve %lb, %p : tensor<64x64xbf16>, tensor<64x64xf32> -> tensor<64x64xf32>
    // CHECK: tile.reduce add %{{.+}} dim 1 : tensor<64x64xf32> -> tensor<64xf32>
    %r = tile.reduce add %x dim 1 : tensor<64x64xf32> -> tensor<64xf32>
    // CHECK: tile.reduce max %{{.+}} dim 0
    %mx = tile.reduce max %dd dim 0 : tensor<64x64xf32> -> tensor<64xf32>
    // CHECK: tile.reduce add %{{.+}} dim 0 : tensor<64xf32> -> f32
    %total = tile.reduce add %gc dim 0 : tensor<64xf32> -> f32
    %one = arith.constant 1.0 : f32
    // CHECK: tile.splat %{{.+}} : f32 -> tensor<64x64xf32>
    %ones = tile.splat %one : f32 -> tensor<64x64xf32>
    %sum = arith.addf %x, %ones : tensor<64x64xf32>
    %out = arith.truncf %sum : tensor<64x64xf32> to tensor<64x64xbf16>
    // CHECK: tile.store %{{.+}}, %{{.+}}[%[[B]], %{{.+}}, %[[H]], %{{.+}}] dims [1, 3] below(%{{.+}}) : tensor<64x64xbf16>, memref<?x?x4x64xbf16>
    tile.store %out, %o[%b, %c0, %h, %c0] dims [1, 3] below(%T) : tensor<64x64xbf16>, memref<?x?x4x64xbf16>
    // CHECK: tile.store %{{.+}}, %{{.+}} dims [2, 3] : tensor<64x64xf32>, memref<?x4x64x64xf32>
    tile.store %sum, %s[%b, %h, %c0, %c0] dims [2, 3] : tensor<64x64xf32>, memref<?x4x64x64xf32>
    // CHECK-NOT: tile.end
  }
  return
}
