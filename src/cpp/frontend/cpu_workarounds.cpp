// CPU-plugin scheduling workarounds, run by FrontEnd::normalize after the fusions: they
// change how OpenVINO's CPU plugin schedules a graph, never what it computes. Each was
// measured (the reasons below); the option `cpu_workarounds` turns them off, and they are
// candidates for removal whenever the plugin changes (re-measure with
// benchmarks/inference.py and benchmarks/ab.py).
//  - parallel MatMuls of one value with small weights joined into one (LSTM gates);
//  - a Dense layer's bias and activation kept out of the plugin's FullyConnected node;
//  - chains of rank-2 Dense layers run at rank 3.
#include "frontend/cpu_workarounds.hpp"

#include "frontend/graph_walk.hpp"
#include "frontend/pattern.hpp"
#include "frontend/provenance.hpp"
#include "ops/utils.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "openvino/core/graph_util.hpp"
#include "openvino/core/rt_info.hpp"
#include "openvino/core/model.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/erf.hpp"
#include "openvino/op/exp.hpp"
#include "openvino/op/gelu.hpp"
#include "openvino/op/hswish.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/less_eq.hpp"
#include "openvino/op/loop.hpp"
#include "openvino/op/matmul.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/mish.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/mvn.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/power.hpp"
#include "openvino/op/reduce_max.hpp"
#include "openvino/op/reduce_mean.hpp"
#include "openvino/op/reduce_sum.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/result.hpp"
#include "openvino/op/scaled_dot_product_attention.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/softmax.hpp"
#include "openvino/op/softplus.hpp"
#include "openvino/op/sqrt.hpp"
#include "openvino/op/squared_difference.hpp"
#include "openvino/op/subtract.hpp"
#include "openvino/op/swish.hpp"
#include "openvino/op/tanh.hpp"
#include "openvino/op/transpose.hpp"
#include "openvino/op/squeeze.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "openvino/op/util/binary_elementwise_arithmetic.hpp"
#include "openvino/op/util/multi_subgraph_base.hpp"
#include "openvino/op/util/unary_elementwise_arithmetic.hpp"
#include "openvino/op/variadic_split.hpp"

