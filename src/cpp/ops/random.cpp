// PRNG primitives (threefry2x32 keys, XLA's RngBitGenerator), bit-identical to JAX. The
// shifts and bitcast_convert_type jax.random's samplers use are in bits.cpp.
//
// Key arrays: a key<fry>[S] value is its key data, a u32 tensor of shape S + (2,)
// (to_ov_type maps the key dtype to u32; the serializer appends the 2 to the shape).
// Keys of other PRNG implementations (rbg, unsafe_rbg, ...) never reach these
// translators: the serializer expands their random_* equations into the
// implementation's own functions (src/python/ovjax/_expand.py).
//
// Arithmetic is done on i32 bit patterns with the exact helpers of ops/bits.hpp (which
// lists the CPU plugin's integer behaviour they rely on). Comparisons and Select of i32
// data go through f32; they are avoided (selection is a multiplication by 0/1) or only
// used on small values.
#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_left_shift.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/bitwise_right_shift.hpp"
#include "openvino/op/bitwise_xor.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/is_inf.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/subtract.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"
#include "ops/builders.hpp"
#include "ops/bits.hpp"

namespace ovjax {
namespace op {

namespace {

// Threefry-2x32 (20 rounds) of i32 bit patterns, broadcasting; as JAX's _threefry2x32_lowering.
std::pair<Output<Node>, Output<Node>> threefry(const Output<Node>& k1, const Output<Node>& k2, const Output<Node>& x1,
                                               const Output<Node>& x2) {
    static const int rot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
    Output<Node> ks[3] = {k1, k2, bit_xor(bit_xor(k1, k2), i32c(0x1BD11BDA))};
    Output<Node> x[2] = {add(x1, ks[0]), add(x2, ks[1])};
    for (int i = 0; i < 5; ++i) {
        for (int r : rot[i % 2]) {
            x[0] = add(x[0], x[1]);
            x[1] = bit_xor(x[0], rotl(x[1], r));
        }
        x[0] = add(x[0], ks[(i + 1) % 3]);
        x[1] = add(add(x[1], ks[(i + 2) % 3]), i32c(i + 1));
    }
    return {x[0], x[1]};
}

// (hi, lo) words of the u64 iota of `shape` (row-major), as i32 constants. Unless `full`,
// an all-zero hi word (fewer than 2^32 elements) is a scalar 0 (it broadcasts).
std::pair<Output<Node>, Output<Node>> iota_2x32(const ov::Shape& shape, bool full = false) {
    uint64_t n64 = 1;
    for (auto d : shape)
        if (__builtin_mul_overflow(n64, static_cast<uint64_t>(d), &n64))
            throw TranslateError("random bits of shape " + shape.to_string() + " have too many elements");
    const bool two_words = full || n64 > (uint64_t{1} << 32);
    charge_constant(n64, two_words ? 8 : 4);
    const size_t n = static_cast<size_t>(n64);
    if (!two_words) {
        std::vector<int32_t> lo(n);
        for (size_t i = 0; i < n; ++i)
            lo[i] = static_cast<int32_t>(static_cast<uint32_t>(i));
        return {i32c(0), v0::Constant::create(et::i32, shape, lo)};
    }
    std::vector<int32_t> hi(n), lo(n);
    for (size_t i = 0; i < n; ++i) {
        const uint64_t v = i;
        hi[i] = static_cast<int32_t>(static_cast<uint32_t>(v >> 32));
        lo[i] = static_cast<int32_t>(static_cast<uint32_t>(v));
    }
    return {v0::Constant::create(et::i32, shape, hi), v0::Constant::create(et::i32, shape, lo)};
}

// The two words of key data x (i32, shape S + (2,)), each of shape S.
std::pair<Output<Node>, Output<Node>> key_words(const NodeContext& ctx, const Output<Node>& keys) {
    auto s = keys.get_shape();
    OVJAX_CHECK(ctx, !s.empty() && s.back() == 2, "expected threefry key data (trailing dimension 2), got shape ", s,
                "; only the threefry2x32 PRNG implementation is supported");
    ov::Shape ks(s.begin(), s.end() - 1);
    const int64_t r = static_cast<int64_t>(s.size()) - 1;
    auto k = as_i32(keys);
    auto w0 = reshape(slice(k, {0}, {1}, {1}, {r}), ks);
    auto w1 = reshape(slice(k, {1}, {2}, {1}, {r}), ks);
    return {w0, w1};
}
// Key data (u32, shape S + (2,)) from two i32 words of shape S.
Output<Node> make_key(const Output<Node>& w0, const Output<Node>& w1) {
    auto s = w0.get_shape();
    ov::Shape s1 = s;
    s1.push_back(1);
    auto k = make<v0::Concat>(ov::OutputVector{reshape(w0, s1), reshape(w1, s1)}, static_cast<int64_t>(s.size()));
    return to_u32(k);
}
// x of shape S viewed as S + (1,) * extra (to broadcast against per-key trailing shapes).
Output<Node> trail(const Output<Node>& x, size_t extra) {
    auto s = x.get_shape();
    s.insert(s.end(), extra, 1);
    return reshape(x, s);
}

// threefry2x32(key, iota_2x32(shape)) for the equation's key input and `shape` param:
// what random_bits and random_split both compute from a key.
std::pair<Output<Node>, Output<Node>> threefry_over_iota(const NodeContext& ctx) {
    ov::Shape shape;
    for (auto d : ctx.ints_param("shape"))
        shape.push_back(static_cast<size_t>(d));
    auto kw = key_words(ctx, ctx.get_input(0));
    auto counts = iota_2x32(shape);
    return threefry(trail(kw.first, shape.size()), trail(kw.second, shape.size()), counts.first, counts.second);
}

}  // namespace

// ---------------------------------------------------------------- keys

ov::OutputVector translate_random_seed(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)))  // keys of a vmapped batch: each slice on its own
        return batch_map(ctx, symbolic_lead(ctx.in_dims(0)), translate_random_seed);
    // threefry_seed: the key of a 32-bit seed is (seed >> 32, seed & 0xFFFFFFFF) = (0, seed)
    auto t = ctx.in_type(0);
    OVJAX_CHECK(ctx, t.is_integral_number() && t.bitwidth() <= 32,
                "random_seed supports integer seeds of at most 32 bits, got ", t);
    auto seed = as_i32(ctx.get_input(0));  // narrower seeds: their value, sign-extended (as JAX's bitwise_and)
    auto zero = mul(seed, i32c(0));
    return {make_key(zero, seed)};
}

