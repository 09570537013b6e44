// Elementwise primitives. JAX has already made operand dtypes equal and inserted
// explicit broadcasts, except for scalar literals, which NumPy broadcasting covers.
//
// The graphs built here must give JAX's results on OpenVINO's CPU plugin, whose
// integer support is narrower than the opset suggests (measured with OpenVINO 2026.x):
//   * i8/u8 arithmetic saturates instead of wrapping;
//   * i32 Divide, Mod and the comparisons are evaluated in f32 (wrong above 2^24);
//   * Select fused after a comparison passes i32 data through f32;
//   * u32 is computed as i32 (signed order for Less/Maximum), and u32 constants
//     >= 2^31 saturate to 2^31-1; f32 -> u32 Convert saturates at 2^31;
//   * 64-bit types are executed as i32 / f32;
//   * Exp(NaN) is +inf, Maximum/Minimum drop a NaN first operand;
//   * on AVX-512, Greater/GreaterEqual are true when an operand is NaN (builders.hpp's
//     greater() / greater_eq() are Less / LessEqual with the operands swapped).
// So integers of 32 bits and less are computed as i32 (the bits of u32), 64-bit ones
// as i64, where Add/Subtract/Multiply/Maximum/Minimum/Abs/Negative/bitwise ops are
// exact (wrapping) and Convert back keeps the low bits; comparisons, selection and
// division are built from those, with f32 left only to decide signs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "openvino/op/shape_of.hpp"
#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_not.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/bitwise_xor.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/ceiling.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/cos.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/erf.hpp"
#include "openvino/op/exp.hpp"
#include "openvino/op/floor.hpp"
#include "openvino/op/is_finite.hpp"
#include "openvino/op/is_inf.hpp"
#include "openvino/op/is_nan.hpp"
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
#include "ops/builders.hpp"

