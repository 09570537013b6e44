// Linear algebra that LAPACK computes in JAX: triangular_solve (trsm) and cholesky
// (potrf). Both are sequences of n dependent row/column steps; each step is a small
// vectorised update (one MatMul against the rows/columns done so far, batch dims
// included) of a carried result. For n <= kUnrollMax the steps are unrolled (static
// indices: the gathers fold into slices and the plugin fuses the chain); beyond, one
// OpenVINO Loop runs the same step with the iteration index as input, so the graph stays
// O(1) in n (an unrolled 200x200 Cholesky would be ~2000 nodes). The other LAPACK
// primitives (qr, eigh, svd, ...) are iterative and listed as unsupported; lu,
// tridiagonal_solve and friends are expanded into JAX's own Python implementations by
// the serializer (src/python/ovjax/_expand.py).
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>
#include <vector>

#include "openvino/core/model.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/gather.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/less_eq.hpp"
#include "openvino/op/not_equal.hpp"
#include "openvino/op/loop.hpp"
#include "openvino/op/matmul.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/reduce_logical_and.hpp"
#include "openvino/op/result.hpp"
#include "openvino/op/sqrt.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"
#include "ops/builders.hpp"

namespace ovjax {
namespace op {

namespace {

constexpr int64_t kUnrollMax = 16;

using Step = std::function<Output<Node>(const Output<Node>& i, const ov::OutputVector& inv, const Output<Node>& carry)>;

// carry = step(i, inv, carry) for i = 0 .. n-1; `step` must build everything it uses
// from its arguments (a Loop body cannot reach nodes outside it).
Output<Node> fori(int64_t n, const ov::OutputVector& inv, const Output<Node>& init, const Step& step) {
    if (n <= kUnrollMax) {
        Output<Node> carry = init;
        for (int64_t i = 0; i < n; ++i)
            carry = step(const_scalar(et::i64, static_cast<double>(i)), inv, carry);
        return carry;
    }
    using ov::op::v0::Parameter;
    auto ip = std::make_shared<Parameter>(et::i64, ov::PartialShape{});
    ov::ParameterVector params{ip};
    ov::OutputVector inv_p;
    for (auto& v : inv) {
        auto p = std::make_shared<Parameter>(v.get_element_type(), v.get_partial_shape());
        params.push_back(p);
        inv_p.push_back(p);
    }
    auto cp = std::make_shared<Parameter>(init.get_element_type(), init.get_partial_shape());
    params.push_back(cp);
    auto next = step(ip, inv_p, cp);
    auto cond = v0::Constant::create(et::boolean, ov::Shape{}, {true});
    ov::ResultVector results{std::make_shared<v0::Result>(next), std::make_shared<v0::Result>(cond)};
    auto body = std::make_shared<ov::Model>(results, params);
    auto loop = std::make_shared<ov::op::v5::Loop>(const_scalar(et::i64, static_cast<double>(n)),
                                                   v0::Constant::create(et::boolean, ov::Shape{}, {true}));
    loop->set_function(body);
    loop->set_special_body_ports({0, 1});
    for (size_t k = 0; k < inv.size(); ++k)
        loop->set_invariant_input(std::static_pointer_cast<Parameter>(inv_p[k].get_node_shared_ptr()), inv[k]);
    loop->set_merged_input(cp, init, results[0]);
    auto out = loop->get_iter_value(results[0], -1);
    loop->validate_and_infer_types();
    return out;
}

// x[..., i, :] (axis = rank-2) or x[..., :, i] (axis = rank-1) for a scalar index i,
// keeping the axis (size 1).
Output<Node> take(const Output<Node>& x, const Output<Node>& i, int64_t axis) {
    auto g = make<ov::op::v8::Gather>(x, i, const_i64({axis}));
    return make<v0::Unsqueeze>(g, const_i64({axis}));
}

// [m, 1] (rows) or [1, m] (cols) i64 iota.
Output<Node> iota(int64_t m, bool rows) {
    std::vector<int64_t> v(m);
    std::iota(v.begin(), v.end(), 0);
    return v0::Constant::create(et::i64, rows ? ov::Shape{size_t(m), 1} : ov::Shape{1, size_t(m)}, v);
}

// The matrix reversed along both of its last two axes (a lower triangle becomes upper).
Output<Node> reverse_rows(const Output<Node>& x, int64_t axis, int64_t m) {
    std::vector<int64_t> r(m);
    for (int64_t k = 0; k < m; ++k)
        r[k] = m - 1 - k;
    return make<ov::op::v8::Gather>(x, const_i64(r), const_i64({axis}));
}

std::vector<int64_t> swap_last2(size_t rank) {
    std::vector<int64_t> p(rank);
    std::iota(p.begin(), p.end(), 0);
    std::swap(p[rank - 1], p[rank - 2]);
    return p;
}

// Forward substitution L Y = C for lower-triangular L [..., m, m] whose strict upper
// triangle is zero, C [..., m, k]; `diag` [..., m, 1] the divisors (L's diagonal, or 1).
Output<Node> forward_subst(const Output<Node>& L, const Output<Node>& diag, const Output<Node>& C, int64_t m) {
    auto r = L.get_partial_shape().rank().get_length();
    auto init = const_fill(C.get_element_type(), C.get_shape(), 0.0);
    return fori(m, {L, diag, C}, init,
                [m, r](const Output<Node>& i, const ov::OutputVector& in, const Output<Node>& Y) {
                    auto row = take(in[0], i, r - 2);   // [..., 1, m]
                    auto s = make<v0::MatMul>(row, Y);  // [..., 1, k]: rows not solved yet are 0
                    auto d = take(in[1], i, r - 2);     // [..., 1, 1]
                    auto y = div(sub(take(in[2], i, r - 2), s), d);
                    auto at_i = make<v1::Equal>(iota(m, true), convert(i, et::i64));  // [m, 1]
                    return select(at_i, y, Y);
                });
}

}  // namespace

ov::OutputVector translate_triangular_solve(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)) || !is_static(ctx.in_dims(1))) {  // batch axes pass through
        for (size_t i = 0; i < 2; ++i)                               // the matrices' sizes are static
            require_static_from(ctx, i, ctx.in_dims(i).size() < 2 ? 0 : ctx.in_dims(i).size() - 2);
        return batch_map(ctx, std::max(symbolic_lead(ctx.in_dims(0)), symbolic_lead(ctx.in_dims(1))),
                         translate_triangular_solve);
    }
    auto a = ctx.get_input(0);
    auto b = ctx.get_input(1);
    auto t = ctx.in_type(1);
    OVJAX_CHECK(ctx, t.is_real() && ctx.in_type(0) == t,
                "triangular_solve needs floating-point operands of one type, got ", ctx.in_type(0), " and ", t);
    auto as = ctx.in_shape(0);
    auto bs = ctx.in_shape(1);
    const bool left = ctx.bool_param("left_side");
    const bool lower = ctx.bool_param("lower");
    const bool trans = ctx.bool_param("transpose_a");
    const bool unit = ctx.bool_param("unit_diagonal");
    const size_t r = as.size();
    OVJAX_CHECK(ctx, r >= 2 && bs.size() == r && as[r - 1] == as[r - 2],
                "triangular_solve needs a square a [..., m, m] "
                "and b of the same rank, got a ",
                as, " and b ", bs);
    const int64_t m = static_cast<int64_t>(as[r - 1]);
    OVJAX_CHECK(ctx, std::equal(as.begin(), as.end() - 2, bs.begin()) && bs[left ? r - 2 : r - 1] == as[r - 1],
                "triangular_solve: b ", bs, " does not match a ", as, left ? " (left side)" : " (right side)");
    if (m == 0 || numel(bs) == 0)
        return {b};
    auto f = et::f32;
    a = convert(a, f);
    b = convert(b, f);
    // Canonical problem: M Y = C with M lower triangular.
    //   right side: X op(A) = B  <=>  op(A)^T X^T = B^T
    bool tr = trans;
    Output<Node> C = b;
    if (!left) {
        C = transpose(C, swap_last2(r));
        tr = !tr;
    }
    Output<Node> M = tr ? transpose(a, swap_last2(r)) : a;
    const bool m_lower = lower != tr;
    const int64_t ra = static_cast<int64_t>(r);
    if (!m_lower) {
        // P M P is lower for the reversal permutation P: solve (P M P)(P Y) = P C
        M = reverse_rows(reverse_rows(M, ra - 2, m), ra - 1, m);
        C = reverse_rows(C, ra - 2, m);
    }
    // only the triangle is read (LAPACK ignores the other one, whatever it holds)
    auto strict = make<v1::Less>(iota(m, false), iota(m, true));  // [m, m]: col < row
    auto Ls = select(strict, M, scalar_like(M, 0));
    Output<Node> diag;
    if (unit) {
        ov::Shape ds(as.begin(), as.end());
        ds[r - 1] = 1;
        diag = const_fill(f, ds, 1.0);
    } else {
        std::vector<int64_t> idx(m);
        for (int64_t k = 0; k < m; ++k)
            idx[k] = k * (m + 1);
        ov::Shape flat(as.begin(), as.end() - 2);
        flat.push_back(static_cast<size_t>(m * m));
        ov::Shape ds(as.begin(), as.end());
        ds[r - 1] = 1;
        diag = reshape(make<ov::op::v8::Gather>(reshape(M, flat), const_i64(idx), const_i64({ra - 2})), ds);
    }
    Output<Node> Y = forward_subst(Ls, diag, C, m);
    if (!m_lower)
        Y = reverse_rows(Y, ra - 2, m);
    if (!left)
        Y = transpose(Y, swap_last2(r));
    return {convert(Y, t)};
}

