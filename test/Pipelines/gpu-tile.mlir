// RUN: rm -rf %t && prism-opt %s --prism-gpu-pipeline="output-dir=%t mapping=tile" -o /dev/null
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/gdn.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST --input-file=%t/gdn.manifest.json
// RUN: %if ptxas %{ %ptxas -arch=sm_90a %t/gdn.ptx -o %t/gdn.cubin %}
// RUN: FileCheck %s --check-prefix=SEQ --input-file=%t/seq.ptx
// RUN: %if ptxas %{ %ptxas -arch=sm_90a %t/seq.ptx -o %t/seq.cubin %}

// Schedules through the tile level and the GPU target mapping
// (mapping=tile): Gated DeltaNet chunked (bf16 tensor-core products from
// shared memory, the next chunk's operands copied there by cp.async while
// the current one is computed, the triangular solve and cumulative decays
// in shared memory, barriers between), and a sequential walk (state rows over lanes,
// row dot products by shuffles, no shared memory).

func.func @gdn(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
               %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>,
               %beta: tensor<?x?x4xbf16>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

func.func @seq(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
               %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// PTX: .extern .shared .align 16 .b8 __prism_dynamic_shared[];
// PTX: .entry gdn_kernel0(
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: ex2.approx.ftz.f32
// PTX-DAG: bar.sync 0;
// PTX-DAG: cp.async.cg.shared.global [{{.+}}], [{{.+}}], 16, %r{{[0-9]+}};
// PTX-DAG: cp.async.commit_group;
// PTX-DAG: cp.async.wait_group 1;

// K = 64, rank 1: 4 warps through the tile mapping (prism-select-schedule).
// MANIFEST: "block":[128,1,1],"grid":[4,"B",1]
// MANIFEST-SAME: "schedule":"chunked_fused, chunk = 64, v_tile = 64, warps = 4, stages = 2"
// MANIFEST-SAME: "shared_memory_bytes":{{[1-9][0-9]+}}

// SEQ: .entry seq_kernel0(
// SEQ-NOT: bar.sync
// SEQ: shfl.sync.bfly.b32
