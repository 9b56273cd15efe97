//===- prism-run.cpp - Compile a specification for the CPU and run it -----===//
//
// The CPU backend's driver: parses a recurrence specification, lowers it with
// prism-cpu-pipeline, JIT-compiles the host code, runs every program (or the
// one named by --function) on inputs drawn from a seed or read from .npy
// files, and checks every output against the float64 oracle within
// prism-math.md section 7.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "prism/Analysis/StepEncoding.h"
#include "prism/Reference/StepOracle.h"

#include "prism/InitAll.h"
#include "prism/Pipelines/Pipelines.h"
#include "prism/Reference/Harness.h"
#include "prism/Runtime/Manifest.h"
#include "prism/Support/InputLimits.h"
#include "prism/Support/ToolOptions.h"
#include "prism/Target/CPU/HostJIT.h"
#include "prism/Target/GPUTarget.h"
#include "prism/Target/Manifest.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdio>
#include <map>

using namespace mlir;
namespace runtime = prism::runtime;
namespace ref = prism::ref;
namespace cl = llvm::cl;

static cl::OptionCategory runCategory("prism-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<spec.mlir>"),
                                      cl::Required, cl::cat(runCategory));
static cl::opt<std::string> functionName("function",
                                         cl::desc("Run only this program"),
                                         cl::init(""), cl::cat(runCategory));
static cl::list<std::string>
    binds("bind", cl::desc("Dynamic dimension values, e.g. --bind B=2,T=77"),
          cl::CommaSeparated, cl::cat(runCategory));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random inputs"),
                              cl::init(1), cl::cat(runCategory));
static cl::list<std::string>
    inputs("input", cl::desc("Read a buffer from .npy: --input q=q.npy"),
           cl::cat(runCategory));
static cl::opt<std::string>
    saveDir("save", cl::desc("Write every output buffer as <dir>/<name>.npy"),
            cl::init(""), cl::cat(runCategory));
static cl::opt<std::string>
    emitLLVM("emit-llvm",
             cl::desc("Write the host code as LLVM IR to this file ('-' for "
                      "stdout) and exit without running"),
             cl::init(""), cl::cat(runCategory));
static cl::opt<std::string>
    emitObject("emit-object",
               cl::desc("Write the host code, compiled for --mcpu/--mattr, "
                        "as an object file and exit without running"),
               cl::init(""), cl::cat(runCategory));
static cl::opt<std::string>
    saveObject("save-object",
               cl::desc("Also write the object file the JIT compiled and ran"),
               cl::init(""), cl::cat(runCategory));
static cl::opt<std::string>
    targetCPU("mcpu",
              cl::desc("CPU to compile the host code for: 'host' (this "
                       "machine, the default) or an LLVM CPU name, e.g. "
                       "x86-64 for the baseline every x86-64 runs"),
              cl::init("host"), cl::cat(runCategory));
static cl::opt<std::string>
    targetFeatures("mattr",
                   cl::desc("CPU features to add or remove, e.g. "
                            "+avx2,-avx512bf16"),
                   cl::init(""), cl::cat(runCategory));
static cl::opt<double>
    maxGiB("max-gib",
           cl::desc("Refuse problems whose buffers need more host memory "
                    "than this many GiB (default 8)"),
           cl::init(8.0), cl::cat(runCategory));
static cl::opt<bool> dumpManifest("dump-manifest",
                                  cl::desc("Print each program's manifest (a "
                                           "JSON line) before compiling it"),
                                  cl::init(false), cl::cat(runCategory));
static cl::opt<bool> cleanupBetweenStages(
    "cleanup-between-stages",
    cl::desc("Run canonicalize and cse after every stage of the pipeline "
             "(a test that no stage depends on the exact form of its input)"),
    cl::init(false), cl::cat(runCategory));