ov::OutputVector translate_random_wrap(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, ctx.in_type(0) == et::u32, "random_wrap expects uint32 key data, got ", ctx.in_type(0));
    return {ctx.get_input(0)};
}

ov::OutputVector translate_random_unwrap(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    if (ov::as_type_ptr<v0::Constant>(x.get_node_shared_ptr()))
        return {to_u32(as_i32(x))};
    return {x};
}

ov::OutputVector translate_random_bits(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)))  // keys of a vmapped batch: each slice on its own
        return batch_map(ctx, symbolic_lead(ctx.in_dims(0)), translate_random_bits);
    const int64_t bw = ctx.int_param("bit_width");
    OVJAX_CHECK(ctx, bw == 8 || bw == 16 || bw == 32, "random_bits of ", bw,
                " bits is not supported (64-bit integers run as 32-bit on the CPU plugin)");
    // _threefry_random_bits_partitionable: the two words are xor-ed
    auto b = threefry_over_iota(ctx);
    // JAX's rule: uint<bit_width> values
    const auto t = bw == 8 ? et::u8 : bw == 16 ? et::u16 : et::u32;
    return {i32_to(bit_xor(b.first, b.second), t)};
}

ov::OutputVector translate_random_split(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)))  // keys of a vmapped batch: each slice on its own
        return batch_map(ctx, symbolic_lead(ctx.in_dims(0)), translate_random_split);
    // _threefry_split_foldlike: the two words are the new keys
    auto b = threefry_over_iota(ctx);
    return {make_key(b.first, b.second)};
}

ov::OutputVector translate_random_fold_in(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)))  // keys of a vmapped batch: each slice on its own
        return batch_map(ctx, symbolic_lead(ctx.in_dims(0)), translate_random_fold_in);
    auto kw = key_words(ctx, ctx.get_input(0));
    // threefry_2x32(key, [0, data]): the counts are x1 = 0, x2 = data
    auto data = as_i32(ctx.get_input(1));
    auto zero = mul(data, i32c(0));
    auto b = threefry(kw.first, kw.second, zero, data);
    return {make_key(b.first, b.second)};
}

