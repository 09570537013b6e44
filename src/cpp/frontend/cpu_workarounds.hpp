#pragma once
#include <memory>

#include "openvino/core/model.hpp"

namespace ovjax {
// CPU-plugin scheduling workarounds (cpu_workarounds.cpp): rewrites that change how the
// plugin schedules the graph, not what it computes.
void apply_cpu_workarounds(const std::shared_ptr<ov::Model>& model);
}  // namespace ovjax
