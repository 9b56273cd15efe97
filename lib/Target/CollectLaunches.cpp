//===- CollectLaunches.cpp - Host launch code to kernel manifests ---------===//
//
// prism's runtime launches kernels from a manifest, so the host side of the
// GPU program is data: for each gpu.launch_func, the kernel's name, how each
// kernel operand maps to a buffer or an index expression, and the grid and
// block sizes as expressions over the dynamic dimensions.
//
//===----------------------------------------------------------------------===//

#include "prism/Passes.h"
#include "prism/Target/GPUTarget.h"
#include "prism/Target/Manifest.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace prism {
#define GEN_PASS_DEF_COLLECTLAUNCHES
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
namespace json = llvm::json;

namespace {

/// An expression that is a plain integer is written as a JSON integer.
json::Value exprValue(const std::string &text) {
  int64_t value;
  if (!llvm::StringRef(text).getAsInteger(10, value))
    return value;
  return text;
}

/// Renders host index computations as manifest expressions.
class ExprTracer {
public:
  ExprTracer(func::FuncOp func, const json::Array &buffers)
      : func(func), buffers(buffers) {}

  FailureOr<std::string> trace(Value value) {
    if (auto arg = dyn_cast<BlockArgument>(value))
      return fail(value, "a function argument used as an index");
    Operation *op = value.getDefiningOp();
    if (auto cst = dyn_cast<arith::ConstantOp>(op))
      if (auto attr = dyn_cast<IntegerAttr>(cst.getValue()))
        return std::to_string(attr.getInt());
    if (auto dim = dyn_cast<memref::DimOp>(op))
      return traceDim(dim);
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
            arith::ExtUIOp, arith::TruncIOp>(op))
      return trace(op->getOperand(0));
    auto binary = [&](StringRef fmt) -> FailureOr<std::string> {
      FailureOr<std::string> lhs = trace(op->getOperand(0));
      FailureOr<std::string> rhs = trace(op->getOperand(1));
      if (failed(lhs) || failed(rhs))
        return failure();
      if (fmt == "ceildiv" || fmt == "min" || fmt == "max")
        return (fmt + "(" + *lhs + ", " + *rhs + ")").str();
      return "(" + *lhs + " " + fmt.str() + " " + *rhs + ")";
    };
    if (isa<arith::AddIOp>(op))
      return binary("+");
    if (isa<arith::SubIOp>(op))
      return binary("-");
    if (isa<arith::MulIOp>(op))
      return binary("*");
    if (isa<arith::DivUIOp, arith::DivSIOp, arith::FloorDivSIOp>(op))
      return binary("/");
    if (isa<arith::CeilDivSIOp, arith::CeilDivUIOp>(op))
      return binary("ceildiv");
    if (isa<arith::MinSIOp, arith::MinUIOp>(op))
      return binary("min");
    if (isa<arith::MaxSIOp, arith::MaxUIOp>(op))
      return binary("max");
    if (auto apply = dyn_cast<affine::AffineApplyOp>(op)) {
      SmallVector<std::string> operands;
      for (Value operand : apply.getMapOperands()) {
        FailureOr<std::string> text = trace(operand);
        if (failed(text))
          return failure();
        operands.push_back(*text);
      }
      AffineMap map = apply.getAffineMap();
      return traceAffine(map.getResult(0), operands, map.getNumDims(), apply);
    }
    return fail(value, "an unsupported host computation");
  }

private:
  FailureOr<std::string> fail(Value value, StringRef what) {
    emitError(value.getLoc()) << "launch size depends on " << what
                              << "; it cannot be written to the manifest";
    return failure();
  }

  FailureOr<std::string> traceDim(memref::DimOp dim) {
    auto arg = dyn_cast<BlockArgument>(dim.getSource());
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!arg || arg.getOwner()->getParentOp() != func || !index)
      return fail(dim, "the size of a value that is not a buffer");
    const json::Object *buffer = buffers[arg.getArgNumber()].getAsObject();
    const json::Value &size = (*buffer->getArray("shape"))[*index];
    if (auto text = size.getAsString())
      return text->str();
    return std::to_string(*size.getAsInteger());
  }

  FailureOr<std::string> traceAffine(AffineExpr expr,
                                     ArrayRef<std::string> operands,
                                     unsigned numDims, Operation *op) {
    if (auto cst = dyn_cast<AffineConstantExpr>(expr))
      return std::to_string(cst.getValue());
    if (auto d = dyn_cast<AffineDimExpr>(expr))
      return operands[d.getPosition()];
    if (auto s = dyn_cast<AffineSymbolExpr>(expr))
      return operands[numDims + s.getPosition()];
    auto bin = cast<AffineBinaryOpExpr>(expr);
    FailureOr<std::string> lhs =
        traceAffine(bin.getLHS(), operands, numDims, op);
    FailureOr<std::string> rhs =
        traceAffine(bin.getRHS(), operands, numDims, op);
    if (failed(lhs) || failed(rhs))
      return failure();
    switch (bin.getKind()) {
    case AffineExprKind::Add:
      return "(" + *lhs + " + " + *rhs + ")";
    case AffineExprKind::Mul:
      return "(" + *lhs + " * " + *rhs + ")";
    case AffineExprKind::FloorDiv:
      return "(" + *lhs + " / " + *rhs + ")";
    case AffineExprKind::CeilDiv:
      return "ceildiv(" + *lhs + ", " + *rhs + ")";
    default: {
      std::string text;
      llvm::raw_string_ostream os(text);
      expr.print(os);
      op->emitOpError() << "uses an affine expression the manifest cannot "
                           "express: "
                        << text;
      return failure();
    }
    }
  }

  func::FuncOp func;
  const json::Array &buffers;
};

