# -*- Python -*-
# lit configuration of prism's FileCheck tests.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "PRISM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.prism_obj_root, "test")
config.excludes = ["Unit", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

llvm_config.use_default_substitutions()
config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%prism_src", config.prism_src_root))

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.prism_tools_dir, append_path=True)
tool_dirs = [config.prism_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["prism-opt", "prism-run", "prism-bench", "prism-gpu-test", "FileCheck", "not"], tool_dirs)

# ptxas checks that generated PTX assembles for sm_90a.
ptxas = os.path.join(config.cuda_home, "bin", "ptxas")
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# Tests that need a GPU live in test/GPU and are unsupported without one.
if shutil.which("nvidia-smi") and os.path.exists("/dev/nvidia0"):
    config.available_features.add("gpu")
