#pragma once
#include <memory>

#include "openvino/core/model.hpp"

namespace ovjax {
// CPU-plugin scheduling workarounds (cpu_workarounds.cpp): rewrites that change how the
// plugin schedules the graph, not what it computes.
void apply_cpu_workarounds(const std::shared_ptr<ov::Model>& model);

// A correctness workaround, applied to every converted model whatever the options: the
// CPU plugin (2026.4) prepares a constant MatMul operand once per node, so two MatMuls that
// take one constant value in two layouts (one with transpose_b, one without: W and W^T,
// as a gradient does) both get the first one's layout and the second computes wrong
// numbers (tests/upstream/cpu_shared_weight_two_layouts.py). Each further layout gets its
// own Constant, a copy of the data (so that weight is held once more: only where one
// constant feeds MatMuls in two layouts).
void separate_shared_matmul_weights(const std::shared_ptr<ov::Model>& model);
}  // namespace ovjax