ov::OutputVector translate_threefry2x32(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)))  // keys of a vmapped batch: each slice on its own
        return batch_map(ctx, symbolic_lead(ctx.in_dims(0)), translate_threefry2x32);
    OVJAX_CHECK(ctx, ctx.get_input_size() == 4, "threefry2x32 takes 4 operands");
    auto b = threefry(as_i32(ctx.get_input(0)), as_i32(ctx.get_input(1)), as_i32(ctx.get_input(2)),
                      as_i32(ctx.get_input(3)));
    // operands broadcast (JAX allows scalars): both outputs have the broadcast shape
    ov::Shape s;
    for (size_t i = 0; i < 4; ++i) {
        OVJAX_CHECK(ctx, ctx.in_type(i) == et::u32, "threefry2x32 takes uint32 operands, got ", ctx.in_type(i));
        s = broadcast_shapes(ctx, s, ctx.in_shape(i));
    }
    auto fit = [&](const Output<Node>& v) {
        Output<Node> r = v;
        if (r.get_shape() != s)
            r = add(r, v0::Constant::create(et::i32, s, std::vector<int32_t>(ov::shape_size(s), 0)));
        return to_u32(r);
    };
    return {fit(b.first), fit(b.second)};
}

ov::OutputVector translate_iota_2x32_shape(const NodeContext& ctx) {
    auto shape = ov::Shape();
    for (auto d : ctx.ints_param("shape"))
        shape.push_back(static_cast<size_t>(d));
    auto c = iota_2x32(shape, true);
    return {to_u32(c.first), to_u32(c.second)};
}

// ---------------------------------------------------------------- rng_bit_generator
//
// XLA's RngBitGenerator as XLA's CPU backend expands it (xla/service/
// rng_bit_generator_expander.cc with the bit generators of xla/hlo/builder/lib/prng.cc):
// - JAX's u32[4] key k is the u64[2] state s0 = k0 | k1 << 32, s1 = k2 | k3 << 32. The
//   generator key is s0, i.e. the words (k0, k1); the counter starts at s1. The new key
//   is (s0, s1 + number of counter values used) (64-bit wrap-around).
// - 8- and 16-bit results are the low bits of the 32-bit ones.
// - THREE_FRY: the output shape is halved along its first even dimension (none: its
//   largest; a scalar: a 1-element half). Element i of the half (row-major) is
//   threefry2x32(key, (lo, hi) words of s1 + i); along the halved dimension output j is
//   word j % 2 of half element j / 2 (an odd extent leaves the last elements' word 1
//   unused). Counter values used: the half's size.
// - PHILOX (Philox-4x32, 10 rounds, unscrambled key; RNG_DEFAULT on CPU): block i of
//   ceil(n / 4) encrypts the 128-bit counter (s1 + i) + s0 * 2^64 (words lo to hi) and
//   gives output elements 4i .. 4i + 3 (row-major, the last block cut to n). The new
//   state keeps only the low 64 bits: s1 + ceil(n / 4).

namespace {

// Philox-4x32 (10 rounds) of counter words x under key (k0, k1), broadcasting.
std::array<Output<Node>, 4> philox4x32(std::array<Output<Node>, 4> x, Output<Node> k0, Output<Node> k1) {
    const int64_t m0 = 0xD2511F53, m1 = 0xCD9E8D57;  // multipliers
    const int64_t w0 = 0x9E3779B9, w1 = 0xBB67AE85;  // Weyl key increments
    for (int round = 0; round < 10; ++round) {
        auto lo0 = mul(x[0], i32c(m0)), hi0 = mulhi_u32(x[0], i32c(m0));
        auto lo1 = mul(x[2], i32c(m1)), hi1 = mulhi_u32(x[2], i32c(m1));
        x = {bit_xor(bit_xor(hi1, x[1]), k0), lo1, bit_xor(bit_xor(hi0, x[3]), k1), lo0};
        k0 = add(k0, i32c(w0));
        k1 = add(k1, i32c(w1));
    }
    return x;
}

// A 64-bit count as constant words.
U64 u64_const(uint64_t v) { return {i32c(static_cast<int64_t>(v & 0xFFFFFFFFu)), i32c(static_cast<int64_t>(v >> 32))}; }

// XLA's threefry layout: bits (i32 of `shape`), counter values used.
std::pair<Output<Node>, uint64_t> rbg_threefry(const std::array<Output<Node>, 4>& k, const ov::Shape& shape) {
    ov::Shape half{1};
    size_t d = 0;
    if (!shape.empty()) {
        d = shape.size();
        for (size_t i = 0; i < shape.size() && d == shape.size(); ++i)
            if (shape[i] % 2 == 0)
                d = i;
        if (d == shape.size()) {  // no even dimension: the (first) largest
            d = 0;
            for (size_t i = 1; i < shape.size(); ++i)
                if (shape[i] > shape[d])
                    d = i;
        }
        half = shape;
        half[d] = (shape[d] + 1) / 2;
    }
    auto io = iota_2x32(half);
    auto ctr = add_u64({k[2], k[3]}, {io.second, io.first});
    auto x = threefry(k[0], k[1], ctr.lo, ctr.hi);
    const uint64_t used = ov::shape_size(half);
    if (shape.empty())
        return {reshape(x.first, shape), used};
    ov::Shape h1 = half;  // the two words side by side after the halved dimension
    h1.insert(h1.begin() + static_cast<std::ptrdiff_t>(d) + 1, 1);
    auto pairs = std::make_shared<v0::Concat>(ov::OutputVector{reshape(x.first, h1), reshape(x.second, h1)},
                                              static_cast<int64_t>(d) + 1)
                     ->output(0);
    ov::Shape even = shape;
    even[d] = half[d] * 2;
    Output<Node> bits = reshape(pairs, even);
    if (even[d] != shape[d])
        bits = slice(bits, {0}, {static_cast<int64_t>(shape[d])}, {1}, {static_cast<int64_t>(d)});
    return {bits, used};
}

// XLA's Philox layout: bits (i32 of `shape`), counter values used.
std::pair<Output<Node>, uint64_t> rbg_philox(const std::array<Output<Node>, 4>& k, const ov::Shape& shape) {
    const size_t n = ov::shape_size(shape), blocks = (n + 3) / 4;
    auto io = iota_2x32(ov::Shape{blocks});
    Output<Node> carry;
    auto lo = add_u64({k[2], k[3]}, {io.second, io.first}, &carry);
    auto hi = add_u64({k[0], k[1]}, {carry, i32c(0)});
    auto x = philox4x32({lo.lo, lo.hi, hi.lo, hi.hi}, k[0], k[1]);
    ov::OutputVector cols;
    for (auto& w : x)
        cols.push_back(reshape(w, ov::Shape{blocks, 1}));
    Output<Node> bits = reshape(make<v0::Concat>(cols, 1), ov::Shape{blocks * 4});
    if (blocks * 4 != n)
        bits = slice(bits, {0}, {static_cast<int64_t>(n)}, {1}, {0});
    return {reshape(bits, shape), blocks};
}

}  // namespace

