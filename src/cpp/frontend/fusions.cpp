// Fusions run by FrontEnd::normalize: rewrite the shapes JAX's nn functions take after
// translation into the OpenVINO ops the CPU plugin has fast kernels and further fusions
// for (Softmax -> MHA/SDPA, MVN, Gelu).
//
// JAX spells these functions out (jax.nn.softmax: exp(x - max) / sum; flax LayerNorm:
// E[x^2] - E[x]^2; gelu: 0.5 x (1 + tanh(...))) and ovjax's translators wrap some ops in
// NaN guards (Select(IsNaN(x), x, f(x))) so NaNs propagate as in JAX. OpenVINO's own
// fusion passes do not see through either, so these matchers do; each checks the whole
// pattern (same input, same axes, the constants) before it rewrites anything.
//
// Numerics: the fused ops compute the same functions in a different order (e.g. MVN's
// two-pass variance); results agree within float rounding. A NaN input row gives NaN in
// both. The option `fusions` (OVJAX_FUSIONS) turns the fusions off.
#include "frontend/fusions.hpp"

#include "frontend/graph_walk.hpp"
#include "frontend/provenance.hpp"
#include "ops/utils.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

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
#include "openvino/op/matmul.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/mish.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/mvn.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/power.hpp"
#include "openvino/op/reduce_max.hpp"
#include "openvino/op/reduce_mean.hpp"
#include "openvino/op/reduce_sum.hpp"
#include "openvino/op/reshape.hpp"
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

template <class T>
std::shared_ptr<T> as(const Output<Node>& o) {
    return ov::as_type_ptr<T>(o.get_node_shared_ptr());
}

// The value of a constant with all elements equal, if it is one.
std::optional<double> splat(const Output<Node>& o0) {
    // through Reshape/Broadcast of a constant (broadcast_in_dim of a literal)
    auto o = o0;
    while (as<v1::Reshape>(o) || as<v0::Squeeze>(o) || as<v0::Unsqueeze>(o) || as<v3::Broadcast>(o) ||
           as<v1::Broadcast>(o))
        o = o.get_node()->input_value(0);
    auto c = as<v0::Constant>(o);
    if (!c || ov::shape_size(c->get_shape()) == 0)
        return std::nullopt;
    auto v = c->cast_vector<double>();
    for (double e : v)
        if (e != v[0])
            return std::nullopt;
    return v[0];
}
bool is_splat(const Output<Node>& o, double want, double rtol = 1e-6) {
    auto v = splat(o);
    return v && (*v == want || std::abs(*v - want) <= rtol * std::abs(want) + 1e-30);
}

// x behind a NaN guard Select(IsNaN(x), x, f) -> f; anything else unchanged.
Output<Node> unguard(const Output<Node>& o) {
    if (auto s = as<v1::Select>(o)) {
        auto isnan = as<v10::IsNaN>(s->input_value(0));
        if (isnan && isnan->input_value(0) == s->input_value(1))
            return s->input_value(2);
    }
    return o;
}

// A broadcast_in_dim/expand_dims that only inserts size-1 axes (or any other reshape, which
// op::reshape() may build as a Squeeze) -> its input.
Output<Node> unreshape(const Output<Node>& o) {
    if (as<v1::Reshape>(o) || as<v0::Unsqueeze>(o) || as<v0::Squeeze>(o)) {
        auto in = o.get_node()->input_value(0);
        if (ov::shape_size(in.get_shape()) == ov::shape_size(o.get_shape()))
            return in;
    }
    return o;
}

// max(x, 0) as translated: Select(LessEqual(x, 0), 0, x) (elementwise.cpp's extremum), or
// a guarded Maximum -> x.
std::optional<Output<Node>> match_max_zero(const Output<Node>& o) {
    if (auto s = as<v1::Select>(o)) {
        auto le = as<v1::LessEqual>(s->input_value(0));
        if (le && le->input_value(0) == s->input_value(2) && is_splat(le->input_value(1), 0.0) &&
            is_splat(s->input_value(1), 0.0))
            return s->input_value(2);
    }
    if (auto mx = as<v1::Maximum>(unguard(o)))
        for (int j = 0; j < 2; ++j)
            if (is_splat(mx->input_value(1 - j), 0.0))
                return mx->input_value(j);
    return std::nullopt;
}