namespace ovjax {
namespace op {

namespace {

// ---------------------------------------------------------------- helpers

// `make<T>` as a callable, for the int_wrapped helpers below.
template <typename T>
auto op1() {
    return [](const Output<Node>& a) { return make<T>(a); };
}
template <typename T>
auto op2() {
    return [](const Output<Node>& a, const Output<Node>& b) { return make<T>(a, b); };
}

// ---------------------------------------------------------------- floats

// A constant whose values satisfy `pred` (false for anything that is not a constant).
template <typename P>
bool constant_all(const Output<Node>& v, P&& pred) {
    auto k = ov::as_type_ptr<v0::Constant>(v.get_node_shared_ptr());
    if (!k)
        return false;
    for (auto e : k->cast_vector<double>())
        if (!pred(e))
            return false;
    return true;
}
// sign that keeps signed zeros (Sign(-0) is +0 in OpenVINO).
Output<Node> float_sign(const Output<Node>& x) {
    return select(make<v1::Equal>(x, scalar_like(x, 0)), x, make<v0::Sign>(x));
}
// trunc(x): round toward zero.
Output<Node> float_trunc(const Output<Node>& x) { return mul(make<v0::Sign>(x), make<v0::Floor>(make<v0::Abs>(x))); }
// Arithmetic as JAX's CPU code does it on f16 / bf16 values: each operation evaluated in f32
// and its result rounded to the narrow type (`bits` significant bits, narrow_float_bits);
// natively for other types (bits 0). For compositions JAX lowers as several operations.
struct NarrowArith {
    int bits;
    Output<Node> rnd(const Output<Node>& x) const { return bits ? round_significand(x, bits) : x; }
    Output<Node> add(const Output<Node>& a, const Output<Node>& b) const { return rnd(op::add(a, b)); }
    Output<Node> sub(const Output<Node>& a, const Output<Node>& b) const { return rnd(op::sub(a, b)); }
    Output<Node> mul(const Output<Node>& a, const Output<Node>& b) const { return rnd(op::mul(a, b)); }
    // operands into the type the arithmetic runs in, and the result back
    Output<Node> in(const Output<Node>& x) const { return bits ? convert(x, et::f32) : x; }
    Output<Node> out(const Output<Node>& x, const et::Type& t) const { return convert(x, t); }
};

Output<Node> horner(const Output<Node>& z, const std::vector<double>& coeffs) {
    Output<Node> p = scalar_like(z, coeffs[0]);
    for (size_t i = 1; i < coeffs.size(); ++i)
        p = add(mul(p, z), scalar_like(z, coeffs[i]));
    return p;
}

// ---------------------------------------------------------------- integers

// Integer arithmetic is carried out in a signed "bits" type: i32 for integers of 32
// bits and less (u32 as its bits), i64 for 64-bit ones (u64 as its bits).
et::Type bits_type(const et::Type& t) { return t.bitwidth() <= 32 ? et::i32 : et::i64; }
// A scalar of the bits type `like` has.
Output<Node> bits_c(const Output<Node>& like, int64_t v) {
    if (like.get_element_type() == et::i32)
        return v0::Constant::create(et::i32, ov::Shape{}, std::vector<int32_t>{static_cast<int32_t>(v)});
    return v0::Constant::create(et::i64, ov::Shape{}, std::vector<int64_t>{v});
}
// x as its bits type: its value (narrow types) or bits (u32, u64). Constants are
// converted here: a u32 constant >= 2^31 would saturate in the CPU plugin.
Output<Node> as_bits(const Output<Node>& x) {
    auto t = x.get_element_type();
    auto bt = bits_type(t);
    if (t == bt)
        return x;
    if (auto k = ov::as_type_ptr<v0::Constant>(x.get_node_shared_ptr())) {
        if (bt == et::i64)
            return v0::Constant::create(bt, k->get_shape(), k->cast_vector<int64_t>());  // u64: same bits
        auto v = k->cast_vector<int64_t>();
        std::vector<int32_t> w(v.size());
        for (size_t i = 0; i < v.size(); ++i)
            w[i] = static_cast<int32_t>(static_cast<uint32_t>(v[i]));
        return v0::Constant::create(bt, k->get_shape(), w);
    }
    return make<v0::Convert>(x, bt);
}
// Back to `t`: Convert keeps the low bits, which is JAX's wrap-around.
Output<Node> from_bits(const Output<Node>& v, const et::Type& t) { return convert(v, t); }
// cond ? a : b. Integer data of 32 and 64 bits is selected as b + (a - b) * cond,
// which stays in integer arithmetic; other data with Select.
Output<Node> select_data(const Output<Node>& cond, const Output<Node>& a, const Output<Node>& b) {
    auto t = a.get_element_type();
    if (!t.is_integral_number() || t.bitwidth() < 32)
        return select(cond, a, b);
    if (t != bits_type(t))
        return from_bits(select_data(cond, as_bits(a), as_bits(b)), t);
    return add(b, mul(sub(a, b), convert(cond, t)));
}
// Apply `fn` to integer operands as their bits type, other types natively.
template <typename F>
Output<Node> int_wrapped(const Output<Node>& a, const Output<Node>& b, F&& fn) {
    auto t = a.get_element_type();
    if (!t.is_integral_number())
        return fn(a, b);
    return from_bits(fn(as_bits(a), as_bits(b)), t);
}
template <typename F>
Output<Node> int_wrapped(const Output<Node>& a, F&& fn) {
    auto t = a.get_element_type();
    if (!t.is_integral_number())
        return fn(a);
    return from_bits(fn(as_bits(a)), t);
}

// v ^ (top bit) for bits-type v when `flip`: maps the unsigned order of the bits to
// the signed order. i32 constants are folded (the result may be a large constant the
// exact paths look for); i64 ones are not, so that both operands see the same constant
// when the CPU plugin demotes i64 to i32.
Output<Node> flip_top_bit(const Output<Node>& v, bool flip) {
    if (!flip)
        return v;
    const bool wide = v.get_element_type() == et::i64;
    auto k = ov::as_type_ptr<v0::Constant>(v.get_node_shared_ptr());
    if (k && !wide) {
        auto w = k->cast_vector<int32_t>();
        for (auto& e : w)
            e = static_cast<int32_t>(static_cast<uint32_t>(e) ^ 0x80000000u);
        return v0::Constant::create(et::i32, k->get_shape(), w);
    }
    return bit_xor(v, bits_c(v, wide ? INT64_MIN : INT32_MIN));
}
// A constant holding integers that f32 cannot represent.
bool inexact_in_f32(const Output<Node>& v) {
    return ov::as_type_ptr<v0::Constant>(v.get_node_shared_ptr()) &&
           !constant_all(v, [](double e) { return std::abs(e) <= 16777216.0; });
}

// Integer types that the CPU plugin compares wrongly (in f32).
bool wide_int(const et::Type& t) { return t.is_integral_number() && t.bitwidth() >= 32; }
// a < b for bits-type operands holding signed (or, with is_unsigned, unsigned) values,
// exactly: the sign of a - b corrected for overflow (Hacker's Delight 2-12); only a
// sign is compared with 0 in the end, which f32 gets right.
Output<Node> less_bits(Output<Node> a, Output<Node> b, bool is_unsigned) {
    a = flip_top_bit(a, is_unsigned);
    b = flip_top_bit(b, is_unsigned);
    auto d = sub(a, b);
    auto overflow = bit_and(bit_xor(a, b), bit_xor(d, a));
    return make<v1::Less>(bit_xor(d, overflow), scalar_like(d, 0));
}
Output<Node> int_less(const Output<Node>& a, const Output<Node>& b) {
    return less_bits(as_bits(a), as_bits(b), !a.get_element_type().is_signed());
}
Output<Node> int_equal(const Output<Node>& a, const Output<Node>& b) {
    auto x = bit_xor(as_bits(a), as_bits(b));
    return make<v1::Equal>(x, scalar_like(x, 0));
}

enum class Cmp { eq, ne, lt, le, gt, ge };

Output<Node> compare(Cmp k, const Output<Node>& a, const Output<Node>& b) {
    // f32 compares signed integers exactly with a constant below 2^24 in magnitude
    // (no other integer rounds to it, and rounding keeps the order)
    auto small = [](double e) { return std::abs(e) < 16777216.0; };
    const auto t = a.get_element_type();
    const bool native_ok = t.is_signed() && (constant_all(a, small) || constant_all(b, small));
    if (!wide_int(t) || native_ok) {
        switch (k) {
        case Cmp::eq:
            return make<v1::Equal>(a, b);
        case Cmp::ne:
            return make<v1::NotEqual>(a, b);
        case Cmp::lt:
            return make<v1::Less>(a, b);
        case Cmp::le:
            return make<v1::LessEqual>(a, b);
        case Cmp::gt:
            return greater(a, b);
        case Cmp::ge:
            return greater_eq(a, b);
        }
    }
    switch (k) {
    case Cmp::eq:
        return int_equal(a, b);
    case Cmp::ne:
        return lnot(int_equal(a, b));
    case Cmp::lt:
        return int_less(a, b);
    case Cmp::le:
        return lnot(int_less(b, a));
    case Cmp::gt:
        return int_less(b, a);
    case Cmp::ge:
        return lnot(int_less(a, b));
    }
    throw TranslateError("bad comparison");
}

// Whether numpy-broadcasting `small` against `big` gives `big`.
bool broadcasts_into(const ov::Shape& small, const ov::PartialShape& big) {
    if (big.rank().is_dynamic() || small.size() > static_cast<size_t>(big.rank().get_length()))
        return false;
    const size_t n = static_cast<size_t>(big.rank().get_length());
    for (size_t i = 0; i < small.size(); ++i) {
        const size_t d = small[small.size() - 1 - i];
        const auto& b = big[n - 1 - i];
        if (d != 1 && !(b.is_static() && static_cast<size_t>(b.get_length()) == d))
            return false;
    }
    return true;
}
int64_t rank_of(const Output<Node>& x) { return x.get_partial_shape().rank().get_length(); }

// max/min with JAX's semantics: NaN from either operand propagates; integers exact.
Output<Node> extremum(const Output<Node>& a, const Output<Node>& b, bool is_max) {
    auto t = a.get_element_type();
    if (t.is_real()) {
        // max(x, -inf) and min(x, +inf) are x, NaN included (jax.nn.softmax's max(-inf, ...));
        // no node keeps the pattern recognisable for OpenVINO's fusions
        const double neutral = is_max ? -INFINITY : INFINITY;
        auto is_neutral = [&](double e) { return e == neutral; };
        if (constant_all(b, is_neutral) && ov::shape_size(b.get_shape()) <= 1 && rank_of(a) >= rank_of(b))
            return a;
        if (constant_all(a, is_neutral) && ov::shape_size(a.get_shape()) <= 1 && rank_of(b) >= rank_of(a))
            return b;
        // Against a constant c (relu's max(x, 0), clipping): one compare and one select,
        // which keep a NaN x (the compare is false) and fuse into one plugin kernel. XLA
        // orders -0 below +0, so a tie takes c unless c is the zero that loses (max: -0,
        // min: +0); a NaN in c is taken. Both are per-element masks known now.
        for (int i = 0; i < 2; ++i) {
            const auto& x = i == 0 ? a : b;
            const auto& c = i == 0 ? b : a;
            auto k = ov::as_type_ptr<v0::Constant>(c.get_node_shared_ptr());
            if (!k || !broadcasts_into(c.get_shape(), x.get_partial_shape()))
                continue;
            const auto values = k->cast_vector<double>();
            std::vector<char> losing(values.size()), nan(values.size());
            bool any_losing = false, any_nan = false;
            for (size_t j = 0; j < values.size(); ++j) {
                losing[j] = values[j] == 0 && std::signbit(values[j]) == is_max;
                nan[j] = std::isnan(values[j]);
                any_losing = any_losing || losing[j];
                any_nan = any_nan || nan[j];
            }
            auto mask = [&](const std::vector<char>& m) { return v0::Constant::create(et::boolean, c.get_shape(), m); };
            Output<Node> beaten = is_max ? make<v1::LessEqual>(x, c) : greater_eq(x, c);
            if (any_losing) {
                Output<Node> strict = is_max ? make<v1::Less>(x, c) : greater(x, c);
                beaten = std::all_of(losing.begin(), losing.end(), [](char e) { return e; })
                             ? strict
                             : select(mask(losing), strict, beaten);
            }
            if (any_nan)
                beaten = lor(beaten, mask(nan));
            return select(beaten, c, x);
        }
        Output<Node> r = is_max ? make<v1::Maximum>(a, b) : make<v1::Minimum>(a, b);
        auto zero = scalar_like(a, 0);
        auto zero_tie = land(make<v1::Equal>(a, zero), make<v1::Equal>(b, zero));
        auto special = add(a, b);
        if (!is_max) {
            auto m1 = scalar_like(a, -1);
            special = mul(add(mul(a, m1), mul(b, m1)), m1);
        }
        return select(lor(lor(is_nan(a), is_nan(b)), zero_tie), special, r);
    }
    if (t == et::boolean)
        return is_max ? lor(a, b) : land(a, b);
    if (!wide_int(t))
        return is_max ? make<v1::Maximum>(a, b) : make<v1::Minimum>(a, b);
    // in the bits type, unsigned values with the top bit flipped (signed order = unsigned order)
    const bool flip = !t.is_signed();
    auto A = flip_top_bit(as_bits(a), flip), B = flip_top_bit(as_bits(b), flip);
    Output<Node> r;
    if (inexact_in_f32(A) || inexact_in_f32(B)) {
        // the CPU plugin turns Minimum(Maximum(x, c1), c2) into a Clamp with f32 bounds
        auto lt = less_bits(A, B, false);
        r = is_max ? select_data(lt, B, A) : select_data(lt, A, B);
    } else {
        r = is_max ? make<v1::Maximum>(A, B) : make<v1::Minimum>(A, B);
    }
    return from_bits(flip_top_bit(r, flip), t);
}

// The f32 value of bits-type v holding a signed or unsigned integer.
Output<Node> bits_as_f32(const Output<Node>& v, bool is_unsigned) {
    auto f = convert(v, et::f32);
    if (!is_unsigned)
        return f;
    const double wrap = std::ldexp(1.0, static_cast<int>(v.get_element_type().bitwidth()));
    return select(make<v1::Less>(v, scalar_like(v, 0)), add(f, f32c(wrap)), f);
}
// The bits (type bt) of the integer truncating float f, which is in bt's signed range
// or, with is_unsigned, non-negative and in its unsigned range.
Output<Node> float_as_bits(const Output<Node>& f, const et::Type& bt, bool is_unsigned) {
    if (!is_unsigned)
        return convert(f, bt);
    // floats >= 2^(n-1) are integers; shifting them by -2^n keeps their low n bits
    const int n = static_cast<int>(bt.bitwidth());
    auto shifted =
        select(greater_eq(f, scalar_like(f, std::ldexp(1.0, n - 1))), sub(f, scalar_like(f, std::ldexp(1.0, n))), f);
    return convert(shifted, bt);
}

// Truncating division and remainder of bits-type operands (C semantics, like XLA:
// x / 0 = -1, x % 0 = x, MIN / -1 = MIN) from operations the CPU plugin does exactly.
// An f32 quotient estimate scaled toward zero never overshoots, so the remainder keeps
// x's sign and fits; each estimate shrinks the unknown part of the quotient by ~2^-19
// (|q - q_k| <= |r_{k-1} / y| * 20 * 2^-24 + 1): two steps for 32-bit, four for 64-bit
// operands leave q - sum(q_k) in {0, 1}, which one exact comparison settles.
std::pair<Output<Node>, Output<Node>> int_divmod(const Output<Node>& x, const Output<Node>& y, bool is_unsigned) {
    const auto bt = x.get_element_type();
    auto k = [&](int64_t v) { return bits_c(x, v); };
    auto zero = make<v1::Equal>(y, k(0));
    auto y1 = add(y, convert(zero, bt));  // divide by 1 instead of 0
    auto fy = bits_as_f32(y1, is_unsigned);
    auto shrink = f32c(1.0 - std::ldexp(1.0, -20));
    Output<Node> q = k(0), r = x;
    for (int step = 0, steps = bt == et::i32 ? 2 : 4; step < steps; ++step) {
        auto qk = float_as_bits(mul(div(bits_as_f32(r, is_unsigned), fy), shrink), bt, is_unsigned);
        q = add(q, qk);
        r = sub(r, mul(qk, y1));
    }
    if (is_unsigned) {
        auto fix = lnot(less_bits(r, y1, true));  // r >= y
        q = add(q, convert(fix, bt));
        r = select_data(fix, sub(r, y1), r);
    } else {
        auto x_neg = make<v1::Less>(x, k(0));
        auto s = select(make<v1::NotEqual>(x_neg, make<v1::Less>(y1, k(0))), k(-1), k(1));
        auto t = sub(r, mul(s, y1));  // |r| - |y| with x's sign
        auto fix = select(x_neg, make<v1::LessEqual>(t, k(0)), greater_eq(t, k(0)));
        q = add(q, mul(s, convert(fix, bt)));
        r = select_data(fix, t, r);
    }
    return {select_data(zero, k(-1), q), select_data(zero, x, r)};
}

std::pair<Output<Node>, Output<Node>> divmod(const NodeContext& ctx) {
    auto x = ctx.get_input(0), y = ctx.get_input(1);
    auto t = x.get_element_type();
    OVJAX_CHECK(ctx, t.is_integral_number(), ctx.primitive(), ": integer operands expected");
    auto qr = int_divmod(as_bits(x), as_bits(y), !t.is_signed() && t.bitwidth() >= 32);
    return {from_bits(qr.first, t), from_bits(qr.second, t)};
}

}  // namespace

// ---------------------------------------------------------------- arithmetic

ov::OutputVector translate_add(const NodeContext& ctx) {
    return {int_wrapped(ctx.get_input(0), ctx.get_input(1), add)};
}
ov::OutputVector translate_sub(const NodeContext& ctx) {
    return {int_wrapped(ctx.get_input(0), ctx.get_input(1), sub)};
}
ov::OutputVector translate_mul(const NodeContext& ctx) {
    return {int_wrapped(ctx.get_input(0), ctx.get_input(1), mul)};
}
ov::OutputVector translate_max(const NodeContext& ctx) { return {extremum(ctx.get_input(0), ctx.get_input(1), true)}; }
ov::OutputVector translate_min(const NodeContext& ctx) { return {extremum(ctx.get_input(0), ctx.get_input(1), false)}; }

ov::OutputVector translate_div(const NodeContext& ctx) {
    if (ctx.in_type(0).is_real())
        return translate_binary<v1::Divide>(ctx);
    return {divmod(ctx).first};
}

ov::OutputVector translate_rem(const NodeContext& ctx) {
    if (!ctx.in_type(0).is_real())
        return {divmod(ctx).second};  // sign of the dividend, like C %
    // fmod: x - trunc(x / y) * y, evaluated in f32 for narrow types. XLA's fmod is exact;
    // this is within half an ulp of x (the rounding of trunc(x / y) * y) while |x / y| < 2^24
    // and inexact beyond (an exact fmod needs integer access to the float bits).
    auto y_in = ctx.get_input(1);
    return {in_f32(ctx.get_input(0), [&](const Output<Node>& x) {
        auto y = convert(y_in, x.get_element_type());
        auto r = sub(x, mul(float_trunc(div(x, y)), y));
        // x / y rounded up to an integer: the remainder must have x's sign
        auto ay = make<v0::Abs>(y);
        auto zero = scalar_like(x, 0);
        r = add(r, select(land(greater(x, zero), make<v1::Less>(r, zero)), ay,
                          select(land(make<v1::Less>(x, zero), greater(r, zero)), make<v0::Negative>(ay), zero)));
        // a zero remainder has the sign of x; fmod(finite x, +-inf) = x
        r = select(make<v1::Equal>(r, zero), mul(x, zero), r);
        auto keep_x = land(make<ov::op::v10::IsInf>(y), make<ov::op::v10::IsFinite>(x));
        return select(keep_x, x, r);
    })};
}

ov::OutputVector translate_neg(const NodeContext& ctx) {
    return {int_wrapped(ctx.get_input(0), op1<v0::Negative>())};  // unsigned: in the signed bits type
}

ov::OutputVector translate_pow(const NodeContext& ctx) {
    auto x = ctx.get_input(0), y = ctx.get_input(1);
    return {std::make_shared<v1::Power>(x, convert(y, x.get_element_type()))->output(0)};
}

ov::OutputVector translate_integer_pow(const NodeContext& ctx) {
    int64_t y = ctx.int_param("y");
    if (y == 0)
        return {filled(ctx, ctx.in_type(0), ctx.in_dims(0), 1.0)};
    // Exponentiation by squaring, as JAX lowers it.
    auto power = [y](const Output<Node>& x) {
        uint64_t n = y < 0 ? 0 - static_cast<uint64_t>(y) : static_cast<uint64_t>(y);
        Output<Node> acc, base = x;
        while (n > 0) {
            if (n & 1)
                acc = acc.get_node() ? mul(acc, base) : base;
            n >>= 1;
            if (n)
                base = mul(base, base);
        }
        if (y < 0)
            acc = div(scalar_like(x, 1), acc);
        return acc;
    };
    return {int_wrapped(ctx.get_input(0), power)};
}

ov::OutputVector translate_square(const NodeContext& ctx) {
    return {int_wrapped(ctx.get_input(0), [](const Output<Node>& x) { return mul(x, x); })};
}
// one_minus_square (JAX 0.12, tanh's derivative): 1 - x^2 as JAX lowers it, (1 + x) * (1 - x),
// which does not cancel near |x| = 1 (f16 / bf16 rounded after each operation, as JAX).
// Integers wrap.
ov::OutputVector translate_one_minus_square(const NodeContext& ctx) {
    const NarrowArith a{narrow_float_bits(ctx.in_type(0))};
    return {int_wrapped(ctx.get_input(0), [&](const Output<Node>& x0) {
        auto x = a.in(x0);
        auto one = scalar_like(x, 1);
        return a.out(a.mul(a.add(one, x), a.sub(one, x)), x0.get_element_type());
    })};
}

// polynomial (JAX 0.12): c_0 + c_1 x + ... + c_n x^n of the operands (x, c_0, ..., c_n), which
// broadcast like a binary operation's. Horner's rule in the order JAX lowers it: from c_n
// when there are at most `unroll` terms (8 when None), else from zeros of the result's
// shape (its lax.scan over every term, whose first step 0 * x + c_n is NaN at infinite x).
// f16 / bf16 are rounded after each operation, as JAX does; integers wrap.
ov::OutputVector translate_polynomial(const NodeContext& ctx) {
    const size_t n_terms = ctx.get_input_size() - 1;
    OVJAX_CHECK(ctx, n_terms >= 1, "polynomial needs x and at least one coefficient");
    int64_t unroll = 8;
    if (auto u = ctx.opt_param("unroll"); u && !u->is_none())
        unroll = u->as_int();
    const auto t = ctx.in_type(0);
    const bool wraps = t.is_integral_number();
    const NarrowArith a{narrow_float_bits(t)};
    ov::OutputVector ops;
    bool symbolic = false;
    for (size_t i = 0; i <= n_terms; ++i)
        symbolic = symbolic || !is_static(ctx.in_dims(i));
    ov::Shape out_shape = symbolic ? ov::Shape{} : ctx.in_shape(0);
    for (size_t i = 0; i <= n_terms; ++i) {
        OVJAX_CHECK(ctx, ctx.in_type(i) == t, "operand ", i, " is ", ctx.in_type(i), ", x is ", t);
        if (!symbolic)
            out_shape = broadcast_shapes(ctx, out_shape, ctx.in_shape(i));
        const auto v = ctx.get_input(static_cast<int>(i));
        ops.push_back(wraps ? as_bits(v) : a.in(v));
    }
    // the operands' common shape (sizes at run time): every operand broadcast into `v`
    auto to_common = [&](Output<Node> v) {
        for (const auto& o : ops)
            v = make<ov::op::v3::Broadcast>(v, make<ov::op::v3::ShapeOf>(o, et::i64),
                                            ov::op::BroadcastType::BIDIRECTIONAL);
        return v;
    };
    const auto& x = ops[0];
    Output<Node> acc;
    size_t k = n_terms;  // the next coefficient to add
    if (static_cast<int64_t>(n_terms) <= unroll) {
        acc = ops[k--];
    } else {
        acc = symbolic ? to_common(const_scalar(x.get_element_type(), 0))
                       : const_fill(x.get_element_type(), out_shape, 0);
    }
    for (; k >= 1; --k)
        acc = a.add(a.mul(acc, x), ops[k]);
    if (symbolic)
        acc = to_common(acc);               // (a single coefficient: its shape, not x's)
    else if (acc.get_shape() != out_shape)  // a single coefficient
        acc = make<ov::op::v3::Broadcast>(acc, const_i64(std::vector<int64_t>(out_shape.begin(), out_shape.end())));
    return {wraps ? from_bits(acc, t) : a.out(acc, t)};
}
ov::OutputVector translate_sqrt(const NodeContext& ctx) { return translate_unary<v0::Sqrt>(ctx); }
ov::OutputVector translate_rsqrt(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    return {div(scalar_like(x, 1), make<v0::Sqrt>(x))};
}
ov::OutputVector translate_cbrt(const NodeContext& ctx) {
    require_float(ctx);
    return {in_f32(ctx.get_input(0), [](const Output<Node>& x) {
        auto r = make<v1::Power>(make<v0::Abs>(x), scalar_like(x, 1.0 / 3.0));
        return mul(float_sign(x), r);
    })};
}
ov::OutputVector translate_abs(const NodeContext& ctx) {
    auto t = ctx.in_type(0);
    if (!t.is_signed() && !t.is_real())
        return {ctx.get_input(0)};
    return {int_wrapped(ctx.get_input(0), op1<v0::Abs>())};
}
ov::OutputVector translate_sign(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    auto t = ctx.in_type(0);
    if (t.is_real())
        return {float_sign(x)};
    if (!t.is_signed())
        return {convert(make<v1::NotEqual>(x, scalar_like(x, 0)), t)};
    return {int_wrapped(x, op1<v0::Sign>())};
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
    auto x = ctx.get_input(0);
    auto mode = even ? ov::op::v5::Round::RoundMode::HALF_TO_EVEN : ov::op::v5::Round::RoundMode::HALF_AWAY_FROM_ZERO;
    Output<Node> r = make<ov::op::v5::Round>(x, mode);
    // a zero result keeps x's sign (round(-0.4) is -0)
    return {select(make<v1::Equal>(r, scalar_like(x, 0)), mul(x, scalar_like(x, 0)), r)};
}

ov::OutputVector translate_is_finite(const NodeContext& ctx) { return translate_unary<ov::op::v10::IsFinite>(ctx); }

ov::OutputVector translate_clamp(const NodeContext& ctx) {
    // lax.clamp(min, x, max); the bounds may be scalars
    auto lo = ctx.get_input(0), x = ctx.get_input(1), hi = ctx.get_input(2);
    return {extremum(extremum(x, lo, true), hi, false)};
}

ov::OutputVector translate_select_n(const NodeContext& ctx) {
    auto pred = ctx.get_input(0);
    size_t n = ctx.get_input_size() - 1;
    OVJAX_CHECK(ctx, n >= 1, "select_n needs at least one case");
    // PRNG key cases carry trailing key data dimensions that the predicate lacks
    auto ps = ctx.in_dims(0), cs = ctx.in_dims(1);
    // One case, or empty cases (a static 0 among their dims): the result is case 0 (the
    // CPU plugin's BroadcastTransition pass failed to compile the selection of empty
    // int32 tensors with a symbolic batch: [B, 2, 0] against a [B, 2, 1] broadcast)
    if (n == 1 || std::find(cs.begin(), cs.end(), int64_t{0}) != cs.end())
        return {ctx.get_input(1)};
    if (!ps.empty() && ps.size() < cs.size()) {
        ps.resize(cs.size(), 1);
        pred = reshape(ctx, pred, ps);
    }
    if (ctx.in_type(0) == et::boolean) {
        OVJAX_CHECK(ctx, n == 2, "select_n with a boolean predicate takes two cases, got ", n);
        return {select_data(pred, ctx.get_input(2), ctx.get_input(1))};
    }
    // the predicate is in [0, n): small integers compare exactly
    Output<Node> r = ctx.get_input(1);
    for (size_t i = 1; i < n; ++i) {
        auto is_i = make<v1::Equal>(pred, scalar_like(pred, static_cast<double>(i)));
        r = select_data(is_i, ctx.get_input(static_cast<int>(i + 1)), r);
    }
    return {r};
}

// ---------------------------------------------------------------- transcendental

ov::OutputVector translate_exp(const NodeContext& ctx) { return {exp_(ctx.get_input(0))}; }
ov::OutputVector translate_exp2(const NodeContext& ctx) {
    // exp(log(2) * x) with log(2) in x's type, as JAX lowers it (in bf16 that is not 2^x)
    auto x = ctx.get_input(0);
    return {exp_(mul(scalar_like(x, std::log(2.0)), x))};
}
ov::OutputVector translate_log(const NodeContext& ctx) { return translate_unary<v0::Log>(ctx); }
// log2 (JAX 0.12) as JAX lowers it: log(x) * (1 / ln 2), the constant in x's type (f16 /
// bf16 rounded after each operation, as JAX).
ov::OutputVector translate_log2(const NodeContext& ctx) {
    require_float(ctx);
    auto x0 = ctx.get_input(0);
    const NarrowArith a{narrow_float_bits(x0.get_element_type())};
    auto inv_ln2 = a.in(scalar_like(x0, 1.4426950408889634));  // rounded to x's type first
    auto x = a.in(x0);
    return {a.out(a.mul(a.rnd(make<v0::Log>(x)), inv_ln2), x0.get_element_type())};
}

ov::OutputVector translate_expm1(const NodeContext& ctx) {
    // Accurate for small x: u = exp(x); u == 1 ? x : (u - 1) * x / log(u)  (Kahan)
    require_float(ctx);
    return {in_f32(ctx.get_input(0), [](const Output<Node>& x) {
        auto u = exp_(x);
        auto one = scalar_like(x, 1);
        auto um1 = sub(u, one);
        auto refined = div(mul(um1, x), make<v0::Log>(u));
        auto r = select(make<v1::Equal>(u, scalar_like(x, INFINITY)), u, refined);
        // Large |x| does not lose precision in exp(x) - 1; refine only small arguments.
        auto pick = select(make<v1::Less>(make<v0::Abs>(x), scalar_like(x, 0.5)), r, um1);
        return select(make<v1::Equal>(u, one), x, pick);
    })};
}

ov::OutputVector translate_log1p(const NodeContext& ctx) {
    // Accurate for small x: u = 1 + x; u == 1 ? x : log(u) * x / (u - 1)
    require_float(ctx);
    return {in_f32(ctx.get_input(0), [](const Output<Node>& x) {
        auto one = scalar_like(x, 1);
        auto u = add(one, x);
        auto lu = make<v0::Log>(u);
        auto refined = div(mul(lu, x), sub(u, one));
        auto pick = select(make<v1::Less>(make<v0::Abs>(x), scalar_like(x, 0.5)), refined, lu);
        return select(make<v1::Equal>(u, one), x, pick);
    })};
}

ov::OutputVector translate_tanh(const NodeContext& ctx) { return translate_unary<v0::Tanh>(ctx); }
ov::OutputVector translate_logistic(const NodeContext& ctx) { return translate_unary<v0::Sigmoid>(ctx); }
ov::OutputVector translate_sin(const NodeContext& ctx) { return translate_unary<v0::Sin>(ctx); }
ov::OutputVector translate_cos(const NodeContext& ctx) { return translate_unary<v0::Cos>(ctx); }
ov::OutputVector translate_tan(const NodeContext& ctx) { return translate_unary<v0::Tan>(ctx); }
ov::OutputVector translate_erf(const NodeContext& ctx) { return translate_unary<v0::Erf>(ctx); }

ov::OutputVector translate_erfc(const NodeContext& ctx) {
    // 1 - erf(x) for |x| < 1; beyond, Cephes' erfcf (as XLA): exp(-x^2) / |x| * P(1 / x^2),
    // which keeps the relative accuracy of the tails that 1 - erf(x) cancels away.
    require_float(ctx);
    return {in_f32(ctx.get_input(0), [](const Output<Node>& x) {
        auto ax = make<v0::Abs>(x);
        auto q = div(scalar_like(x, 1), ax);
        auto y = mul(q, q);
        auto p_small = horner(y, {2.326819970068386e-2, -1.387039388740657e-1, 3.687424674597105e-1,
                                  -5.824733027278666e-1, 6.210004621745983e-1, -4.944515323274145e-1,
                                  3.404879937665872e-1, -2.741127028184656e-1, 5.638259427386472e-1});
        auto p_big =
            horner(y, {-1.047766399936249e+1, 1.297719955372516e+1, -7.495518717768503e+0, 2.921019019210786e+0,
                       -1.015265279202700e+0, 4.218463358204948e-1, -2.820767439740514e-1, 5.641895067754075e-1});
        auto p = select(make<v1::Less>(ax, scalar_like(x, 2.0)), p_small, p_big);
        Output<Node> tail = mul(mul(exp_(make<v0::Negative>(mul(x, x))), q), p);
        tail = select(make<v1::Less>(x, scalar_like(x, 0)), sub(scalar_like(x, 2.0), tail), tail);
        auto near = sub(scalar_like(x, 1), make<v0::Erf>(x));
        return select(make<v1::Less>(ax, scalar_like(x, 1.0)), near, tail);
    })};
}

ov::OutputVector translate_erf_inv(const NodeContext& ctx) {
    // Giles' single-precision approximation (the one XLA uses), evaluated in f32.
    require_float(ctx);
    auto x0 = ctx.get_input(0);
    auto t = x0.get_element_type();
    auto x = convert(x0, et::f32);
    auto w = make<v0::Negative>(make<v0::Log>(mul(sub(f32c(1), x), add(f32c(1), x))));
    auto p_small = horner(sub(w, f32c(2.5)), {2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                                              0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941});
    auto p_big = horner(sub(make<v0::Sqrt>(w), f32c(3.0)),
                        {-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                         0.00943887047, 1.00167406, 2.83297682});
    auto p = select(make<v1::Less>(w, f32c(5.0)), p_small, p_big);
    Output<Node> r = mul(p, x);
    // |x| == 1 gives +-inf
    r = select(make<v1::Equal>(make<v0::Abs>(x), f32c(1)), mul(x, f32c(INFINITY)), r);
    return {convert(r, t)};
}

// ---------------------------------------------------------------- logic and comparison

namespace {
template <typename Logical, typename Bitwise>
ov::OutputVector logic(const NodeContext& ctx) {
    if (ctx.in_type(0) == et::boolean)
        return translate_binary<Logical>(ctx);
    return {int_wrapped(ctx.get_input(0), ctx.get_input(1), op2<Bitwise>())};
}
}  // namespace

ov::OutputVector translate_not(const NodeContext& ctx) {
    if (ctx.in_type(0) == et::boolean)
        return translate_unary<v1::LogicalNot>(ctx);
    return {int_wrapped(ctx.get_input(0), op1<ov::op::v13::BitwiseNot>())};
}
ov::OutputVector translate_and(const NodeContext& ctx) { return logic<v1::LogicalAnd, ov::op::v13::BitwiseAnd>(ctx); }
ov::OutputVector translate_or(const NodeContext& ctx) { return logic<v1::LogicalOr, ov::op::v13::BitwiseOr>(ctx); }
ov::OutputVector translate_xor(const NodeContext& ctx) { return logic<v1::LogicalXor, ov::op::v13::BitwiseXor>(ctx); }

ov::OutputVector translate_eq(const NodeContext& ctx) { return {compare(Cmp::eq, ctx.get_input(0), ctx.get_input(1))}; }
ov::OutputVector translate_ne(const NodeContext& ctx) { return {compare(Cmp::ne, ctx.get_input(0), ctx.get_input(1))}; }
ov::OutputVector translate_lt(const NodeContext& ctx) { return {compare(Cmp::lt, ctx.get_input(0), ctx.get_input(1))}; }
ov::OutputVector translate_le(const NodeContext& ctx) { return {compare(Cmp::le, ctx.get_input(0), ctx.get_input(1))}; }
// eq_to / le_to / lt_to: comparisons in IEEE total order (-NaN < -inf < ... < -0 < +0 <
// ... < +inf < +NaN); integers and bools compare as usual. A NaN's sign is not observable
// with float ops, so every NaN counts as +NaN (the sign of JAX's quiet NaNs from
// arithmetic may differ; XLA orders a -NaN first).
namespace {
// One operand's parts of a total-order comparison: the value, its sign bit (-0 has it;
// NaNs count as +NaN) and whether it is NaN.
struct TotalKey {
    Output<Node> v, sign, nan;
};
TotalKey total_key(const Output<Node>& x) {
    auto zero = scalar_like(x, 0);
    auto neg_zero = land(make<v1::Equal>(x, zero), make<v1::Less>(div(scalar_like(x, 1), x), zero));
    return {x, lor(make<v1::Less>(x, zero), neg_zero), is_nan(x)};
}
Output<Node> total_eq(const TotalKey& a, const TotalKey& b) {
    auto same = land(make<v1::Equal>(a.v, b.v), make<v1::Equal>(a.sign, b.sign));
    return lor(same, land(a.nan, b.nan));
}
Output<Node> total_lt(const TotalKey& a, const TotalKey& b) {
    auto zero = scalar_like(a.v, 0);
    auto zeros = land(make<v1::Equal>(a.v, zero), make<v1::Equal>(b.v, zero));
    auto ordered = lor(make<v1::Less>(a.v, b.v), land(zeros, land(a.sign, lnot(b.sign))));
    return lor(ordered, land(lnot(a.nan), b.nan));
}
}  // namespace

ov::OutputVector translate_eq_to(const NodeContext& ctx) {
    if (!ctx.in_type(0).is_real())
        return translate_eq(ctx);
    return {total_eq(total_key(ctx.get_input(0)), total_key(ctx.get_input(1)))};
}
ov::OutputVector translate_lt_to(const NodeContext& ctx) {
    if (!ctx.in_type(0).is_real())
        return translate_lt(ctx);
    return {total_lt(total_key(ctx.get_input(0)), total_key(ctx.get_input(1)))};
}
ov::OutputVector translate_le_to(const NodeContext& ctx) {
    if (!ctx.in_type(0).is_real())
        return translate_le(ctx);
    auto a = total_key(ctx.get_input(0)), b = total_key(ctx.get_input(1));  // built once, used by both
    return {lor(total_lt(a, b), total_eq(a, b))};
}
ov::OutputVector translate_gt(const NodeContext& ctx) { return {compare(Cmp::gt, ctx.get_input(0), ctx.get_input(1))}; }
ov::OutputVector translate_ge(const NodeContext& ctx) { return {compare(Cmp::ge, ctx.get_input(0), ctx.get_input(1))}; }

// ---------------------------------------------------------------- types and identities

// float -> integer as XLA converts: truncate toward zero, saturate out-of-range values
// (infinities included) to the type's limits, NaN -> 0.
Output<Node> float_to_int(const Output<Node>& x0, const et::Type& to) {
    auto f = x0.get_element_type() == et::f64 ? et::f64 : et::f32;
    auto x = convert(x0, f);
    x = select(is_nan(x), scalar_like(x, 0), x);
    // the first value above the range (a power of 2), the lowest value, and the largest float
    // below `above` (the clamp bound; Convert truncates it to the type's maximum or, for
    // wide types whose maximum has no float, below it)
    const int value_bits = static_cast<int>(to.bitwidth()) - (to.is_signed() ? 1 : 0);
    const double above = std::ldexp(1.0, value_bits);
    const double lo = to.is_signed() ? -above : 0.0;
    const double hi_f = f == et::f32 ? static_cast<double>(std::nextafter(static_cast<float>(above), 0.0f))
                                     : std::nextafter(above, 0.0);
    auto too_big = greater_eq(x, scalar_like(x, above));
    auto v = make<v1::Minimum>(make<v1::Maximum>(x, scalar_like(x, lo)), scalar_like(x, hi_f));
    if (wide_int(to) && !to.is_signed()) {
        // the CPU plugin converts f32 >= 2^31 to u32 wrongly: go through the signed bits
        auto bits = float_as_bits(v, bits_type(to), true);
        return from_bits(select_data(too_big, bits_c(bits, -1), bits), to);
    }
    Output<Node> r = convert(v, to);
    // (f64 too: the CPU plugin computes it in f32, where hi_f rounds up to `above`)
    if (std::floor(hi_f) < above - 1 || f == et::f64)
        r = select_data(too_big, const_highest(to), r);
    return r;
}

// f32 x rounded to f16's values, still as f32: on a CPU without f16 arithmetic the CPU plugin
// runs f16 tensors as f32, so a Convert to f16 inside a graph rounds nothing
// (x.astype(f16).astype(f32) came back unrounded, measured on OpenVINO 2026.4). Normal
// range: 11 significant bits, to nearest even; below 2^-14 f16's subnormal spacing 2^-24
// (the sign of a zero kept); above 65504 +-inf; NaN and infinities as they are. Exact in
// f32 arithmetic, and a no-op for the final Convert where f16 is native.
Output<Node> f16_rounded(const Output<Node>& x) {
    auto normal = round_significand(x, 11);
    // |x| < 2^-14: (x + m) - m with m = +-0.5 rounds x to a multiple of 2^-24 (the sum's
    // ulp). m is a Select, not a Constant: OpenVINO's linear-op fusion would fold
    // (x + c) - c to x.
    auto negative = make<v1::Less>(x, f32c(0.0));
    auto m = select(negative, f32c(-0.5), f32c(0.5));
    Output<Node> sub = make<v1::Subtract>(add(x, m), m);
    sub = select(make<v1::Equal>(sub, f32c(0.0)), mul(x, f32c(0.0)), sub);  // -tiny -> -0
    auto ax = make<v0::Abs>(x);
    auto r = select(make<v1::Less>(ax, f32c(std::ldexp(1.0, -14))), sub, normal);
    auto inf = select(negative, f32c(-INFINITY), f32c(INFINITY));
    return select(make<v1::Less>(f32c(65504.0), make<v0::Abs>(r)), inf, r);
}

ov::OutputVector translate_convert_element_type(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    auto to = to_ov_type(ctx.dtype_param("new_dtype"));
    auto from = x.get_element_type();
    if (from == to)
        return {x};
    if (to == et::boolean)
        return {compare(Cmp::ne, x, scalar_like(x, 0))};
    if (from.is_real() && to.is_integral_number())
        return {float_to_int(x, to)};
    // A float literal in another float type (jnp.clip's f32 bounds for an f16 x) becomes a
    // Constant now: extremum() and the plugin's fusions only treat Constant nodes as such.
    auto k = ov::as_type_ptr<v0::Constant>(x.get_node_shared_ptr());
    if (k && from.is_real() && to.is_real() && from.bitwidth() <= 32) {
        const auto values = k->cast_vector<double>();
        if (!values.empty() && std::all_of(values.begin(), values.end(), [&](double e) {
                return e == values[0] || (std::isnan(e) && std::isnan(values[0]));
            }))
            return {float_constant(to, k->get_shape(), values[0])};
    }
    if (to == et::f16 && (from == et::f32 || from == et::bf16))
        return {convert(f16_rounded(convert(x, et::f32)), et::f16)};
    return {convert(x, to)};
}

ov::OutputVector translate_identity(const NodeContext& ctx) { return ctx.inputs(); }

// tie(x, y) -> y: an ordering hint for XLA; the value is y.
ov::OutputVector translate_tie(const NodeContext& ctx) { return {ctx.get_input(1)}; }

// Primitives with no outputs and no effect on the computed values (dce_sink,
// inspect_sharding): nothing to build.
ov::OutputVector translate_no_outputs(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, ctx.num_outputs() == 0, "expected no outputs, the equation has ", ctx.num_outputs());
    return {};
}

}  // namespace op
}  // namespace ovjax
