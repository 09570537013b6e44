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
#include "frontend/layout.hpp"
#include "frontend/pattern.hpp"
#include "frontend/provenance.hpp"
#include "ops/utils.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include "openvino/core/symbol.hpp"
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
#include "openvino/op/is_finite.hpp"
#include "openvino/op/is_inf.hpp"
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
#include "openvino/op/shape_of.hpp"
#include "openvino/op/gather.hpp"
#include "openvino/op/concat.hpp"
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
#include "openvino/op/util/binary_elementwise_comparison.hpp"
#include "openvino/op/util/binary_elementwise_logical.hpp"
#include "openvino/op/util/multi_subgraph_base.hpp"
#include "openvino/op/util/unary_elementwise_arithmetic.hpp"
#include "openvino/op/variadic_split.hpp"
#include "openvino/pass/constant_folding.hpp"

namespace ovjax {
namespace {

using ov::Node;
using ov::Output;
using namespace ov::op;
using pattern::as;

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

// The argument of an exp as op::exp_ builds it: Exp(a), Select(IsNaN(a), a, Exp(a)), or with
// its range extension Select(IsNaN(a), a, Select(c, Exp(Select(c, a - 1, a)) * e, Exp(..))).
// An empty Output otherwise.
Output<Node> exp_argument(const Output<Node>& o) {
    if (auto e = as<v0::Exp>(o))
        return e->input_value(0);
    auto s = as<v1::Select>(o);
    auto isnan = s ? as<v10::IsNaN>(s->input_value(0)) : nullptr;
    if (!isnan || isnan->input_value(0) != s->input_value(1))
        return {};
    auto a = s->input_value(1);
    auto inner = s->input_value(2);
    if (auto e = as<v0::Exp>(inner))
        return e->input_value(0) == a ? a : Output<Node>{};
    auto range = as<v1::Select>(inner);
    auto r = range ? as<v0::Exp>(range->input_value(2)) : nullptr;
    auto shifted = r ? as<v1::Select>(r->input_value(0)) : nullptr;
    auto minus_one = shifted ? as<v1::Subtract>(shifted->input_value(1)) : nullptr;
    if (!minus_one || minus_one->input_value(0) != a || shifted->input_value(2) != a)
        return {};
    return a;
}

// A broadcast_in_dim/expand_dims that only inserts size-1 axes (or any other reshape, which
// op::reshape() may build as a Squeeze) -> its input.
Output<Node> unreshape(const Output<Node>& o) {
    if (as<v1::Reshape>(o) || as<v0::Unsqueeze>(o) || as<v0::Squeeze>(o)) {
        auto in = o.get_node()->input_value(0);
        // the same dims once size-1 axes are dropped
        auto squeezed = [](const ov::PartialShape& s) {
            std::vector<ov::Dimension> d;
            for (const auto& x : s)
                if (!(x.is_static() && x.get_length() == 1))
                    d.push_back(x);
            return ov::PartialShape(d);
        };
        const auto &a = in.get_partial_shape(), &b = o.get_partial_shape();
        if (a.is_static() && b.is_static()
                ? ov::shape_size(a.to_shape()) == ov::shape_size(b.to_shape())
                : a.rank().is_static() && b.rank().is_static() && same_shape(squeezed(a), squeezed(b)))
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
    auto rank = rank_of(r->input_value(0));
    if (rank < 0)
        return std::nullopt;
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
    for (auto a : *ax) {
        const auto& d = sum->get_input_partial_shape(0)[static_cast<size_t>(a)];
        if (d.is_dynamic())  // a mean over a symbolic axis divides by its size at run time
            return std::nullopt;
        n *= static_cast<double>(d.get_length());
    }
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
    auto arg = exp_argument(e);
    if (!arg.get_node())
        return false;
    auto sub = as<v1::Subtract>(arg);
    if (!sub)
        return false;
    auto x = sub->input_value(0);
    auto ax = axes_of(sum);
    if (!ax || ax->size() != 1 || rank_of(x) < 0 || rank_of(sub->input_value(1)) < 0 ||
        !same_shape(div->output(0), x) || !same_shape(sub->output(0), x))
        return false;
    auto axis = static_cast<size_t>((*ax)[0]);
    const auto& mshape = sub->get_input_partial_shape(1);
    bool constant_along_axis =
        (mshape.is_static() && ov::shape_size(mshape.to_shape()) == 1) ||
        (rank_of(sub->input_value(1)) == rank_of(x) && mshape[axis].is_static() && mshape[axis].get_length() == 1);
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
        else if (auto c = splat(f); c && f.get_partial_shape().is_static() && ov::shape_size(f.get_shape()) == 1)
            scale *= *c;
        else
            rest.push_back(f);
    }
    if (!seen_x || !seen_inner || scale == 0.0 || !same_shape(root, x))
        return false;
    Output<Node> g = gelu(x, mode);
    if (std::abs(scale - 0.5) > 1e-7)
        rest.push_back(v0::Constant::create(x.get_element_type(), {}, {scale / 0.5}));
    rest.insert(rest.begin(), g);
    auto out = product(rest);
    if (!same_shape(out, root))
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
        if (!eps || *eps < 0 || add->get_input_partial_shape(1 - i).is_dynamic() ||
            ov::shape_size(add->get_input_shape(1 - i)) != 1)
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
        if (!x || rank_of(*x) < 0)
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
        if (!seen_inv || !seen_centred || !same_shape(root, *x))
            return false;
        auto mvn = std::make_shared<v6::MVN>(*x, v0::Constant::create(ov::element::i64, {axes.size()}, axes), true,
                                             static_cast<float>(*eps), MVNEpsMode::INSIDE_SQRT);
        rest.insert(rest.begin(), mvn->output(0));
        auto out = product(rest);
        if (!same_shape(out, root))
            return false;
        replace(root, out);
        return true;
    }
    return false;
}

// ---------------------------------------------------------------- weight transposes
// MatMul(x, Transpose(W)) with W a Constant and the Transpose swapping the last two axes
// (a Dense weight used as W.T: transformers' FlaxConv1D in GPT-2, a tied embedding as the
// output layer) -> MatMul(x, W) with transpose_b flipped, likewise for the first operand:
// the weight reaches its MatMul as the Constant itself, which NNCF's weight compression
// and the CPU plugin's FullyConnected conversion look for, with no copy. (A small W is
// folded already, fold_small_constants.)
bool matmul_weight_transposes(const std::shared_ptr<Node>& node) {
    auto mm = ov::as_type_ptr<v0::MatMul>(node);
    if (!mm)
        return false;
    auto untranspose = [](Output<Node>& x, bool& flag) {
        const auto p = perm_of(x);
        if (!p || p->size() < 2 || !as<v0::Constant>(x.get_node()->input_value(0)))
            return false;
        std::vector<int64_t> swapped(p->size());  // the identity with the last two axes swapped
        std::iota(swapped.begin(), swapped.end(), 0);
        std::swap(swapped[p->size() - 2], swapped[p->size() - 1]);
        if (*p != swapped)
            return false;
        x = x.get_node()->input_value(0);
        flag = !flag;
        return true;
    };
    Output<Node> a = mm->input_value(0), b = mm->input_value(1);
    bool ta = mm->get_transpose_a(), tb = mm->get_transpose_b();
    const bool changed_a = untranspose(a, ta);
    const bool changed_b = untranspose(b, tb);
    if (!changed_a && !changed_b)
        return false;
    auto fresh = std::make_shared<v0::MatMul>(a, b, ta, tb);
    take_provenance(*fresh, *mm);
    mm->output(0).replace(fresh->output(0));
    return true;
}

// ---------------------------------------------------------------- multiply by one
// x * c, c computed from constants only with every element exactly 1 (flax BERT's head
// mask: jnp.ones cast and sliced per layer, multiplied into the attention weights) -> x,
// when the product has x's shape and type. Exact for every x (1 * NaN, inf, -0 are
// themselves); it leaves the softmax next to the value product for fuse_sdpa.
bool drop_multiply_by_one(const std::shared_ptr<Node>& node) {
    auto mul = ov::as_type_ptr<v1::Multiply>(node);
    if (!mul)
        return false;
    for (size_t i = 0; i < 2; ++i) {
        auto x = mul->input_value(1 - i);
        if (x.get_element_type() != mul->get_output_element_type(0) || !same_shape(mul->output(0), x))
            continue;
        auto c = fold_constant(mul->input_value(i), 16, 4096);
        if (!c || ov::shape_size(c->get_shape()) == 0)
            continue;
        auto v = c->cast_vector<double>();
        if (std::all_of(v.begin(), v.end(), [](double e) { return e == 1.0; })) {
            mul->output(0).replace(x);
            return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------- broadcasts
// An elementwise op reading a numpy-style Broadcast -> the same op reading the Broadcast's
// input, when the op's other operands give the result its shape (its own numpy
// broadcasting then reads the same elements). broadcast_in_dim of a literal
// (jnp.where(mask, 0.0, -inf) over a symbolic shape), position and token type embeddings
// broadcast over the batch: on dynamic shapes each Broadcast, and the shape arithmetic
// feeding it, would run at every inference, and copy its result.
bool drop_broadcasts(const std::shared_ptr<Node>& node) {
    if (!(ov::is_type<ov::op::util::BinaryElementwiseArithmetic>(node) ||
          ov::is_type<ov::op::util::BinaryElementwiseComparison>(node) ||
          ov::is_type<ov::op::util::BinaryElementwiseLogical>(node) || ov::is_type<v1::Select>(node)) ||
        rank_of(node->output(0)) < 0)
        return false;
    auto fresh = node;
    for (size_t i = 0; i < node->get_input_size(); ++i) {
        auto in = node->input_value(i);
        if (!numpy_broadcast(in))
            continue;
        auto ins = fresh->input_values();
        ins[i] = in.get_node()->input_value(0);
        auto candidate = fresh->clone_with_new_inputs(ins);
        if (same_shape(candidate->output(0), node->output(0)))
            fresh = candidate;  // else this Broadcast gives the result its shape
    }
    if (fresh == node)
        return false;
    replace(node->output(0), fresh->output(0));
    return true;
}

// ---------------------------------------------------------------- attention
// MatMul(Softmax(MatMul(q, k^T) [+ mask]), v) -> ScaledDotProductAttention(q, k, v, mask,
// scale 1), also when the second product is spelled v^T . p^T (flax's einsum order).
Output<Node> swap_last_two(const Output<Node>& x) {
    auto r = static_cast<size_t>(rank_of(x));
    std::vector<int64_t> perm(r);
    for (size_t i = 0; i < r; ++i)
        perm[i] = static_cast<int64_t>(i);
    std::swap(perm[r - 1], perm[r - 2]);
    return std::make_shared<v1::Transpose>(x, v0::Constant::create(ov::element::i64, {r}, perm))->output(0);
}

// The scores of an attention: q . k^T, or that times (or over) a scalar constant (the
// 1/sqrt(depth) a step applies after the product): the product, its scale, and the scaled
// value the softmax reads.
struct Scores {
    Output<Node> product;
    double scale = 1.0;
};
std::optional<Scores> scores_of(const Output<Node>& x) {
    if (as<v0::MatMul>(x))
        return Scores{x, 1.0};
    const auto n = x.get_node_shared_ptr();
    if (!ov::is_type<v1::Multiply>(n) && !ov::is_type<v1::Divide>(n))
        return std::nullopt;
    for (int i = 0; i < (ov::is_type<v1::Multiply>(n) ? 2 : 1); ++i) {
        auto mm = n->input_value(i);
        auto c = splat(n->input_value(1 - i));
        if (!as<v0::MatMul>(mm) || !c || !std::isfinite(*c) || *c == 0.0 || !same_shape(mm, x) ||
            mm.get_target_inputs().size() != 1)
            continue;
        return Scores{mm, ov::is_type<v1::Divide>(n) ? 1.0 / *c : *c};
    }
    return std::nullopt;
}

bool fuse_sdpa(const std::shared_ptr<Node>& node) {
    auto sm = ov::as_type_ptr<v8::Softmax>(node);
    if (!sm || rank_of(sm->output(0)) < 0)
        return false;
    const auto rank = static_cast<size_t>(rank_of(sm->output(0)));
    auto axis = sm->get_axis();
    if (rank < 3 || (axis != -1 && axis != static_cast<int64_t>(rank) - 1))
        return false;
    auto w = sm->input_value(0);
    std::optional<Output<Node>> mask;
    if (auto sel = as<v1::Select>(w)) {
        // where(mask, w, big_neg): the same softmax as w + where(mask, 0, big_neg) for a
        // big_neg of -1e30 or below (w + big_neg rounds to big_neg: a row of nothing but
        // masked scores stays uniform). A big_neg from -1e30 to -1e9 (the -1e9 hand-written
        // attention uses) becomes -1e30 in the mask: the same softmax wherever a row's largest
        // unmasked score is above big_neg + 104 (exp(big_neg - max) is 0 in float32 either
        // way), and rows of masked scores only stay uniform.
        for (int i = 1; i <= 2 && !mask; ++i) {
            auto c = splat(sel->input_value(3 - i));
            if (!c || *c > -1e9 || !scores_of(sel->input_value(i)) || !same_shape(sel->output(0), sel->input_value(i)))
                continue;
            auto t = sel->get_output_element_type(0);
            auto zero = op::const_scalar(t, 0.0);
            auto neg = op::const_scalar(t, std::min(*c, -1e30));  // -inf too (Constant::create rejects it)
            mask = i == 1 ? std::make_shared<v1::Select>(sel->input_value(0), zero, neg)->output(0)
                          : std::make_shared<v1::Select>(sel->input_value(0), neg, zero)->output(0);
            w = sel->input_value(i);
        }
        if (!mask)
            return false;
    } else if (auto a = as<v1::Add>(w)) {
        for (int i = 0; i < 2 && !mask; ++i)
            if (scores_of(a->input_value(i)) && same_shape(a->output(0), a->input_value(i))) {
                mask = a->input_value(1 - i);
                w = a->input_value(i);
            }
        if (!mask)
            return false;
    }
    const auto scores = scores_of(w);
    if (!scores || w.get_target_inputs().size() != 1)
        return false;
    w = scores->product;
    auto qk = as<v0::MatMul>(w);
    if (!qk || qk->get_transpose_a() || w.get_target_inputs().size() != 1)
        return false;
    auto q = qk->input_value(0);
    auto k = qk->get_transpose_b() ? qk->input_value(1) : swap_last_two(qk->input_value(1));
    if (rank_of(q) != static_cast<int64_t>(rank) || rank_of(k) != static_cast<int64_t>(rank) ||
        q.get_element_type() != sm->get_output_element_type(0))
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
    const auto &qs = q.get_partial_shape(), &ks = k.get_partial_shape(), &vs = v.get_partial_shape();
    const bool dynamic = qs.is_dynamic() || ks.is_dynamic() || vs.is_dynamic();
    if (rank_of(v) != static_cast<int64_t>(rank) || !same_dim(qs[rank - 1], ks[rank - 1]) ||
        !same_dim(ks[rank - 2], vs[rank - 2]))
        return false;
    for (size_t i = 0; i + 2 < rank; ++i)
        if (!same_dim(qs[i], ks[i]) || !same_dim(qs[i], vs[i]))
            return false;
    auto t = q.get_element_type();
    Output<Node> m = mask ? *mask : v0::Constant::create(t, {}, {0.0})->output(0);
    if (m.get_element_type() != t)
        return false;
    if (dynamic && m.get_partial_shape().rank().is_static() && m.get_partial_shape().rank().get_length() == 0) {
        // On dynamic shapes the CPU plugin's ScaledDotProductAttention with a scalar (or no)
        // mask computes a sequence longer than 16 wrong after a shorter one; with a mask
        // tensor it is right (2026.4; tests/upstream/cpu_sdpa_dynamic_growing_shape.py). So
        // the scalar becomes a [1, ..., 1, S_k] tensor, S_k read from k's shape.
        auto sk = std::make_shared<v8::Gather>(std::make_shared<v3::ShapeOf>(k, ov::element::i64),
                                               v0::Constant::create(ov::element::i64, {1}, {int64_t(rank) - 2}),
                                               v0::Constant::create(ov::element::i64, {}, {0}));
        auto target = std::make_shared<v0::Concat>(
            ov::OutputVector{v0::Constant::create(ov::element::i64, {rank - 1}, std::vector<int64_t>(rank - 1, 1)), sk},
            0);
        m = std::make_shared<v3::Broadcast>(m, target)->output(0);
    }
    auto scale = v0::Constant::create(t, {}, {scores->scale});
    Output<Node> out = std::make_shared<v13::ScaledDotProductAttention>(q, k, v, m, scale, false)->output(0);
    if (transposed_out)
        out = swap_last_two(out);
    // (on dynamic shapes OpenVINO's shape inference gives the attention's result dimensions
    // without the inputs' symbols: the dimensions checked above make it the same shape)
    if (!same_shape(out, m2->output(0)) &&
        !(dynamic && out.get_partial_shape().compatible(m2->get_output_partial_shape(0))))
        return false;
    replace(m2->output(0), out);
    return true;
}

}  // namespace

void apply_fusions(const std::shared_ptr<ov::Model>& model) {
    using ov::op::util::BinaryElementwiseArithmetic, ov::op::util::BinaryElementwiseComparison,
        ov::op::util::BinaryElementwiseLogical;
    // drop_multiply_by_one and merge_transposes clear what sits between an attention's softmax and its value product
    run_rules(
        model,
        {{matmul_weight_transposes, is_any_of<v0::MatMul>},
         {drop_broadcasts,
          is_any_of<BinaryElementwiseArithmetic, BinaryElementwiseComparison, BinaryElementwiseLogical, v1::Select>},
         {drop_multiply_by_one, is_any_of<v1::Multiply>},
         {merge_transposes, is_any_of<v1::Transpose>},
         {fuse_softmax, is_any_of<v1::Divide>},
         {fuse_gelu, is_any_of<v0::Tanh, v0::Erf>},
         {fuse_mvn, is_any_of<v0::Sqrt>},
         {fuse_sdpa, is_any_of<v8::Softmax>}});
}

namespace {
// IsNaN, IsInf and IsFinite of a constant: OpenVINO has no evaluate() for them (2026.4),
// and ovjax's NaN guards put them in front of many conversions of constants.
std::shared_ptr<v0::Constant> fold_float_class(const Node& n, const v0::Constant& c) {
    if (!c.get_element_type().is_real())
        return nullptr;
    std::function<bool(double)> test;
    if (ov::is_type<v10::IsNaN>(&n)) {
        test = [](double v) { return std::isnan(v); };
    } else if (ov::is_type<v10::IsFinite>(&n)) {
        test = [](double v) { return std::isfinite(v); };
    } else if (auto inf = ov::as_type<const v10::IsInf>(&n)) {
        const auto a = inf->get_attributes();
        test = [a](double v) { return std::isinf(v) && (v > 0 ? a.detect_positive : a.detect_negative); };
    } else {
        return nullptr;
    }
    auto v = c.cast_vector<double>();
    std::vector<char> r(v.size());
    std::transform(v.begin(), v.end(), r.begin(), [&](double e) { return static_cast<char>(test(e)); });
    return std::make_shared<v0::Constant>(ov::element::boolean, c.get_shape(), r.data());
}
}  // namespace

void fold_small_constants(const std::shared_ptr<ov::Model>& model) {
    for_each_body(model, fold_small_constants);
    constexpr size_t kMaxElements = 1 << 16;
    for (const auto& op : model->get_ordered_ops()) {
        if (op->get_input_size() == 0 || ov::is_type<v0::Constant>(op) ||
            ov::is_type<ov::op::util::MultiSubGraphOp>(op) || ov::pass::constant_folding_is_disabled(op) ||
            op->get_output_size() != 1)
            continue;
        // depth 1 (below): only a node whose inputs are Constants already (in topological
        // order, those folded just before it), and still used
        bool constant_inputs = true;
        for (size_t i = 0; i < op->get_input_size() && constant_inputs; ++i)
            constant_inputs = ov::is_type<v0::Constant>(op->get_input_node_ptr(i));
        if (!constant_inputs || op->output(0).get_target_inputs().empty())
            continue;
        // a decompression Convert (f16/bf16 weights to f32) stays: the plugin keeps the weight narrow
        if (ov::is_type<v0::Convert>(op) && op->get_input_element_type(0).is_real() &&
            op->get_input_element_type(0).bitwidth() < op->get_output_element_type(0).bitwidth())
            continue;
        // fold_constant checks the result's size
        if (auto c = fold_constant(op->output(0), 1, kMaxElements)) {
            name_after(*c, *op);
            op->output(0).replace(c->output(0));
        }
    }
}

std::shared_ptr<v0::Constant> fold_constant(const Output<Node>& o, int max_depth, size_t max_elements) {
    auto n = o.get_node_shared_ptr();
    if (auto c = ov::as_type_ptr<v0::Constant>(n))
        return c;
    if (max_depth <= 0 || n->get_input_size() == 0 || ov::is_type<ov::op::util::MultiSubGraphOp>(n))
        return nullptr;
    if (max_elements != std::numeric_limits<size_t>::max() &&
        (!o.get_partial_shape().is_static() || ov::shape_size(o.get_shape()) > max_elements))
        return nullptr;
    ov::OutputVector ins;
    for (const auto& in : n->input_values()) {
        auto c = fold_constant(in, max_depth - 1, max_elements);
        if (!c)
            return nullptr;
        ins.push_back(c);
    }
    ov::OutputVector outs(n->get_output_size());
    if (!n->constant_fold(outs, ins))
        return ins.size() == 1 ? fold_float_class(*n, *ov::as_type_ptr<v0::Constant>(ins[0].get_node_shared_ptr()))
                               : nullptr;
    return ov::as_type_ptr<v0::Constant>(outs.at(o.get_index()).get_node_shared_ptr());
}

bool same_dim(const ov::Dimension& a, const ov::Dimension& b) {
    if (a.is_static() || b.is_static())
        return a.is_static() && b.is_static() && a.get_length() == b.get_length();
    return a.has_symbol() && b.has_symbol() && ov::symbol::are_equal(a.get_symbol(), b.get_symbol());
}

bool same_shape(const ov::PartialShape& a, const ov::PartialShape& b) {
    if (a.rank().is_dynamic() || b.rank().is_dynamic() || a.rank().get_length() != b.rank().get_length())
        return false;
    for (int64_t k = 0; k < a.rank().get_length(); ++k)
        if (!same_dim(a[k], b[k]))
            return false;
    return true;
}

bool numpy_broadcast(const Output<Node>& o) {
    if (auto b3 = as<v3::Broadcast>(o))
        return b3->get_broadcast_spec().m_type == ov::op::BroadcastType::NUMPY ||
               b3->get_broadcast_spec().m_type == ov::op::BroadcastType::BIDIRECTIONAL;
    if (auto b1 = as<v1::Broadcast>(o))
        return b1->get_broadcast_spec().m_type == ov::op::AutoBroadcastType::NUMPY;
    return false;
}

std::shared_ptr<Node> only_consumer(const Output<Node>& o) {
    auto targets = o.get_target_inputs();
    if (targets.size() != 1)
        return nullptr;
    return targets.begin()->get_node()->shared_from_this();
}

std::shared_ptr<Node> gelu_guard_of(const Output<Node>& x) {
    std::shared_ptr<Node> sel;
    for (const auto& in : x.get_target_inputs())
        if (ov::is_type<v1::Select>(in.get_node()))
            sel = in.get_node()->shared_from_this();
    if (!sel || x.get_target_inputs().size() != 3 || sel->input_value(1) != x)
        return nullptr;
    auto eq = pattern::as<v1::Equal>(sel->input_value(0));
    auto g = pattern::as<v7::Gelu>(sel->input_value(2));
    if (!eq || !g || eq->input_value(0) != x || g->input_value(0) != x || !is_splat(eq->input_value(1), INFINITY))
        return nullptr;
    return sel;
}

}  // namespace ovjax
