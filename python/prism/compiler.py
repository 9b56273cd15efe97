"""Compiling specifications with prism-opt (GPU) and prism-run (CPU).

`compile` writes the specification's MLIR next to its outputs and runs
`prism-opt --prism-gpu-pipeline`, which leaves `<function>.ptx` and
`<function>.manifest.json` there; the returned `Program` names those files
and holds the parsed manifest (docs/manifest.md), which is all the runtime
needs. With target="cpu", prism-run lowers the same specification to host
LLVM IR instead, and `run_cpu` runs it against the float64 oracle.

The tools are found, in this order, from the argument, the environment
($PRISM_OPT, $PRISM_RUN), PATH, and this checkout's build/bin.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Union

from .spec import Spec
from .step import StepSpec

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = ("cuda", "cpu")

# prism-opt reports `file:line:col: error: message`, prism-run
# `loc("file":line:col): error: message`.
_DIAGNOSTIC = re.compile(r'^(?:loc\("(?P<qfile>.+?)"|(?P<file>.+?)):(?P<line>\d+):(?P<col>\d+)\)?: '
                         r"(?P<severity>error|warning|note|remark): (?P<message>.*)$")
#: A name compile() may use for files in its output folder.
_FILE_STEM = re.compile(r"[A-Za-z0-9_$][\w$.\-]*")
_FUNCTION = re.compile(r"func\.func\s+(?:public\s+)?@([A-Za-z_$.][\w$.]*)")
_CHECK = re.compile(r"^(?P<status>PASS|FAIL) (?P<function>\S+) \[(?P<bindings>[^\]]*)\] "
                    r"(?P<buffer>\S+) rel_err=(?P<rel_err>\S+) tol=(?P<tol>\S+)"
                    r"(?P<rest>.*)$")


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    col: int
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"


class CompileError(Exception):
    """The tool refused the specification. `str()` is the tool's own output,
    whose diagnostics carry `file:line:col`; `diagnostics` holds them
    parsed."""

    def __init__(self, message: str, command: Optional[List[str]] = None,
                 output: str = "") -> None:
        self.command = command or []
        self.output = output
        self.diagnostics = parse_diagnostics(output)
        text = message + ("\n" + output.rstrip() if output.strip() else "")
        super().__init__(text)


def parse_diagnostics(output: str) -> List[Diagnostic]:
    out = []
    for line in output.splitlines():
        m = _DIAGNOSTIC.match(line)
        if m:
            out.append(Diagnostic(m["qfile"] or m["file"], int(m["line"]), int(m["col"]),
                                  m["severity"], m["message"]))
    return out


@dataclass
class Program:
    """One compiled recurrence: its files and its manifest."""
    name: str
    target: str
    mlir_path: str
    manifest_path: str
    manifest: dict
    #: The PTX (target "cuda") or host LLVM IR (target "cpu").
    module_path: str
    #: The temporary folder holding the files, when compile() made one; it
    #: is removed when the Program is.
    _workdir: Optional[tempfile.TemporaryDirectory] = field(default=None, repr=False,
                                                           compare=False)

    @property
    def ptx_path(self) -> Optional[str]:
        return self.module_path if self.target == "cuda" else None

    def buffers(self, role: str) -> List[dict]:
        """The manifest's buffers with this role (input, output, workspace)."""
        return [b for b in self.manifest["buffers"] if b["role"] == role]


@dataclass(frozen=True)
class Check:
    """One `PASS`/`FAIL` line of prism-run: an output against the oracle."""
    passed: bool
    function: str
    bindings: Dict[str, int]
    buffer: str
    rel_err: float
    tol: float
    finite: bool = True


def find_tool(name: str, explicit: Optional[str] = None,
              env: Optional[str] = None) -> str:
    """The path of a prism tool. An explicit path or environment variable
    that does not name an executable is an error, never silently skipped."""
    for source, path in (("argument", explicit), (f"${env}", os.environ.get(env or ""))):
        if path:
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
            raise FileNotFoundError(f"{name} from the {source} is not an executable: {path}")
    path = shutil.which(name)
    if path:
        return path
    path = os.path.join(REPO_ROOT, "build", "bin", name)
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    hint = f"set ${env}, " if env else ""
    raise FileNotFoundError(f"{name} not found: {hint}put it on PATH, or build it "
                            f"(ninja -C {os.path.join(REPO_ROOT, 'build')} {name})")


def _source(spec_or_mlir: Union[Spec, str, os.PathLike]) -> "tuple[str, str]":
    """(file stem, MLIR text) of a Spec, MLIR text, or a path to a .mlir file."""
    if isinstance(spec_or_mlir, (Spec, StepSpec)):
        return spec_or_mlir.name, spec_or_mlir.mlir()
    if isinstance(spec_or_mlir, os.PathLike) or (
            isinstance(spec_or_mlir, str) and "\n" not in spec_or_mlir
            and spec_or_mlir.endswith(".mlir")):
        path = os.fspath(spec_or_mlir)
        with open(path) as f:
            return os.path.splitext(os.path.basename(path))[0], f.read()
    if not isinstance(spec_or_mlir, str):
        raise TypeError(f"expected a Spec, a StepSpec, MLIR text or a .mlir path, got "
                        f"{type(spec_or_mlir).__name__}")
    names = _FUNCTION.findall(spec_or_mlir)
    return (names[0] if names else "program"), spec_or_mlir


