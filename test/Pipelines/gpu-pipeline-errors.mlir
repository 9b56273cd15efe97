// Mistakes with the GPU pipeline and its passes' options get one located
// error each (no dump of the module or of a binary with its PTX), and the
// pipeline's output is the list of files, not the PTX.
// RUN: rm -rf %t && mkdir -p %t
// RUN: not prism-opt %s --prism-gpu-pipeline 2>&1 | FileCheck %s --check-prefix=NODIR --implicit-check-not="see current operation" --implicit-check-not=gpu.binary
// NODIR: gpu-pipeline-errors.mlir:0:0: error: prism-export-kernels needs output-dir=DIR
// RUN: not prism-opt %s --prism-select-schedule=default-kind=bogus 2>&1 | FileCheck %s --check-prefix=KIND --implicit-check-not="see current operation"
// KIND: error: prism-select-schedule: unknown default-kind 'bogus' (expected sequential, chunked_fused, chunked_two_pass or tree)
// RUN: not prism-opt %s --prism-convert-recurrence-to-scf=target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET --implicit-check-not="see current operation"
// TARGET: error: prism-convert-recurrence-to-scf: unknown target 'tpu' (expected cpu or gpu)
// RUN: not prism-opt %s --prism-gpu-pipeline=output-dir=/proc/prism-nonexistent -o /dev/null 2>&1 | FileCheck %s --check-prefix=MKDIR --implicit-check-not="see current operation" --implicit-check-not=.visible
// MKDIR: error: cannot create output-dir /proc/prism-nonexistent:
// RUN: %python -c "import sys; print(open(sys.argv[1]).read().replace('@short', '@' + 'f' * 260))" %s > %t/long.mlir
// RUN: not prism-opt %t/long.mlir --prism-gpu-pipeline=output-dir=%t/out -o /dev/null 2>&1 | FileCheck %s --check-prefix=LONG --implicit-check-not="see current operation"
// LONG: long.mlir:[[@LINE+4]]:1: error: the program's name is 260 characters long: its file ffffffffffffffff....manifest.json would have a name of 274 characters, more than the 255 a file system allows; give the function a shorter name
// RUN: prism-opt %s --prism-gpu-pipeline=output-dir=%t/ok | FileCheck %s --check-prefix=OUT
// OUT: module attributes {gpu.container_module, prism.exported = {short = {manifest = "{{.*}}/ok/short.manifest.json", ptx = "{{.*}}/ok/short.ptx"}}} {
// OUT-NEXT: }
func.func @short(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x2x16xf32>, %v: tensor<?x?x2x16xf32>)
    -> tensor<?x?x2x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x2x16xf32>) values(%v : tensor<?x?x2x16xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x2x16xf32>
      -> tensor<?x?x2x16xf32>
  return %o : tensor<?x?x2x16xf32>
}
