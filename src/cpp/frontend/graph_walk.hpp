#pragma once

#include <memory>

#include "openvino/core/model.hpp"
#include "openvino/op/util/multi_subgraph_base.hpp"

namespace ovjax {

// Calls `fn` on the body of every Loop / If / TensorIterator directly in `model` (a pass
// that should see nested bodies calls this from itself).
template <typename F>
void for_each_body(const std::shared_ptr<ov::Model>& model, F&& fn) {
    for (const auto& op : model->get_ordered_ops())
        if (auto sg = ov::as_type_ptr<ov::op::util::MultiSubGraphOp>(op))
            for (size_t i = 0; i < sg->get_internal_subgraphs_size(); ++i)
                fn(sg->get_function(static_cast<int>(i)));
}

}  // namespace ovjax
