// Elementwise primitives. JAX has already made operand dtypes equal and inserted
// explicit broadcasts, except for scalar literals, which NumPy broadcasting covers.
#include <cmath>

#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_not.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/bitwise_xor.hpp"
#include "openvino/op/ceiling.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/cos.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/erf.hpp"
#include "openvino/op/exp.hpp"
#include "openvino/op/floor.hpp"
#include "openvino/op/greater.hpp"
#include "openvino/op/greater_eq.hpp"
#include "openvino/op/is_finite.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/less_eq.hpp"
#include "openvino/op/log.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/logical_not.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/logical_xor.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/mod.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/not_equal.hpp"
#include "openvino/op/power.hpp"
#include "openvino/op/round.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/sigmoid.hpp"
#include "openvino/op/sign.hpp"
#include "openvino/op/sin.hpp"
#include "openvino/op/sqrt.hpp"
#include "openvino/op/subtract.hpp"
#include "openvino/op/tan.hpp"
#include "openvino/op/tanh.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

using ov::Output;
using ov::Node;
namespace v0 = ov::op::v0;
namespace v1 = ov::op::v1;

namespace {
Output<Node> mul(const Output<Node>& a, const Output<Node>& b) {
    return std::make_shared<v1::Multiply>(a, b);
}
Output<Node> add(const Output<Node>& a, const Output<Node>& b) {
    return std::make_shared<v1::Add>(a, b);
}
Output<Node> sub(const Output<Node>& a, const Output<Node>& b) {
    return std::make_shared<v1::Subtract>(a, b);
}
Output<Node> div(const Output<Node>& a, const Output<Node>& b) {
    return std::make_shared<v1::Divide>(a, b);
}
Output<Node> c(const Output<Node>& like, double v) {
    return const_scalar(like.get_element_type(), v);
}
void require_float(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, ctx.in_type(0).is_real(), ctx.primitive(), " needs a floating-point operand, got ",
                ctx.in_type(0));
}
}  // namespace

ov::OutputVector translate_add(const NodeContext& ctx) { return translate_binary<v1::Add>(ctx); }
ov::OutputVector translate_sub(const NodeContext& ctx) { return translate_binary<v1::Subtract>(ctx); }
ov::OutputVector translate_mul(const NodeContext& ctx) { return translate_binary<v1::Multiply>(ctx); }
ov::OutputVector translate_max(const NodeContext& ctx) { return translate_binary<v1::Maximum>(ctx); }
ov::OutputVector translate_min(const NodeContext& ctx) { return translate_binary<v1::Minimum>(ctx); }

ov::OutputVector translate_div(const NodeContext& ctx) {
    // Integer division in JAX rounds toward zero (C semantics), not toward -inf.
    return {std::make_shared<v1::Divide>(ctx.get_input(0), ctx.get_input(1), /*pythondiv=*/false)->output(0)};
}

ov::OutputVector translate_rem(const NodeContext& ctx) {
    auto x = ctx.get_input(0), y = ctx.get_input(1);
    if (!ctx.in_type(0).is_real())
        return {std::make_shared<v1::Mod>(x, y)->output(0)};  // sign of the dividend, like C %
    // fmod: x - trunc(x / y) * y, with trunc = sign * floor(|.|)
    auto q = div(x, y);
    auto t = mul(std::make_shared<v0::Sign>(q), std::make_shared<v0::Floor>(std::make_shared<v0::Abs>(q)));
    return {sub(x, mul(t, y))};
}

ov::OutputVector translate_neg(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    if (ctx.in_type(0).is_real() || ctx.in_type(0).is_signed())
        return {std::make_shared<v0::Negative>(x)->output(0)};
    return {sub(c(x, 0), x)};  // unsigned: wraps around
}

ov::OutputVector translate_pow(const NodeContext& ctx) {
    auto x = ctx.get_input(0), y = ctx.get_input(1);
    return {std::make_shared<v1::Power>(x, convert(y, x.get_element_type()))->output(0)};
}

ov::OutputVector translate_integer_pow(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    int64_t y = ctx.int_param("y");
    if (y == 0)
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 1.0)};
    // Exponentiation by squaring, as JAX lowers it.
    int64_t n = y < 0 ? -y : y;
    Output<Node> acc, base = x;
    while (n > 0) {
        if (n & 1)
            acc = acc.get_node() ? mul(acc, base) : base;
        n >>= 1;
        if (n)
            base = mul(base, base);
    }
    if (y < 0)
        acc = div(c(x, 1), acc);
    return {acc};
}

