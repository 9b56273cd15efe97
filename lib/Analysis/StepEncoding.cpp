//===- StepEncoding.cpp - Step bodies as instructions ---------------------===//

#include "prism/Analysis/StepEncoding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

runtime::StepBody prism::encodeStepBody(StepOp step) {
  runtime::StepBody body;
  llvm::DenseMap<Value, int64_t> number;
  Block &block = step.getBodyBlock();
  for (BlockArgument arg : block.getArguments())
    number[arg] = arg.getArgNumber();
  int64_t next = block.getNumArguments();
  for (Operation &op : block.without_terminator()) {
    runtime::StepInstr instr;
    // The verifier admits only ops of the vocabulary.
    instr.op = stepOpName(&op).str();
    for (Value operand : op.getOperands())
      instr.args.push_back(number.lookup(operand));
    if (auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType()))
      instr.shape.assign(type.getShape().begin(), type.getShape().end());
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (auto f = dyn_cast<FloatAttr>(constant.getValue()))
        instr.values = {f.getValueAsDouble()};
      else if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
        for (APFloat v :
             dense.isSplat()
                 ? SmallVector<APFloat>{dense.getSplatValue<APFloat>()}
                 : llvm::to_vector(dense.getValues<APFloat>()))
          instr.values.push_back(v.convertToDouble());
    }
    number[op.getResult(0)] = next++;
    body.ops.push_back(std::move(instr));
  }
  auto yield = cast<YieldOp>(block.getTerminator());
  body.state = number.lookup(yield.getState());
  body.output = number.lookup(yield.getOutput());
  return body;
}

SmallVector<StepInstrAttr>
prism::stepInstrAttrs(MLIRContext *context, const runtime::StepBody &body) {
  SmallVector<StepInstrAttr> attrs;
  for (const runtime::StepInstr &instr : body.ops) {
    SmallVector<APFloat> values;
    for (double v : instr.values)
      values.push_back(APFloat(v));
    attrs.push_back(
        StepInstrAttr::get(context, instr.op, instr.args, instr.shape, values));
  }
  return attrs;
}
