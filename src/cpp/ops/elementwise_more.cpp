// More elementwise primitives: inverse trigonometric and hyperbolic functions, atan2,
// reduce_precision, nextafter, and integer bit counts (population_count, clz). The shifts and
// bitcast_convert_type are translated in random.cpp.
//
// Float functions of f16/bf16 operands are evaluated in f32 and rounded once at the end;
// reduce_precision and nextafter are exact: powers of two are built by products of exact
// constants (no bitcast in OpenVINO), and all scalings by them are exact in f32.
// Integer ops work on i32 (narrow types as their zero-extended low bits, u32 as its bits),
// where Add/Subtract/Multiply, bitwise ops and arithmetic right shifts are exact on the CPU
// plugin (logical shifts are masked arithmetic ones).
#include <cmath>
#include <cstdint>

#include "openvino/op/abs.hpp"
#include "openvino/op/acos.hpp"
#include "openvino/op/acosh.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/asin.hpp"
#include "openvino/op/asinh.hpp"
#include "openvino/op/atan.hpp"
#include "openvino/op/atanh.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_not.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/bitwise_right_shift.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/cosh.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/floor.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/round.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/exp.hpp"
#include "openvino/op/greater.hpp"
#include "openvino/op/greater_eq.hpp"
#include "openvino/op/is_inf.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/less_eq.hpp"
#include "openvino/op/log.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/logical_not.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/sign.hpp"
#include "openvino/op/sinh.hpp"
#include "openvino/op/sqrt.hpp"
#include "openvino/op/subtract.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

using ov::Node;
using ov::Output;
namespace et = ov::element;
namespace v0 = ov::op::v0;
namespace v1 = ov::op::v1;

namespace {

template <typename T, typename... A>
Output<Node> mk(const A&... a) {
    return std::make_shared<T>(a...);
}
Output<Node> c(const Output<Node>& like, double v) {
    return const_scalar(like.get_element_type(), v);
}
Output<Node> ci(int64_t v) {
    return v0::Constant::create(et::i32, ov::Shape{}, std::vector<int32_t>{static_cast<int32_t>(v)});
}
Output<Node> select(const Output<Node>& cond, const Output<Node>& a, const Output<Node>& b) {
    return mk<v1::Select>(cond, a, b);
}

void require_float(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, ctx.in_type(0).is_real() && ctx.in_type(0).bitwidth() <= 32, ctx.primitive(),
                " needs a f32/f16/bf16 operand, got ", ctx.in_type(0));
}
void require_int(const NodeContext& ctx) {
    auto t = ctx.in_type(0);
    OVJAX_CHECK(ctx, t.is_integral_number() && t.bitwidth() <= 32, ctx.primitive(),
                " needs an integer operand of at most 32 bits, got ", t);
}

// fn over f32 operands, the result rounded back to the operands' type.
template <typename F>
ov::OutputVector float_fn(const NodeContext& ctx, F&& fn) {
    require_float(ctx);
    ov::OutputVector in;
    for (auto& x : ctx.inputs())
        in.push_back(convert(x, et::f32));
    return {convert(fn(in), ctx.out_type(0))};
}

// signbit of an f32 value, zeros included (1 / -0 is -inf).
Output<Node> signbit(const Output<Node>& x) {
    auto zero = c(x, 0);
    auto neg_zero = mk<v1::LogicalAnd>(mk<v1::Equal>(x, zero), mk<v1::Less>(mk<v1::Divide>(c(x, 1), x), zero));
    return mk<v1::LogicalOr>(mk<v1::Less>(x, zero), neg_zero);
}

// ---- integers in i32