// Constant reduction axes of a reduce node, normalised and sorted.
std::optional<std::vector<int64_t>> axes_of(const std::shared_ptr<Node>& r) {
    auto c = ov::as_type_ptr<v0::Constant>(r->input_value(1).get_node_shared_ptr());
    if (!c)
        return std::nullopt;
    auto ax = c->cast_vector<int64_t>();
    auto rank = static_cast<int64_t>(r->get_input_shape(0).size());
    for (auto& a : ax)
        a = a < 0 ? a + rank : a;
    std::sort(ax.begin(), ax.end());
    return ax;
}

// mean(x) over axes: ReduceMean, ReduceSum / N or ReduceSum * (1/N), with the size-1
// axes re-inserted or not. Returns (x, axes).
std::optional<std::pair<Output<Node>, std::vector<int64_t>>> match_mean(const Output<Node>& o0) {
    auto o = unreshape(o0);
    if (auto m = as<v1::ReduceMean>(o)) {
        if (auto ax = axes_of(m))
            return std::make_pair(m->input_value(0), *ax);
        return std::nullopt;
    }
    std::shared_ptr<v1::ReduceSum> sum;
    double factor = 0;
    if (auto d = as<v1::Divide>(o)) {
        sum = as<v1::ReduceSum>(unreshape(d->input_value(0)));  // jnp.mean(keepdims=True) divides after
        if (auto n = splat(d->input_value(1)))
            factor = 1.0 / *n;
    } else if (auto m = as<v1::Multiply>(o)) {
        for (int i = 0; i < 2 && !sum; ++i) {
            sum = as<v1::ReduceSum>(unreshape(m->input_value(i)));
            if (auto n = splat(m->input_value(1 - i)))
                factor = *n;
        }
    }
    if (!sum)
        return std::nullopt;
    auto ax = axes_of(sum);
    if (!ax)
        return std::nullopt;
    double n = 1;
    for (auto a : *ax)
        n *= static_cast<double>(sum->get_input_shape(0)[static_cast<size_t>(a)]);
    if (std::abs(factor * n - 1.0) > 1e-6)
        return std::nullopt;
    return std::make_pair(sum->input_value(0), *ax);
}

// x*x (JAX's square / integer_pow 2), Power(x, 2) or SquaredDifference's operands.
std::optional<Output<Node>> match_square(const Output<Node>& o) {
    if (auto m = as<v1::Multiply>(o))
        if (m->input_value(0) == m->input_value(1))
            return m->input_value(0);
    if (auto p = as<v1::Power>(o))
        if (is_splat(p->input_value(1), 2.0))
            return p->input_value(0);
    return std::nullopt;
}

// x^3 as x*x*x in any association, or Power(x, 3).
std::optional<Output<Node>> match_cube(const Output<Node>& o) {
    if (auto p = as<v1::Power>(o))
        if (is_splat(p->input_value(1), 3.0))
            return p->input_value(0);
    if (auto m = as<v1::Multiply>(o)) {
        for (int i = 0; i < 2; ++i) {
            auto sq = match_square(m->input_value(i));
            if (sq && *sq == m->input_value(1 - i))
                return *sq;
        }
    }
    return std::nullopt;
}

// The factors of a product tree (Multiply nodes with one consumer below the root,
// division by a constant as a factor 1/c).
void product_factors(const Output<Node>& o, bool root, std::vector<Output<Node>>& out) {
    auto node = o.get_node_shared_ptr();
    bool inner_ok = root || o.get_target_inputs().size() == 1;
    if (inner_ok) {
        if (auto m = ov::as_type_ptr<v1::Multiply>(node)) {
            product_factors(m->input_value(0), false, out);
            product_factors(m->input_value(1), false, out);
            return;
        }
        if (auto d = ov::as_type_ptr<v1::Divide>(node)) {
            if (auto c = splat(d->input_value(1))) {
                product_factors(d->input_value(0), false, out);
                out.push_back(op::const_scalar(d->get_output_element_type(0), 1.0 / *c));  // x / 0: an infinity
                return;
            }
        }
    }
    out.push_back(o);
}

