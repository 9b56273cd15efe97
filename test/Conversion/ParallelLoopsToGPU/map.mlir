// RUN: prism-opt %s -split-input-file -prism-map-parallel-loops-to-gpu -verify-diagnostics | FileCheck %s

// "program" dimensions go to blocks x, y, z in order, "lane" ones to threads.
// CHECK-LABEL: func.func @roles(
// CHECK:         scf.parallel
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_y, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = thread_y, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK-NOT:     prism.loop_roles
func.func @roles(%m: memref<4x8x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%a, %b, %c, %d) = (%c0, %c0, %c0, %c0) to (%c4, %c8, %c2, %c16) step (%c1, %c1, %c1, %c1) {
    memref.store %f, %m[%a, %b, %c, %d] : memref<4x8x2x16xf32>
    scf.reduce
  } {prism.loop_roles = ["program", "program", "lane", "lane"]}
  return
}

// -----

// Loops without roles are left alone.
// CHECK-LABEL: func.func @no_roles(
// CHECK-NOT:     mapping
func.func @no_roles(%m: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%a) = (%c0) to (%c4) step (%c1) {
    memref.store %f, %m[%a] : memref<4xf32>
    scf.reduce
  }
  return
}

// -----

func.func @too_many_programs(%m: memref<2x2x2x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{cannot place loop role 'program' on the GPU (at most 3 programs and 3 lanes)}}
  scf.parallel (%a, %b, %c, %d) = (%c0, %c0, %c0, %c0) to (%c2, %c2, %c2, %c2) step (%c1, %c1, %c1, %c1) {
    memref.store %f, %m[%a, %b, %c, %d] : memref<2x2x2x2xf32>
    scf.reduce
  } {prism.loop_roles = ["program", "program", "program", "program"]}
  return
}

// -----

func.func @role_count(%m: memref<2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %f = arith.constant 1.0 : f32
  // expected-error @+1 {{has 1 dimensions but 2 prism.loop_roles}}
  scf.parallel (%a) = (%c0) to (%c2) step (%c1) {
    memref.store %f, %m[%a] : memref<2xf32>
    scf.reduce
  } {prism.loop_roles = ["program", "lane"]}
  return
}
