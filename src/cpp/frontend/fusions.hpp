#pragma once
#include <memory>

#include "openvino/core/model.hpp"

namespace ovjax {
// Rewrites softmax, gelu, layer-norm and attention subgraphs into Softmax, Gelu, MVN and
// ScaledDotProductAttention (see fusions.cpp).
void apply_fusions(const std::shared_ptr<ov::Model>& model);
// Nodes computed from Constants only, with results of at most 2^16 elements, replaced by
// their values (IsNaN/IsInf/IsFinite folded too, which OpenVINO cannot); weights' own
// decompression Converts are left as they are. What OpenVINO's MOC cleanup would fold:
// fewer nodes in a saved IR and to compile (benchmarks/saved_ir.py).
void fold_small_constants(const std::shared_ptr<ov::Model>& model);
}  // namespace ovjax
