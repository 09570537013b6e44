#include "frontend/provenance.hpp"

#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "openvino/op/util/multi_subgraph_base.hpp"
#include "openvino/core/attribute_visitor.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/result.hpp"

namespace ovjax {

namespace {
constexpr size_t kMaxMerged = 8;
}

ov::Any SourceAttribute::merge(const ov::NodeVector& nodes) const {
    std::vector<std::string> seen;
    for (const auto& n : nodes) {
        if (!n)
            continue;
        auto it = n->get_rt_info().find(kSourceKey);
        if (it == n->get_rt_info().end() || !it->second.is<SourceAttribute>())
            continue;
        const std::string& v = it->second.as<SourceAttribute>().value;
        // one source may already be a merged list: split it so each appears once
        size_t start = 0;
        while (start < v.size() && seen.size() < kMaxMerged) {
            size_t end = v.find("; ", start);
            if (end == std::string::npos)
                end = v.size();
            std::string one = v.substr(start, end - start);
            bool dup = false;
            for (const auto& s : seen)
                dup = dup || s == one;
            if (!dup && !one.empty())
                seen.push_back(std::move(one));
            start = end + 2;
        }
    }
    std::string joined;
    for (const auto& s : seen)
        joined += (joined.empty() ? "" : "; ") + s;
    return SourceAttribute(joined);
}

bool SourceAttribute::visit_attributes(ov::AttributeVisitor& visitor) {
    if (value.empty())
        return false;  // nothing to write in the IR
    visitor.on_attribute("value", value);
    return true;
}

void take_provenance(ov::Node& node, const ov::Node& from) {
    node.set_friendly_name(from.get_friendly_name());
    auto it = from.get_rt_info().find(kSourceKey);
    if (it != from.get_rt_info().end())
        node.get_rt_info()[kSourceKey] = it->second;
}

namespace {
// <from's name>/<suffix> with from's source, when from has provenance (none without the
// option, or for a Parameter). Whether it named `node`.
bool name_below(ov::Node& node, const ov::Node& from, std::string_view suffix) {
    auto it = from.get_rt_info().find(kSourceKey);
    if (it == from.get_rt_info().end())
        return false;
    const std::string& base = from.get_friendly_name();
    std::string name;
    name.reserve(base.size() + 1 + suffix.size());
    name.append(base).append(1, '/').append(suffix);
    node.set_friendly_name(name);
    node.get_rt_info()[kSourceKey] = it->second;
    return true;
}
}  // namespace

void name_after(ov::Node& node, const ov::Node& from) { name_below(node, from, node.get_type_name()); }

namespace {

bool is_io(const ov::Node* n) { return ov::is_type<ov::op::v0::Parameter>(n) || ov::is_type<ov::op::v0::Result>(n); }

// name_after, with names kept unique within one walk: base/Type, then base/Type_1, ...
class Namer {
public:
    void name(ov::Node& n, const ov::Node& from) {
        if (!name_below(n, from, n.get_type_name()))
            return;
        const uint32_t k = m_counts[n.get_friendly_name()]++;
        if (k != 0)
            n.set_friendly_name(n.get_friendly_name() + "_" + std::to_string(k));
    }

private:
    std::unordered_map<std::string, uint32_t> m_counts;
};

// A node with a source has been named: by the session, by a pass (passes name what they
// build with take_provenance/name_after/name_built, not ov::copy_runtime_info, which also
// hands the source to the Constants feeding a node and leaves them unnamed), or here.
void complete(const std::shared_ptr<ov::Model>& model, Namer& namer) {
    const auto ops = model->get_ordered_ops();
    for (const auto& op : ops)
        if (auto sg = ov::as_type<ov::op::util::MultiSubGraphOp>(op.get()))
            for (size_t i = 0; i < sg->get_internal_subgraphs_size(); ++i)
                complete(sg->get_function(static_cast<int>(i)), namer);
    // from the producer: a Transpose after a convolution is the convolution's
    for (const auto& n : ops) {
        if (is_io(n.get()) || has_provenance(*n))
            continue;
        for (size_t i = 0; i < n->get_input_size(); ++i) {
            const ov::Node* src = n->get_input_node_ptr(i);
            if (has_provenance(*src)) {
                namer.name(*n, *src);
                break;
            }
        }
    }
    // from the consumer: constants, and what computes only from them
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
        const auto& n = *it;
        if (ov::is_type<ov::op::v0::Result>(n.get()) || !has_provenance(*n))
            continue;
        for (size_t i = 0; i < n->get_input_size(); ++i) {
            ov::Node* src = n->get_input_node_ptr(i);
            if (!is_io(src) && !has_provenance(*src))
                namer.name(*src, *n);
        }
    }
}
}  // namespace

void adopt_provenance(const ov::Output<ov::Node>& new_out, const ov::Node& old) {
    if (!has_provenance(old))
        return;
    Namer namer;
    std::unordered_set<const ov::Node*> seen;
    std::vector<ov::Node*> stack{new_out.get_node()};
    while (!stack.empty()) {
        ov::Node* n = stack.back();
        stack.pop_back();
        if (!seen.insert(n).second || is_io(n))
            continue;
        if (n != new_out.get_node()) {
            if (has_provenance(*n))
                continue;  // where the fused nodes' operands begin
            namer.name(*n, old);
        }
        for (size_t i = n->get_input_size(); i-- > 0;)
            stack.push_back(n->get_input_node_ptr(i));
    }
}

void name_built(const ov::Output<ov::Node>& out, const ov::Node& owner, std::string_view role) {
    if (name_below(*out.get_node(), owner, role))
        adopt_provenance(out, *out.get_node());  // what was built for it
}

void complete_provenance(const std::shared_ptr<ov::Model>& model) {
    Namer namer;
    complete(model, namer);
}

}  // namespace ovjax