// Cholesky-Crout, one column per step: v = A[:, j] - L L[j, :]^T (columns >= j of L are
// still zero), L[j, j] = sqrt(v[j]), L[i > j, j] = v[i] / L[j, j]. Like LAPACK's potrf
// (which JAX calls) only the lower triangle of A is read and the strict upper triangle
// of the result is A's; a matrix that is not positive definite (some v[j] <= 0) comes
// out all NaN, as JAX returns it.
ov::OutputVector translate_cholesky(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0))) {  // batch axes pass through
        require_static_from(ctx, 0, ctx.in_dims(0).size() < 2 ? 0 : ctx.in_dims(0).size() - 2);  // the matrices
        return batch_map(ctx, symbolic_lead(ctx.in_dims(0)), translate_cholesky);
    }
    auto a0 = ctx.get_input(0);
    auto t = ctx.in_type(0);
    OVJAX_CHECK(ctx, t.is_real(), "cholesky needs a floating-point operand, got ", t);
    auto as = ctx.in_shape(0);
    const size_t r = as.size();
    OVJAX_CHECK(ctx, r >= 2 && as[r - 1] == as[r - 2], "cholesky needs square matrices [..., n, n], got ", as);
    const int64_t n = static_cast<int64_t>(as[r - 1]);
    if (numel(as) == 0)
        return {a0};
    const int64_t ra = static_cast<int64_t>(r);
    auto a = convert(a0, et::f32);
    auto init = const_fill(et::f32, as, 0.0);
    auto L = fori(n, {a}, init, [n, ra](const Output<Node>& j, const ov::OutputVector& in, const Output<Node>& L) {
        auto A = in[0];
        auto row = take(L, j, ra - 2);                                            // [..., 1, n]
        auto v = sub(take(A, j, ra - 1), make<v0::MatMul>(L, row, false, true));  // [..., n, 1]
        auto d = take(v, j, ra - 2);                                              // [..., 1, 1]
        // a pivot <= 0 marks the factorization failed: a -1 on the diagonal (never a sqrt)
        auto s = select(make<v1::LessEqual>(d, scalar_like(d, 0)), scalar_like(d, -1), make<v0::Sqrt>(d));
        auto rows = iota(n, true);
        auto jj = convert(j, et::i64);
        auto col = select(make<v1::Equal>(rows, jj), s, div(v, s));
        col = select(greater_eq(rows, jj), col, scalar_like(col, 0));
        return select(make<v1::Equal>(iota(n, false), jj), col, L);  // column j
    });
    // success: no pivot was <= 0 (a NaN pivot is not a failure: JAX's LAPACK lets NaNs
    // through, poisoning only what they touch)
    std::vector<int64_t> idx(n);
    for (int64_t k = 0; k < n; ++k)
        idx[k] = k * (n + 1);
    ov::Shape flat(as.begin(), as.end() - 2);
    flat.push_back(static_cast<size_t>(n * n));
    auto diag = make<ov::op::v8::Gather>(reshape(L, flat), const_i64(idx), const_i64({ra - 2}));
    auto ok = make<ov::op::v1::ReduceLogicalAnd>(make<v1::NotEqual>(diag, scalar_like(diag, -1)), const_i64({ra - 2}),
                                                 true);          // [..., 1]
    ok = make<v0::Unsqueeze>(ok, const_i64({ra - 1}));           // [..., 1, 1]
    auto upper = make<v1::Less>(iota(n, true), iota(n, false));  // row < col
    auto full = select(upper, a, L);
    auto res = select(ok, full, scalar_like(full, NAN));
    return {convert(res, t)};
}

}  // namespace op
}  // namespace ovjax