/// Dynamic shared memory as an external workgroup array of the module (PTX
/// `.extern .shared .b8 name[]`), which every kernel of the module shares.
/// gpu.dynamic_shared_memory lowers to a one-byte static array instead,
/// whose bytes the dynamic allocation is then only assumed to follow.
void useExternalSharedMemory(gpu::GPUModuleOp module, gpu::GPUFuncOp kernel) {
  constexpr llvm::StringLiteral name = "__prism_dynamic_shared";
  SmallVector<gpu::DynamicSharedMemoryOp> uses;
  kernel.walk([&](gpu::DynamicSharedMemoryOp op) { uses.push_back(op); });
  if (uses.empty())
    return;
  auto type = cast<MemRefType>(uses.front().getType());
  auto globalType = MemRefType::get({0}, type.getElementType(), AffineMap(),
                                    type.getMemorySpace());
  if (!module.lookupSymbol(name)) {
    OpBuilder b(module.getContext());
    b.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(b, module.getLoc(), name,
                             b.getStringAttr("public"), globalType, Attribute(),
                             /*constant=*/false, b.getI64IntegerAttr(16));
  }
  for (gpu::DynamicSharedMemoryOp op : uses) {
    OpBuilder b(op);
    Value global =
        memref::GetGlobalOp::create(b, op.getLoc(), globalType, name);
    op.getResult().replaceAllUsesWith(global);
    op.erase();
  }
}

