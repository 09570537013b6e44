#pragma once
#include <memory>

#include "openvino/core/model.hpp"

namespace ovjax {
// Rewrites softmax, layer-norm and gelu subgraphs into Softmax, MVN and Gelu (see fusions.cpp).
void apply_fusions(const std::shared_ptr<ov::Model>& model);
}  // namespace ovjax