// The top of the chain of single-consumer Multiply nodes above `o`.
Output<Node> product_root(Output<Node> o) {
    while (o.get_target_inputs().size() == 1) {
        auto consumer = o.get_target_inputs().begin()->get_node()->shared_from_this();
        bool mul = ov::is_type<v1::Multiply>(consumer);
        bool div_by_const = ov::is_type<v1::Divide>(consumer) && splat(consumer->input_value(1)).has_value() &&
                            consumer->input_value(0) == o;
        if (!mul && !div_by_const)
            break;
        o = consumer->output(0);
    }
    return o;
}

// Build the product of `factors` (left to right).
Output<Node> product(const std::vector<Output<Node>>& factors) {
    Output<Node> r = factors[0];
    for (size_t i = 1; i < factors.size(); ++i)
        r = std::make_shared<v1::Multiply>(r, factors[i]);
    return r;
}

void replace(Output<Node> old_out, const Output<Node>& new_out) {
    take_provenance(*new_out.get_node(), *old_out.get_node());
    adopt_provenance(new_out, *old_out.get_node());  // the Softmax, MVN, ... inside
    old_out.replace(new_out);
}

// ---------------------------------------------------------------- softmax
// JAX's softmax of a row holding NaN or +inf, or only -inf, is all NaN (its max is NaN or
// an infinity, so x - max is NaN); OpenVINO's Softmax gives NaN only at some positions of
// such a row (e.g. [nan nan 0 0 0 0 0 nan]), but always at one at least: a NaN or +inf
// makes x - max NaN there, and a row of -inf divides 0 by 0. Every other row has finite
// values in [0, 1]. So y + ReduceSum(y, axis) * 0 is y on ordinary rows and all NaN on
// those: one more reduction over the output (the plugin keeps the * 0, which is not an
// identity for NaN and infinities).
Output<Node> nan_row_guard(const Output<Node>& y, int64_t axis) {
    auto t = y.get_element_type();
    auto sum = std::make_shared<v1::ReduceSum>(y, v0::Constant::create(ov::element::i64, {1}, {axis}), true);
    auto nan_or_zero = std::make_shared<v1::Multiply>(sum, op::const_scalar(t, 0.0));
    return std::make_shared<v1::Add>(y, nan_or_zero)->output(0);
}
// The guarded value of a nan_row_guard output (its only consumer), or nullptr.
std::shared_ptr<Node> nan_row_guard_of(const Output<Node>& y) {
    std::shared_ptr<Node> add, sum;
    for (const auto& in : y.get_target_inputs()) {
        auto n = in.get_node()->shared_from_this();
        if (ov::is_type<v1::Add>(n))
            add = n;
        else if (ov::is_type<v1::ReduceSum>(n))
            sum = n;
    }
    if (!add || !sum || y.get_target_inputs().size() != 2 || add->input_value(0) != y)
        return nullptr;
    auto m = as<v1::Multiply>(add->input_value(1));
    if (!m || m->input_value(0) != sum->output(0) || !is_splat(m->input_value(1), 0.0))
        return nullptr;
    return add;
}

// exp(x - m) / sum(exp(x - m), axis) -> Softmax(x, axis), for any m that is constant
// along the axis (the quotient does not depend on m; JAX's m is the row max, which ovjax
// wraps in NaN/infinity fix-ups that need not be matched).
bool fuse_softmax(const std::shared_ptr<Node>& node) {
    auto div = ov::as_type_ptr<v1::Divide>(node);
    if (!div)
        return false;
    auto e = div->input_value(0);
    auto sum = as<v1::ReduceSum>(unreshape(div->input_value(1)));
    if (!sum || sum->input_value(0) != e)
        return false;
    auto exp = as<v0::Exp>(unguard(e));
    if (!exp)
        return false;
    auto sub = as<v1::Subtract>(exp->input_value(0));
    if (!sub)
        return false;
    auto x = sub->input_value(0);
    auto ax = axes_of(sum);
    if (!ax || ax->size() != 1 || x.get_partial_shape().is_dynamic() || sub->get_input_partial_shape(1).is_dynamic() ||
        div->get_output_shape(0) != x.get_shape() || sub->get_output_shape(0) != x.get_shape())
        return false;
    auto axis = static_cast<size_t>((*ax)[0]);
    auto mshape = sub->get_input_shape(1);
    bool constant_along_axis = ov::shape_size(mshape) == 1 ||
                               (mshape.size() == x.get_shape().size() && mshape[axis] == 1);
    if (!constant_along_axis)
        return false;
    auto sm = std::make_shared<v8::Softmax>(x, (*ax)[0]);
    replace(div->output(0), nan_row_guard(sm->output(0), (*ax)[0]));
    return true;
}