namespace {

/// A memref descriptor for rank-N buffers, laid out as the LLVM lowering
/// expects: allocated, aligned, offset, sizes[N], strides[N].
struct Descriptor {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
};

/// The --bind values, parsed by the runtime's own parser; a name given twice
/// is refused.
bool parseBindOption(runtime::Bindings &bindings, std::string &error) {
  for (const std::string &entry : binds) {
    runtime::Bindings one;
    if (!runtime::parseBindings(entry, one, error)) {
      error = "--bind " + entry + ": " + error;
      return false;
    }
    for (auto &[name, value] : one) {
      auto [it, inserted] = bindings.emplace(name, value);
      if (!inserted) {
        error = "--bind gives " + name + " twice (" + name + "=" +
                std::to_string(it->second) + " and " + name + "=" +
                std::to_string(value) + ")";
        return false;
      }
    }
  }
  return true;
}

/// Defaults that exercise the edges: T not a multiple of 16 or 64.
int64_t defaultFor(const std::string &symbol) {
  if (symbol == "B")
    return 2;
  if (symbol == "T")
    return 77;
  if (symbol == "H")
    return 2;
  return 3;
}

/// "B, T" or "none: its shapes are all static".
std::string symbolList(const runtime::Manifest &manifest) {
  std::string list;
  for (const std::string &symbol : manifest.symbols)
    list += (list.empty() ? "" : ", ") + symbol;
  return list.empty() ? "none: its shapes are all static" : list;
}

/// Binds every symbol of `manifest`: from --bind, then from the shapes of
/// the --input files, then defaults (reported on stderr). Refuses a --bind
/// name the program does not have, an --input that names no input buffer,
/// and shapes that disagree with --bind or with each other.
bool bindSymbols(const runtime::Manifest &manifest, runtime::Bindings &bindings,
                 std::string &error) {
  if (!parseBindOption(bindings, error))
    return false;
  std::map<std::string, std::string> source; // symbol -> who bound it
  for (auto &[name, value] : bindings) {
    if (llvm::find(manifest.symbols, name) == manifest.symbols.end()) {
      error = "--bind " + name + "=" + std::to_string(value) + ": " +
              manifest.function + " has no dynamic dimension " + name +
              " (its dynamic dimensions: " + symbolList(manifest) + ")";
      return false;
    }
    source[name] = "--bind " + name + "=" + std::to_string(value);
  }
  for (const std::string &entry : inputs) {
    size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    int index = -1;
    for (size_t i = 0; i < manifest.buffers.size(); ++i)
      if (manifest.buffers[i].name == name)
        index = i;
    if (eq == std::string::npos || index < 0 ||
        manifest.buffers[index].role != runtime::Role::Input) {
      std::string names;
      for (const runtime::Buffer &buffer : manifest.buffers)
        if (buffer.role == runtime::Role::Input)
          names += (names.empty() ? "" : ", ") + buffer.name;
      error = "--input " + entry + ": no input buffer named '" + name +
              "' in " + manifest.function + " (its inputs: " + names +
              "; write --input NAME=FILE.npy)";
      return false;
    }
    std::string path = entry.substr(eq + 1);
    prism::NpyHeader header;
    if (!prism::readNpyHeader(path, header, error)) {
      error = "--input " + entry + ": " + error;
      return false;
    }
    const runtime::Buffer &buffer = manifest.buffers[index];
    if (header.shape.size() != buffer.shape.size()) {
      error = "--input " + entry + ": " + path + " has shape " +
              prism::npyShapeText(header.shape) + "; " + name + " is " +
              runtime::formatShape(buffer) + ", of rank " +
              std::to_string(buffer.shape.size());
      return false;
    }
    for (size_t d = 0; d < buffer.shape.size(); ++d) {
      const runtime::Dim &dim = buffer.shape[d];
      if (dim.isStatic() || dim.isExpr)
        continue; // checked with the data
      std::string here = path + " (" + dim.symbol + "=" +
                         std::to_string(header.shape[d]) + " from " + name +
                         "'s shape " + prism::npyShapeText(header.shape) + ")";
      auto [it, inserted] = bindings.emplace(dim.symbol, header.shape[d]);
      if (!inserted && it->second != header.shape[d]) {
        error = "--input " + entry + ": " + here + " disagrees with " +
                source[dim.symbol];
        return false;
      }
      if (inserted)
        source[dim.symbol] = here;
    }
  }
  std::string defaulted;
  for (const std::string &symbol : manifest.symbols)
    if (!bindings.count(symbol)) {
      bindings[symbol] = defaultFor(symbol);
      defaulted += (defaulted.empty() ? "" : ", ") + symbol + "=" +
                   std::to_string(bindings[symbol]);
    }
  if (!defaulted.empty())
    llvm::errs() << "note: " << manifest.function << ": " << defaulted
                 << " by default (not given by --bind or an --input file)\n";
  return true;
}

/// Checks the outputs of a program compiled from a recurrence.step (in
/// `original`, the module as parsed) that the classification rewrote into a
/// scan against the step body evaluated in float64: whatever the step was
/// rewritten into, it must compute the body. (A step that stayed one is
/// checked against its body by the harness, from the manifest.) Prints a
/// line per output; returns the failures.
int checkStepBody(ModuleOp original, const runtime::Manifest &manifest,
                  const ref::Case &c, const std::string &shape) {
  if (manifest.recurrence.step)
    return 0;
  auto func = original.lookupSymbol<func::FuncOp>(manifest.function);
  if (!func)
    return 0;
  prism::recurrence::StepOp step;
  func.walk([&](prism::recurrence::StepOp op) { step = op; });
  if (!step)
    return 0;
  // Buffers are the function's arguments, then its results, in order.
  auto bufferOf = [&](Value value) -> int {
    if (auto arg = dyn_cast<BlockArgument>(value))
      return arg.getArgNumber();
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    for (auto [i, operand] : llvm::enumerate(ret.getOperands()))
      if (operand == value)
        return func.getNumArguments() + i;
    return -1;
  };
  ref::StepProblem problem;
  problem.body = prism::encodeStepBody(step);
  problem.V = step.getStateShape()[0];
  problem.K = step.getStateShape()[1];
  problem.stateLayout =
      step.getStateLayout() == prism::recurrence::StateLayout::kv
          ? ref::StateLayout::KV
          : ref::StateLayout::VK;
  auto read = [&](int index) {
    const ref::HostBuffer &buffer = c.buffers[index];
    std::vector<double> values(buffer.numElements());
    for (int64_t i = 0; i < buffer.numElements(); ++i)
      values[i] = buffer.get(i);
    return values;
  };
  std::vector<int> inputs;
  for (Value input : step.getInputs()) {
    int index = bufferOf(input);
    if (index < 0 || !isa<BlockArgument>(input))
      return 0; // an input computed in the function: no buffer to read
    inputs.push_back(index);
    problem.inputShapes.push_back(c.buffers[index].shape);
    problem.inputs.push_back(read(index));
  }
  const std::vector<int64_t> &first = problem.inputShapes.front();
  problem.B = first[0];
  problem.T = first[1];
  problem.H = first[2];
  if (Value init = step.getInitialState())
    problem.initialState = read(bufferOf(init));
  ref::Result result;
  std::string error;
  if (!ref::evaluateStep(problem, result, error)) {
    llvm::errs() << "error: " << manifest.function << ": " << error << "\n";
    return 1;
  }
  std::vector<double> &output = result.output, &finalState = result.finalState;
  // The loosest tolerance of the inputs' types (bf16 sequences with f32
  // gates are held to bf16's).
  double tolerance = 0;
  for (int index : inputs)
    tolerance = std::max(tolerance, ref::toleranceFor(c.buffers[index].dtype));
  int failures = 0;
  for (auto [value, expected] :
       {std::pair{Value(step.getOutput()), &output},
        std::pair{Value(step.getFinalState()), &finalState}}) {
    int index = value ? bufferOf(value) : -1;
    if (index < 0)
      continue;
    const ref::HostBuffer &buffer = c.buffers[index];
    double diff = 0, norm = 0;
    bool finite = true;
    for (int64_t i = 0; i < buffer.numElements(); ++i) {
      double got = buffer.get(i), want = (*expected)[i];
      finite &= std::isfinite(got) && std::isfinite(want);
      diff += (got - want) * (got - want);
      norm += want * want;
    }
    double rel = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
    bool pass = finite && rel <= tolerance;
    std::printf("%s %s [%s] %s against the step body rel_err=%.3e tol=%.0e\n",
                pass ? "PASS" : "FAIL", manifest.function.c_str(),
                shape.c_str(), manifest.buffers[index].name.c_str(), rel,
                tolerance);
    failures += !pass;
  }
  return failures;
}

int runProgram(ExecutionEngine &engine, const std::string &manifestText,
               ModuleOp original) {
  runtime::Manifest manifest;
  std::string error;
  if (!runtime::parseManifest(manifestText, manifest, error)) {
    llvm::errs() << "error: internal manifest: " << error << "\n";
    return 1;
  }
  runtime::Bindings bindings;
  if (!bindSymbols(manifest, bindings, error)) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }

