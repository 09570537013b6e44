// Control flow: cond (If, or Select for small side-effect-free branches), while and
// scan (Loop). Sub-jaxprs become standalone bodies: a fresh Parameter per input, the
// graph translated by the session, the results wrapped in an ov::Model.
#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>

#include "format/format.hpp"
#include "frontend/pattern.hpp"
#include "frontend/translate_session.hpp"
#include "openvino/core/model.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/shape_of.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/gather.hpp"
#include "openvino/op/identity.hpp"
#include "openvino/op/if.hpp"
#include "openvino/op/loop.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/reduce_logical_or.hpp"
#include "openvino/op/result.hpp"
#include "openvino/op/reverse.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/squeeze.hpp"
#include "openvino/op/subtract.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "ops/ops.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

namespace {

using ov::Output;
using ov::op::v0::Constant;
using ov::op::v0::Parameter;
using ov::op::v0::Result;

// ---------------------------------------------------------------- bodies

// One Parameter per value, of its type and shape (a body's inputs: the session checks
// them against the avals the sub-graph declares).
ov::ParameterVector params_like(const ov::OutputVector& values) {
    ov::ParameterVector ps;
    for (auto& o : values)
        ps.push_back(std::make_shared<Parameter>(o.get_element_type(), o.get_partial_shape()));
    return ps;
}

// The element type of a sub-graph's result k as the sub-graph computes it (its outvar's
// aval: checked against the value when the sub-graph is translated).
ov::element::Type result_type(const NodeContext& ctx, uint64_t g, size_t k) {
    OVJAX_CHECK(ctx, g < ctx.file().num_graphs(), "sub-graph index ", g, " out of range");
    const auto& graph = ctx.file().graph(g);
    OVJAX_CHECK(ctx, k < graph.outvars.size(), "sub-graph ", g, " has ", graph.outvars.size(), " results");
    const auto& a = graph.outvars[k];
    return to_ov_type(a.is_literal ? a.dtype : graph.vars[static_cast<size_t>(a.var)].dtype);
}

// JAX's rule for cond and while: every branch (body) gives results of the same types and
// shapes (a Select or If of others would broadcast or merge them). Symbolic sizes are
// compared where known: a dynamic dimension matches one of compatible bounds (the results'
// declared avals are checked when the equation is done).
void check_same_results(const NodeContext& ctx, const ov::OutputVector& a, const ov::OutputVector& b,
                        const char* what) {
    OVJAX_CHECK(ctx, a.size() == b.size(), what, " give ", a.size(), " and ", b.size(), " results");
    for (size_t k = 0; k < a.size(); ++k) {
        const auto &sa = a[k].get_partial_shape(), &sb = b[k].get_partial_shape();
        const bool same = sa.is_static() && sb.is_static() ? sa == sb
                                                           : sa.rank().is_static() && sb.rank().is_static() &&
                                                                 sa.rank() == sb.rank() && sa.compatible(sb);
        OVJAX_CHECK(ctx, a[k].get_element_type() == b[k].get_element_type() && same, what, " give result ", k, " as ",
                    a[k].get_element_type(), sa, " and ", b[k].get_element_type(), sb);
    }
}

ov::OutputVector as_outputs(const ov::ParameterVector& ps) {
    ov::OutputVector r;
    for (auto& p : ps)
        r.push_back(p->output(0));
    return r;
}

}  // namespace

// (utils.hpp) The session's constants (the sub-graphs' consts) are cached and may also feed
// the enclosing graph: a node must belong to one model only, so the body gets its own
// Constant nodes (sharing the data).
std::shared_ptr<ov::Model> make_body(const ov::OutputVector& outs, const ov::ParameterVector& params) {
    ov::ResultVector results;
    for (auto& o : outs)
        results.push_back(std::make_shared<Result>(o));
    std::shared_ptr<ov::Model> body;
    try {
        body = std::make_shared<ov::Model>(results, params);
    } catch (const ov::Exception& e) {
        // Every value from outside reaches a body as an input, but for the sizes of
        // symbolic dimensions, which are read from the model's inputs (shapes.hpp).
        if (std::string(e.what()).find("unregistered_parameters") == std::string::npos)
            throw;
        throw TranslateError(
            "a symbolic dimension's size is needed inside a loop or cond body; symbolic dimensions are not "
            "supported inside control-flow bodies yet (make that dimension static)");
    }
    auto ops = body->get_ordered_ops();
    std::unordered_set<const ov::Node*> in_body;
    for (auto& n : ops)
        in_body.insert(n.get());
    for (auto& n : ops) {
        auto c = ov::as_type_ptr<Constant>(n);
        if (!c)
            continue;
        // even when only the body uses it now: the session's cache may hand it out later
        std::shared_ptr<Constant> copy = std::make_shared<Constant>(*c);
        copy->set_friendly_name(c->get_friendly_name());
        copy->get_rt_info() = c->get_rt_info();  // its provenance (provenance.hpp)
        for (auto& t : c->output(0).get_target_inputs())
            if (in_body.count(t.get_node()))
                t.replace_source_output(copy->output(0));
    }
    body->validate_nodes_and_infer_types();
    return body;
}