ov::OutputVector translate_square(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    return {mul(x, x)};
}
ov::OutputVector translate_sqrt(const NodeContext& ctx) { return translate_unary<v0::Sqrt>(ctx); }
ov::OutputVector translate_rsqrt(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    return {div(c(x, 1), std::make_shared<v0::Sqrt>(x))};
}
ov::OutputVector translate_cbrt(const NodeContext& ctx) {
    require_float(ctx);
    auto x = ctx.get_input(0);
    auto r = std::make_shared<v1::Power>(std::make_shared<v0::Abs>(x), c(x, 1.0 / 3.0));
    return {mul(std::make_shared<v0::Sign>(x), r)};
}
ov::OutputVector translate_abs(const NodeContext& ctx) {
    if (!ctx.in_type(0).is_signed() && !ctx.in_type(0).is_real())
        return {ctx.get_input(0)};
    return translate_unary<v0::Abs>(ctx);
}
ov::OutputVector translate_sign(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    if (!ctx.in_type(0).is_signed() && !ctx.in_type(0).is_real())
        return {convert(std::make_shared<v1::NotEqual>(x, c(x, 0)), x.get_element_type())};
    return translate_unary<v0::Sign>(ctx);
}
ov::OutputVector translate_floor(const NodeContext& ctx) { return translate_unary<v0::Floor>(ctx); }
ov::OutputVector translate_ceil(const NodeContext& ctx) { return translate_unary<v0::Ceiling>(ctx); }

ov::OutputVector translate_round(const NodeContext& ctx) {
    // lax.RoundingMethod: AWAY_FROM_ZERO (0) or TO_NEAREST_EVEN (1)
    auto m = ctx.opt_param("rounding_method");
    bool even = false;
    if (m) {
        if (m->tag() == format::ValueTag::enumeration)
            even = m->enum_member() == "TO_NEAREST_EVEN";
        else
            even = m->as_int() == 1;
    }
    auto mode = even ? ov::op::v5::Round::RoundMode::HALF_TO_EVEN : ov::op::v5::Round::RoundMode::HALF_AWAY_FROM_ZERO;
    return {std::make_shared<ov::op::v5::Round>(ctx.get_input(0), mode)->output(0)};
}

ov::OutputVector translate_is_finite(const NodeContext& ctx) { return translate_unary<ov::op::v10::IsFinite>(ctx); }

ov::OutputVector translate_clamp(const NodeContext& ctx) {
    // lax.clamp(min, x, max)
    auto lo = ctx.get_input(0), x = ctx.get_input(1), hi = ctx.get_input(2);
    return {std::make_shared<v1::Minimum>(std::make_shared<v1::Maximum>(x, lo), hi)->output(0)};
}

ov::OutputVector translate_select_n(const NodeContext& ctx) {
    auto pred = ctx.get_input(0);
    size_t n = ctx.get_input_size() - 1;
    OVJAX_CHECK(ctx, n >= 1, "select_n needs at least one case");
    if (n == 1)
        return {ctx.get_input(1)};
    if (ctx.in_type(0) == ov::element::boolean) {
        OVJAX_CHECK(ctx, n == 2, "select_n with a boolean predicate takes two cases, got ", n);
        return {std::make_shared<v1::Select>(pred, ctx.get_input(2), ctx.get_input(1))->output(0)};
    }
    Output<Node> r = ctx.get_input(1);
    for (size_t i = 1; i < n; ++i) {
        auto is_i = std::make_shared<v1::Equal>(pred, c(pred, static_cast<double>(i)));
        r = std::make_shared<v1::Select>(is_i, ctx.get_input(static_cast<int>(i + 1)), r);
    }
    return {r};
}

ov::OutputVector translate_exp(const NodeContext& ctx) { return translate_unary<v0::Exp>(ctx); }
ov::OutputVector translate_exp2(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    return {std::make_shared<v1::Power>(c(x, 2.0), x)->output(0)};
}
ov::OutputVector translate_log(const NodeContext& ctx) { return translate_unary<v0::Log>(ctx); }

ov::OutputVector translate_expm1(const NodeContext& ctx) {
    // Accurate for small x: u = exp(x); u == 1 ? x : (u - 1) * x / log(u)  (Kahan)
    require_float(ctx);
    auto x = ctx.get_input(0);
    auto u = std::make_shared<v0::Exp>(x);
    auto um1 = sub(u, c(x, 1));
    auto refined = div(mul(um1, x), std::make_shared<v0::Log>(u));
    auto is_one = std::make_shared<v1::Equal>(u, c(x, 1));
    auto is_inf = std::make_shared<v1::Equal>(u, c(x, INFINITY));
    auto r = std::make_shared<v1::Select>(is_inf, u, refined);
    auto small = std::make_shared<v1::Less>(std::make_shared<v0::Abs>(x), c(x, 0.5));
    // Large |x| does not lose precision in exp(x) - 1; refine only small arguments.
    auto pick = std::make_shared<v1::Select>(small, r, um1);
    return {std::make_shared<v1::Select>(is_one, x, pick)->output(0)};
}

ov::OutputVector translate_log1p(const NodeContext& ctx) {
    // Accurate for small x: u = 1 + x; u == 1 ? x : log(u) * x / (u - 1)
    require_float(ctx);
    auto x = ctx.get_input(0);
    auto u = add(c(x, 1), x);
    auto lu = std::make_shared<v0::Log>(u);
    auto refined = div(mul(lu, x), sub(u, c(x, 1)));
    auto small = std::make_shared<v1::Less>(std::make_shared<v0::Abs>(x), c(x, 0.5));
    auto pick = std::make_shared<v1::Select>(small, refined, lu);
    auto is_one = std::make_shared<v1::Equal>(u, c(x, 1));
    return {std::make_shared<v1::Select>(is_one, x, pick)->output(0)};
}