// ---------------------------------------------------------------- gelu
// x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))  -> Gelu(x, tanh)
// x * 0.5 * (1 + erf(x / sqrt(2)))                        -> Gelu(x, erf)
// x / sqrt(2) or x * (1 / sqrt(2)) -> x
std::optional<Output<Node>> match_over_sqrt2(const Output<Node>& o) {
    if (auto m = as<v1::Multiply>(o)) {
        for (int i = 0; i < 2; ++i)
            if (is_splat(m->input_value(i), 0.7071067811865476, 1e-5))
                return m->input_value(1 - i);
    } else if (auto d = as<v1::Divide>(o)) {
        if (is_splat(d->input_value(1), 1.4142135623730951, 1e-5))
            return d->input_value(0);
    }
    return std::nullopt;
}

// The single consumer of a node's output, if it has exactly one.
std::shared_ptr<Node> only_consumer(const Output<Node>& o) {
    auto targets = o.get_target_inputs();
    if (targets.size() != 1)
        return nullptr;
    return targets.begin()->get_node()->shared_from_this();
}

// Gelu(x, mode). The CPU plugin's erf Gelu of +inf is NaN where JAX's x * erfc(-x / sqrt 2) / 2
// is +inf, so +inf selects x (measured; its tanh Gelu gives +inf, and -inf and NaN give NaN
// in all forms, as in JAX).
Output<Node> gelu(const Output<Node>& x, GeluApproximationMode mode) {
    Output<Node> g = std::make_shared<v7::Gelu>(x, mode)->output(0);
    if (mode != GeluApproximationMode::ERF)
        return g;
    auto inf = std::make_shared<v1::Equal>(x, op::const_scalar(x.get_element_type(), INFINITY));
    return std::make_shared<v1::Select>(inf, x, g)->output(0);
}
// The Select of a guarded gelu(x) when it and its Gelu and Equal are all x's consumers.
std::shared_ptr<Node> gelu_guard_of(const Output<Node>& x) {
    std::shared_ptr<Node> sel;
    for (const auto& in : x.get_target_inputs())
        if (ov::is_type<v1::Select>(in.get_node()))
            sel = in.get_node()->shared_from_this();
    if (!sel || x.get_target_inputs().size() != 3 || sel->input_value(1) != x)
        return nullptr;
    auto eq = as<v1::Equal>(sel->input_value(0));
    auto g = as<v7::Gelu>(sel->input_value(2));
    if (!eq || !g || eq->input_value(0) != x || g->input_value(0) != x || !is_splat(eq->input_value(1), INFINITY))
        return nullptr;
    return sel;
}

// Replace the product around `inner` (whose factors must be exactly x, inner and
// constants multiplying to 0.5, possibly times other factors) by Gelu(x) * others.
bool replace_gelu_product(const Output<Node>& inner, const Output<Node>& x, GeluApproximationMode mode) {
    auto root = product_root(inner);
    std::vector<Output<Node>> factors, rest;
    product_factors(root, true, factors);
    bool seen_x = false, seen_inner = false;
    double scale = 1.0;
    for (auto& f : factors) {
        if (!seen_x && f == x)
            seen_x = true;
        else if (!seen_inner && f == inner)
            seen_inner = true;
        else if (auto c = splat(f); c && ov::shape_size(f.get_shape()) == 1)
            scale *= *c;
        else
            rest.push_back(f);
    }
    if (!seen_x || !seen_inner || scale == 0.0 || root.get_shape() != x.get_shape())
        return false;
    Output<Node> g = gelu(x, mode);
    if (std::abs(scale - 0.5) > 1e-7)
        rest.push_back(v0::Constant::create(x.get_element_type(), {}, {scale / 0.5}));
    rest.insert(rest.begin(), g);
    auto out = product(rest);
    if (out.get_shape() != root.get_shape())
        return false;
    replace(root, out);
    return true;
}

