// Elementwise float functions beyond elementwise.cpp's: inverse trigonometric and
// hyperbolic functions, atan2, reduce_precision, nextafter. (Integer bit operations are in
// bits.cpp.)
//
// Float functions of f16/bf16 operands are evaluated in f32 and rounded once at the end;
// reduce_precision and nextafter are exact: powers of two are built by products of exact
// constants (no bitcast in OpenVINO), and all scalings by them are exact in f32.
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
#include "ops/builders.hpp"

namespace ovjax {
namespace op {

namespace {

// fn over f32 operands (f32, f16, bf16), the result rounded back to the operands' type.
template <typename F>
ov::OutputVector float_fn(const NodeContext& ctx, F&& fn) {
    require_float32(ctx);
    return {in_f32(ctx.inputs(), fn)};
}

}  // namespace

// ---------------------------------------------------------------- float functions

ov::OutputVector translate_asin(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<v0::Asin>(a[0]); });
}
ov::OutputVector translate_acos(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<v0::Acos>(a[0]); });
}
ov::OutputVector translate_atan(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<v0::Atan>(a[0]); });
}
ov::OutputVector translate_asinh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<ov::op::v3::Asinh>(a[0]); });
}
ov::OutputVector translate_acosh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<ov::op::v3::Acosh>(a[0]); });
}
ov::OutputVector translate_atanh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<ov::op::v3::Atanh>(a[0]); });
}
ov::OutputVector translate_sinh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<v0::Sinh>(a[0]); });
}
ov::OutputVector translate_cosh(const NodeContext& ctx) {
    return float_fn(ctx, [](const ov::OutputVector& a) { return make<v0::Cosh>(a[0]); });
}

ov::OutputVector translate_atan2(const NodeContext& ctx) {
    // r0 = atan(|y| / |x|) in [0, pi/2]; both zero: 0, both infinite: pi/4; x with its sign
    // bit set: pi - r0; then the sign of y. NaN propagates through the division.
    OVJAX_CHECK(ctx, ctx.get_input_size() == 2, "atan2 takes 2 operands, the equation has ", ctx.get_input_size());
    return float_fn(ctx, [](const ov::OutputVector& a) {
        auto y = a[0], x = a[1];
        auto ay = make<v0::Abs>(y), ax = make<v0::Abs>(x);
        Output<Node> r = make<v0::Atan>(div(ay, ax));
        auto zero = scalar_like(x, 0);
        r = select(land(make<v1::Equal>(ay, zero), make<v1::Equal>(ax, zero)), zero, r);
        r = select(land(make<ov::op::v10::IsInf>(y), make<ov::op::v10::IsInf>(x)), scalar_like(x, M_PI / 4), r);
        r = select(signbit(x), sub(scalar_like(x, M_PI), r), r);
        return select(signbit(y), make<v0::Negative>(r), r);
    });
}

// ---------------------------------------------------------------- reduce_precision