// The low n bits of x (zero-extended) as i32.
Output<Node> low_bits(const Output<Node>& x, int n) {
    auto v = convert(x, et::i32);
    if (n >= 32)
        return v;
    return mk<ov::op::v13::BitwiseAnd>(v, ci((int64_t{1} << n) - 1));
}
Output<Node> sar(const Output<Node>& v, const Output<Node>& s) {
    return mk<ov::op::v15::BitwiseRightShift>(v, s);
}
Output<Node> band(const Output<Node>& a, uint32_t m) {
    return mk<ov::op::v13::BitwiseAnd>(a, ci(static_cast<int32_t>(m)));
}
// Logical right shift of i32 v by a constant s in [0, 31]: the arithmetic shift with the
// sign copies masked off.
Output<Node> shr(const Output<Node>& v, int s) {
    return band(sar(v, ci(s)), 0xFFFFFFFFu >> s);
}
// Number of set bits of i32 v (all 32 bits).
Output<Node> popcount32(Output<Node> v) {
    v = mk<v1::Subtract>(v, band(shr(v, 1), 0x55555555));
    v = mk<v1::Add>(band(v, 0x33333333), band(shr(v, 2), 0x33333333));
    v = band(mk<v1::Add>(v, shr(v, 4)), 0x0F0F0F0F);
    return shr(mk<v1::Multiply>(v, ci(0x01010101)), 24);
}

}  // namespace

// ---------------------------------------------------------------- float functions

ov::OutputVector translate_asin(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<v0::Asin>(a[0]); });
}
ov::OutputVector translate_acos(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<v0::Acos>(a[0]); });
}
ov::OutputVector translate_atan(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<v0::Atan>(a[0]); });
}
ov::OutputVector translate_asinh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<ov::op::v3::Asinh>(a[0]); });
}
ov::OutputVector translate_acosh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<ov::op::v3::Acosh>(a[0]); });
}
ov::OutputVector translate_atanh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<ov::op::v3::Atanh>(a[0]); });
}
ov::OutputVector translate_sinh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<v0::Sinh>(a[0]); });
}
ov::OutputVector translate_cosh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return mk<v0::Cosh>(a[0]); });
}

ov::OutputVector translate_atan2(const NodeContext& ctx) {
    // r0 = atan(|y| / |x|) in [0, pi/2]; both zero: 0, both infinite: pi/4; x with its sign
    // bit set: pi - r0; then the sign of y. NaN propagates through the division.
    return float_fn(ctx, [](const ov::OutputVector& a) {
        auto y = a[0], x = a[1];
        auto ay = mk<v0::Abs>(y), ax = mk<v0::Abs>(x);
        Output<Node> r = mk<v0::Atan>(mk<v1::Divide>(ay, ax));
        auto zero = c(x, 0);
        r = select(mk<v1::LogicalAnd>(mk<v1::Equal>(ay, zero), mk<v1::Equal>(ax, zero)), zero, r);
        r = select(mk<v1::LogicalAnd>(mk<ov::op::v10::IsInf>(y), mk<ov::op::v10::IsInf>(x)), c(x, M_PI / 4), r);
        r = select(signbit(x), mk<v1::Subtract>(c(x, M_PI), r), r);
        return select(signbit(y), mk<v0::Negative>(r), r);
    });
}

// ---------------------------------------------------------------- reduce_precision