// x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))  -> Gelu(x, tanh)
// x * 0.5 * (1 + erf(x / sqrt(2)))                        -> Gelu(x, erf)
// x * erfc(-x / sqrt(2)) / 2 (jax.nn.gelu(approximate=False), erfc as ovjax builds it)
bool fuse_gelu(const std::shared_ptr<Node>& node) {
    if (auto t = ov::as_type_ptr<v0::Tanh>(node)) {
        // sqrt(2/pi) * (x + 0.044715 x^3), in either operand order
        std::optional<Output<Node>> x;
        auto m = as<v1::Multiply>(t->input_value(0));
        if (!m)
            return false;
        for (int i = 0; i < 2 && !x; ++i) {
            if (!is_splat(m->input_value(i), 0.7978845608028654, 1e-5))
                continue;
            auto a = as<v1::Add>(m->input_value(1 - i));
            if (!a)
                continue;
            for (int j = 0; j < 2 && !x; ++j) {
                auto cm = as<v1::Multiply>(a->input_value(1 - j));
                if (!cm)
                    continue;
                for (int k = 0; k < 2 && !x; ++k) {
                    auto cube = match_cube(cm->input_value(1 - k));
                    if (is_splat(cm->input_value(k), 0.044715, 1e-5) && cube && *cube == a->input_value(j))
                        x = a->input_value(j);
                }
            }
        }
        auto plus = only_consumer(t->output(0));
        if (!x || !plus || !ov::is_type<v1::Add>(plus))
            return false;
        int fi = plus->input_value(0).get_node() == node.get() ? 0 : 1;
        if (!is_splat(plus->input_value(1 - fi), 1.0))
            return false;
        return replace_gelu_product(plus->output(0), *x, GeluApproximationMode::TANH);
    }
    auto erf = ov::as_type_ptr<v0::Erf>(node);
    if (!erf)
        return false;
    auto z = erf->input_value(0);
    auto user = only_consumer(erf->output(0));
    if (!user)
        return false;
    if (ov::is_type<v1::Add>(user)) {  // 1 + erf(x / sqrt 2)
        int fi = user->input_value(0).get_node() == node.get() ? 0 : 1;
        auto x = match_over_sqrt2(z);
        if (!x || !is_splat(user->input_value(1 - fi), 1.0))
            return false;
        return replace_gelu_product(user->output(0), *x, GeluApproximationMode::ERF);
    }
    // erfc(z) = Select(|z| < 1, 1 - erf(z), tail(z)), z = -x / sqrt 2
    auto near = ov::as_type_ptr<v1::Subtract>(user);
    if (!near || near->input_value(1) != erf->output(0) || !is_splat(near->input_value(0), 1.0))
        return false;
    auto sel = ov::as_type_ptr<v1::Select>(only_consumer(near->output(0)));
    if (!sel || sel->input_value(1) != near->output(0))
        return false;
    auto less = as<v1::Less>(sel->input_value(0));
    if (!less || !is_splat(less->input_value(1), 1.0))
        return false;
    auto abs = less->input_value(0).get_node();
    if (abs->get_type_name() != std::string("Abs") || abs->input_value(0) != z)
        return false;
    auto neg_x = match_over_sqrt2(z);
    if (!neg_x)
        return false;
    auto neg = as<v0::Negative>(*neg_x);
    if (!neg)
        return false;
    return replace_gelu_product(sel->output(0), neg->input_value(0), GeluApproximationMode::ERF);
}

