// RUN: prism-opt %s -split-input-file --prism-tile-pipeline-loads | FileCheck %s
// RUN: prism-opt %s -split-input-file --prism-tile-pipeline-loads="stages=3" | FileCheck %s --check-prefix=S3

// Loads whose indices depend only on the induction variable move one
// iteration ahead (the schedule's stages = 2): the first before the loop,
// the next at the top of each iteration, zero past the end; a load from a
// buffer the loop writes stays.

// CHECK-LABEL: func.func @walk
// S3-LABEL: func.func @walk
func.func @walk(%k: memref<?x?x4x64xbf16>, %g: memref<?x?x4xf32>, %w: memref<?x?x4xf32>,
                %T: index, %B: index)
    attributes {prism.schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 2, rows = 1, warps = 4, stages = 2>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant dense<0.0> : tensor<64xf32>
  tile.kernel "scan" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    // CHECK: %[[LIVE:.+]] = arith.cmpi slt, %{{.+}}, %[[T:.+]] : index
    // CHECK: %[[G0:.+]] = scf.if %[[LIVE]] -> (f32) {
    // CHECK-NEXT: memref.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] : memref<?x?x4xf32>
    // CHECK: %[[K0:.+]] = scf.if %{{.+}} -> (tensor<64xbf16>) {
    // CHECK-NEXT: tile.load
    // CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[T]] step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %[[G:.+]] = %[[G0]], %[[K:.+]] = %[[K0]])
    // S3: scf.for %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}})
    %s = scf.for %t = %c0 to %T step %c1 iter_args(%st = %zero) -> (tensor<64xf32>) {
      // CHECK: %[[NEXT:.+]] = arith.addi %[[I]], %{{.+}} : index
      // CHECK: arith.cmpi slt, %[[NEXT]], %[[T]] : index
      // CHECK: memref.load %{{.+}}[%{{.+}}, %[[NEXT]], %{{.+}}] : memref<?x?x4xf32>
      // CHECK: tile.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] dims [3]
      %gt = memref.load %g[%b, %t, %h] : memref<?x?x4xf32>
      %kt = tile.load %k[%b, %t, %h, %c0] dims [3] : memref<?x?x4x64xbf16> -> tensor<64xbf16>
      // Written by the loop: loaded in place.
      // CHECK: memref.load %{{.+}}[%{{.+}}, %[[I]], %{{.+}}] : memref<?x?x4xf32>
      %wt = memref.load %w[%b, %t, %h] : memref<?x?x4xf32>
      // CHECK: math.exp %[[G]]
      %e = math.exp %gt : f32
      %sum = arith.addf %e, %wt : f32
      memref.store %sum, %w[%b, %t, %h] : memref<?x?x4xf32>
      // CHECK: arith.extf %[[K]]
      %kf = arith.extf %kt : tensor<64xbf16> to tensor<64xf32>
      %n = arith.addf %st, %kf : tensor<64xf32>
      scf.yield %n : tensor<64xf32>
    }
  }
  return
}