namespace {
// 2^k exactly, for f32 k holding integers in [-127, 127]: a product of the powers
// 2^(+-2^i) selected by the bits of |k| (every partial product is a normal float).
Output<Node> pow2(const Output<Node>& k) {
    auto neg = make<v1::Less>(k, f32c(0));
    auto m = make<v0::Abs>(k);
    Output<Node> p = f32c(1);
    for (int i = 6; i >= 0; --i) {
        auto t = make<v0::Floor>(mul(m, f32c(std::ldexp(1.0, -i))));
        auto bit = sub(t, mul(f32c(2), make<v0::Floor>(mul(t, f32c(0.5)))));
        auto f = select(neg, f32c(std::ldexp(1.0, -(1 << i))), f32c(std::ldexp(1.0, 1 << i)));
        p = mul(p, select(make<v1::Equal>(bit, f32c(1)), f, f32c(1)));
    }
    return p;
}
// 2^e for the binade e of f32 x, e clamped to [emin, 127] (so 2^emin for zeros and the
// denormals of the type with smallest normal 2^emin): floor(log2 |x|) corrected by one.
Output<Node> binade(const Output<Node>& x, int emin) {
    auto ax = make<v0::Abs>(x);
    Output<Node> e = make<v0::Floor>(mul(make<v0::Log>(ax), f32c(1.0 / std::log(2.0))));
    e = make<v1::Minimum>(make<v1::Maximum>(e, f32c(emin)), f32c(127));
    Output<Node> p = pow2(e);
    auto too_big = land(greater(p, ax), greater(e, f32c(emin)));
    p = select(too_big, mul(p, f32c(0.5)), p);
    auto too_small = land(make<v1::LessEqual>(mul(p, f32c(2)), ax), make<v1::Less>(e, f32c(127)));
    return select(too_small, mul(p, f32c(2)), p);
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
    require_float32(ctx);
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
        auto y = mul(div(x, p), f32c(std::ldexp(1.0, static_cast<int>(M))));
        Output<Node> q = make<ov::op::v5::Round>(y, ov::op::v5::Round::RoundMode::HALF_TO_EVEN);
        q = mul(mul(q, f32c(std::ldexp(1.0, -static_cast<int>(M)))), p);
        r = select(make<v1::Equal>(q, f32c(0)), mul(x, f32c(0)), q);  // zeros keep x's sign
        r = select(make<ov::op::v10::IsInf>(x), x, r);
    }
    const int64_t e_bits = E < src_e ? E : src_e;
    const int64_t bias = (int64_t{1} << (e_bits - 1)) - 1;
    auto ar = make<v0::Abs>(r);
    if (bias + 1 < 128) {  // overflow to inf (f32 has no value at 2^128)
        auto inf = mul(make<v0::Sign>(r), f32c(INFINITY));
        r = select(greater_eq(ar, f32c(std::ldexp(1.0, static_cast<int>(bias + 1)))), inf, r);
    }
    if (E < src_e)  // below the narrow format's smallest normal: signed zero
        r = select(make<v1::Less>(ar, f32c(std::ldexp(1.0, static_cast<int>(1 - bias)))), mul(r, f32c(0)), r);
    r = select(make<ov::op::v10::IsNaN>(x), x, r);
    return {t == et::bf16 ? convert_bf16_exact(r) : convert(r, t)};
}

ov::OutputVector translate_nextafter(const NodeContext& ctx) {
    // x +- its ulp 2^(e - m) (half of it stepping toward zero from a power of two): exact
    // f32 arithmetic for values of x's type; from zero the smallest denormal with y's sign;
    // from +-inf the largest finite value; NaN propagates.
    require_float32(ctx);
    auto t = ctx.in_type(0);
    const auto fmt = format_of(t);
    auto x = convert(ctx.get_input(0), et::f32), y = convert(ctx.get_input(1), et::f32);
    auto p = binade(x, fmt.emin);
    auto ulp = mul(p, f32c(std::ldexp(1.0, -fmt.mantissa)));
    auto zero = f32c(0);
    auto up = greater(y, x);
    auto away = make<v1::Equal>(up, greater(x, zero));  // |x| grows
    auto exact_pow2 = land(make<v1::Equal>(make<v0::Abs>(x), p), greater(p, f32c(std::ldexp(1.0, fmt.emin))));
    auto step = select(land(lnot(away), exact_pow2), mul(ulp, f32c(0.5)), ulp);
    Output<Node> r = select(up, add(x, step), sub(x, step));
    const double max_finite = std::ldexp(2.0 - std::ldexp(1.0, -fmt.mantissa), fmt.exponent == 5 ? 15 : 127);
    if (fmt.exponent == 5)  // f16 overflow (a Convert from f32 might saturate instead)
        r = select(greater_eq(make<v0::Abs>(r), f32c(65536.0)), mul(make<v0::Sign>(r), f32c(INFINITY)), r);
    r = select(make<ov::op::v10::IsInf>(x), mul(make<v0::Sign>(x), f32c(max_finite)), r);
    auto tiny = f32c(std::ldexp(1.0, fmt.emin - fmt.mantissa));
    r = select(make<v1::Equal>(x, zero), select(up, tiny, make<v0::Negative>(tiny)), r);
    // x == y gives y; XLA's CPU comparison takes f32 (and bf16) denormals as zeros there
    Output<Node> same = make<v1::Equal>(x, y);
    if (t != et::f16) {
        auto tiny_abs = [&](const Output<Node>& v) {
            return make<v1::Less>(make<v0::Abs>(v), f32c(std::ldexp(1.0, -126)));
        };
        same = lor(same, land(tiny_abs(x), tiny_abs(y)));
    }
    r = select(same, y, r);
    r = select(make<ov::op::v10::IsNaN>(x), x, select(make<ov::op::v10::IsNaN>(y), y, r));
    return {t == et::bf16 ? convert_bf16_exact(r) : convert(r, t)};
}

}  // namespace op
}  // namespace ovjax