namespace {

// Loop back-edges: the CPU plugin copies each body result into its carry's Parameter in
// turn, so a result that is (after the plugin drops no-op reshapes, converts, ...) another
// carry's Parameter reads it already overwritten (swapped carries come out equal). A
// value reached from a Parameter through nodes with one non-constant input each may be
// such an alias: it goes through an Identity copy.
Output<ov::Node> unalias_carry(Output<ov::Node> o) {
    const Output<ov::Node> orig = o;
    for (int depth = 0; depth < 64; ++depth) {
        auto n = o.get_node_shared_ptr();
        if (ov::as_type_ptr<Parameter>(n))
            return std::make_shared<ov::op::v16::Identity>(orig)->output(0);
        Output<ov::Node> next;
        int dynamic_inputs = 0;
        for (auto& in : n->input_values())
            if (!ov::as_type_ptr<Constant>(in.get_node_shared_ptr())) {
                next = in;
                ++dynamic_inputs;
            }
        if (dynamic_inputs != 1)
            return orig;
        o = next;
    }
    return std::make_shared<ov::op::v16::Identity>(orig)->output(0);
}

// A loop-invariant operand inside a Loop body. A Constant is used as it is (make_body
// gives the body its own copy, sharing the data), so the body sees constant weights: a
// MatMul weight the CPU plugin prepares once, and no invariant input copied in per run.
// Anything else becomes a body Parameter, recorded in `invariants` for
// Loop::set_invariant_input.
using Invariants = std::vector<std::pair<std::shared_ptr<Parameter>, Output<ov::Node>>>;
Output<ov::Node> loop_invariant(const Output<ov::Node>& outer, Invariants& invariants) {
    if (ov::is_type<Constant>(outer.get_node()))
        return outer;
    auto p = std::make_shared<Parameter>(outer.get_element_type(), outer.get_partial_shape());
    invariants.emplace_back(p, outer);
    return p->output(0);
}

// x reversed along axis 0
Output<ov::Node> rev0(const Output<ov::Node>& x) {
    return std::make_shared<ov::op::v1::Reverse>(x, const_i64({0}), ov::op::v1::Reverse::Mode::INDEX)->output(0);
}

// ---------------------------------------------------------------- cond

// Primitives cheap enough to evaluate in every branch, that cannot trap, loop or
// touch memory out of bounds whatever their operands.
bool is_float_dtype(format::DType t) {
    using format::DType;
    return t == DType::f16 || t == DType::bf16 || t == DType::f32 || t == DType::f64 || t == DType::f8e4m3 ||
           t == DType::f8e5m2;
}

bool select_safe(std::string_view prim, std::optional<format::DType> operand) {
    static const std::unordered_set<std::string> safe = {"add",
                                                         "sub",
                                                         "mul",
                                                         "neg",
                                                         "max",
                                                         "min",
                                                         "abs",
                                                         "sign",
                                                         "floor",
                                                         "ceil",
                                                         "round",
                                                         "square",
                                                         "exp",
                                                         "exp2",
                                                         "expm1",
                                                         "log",
                                                         "log1p",
                                                         "tanh",
                                                         "logistic",
                                                         "sin",
                                                         "cos",
                                                         "sqrt",
                                                         "rsqrt",
                                                         "integer_pow",
                                                         "select_n",
                                                         "clamp",
                                                         "eq",
                                                         "ne",
                                                         "lt",
                                                         "le",
                                                         "gt",
                                                         "ge",
                                                         "and",
                                                         "or",
                                                         "not",
                                                         "xor",
                                                         "copy",
                                                         "copy_p",
                                                         "stop_gradient",
                                                         "broadcast_in_dim",
                                                         "reshape",
                                                         "squeeze",
                                                         "expand_dims",
                                                         "transpose",
                                                         "convert_element_type",
                                                         "is_finite"};
    std::string p(prim);
    if (safe.count(p))
        return true;
    // integer division by zero traps; floating division does not (the operands' dtype: the
    // result's is what the translation checks)
    if ((p == "div" || p == "pow") && operand)
        return is_float_dtype(*operand);
    return false;
}

// Branches small enough to evaluate all of them and select the results.
constexpr size_t kSelectMaxEqnsPerBranch = 8;
constexpr size_t kSelectMaxEqnsTotal = 16;

bool lower_cond_to_select(const NodeContext& ctx, const std::vector<uint64_t>& branches) {
    const auto& f = ctx.file();
    for (size_t k = 0; k < ctx.num_outputs(); ++k) {
        if (ctx.eqn().out[k] == format::kNone)
            return false;
        auto t = result_type(ctx, branches[0], k);
        // the CPU plugin selects 32/64-bit integers through f32
        if (t.is_integral_number() && t.bitwidth() >= 32)
            return false;
    }
    size_t total = 0;
    for (auto b : branches) {
        const auto& g = f.graph(b);
        if (g.eqns.size() > kSelectMaxEqnsPerBranch)
            return false;
        total += g.eqns.size();
        for (size_t ei = 0; ei < g.eqns.size(); ++ei) {
            std::optional<format::DType> operand;
            if (g.eqns[ei].n_in >= 1) {
                const auto& a = f.input(g, ei, 0);
                operand = a.is_literal ? a.dtype : g.vars[static_cast<size_t>(a.var)].dtype;
            }
            if (!select_safe(f.string(g.eqns[ei].primitive), operand))
                return false;
        }
    }
    return total <= kSelectMaxEqnsTotal;
}

// Branch `k` of the chain: If(index == k, branch k, next) ... with the last branch as the
// default (XLA runs the last branch for an out-of-range index). `index` is a body-local
// integer; `operands` body-local outputs too.
ov::OutputVector switch_chain(const NodeContext& ctx, const std::vector<uint64_t>& branches, size_t k,
                              const Output<ov::Node>& index, const ov::OutputVector& operands) {
    const size_t n = branches.size();
    auto then_ps = params_like(operands);
    Shapes::Body then_scope(ctx.shapes());
    auto then_outs = ctx.inline_graph(branches[k], as_outputs(then_ps));
    const auto then_sizes = then_scope.end();  // symbolic sizes the branch reads
    for (const auto& [p, outer] : then_sizes)
        then_ps.push_back(p);
    auto then_body = make_body(then_outs, then_ps);

    ov::ParameterVector else_ps = params_like(operands);
    std::shared_ptr<Parameter> else_index;
    ov::OutputVector else_outs;
    Shapes::Body else_scope(ctx.shapes());
    if (k + 2 == n) {
        else_outs = ctx.inline_graph(branches[k + 1], as_outputs(else_ps));
    } else {
        else_index = std::make_shared<Parameter>(index.get_element_type(), index.get_partial_shape());
        else_outs = switch_chain(ctx, branches, k + 1, else_index, as_outputs(else_ps));
        else_ps.insert(else_ps.begin(), else_index);
    }
    const auto else_sizes = else_scope.end();
    for (const auto& [p, outer] : else_sizes)
        else_ps.push_back(p);
    check_same_results(ctx, then_outs, else_outs, "cond branches");
    auto else_body = make_body(else_outs, else_ps);

    auto is_k = make<ov::op::v1::Equal>(index, const_scalar(index.get_element_type(), double(k)));
    auto iff = std::make_shared<ov::op::v8::If>(is_k);
    iff->set_then_body(then_body);
    iff->set_else_body(else_body);
    if (else_index)
        iff->set_input(index, nullptr, else_index);
    for (size_t i = 0; i < operands.size(); ++i)
        iff->set_input(operands[i], then_ps[i], else_ps[else_index ? i + 1 : i]);
    for (const auto& [p, outer] : then_sizes)
        iff->set_input(outer, p, nullptr);
    for (const auto& [p, outer] : else_sizes)
        iff->set_input(outer, nullptr, p);
    const auto& tr = then_body->get_results();
    const auto& er = else_body->get_results();
    OVJAX_CHECK(ctx, tr.size() == er.size(), "branches have ", tr.size(), " and ", er.size(), " outputs");
    ov::OutputVector outs;
    for (size_t i = 0; i < tr.size(); ++i)
        outs.push_back(iff->set_output(tr[i], er[i]));
    iff->validate_and_infer_types();
    return outs;
}

}  // namespace

