// Transpose sinking, run by FrontEnd::normalize after the fusions.
//
// JAX convolutions and pools are usually NHWC; OpenVINO's Convolution / MaxPool / AvgPool
// are NCHW, so their translators wrap them in Transpose pairs. Between two convolutions sit
// the layout-agnostic ops (bias, batch norm, activations, NaN guards, residual adds), and
// a Transpose back to NHWC and another to NCHW around them cost more than the convolution
// (the CPU plugin runs each as a full copy plus a reorder). This pass moves every
// Transpose with a constant permutation forward through such ops and merges it with the
// next Transpose, so a conv net keeps NCHW from its first convolution to its head.
//
// An op is sunk through when it is elementwise (or a reduction / concat, whose axes are
// renumbered) and every input is either a Transpose with the same permutation or a
// Constant, which is re-laid out here once. Results are exact: only the order of memory
// changes. The option `fusions` (OVJAX_FUSIONS) turns this off along with the fusions.
#include "frontend/layout.hpp"
#include "frontend/pattern.hpp"
#include "frontend/provenance.hpp"

#include "frontend/graph_walk.hpp"
#include "ops/utils.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>

#include "openvino/core/model.hpp"
#include "openvino/core/rt_info.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/is_finite.hpp"
#include "openvino/op/is_inf.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/logical_not.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/transpose.hpp"
#include "openvino/op/util/arithmetic_reductions_keep_dims.hpp"
#include "openvino/op/util/binary_elementwise_arithmetic.hpp"
#include "openvino/op/util/binary_elementwise_bitwise.hpp"
#include "openvino/op/util/binary_elementwise_comparison.hpp"
#include "openvino/op/util/binary_elementwise_logical.hpp"
#include "openvino/op/util/logical_reduction_keep_dims.hpp"
#include "openvino/op/util/multi_subgraph_base.hpp"
#include "openvino/op/util/unary_elementwise_arithmetic.hpp"