// ---------------------------------------------------------------- layer norm
// (x - mean(x)) * rsqrt(var(x) + eps) [* more factors], var as mean((x - mean)^2) or as
// max(mean(x^2) - mean(x)^2, 0) (flax) -> MVN(x, axes, eps inside the sqrt) [* factors]
bool fuse_mvn(const std::shared_ptr<Node>& node) {
    auto sqrt = ov::as_type_ptr<v0::Sqrt>(node);
    if (!sqrt)
        return false;
    auto add = as<v1::Add>(sqrt->input_value(0));
    if (!add)
        return false;
    for (int i = 0; i < 2; ++i) {
        auto eps = splat(add->input_value(1 - i));
        if (!eps || *eps < 0 || ov::shape_size(add->get_input_shape(1 - i)) != 1)
            continue;
        auto var = unguard(unreshape(add->input_value(i)));
        // the flax form's max(v, 0)
        if (auto v = match_max_zero(var))
            var = *v;
        // var -> (x, axes)
        std::optional<Output<Node>> x;
        std::vector<int64_t> axes;
        if (auto m = match_mean(var)) {
            auto [sq_in, ax] = *m;
            auto centred = match_square(sq_in);
            if (centred) {
                if (auto sub = as<v1::Subtract>(*centred)) {
                    auto mm = match_mean(sub->input_value(1));
                    if (mm && mm->first == sub->input_value(0) && mm->second == ax) {
                        x = sub->input_value(0);
                        axes = ax;
                    }
                }
            }
        } else if (auto sd = as<v1::Subtract>(var)) {
            auto m2 = match_mean(sd->input_value(0));
            auto sq = match_square(sd->input_value(1));
            if (m2 && sq) {
                auto x2 = match_square(m2->first);
                auto m1 = match_mean(*sq);
                if (x2 && m1 && m1->first == *x2 && m1->second == m2->second) {
                    x = *x2;
                    axes = m1->second;
                }
            }
        }
        if (!x || x->get_partial_shape().is_dynamic())
            return false;
        // rsqrt: 1 / sqrt(...)
        auto d = ov::as_type_ptr<v1::Divide>(only_consumer(sqrt->output(0)));
        if (!d || d->input_value(1) != sqrt->output(0) || !is_splat(d->input_value(0), 1.0))
            return false;
        // the product (x - mean) * rsqrt * factors
        auto root = product_root(d->output(0));
        std::vector<Output<Node>> factors, rest;
        product_factors(root, true, factors);
        bool seen_inv = false, seen_centred = false;
        for (auto& f : factors) {
            auto sub = as<v1::Subtract>(f);
            if (!seen_inv && f == d->output(0)) {
                seen_inv = true;
            } else if (!seen_centred && sub && sub->input_value(0) == *x) {
                auto mm = match_mean(sub->input_value(1));
                if (mm && mm->first == *x && mm->second == axes)
                    seen_centred = true;
                else
                    rest.push_back(f);
            } else {
                rest.push_back(f);
            }
        }
        if (!seen_inv || !seen_centred || root.get_shape() != x->get_shape())
            return false;
        auto mvn = std::make_shared<v6::MVN>(*x, v0::Constant::create(ov::element::i64, {axes.size()}, axes), true,
                                             static_cast<float>(*eps), MVNEpsMode::INSIDE_SQRT);
        rest.insert(rest.begin(), mvn->output(0));
        auto out = product(rest);
        if (out.get_shape() != root.get_shape())
            return false;
        replace(root, out);
        return true;
    }
    return false;
}

// ---------------------------------------------------------------- attention
// MatMul(Softmax(MatMul(q, k^T) [+ mask]), v) -> ScaledDotProductAttention(q, k, v, mask,
// scale 1), also when the second product is spelled v^T . p^T (flax's einsum order).
Output<Node> swap_last_two(const Output<Node>& x) {
    auto r = x.get_shape().size();
    std::vector<int64_t> perm(r);
    for (size_t i = 0; i < r; ++i)
        perm[i] = static_cast<int64_t>(i);
    std::swap(perm[r - 1], perm[r - 2]);
    return std::make_shared<v1::Transpose>(x, v0::Constant::create(ov::element::i64, {r}, perm))->output(0);
}