namespace {
Output<Node> fc(double v) {
    return const_scalar(et::f32, v);
}
// 2^k exactly, for f32 k holding integers in [-127, 127]: a product of the powers
// 2^(+-2^i) selected by the bits of |k| (every partial product is a normal float).
Output<Node> pow2(const Output<Node>& k) {
    auto neg = mk<v1::Less>(k, fc(0));
    auto m = mk<v0::Abs>(k);
    Output<Node> p = fc(1);
    for (int i = 6; i >= 0; --i) {
        auto t = mk<v0::Floor>(mk<v1::Multiply>(m, fc(std::ldexp(1.0, -i))));
        auto bit = mk<v1::Subtract>(t, mk<v1::Multiply>(fc(2), mk<v0::Floor>(mk<v1::Multiply>(t, fc(0.5)))));
        auto f = select(neg, fc(std::ldexp(1.0, -(1 << i))), fc(std::ldexp(1.0, 1 << i)));
        p = mk<v1::Multiply>(p, select(mk<v1::Equal>(bit, fc(1)), f, fc(1)));
    }
    return p;
}
// 2^e for the binade e of f32 x, e clamped to [emin, 127] (so 2^emin for zeros and the
// denormals of the type with smallest normal 2^emin): floor(log2 |x|) corrected by one.
Output<Node> binade(const Output<Node>& x, int emin) {
    auto ax = mk<v0::Abs>(x);
    Output<Node> e = mk<v0::Floor>(mk<v1::Multiply>(mk<v0::Log>(ax), fc(1.0 / std::log(2.0))));
    e = mk<v1::Minimum>(mk<v1::Maximum>(e, fc(emin)), fc(127));
    Output<Node> p = pow2(e);
    auto too_big = mk<v1::LogicalAnd>(mk<v1::Greater>(p, ax), mk<v1::Greater>(e, fc(emin)));
    p = select(too_big, mk<v1::Multiply>(p, fc(0.5)), p);
    auto too_small = mk<v1::LogicalAnd>(mk<v1::LessEqual>(mk<v1::Multiply>(p, fc(2)), ax), mk<v1::Less>(e, fc(127)));
    return select(too_small, mk<v1::Multiply>(p, fc(2)), p);
}
struct FloatFormat {
    int mantissa, exponent, emin;
};
FloatFormat format_of(const et::Type& t) {
    if (t == et::f16)
        return {10, 5, -14};
    if (t == et::bf16)
        return {7, 8, -126};
    return {23, 8, -126};
}
}  // namespace

ov::OutputVector translate_reduce_precision(const NodeContext& ctx) {
    // XLA rounds the mantissa bits to nearest even (a carry may raise the exponent), then,
    // when the exponent is narrowed, overflows to inf and flushes values below the narrow
    // format's smallest normal to (signed) zero; NaN stays NaN. Here, on f32 values: p = 2^e
    // for x's binade e (the source type's smallest normal binade for its denormals) from a
    // corrected log2, then Round(HALF_TO_EVEN)(x / p * 2^M) * 2^-M * p, all exact scalings.
    require_float(ctx);
    auto t = ctx.in_type(0);
    const int64_t E = ctx.int_param("exponent_bits"), M = ctx.int_param("mantissa_bits");
    OVJAX_CHECK(ctx, E >= 1 && M >= 0, "reduce_precision: bad exponent_bits ", E, " or mantissa_bits ", M);
    const auto fmt = format_of(t);
    const int src_m = fmt.mantissa, src_e = fmt.exponent, emin = fmt.emin;
    auto x = convert(ctx.get_input(0), et::f32);
    Output<Node> r = x;
    if (M < src_m) {
        auto p = binade(x, emin);
        // x / p is in [1, 2) (or below, for denormals): exact, as are the scalings by 2^+-M
        auto y = mk<v1::Multiply>(mk<v1::Divide>(x, p), fc(std::ldexp(1.0, static_cast<int>(M))));
        Output<Node> q = std::make_shared<ov::op::v5::Round>(y, ov::op::v5::Round::RoundMode::HALF_TO_EVEN);
        q = mk<v1::Multiply>(mk<v1::Multiply>(q, fc(std::ldexp(1.0, -static_cast<int>(M)))), p);
        r = select(mk<v1::Equal>(q, fc(0)), mk<v1::Multiply>(x, fc(0)), q);  // zeros keep x's sign
        r = select(mk<ov::op::v10::IsInf>(x), x, r);
    }
    const int64_t e_bits = E < src_e ? E : src_e;
    const int64_t bias = (int64_t{1} << (e_bits - 1)) - 1;
    auto ar = mk<v0::Abs>(r);
    if (bias + 1 < 128) {  // overflow to inf (f32 has no value at 2^128)
        auto inf = mk<v1::Multiply>(mk<v0::Sign>(r), fc(INFINITY));
        r = select(mk<v1::GreaterEqual>(ar, fc(std::ldexp(1.0, static_cast<int>(bias + 1)))), inf, r);
    }
    if (E < src_e)  // below the narrow format's smallest normal: signed zero
        r = select(mk<v1::Less>(ar, fc(std::ldexp(1.0, static_cast<int>(1 - bias)))), mk<v1::Multiply>(r, fc(0)), r);
    r = select(mk<ov::op::v10::IsNaN>(x), x, r);
    return {convert(r, t)};
}

