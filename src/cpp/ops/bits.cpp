// Bit operations, bit-identical to JAX: the exact i32 bit-pattern helpers (bits.hpp),
// mulhi, the shifts, bitcast_convert_type (NaN payloads aside), population_count and clz.
// Integer ops work on i32 (narrow types as their zero-extended low bits, u32 as its bits),
// where Add/Subtract/Multiply, bitwise ops and arithmetic right shifts are exact on the CPU
// plugin (logical shifts are masked arithmetic ones).
#include "ops/bits.hpp"

#include <cstdint>
#include <vector>

#include "openvino/op/constant.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/pass/constant_folding.hpp"
#include "ops/ops.hpp"
#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_left_shift.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/bitwise_right_shift.hpp"
#include "openvino/op/bitwise_xor.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/is_inf.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/subtract.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"
#include <array>
#include <cmath>
#include <string>

namespace ovjax {
namespace op {

Output<Node> as_i32(const Output<Node>& x) {
    auto t = x.get_element_type();
    if (t == et::i32)
        return x;
    if (t.is_real() || t.bitwidth() > 32)
        throw TranslateError("ovjax: expected an integer of at most 32 bits, got " + t.get_type_name());
    if (auto k = ov::as_type_ptr<v0::Constant>(x.get_node_shared_ptr())) {
        auto v = k->cast_vector<int64_t>();
        std::vector<int32_t> w(v.size());
        for (size_t i = 0; i < v.size(); ++i)
            w[i] = static_cast<int32_t>(static_cast<uint32_t>(v[i]));
        return v0::Constant::create(et::i32, k->get_shape(), w);
    }
    return make<v0::Convert>(x, et::i32);
}

Output<Node> to_u32(const Output<Node>& v) {
    auto c = std::make_shared<v0::Convert>(v, et::u32);
    ov::pass::disable_constant_folding(c);
    return c;
}

Output<Node> i32_to(const Output<Node>& v, const et::Type& t) {
    const size_t w = t.bitwidth();
    if (t == et::i32)
        return v;
    if (t == et::u32)
        return to_u32(v);
    if (w >= 32 || t == et::boolean)
        return convert(v, t);
    const int64_t mask = (int64_t{1} << w) - 1;
    Output<Node> low = bit_and(v, i32c(mask));
    if (t.is_signed()) {
        const int64_t sign = int64_t{1} << (w - 1);
        low = sub(bit_xor(low, i32c(sign)), i32c(sign));  // sign-extend the low w bits
    }
    return convert(low, t);  // in range: exact
}

Output<Node> shr_const(const Output<Node>& x, int d) {
    if (d == 0)
        return x;
    return bit_and(sar(x, i32c(d)), i32c((int64_t{1} << (32 - d)) - 1));
}

Output<Node> rotl(const Output<Node>& x, int d) { return bit_or(shl(x, i32c(d)), shr_const(x, 32 - d)); }

Output<Node> carry_out(const Output<Node>& a, const Output<Node>& b, const Output<Node>& s) {
    // the top bit of (a & b) | ((a | b) & ~s): both top bits set, or one set and cleared in s
    auto c = bit_or(bit_and(a, b), bit_and(bit_or(a, b), bit_xor(s, i32c(-1))));
    return shr_const(c, 31);
}

U64 add_u64(const U64& a, const U64& b, Output<Node>* carry) {
    auto lo = add(a.lo, b.lo);
    auto c = carry_out(a.lo, b.lo, lo);
    if (!carry)
        return {lo, add(add(a.hi, b.hi), c)};
    auto t = add(a.hi, b.hi);
    auto hi = add(t, c);
    *carry = bit_or(carry_out(a.hi, b.hi, t), carry_out(t, c, hi));  // at most one of them is 1
    return {lo, hi};
}

Output<Node> mulhi_u32(const Output<Node>& a, const Output<Node>& b) {
    // a = a1 * 2^16 + a0, b = b1 * 2^16 + b0 (Hacker's Delight's mulhu): every limb
    // product and partial sum below stays < 2^32 (exact as wrapping i32 patterns)
    auto lo16 = [](const Output<Node>& x) { return bit_and(x, i32c(0xFFFF)); };
    auto a0 = lo16(a), a1 = shr_const(a, 16), b0 = lo16(b), b1 = shr_const(b, 16);
    auto t = add(mul(a1, b0), shr_const(mul(a0, b0), 16));  // <= (2^16 - 1)^2 + 2^16 - 1
    auto u = add(mul(a0, b1), lo16(t));
    return add(add(mul(a1, b1), shr_const(t, 16)), shr_const(u, 16));
}

ov::OutputVector translate_mulhi(const NodeContext& ctx) {
    // The high half of the 2w-bit product of two w-bit integers (JAX: widen, multiply,
    // shift right arithmetically for signed types, logically for unsigned ones).
    const auto t = ctx.in_type(0);
    OVJAX_CHECK(ctx, t.is_integral_number() && ctx.in_type(1) == t, "mulhi takes integer operands of one type, got ", t,
                " and ", ctx.in_type(1));
    OVJAX_CHECK(ctx, t.bitwidth() <= 32, "mulhi of ", t,
                " operands is not supported: OpenVINO's CPU plugin runs 64-bit integers as 32-bit, so the "
                "high half of their 128-bit product cannot be computed exactly");
    const int w = static_cast<int>(t.bitwidth());
    auto a = as_i32(ctx.get_input(0)), b = as_i32(ctx.get_input(1));
    Output<Node> hi;
    if (w < 32) {
        // operands zero- or sign-extended to i32: the product is exact (|a * b| <= 2^30
        // signed, < 2^32 as an unsigned i32 pattern)
        auto p = mul(a, b);
        hi = t.is_signed() ? sar(p, i32c(w)) : shr_const(p, w);
    } else {
        hi = mulhi_u32(a, b);
        if (t.is_signed()) {
            // a signed x is its unsigned pattern minus 2^32 when x < 0, so mod 2^32
            // hi_s = hi_u - (a < 0 ? b : 0) - (b < 0 ? a : 0); sar(x, 31) is the all-ones mask of x < 0
            hi = sub(sub(hi, bit_and(sar(a, i32c(31)), b)), bit_and(sar(b, i32c(31)), a));
        }
    }
    return {i32_to(hi, t)};
}

// ---------------------------------------------------------------- shifts

namespace {
enum class Shift { left, right_logical, right_arithmetic };

// XLA's shifts: the amount is read as unsigned; amounts >= the bit width give 0
// (left, logical) or the sign fill (arithmetic).
ov::OutputVector shift(const NodeContext& ctx, Shift kind) {
    const auto t = ctx.in_type(0);
    OVJAX_CHECK(ctx, t.is_integral_number() && t.bitwidth() <= 32, ctx.primitive(),
                " supports integers of at most 32 bits, got ", t);
    OVJAX_CHECK(ctx, ctx.in_type(1) == t, ctx.primitive(), ": the amount has type ", ctx.in_type(1), ", the value ", t);
    // JAX's rule: the value's type, the operands' common shape (a scalar literal broadcasts)
    // (with symbolic dimensions OpenVINO's broadcast of the two is JAX's; checked as declared)
    const bool symbolic = !is_static(ctx.in_dims(0)) || !is_static(ctx.in_dims(1));
    const ov::Shape shape = symbolic ? ov::Shape{} : broadcast_shapes(ctx, ctx.in_shape(0), ctx.in_shape(1));
    const int64_t w = static_cast<int64_t>(t.bitwidth());
    const int64_t mask = w == 32 ? -1 : (int64_t{1} << w) - 1;
    auto x = as_i32(ctx.get_input(0));
    auto d = as_i32(ctx.get_input(1));
    if (w < 32)
        d = bit_and(d, i32c(mask));  // the amount's unsigned value
    // a constant amount: everything is known at conversion time
    if (auto k = ov::as_type_ptr<v0::Constant>(d.get_node_shared_ptr()); k && ov::shape_size(k->get_shape()) == 1) {
        const uint32_t a = static_cast<uint32_t>(k->cast_vector<int64_t>()[0]);
        Output<Node> r;
        if (a >= static_cast<uint32_t>(w)) {
            if (kind == Shift::right_arithmetic) {
                Output<Node> xs = x;
                if (w < 32 && !t.is_signed())  // the sign of the w-bit pattern
                    xs = sub(bit_xor(x, i32c(int64_t{1} << (w - 1))), i32c(int64_t{1} << (w - 1)));
                r = sar(xs, i32c(31));
            } else {
                r = mul(x, i32c(0));
            }
        } else if (kind == Shift::left) {
            r = shl(x, i32c(a));
        } else if (kind == Shift::right_logical) {
            r = w < 32 ? sar(bit_and(x, i32c(mask)), i32c(a)) : shr_const(x, static_cast<int>(a));
        } else {
            Output<Node> xs = x;
            if (w < 32 && !t.is_signed())
                xs = sub(bit_xor(x, i32c(int64_t{1} << (w - 1))), i32c(int64_t{1} << (w - 1)));
            r = sar(xs, i32c(a));
        }
        auto out = i32_to(r, t);
        if (!symbolic && out.get_shape() != shape)  // a scalar shifted by an array amount
            out = reshape(out, shape);
        return {out};
    }
    // in range: amount < w (w is a power of 2: no bits above log2(w))
    auto ok = convert(make<v1::Equal>(bit_and(d, i32c(~(w - 1))), i32c(0)), et::i32);
    auto ds = bit_and(d, i32c(w - 1));
    Output<Node> r;
    if (kind == Shift::left) {
        r = mul(shl(x, ds), ok);
    } else if (kind == Shift::right_logical) {
        Output<Node> xz = w < 32 ? bit_and(x, i32c(mask)) : x;
        // arithmetic shift, then clear the 'ds' top bits: ~((-1 << (31 - ds)) << 1)
        auto keep = bit_xor(shl(shl(i32c(-1), sub(i32c(31), ds)), i32c(1)), i32c(-1));
        r = mul(bit_and(sar(xz, ds), keep), ok);
    } else {
        Output<Node> xs = x;
        if (w < 32 && !t.is_signed())
            xs = sub(bit_xor(bit_and(x, i32c(mask)), i32c(int64_t{1} << (w - 1))), i32c(int64_t{1} << (w - 1)));
        // out of range: shift by w - 1 (the sign fill)
        auto amount = add(i32c(w - 1), mul(sub(ds, i32c(w - 1)), ok));
        r = sar(xs, amount);
    }
    return {i32_to(r, t)};
}
}  // namespace

ov::OutputVector translate_shift_left(const NodeContext& ctx) { return shift(ctx, Shift::left); }
ov::OutputVector translate_shift_right_logical(const NodeContext& ctx) { return shift(ctx, Shift::right_logical); }
ov::OutputVector translate_shift_right_arithmetic(const NodeContext& ctx) {
    return shift(ctx, Shift::right_arithmetic);
}

// ---------------------------------------------------------------- bitcast
//
// OpenVINO has no op that reinterprets memory, so bit patterns and float values are
// converted into each other arithmetically, exactly: every float operation below is a
// comparison, a multiplication by a power of two that stays in range, or works on small
// integers (< 2^24); every integer operation is a bitwise op or shift on i32 (exact on the
// CPU plugin). Zeros (signed), subnormals and infinities are bit-exact. NaN: any NaN
// becomes the canonical quiet NaN of its type (positive, payload 0b10...0), since a NaN's
// sign and payload are not observable with float ops; JAX keeps them.

namespace {

// An IEEE binary format: exponent bits, mantissa bits, bias.
struct FloatFormat {
    int e, m, bias;
};
FloatFormat float_format(const et::Type& t) {
    if (t == et::f16)
        return {5, 10, 15};
    if (t == et::bf16)
        return {8, 7, 127};
    return {8, 23, 127};  // f32
}

// The f32 value of bit pattern `x` (i32, the pattern in its low bits) read as format `f`.
Output<Node> bits_to_f32(const Output<Node>& x, const FloatFormat& f) {
    auto mant = bit_and(x, i32c((int64_t{1} << f.m) - 1));
    auto expo = bit_and(sar(x, i32c(f.m)), i32c((int64_t{1} << f.e) - 1));  // compares exactly in f32
    auto neg = make<v1::Equal>(bit_and(sar(x, i32c(f.e + f.m)), i32c(1)), i32c(1));
    auto m = convert(mant, et::f32);  // < 2^23: exact
    auto is_zero_exp = make<v1::Equal>(expo, i32c(0));
    // normal: (1 + m / 2^M) * 2^(e - bias); subnormal: (m / 2^M) * 2^(1 - bias)
    Output<Node> frac = mul(m, f32c(std::ldexp(1.0, -f.m)));
    frac = select(is_zero_exp, frac, add(frac, f32c(1.0)));
    auto e = sub(select(is_zero_exp, i32c(1), expo), i32c(f.bias));  // -126..128
    // scale by 2^e, one exponent bit at a time; the partial products move monotonically
    // toward the result, so no intermediate overflows or underflows
    auto e_neg = make<v1::Equal>(sar(e, i32c(31)), i32c(-1));
    auto ea = sub(bit_xor(e, sar(e, i32c(31))), sar(e, i32c(31)));  // |e|, 0..128
    Output<Node> v = frac;
    for (int b = 0; b < 8; ++b) {
        auto bit = make<v1::Equal>(bit_and(sar(ea, i32c(b)), i32c(1)), i32c(1));
        const double up = std::ldexp(1.0, 1 << b), down = std::ldexp(1.0, -(1 << b));
        auto factor = select(bit, select(e_neg, f32c(down), f32c(up)), f32c(1.0));
        v = mul(v, factor);
    }
    // all-ones exponent: infinity (mantissa 0) or NaN
    auto special = make<v1::Equal>(expo, i32c((int64_t{1} << f.e) - 1));
    auto inf_nan = select(make<v1::Equal>(mant, i32c(0)), f32c(INFINITY), f32c(NAN));
    v = select(special, inf_nan, v);
    return mul(v, select(neg, f32c(-1.0), f32c(1.0)));
}

// The bit pattern (i32, in the low 1 + E + M bits) of f32 value `v`, a value of format `f`.
Output<Node> f32_to_bits(const Output<Node>& v, const FloatFormat& f) {
    auto zero = f32c(0.0), one = f32c(1.0);
    auto nan = make<ov::op::v10::IsNaN>(v);
    auto inf = make<ov::op::v10::IsInf>(v);
    // the sign, zeros included (1 / -0 is -inf); NaN counts as positive
    auto neg = lor(make<v1::Less>(v, zero), land(make<v1::Equal>(v, zero), make<v1::Less>(div(one, v), zero)));
    auto a = select(lor(nan, inf), one, make<v0::Abs>(v));  // finite from here on
    // normalise a to n in [1, 2) (n = a * 2^-e), scaling by one power 2^(2^i) at a time; the
    // steps of e are collected as i32 bits (this also keeps the CPU plugin's fused
    // elementwise kernels small enough to compile)
    Output<Node> n = a;
    Output<Node> e_up = i32c(0), e_down = i32c(0);
    for (int i = 6; i >= 0; --i) {  // a >= 2: scale down
        const int s = 1 << i;
        auto c = greater_eq(n, f32c(std::ldexp(1.0, s)));
        n = mul(n, select(c, f32c(std::ldexp(1.0, -s)), one));
        e_up = bit_or(e_up, shl(convert(c, et::i32), i32c(i)));
    }
    for (int i = 6; i >= 0; --i) {  // a < 1: scale up while the result stays < 2
        const int s = 1 << i;
        auto c = make<v1::Less>(n, f32c(std::ldexp(1.0, 1 - s)));
        n = mul(n, select(c, f32c(std::ldexp(1.0, s)), one));
        e_down = bit_or(e_down, shl(convert(c, et::i32), i32c(i)));
    }
    auto e = sub(e_up, e_down);                                              // -127..127
    auto sub_normal = make<v1::Less>(a, f32c(std::ldexp(1.0, 1 - f.bias)));  // zero included
    auto mant_normal = mul(sub(n, one), f32c(std::ldexp(1.0, f.m)));         // integers < 2^M
    // a * 2^(bias - 1 + M), 2^149 for f32: in two exact steps (the Select keeps OpenVINO
    // from folding the two constants into one, which overflows)
    const int k = f.bias - 1 + f.m, k1 = k / 2;
    auto mant_sub = mul(select(sub_normal, mul(a, f32c(std::ldexp(1.0, k1))), zero), f32c(std::ldexp(1.0, k - k1)));
    const double all_ones = std::ldexp(1.0, f.e) - 1;
    auto expf = select(sub_normal, zero, convert(add(e, i32c(f.bias)), et::f32));
    expf = select(lor(nan, inf), f32c(all_ones), expf);
    auto mantf = select(sub_normal, mant_sub, mant_normal);
    mantf = select(inf, zero, select(nan, f32c(std::ldexp(1.0, f.m - 1)), mantf));
    auto bits = bit_or(shl(convert(expf, et::i32), i32c(f.m)), convert(mantf, et::i32));
    auto sign = convert(convert(neg, et::f32), et::i32);
    return bit_or(bits, shl(sign, i32c(f.e + f.m)));
}

// x (integer or float, at most 32 bits) as its bit pattern in i32 (narrow types in the low
// bits, zero-extended).
Output<Node> to_bits(const Output<Node>& x) {
    auto t = x.get_element_type();
    if (!t.is_real()) {
        auto b = as_i32(x);
        const size_t w = t.bitwidth();
        return w < 32 ? bit_and(b, i32c((int64_t{1} << w) - 1)) : b;
    }
    if (t == et::bf16)  // the high half of the f32 pattern
        return shr_const(f32_to_bits(convert(x, et::f32), float_format(et::f32)), 16);
    return f32_to_bits(convert(x, et::f32), float_format(t));
}

// The low bits of i32 pattern `b` as a value of type `t`.
Output<Node> from_bits(const Output<Node>& b, const et::Type& t) {
    if (!t.is_real())
        return i32_to(b, t);
    if (t == et::bf16)
        return convert_bf16_exact(bits_to_f32(shl(b, i32c(16)), float_format(et::f32)));  // representable
    return convert(bits_to_f32(b, float_format(t)), t);
}

bool bitcastable(const et::Type& t) {
    return t != et::boolean && t.bitwidth() <= 32 && t.bitwidth() >= 8 &&
           (!t.is_real() || t == et::f32 || t == et::f16 || t == et::bf16);
}

}  // namespace

ov::OutputVector translate_bitcast_convert_type(const NodeContext& ctx) {
    // Between integers and f32/f16/bf16 of 8..32 bits, same or different widths. As in JAX,
    // a wider type becomes a trailing axis of w_in / w_out narrower values (least significant
    // first: little-endian), and a narrower one loses its trailing axis of w_out / w_in.
    auto from = ctx.in_type(0), to = to_ov_type(ctx.dtype_param("new_dtype"));
    auto x = ctx.get_input(0);
    if (from == to)
        return {x};
    if (!is_static(ctx.in_dims(0))) {  // leading axes pass through (a narrowing drops the trailing one)
        const Dims d = ctx.in_dims(0);
        if (from.bitwidth() < to.bitwidth())  // the trailing axis becomes the values
            require_static_from(ctx, 0, d.size() - 1);
        return batch_map(ctx, symbolic_lead(d), translate_bitcast_convert_type);
    }
    OVJAX_CHECK(ctx, bitcastable(from) && bitcastable(to),
                "bitcast_convert_type is supported between integers and float32/float16/bfloat16 of 8 to 32 "
                "bits, not ",
                from, " -> ", to);
    const size_t wi = from.bitwidth(), wo = to.bitwidth();
    const auto in_shape = ctx.in_shape(0);
    auto bits = to_bits(x);
    if (wi == wo)
        return {from_bits(bits, to)};
    if (wi > wo) {  // split: piece k holds bits [k * wo, (k + 1) * wo)
        const size_t r = wi / wo;
        ov::Shape s1 = in_shape;
        s1.push_back(1);
        ov::OutputVector pieces;
        for (size_t k = 0; k < r; ++k)
            pieces.push_back(reshape(shr_const(bits, static_cast<int>(k * wo)), s1));  // from_bits masks
        auto cat = std::make_shared<v0::Concat>(pieces, -1)->output(0);
        return {from_bits(cat, to)};
    }
    // join: the trailing axis of r narrower values
    const size_t r = wo / wi;
    OVJAX_CHECK(ctx, !in_shape.empty() && in_shape.back() == r, "bitcast_convert_type ", from, " -> ", to,
                " needs a trailing axis of ", r, ", got shape ", in_shape);
    const ov::Shape out_shape(in_shape.begin(), in_shape.end() - 1);
    Output<Node> acc;
    for (size_t k = 0; k < r; ++k) {
        auto piece = reshape(slice(bits, {static_cast<int64_t>(k)}, {static_cast<int64_t>(k + 1)}, {1},
                                   {static_cast<int64_t>(in_shape.size() - 1)}),
                             out_shape);
        auto shifted = k == 0 ? piece : shl(piece, i32c(static_cast<int64_t>(k * wi)));
        acc = k == 0 ? shifted : bit_or(acc, shifted);
    }
    return {from_bits(acc, to)};
}

// ---------------------------------------------------------------- bit counts

namespace {
void require_int(const NodeContext& ctx) {
    auto t = ctx.in_type(0);
    OVJAX_CHECK(ctx, t.is_integral_number() && t.bitwidth() <= 32, ctx.primitive(),
                " needs an integer operand of at most 32 bits, got ", t);
}

// The low n bits of x (zero-extended) as i32.
Output<Node> low_bits(const Output<Node>& x, int n) {
    auto v = convert(x, et::i32);
    if (n >= 32)
        return v;
    return bit_and(v, i32c((int64_t{1} << n) - 1));
}
Output<Node> band(const Output<Node>& a, uint32_t m) { return bit_and(a, i32c(static_cast<int32_t>(m))); }
// Number of set bits of i32 v (all 32 bits).
Output<Node> popcount32(Output<Node> v) {
    v = sub(v, band(shr_const(v, 1), 0x55555555));
    v = add(band(v, 0x33333333), band(shr_const(v, 2), 0x33333333));
    v = band(add(v, shr_const(v, 4)), 0x0F0F0F0F);
    return shr_const(mul(v, i32c(0x01010101)), 24);
}

}  // namespace

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
        v = bit_or(v, shr_const(v, s));
    return {convert(sub(i32c(n), popcount32(v)), t)};
}

}  // namespace op
}  // namespace ovjax