  // Sizes first: a huge static or bound dimension is an error, not an
  // allocation failure.
  double bytes = 0;
  for (size_t i = 0; i < manifest.buffers.size(); ++i) {
    double elems = 1;
    for (int64_t d : runtime::concreteShape(manifest, i, bindings))
      elems *= static_cast<double>(d);
    bytes += elems * runtime::dtypeSize(manifest.buffers[i].dtype);
  }
  if (bytes > maxGiB * (1ull << 30)) {
    llvm::errs() << "error: " << manifest.function << ": the buffers need "
                 << llvm::format("%.3g", bytes / (1ull << 30))
                 << " GiB of host memory, more than --max-gib=" << maxGiB
                 << "\n";
    return 1;
  }

  ref::Case c;
  if (!ref::makeCase(manifest, bindings, seed, c, error)) {
    llvm::errs() << "error: " << manifest.function << ": " << error << "\n";
    return 1;
  }
  for (const std::string &entry : inputs) {
    size_t eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    for (size_t i = 0; i < manifest.buffers.size(); ++i)
      if (manifest.buffers[i].name == name &&
          !prism::readNpy(entry.substr(eq + 1), c.buffers[i], error)) {
        llvm::errs() << "error: --input " << entry << ": " << error << "\n";
        return 1;
      }
  }