ov::OutputVector translate_cond(const NodeContext& ctx) {
    auto bp = ctx.param("branches");
    std::vector<uint64_t> branches;
    if (bp.tag() == format::ValueTag::graph) {
        branches.push_back(bp.as_graph());
    } else {
        for (size_t i = 0; i < bp.size(); ++i) {
            auto b = bp.item(i);
            OVJAX_CHECK(ctx, b.tag() == format::ValueTag::graph, "branch ", i, " is not a jaxpr: ", b.describe());
            branches.push_back(b.as_graph());
        }
    }
    OVJAX_CHECK(ctx, !branches.empty(), "cond has no branches");
    OVJAX_CHECK(ctx, ctx.get_input_size() >= 1, "cond has no index operand");
    ov::OutputVector operands = ctx.inputs();
    operands.erase(operands.begin());
    if (branches.size() == 1)
        return ctx.inline_graph(branches[0], operands);
    // A constant index (e.g. from platform_index) selects its branch at conversion time.
    if (auto c = ov::as_type_ptr<ov::op::v0::Constant>(ctx.get_input(0).get_node_shared_ptr())) {
        auto v = c->cast_vector<int64_t>();
        if (v.size() == 1) {
            auto i = std::clamp<int64_t>(v[0], 0, static_cast<int64_t>(branches.size()) - 1);
            return ctx.inline_graph(branches[static_cast<size_t>(i)], operands);
        }
    }

    // The index: an integer (lax.switch clamps it, XLA runs the last branch when it is out
    // of range) or, from older JAX, a boolean predicate (true selects branch 1).
    Output<ov::Node> index = ctx.get_input(0);
    if (!index.get_element_type().is_integral_number() || index.get_element_type() == ov::element::boolean)
        index = convert(index, ov::element::i32);
    OVJAX_CHECK(ctx, index.get_partial_shape().rank().is_static() && index.get_partial_shape().rank().get_length() == 0,
                "the cond index must be a scalar, got ", index.get_partial_shape());

    if (lower_cond_to_select(ctx, branches)) {
        std::vector<ov::OutputVector> outs;
        for (auto b : branches) {
            outs.push_back(ctx.inline_graph(b, operands));
            check_same_results(ctx, outs[0], outs.back(), "cond branches");
        }
        ov::OutputVector r = outs.back();
        for (size_t b = branches.size() - 1; b-- > 0;) {
            auto is_b = std::make_shared<ov::op::v1::Equal>(index, const_scalar(index.get_element_type(), double(b)));
            for (size_t k = 0; k < r.size(); ++k)
                r[k] = std::make_shared<ov::op::v1::Select>(is_b, outs[b][k], r[k])->output(0);
        }
        return r;
    }
    return switch_chain(ctx, branches, 0, index, operands);
}