ov::OutputVector translate_rng_bit_generator(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, ctx.in_type(0) == et::u32 && ctx.in_shape(0) == ov::Shape{4},
                "rng_bit_generator supports a uint32[4] key, got ", ctx.in_type(0), ctx.in_shape(0),
                " (64-bit keys: OpenVINO's CPU plugin runs 64-bit integers as 32-bit)");
    const auto t = to_ov_type(ctx.dtype_param("dtype"));
    OVJAX_CHECK(ctx, t == et::u8 || t == et::u16 || t == et::u32, "rng_bit_generator of ", t,
                " is not supported (uint8/16/32 are; OpenVINO's CPU plugin runs 64-bit integers as 32-bit)");
    // lax.RandomAlgorithm (an enum member); RNG_DEFAULT is Philox on XLA's CPU backend
    // (tests/test_random.py checks this against the installed jaxlib)
    auto alg_param = ctx.param("algorithm");
    const std::string alg(alg_param.tag() == format::ValueTag::enumeration ? alg_param.enum_member() : "");
    OVJAX_CHECK(ctx, alg == "RNG_THREE_FRY" || alg == "RNG_PHILOX" || alg == "RNG_DEFAULT",
                "rng_bit_generator: unsupported algorithm ", alg_param.describe(),
                " (RNG_DEFAULT, RNG_THREE_FRY and RNG_PHILOX are supported)");
    const auto shape = shape_param(ctx, ctx.ints_param("shape"), "rng_bit_generator's shape");
    auto ki = as_i32(ctx.get_input(0));
    if (ov::shape_size(shape) == 0)  // no counter values used: the key is unchanged
        return {to_u32(ki), v0::Constant::create(t, shape, std::vector<uint32_t>{})};
    std::array<Output<Node>, 4> k;
    for (int64_t i = 0; i < 4; ++i)
        k[static_cast<size_t>(i)] = reshape(slice(ki, {i}, {i + 1}, {1}, {0}), ov::Shape{});
    auto out = alg == "RNG_THREE_FRY" ? rbg_threefry(k, shape) : rbg_philox(k, shape);
    auto state = add_u64({k[2], k[3]}, u64_const(out.second));
    auto s1 = ov::Shape{1};
    auto new_key = make<v0::Concat>(
        ov::OutputVector{reshape(k[0], s1), reshape(k[1], s1), reshape(state.lo, s1), reshape(state.hi, s1)}, 0);
    return {to_u32(new_key), i32_to(out.first, t)};
}

}  // namespace op
}  // namespace ovjax