  std::vector<std::vector<double>> expected;
  if (!ref::evaluateOracle(manifest, c, expected, error)) {
    llvm::errs() << "error: oracle: " << error << "\n";
    return 1;
  }

  // Every buffer, workspaces included, is an argument of the host program.
  std::vector<Descriptor> descriptors(c.buffers.size());
  std::vector<void *> args;
  for (size_t i = 0; i < c.buffers.size(); ++i) {
    Descriptor &d = descriptors[i];
    ref::HostBuffer &buffer = c.buffers[i];
    if (buffer.bytes.empty())
      buffer.bytes.resize(16); // never hand out a null pointer
    d.allocated = d.aligned = buffer.bytes.data();
    d.sizes = buffer.shape;
    d.strides.assign(d.sizes.size(), 1);
    for (int r = static_cast<int>(d.sizes.size()) - 2; r >= 0; --r)
      d.strides[r] = d.strides[r + 1] * d.sizes[r + 1];
  }
  for (Descriptor &d : descriptors) {
    args.push_back(&d.allocated);
    args.push_back(&d.aligned);
    args.push_back(&d.offset);
    for (int64_t &s : d.sizes)
      args.push_back(&s);
    for (int64_t &s : d.strides)
      args.push_back(&s);
  }
  if (llvm::Error err = engine.invokePacked(manifest.function, args)) {
    llvm::errs() << "error: running " << manifest.function << ": "
                 << llvm::toString(std::move(err)) << "\n";
    return 1;
  }

  std::string shape;
  for (auto &[name, value] : c.bindings)
    shape += (shape.empty() ? "" : ",") + name + "=" + std::to_string(value);
  int failures = 0, nonEmpty = 0;
  for (const ref::Check &check : ref::compare(manifest, c, expected)) {
    if (check.empty())
      std::printf("EMPTY %s [%s] %s %s\n", manifest.function.c_str(),
                  shape.c_str(), check.buffer.c_str(),
                  ref::describe(check).c_str());
    else
      std::printf("%s %s [%s] %s rel_err=%.3e tol=%.0e %s\n",
                  ref::status(check), manifest.function.c_str(), shape.c_str(),
                  check.buffer.c_str(), check.relativeError, check.tolerance,
                  ref::describe(check).c_str());
    failures += !check.pass;
    nonEmpty += !check.empty();
  }
  failures += checkStepBody(original, manifest, c, shape);
  std::fflush(stdout); // the note after the lines it is about
  if (!nonEmpty)
    llvm::errs() << "note: " << manifest.function << " [" << shape
                 << "]: every output is empty; nothing was checked\n";
  if (!saveDir.empty()) {
    for (size_t i = 0; i < manifest.buffers.size(); ++i) {
      if (manifest.buffers[i].role != runtime::Role::Output)
        continue;
      std::string path = saveDir + "/" + manifest.buffers[i].name + ".npy";
      if (!prism::writeNpy(path, c.buffers[i], error)) {
        llvm::errs() << "error: " << error << "\n";
        return 1;
      }
    }
  }
  return failures ? 1 : 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  prism::registerAllPasses();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  prism::setVersionPrinter("prism-run");
  prism::quietOpDiagnosticsByDefault();
  // --help shows prism-run's own options and MLIR's IR printing ones, not
  // the hundreds of LLVM backend flags linked in (--help-hidden has them).
  static cl::OptionCategory mlirCategory("MLIR options (IR printing, "
                                         "pass timing)");
  for (auto &[name, option] : cl::getRegisteredOptions())
    if (name.starts_with("mlir-"))
      option->addCategory(mlirCategory);
  cl::HideUnrelatedOptions({&runCategory, &mlirCategory});
  cl::ParseCommandLineOptions(argc, argv,
                              "prism-run: compile a recurrence specification "
                              "for the CPU, run it and check it against the "
                              "float64 oracle\n");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  prism::cpu::HostTarget hostTarget{targetCPU, targetFeatures};
  if (llvm::Error err = prism::cpu::checkTarget(hostTarget)) {
    llvm::errs() << "error: --mcpu/--mattr: " << llvm::toString(std::move(err))
                 << "\n";
    return 1;
  }