namespace ovjax {
namespace {

using ov::Node;
using ov::Output;
using namespace ov::op;
using pattern::as;

// Several MatMuls of one value with small constant weights (an LSTM's four gates, of the
// input and of the carried state): one MatMul with the weights side by side, then a
// VariadicSplit. Each MatMul is a separate plugin node with a fixed cost per run, which
// dominates small products (a scan body runs them once per step). Only small weights are
// joined (the copy is made once; large products are compute-bound anyway).
bool join_matmuls(const Output<Node>& o, bool tb);

bool fuse_parallel_matmuls(const std::shared_ptr<Node>& node) {
    if (node->get_output_target_inputs(0).size() < 2)
        return false;
    bool a = join_matmuls(node->output(0), false);
    bool b = join_matmuls(node->output(0), true);
    return a || b;
}

// The constant bias `add` adds to `product`, when it is one along the last axis only
// ([..., 1, N] or [N], no wider than the product); nullptr otherwise.
std::shared_ptr<v0::Constant> bias_of(const std::shared_ptr<Node>& add, const Output<Node>& product) {
    if (!ov::is_type<v1::Add>(add))
        return nullptr;
    auto b = as<v0::Constant>(add->input_value(add->input_value(0) == product ? 1 : 0));
    const auto& ps = product.get_partial_shape();
    if (!b || b->get_element_type() != product.get_element_type() || ps.rank().is_dynamic() || b->get_shape().empty() ||
        b->get_shape().size() > static_cast<size_t>(ps.rank().get_length()) ||
        ps[ps.rank().get_length() - 1].is_dynamic() ||
        b->get_shape().back() != static_cast<size_t>(ps[ps.rank().get_length() - 1].get_length()))
        return nullptr;
    for (size_t i = 0; i + 1 < b->get_shape().size(); ++i)
        if (b->get_shape()[i] != 1)
            return nullptr;
    return b;
}

// The bias adds of joined MatMuls (each product's only consumer) with their biases, or
// none unless all have one.
std::vector<std::pair<std::shared_ptr<Node>, std::shared_ptr<v0::Constant>>> joined_bias_adds(
    const std::vector<std::shared_ptr<v0::MatMul>>& mms, const std::vector<size_t>& ns) {
    std::vector<std::pair<std::shared_ptr<Node>, std::shared_ptr<v0::Constant>>> adds;
    for (size_t i = 0; i < mms.size(); ++i) {
        auto add = only_consumer(mms[i]->output(0));
        auto b = add ? bias_of(add, mms[i]->output(0)) : nullptr;
        if (!b || b->get_shape().back() != ns[i] || b->get_element_type().bitwidth() < 8)
            return {};
        adds.emplace_back(add, b);
    }
    return adds;
}

// The MatMuls of `o` with weights [K, N] (tb: [N, K]) joined, when there are several.
bool join_matmuls(const Output<Node>& o, bool tb) {
    constexpr size_t kMaxJoinedElements = 1 << 20;
    std::vector<std::shared_ptr<v0::MatMul>> mms;
    std::shared_ptr<v0::Constant> first;
    for (const auto& t : o.get_target_inputs()) {
        auto mm = ov::as_type_ptr<v0::MatMul>(t.get_node()->shared_from_this());
        if (!mm || t.get_index() != 0 || mm->get_transpose_a() || mm->get_transpose_b() != tb)
            continue;
        auto w = as<v0::Constant>(mm->input_value(1));
        if (!w || w->get_shape().size() != 2 || w->get_element_type().bitwidth() < 8)
            continue;
        if (first && (w->get_element_type() != first->get_element_type() ||
                      w->get_shape()[tb ? 1 : 0] != first->get_shape()[tb ? 1 : 0]))
            continue;
        if (!first)
            first = w;
        mms.push_back(mm);
    }
    if (mms.size() < 2)
        return false;
    // deterministic order (target inputs are a set)
    std::sort(mms.begin(), mms.end(),
              [](const auto& a, const auto& b) { return a->get_instance_id() < b->get_instance_id(); });
    const size_t k = first->get_shape()[tb ? 1 : 0];
    const size_t es = first->get_element_type().size();
    size_t n_total = 0;
    std::vector<size_t> ns;
    for (auto& mm : mms) {
        ns.push_back(mm->get_input_shape(1)[tb ? 0 : 1]);
        n_total += ns.back();
    }
    if (n_total * k > kMaxJoinedElements)
        return false;
    auto joined =
        std::make_shared<v0::Constant>(first->get_element_type(), tb ? ov::Shape{n_total, k} : ov::Shape{k, n_total});
    auto* dst = static_cast<char*>(const_cast<void*>(joined->get_data_ptr()));
    size_t col = 0;
    for (size_t i = 0; i < mms.size(); ++i) {
        auto w = as<v0::Constant>(mms[i]->input_value(1));
        const auto* src = static_cast<const char*>(w->get_data_ptr());
        if (tb) {  // [N_i, K] blocks one after another
            std::memcpy(dst + col * k * es, src, ns[i] * k * es);
        } else {  // [K, N_i] blocks side by side
            for (size_t r = 0; r < k; ++r)
                std::memcpy(dst + (r * n_total + col) * es, src + r * ns[i] * es, ns[i] * es);
        }
        col += ns[i];
    }
    auto mm = std::make_shared<v0::MatMul>(o, joined, false, tb);
    // When every product has its own bias add (a constant along the last axis: q, k and v
    // projections), the biases are joined too and added before the split: the plugin fuses
    // that one add into the FullyConnected node instead of running one add per part.
    auto adds = joined_bias_adds(mms, ns);
    Output<Node> product = mm;
    if (!adds.empty()) {
        auto bias = std::make_shared<v0::Constant>(mm->get_output_element_type(0), ov::Shape{n_total});
        auto* bdst = static_cast<char*>(const_cast<void*>(bias->get_data_ptr()));
        const size_t bes = bias->get_element_type().size();
        size_t at = 0;
        for (size_t i = 0; i < adds.size(); ++i) {
            std::memcpy(bdst + at * bes, adds[i].second->get_data_ptr(), ns[i] * bes);
            at += ns[i];
        }
        auto add = std::make_shared<v1::Add>(mm, bias);
        take_provenance(*add, *adds[0].first);
        name_after(*bias, *add);
        product = add;
    }
    std::vector<int64_t> lengths(ns.begin(), ns.end());
    auto split =
        std::make_shared<v1::VariadicSplit>(product, v0::Constant::create(ov::element::i64, ov::Shape{}, {-1}),
                                            v0::Constant::create(ov::element::i64, ov::Shape{lengths.size()}, lengths));
    // named after the first MatMul, with the sources of all
    take_provenance(*mm, *mms[0]);
    mm->get_rt_info()[kSourceKey] = SourceAttribute().merge(ov::NodeVector(mms.begin(), mms.end()));
    name_built(split->output(0), *mm, "VariadicSplit");
    name_after(*joined, *mm);
    for (size_t i = 0; i < mms.size(); ++i)
        (adds.empty() ? mms[i]->output(0) : adds[i].first->output(0)).replace(split->output(i));
    return true;
}

// ---------------------------------------------------------------- dense chains
// A chain of rank-2 MatMuls with constant weights and the elementwise ops between them
// (Dense -> scale -> Dense ... on a [batch, features] value) is computed on [1, batch,
// features] instead: a Reshape in front, one behind, the same MatMuls and elementwise ops.
// The CPU plugin runs such a chain as FullyConnected nodes with the elementwise ops fused
// into them; at rank 2 it instead tokenizes the whole chain into one "MLP sequence"
// snippet (its TokenizeMLPSeqSnippets pass only takes rank <= 2), which on this 2-core CPU
// measured as fast at batch 64 and up to 1.4x slower at batch 8 (the gelu MLP of
// benchmarks/inference.py, before split_activation_from_matmul, which runs first and
// breaks chains at each Dense + activation anyway). Rank-3 chains are never tokenized so.
// Only MatMuls with weights of kMinLiftWeight elements or more make a chain: on an AVX-512
// Xeon (2026-12-05, f32, 7 interleaved rounds) the snippet was the faster form for smaller
// ones (4-layer gelu MLPs of width 16 and 64 at 8 rows: lifted 1.24x and 1.36x slower; a
// 1000-layer tanh chain of width 16 at 8 rows 1.56x slower, the same at 1 row), and the
// lifted one for width 256 (1.12x faster at 8 rows, the same at 1 and 64).
constexpr size_t kMinLiftWeight = size_t{1} << 16;  // 256 x 256
bool is_chain_elementwise(const std::shared_ptr<Node>& n) {
    return ov::is_type<ov::op::util::UnaryElementwiseArithmetic>(n) ||
           ov::is_type<ov::op::util::BinaryElementwiseArithmetic>(n) || ov::is_type<v0::Convert>(n);
}

bool is_dense_matmul(const std::shared_ptr<Node>& n, const Output<Node>& in) {
    auto mm = ov::as_type_ptr<v0::MatMul>(n);
    if (!mm || mm->get_transpose_a() || mm->input_value(0) != in)
        return false;
    auto w = as<v0::Constant>(mm->input_value(1));
    return w && w->get_shape().size() == 2 && ov::shape_size(w->get_shape()) >= kMinLiftWeight &&
           mm->get_output_partial_shape(0).is_static() && mm->get_output_shape(0).size() == 2;
}

// A Reshape of `o` to `shape` between `o` and all its consumers; the tensor names (a model
// output's) move to the Reshape.
void reshape_for_consumers(const Output<Node>& o, const ov::Shape& shape) {
    auto consumers = o.get_target_inputs();
    auto r = op::reshape_node(o, shape);
    name_built(r, *o.get_node(), "Reshape");
    r.get_tensor().set_names(o.get_names());
    o.get_tensor().set_names({});
    for (auto& c : consumers) {
        c.replace_source_output(r);
        c.get_node()->validate_and_infer_types();
    }
}

bool lift_dense_chain(const std::shared_ptr<Node>& node) {
    if (!ov::is_type<v0::MatMul>(node) || !is_dense_matmul(node, node->input_value(0)))
        return false;
    std::vector<std::shared_ptr<Node>> chain{node};
    size_t matmuls = 1;
    for (;;) {
        auto next = only_consumer(chain.back()->output(0));
        if (!next || next->get_output_size() != 1 || next->get_output_partial_shape(0).is_dynamic())
            break;
        if (is_dense_matmul(next, chain.back()->output(0)))
            ++matmuls;
        else if (!is_chain_elementwise(next) || next->get_output_shape(0).size() > 2)
            break;
        chain.push_back(next);
    }
    while (chain.size() > 1 && !ov::is_type<v0::MatMul>(chain.back()) &&
           chain.back()->get_output_shape(0) != chain.back()->get_input_shape(0))
        chain.pop_back();  // an op that broadcasts the chain's value is left out at the end
    if (matmuls < 2)
        return false;
    const auto in = node->input_value(0);
    ov::Shape lifted = in.get_shape();
    lifted.insert(lifted.begin(), 1);
    node->input(0).replace_source_output(op::reshape_node(in, lifted));
    for (auto& n : chain)
        n->validate_and_infer_types();
    const auto last = chain.back()->output(0);
    ov::Shape out_shape = last.get_shape();
    out_shape.erase(out_shape.begin());
    reshape_for_consumers(last, out_shape);
    return true;
}

// ---------------------------------------------------------------- activations after Dense
// MatMul(x, W) + b -> activation (a Dense layer's gelu): the CPU plugin fuses the bias and
// the activation into its FullyConnected node, and with an activation post-op it runs the
// product on oneDNN's brgemm kernel instead of MLAS. On this AVX2 CPU that made the product
// up to 1.5x slower (DistilBERT's feed-forward gelu layer: 49 ms of brgemm against 25 ms
// expected on MLAS; 4 x 1024 gelu MLP at batch 256: 6.3 ms a layer, 4.2 ms without the
// activation). Reshapes to another rank between the MatMul and the bias add (no copy)
// keep the plugin from fusing either: the product runs on MLAS, bias and activation then
// run as one elementwise kernel. (The plugin moves unary ops up through Reshapes, but not an
// add of a per-channel constant.) Measured 1.0-1.17x faster for 8 to 256 rows.
// Products with weights of fewer than kMinSplitWeight elements are left as they are. On an
// AVX-512 Xeon (2026-12-05, f32, gelu MLPs of 4 and 200 layers, 3 interleaved rounds, against
// splitting every Dense) leaving them measured 1.1-2.3x faster at 8 rows for widths 16 and 64
// (the plugin's MLP snippet then takes the rank-2 chain), and 0.67-1.05x at 1 row (a
// 200-layer chain of width 16 the worst case); at width 128 the split stays (a 1000-layer tanh
// chain of width 128 at 1 row ran 1.27x faster split). Each split also builds six nodes at
// conversion (a 1000-layer chain of width 16 converted in 72 ms with them, 33 ms without).
constexpr size_t kMinSplitWeight = size_t{1} << 14;  // 128 x 128
bool is_activation(const std::shared_ptr<Node>& n) {
    return ov::is_type<ov::op::util::UnaryElementwiseArithmetic>(n) || ov::is_type<v4::Swish>(n) ||
           ov::is_type<v4::HSwish>(n) || ov::is_type<v4::Mish>(n) || ov::is_type<v4::SoftPlus>(n);
}

bool split_activation_from_matmul(const std::shared_ptr<Node>& node) {
    auto mm = ov::as_type_ptr<v0::MatMul>(node);
    if (!mm || !mm->get_output_element_type(0).is_real() || mm->get_output_partial_shape(0).is_dynamic() ||
        mm->get_output_shape(0).size() < 2)
        return false;
    const auto weight = as<v0::Constant>(mm->input_value(1));
    if (!weight || ov::shape_size(weight->get_shape()) < kMinSplitWeight)
        return false;
    auto add = ov::as_type_ptr<v1::Add>(only_consumer(mm->output(0)));
    if (!add)
        return false;
    const size_t bias_port = add->input_value(0) == mm->output(0) ? 1 : 0;
    auto bias = as<v0::Constant>(add->input_value(bias_port));
    const ov::Shape shape = mm->get_output_shape(0);
    if (!bias || add->get_output_shape(0) != shape)
        return false;
    const auto& bs = bias->get_shape();
    for (size_t i = 0; i + 1 < bs.size(); ++i)
        if (bs[i] != 1)
            return false;  // a bias varying along rows would not broadcast the same
    // The activation: the add's only consumer (it then runs at rank 2 with the bias), or
    // one of several (silu's sigmoid and product: the value goes back to its shape right
    // after the add; the plugin still keeps the product apart, measured).
    std::shared_ptr<Node> act = only_consumer(add->output(0));
    std::vector<std::shared_ptr<Node>> act_nodes{act};  // in order
    if (auto guard = gelu_guard_of(add->output(0))) {
        act = guard;
        act_nodes = {guard->input_value(0).get_node_shared_ptr(), guard->input_value(2).get_node_shared_ptr(), guard};
    } else if (!act || !is_activation(act) || act->input_value(0) != add->output(0) || act->get_output_size() != 1) {
        act = nullptr;
        bool any = false;
        for (const auto& t : add->output(0).get_target_inputs())
            any = any || is_activation(t.get_node()->shared_from_this());
        if (!any)
            return false;
    }
    // [..., M, K] x [K, N] -> as [1, P, K] x [1, K, N] (P = all rows), then [P, N] for the
    // bias and the activation, then back. Both Reshapes change the rank: with the product
    // left at rank 2 (or rank 3 on both sides) the plugin folds the Reshapes away again
    // between consecutive Dense layers and fuses the activation after all.
    auto w = as<v0::Constant>(mm->input_value(1));
    const auto a = mm->input_value(0);
    if (mm->get_transpose_a() || w->get_shape().size() != 2 || a.get_partial_shape().is_dynamic())
        return false;
    const size_t n = shape.back(), rows = ov::shape_size(shape) / n, k = a.get_shape().back();
    auto w3 = op::reshape(w, {1, w->get_shape()[0], w->get_shape()[1]});  // a Constant viewing the same data
    name_after(*w3.get_node(), *w);
    auto a3 = op::reshape_node(a, {1, rows, k});
    name_built(a3, *mm, "Reshape_in");
    auto mm3 = std::make_shared<v0::MatMul>(a3, w3, false, mm->get_transpose_b());
    take_provenance(*mm3, *mm);
    auto mm2 = op::reshape_node(mm3, {rows, n});
    name_built(mm2, *mm, "Reshape_out");
    add->input(1 - bias_port).replace_source_output(mm2);
    add->validate_and_infer_types();
    std::shared_ptr<Node> last = add;
    if (act) {
        for (const auto& n : act_nodes)
            n->validate_and_infer_types();
        last = act;
    }
    if (last->get_output_shape(0) != shape)
        reshape_for_consumers(last->output(0), shape);
    return true;
}

}  // namespace

namespace {
// Whether `n`, whose inputs are constant but for the one being followed, reaches a MatMul
// operand through such nodes (the plugin folds the chain into a constant operand).
bool feeds_matmul_as_constant(const std::shared_ptr<Node>& n, int depth = 0) {
    if (depth > 4 || n->get_output_size() != 1 || ov::is_type<ov::op::util::MultiSubGraphOp>(n) ||
        ov::is_type<v0::Result>(n))
        return false;
    size_t runtime_inputs = 0;
    for (const auto& in : n->input_values())
        runtime_inputs += !ov::is_type<v0::Constant>(in.get_node());
    if (runtime_inputs > 1)
        return false;
    for (const auto& t : n->output(0).get_target_inputs()) {
        auto user = t.get_node()->shared_from_this();
        if (ov::is_type<v0::MatMul>(user) || feeds_matmul_as_constant(user, depth + 1))
            return true;
    }
    return false;
}
}  // namespace

void separate_shared_matmul_weights(const std::shared_ptr<ov::Model>& model) {
    for_each_body(model, [](const std::shared_ptr<ov::Model>& body) { separate_shared_matmul_weights(body); });
    // The nodes computed from Constants only (only their values fold into one, fold_constant
    // below) and how many inputs each one's outputs feed, in one pass: only those feeding
    // two or more are looked at further.
    const auto ops = model->get_ordered_ops();
    std::unordered_map<const Node*, size_t> uses_of_constant;
    for (const auto& n : ops) {
        bool folds = n->get_input_size() > 0 && !ov::is_type<ov::op::util::MultiSubGraphOp>(n);
        for (size_t i = 0; i < n->get_input_size(); ++i) {
            auto it = uses_of_constant.find(n->get_input_node_ptr(i));
            if (it == uses_of_constant.end())
                folds = false;
            else
                ++it->second;
        }
        if (folds || ov::is_type<v0::Constant>(n))
            uses_of_constant.emplace(n.get(), 0);
    }
    for (const auto& n : ops) {
        auto it = uses_of_constant.find(n.get());
        if (it == uses_of_constant.end() || it->second < 2)
            continue;
        for (const auto& o : n->outputs()) {
            // The uses of `o` by layout: a MatMul's (input index, its transpose flag), and each
            // constant-foldable node (a Transpose, a Reshape of it) that feeds a MatMul, which the
            // plugin folds into that MatMul's weight: a layout of its own.
            std::vector<std::pair<std::pair<size_t, bool>, ov::Input<Node>>> uses;
            for (const auto& in : o.get_target_inputs()) {
                auto* user = in.get_node();
                if (auto mm = ov::as_type<v0::MatMul>(user)) {
                    const size_t k = in.get_index();
                    uses.push_back({{k, k == 0 ? mm->get_transpose_a() : mm->get_transpose_b()}, in});
                } else if (feeds_matmul_as_constant(user->shared_from_this())) {
                    uses.push_back({{2 + uses.size(), false}, in});
                }
            }
            if (uses.size() < 2)
                continue;
            const auto first = uses[0].first;
            if (std::all_of(uses.begin(), uses.end(), [&](const auto& u) { return u.first == first; }))
                continue;
            // One Constant (the plugin would fold the node into one anyway, and merges equal
            // nodes), and a copy of its data per further layout: a second Constant node
            // viewing the same buffer is still prepared once in a full model (measured on the
            // vmapped RNN gradient; in a two-MatMul model it was not), a copy never.
            auto folded = fold_constant(o, 9);
            if (!folded)
                continue;
            if (folded.get() != n.get()) {
                folded->set_friendly_name(n->get_friendly_name());
                ov::copy_runtime_info(n, folded);
            }
            std::map<std::pair<size_t, bool>, Output<Node>> nodes{{first, folded->output(0)}};
            for (auto& [layout, in] : uses) {
                auto it = nodes.find(layout);
                if (it == nodes.end()) {
                    auto copy = std::make_shared<v0::Constant>(folded->get_element_type(), folded->get_shape(),
                                                               folded->get_data_ptr());  // copies the data
                    copy->set_friendly_name(folded->get_friendly_name() + "/layout" + std::to_string(nodes.size()));
                    ov::copy_runtime_info(folded, copy);
                    it = nodes.emplace(layout, copy->output(0)).first;
                }
                in.replace_source_output(it->second);
            }
        }
    }
}

namespace {
using SubGraphOp = ov::op::util::SubGraphOp;

// `loop` rebuilt with the invariant inputs in `inside` (body Parameters already unused)
// left out; the same body, trip count, condition, other inputs and outputs.
std::shared_ptr<ov::op::v5::Loop> loop_without(const ov::op::v5::Loop& loop,
                                               const std::vector<std::shared_ptr<v0::Parameter>>& inside) {
    auto body = loop.get_function();
    const auto params = body->get_parameters();  // before removal: the descriptions' indices
    const auto& results = body->get_results();
    const auto ports = loop.get_special_body_ports();
    auto iteration = ports.current_iteration_input_idx >= 0 ? params.at(ports.current_iteration_input_idx) : nullptr;
    for (const auto& p : inside)
        body->remove_parameter(p);
    auto fresh = std::make_shared<ov::op::v5::Loop>(loop.input_value(0), loop.input_value(1));
    fresh->set_function(body);
    fresh->set_special_body_ports(
        {iteration ? body->get_parameter_index(iteration) : -1, ports.body_condition_output_idx});
    for (const auto& d : loop.get_input_descriptions()) {
        const auto& p = params.at(d->m_body_parameter_index);
        if (std::find(inside.begin(), inside.end(), p) != inside.end())
            continue;
        const auto outer = loop.input_value(d->m_input_index);
        if (auto m = ov::as_type_ptr<SubGraphOp::MergedInputDescription>(d))
            fresh->set_merged_input(p, outer, results.at(m->m_body_value_index));
        else if (auto sl = ov::as_type_ptr<SubGraphOp::SliceInputDescription>(d))
            fresh->set_sliced_input(p, outer, sl->m_start, sl->m_stride, sl->m_part_size, sl->m_end, sl->m_axis);
        else
            fresh->set_invariant_input(p, outer);
    }
    auto outs = loop.get_output_descriptions();
    std::sort(outs.begin(), outs.end(),
              [](const auto& a, const auto& b) { return a->m_output_index < b->m_output_index; });
    for (const auto& d : outs) {
        const auto& r = results.at(d->m_body_value_index);
        if (auto c = ov::as_type_ptr<SubGraphOp::ConcatOutputDescription>(d))
            fresh->get_concatenated_slices(r, c->m_start, c->m_stride, c->m_part_size, c->m_end, c->m_axis);
        else
            fresh->get_iter_value(r, ov::as_type_ptr<SubGraphOp::BodyOutputDescription>(d)->m_iteration);
    }
    fresh->validate_and_infer_types();
    return fresh;
}
}  // namespace

void constant_loop_inputs_inside(const std::shared_ptr<ov::Model>& model) {
    // this level's Loops first, then their bodies: a constant moved into a body can be a
    // nested Loop's invariant input there (a fori_loop in a while_loop closing over a folded
    // iota), which the body's pass then moves further in
    for (const auto& op : model->get_ordered_ops()) {
        auto loop = ov::as_type_ptr<ov::op::v5::Loop>(op);
        if (!loop)
            continue;
        std::vector<std::shared_ptr<v0::Parameter>> inside;
        const auto params = loop->get_function()->get_parameters();
        for (const auto& d : loop->get_input_descriptions()) {
            auto c = ov::as_type_ptr<v0::Constant>(loop->input_value(d->m_input_index).get_node_shared_ptr());
            if (!c || !ov::as_type_ptr<SubGraphOp::InvariantInputDescription>(d))
                continue;
            const auto& p = params.at(d->m_body_parameter_index);
            auto copy = std::make_shared<v0::Constant>(*c);  // shares c's data
            take_provenance(*copy, *c);
            p->output(0).replace(copy->output(0));
            inside.push_back(p);
        }
        if (inside.empty())
            continue;
        auto fresh = loop_without(*loop, inside);
        take_provenance(*fresh, *loop);
        for (size_t i = 0; i < loop->get_output_size(); ++i)
            loop->output(i).replace(fresh->output(i));
    }
    for_each_body(model, [](const std::shared_ptr<ov::Model>& body) { constant_loop_inputs_inside(body); });
}

void apply_cpu_workarounds(const std::shared_ptr<ov::Model>& model) {
    run_rules(model, {{fuse_parallel_matmuls},
                      {split_activation_from_matmul, is_any_of<v0::MatMul>},
                      {lift_dense_chain, is_any_of<v0::MatMul>}});
}

}  // namespace ovjax