ov::OutputVector translate_nextafter(const NodeContext& ctx) {
    // x +- its ulp 2^(e - m) (half of it stepping toward zero from a power of two): exact
    // f32 arithmetic for values of x's type; from zero the smallest denormal with y's sign;
    // from +-inf the largest finite value; NaN propagates.
    require_float(ctx);
    auto t = ctx.in_type(0);
    const auto fmt = format_of(t);
    auto x = convert(ctx.get_input(0), et::f32), y = convert(ctx.get_input(1), et::f32);
    auto p = binade(x, fmt.emin);
    auto ulp = mk<v1::Multiply>(p, fc(std::ldexp(1.0, -fmt.mantissa)));
    auto zero = fc(0);
    auto up = mk<v1::Greater>(y, x);
    auto away = mk<v1::Equal>(up, mk<v1::Greater>(x, zero));  // |x| grows
    auto exact_pow2 = mk<v1::LogicalAnd>(mk<v1::Equal>(mk<v0::Abs>(x), p), mk<v1::Greater>(p, fc(std::ldexp(1.0, fmt.emin))));
    auto step = select(mk<v1::LogicalAnd>(mk<v1::LogicalNot>(away), exact_pow2), mk<v1::Multiply>(ulp, fc(0.5)), ulp);
    Output<Node> r = select(up, mk<v1::Add>(x, step), mk<v1::Subtract>(x, step));
    const double max_finite = std::ldexp(2.0 - std::ldexp(1.0, -fmt.mantissa), fmt.exponent == 5 ? 15 : 127);
    if (fmt.exponent == 5)  // f16 overflow (a Convert from f32 might saturate instead)
        r = select(mk<v1::GreaterEqual>(mk<v0::Abs>(r), fc(65536.0)), mk<v1::Multiply>(mk<v0::Sign>(r), fc(INFINITY)), r);
    r = select(mk<ov::op::v10::IsInf>(x), mk<v1::Multiply>(mk<v0::Sign>(x), fc(max_finite)), r);
    auto tiny = fc(std::ldexp(1.0, fmt.emin - fmt.mantissa));
    r = select(mk<v1::Equal>(x, zero), select(up, tiny, mk<v0::Negative>(tiny)), r);
    // x == y gives y; XLA's CPU comparison takes f32 (and bf16) denormals as zeros there
    Output<Node> same = mk<v1::Equal>(x, y);
    if (t != et::f16) {
        auto tiny_abs = [&](const Output<Node>& v) { return mk<v1::Less>(mk<v0::Abs>(v), fc(std::ldexp(1.0, -126))); };
        same = mk<v1::LogicalOr>(same, mk<v1::LogicalAnd>(tiny_abs(x), tiny_abs(y)));
    }
    r = select(same, y, r);
    r = select(mk<ov::op::v10::IsNaN>(x), x, select(mk<ov::op::v10::IsNaN>(y), y, r));
    return {convert(r, t)};
}

// ---------------------------------------------------------------- integer bit operations

ov::OutputVector translate_population_count(const NodeContext& ctx) {
    require_int(ctx);
    auto t = ctx.in_type(0);
    return {convert(popcount32(low_bits(ctx.get_input(0), static_cast<int>(t.bitwidth()))), t)};
}

ov::OutputVector translate_clz(const NodeContext& ctx) {
    // n - popcount(v smeared right): the smeared value has every bit below the top one set
    require_int(ctx);
    auto t = ctx.in_type(0);
    const int n = static_cast<int>(t.bitwidth());
    auto v = low_bits(ctx.get_input(0), n);
    for (int s = 1; s < n; s *= 2)
        v = mk<ov::op::v13::BitwiseOr>(v, shr(v, s));
    return {convert(mk<v1::Subtract>(ci(n), popcount32(v)), t)};
}

}  // namespace op
}  // namespace ovjax