namespace ovjax {
namespace {

using ov::Node;
using ov::Output;
using Perm = std::vector<int64_t>;
namespace v0 = ov::op::v0;
namespace v1 = ov::op::v1;

}  // namespace

// The permutation of a Transpose with a constant order (of an input of static rank; its
// dimensions may be symbolic).
std::optional<Perm> perm_of(const Output<Node>& o) {
    auto t = ov::as_type_ptr<v1::Transpose>(o.get_node_shared_ptr());
    if (!t)
        return std::nullopt;
    auto c = ov::as_type_ptr<v0::Constant>(t->input_value(1).get_node_shared_ptr());
    const auto rank = t->get_input_partial_shape(0).rank();
    if (!c || rank.is_dynamic())
        return std::nullopt;
    auto p = c->cast_vector<int64_t>();
    if (p.size() != static_cast<size_t>(rank.get_length()))
        return std::nullopt;
    return p;
}

namespace {

Perm inverse(const Perm& p) {
    Perm inv(p.size());
    for (size_t i = 0; i < p.size(); ++i)
        inv[static_cast<size_t>(p[i])] = static_cast<int64_t>(i);
    return inv;
}

bool is_identity(const Perm& p) {
    for (size_t i = 0; i < p.size(); ++i)
        if (p[i] != static_cast<int64_t>(i))
            return false;
    return true;
}

std::shared_ptr<Node> make_transpose(const Output<Node>& x, const Perm& p) {
    auto order = v0::Constant::create(ov::element::i64, ov::Shape{p.size()}, p);
    return std::make_shared<v1::Transpose>(x, order);
}

// A constant broadcast (numpy rules) against a rank-`rank` value transposed by `p`,
// re-laid out for the untransposed value: transpose(result, p) == constant (broadcast).
std::shared_ptr<v0::Constant> relayout(const std::shared_ptr<v0::Constant>& c, const Perm& p) {
    const size_t rank = p.size();
    ov::Shape s = c->get_shape();
    if (s.size() > rank || c->get_element_type().bitwidth() < 8)
        return nullptr;
    ov::Shape full(rank - s.size(), 1);
    full.insert(full.end(), s.begin(), s.end());
    // axis i of the untransposed value is axis inv[i] of the transposed one
    auto r = op::transpose_folded(op::reshape(c, full), inverse(p));
    return ov::as_type_ptr<v0::Constant>(r.get_node_shared_ptr());
}

// A small value computed from constants only (a batch norm's scale rsqrt(var + eps) * gamma,
// say), folded to a Constant; nullptr for anything else. Large values are left to the
// plugin's constant folding, so weights are not copied at conversion.
std::shared_ptr<v0::Constant> fold_small(const Output<Node>& o) { return fold_constant(o, 17, size_t{1} << 16); }

bool elementwise(const std::shared_ptr<Node>& n) {
    return ov::is_type<ov::op::util::UnaryElementwiseArithmetic>(n) ||
           ov::is_type<ov::op::util::BinaryElementwiseArithmetic>(n) ||
           ov::is_type<ov::op::util::BinaryElementwiseComparison>(n) ||
           ov::is_type<ov::op::util::BinaryElementwiseLogical>(n) ||
           ov::is_type<ov::op::util::BinaryElementwiseBitwise>(n) || ov::is_type<v0::Convert>(n) ||
           ov::is_type<v1::Select>(n) || ov::is_type<v1::LogicalNot>(n) || ov::is_type<ov::op::v10::IsNaN>(n) ||
           ov::is_type<ov::op::v10::IsInf>(n) || ov::is_type<ov::op::v10::IsFinite>(n);
}

void replace_with_transposed(const std::shared_ptr<Node>& old, const std::shared_ptr<Node>& fresh,
                             const Perm& out_perm) {
    take_provenance(*fresh, *old);
    if (is_identity(out_perm)) {
        old->output(0).replace(fresh->output(0));
        return;
    }
    auto t = make_transpose(fresh->output(0), out_perm);
    name_after(*t, *old);
    old->output(0).replace(t->output(0));
}

// The permutation shared by the Transpose inputs of `n` (of size `rank`) and its inputs
// with those Transposes removed and its constant inputs re-laid out; nullopt when there is
// no Transpose input, the permutations differ, or another input is not a small constant
// (of full rank, with `full_rank_constants`).
std::optional<std::pair<Perm, ov::OutputVector>> untransposed_inputs(const std::shared_ptr<Node>& n, size_t rank,
                                                                     bool full_rank_constants) {
    std::optional<Perm> p;
    for (const auto& in : n->input_values())
        if (auto q = perm_of(in)) {
            if (q->size() != rank || (p && *p != *q))
                return std::nullopt;
            p = q;
        }
    if (!p)
        return std::nullopt;
    ov::OutputVector ins;
    for (const auto& in : n->input_values()) {
        if (perm_of(in)) {
            ins.push_back(in.get_node()->input_value(0));
            continue;
        }
        auto c = fold_small(in);
        if (!c || (full_rank_constants && c->get_shape().size() != rank))
            return std::nullopt;
        auto r = relayout(c, *p);
        if (!r)
            return std::nullopt;
        ins.push_back(r);
    }
    return std::make_pair(*p, ins);
}

// Elementwise op: all inputs Transpose(p) or constants; at least one Transpose.
bool sink_elementwise(const std::shared_ptr<Node>& n) {
    const auto rank = n->get_output_size() == 1 ? n->get_output_partial_shape(0).rank() : ov::Rank::dynamic();
    if (rank.is_dynamic())
        return false;
    auto u = untransposed_inputs(n, static_cast<size_t>(rank.get_length()), false);
    if (!u)
        return false;
    replace_with_transposed(n, n->clone_with_new_inputs(u->second), u->first);
    return true;
}

// Reduction over constant axes of a Transpose(p): reduce the untransposed axes instead.
bool sink_reduction(const std::shared_ptr<Node>& n) {
    auto p = perm_of(n->input_value(0));
    auto axes_c = ov::as_type_ptr<v0::Constant>(n->input_value(1).get_node_shared_ptr());
    if (!p || !axes_c)
        return false;
    bool keep = false;
    if (auto a = ov::as_type_ptr<ov::op::util::ArithmeticReductionKeepDims>(n))
        keep = a->get_keep_dims();
    else if (auto l = ov::as_type_ptr<ov::op::util::LogicalReductionKeepDims>(n))
        keep = l->get_keep_dims();
    else
        return false;
    const auto rank = static_cast<int64_t>(p->size());
    std::vector<bool> reduced(p->size(), false);  // by transposed position
    Perm axes;
    for (auto a : axes_c->cast_vector<int64_t>()) {
        a = a < 0 ? a + rank : a;
        if (a < 0 || a >= rank)
            return false;
        reduced[static_cast<size_t>(a)] = true;
        axes.push_back((*p)[static_cast<size_t>(a)]);
    }
    Perm out_perm;
    if (keep) {
        out_perm = *p;
    } else {
        // the surviving source axes, renumbered in their source order
        std::vector<int64_t> rank_of(p->size(), -1);
        int64_t k = 0;
        std::vector<bool> src_reduced(p->size(), false);
        for (auto a : axes)
            src_reduced[static_cast<size_t>(a)] = true;
        for (size_t s = 0; s < p->size(); ++s)
            if (!src_reduced[s])
                rank_of[s] = k++;
        for (size_t i = 0; i < p->size(); ++i)
            if (!reduced[i])
                out_perm.push_back(rank_of[static_cast<size_t>((*p)[i])]);
    }
    auto new_axes = v0::Constant::create(axes_c->get_element_type(), ov::Shape{axes.size()}, axes);
    auto fresh = n->clone_with_new_inputs({n->input_value(0).get_node()->input_value(0), new_axes});
    replace_with_transposed(n, fresh, out_perm);
    return true;
}

// Concat of Transposes with one permutation and constants (padding): concat the sources
// along the source axis.
bool sink_concat(const std::shared_ptr<v0::Concat>& n) {
    if (n->get_output_partial_shape(0).rank().is_dynamic())
        return false;
    const auto rank = static_cast<size_t>(n->get_output_partial_shape(0).rank().get_length());
    auto u = untransposed_inputs(n, rank, true);
    if (!u)
        return false;
    int64_t axis = n->get_axis();
    axis = axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
    auto fresh = std::make_shared<v0::Concat>(u->second, u->first[static_cast<size_t>(axis)]);
    replace_with_transposed(n, fresh, u->first);
    return true;
}

void run(const std::shared_ptr<ov::Model>& model) {
    for_each_body(model, run);
    // One pass in topological order: a Transpose sunk past an op lands before that op's
    // consumers, which are visited later and sink it further.
    for (const auto& op : model->get_ordered_ops()) {
        // each rewrite below merges a Transpose or sinks one of the op's inputs
        bool transposes = ov::is_type<v1::Transpose>(op);
        for (size_t i = 0; i < op->get_input_size() && !transposes; ++i)
            transposes = ov::is_type<v1::Transpose>(op->get_input_node_ptr(i));
        if (!transposes || op->get_output_size() != 1 || op->output(0).get_target_inputs().empty())
            continue;  // a Result, a multi-output op, or already replaced
        if (ov::is_type<v1::Transpose>(op))
            merge_transposes(op);
        else if (elementwise(op))
            sink_elementwise(op);
        else if (ov::is_type<ov::op::util::ArithmeticReductionKeepDims>(op) ||
                 ov::is_type<ov::op::util::LogicalReductionKeepDims>(op))
            sink_reduction(op);
        else if (auto c = ov::as_type_ptr<v0::Concat>(op))
            sink_concat(c);
    }
}

}  // namespace

void apply_transpose_sinking(const std::shared_ptr<ov::Model>& model) { run(model); }

bool merge_transposes(const std::shared_ptr<Node>& n) {
    auto q = perm_of(n->output(0));
    if (!q)
        return false;
    auto inner = n->input_value(0);
    auto p = perm_of(inner);
    if (!p) {
        if (is_identity(*q)) {
            n->output(0).replace(inner);
            return true;
        }
        return false;
    }
    Perm r(q->size());
    for (size_t i = 0; i < q->size(); ++i)
        r[i] = (*p)[static_cast<size_t>((*q)[i])];
    auto src = inner.get_node()->input_value(0);
    if (is_identity(r)) {
        n->output(0).replace(src);
    } else {
        auto t = make_transpose(src, r);
        take_provenance(*t, *n);
        n->output(0).replace(t->output(0));
    }
    return true;
}

}  // namespace ovjax
