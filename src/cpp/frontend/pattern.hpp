// Small matcher helpers shared by the rewrite passes run after translation
// (fusions.cpp, cpu_workarounds.cpp).
#pragma once

#include <memory>

#include <cstddef>
#include <limits>

#include "openvino/core/node.hpp"
#include "openvino/core/partial_shape.hpp"
#include "openvino/op/constant.hpp"

namespace ovjax {

namespace pattern {
template <class T>
std::shared_ptr<T> as(const ov::Output<ov::Node>& o) {
    return ov::as_type_ptr<T>(o.get_node_shared_ptr());
}
}  // namespace pattern

// Whether two dimensions are provably equal: the same static size, or dynamic with the same
// ov::Symbol (symbolic dimensions of ovjax models carry their input's symbol).
bool same_dim(const ov::Dimension& a, const ov::Dimension& b);
// same_dim for every axis of two shapes of the same static rank.
bool same_shape(const ov::PartialShape& a, const ov::PartialShape& b);
inline bool same_shape(const ov::Output<ov::Node>& a, const ov::Output<ov::Node>& b) {
    return same_shape(a.get_partial_shape(), b.get_partial_shape());
}
// The (static) rank of an output, -1 when dynamic.
inline int64_t rank_of(const ov::Output<ov::Node>& o) {
    const auto r = o.get_partial_shape().rank();
    return r.is_static() ? r.get_length() : -1;
}

// `o` folded into a Constant when it is computed from Constants only (at most `max_depth`
// nodes deep, no intermediate value or result over `max_elements` elements when given);
// nullptr otherwise. A Constant itself is returned as it is.
std::shared_ptr<ov::op::v0::Constant> fold_constant(const ov::Output<ov::Node>& o, int max_depth,
                                                    size_t max_elements = std::numeric_limits<size_t>::max());

// Whether `o` is a numpy-style (or bidirectional) Broadcast: its input's dims align with the
// result's trailing ones.
bool numpy_broadcast(const ov::Output<ov::Node>& o);

// The single consumer of a node's output, if it has exactly one.
std::shared_ptr<ov::Node> only_consumer(const ov::Output<ov::Node>& o);
// The Select of the NaN-guarded gelu(x) the gelu fusion builds (fusions.cpp), when it and
// its Gelu and Equal are all of x's consumers.
std::shared_ptr<ov::Node> gelu_guard_of(const ov::Output<ov::Node>& x);

}  // namespace ovjax
