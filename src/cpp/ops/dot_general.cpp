// dot_general -> OpenVINO MatMul (with transposes/reshapes from the jaxpr's static
// shapes; no Einsum).
//
// JAX's result layout is (batch..., lhs free..., rhs free...). The general lowering
// brings each operand to [batch..., M, K] / [batch..., K, N] (or the transposed
// forms, expressed with MatMul's transpose_a/transpose_b flags), multiplies, and
// reshapes [batch..., M, N] to the result. The common layer case x[..., K] @ W[K, N]
// (and matrix-vector / vector-matrix products) becomes one MatMul on the operands
// as they are, which is what the CPU plugin fuses.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "openvino/op/add.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/matmul.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "openvino/op/not_equal.hpp"
#include "ops/ops.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

namespace {

bool is_identity(const std::vector<int64_t>& perm) {
    for (size_t i = 0; i < perm.size(); ++i)
        if (perm[i] != static_cast<int64_t>(i))
            return false;
    return true;
}

std::vector<int64_t> concat(std::initializer_list<const std::vector<int64_t>*> parts) {
    std::vector<int64_t> r;
    for (auto* p : parts)
        r.insert(r.end(), p->begin(), p->end());
    return r;
}

ov::Output<ov::Node> matmul(const ov::Output<ov::Node>& a, const ov::Output<ov::Node>& b, bool ta, bool tb) {
    return make<ov::op::v0::MatMul>(a, b, ta, tb);
}

// Axes of an operand that are neither batch nor contracting, in order.
std::vector<int64_t> free_axes(size_t rank, const std::vector<int64_t>& contract, const std::vector<int64_t>& batch) {
    std::vector<int64_t> r;
    for (int64_t a = 0; a < static_cast<int64_t>(rank); ++a)
        if (std::find(contract.begin(), contract.end(), a) == contract.end() &&
            std::find(batch.begin(), batch.end(), a) == batch.end())
            r.push_back(a);
    return r;
}

void check_axes(const NodeContext& ctx, const char* what, const std::vector<int64_t>& axes, size_t rank) {
    for (auto a : axes)
        OVJAX_CHECK(ctx, a >= 0 && static_cast<size_t>(a) < rank, what, " axis ", a, " out of range for rank ", rank);
}

}  // namespace