// ---------------------------------------------------------------- while

ov::OutputVector translate_while(const NodeContext& ctx) {
    const uint64_t cond_g = ctx.param("cond_jaxpr").as_graph();
    const uint64_t body_g = ctx.param("body_jaxpr").as_graph();
    const auto cn = static_cast<size_t>(ctx.int_param("cond_nconsts"));
    const auto bn = static_cast<size_t>(ctx.int_param("body_nconsts"));
    const ov::OutputVector ins = ctx.inputs();
    OVJAX_CHECK(ctx, cn + bn <= ins.size(), "while has ", ins.size(), " operands, fewer than its ", cn + bn, " consts");
    const size_t m = ins.size() - cn - bn;
    ov::OutputVector cconsts(ins.begin(), ins.begin() + cn);
    ov::OutputVector bconsts(ins.begin() + cn, ins.begin() + cn + bn);
    ov::OutputVector carries(ins.begin() + cn + bn, ins.end());

    // the condition before the first iteration
    ov::OutputVector cin = cconsts;
    cin.insert(cin.end(), carries.begin(), carries.end());
    auto first = ctx.inline_graph(cond_g, cin);
    OVJAX_CHECK(ctx, first.size() == 1 && first[0].get_element_type() == ov::element::boolean, "cond_jaxpr gives ",
                first.size(), " results where one boolean is expected");
    // A batched predicate (a vmapped while_loop, e.g. in jax.random.gamma): as JAX lowers
    // it, the loop runs while any element is true, and each iteration updates only the
    // carry elements (leading dims = the predicate's shape) whose predicate was true.
    const ov::PartialShape pred_shape = first[0].get_partial_shape();
    const auto pred_rank = static_cast<size_t>(pred_shape.rank().get_length());
    auto any = [&](const Output<ov::Node>& p) -> Output<ov::Node> {
        if (pred_rank == 0)
            return p;
        std::vector<int64_t> axes(pred_rank);
        for (size_t k = 0; k < axes.size(); ++k)
            axes[k] = static_cast<int64_t>(k);
        return std::make_shared<ov::op::v1::ReduceLogicalOr>(p, const_i64(axes), false)->output(0);
    };

    // A condition that folds to false before the first iteration: the loop never runs (and
    // OpenVINO's Loop fails to validate with a constant-false execution condition).
    const Output<ov::Node> start = any(first[0]);
    if (auto c = fold_constant(start, 8, 1); c && !c->cast_vector<char>().at(0))
        return carries;

    // body: new carries = body(bconsts, carries); go on = cond(cconsts, new carries)
    Invariants invariants;
    ov::OutputVector cc_in, bc_in;
    for (auto& o : cconsts)
        cc_in.push_back(loop_invariant(o, invariants));
    for (auto& o : bconsts)
        bc_in.push_back(loop_invariant(o, invariants));
    ov::ParameterVector carry_ps = params_like(carries);
    Shapes::Body scope(ctx.shapes());
    ov::OutputVector bin = bc_in;
    for (auto& p : carry_ps)
        bin.push_back(p->output(0));
    ov::OutputVector next = ctx.inline_graph(body_g, bin);
    check_same_results(ctx, as_outputs(carry_ps), next, "the carries and body_jaxpr");
    if (pred_rank > 0) {
        ov::OutputVector cin1 = cc_in;
        for (auto& p : carry_ps)
            cin1.push_back(p->output(0));
        auto pred = ctx.inline_graph(cond_g, cin1).at(0);
        for (size_t i = 0; i < m; ++i) {
            const auto& cs = carry_ps[i]->get_partial_shape();
            const auto cr = static_cast<size_t>(cs.rank().get_length());
            bool prefix = cr >= pred_rank;
            for (size_t d = 0; prefix && d < pred_rank; ++d)  // (a symbolic size: as JAX checked it)
                prefix = pred_shape[d].is_dynamic() || cs[d].is_dynamic() || pred_shape[d] == cs[d];
            OVJAX_CHECK(ctx, prefix, "while: batched predicate of shape ", pred_shape, " is not a prefix of carry ", i,
                        "'s shape ", cs);
            std::vector<int64_t> added;
            for (size_t d = pred_rank; d < cr; ++d)
                added.push_back(static_cast<int64_t>(d));
            Output<ov::Node> p = pred;
            if (!added.empty())
                p = pred_shape.is_static() && cs.is_static() ? reshape(pred,
                                                                       [&] {
                                                                           ov::Shape ps = pred_shape.to_shape();
                                                                           ps.resize(cr, 1);
                                                                           return ps;
                                                                       }())
                                                             : make<ov::op::v0::Unsqueeze>(pred, const_i64(added));
            next[i] = std::make_shared<ov::op::v1::Select>(p, next[i], carry_ps[i])->output(0);
        }
    }
    for (auto& o : next)
        o = unalias_carry(o);
    ov::OutputVector cin2 = cc_in;
    cin2.insert(cin2.end(), next.begin(), next.end());
    auto go_on = ctx.inline_graph(cond_g, cin2);
    ov::OutputVector body_outs = next;
    body_outs.push_back(any(go_on.at(0)));
    for (const auto& pair : scope.end())  // symbolic sizes the body reads
        invariants.push_back(pair);
    ov::ParameterVector all;
    for (auto& [p, outer] : invariants)
        all.push_back(p);
    all.insert(all.end(), carry_ps.begin(), carry_ps.end());
    auto body = make_body(body_outs, all);

    auto loop = std::make_shared<ov::op::v5::Loop>(const_scalar(ov::element::i64, -1), start);
    loop->set_function(body);
    loop->set_special_body_ports({-1, static_cast<int64_t>(m)});
    for (auto& [p, outer] : invariants)
        loop->set_invariant_input(p, outer);
    const auto& results = body->get_results();
    for (size_t i = 0; i < m; ++i)
        loop->set_merged_input(carry_ps[i], carries[i], results[i]);
    ov::OutputVector outs;
    for (size_t i = 0; i < m; ++i)
        outs.push_back(loop->get_iter_value(results[i], -1));
    loop->validate_and_infer_types();
    // A carry the body never reads (it only writes it): after zero iterations the CPU
    // plugin's Loop returns uninitialised memory for it instead of the initial value
    // (tests/upstream/cpu_loop_unread_carry.py), so zero iterations select the initial value.
    for (size_t i = 0; i < m; ++i)
        if (carry_ps[i]->output(0).get_target_inputs().empty())
            outs[i] = std::make_shared<ov::op::v1::Select>(start, outs[i], carries[i])->output(0);
    return outs;
}