bool fuse_sdpa(const std::shared_ptr<Node>& node) {
    auto sm = ov::as_type_ptr<v8::Softmax>(node);
    if (!sm || sm->get_output_partial_shape(0).is_dynamic())
        return false;
    const auto rank = sm->get_output_shape(0).size();
    auto axis = sm->get_axis();
    if (rank < 3 || (axis != -1 && axis != static_cast<int64_t>(rank) - 1))
        return false;
    auto w = sm->input_value(0);
    std::optional<Output<Node>> mask;
    if (auto sel = as<v1::Select>(w)) {
        // where(mask, w, big_neg): the same softmax as w + where(mask, 0, big_neg) for a
        // big_neg below -1e30 (w + big_neg rounds to big_neg)
        for (int i = 1; i <= 2 && !mask; ++i) {
            auto c = splat(sel->input_value(3 - i));
            if (!c || *c > -1e30 || !as<v0::MatMul>(sel->input_value(i)) ||
                sel->get_output_shape(0) != sel->get_input_shape(i))
                continue;
            auto t = sel->get_output_element_type(0);
            auto zero = op::const_scalar(t, 0.0);
            auto neg = op::const_scalar(t, *c);  // -inf too (Constant::create rejects it)
            mask = i == 1 ? std::make_shared<v1::Select>(sel->input_value(0), zero, neg)->output(0)
                          : std::make_shared<v1::Select>(sel->input_value(0), neg, zero)->output(0);
            w = sel->input_value(i);
        }
        if (!mask)
            return false;
    } else if (auto a = as<v1::Add>(w)) {
        for (int i = 0; i < 2 && !mask; ++i)
            if (as<v0::MatMul>(a->input_value(i)) && a->get_output_shape(0) == a->get_input_shape(i)) {
                mask = a->input_value(1 - i);
                w = a->input_value(i);
            }
        if (!mask)
            return false;
    }
    auto qk = as<v0::MatMul>(w);
    if (!qk || qk->get_transpose_a() || w.get_target_inputs().size() != 1)
        return false;
    auto q = qk->input_value(0);
    auto k = qk->get_transpose_b() ? qk->input_value(1) : swap_last_two(qk->input_value(1));
    if (q.get_shape().size() != rank || k.get_shape().size() != rank || q.get_element_type() != sm->get_output_element_type(0))
        return false;
    // fuse_softmax's guard for non-finite rows goes with the Softmax: the attention kernel
    // keeps a NaN (or +inf) score row NaN in the output row on its own
    Output<Node> p = sm->output(0);
    if (auto guard = nan_row_guard_of(p))
        p = guard->output(0);
    auto m2 = ov::as_type_ptr<v0::MatMul>(only_consumer(p));
    if (!m2)
        return false;
    Output<Node> v;
    bool transposed_out;
    if (m2->input_value(0) == p && !m2->get_transpose_a()) {
        v = m2->get_transpose_b() ? swap_last_two(m2->input_value(1)) : m2->input_value(1);
        transposed_out = false;
    } else if (m2->input_value(1) == p && m2->get_transpose_b()) {
        v = m2->get_transpose_a() ? m2->input_value(0) : swap_last_two(m2->input_value(0));
        transposed_out = true;
    } else {
        return false;
    }
    // identical batch dimensions, q/k depth equal
    auto qs = q.get_shape(), ks = k.get_shape(), vs = v.get_shape();
    if (vs.size() != rank || qs[rank - 1] != ks[rank - 1] || ks[rank - 2] != vs[rank - 2])
        return false;
    for (size_t i = 0; i + 2 < rank; ++i)
        if (qs[i] != ks[i] || qs[i] != vs[i])
            return false;
    auto t = q.get_element_type();
    Output<Node> m = mask ? *mask : v0::Constant::create(t, {}, {0.0})->output(0);
    if (m.get_element_type() != t)
        return false;
    auto scale = v0::Constant::create(t, {}, {1.0});
    Output<Node> out = std::make_shared<v13::ScaledDotProductAttention>(q, k, v, m, scale, false)->output(0);
    if (transposed_out)
        out = swap_last_two(out);
    if (out.get_shape() != m2->get_output_shape(0))
        return false;
    replace(m2->output(0), out);
    return true;
}