ov::OutputVector translate_tanh(const NodeContext& ctx) { return translate_unary<v0::Tanh>(ctx); }
ov::OutputVector translate_logistic(const NodeContext& ctx) { return translate_unary<v0::Sigmoid>(ctx); }
ov::OutputVector translate_sin(const NodeContext& ctx) { return translate_unary<v0::Sin>(ctx); }
ov::OutputVector translate_cos(const NodeContext& ctx) { return translate_unary<v0::Cos>(ctx); }
ov::OutputVector translate_tan(const NodeContext& ctx) { return translate_unary<v0::Tan>(ctx); }
ov::OutputVector translate_erf(const NodeContext& ctx) { return translate_unary<v0::Erf>(ctx); }

ov::OutputVector translate_erfc(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    return {sub(c(x, 1), std::make_shared<v0::Erf>(x))};
}

ov::OutputVector translate_erf_inv(const NodeContext& ctx) {
    // Giles' single-precision approximation (the one XLA uses), evaluated in f32.
    require_float(ctx);
    auto x0 = ctx.get_input(0);
    auto t = x0.get_element_type();
    auto x = convert(x0, ov::element::f32);
    auto f = [](double v) { return const_scalar(ov::element::f32, v); };
    auto w = std::make_shared<v0::Negative>(
        std::make_shared<v0::Log>(mul(sub(f(1), x), add(f(1), x))));
    auto horner = [&](const Output<Node>& z, const std::vector<double>& coeffs) {
        Output<Node> p = f(coeffs[0]);
        for (size_t i = 1; i < coeffs.size(); ++i)
            p = add(mul(p, z), f(coeffs[i]));
        return p;
    };
    auto w_small = sub(w, f(2.5));
    auto p_small = horner(w_small, {2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                                    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941});
    auto w_big = sub(std::make_shared<v0::Sqrt>(w), f(3.0));
    auto p_big = horner(w_big, {-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682});
    auto p = std::make_shared<v1::Select>(std::make_shared<v1::Less>(w, f(5.0)), p_small, p_big);
    Output<Node> r = mul(p, x);
    // |x| == 1 gives +-inf
    auto inf = mul(x, f(INFINITY));
    r = std::make_shared<v1::Select>(std::make_shared<v1::Equal>(std::make_shared<v0::Abs>(x), f(1)), inf, r);
    return {convert(r, t)};
}

namespace {
template <typename Logical, typename Bitwise>
ov::OutputVector logic(const NodeContext& ctx) {
    if (ctx.in_type(0) == ov::element::boolean)
        return translate_binary<Logical>(ctx);
    return translate_binary<Bitwise>(ctx);
}
}  // namespace

ov::OutputVector translate_not(const NodeContext& ctx) {
    if (ctx.in_type(0) == ov::element::boolean)
        return translate_unary<v1::LogicalNot>(ctx);
    return translate_unary<ov::op::v13::BitwiseNot>(ctx);
}
ov::OutputVector translate_and(const NodeContext& ctx) { return logic<v1::LogicalAnd, ov::op::v13::BitwiseAnd>(ctx); }
ov::OutputVector translate_or(const NodeContext& ctx) { return logic<v1::LogicalOr, ov::op::v13::BitwiseOr>(ctx); }
ov::OutputVector translate_xor(const NodeContext& ctx) { return logic<v1::LogicalXor, ov::op::v13::BitwiseXor>(ctx); }

ov::OutputVector translate_eq(const NodeContext& ctx) { return translate_binary<v1::Equal>(ctx); }
ov::OutputVector translate_ne(const NodeContext& ctx) { return translate_binary<v1::NotEqual>(ctx); }
ov::OutputVector translate_lt(const NodeContext& ctx) { return translate_binary<v1::Less>(ctx); }
ov::OutputVector translate_le(const NodeContext& ctx) { return translate_binary<v1::LessEqual>(ctx); }
ov::OutputVector translate_gt(const NodeContext& ctx) { return translate_binary<v1::Greater>(ctx); }
ov::OutputVector translate_ge(const NodeContext& ctx) { return translate_binary<v1::GreaterEqual>(ctx); }

ov::OutputVector translate_convert_element_type(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    auto to = ctx.out_type(0);
    auto from = x.get_element_type();
    if (from.is_real() && !to.is_real() && to != ov::element::boolean) {
        // JAX truncates toward zero; NaN becomes 0.
        auto isnan = std::make_shared<v1::NotEqual>(x, x);
        Output<Node> t = std::make_shared<v1::Select>(isnan, c(x, 0), x);
        return {convert(t, to)};
    }
    if (to == ov::element::boolean && from != ov::element::boolean)
        return {std::make_shared<v1::NotEqual>(x, c(x, 0))->output(0)};
    return {convert(x, to)};
}

ov::OutputVector translate_identity(const NodeContext& ctx) {
    return ctx.inputs();
}

}  // namespace op
}  // namespace ovjax