ov::OutputVector translate_dot_general(const NodeContext& ctx) {
    auto dn = ctx.param("dimension_numbers");
    OVJAX_CHECK(ctx, dn.size() == 2 && dn.item(0).size() == 2 && dn.item(1).size() == 2,
                "dimension_numbers must be ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)), got ",
                dn.describe());
    const Dims ls = ctx.in_dims(0), rs = ctx.in_dims(1);
    const size_t lr = ls.size(), rr = rs.size();
    auto lc = norm_axes(dn.item(0).item(0).as_ints(), lr);
    auto rc = norm_axes(dn.item(0).item(1).as_ints(), rr);
    auto lb = norm_axes(dn.item(1).item(0).as_ints(), lr);
    auto rb = norm_axes(dn.item(1).item(1).as_ints(), rr);
    OVJAX_CHECK(ctx, lc.size() == rc.size(), "lhs/rhs contracting dimension counts differ");
    OVJAX_CHECK(ctx, lb.size() == rb.size(), "lhs/rhs batch dimension counts differ");
    check_axes(ctx, "lhs contracting", lc, lr);
    check_axes(ctx, "rhs contracting", rc, rr);
    check_axes(ctx, "lhs batch", lb, lr);
    check_axes(ctx, "rhs batch", rb, rr);
    for (size_t i = 0; i < lc.size(); ++i)
        OVJAX_CHECK(ctx, ls[lc[i]] == rs[rc[i]], "contracting dimensions ", lc[i], " and ", rc[i], " differ in size");
    for (size_t i = 0; i < lb.size(); ++i)
        OVJAX_CHECK(ctx, ls[lb[i]] == rs[rb[i]], "batch dimensions ", lb[i], " and ", rb[i], " differ in size");
    const auto lf = free_axes(lr, lc, lb), rf = free_axes(rr, rc, rb);
    OVJAX_CHECK(ctx, lf.size() + lc.size() + lb.size() == lr && rf.size() + rc.size() + rb.size() == rr,
                "dimension_numbers repeat an axis");
    // JAX's result: (batch..., lhs free..., rhs free...)
    Dims os;
    for (auto a : lb)
        os.push_back(ls[static_cast<size_t>(a)]);
    for (auto a : lf)
        os.push_back(ls[static_cast<size_t>(a)]);
    for (auto a : rf)
        os.push_back(rs[static_cast<size_t>(a)]);

    const ov::element::Type out_t = to_ov_type(dot_result_dtype(ctx, ctx.in_dtype(0), ctx.in_dtype(1)));
    auto pick = [](const Dims& s, const std::vector<int64_t>& axes) {
        Dims r;
        for (auto a : axes)
            r.push_back(s[static_cast<size_t>(a)]);
        return r;
    };
    // the product of static sizes, or -1 when one is symbolic
    auto sizes = [&](const Dims& s, const std::vector<int64_t>& axes) -> int64_t {
        const Dims d = pick(s, axes);
        return is_static(d) ? numel(ov::Shape(d.begin(), d.end())) : -1;
    };
    const int64_t K = sizes(ls, lc);
    if (has_zero(os) || K == 0)  // empty result, or a sum over nothing
        return {zeros(ctx, out_t, os)};
    const bool symbolic = !is_static(os) || K < 0;

    // preferred_element_type: the operands are converted to the result type first.
    // Narrow integer results (int8 x int8 -> int8 wraps like XLA) are computed in i32
    // and wrapped by the final Convert. A boolean dot (OR of ANDs) counts matches in
    // f32 and tests the count: a sum of non-negative terms never returns to 0, so
    // rounding cannot flip it.
    const bool is_bool = out_t == ov::element::boolean;
    ov::element::Type t = out_t;
    if (is_bool)
        t = ov::element::f32;
    else if (out_t.is_integral_number() && out_t.bitwidth() < 32)
        t = ov::element::i32;
    auto lhs = convert(ctx.get_input(0), t);
    auto rhs = convert(ctx.get_input(1), t);
    // y: [batch..., M, N], or the result's shape already (`shaped`)
    auto finish = [&](const ov::Output<ov::Node>& y, bool shaped = false) -> ov::OutputVector {
        auto r = shaped && symbolic ? y : reshape(ctx, y, os);
        if (is_bool)
            return {std::make_shared<ov::op::v1::NotEqual>(r, const_scalar(t, 0))->output(0)};
        return {convert(r, out_t)};
    };
    // OpenVINO's CPU plugin runs integer MatMul in f32 arithmetic, exact only while
    // every partial sum stays within 2^24. When the operand dtypes bound the products
    // (8-bit operands: |a*b| <= 2^14 or 255^2), split K into chunks whose sums are
    // provably exact and add the chunk results in integer arithmetic.
    OVJAX_CHECK(ctx, K >= 0 || !t.is_integral_number(), "an integer dot_general contracting the symbolic dimensions ",
                ctx.shapes().partial_shape(pick(ls, lc)),
                " is not supported (OpenVINO's CPU plugin sums integers in f32)");
    const int64_t chunk = t.is_integral_number() ? exact_f32_chunk(ctx.in_type(0), ctx.in_type(1), 1, K) : K;
    // MatMul, K-chunked as above; `la`/`ra` are the contracting axes of a/b.
    auto mm = [&](const ov::Output<ov::Node>& a, const ov::Output<ov::Node>& b, bool ta, bool tb, int64_t la,
                  int64_t ra) -> ov::Output<ov::Node> {
        if (K < 0 || chunk >= K)
            return matmul(a, b, ta, tb);
        ov::Output<ov::Node> acc;
        for (int64_t k0 = 0; k0 < K; k0 += chunk) {
            const int64_t k1 = std::min(K, k0 + chunk);
            auto part = matmul(slice(a, {k0}, {k1}, {1}, {la}), slice(b, {k0}, {k1}, {1}, {ra}), ta, tb);
            acc = k0 == 0 ? part : std::make_shared<ov::op::v1::Add>(acc, part)->output(0);
        }
        return acc;
    };

    // No contracting dimensions: each result element is one product (elementwise over the
    // batch axes, an outer product over the free ones), as exact as XLA's. A broadcasting
    // Multiply in the axis order of the operand of higher rank (the other one laid out
    // against it, its free axes last), then one Transpose to JAX's order, which the jaxpr's
    // own transpose back often cancels (einsum "...hqk,h->...hqk", a head mask): no MatMul
    // with K = 1 between transposes.
    if (lc.empty()) {
        const bool lhs_base = lr >= rr;
        const auto& x = lhs_base ? lhs : rhs;
        const auto& y = lhs_base ? rhs : lhs;
        const auto &xb = lhs_base ? lb : rb, &yb = lhs_base ? rb : lb, &yf = lhs_base ? rf : lf;
        const size_t xr = lhs_base ? lr : rr;
        std::vector<int64_t> yperm, xones, yones;
        for (int64_t a = 0; a < static_cast<int64_t>(xr); ++a) {
            auto it = std::find(xb.begin(), xb.end(), a);
            if (it != xb.end())
                yperm.push_back(yb[static_cast<size_t>(it - xb.begin())]);
            else
                yones.push_back(a);  // a free axis of x: size 1 in y
        }
        yperm.insert(yperm.end(), yf.begin(), yf.end());
        std::vector<int64_t> yfree_at;  // where y's free axes are in the product
        for (size_t j = 0; j < yf.size(); ++j)
            yfree_at.push_back(static_cast<int64_t>(xr + j));
        auto unsqueeze = [](const ov::Output<ov::Node>& v, const std::vector<int64_t>& axes) {
            if (axes.empty())
                return v;
            return make<ov::op::v0::Unsqueeze>(v, const_i64(axes));
        };
        auto prod = make<ov::op::v1::Multiply>(unsqueeze(x, yfree_at), unsqueeze(transpose(y, yperm), yones));
        // JAX's order: batch..., lhs free..., rhs free...
        const auto& xf = lhs_base ? lf : rf;
        std::vector<int64_t> to_jax = xb;
        if (lhs_base) {
            to_jax.insert(to_jax.end(), xf.begin(), xf.end());
            to_jax.insert(to_jax.end(), yfree_at.begin(), yfree_at.end());
        } else {
            to_jax.insert(to_jax.end(), yfree_at.begin(), yfree_at.end());
            to_jax.insert(to_jax.end(), xf.begin(), xf.end());
        }
        return finish(transpose(prod, to_jax), true);
    }

    // Direct MatMul on the operands as they are (no batch dims, one contracting pair).
    if (lb.empty() && lc.size() == 1) {
        const int64_t a = lc[0], b = rc[0];
        const int64_t lr_ = static_cast<int64_t>(lr), rr_ = static_cast<int64_t>(rr);
        // lhs [..., K] or [K, M] (transpose_a), rhs [K] / [K, N] / [N, K] (transpose_b): result [lhs free..., rhs free...]
        if ((a == lr_ - 1 || (lr == 2 && a == 0)) && rr <= 2) {
            const bool ta = lr == 2 && a == 0;
            const bool tb = rr == 2 && b == 1;
            return finish(mm(lhs, rhs, ta, tb, a, b), true);
        }
        // vector lhs [K] against rhs [..., K, N] or [..., N, K]: result is rhs free dims
        if (lr == 1 && rr >= 3) {
            if (b == rr_ - 2)
                return finish(mm(lhs, rhs, false, false, 0, b), true);
            if (b == rr_ - 1)
                return finish(mm(rhs, lhs, false, false, b, 0), true);
        }
    }

    // General case. The pairing order of contracting dimensions is free; try the order
    // of the lhs axes, of the rhs axes, and the given one, with either MatMul flag, and
    // keep the plan needing the fewest Transpose nodes.
    std::vector<std::vector<size_t>> orders;
    {
        std::vector<size_t> given(lc.size());
        std::iota(given.begin(), given.end(), 0);
        auto by_l = given, by_r = given;
        std::sort(by_l.begin(), by_l.end(), [&](size_t i, size_t j) { return lc[i] < lc[j]; });
        std::sort(by_r.begin(), by_r.end(), [&](size_t i, size_t j) { return rc[i] < rc[j]; });
        orders = {by_l, by_r, given};
    }
    struct Plan {
        std::vector<int64_t> lperm, rperm;
        bool ta = false, tb = false;
        int cost = 1 << 30;
    } best;
    for (const auto& order : orders) {
        std::vector<int64_t> lco, rco;
        for (auto i : order) {
            lco.push_back(lc[i]);
            rco.push_back(rc[i]);
        }
        for (int ta = 0; ta < 2; ++ta) {
            for (int tb = 0; tb < 2; ++tb) {
                Plan p;
                p.ta = ta != 0;
                p.tb = tb != 0;
                p.lperm = p.ta ? concat({&lb, &lco, &lf}) : concat({&lb, &lf, &lco});
                p.rperm = p.tb ? concat({&rb, &rf, &rco}) : concat({&rb, &rco, &rf});
                p.cost = 4 * (!is_identity(p.lperm) + !is_identity(p.rperm)) + ta + tb;
                if (p.cost < best.cost)
                    best = p;
            }
        }
    }
    if (lb.empty() && lf.empty() && rf.empty()) {
        // Full contraction to a scalar: a 1-D x 1-D MatMul. ([1, K] x [K, 1] reshaped to
        // rank 0 crashes the CPU plugin's compile_model, OpenVINO 2026.4.)
        if (K < 0) {
            auto k = ctx.shapes().product(pick(ls, lc));
            auto l = std::make_shared<ov::op::v1::Reshape>(transpose(lhs, best.lperm), k, false);
            auto r = std::make_shared<ov::op::v1::Reshape>(transpose(rhs, best.rperm), k, false);
            return finish(mm(l, r, false, false, 0, 0));
        }
        auto l = reshape(transpose(lhs, best.lperm), ov::Shape{static_cast<size_t>(K)});
        auto r = reshape(transpose(rhs, best.rperm), ov::Shape{static_cast<size_t>(K)});
        return finish(mm(l, r, false, false, 0, 0));
    }
    const auto nb = static_cast<int64_t>(lb.size());
    if (symbolic) {  // [batch..., M, K] x [batch..., K, N] with sizes at run time
        auto& sh = ctx.shapes();
        const auto b = sh.shape(pick(ls, lb));
        const auto M = sh.product(pick(ls, lf)), N = sh.product(pick(rs, rf)), Kt = sh.product(pick(ls, lc));
        auto cat = [](const ov::OutputVector& parts) {
            return std::make_shared<ov::op::v0::Concat>(parts, 0)->output(0);
        };
        // The 3-D form's dims when each group is one axis: then a transposed operand that
        // has them already needs no Reshape.
        auto one = [&](const Dims& s, const std::vector<int64_t>& axes) -> std::optional<int64_t> {
            if (axes.size() == 1)
                return s[static_cast<size_t>(axes[0])];
            return std::nullopt;
        };
        auto as3 = [&](const ov::Output<ov::Node>& x, const Dims& s, const std::vector<int64_t>& perm,
                       const std::vector<int64_t>& first, const std::vector<int64_t>& second,
                       const ov::Output<ov::Node>& a, const ov::Output<ov::Node>& c) -> ov::Output<ov::Node> {
            auto t = transpose(x, perm);
            auto f = one(s, first), g = one(s, second);
            if (f && g && perm.size() == first.size() + second.size() + static_cast<size_t>(nb))
                return t;  // [batch..., first, second] already
            return std::make_shared<ov::op::v1::Reshape>(t, cat({b, a, c}), false);
        };
        auto l = best.ta ? as3(lhs, ls, best.lperm, lc, lf, Kt, M) : as3(lhs, ls, best.lperm, lf, lc, M, Kt);
        auto r = best.tb ? as3(rhs, rs, best.rperm, rf, rc, N, Kt) : as3(rhs, rs, best.rperm, rc, rf, Kt, N);
        // [batch..., M, N] is the result's shape when M and N are one axis each
        return finish(mm(l, r, best.ta, best.tb, best.ta ? nb : nb + 1, best.tb ? nb + 1 : nb),
                      lf.size() == 1 && rf.size() == 1);
    }
    ov::Shape batch;
    for (auto a : lb)
        batch.push_back(ls[static_cast<size_t>(a)]);
    const auto M = static_cast<size_t>(sizes(ls, lf)), N = static_cast<size_t>(sizes(rs, rf));
    const auto Kz = static_cast<size_t>(K);
    ov::Shape l3 = batch, r3 = batch;
    l3.push_back(best.ta ? Kz : M);
    l3.push_back(best.ta ? M : Kz);
    r3.push_back(best.tb ? N : Kz);
    r3.push_back(best.tb ? Kz : N);
    auto l = reshape(transpose(lhs, best.lperm), l3);
    auto r = reshape(transpose(rhs, best.rperm), r3);
    return finish(mm(l, r, best.ta, best.tb, best.ta ? nb : nb + 1,
                     best.tb ? nb + 1 : nb));  // [batch..., M, N] -> [batch..., lhs free..., rhs free...]
}

}  // namespace op
}  // namespace ovjax