// ---------------------------------------------------------------- scan

namespace {
// The scan length up to which scans are unrolled (the option scan_unroll; 0 keeps every
// scan a Loop), capped so that 64 times it stays an int64_t.
int64_t scan_unroll_budget(const Options& options) {
    return static_cast<int64_t>(std::min<uint64_t>(options.scan_unroll, uint64_t(INT64_MAX) / 64));
}

// Steps per Loop iteration of a scan that stays a Loop (the option scan_steps; 0: chosen
// by translate_scan; a value that does not divide the length means 1).
int64_t scan_steps_setting(const Options& options) {
    return static_cast<int64_t>(std::min<uint64_t>(options.scan_steps, uint64_t(INT64_MAX)));
}

// x with a new leading axis of 1 (a Reshape when static, as before; an Unsqueeze otherwise).
Output<ov::Node> lead1(const Output<ov::Node>& x) {
    if (x.get_partial_shape().is_dynamic())
        return make<ov::op::v0::Unsqueeze>(x, const_i64({0}));
    auto s = x.get_shape();
    s.insert(s.begin(), 1);
    return reshape(x, s);
}

// x ([n, skip - 1 more axes..., rest...]) as [length, rest...] (`length` of shape [1]), rest's
// sizes at run time.
Output<ov::Node> with_leading(const Output<ov::Node>& x, const Output<ov::Node>& length, int64_t skip) {
    auto shape = make<ov::op::v3::ShapeOf>(x, ov::element::i64);
    auto rest = slice(shape, {skip}, {INT64_MAX}, {1}, {0});
    return make<ov::op::v1::Reshape>(x, make<ov::op::v0::Concat>(ov::OutputVector{length, rest}, 0), false);
}

// `steps` steps of the scan body, inlined one after another from `carry` (updated to the
// last step's carries): step j reads each xs through take(x, j), and each step's ys are
// appended to `ys` with a leading axis of 1.
template <typename Take>
void scan_steps(const NodeContext& ctx, uint64_t g, int64_t steps, const ov::OutputVector& consts,
                ov::OutputVector& carry, const ov::OutputVector& xs, std::vector<ov::OutputVector>& ys, Take take) {
    const size_t nk = carry.size(), ny = ys.size();
    for (int64_t j = 0; j < steps; ++j) {
        ov::OutputVector body_in = consts;
        body_in.insert(body_in.end(), carry.begin(), carry.end());
        for (const auto& x : xs)
            body_in.push_back(take(x, j));
        ov::OutputVector outs = ctx.inline_graph(g, body_in);
        OVJAX_CHECK(ctx, outs.size() == nk + ny, "the scan body has ", outs.size(), " outputs, scan has ", nk + ny);
        check_same_results(ctx, carry, ov::OutputVector(outs.begin(), outs.begin() + static_cast<std::ptrdiff_t>(nk)),
                           "the carries and the scan body");
        carry.assign(outs.begin(), outs.begin() + static_cast<std::ptrdiff_t>(nk));
        for (size_t k = 0; k < ny; ++k)
            ys[k].push_back(lead1(outs[nk + k]));
    }
}

ov::OutputVector unrolled_scan(const NodeContext& ctx, uint64_t g, int64_t length, bool reverse, size_t nc, size_t nk,
                               size_t ny, const ov::OutputVector& ins) {
    const ov::OutputVector consts(ins.begin(), ins.begin() + nc), xs(ins.begin() + nc + nk, ins.end());
    ov::OutputVector carry(ins.begin() + nc, ins.begin() + nc + nk);
    std::vector<ov::OutputVector> ys(ny);
    scan_steps(ctx, g, length, consts, carry, xs, ys, [&](const Output<ov::Node>& x, int64_t step) {
        const int64_t t = reverse ? length - 1 - step : step;
        auto one = slice(x, {t}, {t + 1}, {1}, {0});
        if (x.get_partial_shape().is_dynamic())
            return make<ov::op::v0::Squeeze>(one, const_i64({0}));
        auto s = x.get_shape();
        s.erase(s.begin());
        return reshape(one, s);
    });
    ov::OutputVector r = carry;
    for (size_t k = 0; k < ny; ++k) {
        if (reverse)
            std::reverse(ys[k].begin(), ys[k].end());
        r.push_back(concat(ys[k], 0));
    }
    return r;
}
}  // namespace