def _run(command: List[str], what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CompileError(f"{what} failed (exit {proc.returncode}): {' '.join(command)}",
                           command, proc.stderr + proc.stdout)
    return proc


def compile(spec_or_mlir: Union[Spec, str, os.PathLike], output_dir: Optional[str] = None,
            target: str = "cuda", prism_opt: Optional[str] = None,
            prism_run: Optional[str] = None, function: Optional[str] = None) -> Program:
    """Compiles a Spec, MLIR text, or a .mlir file.

    Files go to `output_dir` (a new temporary directory when None; it is not
    removed, since the runtime loads from it). A module with several programs
    needs `function` to say which one is returned; all are compiled.
    Raises CompileError with the tool's diagnostics when the tool refuses the
    input.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r} (expected one of {', '.join(TARGETS)})")
    stem, text = _source(spec_or_mlir)
    # Without output_dir, the files live in a temporary folder that the
    # returned Program owns: it is removed with the Program (and any Kernel
    # made from it), or at exit, never left behind in /tmp.
    workdir = None
    if output_dir is None:
        workdir = tempfile.TemporaryDirectory(prefix="prism-")
        output_dir = workdir.name
    output_dir = os.path.abspath(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    try:
        program = _compile_in(stem, text, output_dir, target, prism_opt, prism_run, function)
    except BaseException:
        if workdir is not None:
            workdir.cleanup()
        raise
    program._workdir = workdir
    return program


def _compile_in(stem: str, text: str, output_dir: str, target: str,
                prism_opt: Optional[str], prism_run: Optional[str],
                function: Optional[str]) -> Program:
    if not _FILE_STEM.fullmatch(stem):
        raise ValueError(f"program name {stem!r} cannot name files in {output_dir} "
                         f"(use letters, digits, '_', '.', '-'; no '/' or leading '.')")
    mlir_path = os.path.join(output_dir, stem + ".mlir")
    with open(mlir_path, "w") as f:
        f.write(text)

    if target == "cuda":
        tool = find_tool("prism-opt", prism_opt, "PRISM_OPT")
        names = _FUNCTION.findall(text)
        for name in names:
            if not _FILE_STEM.fullmatch(name):
                raise ValueError(f"function name {name!r} cannot name files in "
                                 f"{output_dir} (use letters, digits, '_', '.', '-'; "
                                 f"no '/' or leading '.')")
        # A stale manifest from an earlier run must not pass for this one's.
        for name in names:
            for ext in (".manifest.json", ".ptx"):
                if os.path.exists(os.path.join(output_dir, name + ext)):
                    os.remove(os.path.join(output_dir, name + ext))
        _run([tool, mlir_path, f"--prism-gpu-pipeline=output-dir={output_dir}",
              "-o", os.devnull], "prism-opt")
        manifests = {}
        for name in names:
            path = os.path.join(output_dir, name + ".manifest.json")
            if os.path.exists(path):
                with open(path) as f:
                    manifests[name] = (path, json.load(f))
    else:
        tool = find_tool("prism-run", prism_run, "PRISM_RUN")
        # The manifests are printed before the host code is written; nothing
        # runs.
        proc = _run([tool, mlir_path, "--dump-manifest", "--emit-llvm",
                     os.path.join(output_dir, stem + ".ll")], "prism-run")
        manifests = {}
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                manifest = json.loads(line)
                path = os.path.join(output_dir, manifest["function"] + ".manifest.json")
                with open(path, "w") as f:
                    json.dump(manifest, f, indent=1)
                manifests[manifest["function"]] = (path, manifest)

    if not manifests:
        raise CompileError(f"{tool} produced no program from {mlir_path}: it holds no "
                           f"recurrence.scan function", [tool, mlir_path])
    if function is None:
        if len(manifests) > 1:
            raise ValueError(f"{mlir_path} defines {len(manifests)} programs "
                             f"({', '.join(manifests)}); pass function= to pick one")
        function = next(iter(manifests))
    if function not in manifests:
        raise ValueError(f"no program named {function!r} in {mlir_path} "
                         f"(it has {', '.join(manifests)})")
    path, manifest = manifests[function]
    module = (os.path.join(output_dir, manifest["module"]) if target == "cuda"
              else os.path.join(output_dir, stem + ".ll"))
    return Program(function, target, mlir_path, path, manifest, module)


def run_cpu(spec_or_mlir: Union[Spec, str, os.PathLike],
            bindings: Optional[Mapping[str, int]] = None, seed: int = 1,
            prism_run: Optional[str] = None) -> List[Check]:
    """Runs the specification on the CPU backend with random inputs (drawn
    from `seed`) and returns prism-run's check of every output against the
    float64 oracle. Failing checks are returned, not raised; a specification
    that does not compile raises CompileError."""
    tool = find_tool("prism-run", prism_run, "PRISM_RUN")
    stem, text = _source(spec_or_mlir)
    with tempfile.TemporaryDirectory(prefix="prism-run-") as work:
        path = os.path.join(work, stem + ".mlir")
        with open(path, "w") as f:
            f.write(text)
        command = [tool, path, "--seed", str(seed)]
        if bindings:
            command += ["--bind", ",".join(f"{k}={v}" for k, v in bindings.items())]
        proc = subprocess.run(command, capture_output=True, text=True)
    checks = []
    for line in proc.stdout.splitlines():
        m = _CHECK.match(line)
        if m:
            bound = dict(item.split("=") for item in m["bindings"].split(",") if item)
            checks.append(Check(m["status"] == "PASS", m["function"],
                                {k: int(v) for k, v in bound.items()}, m["buffer"],
                                float(m["rel_err"]), float(m["tol"]),
                                "non-finite" not in m["rest"]))
    if proc.returncode != 0 and not any(not c.passed for c in checks):
        raise CompileError(f"prism-run failed (exit {proc.returncode}): {' '.join(command)}",
                           command, proc.stderr + proc.stdout)
    return checks
