// Small graph-building helpers shared by the translators: one node per call, no
// workarounds (translators that need exact semantics on the CPU plugin build them on top
// of these).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_left_shift.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/bitwise_right_shift.hpp"
#include "openvino/op/bitwise_xor.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/exp.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/less_eq.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/logical_not.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/subtract.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

// Short names used throughout the translators.
using ov::Node;
using ov::Output;
namespace et = ov::element;
namespace v0 = ov::op::v0;
namespace v1 = ov::op::v1;

// A node of op type T built from `args` (its first output).
template <typename T, typename... A>
Output<Node> make(const A&... args) {
    return std::make_shared<T>(args...);
}

// `parts` concatenated along `axis`; the part itself when there is one.
inline Output<Node> concat(const ov::OutputVector& parts, int64_t axis) {
    return parts.size() == 1 ? parts[0] : make<v0::Concat>(parts, axis);
}

// ---- arithmetic (numpy broadcasting)

inline Output<Node> add(const Output<Node>& a, const Output<Node>& b) { return make<v1::Add>(a, b); }
inline Output<Node> sub(const Output<Node>& a, const Output<Node>& b) { return make<v1::Subtract>(a, b); }
inline Output<Node> mul(const Output<Node>& a, const Output<Node>& b) { return make<v1::Multiply>(a, b); }
inline Output<Node> div(const Output<Node>& a, const Output<Node>& b) { return make<v1::Divide>(a, b); }

// cond ? a : b (a plain Select).
inline Output<Node> select(const Output<Node>& cond, const Output<Node>& a, const Output<Node>& b) {
    return make<v1::Select>(cond, a, b);
}

// ---- comparisons

// x != x, as IsNaN (float operands).
inline Output<Node> is_nan(const Output<Node>& x) { return make<ov::op::v10::IsNaN>(x); }

// a > b and a >= b, built as Less(b, a) and LessEqual(b, a). The CPU plugin's AVX-512 JIT
// kernels (eltwise nodes and snippets alike) evaluate Greater and GreaterEqual with the
// unordered predicates NLE_US / NLT_US (its jit_emitter.hpp defines _cmp_gt_os as
// _cmp_nle_us), so there Greater(NaN, x) and Greater(x, NaN) are true; its AVX2 kernels
// use the ordered vcmpgtps and give false. Less and LessEqual are ordered on every ISA.
// Measured on OpenVINO 2026.4 (AMD EPYC, AVX-512): Greater(NaN, 0) -> true, Less(0, NaN)
// -> false. Every float comparison that may see a NaN goes through these.
inline Output<Node> greater(const Output<Node>& a, const Output<Node>& b) { return make<v1::Less>(b, a); }
inline Output<Node> greater_eq(const Output<Node>& a, const Output<Node>& b) { return make<v1::LessEqual>(b, a); }

// ---- logical (boolean operands)

inline Output<Node> land(const Output<Node>& a, const Output<Node>& b) { return make<v1::LogicalAnd>(a, b); }
inline Output<Node> lor(const Output<Node>& a, const Output<Node>& b) { return make<v1::LogicalOr>(a, b); }
inline Output<Node> lnot(const Output<Node>& a) { return make<v1::LogicalNot>(a); }

// ---- bitwise (integer operands)

inline Output<Node> bit_and(const Output<Node>& a, const Output<Node>& b) {
    return make<ov::op::v13::BitwiseAnd>(a, b);
}
inline Output<Node> bit_or(const Output<Node>& a, const Output<Node>& b) { return make<ov::op::v13::BitwiseOr>(a, b); }
inline Output<Node> bit_xor(const Output<Node>& a, const Output<Node>& b) {
    return make<ov::op::v13::BitwiseXor>(a, b);
}
inline Output<Node> shl(const Output<Node>& a, const Output<Node>& b) {
    return make<ov::op::v15::BitwiseLeftShift>(a, b);
}
// Right shift; arithmetic for signed types (and for u32, which the CPU plugin runs as i32).
inline Output<Node> sar(const Output<Node>& a, const Output<Node>& b) {
    return make<ov::op::v15::BitwiseRightShift>(a, b);
}

// ---- scalar constants

// An i32 scalar holding the low 32 bits of `v`.
inline Output<Node> i32c(int64_t v) {
    return v0::Constant::create(et::i32, ov::Shape{}, std::vector<int32_t>{static_cast<int32_t>(v)});
}
// An f32 scalar.
inline Output<Node> f32c(double v) { return const_scalar(et::f32, v); }
// A scalar of `like`'s element type.
inline Output<Node> scalar_like(const Output<Node>& like, double v) { return const_scalar(like.get_element_type(), v); }

// The sign bit of a float value, zeros included (1 / -0 is -inf); false for NaN.
inline Output<Node> signbit(const Output<Node>& x) {
    auto zero = scalar_like(x, 0);
    auto neg_zero = land(make<v1::Equal>(x, zero), make<v1::Less>(div(scalar_like(x, 1), x), zero));
    return lor(make<v1::Less>(x, zero), neg_zero);
}

// exp that keeps NaN (the CPU plugin's Exp maps NaN to +inf) and reaches float32's range:
// the plugin's Exp overflows to inf from x = 88.38 on, where e^x is still finite up to
// 88.72 (3.4e38), so there it computes e^(x - 1) * e (x - 1 is exact for x in [88, 89]; one
// more rounding). f32 and f64 (which the plugin computes in f32); other types as Exp.
inline Output<Node> exp_(const Output<Node>& x) {
    const auto t = x.get_element_type();
    Output<Node> e = make<v0::Exp>(x);
    if (t == ov::element::f32 || t == ov::element::f64) {
        auto big = make<v1::Less>(scalar_like(x, 88.0), x);
        auto r = make<v0::Exp>(select(big, make<v1::Subtract>(x, scalar_like(x, 1.0)), x));
        e = select(big, make<v1::Multiply>(r, scalar_like(x, 2.718281828459045)), r);
    }
    return select(is_nan(x), x, e);
}

// |mag| with the sign bit of `sign` (XLA's copysign; a NaN sign counts as positive).
inline Output<Node> copysign(const Output<Node>& mag, const Output<Node>& sign) {
    auto a = make<v0::Abs>(mag);
    return select(signbit(sign), make<v0::Negative>(a), a);
}

}  // namespace op
}  // namespace ovjax