uint64_t max_inlinings(const format::File& file, const format::Eqn& e, std::string_view prim, const Options& options) {
    if (prim == "while")
        return 3;  // the condition: before the loop, in the body, and the peeled first test
    if (prim != "scan")
        return 1;
    // translate_scan unrolls when `unroll` covers the length or the scan and its body are
    // short, and otherwise runs at most max(unroll, scan_steps, 4) steps per Loop
    // iteration.
    auto length = file.param(e, "length");
    auto body = file.param(e, "jaxpr");
    if (!length || length->tag() != format::ValueTag::integer || length->as_int() < 0 || !body ||
        body->tag() != format::ValueTag::graph)
        return 1;  // the translator rejects it
    const auto n = static_cast<uint64_t>(length->as_int());
    const uint64_t body_size = file.graph(body->as_graph()).eqns.size();
    uint64_t unroll = 1;
    if (auto u = file.param(e, "unroll"); u && u->tag() == format::ValueTag::integer && u->as_int() > 0)
        unroll = static_cast<uint64_t>(u->as_int());
    else if (u && u->tag() == format::ValueTag::boolean && u->as_bool())
        unroll = n;
    const auto budget = static_cast<uint64_t>(scan_unroll_budget(options));
    if (unroll >= n || (n <= budget && n * body_size <= 64 * budget))
        return std::max<uint64_t>(n, 1);
    const auto setting = static_cast<uint64_t>(scan_steps_setting(options));
    return std::min(std::max<uint64_t>({unroll, setting, 4}), n);
}

