#pragma once
#include <memory>

#include "openvino/core/model.hpp"

namespace ovjax {
// Rewrites softmax, gelu, layer-norm and attention subgraphs into Softmax, Gelu, MVN and
// ScaledDotProductAttention (see fusions.cpp).
void apply_fusions(const std::shared_ptr<ov::Model>& model);
}  // namespace ovjax