  DialectRegistry registry;
  prism::cpu::registerHostDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  // The output folder exists before anything runs.
  if (!saveDir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(saveDir)) {
      llvm::errs() << "error: --save " << saveDir
                   << ": cannot create it: " << ec.message() << "\n";
      return 1;
    }

  llvm::SourceMgr sourceMgr;
  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  if (!prism::checkNestingDepth(*file))
    return 1;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  // The specification as written, for the check of step bodies.
  OwningOpRef<ModuleOp> original = module->clone();

  // Lower to loop nests and keep each program's manifest.
  PassManager schedulePm(&context);
  if (failed(applyPassManagerCLOptions(schedulePm)))
    return 1;
  prism::buildScheduleLoweringPipeline(
      schedulePm, "cpu", prism::defaultGPUTarget().chip, cleanupBetweenStages);
  if (failed(schedulePm.run(*module)))
    return 1;
  std::vector<std::string> manifests;
  for (auto func : module->getOps<func::FuncOp>()) {
    if (!prism::isLoweredProgram(func))
      continue;
    if (!functionName.empty() && func.getSymName() != functionName)
      continue;
    FailureOr<llvm::json::Object> manifest = prism::buildManifest(func, "cpu");
    if (failed(manifest))
      return 1;
    (*manifest)["kernels"] = llvm::json::Array();
    manifests.push_back(prism::printManifest(std::move(*manifest)));
  }
  if (manifests.empty()) {
    llvm::errs() << "error: " << inputFile << ": no recurrence program"
                 << (functionName.empty() ? "" : " named " + functionName)
                 << "\n";
    return 1;
  }

  if (dumpManifest) {
    for (const std::string &manifest : manifests)
      llvm::outs() << manifest << "\n";
    llvm::outs().flush();
  }

  PassManager codegenPm(&context);
  if (failed(applyPassManagerCLOptions(codegenPm)))
    return 1;
  prism::buildCPUCodegenPipeline(codegenPm, cleanupBetweenStages);
  if (failed(codegenPm.run(*module)))
    return 1;

  if (!emitLLVM.empty()) {
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(*module, llvmContext);
    if (!llvmModule) {
      llvm::errs() << "error: cannot translate the host code to LLVM IR\n";
      return 1;
    }
    auto out = openOutputFile(emitLLVM, &error);
    if (!out) {
      llvm::errs() << "error: " << error << "\n";
      return 1;
    }
    llvmModule->print(out->os(), nullptr);
    out->keep();
    return 0;
  }

  if (!emitObject.empty()) {
    if (llvm::Error err =
            prism::cpu::emitObject(*module, hostTarget, emitObject)) {
      llvm::errs() << "error: --emit-object: " << llvm::toString(std::move(err))
                   << "\n";
      return 1;
    }
    return 0;
  }
  auto engine =
      prism::cpu::createEngine(*module, hostTarget, !saveObject.empty());
  if (!engine) {
    llvm::errs() << "error: JIT: " << llvm::toString(engine.takeError())
                 << "\n";
    return 1;
  }

  int status = 0;
  for (const std::string &manifest : manifests)
    status |= runProgram(**engine, manifest, *original);
  if (!saveObject.empty())
    (*engine)->dumpToObjectFile(saveObject);
  return status;
}
