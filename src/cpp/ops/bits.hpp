// Exact integer arithmetic on i32 bit patterns, for translators that need results
// bit-identical to XLA's integer ops (PRNGs, shifts, bitcasts, mulhi).
//
// OpenVINO's CPU plugin runs every integer of at most 32 bits as i32 and is exact on i32
// for Add, Subtract, Multiply (all wrapping), the bitwise ops and BitwiseLeftShift;
// BitwiseRightShift is arithmetic (also for u32), u32 <-> i32 Convert keeps the bits, u32
// constants >= 2^31 saturate (constants are built as i32 here), and comparisons and Select
// of i32 data go through f32 (inexact beyond 2^24; the helpers below use none).
#pragma once

#include <utility>

#include "ops/builders.hpp"

namespace ovjax {
namespace op {

// x (an integer of at most 32 bits) as i32: the bits of 32-bit types, the value of narrower
// ones (zero- or sign-extended). Constants are converted at conversion time.
Output<Node> as_i32(const Output<Node>& x);
// i32 bits as u32 (a Convert kept from constant folding: a folded u32 constant >= 2^31
// would saturate in the CPU plugin).
Output<Node> to_u32(const Output<Node>& v);
// The low bits of i32 `v` as integer type `t` (wrap-around, as JAX's integer results).
Output<Node> i32_to(const Output<Node>& v, const ov::element::Type& t);
// Logical right shift of i32 bit patterns by a constant 0 <= d < 32.
Output<Node> shr_const(const Output<Node>& x, int d);
// Rotate left by a constant 0 < d < 32.
Output<Node> rotl(const Output<Node>& x, int d);

// The carry (0 or 1) out of the 32-bit unsigned sum s = a + b (mod 2^32).
Output<Node> carry_out(const Output<Node>& a, const Output<Node>& b, const Output<Node>& s);

// A u64 value as its (lo, hi) 32-bit words.
struct U64 {
    Output<Node> lo, hi;
};
// a + b mod 2^64 (broadcasting); `carry`, when given, receives the carry (0 or 1) out of bit 63.
U64 add_u64(const U64& a, const U64& b, Output<Node>* carry = nullptr);

// High 32 bits of the unsigned 64-bit product of u32 patterns a and b (16-bit limbs: every
// partial product is below 2^32; broadcasting).
Output<Node> mulhi_u32(const Output<Node>& a, const Output<Node>& b);

}  // namespace op
}  // namespace ovjax