ov::OutputVector translate_scan(const NodeContext& ctx) {
    const uint64_t g = ctx.param("jaxpr").as_graph();
    const int64_t length_word = ctx.dims_param("length").at(0);  // a symbolic length: steps at run time
    const bool symbolic_length = format::is_symbolic_dim(length_word);
    const int64_t length = symbolic_length ? 1 : length_word;  // (symbolic: at least 1, as JAX's symbols)
    const bool reverse = ctx.bool_param("reverse");
    const auto nc = static_cast<size_t>(ctx.int_param("num_consts"));
    const auto nk = static_cast<size_t>(ctx.int_param("num_carry"));
    const ov::OutputVector ins = ctx.inputs();
    OVJAX_CHECK(ctx, nc + nk <= ins.size(), "scan has ", ins.size(), " operands, fewer than ", nc + nk);
    const size_t ny = ctx.num_outputs() - nk;
    OVJAX_CHECK(ctx, length >= 0, "negative scan length ", length);
    for (size_t i = nc + nk; i < ins.size(); ++i) {
        auto s = ctx.in_dims(i);
        OVJAX_CHECK(ctx, !s.empty() && s[0] == length_word, "xs operand ", i - nc - nk, " has shape ", ctx.in_pshape(i),
                    ", not a leading axis of length ", ctx.dim_text(length_word));
    }

    const auto& graph = ctx.file().graph(g);
    OVJAX_CHECK(ctx, graph.invars.size() == ins.size(), "the scan body takes ", graph.invars.size(),
                " inputs, scan has ", ins.size(), " operands");
    OVJAX_CHECK(ctx, graph.outvars.size() == nk + ny, "the scan body has ", graph.outvars.size(), " outputs, scan has ",
                nk + ny);

    const bool dynamic = std::any_of(ins.begin(), ins.end(),
                                     [](const Output<ov::Node>& o) { return o.get_partial_shape().is_dynamic(); });
    if (length_word == 0 && dynamic) {
        // no iteration, sizes at run time: the ys' step shapes are the body's on one step of
        // zeros (the body inlined for its shapes only), the ys zeros of [0, step...]
        ov::OutputVector step(ins.begin(), ins.begin() + nc + nk);
        for (size_t i = nc + nk; i < ins.size(); ++i) {
            auto shape = make<ov::op::v3::ShapeOf>(ins[i], ov::element::i64);
            step.push_back(make<ov::op::v3::Broadcast>(const_scalar(ins[i].get_element_type(), 0),
                                                       slice(shape, {1}, {INT64_MAX}, {1}, {0})));
        }
        auto body = ctx.inline_graph(g, step);
        OVJAX_CHECK(ctx, body.size() == nk + ny, "the scan body has ", body.size(), " outputs, scan has ", nk + ny);
        ov::OutputVector outs(ins.begin() + nc, ins.begin() + nc + nk);
        check_same_results(ctx, outs, ov::OutputVector(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(nk)),
                           "the carries and the scan body");
        for (size_t k = 0; k < ny; ++k) {
            auto shape = make<ov::op::v0::Concat>(
                ov::OutputVector{const_i64({0}), make<ov::op::v3::ShapeOf>(body[nk + k], ov::element::i64)}, 0);
            outs.push_back(make<ov::op::v3::Broadcast>(const_scalar(body[nk + k].get_element_type(), 0), shape));
        }
        return outs;
    }
    if (length_word == 0) {  // no iteration: the carries as they are, empty ys
        // the ys' avals are what one step would give: the body, translated on Parameters of
        // the operands' types and shapes (xs without their leading axis), and dropped
        ov::OutputVector step(ins.begin(), ins.begin() + nc + nk);
        for (size_t i = nc + nk; i < ins.size(); ++i) {
            auto s = ins[i].get_shape();
            s.erase(s.begin());
            step.push_back(std::make_shared<Parameter>(ins[i].get_element_type(), s));
        }
        auto ps = params_like(step);
        auto body = ctx.inline_graph(g, as_outputs(ps));
        OVJAX_CHECK(ctx, body.size() == nk + ny, "the scan body has ", body.size(), " outputs, scan has ", nk + ny);
        ov::OutputVector outs(ins.begin() + nc, ins.begin() + nc + nk);
        check_same_results(ctx, outs, ov::OutputVector(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(nk)),
                           "the carries and the scan body");
        for (size_t k = 0; k < ny; ++k) {
            auto s = body[nk + k].get_shape();
            s.insert(s.begin(), 0);
            outs.push_back(const_fill(body[nk + k].get_element_type(), s, 0));
        }
        return outs;
    }

    // Short scans are unrolled: the body inlined `length` times, so there is no Loop
    // overhead per step and the plugin fuses across steps (also when the jaxpr asks for
    // full unrolling). Bounded by the number of body equations copied. Longer scans run
    // `per_iter` steps per Loop iteration: the jaxpr's `unroll` when it divides the length,
    // else the option scan_steps, else 4 or 2 when they divide it and the body is small (at most
    // 64 equations copied). An LSTM over 64 steps measured 0.74x jax.jit with one step per
    // iteration, 0.84x with 2, 0.87-0.90x with 4, 0.84x with 8 (the CPU plugin's cost per
    // Loop iteration, not per body node, is what goes).
    const auto body_size = static_cast<int64_t>(graph.eqns.size());
    int64_t per_iter = 1;
    {
        int64_t unroll = 1;
        if (auto u = ctx.opt_param("unroll"); u && u->tag() == format::ValueTag::integer)
            unroll = u->as_int();
        else if (u && u->tag() == format::ValueTag::boolean && u->as_bool())
            unroll = length;
        const int64_t budget = scan_unroll_budget(ctx.options());
        if (!symbolic_length && (unroll >= length || (length <= budget && length * body_size <= 64 * budget)))
            return unrolled_scan(ctx, g, length, reverse, nc, nk, ny, ins);
        const int64_t setting = scan_steps_setting(ctx.options());
        if (symbolic_length)
            per_iter = 1;
        else if (unroll > 1 && length % unroll == 0)
            per_iter = unroll;
        else if (setting > 0)
            per_iter = length % setting == 0 ? setting : 1;
        else
            for (int64_t k : {4, 2})
                if (length % k == 0 && k * body_size <= 64) {
                    per_iter = k;
                    break;
                }
    }

    // Body parameters: consts as loop_invariant makes them, carries as the body's avals,
    // the iteration number. Each step's xs are Gathered from the whole (invariant) xs at
    // the step's index (length - 1 - t for a reverse scan) rather than fed as Loop sliced
    // inputs: on the 2026.4 CPU plugin, a sliced input added to a MatMul of a carry (an
    // LSTM gate, x_t + h @ U) reads wrong values from the second iteration on.
    // the length as a scalar: outside the body (the trip count) and inside (a reverse scan's
    // indices)
    const Output<ov::Node> outer_length =
        symbolic_length ? ctx.dim_scalar(length_word) : const_scalar(ov::element::i64, double(length));
    Invariants invariants;
    ov::OutputVector consts;
    for (size_t i = 0; i < nc; ++i)
        consts.push_back(loop_invariant(ins[i], invariants));
    ov::OutputVector xs;
    for (size_t i = nc + nk; i < ins.size(); ++i)
        xs.push_back(loop_invariant(ins[i], invariants));
    ov::ParameterVector carry_ps = params_like(ov::OutputVector(ins.begin() + nc, ins.begin() + nc + nk));
    ov::OutputVector carry;
    for (auto& p : carry_ps)
        carry.push_back(p->output(0));
    auto iter_p = std::make_shared<Parameter>(ov::element::i64, ov::PartialShape{});
    Shapes::Body scope(ctx.shapes());
    // step j of an iteration is t = iter * per_iter + j, taken from the end for a reverse scan
    ov::OutputVector ts;
    for (int64_t j = 0; j < per_iter; ++j) {
        Output<ov::Node> t = iter_p;
        if (per_iter > 1)
            t = add(mul(iter_p, const_scalar(ov::element::i64, double(per_iter))),
                    const_scalar(ov::element::i64, double(j)));
        if (reverse)
            t = sub(symbolic_length ? sub(ctx.dim_scalar(length_word), const_scalar(ov::element::i64, 1))
                                    : const_scalar(ov::element::i64, double(length - 1)),
                    t);
        ts.push_back(t);
    }
    std::vector<ov::OutputVector> ys(ny);
    scan_steps(ctx, g, per_iter, consts, carry, xs, ys, [&](const Output<ov::Node>& x, int64_t j) {
        return std::make_shared<ov::op::v8::Gather>(x, ts[static_cast<size_t>(j)], const_scalar(ov::element::i64, 0))
            ->output(0);
    });
    ov::OutputVector outs;
    for (size_t k = 0; k < nk; ++k)
        outs.push_back(unalias_carry(carry[k]));
    for (size_t k = 0; k < ny; ++k) {
        // [per_iter, ...] as [1, per_iter, ...]: the CPU plugin concatenates Loop outputs
        // of leading size 1 only; the [iterations, per_iter, ...] result is reshaped below
        if (ys[k].size() == 1) {
            outs.push_back(ys[k][0]);
            continue;
        }
        if (ys[k][0].get_partial_shape().is_dynamic()) {
            outs.push_back(lead1(make<ov::op::v0::Concat>(ys[k], 0)));
            continue;
        }
        auto s = ys[k][0].get_shape();
        s.insert(s.begin(), 1);
        s[1] = ys[k].size();
        outs.push_back(reshape(make<ov::op::v0::Concat>(ys[k], 0), s));
    }
    for (const auto& pair : scope.end())  // symbolic sizes the body reads
        invariants.push_back(pair);
    ov::ParameterVector loop_ps;
    for (auto& [p, outer] : invariants)
        loop_ps.push_back(p);
    loop_ps.insert(loop_ps.end(), carry_ps.begin(), carry_ps.end());
    loop_ps.push_back(iter_p);
    outs.push_back(Constant::create(ov::element::boolean, ov::Shape{}, {true}));
    auto body = make_body(outs, loop_ps);

    auto loop = std::make_shared<ov::op::v5::Loop>(
        symbolic_length ? outer_length : const_scalar(ov::element::i64, double(length / per_iter)),
        Constant::create(ov::element::boolean, ov::Shape{}, {true}));
    loop->set_function(body);
    loop->set_special_body_ports({static_cast<int64_t>(loop_ps.size() - 1), static_cast<int64_t>(nk + ny)});
    const auto& results = body->get_results();
    for (auto& [p, outer] : invariants)
        loop->set_invariant_input(p, outer);
    for (size_t i = 0; i < nk; ++i)
        loop->set_merged_input(carry_ps[i], ins[nc + i], results[i]);
    ov::OutputVector r;
    for (size_t i = 0; i < nk; ++i)
        r.push_back(loop->get_iter_value(results[i], -1));
    for (size_t k = 0; k < ny; ++k) {
        const auto& res = results[nk + k];
        r.push_back(loop->get_concatenated_slices(res, 0, 1, 1, -1, 0));
    }
    loop->validate_and_infer_types();
    for (size_t k = 0; k < ny; ++k) {
        // the ys' leading axis is the trip count: [length, one step's y...]
        if (ys[k][0].get_partial_shape().is_dynamic() || symbolic_length) {
            r[nk + k] = with_leading(r[nk + k], make<ov::op::v0::Unsqueeze>(outer_length, const_i64({0})),
                                     per_iter > 1 ? 2 : 1);
        } else {
            ov::Shape ys_shape = ys[k][0].get_shape();
            ys_shape[0] = static_cast<size_t>(length);
            if (r[nk + k].get_partial_shape().is_dynamic() || per_iter > 1)
                r[nk + k] = reshape(r[nk + k], ys_shape);
        }
        if (reverse)  // Loop concatenates forwards only
            r[nk + k] = rev0(r[nk + k]);
    }
    return r;
}

// platform_index: which of `platforms` (a tuple of platform-name tuples, None for the
// default) the program runs on. An OpenVINO model runs JAX's "cpu" branch: the index
// is a constant, and a cond on it keeps only that branch.
ov::OutputVector translate_platform_index(const NodeContext& ctx) {
    auto platforms = ctx.param("platforms");
    int64_t chosen = -1, fallback = -1;
    for (size_t i = 0; i < platforms.size() && chosen < 0; ++i) {
        auto ps = platforms.item(i);
        if (ps.is_none()) {
            fallback = static_cast<int64_t>(i);
            continue;
        }
        for (size_t j = 0; j < ps.size(); ++j)
            if (ps.item(j).tag() == format::ValueTag::string && ps.item(j).as_string() == "cpu")
                chosen = static_cast<int64_t>(i);
    }
    if (chosen < 0)
        chosen = fallback;
    OVJAX_CHECK(ctx, chosen >= 0, "no branch for platform 'cpu' and no default among ", platforms.describe());
    return {ov::op::v0::Constant::create(ov::element::i32, {}, {chosen})->output(0)};  // JAX's aval: int32[]
}

}  // namespace op
}  // namespace ovjax
