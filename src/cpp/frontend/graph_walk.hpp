#pragma once

#include <initializer_list>
#include <memory>
#include <vector>

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

// A rewrite rule: `fn` returns whether it rewrote the node; `applies`, a test of the node's
// type alone, keeps the walk from looking at the consumers of nodes `fn` cannot match
// (nullptr: every node).
struct Rule {
    bool (*fn)(const std::shared_ptr<ov::Node>&);
    bool (*applies)(const ov::Node&) = nullptr;
};

template <typename... Ops>
bool is_any_of(const ov::Node& n) {
    return (ov::is_type<Ops>(&n) || ...);
}

// Runs each rule in turn over the nodes of `model` in topological order (the bodies of its
// Loop / If / TensorIterator first): a rule sees each single-output node of its types that
// is still used (not replaced by an earlier rewrite), and returns whether it rewrote it.
// The order is taken again only after a rewrite.
inline void run_rules(const std::shared_ptr<ov::Model>& model, std::initializer_list<Rule> rules) {
    for_each_body(model, [&](const std::shared_ptr<ov::Model>& body) { run_rules(body, rules); });
    std::vector<std::shared_ptr<ov::Node>> ops;
    bool rewritten = true;
    for (const auto& rule : rules) {
        if (rewritten)
            ops = model->get_ordered_ops();
        rewritten = false;
        for (const auto& op : ops)
            if ((!rule.applies || rule.applies(*op)) && op->get_output_size() == 1 &&
                !op->get_output_target_inputs(0).empty())
                rewritten = rule.fn(op) || rewritten;
    }
}

}  // namespace ovjax