struct CollectLaunchesPass
    : prism::impl::CollectLaunchesBase<CollectLaunchesPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    const prism::GPUTarget *target =
        prism::lookupGPUTarget(chip, module, "prism-collect-launches");
    if (!target)
      return signalPassFailure();
    SmallVector<NamedAttribute> manifests;
    SmallVector<func::FuncOp> hosts;
    for (auto func : module.getOps<func::FuncOp>())
      if (prism::isLoweredProgram(func))
        hosts.push_back(func);

    for (func::FuncOp func : hosts) {
      FailureOr<json::Object> manifest = prism::buildManifest(func, "cuda");
      if (failed(manifest))
        return signalPassFailure();
      const json::Array &buffers = *manifest->getArray("buffers");
      ExprTracer tracer(func, buffers);
      // The schedule as printed, without the attribute's name: the kind and
      // every parameter the lowering used.
      std::string schedule = "sequential";
      if (auto attr = func->getAttrOfType<prism::recurrence::ScheduleAttr>(
              "prism.schedule")) {
        std::string text;
        llvm::raw_string_ostream os(text);
        Attribute(attr).print(os);
        StringRef inner(text);
        if (inner.consume_front("#recurrence.schedule<"))
          inner.consume_back(">");
        schedule = inner.str();
      }
      // All kernels of one program go into one gpu.module, hence one PTX.
      OpBuilder b(module.getContext());
      b.setInsertionPointToEnd(module.getBody());
      std::string moduleName = func.getSymName().str() + "_kernels";
      auto kernels = gpu::GPUModuleOp::create(b, func.getLoc(), moduleName);
      json::Array kernelArray;
      int kernelIndex = 0;
      // Kernels already moved, by the symbol their launches use: several
      // launches of one kernel (the tree schedule's rounds) name it once.
      llvm::DenseMap<SymbolRefAttr, std::string> moved;
      WalkResult walk = func.walk([&](gpu::LaunchFuncOp launch) {
        // Outlining names kernels per gpu.module; in the shared module they
        // need names of their own.
        auto found = moved.find(launch.getKernel());
        bool first = found == moved.end();
        std::string name = first ? func.getSymName().str() + "_kernel" +
                                       std::to_string(kernelIndex++)
                                 : found->second;
        json::Object kernel;
        kernel["name"] = name;
        kernel["schedule"] = schedule;
        json::Array params;
        for (Value operand : launch.getKernelOperands()) {
          if (isa<MemRefType>(operand.getType())) {
            auto arg = dyn_cast<BlockArgument>(operand);
            if (!arg || arg.getOwner()->getParentOp() != func) {
              launch.emitOpError() << "passes a memref that is not one of the "
                                      "program's buffers";
              return WalkResult::interrupt();
            }
            params.push_back(json::Object{{"kind", "buffer"},
                                          {"buffer", arg.getArgNumber()},
                                          {"abi", "memref"}});
            continue;
          }
          if (!operand.getType().isIntOrIndex()) {
            launch.emitOpError()
                << "passes an operand of type " << operand.getType()
                << " that the manifest cannot describe";
            return WalkResult::interrupt();
          }
          FailureOr<std::string> value = tracer.trace(operand);
          if (failed(value))
            return WalkResult::interrupt();
          params.push_back(
              json::Object{{"kind", "index"}, {"value", exprValue(*value)}});
        }
        kernel["params"] = std::move(params);
        gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
        gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
        json::Array gridArray, blockArray;
        for (Value v : {grid.x, grid.y, grid.z}) {
          FailureOr<std::string> e = tracer.trace(v);
          if (failed(e))
            return WalkResult::interrupt();
          gridArray.push_back(exprValue(*e));
        }
        for (Value v : {block.x, block.y, block.z}) {
          FailureOr<std::string> e = tracer.trace(v);
          if (failed(e))
            return WalkResult::interrupt();
          blockArray.push_back(exprValue(*e));
        }
        kernel["grid"] = std::move(gridArray);
        kernel["block"] = std::move(blockArray);
        std::string shared = "0";
        if (Value dyn = launch.getDynamicSharedMemorySize()) {
          FailureOr<std::string> e = tracer.trace(dyn);
          if (failed(e))
            return WalkResult::interrupt();
          shared = *e;
        }
        kernel["shared_memory_bytes"] = exprValue(shared);
        kernelArray.push_back(std::move(kernel));
        if (!first)
          return WalkResult::advance();
        moved[launch.getKernel()] = name;

        // Move the outlined kernel into the program's module.
        auto source = SymbolTable::lookupNearestSymbolFrom<gpu::GPUModuleOp>(
            module, launch.getKernelModuleName());
        if (!source) {
          launch.emitOpError() << "refers to a missing gpu.module";
          return WalkResult::interrupt();
        }
        auto kernelFunc =
            source.lookupSymbol<gpu::GPUFuncOp>(launch.getKernelName());
        if (!kernelFunc) {
          launch.emitOpError() << "refers to a missing kernel";
          return WalkResult::interrupt();
        }
        kernelFunc.setName(name);
        // Launch bounds: ptxas then budgets registers for the real block.
        SmallVector<int32_t> bounds;
        for (Value v : {block.x, block.y, block.z})
          if (auto c = v.getDefiningOp<arith::ConstantIndexOp>())
            bounds.push_back(static_cast<int32_t>(c.value()));
        if (bounds.size() == 3) {
          kernelFunc->setAttr("nvvm.maxntid", b.getDenseI32ArrayAttr(bounds));
          // Blocks per SM that shared memory allows, as long as each thread
          // keeps at least `min-registers` registers: ptxas then budgets
          // registers so that registers do not become the tighter limit.
          int64_t threads = int64_t(bounds[0]) * bounds[1] * bounds[2];
          IntegerAttr bytes;
          if (Value dyn = launch.getDynamicSharedMemorySize())
            matchPattern(dyn, m_Constant(&bytes));
          if (bytes && bytes.getInt() > 0) {
            int64_t bySharedMemory =
                target->blocksPerSmByShared(bytes.getInt());
            int64_t byRegisters =
                target->registersPerSm /
                (threads * std::max<int64_t>(minRegisters, 1));
            int64_t blocks = std::min(bySharedMemory, byRegisters);
            if (blocks >= 2)
              kernelFunc->setAttr(
                  "nvvm.minctasm",
                  b.getI32IntegerAttr(static_cast<int32_t>(blocks)));
          }
        }
        kernelFunc->moveBefore(kernels.getBody(), kernels.getBody()->end());
        useExternalSharedMemory(kernels, kernelFunc);
        if (source.getOps<gpu::GPUFuncOp>().empty())
          source.erase();
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
      // Erasing the host function must not drop work: everything left besides
      // launches must be side-effect free size computations.
      WalkResult leftover = func.walk([&](Operation *op) {
        if (isa<gpu::LaunchFuncOp, func::ReturnOp, func::FuncOp>(op) ||
            isPure(op))
          return WalkResult::advance();
        op->emitOpError() << "remains on the host after GPU mapping; only "
                             "kernel launches can be described in a manifest";
        return WalkResult::interrupt();
      });
      if (leftover.wasInterrupted())
        return signalPassFailure();

      (*manifest)["module"] = func.getSymName().str() + ".ptx";
      (*manifest)["kernels"] = std::move(kernelArray);
      manifests.push_back(b.getNamedAttr(
          func.getSymName(),
          b.getStringAttr(prism::printManifest(std::move(*manifest)))));
      func.erase();
    }
    module->setAttr("prism.manifests",
                    DictionaryAttr::get(module.getContext(), manifests));
  }
};
} // namespace
