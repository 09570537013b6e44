// Small matcher helpers shared by the rewrite passes run after translation
// (fusions.cpp, cpu_workarounds.cpp).
#pragma once

#include <memory>

#include "openvino/core/node.hpp"

namespace ovjax {

namespace pattern {
template <class T>
std::shared_ptr<T> as(const ov::Output<ov::Node>& o) {
    return ov::as_type_ptr<T>(o.get_node_shared_ptr());
}
}  // namespace pattern

// The single consumer of a node's output, if it has exactly one.
std::shared_ptr<ov::Node> only_consumer(const ov::Output<ov::Node>& o);
// The Select of the NaN-guarded gelu(x) the gelu fusion builds (fusions.cpp), when it and
// its Gelu and Equal are all of x's consumers.
std::shared_ptr<ov::Node> gelu_guard_of(const ov::Output<ov::Node>& x);

}  // namespace ovjax
