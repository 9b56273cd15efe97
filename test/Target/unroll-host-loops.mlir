// RUN: prism-opt %s -split-input-file -prism-unroll-host-loops -canonicalize | FileCheck %s

// A host loop of launches with constant bounds becomes its launches, each
// with the parameters of its iteration (the tree schedule's prefix rounds:
// the round and the grid that shrinks with it); a loop with a dynamic bound
// stays for prism-collect-launches to report; loops inside kernels are not
// touched.

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @round(%r: index, %buf: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c3 = arith.constant 3 : index
      %c1 = arith.constant 1 : index
      // CHECK: scf.for
      scf.for %i = %c0 to %c3 step %c1 {
        %x = memref.load %buf[%i] : memref<?xf32>
        memref.store %x, %buf[%r] : memref<?xf32>
      }
      gpu.return
    }
  }
  // CHECK-LABEL: func.func @rounds
  func.func @rounds(%buf: memref<?xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    // CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
    // CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
    // CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
    // CHECK-DAG: %[[C3:.+]] = arith.constant 3 : index
    // CHECK-NOT: scf.for
    // CHECK: gpu.launch_func @k::@round blocks in (%[[C1]], %[[C1]], %[[C1]]) {{.*}} args(%[[C0]] : index
    // CHECK-NEXT: gpu.launch_func @k::@round blocks in (%[[C2]], %[[C1]], %[[C1]]) {{.*}} args(%[[C1]] : index
    // CHECK-NEXT: gpu.launch_func @k::@round blocks in (%[[C3]], %[[C1]], %[[C1]]) {{.*}} args(%[[C2]] : index
    // CHECK-NEXT: return
    scf.for %r = %c0 to %c3 step %c1 {
      %grid = arith.addi %r, %c1 : index
      gpu.launch_func @k::@round blocks in (%grid, %c1, %c1) threads in (%c1, %c1, %c1)
          args(%r : index, %buf : memref<?xf32>)
    }
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @step(%buf: memref<?xf32>) kernel {
      gpu.return
    }
  }
  // CHECK-LABEL: func.func @dynamic
  func.func @dynamic(%buf: memref<?xf32>, %n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    // CHECK: scf.for
    // CHECK-NEXT: gpu.launch_func @k::@step
    scf.for %r = %c0 to %n step %c1 {
      gpu.launch_func @k::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
          args(%buf : memref<?xf32>)
    }
    return
  }
}
