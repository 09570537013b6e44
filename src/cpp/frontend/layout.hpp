#pragma once
#include <memory>
#include <optional>
#include <vector>

#include "openvino/core/model.hpp"

namespace ovjax {

// Moves constant-permutation Transposes forward through layout-agnostic ops and merges
// them, so NHWC conv nets run NCHW between convolutions (see layout.cpp).
void apply_transpose_sinking(const std::shared_ptr<ov::Model>& model);
// Transpose(Transpose(x, p), q) -> Transpose(x, p[q]), or x for the identity; a Transpose
// with the identity permutation -> its input. Whether `n` was rewritten (a fusion rule too:
// attention fuses across the pair an einsum leaves around a dropped head mask).
bool merge_transposes(const std::shared_ptr<ov::Node>& n);
// The order of a Transpose with a constant order whose input has a static rank (its
// dimensions may be symbolic); nullopt for anything else.
std::optional<std::vector<int64_t>> perm_of(const ov::Output<ov::Node>& o);

}  // namespace ovjax
