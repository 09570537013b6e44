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

// A correctness workaround, applied whatever the options: the CPU plugin (2026.4) fails to
// compile a Loop that takes a Constant as an invariant input while its body reads the
// current iteration ("vector::_M_range_check", tests/upstream/cpu_loop_constant_invariant.py).
// Translators keep constants inside bodies already (control_flow.cpp loop_invariant); a
// constant folded after translation (fold_small_constants: the gradient of a scan reads a
// broadcast of ones) moves into the body here, sharing its data, and the Loop is rebuilt
// without that input; then into the bodies of Loops nested in that body, where it may be
// an invariant input again.
void constant_loop_inputs_inside(const std::shared_ptr<ov::Model>& model);
}  // namespace ovjax