// Several MatMuls of one value with small constant weights (an LSTM's four gates, of the
// input and of the carried state): one MatMul with the weights side by side, then a
// VariadicSplit. Each MatMul is a separate plugin node with a fixed cost per run, which
// dominates small products (a scan body runs them once per step). Only small weights are
// joined (the copy is made once; large products are compute-bound anyway).
bool join_matmuls(const Output<Node>& o, bool tb);

bool fuse_parallel_matmuls(const std::shared_ptr<Node>& node) {
    bool a = join_matmuls(node->output(0), false);
    bool b = join_matmuls(node->output(0), true);
    return a || b;
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
    std::sort(mms.begin(), mms.end(), [](const auto& a, const auto& b) {
        return a->get_instance_id() < b->get_instance_id();
    });
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
    auto joined = std::make_shared<v0::Constant>(first->get_element_type(),
                                                 tb ? ov::Shape{n_total, k} : ov::Shape{k, n_total});
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
    std::vector<int64_t> lengths(ns.begin(), ns.end());
    auto split = std::make_shared<v1::VariadicSplit>(
        mm, v0::Constant::create(ov::element::i64, ov::Shape{}, {-1}),
        v0::Constant::create(ov::element::i64, ov::Shape{lengths.size()}, lengths));
    // named after the first MatMul, with the sources of all
    take_provenance(*mm, *mms[0]);
    mm->get_rt_info()[kSourceKey] = SourceAttribute().merge(ov::NodeVector(mms.begin(), mms.end()));
    name_built(split->output(0), *mm, "VariadicSplit");
    name_after(*joined, *mm);
    for (size_t i = 0; i < mms.size(); ++i)
        mms[i]->output(0).replace(split->output(i));
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
bool is_chain_elementwise(const std::shared_ptr<Node>& n) {
    return ov::is_type<ov::op::util::UnaryElementwiseArithmetic>(n) ||
           ov::is_type<ov::op::util::BinaryElementwiseArithmetic>(n) || ov::is_type<v0::Convert>(n);
}

bool is_dense_matmul(const std::shared_ptr<Node>& n, const Output<Node>& in) {
    auto mm = ov::as_type_ptr<v0::MatMul>(n);
    return mm && !mm->get_transpose_a() && mm->input_value(0) == in && as<v0::Constant>(mm->input_value(1)) &&
           mm->get_input_partial_shape(1).rank().get_length() == 2 && mm->get_output_partial_shape(0).is_static() &&
           mm->get_output_shape(0).size() == 2;
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
bool is_activation(const std::shared_ptr<Node>& n) {
    return ov::is_type<ov::op::util::UnaryElementwiseArithmetic>(n) || ov::is_type<v4::Swish>(n) ||
           ov::is_type<v4::HSwish>(n) || ov::is_type<v4::Mish>(n) || ov::is_type<v4::SoftPlus>(n);
}

bool split_activation_from_matmul(const std::shared_ptr<Node>& node) {
    auto mm = ov::as_type_ptr<v0::MatMul>(node);
    if (!mm || !as<v0::Constant>(mm->input_value(1)) || !mm->get_output_element_type(0).is_real() ||
        mm->get_output_partial_shape(0).is_dynamic() || mm->get_output_shape(0).size() < 2)
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

void run(const std::shared_ptr<ov::Model>& model) {
    // bodies of Loop/If first, then this graph; each rule sees each node once
    for_each_body(model, run);
    for (auto rule : {fuse_softmax, fuse_gelu, fuse_mvn, fuse_sdpa, fuse_parallel_matmuls,
                      split_activation_from_matmul, lift_dense_chain}) {
        for (const auto& op : model->get_ordered_ops())
            if (op->get_output_size() == 1 && !op->get_output_target_inputs(0).empty())  // not replaced already
                rule(op);
    }
}

}  // namespace

void apply_fusions(const std::shared_ptr<ov::Model>& model) {
    run(model);
}

}  // namespace ovjax
