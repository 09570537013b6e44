// Exact i32 bit-pattern helpers (see bits.hpp) and mulhi, bit-identical to JAX.
#include "ops/bits.hpp"

#include <cstdint>
#include <vector>

#include "openvino/op/constant.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/pass/constant_folding.hpp"
#include "ops/ops.hpp"

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
    return std::make_shared<v0::Convert>(x, et::i32);
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

Output<Node> rotl(const Output<Node>& x, int d) {
    return bit_or(shl(x, i32c(d)), shr_const(x, 32 - d));
}

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
    OVJAX_CHECK(ctx, t.is_integral_number() && ctx.in_type(1) == t, "mulhi takes integer operands of one type, got ",
                t, " and ", ctx.in_type(1));
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

}  // namespace op
}  // namespace ovjax
