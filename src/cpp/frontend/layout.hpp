#pragma once

#include <memory>

#include "openvino/core/model.hpp"

namespace ovjax {

// Moves constant-permutation Transposes forward through layout-agnostic ops and merges
// them, so NHWC conv nets run NCHW between convolutions (see layout.cpp).
void apply_transpose_sinking(const std::shared_ptr<ov::Model>& model);

}  // namespace ovjax
