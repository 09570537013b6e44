// gather and the scatter family (scatter, scatter-add, scatter-sub, scatter-mul,
// scatter-min, scatter-max), in full generality: any dimension numbers, batching
// dimensions (vmap), and the modes CLIP, FILL_OR_DROP and PROMISE_IN_BOUNDS (XLA's own
// out-of-bounds behaviour: gathers clamp like CLIP, scatters drop like FILL_OR_DROP).
//
// General lowering. Every operand axis d gets a window of size W[d] (gather's
// slice_sizes; for scatter the update window, 1 on inserted and batching axes) and,
// per batch element of the indices, a start: the index column start_index_map says,
// the batch coordinate for batching axes, else 0. Axes whose window is the whole axis
// (W[d] == S[d]) need no index (their start can only be 0); the other axes, P, are
// addressed element by element: indices = start + (static grid over the window of P).
// The operand is transposed to P ++ rest, so GatherND / ScatterNDUpdate move slabs of
// the trailing whole axes. A slice or window is out of bounds when, on some indexed
// axis, start < 0 or start > S[d] - W[d]: FILL_OR_DROP gathers fill the whole slice,
// and FILL_OR_DROP scatters drop the whole window (they write it into a padding
// area that is sliced off afterwards); the other modes clamp the start.
//
// The common gather x[idx] / jnp.take / embedding lookups (one indexed axis, size-1
// collapsed slice, the rest whole) becomes a single Gather-8.
//
// CPU plugin notes: the plugin runs i64 arithmetic in i32 and i32 comparisons and
// selects through f32, so indices are converted to i32 (wide index types saturate
// first, decided on an f32 copy), and operand axes must stay below 2^24 so every
// in-range index value and bound is exact in f32. ScatterNDUpdate-15's reductions
// were checked exact on CPU for int8/uint8 (wrapping) and int32 (beyond 2^24).
//
// Symbolic sizes (a vmapped batch, a dynamic sequence): the operand's axes, the index
// batch and whole windows may be symbolic; the window of an indexed axis must be static
// (its element grid is a constant). Batch coordinates become a Range broadcast over the
// index batch, bounds come from the shared size subgraph. An indexed axis of symbolic
// size is checked against 2^24 by its upper bound; an unbounded one is assumed below it.
#include <algorithm>
#include <limits>
#include <optional>
#include <numeric>

#include "openvino/op/slice.hpp"
#include "openvino/op/subtract.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "openvino/op/squeeze.hpp"
#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/gather.hpp"
#include "openvino/op/gather_nd.hpp"
#include "openvino/op/greater.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/pad.hpp"
#include "openvino/op/range.hpp"
#include "openvino/op/reduce_logical_or.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/scatter_nd_update.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/shape_of.hpp"
#include "frontend/pattern.hpp"
#include "ops/ops.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

using ov::Node;
using ov::Output;

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 24;

std::vector<int64_t> dn_field(const format::Value& dn, const char* name) {
    auto v = dn.field(name);
    if (!v || v->is_none())
        return {};
    return v->as_ints();
}

bool contains(const std::vector<int64_t>& v, int64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

Output<Node> const_i32(const std::vector<int32_t>& v, const ov::Shape& shape) {
    return ov::op::v0::Constant::create(ov::element::i32, shape, v);
}

enum class Mode { clip, fill };

// PROMISE_IN_BOUNDS leaves out-of-bounds indices to XLA's native semantics: gathers clamp
// the start, scatters skip the window.
Mode mode_of(const NodeContext& ctx, bool scatter) {
    auto m = ctx.opt_param("mode");
    if (!m || m->is_none())
        return Mode::fill;  // scatter's default; gather's jaxpr always names its mode
    std::string_view name = m->tag() == format::ValueTag::enumeration ? m->enum_member() : std::string_view{};
    if (m->tag() == format::ValueTag::integer) {
        switch (m->as_int()) {
        case 1:
            name = "CLIP";
            break;
        case 2:
            name = "FILL_OR_DROP";
            break;
        case 3:
            name = "PROMISE_IN_BOUNDS";
            break;
        default:
            break;
        }
    }
    if (name == "PROMISE_IN_BOUNDS")
        return scatter ? Mode::fill : Mode::clip;
    if (name == "CLIP")
        return Mode::clip;
    if (name == "FILL_OR_DROP")
        return Mode::fill;
    ctx.fail("unsupported GatherScatterMode " + m->describe());
}

// The problem both gather and scatter reduce to. Sizes are dimension words (shapes.hpp):
// the operand's and the index batch's may be symbolic; the windows of indexed axes are
// static (their element grid is a constant).
struct Plan {
    Dims S;                     // operand dims (possibly with a leading unit axis added)
    Dims W;                     // window per operand axis
    std::vector<int64_t> src;   // per axis: k >= 0 index column, -1 zero, -2 - j batching pair j
    std::vector<int64_t> P, F;  // indexed axes, whole axes
    bool augmented = false;     // a leading unit axis was added (no axis needed an index)
    Dims B;                     // index batch dims
    int64_t n = 0, nsP = 0;
    std::vector<int64_t> sim, sibd;  // start_index_map, start_indices_batching_dims
};

// `x` reshaped to [product of `rows`, tail...].
Output<Node> reshape_rows(const NodeContext& ctx, const Output<Node>& x, const Dims& rows, const Dims& tail) {
    if (is_static(rows) && is_static(tail)) {
        ov::Shape s{static_cast<size_t>(numel(static_shape(ctx, rows)))};
        for (auto t : tail)
            s.push_back(static_cast<size_t>(t));
        return reshape(x, s);
    }
    return make<ov::op::v1::Reshape>(x, concat({ctx.shapes().product(rows), ctx.shape_of(tail)}, 0), false);
}

// Index values as i32 (any shape). With `saturate`, wide index types
// (whose values the CPU plugin would truncate) saturate to +-2^30 first, decided on an
// f32 copy; without it they wrap to 32 bits, as JAX's FILL_OR_DROP gather does (it
// converts the indices to int32 before its bounds check).
Output<Node> as_i32_indices(const NodeContext& ctx, size_t input, const Output<Node>& idx, bool saturate) {
    auto t = ctx.in_type(input);
    OVJAX_CHECK(ctx, t.is_integral_number() && t != ov::element::boolean, ctx.primitive(), " indices have type ", t);
    Output<Node> v = convert(idx, ov::element::i32);
    if (saturate && (t == ov::element::i64 || t == ov::element::u64 || t == ov::element::u32)) {
        constexpr double kBig = 1073741824.0;  // 2^30
        auto f = convert(idx, ov::element::f32);
        auto big = make<ov::op::v1::Greater>(make<ov::op::v0::Abs>(f), const_scalar(ov::element::f32, kBig));
        auto positive = make<ov::op::v1::Greater>(f, const_scalar(ov::element::f32, 0));
        auto sat = select(positive, const_scalar(ov::element::i32, kBig), const_scalar(ov::element::i32, -kBig));
        v = select(big, sat, v);
    }
    return v;
}

// The index array (shape B ++ [N]) as i32 [nb, N].
Output<Node> indices_i32(const NodeContext& ctx, size_t input, const Plan& p, bool saturate) {
    return reshape_rows(ctx, as_i32_indices(ctx, input, ctx.get_input(static_cast<int>(input)), saturate), p.B, {p.n});
}

// Sorts the operand axes into indexed (P) and whole (F) ones. An axis is whole when its
// window is its size (the same word: equal static sizes or the same expression); an
// indexed axis needs a static window, and its size below 2^24 (the CPU plugin compares
// i32 indices through f32; a symbolic size is checked by its upper bound when it has one).
void plan_axes(const NodeContext& ctx, Plan& p) {
    const size_t r = p.S.size();
    for (size_t d = 0; d < r; ++d) {
        if (p.W[d] == p.S[d]) {
            p.F.push_back(static_cast<int64_t>(d));
            continue;
        }
        OVJAX_CHECK(ctx, !format::is_symbolic_dim(p.W[d]), "a window of the symbolic dimension ", ctx.dim_text(p.W[d]),
                    " on operand axis ", d, " (of size ", ctx.dim_text(p.S[d]), ") is not supported yet");
        const auto upper = format::is_symbolic_dim(p.S[d]) ? ctx.shapes().dimension(p.S[d]).get_max_length() : p.S[d];
        OVJAX_CHECK(ctx, upper < kMaxDim, "operand axis ", d, " of size ", ctx.dim_text(p.S[d]),
                    " exceeds the supported 2^24");
        OVJAX_CHECK(ctx, p.W[d] >= 0 && (format::is_symbolic_dim(p.S[d]) || p.W[d] <= p.S[d]), "window ", p.W[d],
                    " does not fit operand axis ", d, " of size ", ctx.dim_text(p.S[d]));
        p.P.push_back(static_cast<int64_t>(d));
    }
    if (p.P.empty()) {  // address a leading unit axis so the ND ops have an index
        p.augmented = true;
        p.S.insert(p.S.begin(), 1);
        p.W.insert(p.W.begin(), 1);
        p.src.insert(p.src.begin(), -1);
        for (auto& f : p.F)
            ++f;
        p.P.push_back(0);
    }
    p.nsP = 1;
    for (auto d : p.P)
        p.nsP *= p.W[static_cast<size_t>(d)];
}

// x, when `ind` ([B..., 1], i32) is JAX's index normalisation where(x < 0, x + n, x) with
// its vector axis added (jnp.take, x[idx]: select_n(lt(x, 0), x, add(x, n)) and
// broadcast_in_dim, as ovjax translates them: x + ((x + n) - x) * Convert(x < 0), then
// Unsqueeze); nullopt otherwise. Gather-8 takes x in [-n, n) as it is (-k is row n - k), so
// a take on dynamic shapes need not compute the normalised index at run time.
std::optional<Output<Node>> unnormalised(const Output<Node>& ind, size_t vector_axis, int64_t n) {
    using pattern::as;
    auto constant_is = [](const Output<Node>& o, int64_t v) {
        auto c = as<ov::op::v0::Constant>(o);
        return c && ov::shape_size(c->get_shape()) == 1 && c->cast_vector<int64_t>()[0] == v;
    };
    auto un = as<ov::op::v0::Unsqueeze>(ind);
    if (!un || !constant_is(un->input_value(1), static_cast<int64_t>(vector_axis)))
        return std::nullopt;
    auto top = as<ov::op::v1::Add>(un->input_value(0));
    if (!top)
        return std::nullopt;
    const auto x = top->input_value(0);
    auto mul = as<ov::op::v1::Multiply>(top->input_value(1));
    auto diff = mul ? as<ov::op::v1::Subtract>(mul->input_value(0)) : nullptr;
    auto flag = mul ? as<ov::op::v0::Convert>(mul->input_value(1)) : nullptr;
    auto neg = flag ? as<ov::op::v1::Less>(flag->input_value(0)) : nullptr;
    if (!diff || !neg || diff->input_value(1) != x || neg->input_value(0) != x || !constant_is(neg->input_value(1), 0))
        return std::nullopt;
    auto wrapped = as<ov::op::v1::Add>(diff->input_value(0));
    if (!wrapped || x.get_element_type() != ov::element::i32)
        return std::nullopt;
    for (int k = 0; k < 2; ++k)
        if (wrapped->input_value(k) == x && constant_is(wrapped->input_value(1 - k), n))
            return x;
    return std::nullopt;
}

// [lo, hi] holding every value of the integer tensor `v`, when the graph that computes it
// shows one: small constants, reshapes, value-preserving converts, sums, products, numpy broadcasts,
// Range(start, stop, 1) and a dimension read by ShapeOf (its bounds). nullopt otherwise.
// (Position ids, jnp.arange(S) over a sequence S bounded by the position table, need no
// bounds check then.)
std::optional<std::pair<int64_t, int64_t>> known_range(const Output<Node>& v, int depth = 8) {
    using pattern::as;
    using R = std::optional<std::pair<int64_t, int64_t>>;
    constexpr int64_t kLimit = int64_t{1} << 31;  // sums of two stay far from overflow
    auto fits = [&](const R& r) -> R { return r && r->first >= -kLimit && r->second < kLimit ? r : std::nullopt; };
    if (depth <= 0 || !v.get_element_type().is_integral_number() || v.get_element_type() == ov::element::boolean)
        return std::nullopt;
    auto n = v.get_node_shared_ptr();
    if (auto c = ov::as_type_ptr<ov::op::v0::Constant>(n)) {
        if (ov::shape_size(c->get_shape()) == 0 || ov::shape_size(c->get_shape()) > 4096)
            return std::nullopt;
        auto vals = c->cast_vector<int64_t>();
        auto [mn, mx] = std::minmax_element(vals.begin(), vals.end());
        return fits(std::make_pair(*mn, *mx));
    }
    if (as<ov::op::v0::Unsqueeze>(v) || as<ov::op::v0::Squeeze>(v) || as<ov::op::v1::Reshape>(v) || numpy_broadcast(v))
        return known_range(n->input_value(0), depth - 1);
    if (auto cv = as<ov::op::v0::Convert>(v)) {  // exact when the range fits the narrower type
        auto r = known_range(cv->input_value(0), depth - 1);
        const auto t = v.get_element_type();
        if (r && t.bitwidth() < 64 &&
            (r->first < (t.is_signed() ? -(int64_t{1} << (t.bitwidth() - 1)) : 0) ||
             r->second >= (int64_t{1} << (t.bitwidth() - (t.is_signed() ? 1 : 0)))))
            return std::nullopt;
        return r;
    }
    if (as<ov::op::v1::Add>(v)) {
        auto a = known_range(n->input_value(0), depth - 1), b = known_range(n->input_value(1), depth - 1);
        return a && b ? fits(std::make_pair(a->first + b->first, a->second + b->second)) : std::nullopt;
    }
    if (as<ov::op::v1::Multiply>(v)) {  // the extremes are products of the operands' extremes
        auto a = known_range(n->input_value(0), depth - 1), b = known_range(n->input_value(1), depth - 1);
        if (!a || !b)
            return std::nullopt;
        const int64_t p[] = {a->first * b->first, a->first * b->second, a->second * b->first, a->second * b->second};
        return fits(std::make_pair(*std::min_element(p, p + 4), *std::max_element(p, p + 4)));
    }
    if (auto rg = as<ov::op::v4::Range>(v)) {  // start, start + 1, ..., stop - 1
        auto start = known_range(rg->input_value(0), depth - 1), stop = known_range(rg->input_value(1), depth - 1);
        auto step = known_range(rg->input_value(2), depth - 1);
        if (!start || !stop || !step || start->first != start->second || step->first != 1 || step->second != 1)
            return std::nullopt;
        return std::make_pair(start->first, std::max(start->first, stop->second - 1));
    }
    if (auto g = as<ov::op::v8::Gather>(v)) {  // dims of a shape: their bounds
        auto so = as<ov::op::v3::ShapeOf>(g->input_value(0));
        auto axis = known_range(g->input_value(2), depth - 1);
        auto at = known_range(g->input_value(1), depth - 1);
        if (!so || !axis || axis->first != 0 || axis->second != 0 || !at ||
            so->get_input_partial_shape(0).rank().is_dynamic())
            return std::nullopt;
        const auto& ps = so->get_input_partial_shape(0);
        int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
        for (int64_t k = at->first; k <= at->second; ++k) {
            if (k < 0 || k >= ps.rank().get_length())
                return std::nullopt;
            const auto& d = ps[k];
            if (!d.get_interval().has_upper_bound())
                return std::nullopt;
            lo = std::min(lo, d.get_min_length());
            hi = std::max(hi, d.get_max_length());
        }
        return fits(std::make_pair(lo, hi));
    }
    return std::nullopt;
}

// The largest start of operand axis d, S[d] - W[d], as i32: a Constant when static.
Output<Node> max_start(const NodeContext& ctx, const Plan& p, size_t d) {
    if (!format::is_symbolic_dim(p.S[d]))
        return const_scalar(ov::element::i32, static_cast<double>(p.S[d] - p.W[d]));
    return convert(sub(ctx.dim_scalar(p.S[d]), const_scalar(ov::element::i64, static_cast<double>(p.W[d]))),
                   ov::element::i32);
}

// Out-of-bounds flags [nb] (boolean): some index column k has idx < 0 or idx > S - W.
Output<Node> out_of_bounds(const NodeContext& ctx, const Plan& p, const Output<Node>& idx) {
    std::vector<int32_t> hi;
    ov::OutputVector his;
    for (size_t k = 0; k < p.sim.size(); ++k) {
        size_t d = static_cast<size_t>(p.sim[k]) + (p.augmented ? 1 : 0);
        if (!format::is_symbolic_dim(p.S[d]))
            hi.push_back(static_cast<int32_t>(p.S[d] - p.W[d]));
        his.push_back(make<ov::op::v0::Unsqueeze>(max_start(ctx, p, d), const_i64({0})));
    }
    auto upper = hi.size() == p.sim.size() ? const_i32(hi, ov::Shape{hi.size()}) : concat(his, 0);
    auto lo = make<ov::op::v1::Less>(idx, const_scalar(ov::element::i32, 0));
    auto up = make<ov::op::v1::Greater>(idx, upper);
    auto any = make<ov::op::v1::LogicalOr>(lo, up);
    return make<ov::op::v1::ReduceLogicalOr>(any, const_i64({1}), false);
}

// Clamped starts of the indexed axes P, as i32 [nb, |P|].
Output<Node> starts_of(const NodeContext& ctx, const Plan& p, const Output<Node>& idx) {
    ov::OutputVector cols;
    const bool static_batch = is_static(p.B);
    const size_t nb = static_batch ? static_cast<size_t>(numel(static_shape(ctx, p.B))) : 0;
    for (auto d64 : p.P) {
        size_t d = static_cast<size_t>(d64);
        int64_t s = p.src[d];
        if (s >= 0) {
            Output<Node> c = idx;
            if (p.n > 1)
                c = make<ov::op::v8::Gather>(idx, const_i64({s}), const_i64({1}));
            c = make<ov::op::v1::Maximum>(c, const_scalar(ov::element::i32, 0));
            c = make<ov::op::v1::Minimum>(c, max_start(ctx, p, d));
            cols.push_back(c);
        } else if (s == -1) {
            if (static_batch)
                cols.push_back(const_i32(std::vector<int32_t>(nb, 0), ov::Shape{nb, 1}));
            else
                cols.push_back(make<ov::op::v3::Broadcast>(const_scalar(ov::element::i32, 0),
                                                           concat({ctx.shapes().product(p.B), const_i64({1})}, 0)));
        } else if (static_batch) {  // batching axis: the coordinate along indices axis sibd[j]
            size_t t = static_cast<size_t>(p.sibd[static_cast<size_t>(-2 - s)]);
            charge_constant(nb, 4);
            std::vector<int32_t> col(nb);
            size_t inner = 1;
            for (size_t a = t + 1; a < p.B.size(); ++a)
                inner *= static_cast<size_t>(p.B[a]);
            for (size_t i = 0; i < nb; ++i)
                col[i] = static_cast<int32_t>((i / inner) % static_cast<size_t>(p.B[t]));
            cols.push_back(const_i32(col, ov::Shape{nb, 1}));
        } else {  // the same coordinate, as a Range broadcast over the index batch
            size_t t = static_cast<size_t>(p.sibd[static_cast<size_t>(-2 - s)]);
            Output<Node> iota = make<ov::op::v4::Range>(const_scalar(ov::element::i32, 0),
                                                        convert(ctx.dim_scalar(p.B[t]), ov::element::i32),
                                                        const_scalar(ov::element::i32, 1), ov::element::i32);
            std::vector<int64_t> around;
            for (size_t a = 0; a < p.B.size(); ++a)
                if (a != t)
                    around.push_back(static_cast<int64_t>(a));
            if (!around.empty())
                iota = make<ov::op::v0::Unsqueeze>(iota, const_i64(around));
            iota = make<ov::op::v3::Broadcast>(iota, ctx.shape_of(p.B));
            cols.push_back(reshape_rows(ctx, iota, p.B, {1}));
        }
    }
    return concat(cols, 1);
}

// start + window grid over P: i32 [nb, nsP, |P|].
Output<Node> element_indices(const NodeContext& ctx, const Plan& p, const Output<Node>& starts) {
    const size_t k = p.P.size();
    charge_constant(static_cast<uint64_t>(p.nsP), 4 * k);
    std::vector<int32_t> grid(static_cast<size_t>(p.nsP) * k);
    for (int64_t e = 0; e < p.nsP; ++e) {
        int64_t rem = e;
        for (size_t j = k; j-- > 0;) {
            int64_t w = p.W[static_cast<size_t>(p.P[j])];
            grid[static_cast<size_t>(e) * k + j] = static_cast<int32_t>(rem % w);
            rem /= w;
        }
    }
    auto g = const_i32(grid, ov::Shape{1, static_cast<size_t>(p.nsP), k});
    return add(reshape_rows(ctx, starts, p.B, {1, static_cast<int64_t>(k)}), g);
}

Output<Node> gather_fill_value(const NodeContext& ctx, const ov::element::Type& t) {
    auto fv = ctx.opt_param("fill_value");
    if (fv && !fv->is_none()) {
        if (fv->tag() == format::ValueTag::boolean)
            return const_scalar(t, fv->as_bool() ? 1 : 0);
        return const_scalar(t, fv->as_float());
    }
    if (t.is_real())
        return const_scalar(t, std::numeric_limits<double>::quiet_NaN());
    if (t == ov::element::boolean)
        return const_scalar(t, 1);
    if (t.is_signed())
        return const_lowest(t);
    return const_highest(t);
}

}  // namespace

namespace {
// gather with symbolic dimensions and a single index vector (no batch axes): a dynamic
// slice of `slice` at the indexed starts (clamped, as JAX's clip and promise_in_bounds
// modes do; fill mode fills a slice whose start is out of bounds), its collapsed axes
// dropped. Every output axis is an offset axis, in operand order.
ov::OutputVector gather_slice_symbolic(const NodeContext& ctx, const Dims& S, const Dims& slice,
                                       const std::vector<int64_t>& sim, const std::vector<int64_t>& collapsed) {
    const size_t r = S.size();
    const Mode mode = mode_of(ctx, false);
    OVJAX_CHECK(ctx, static_cast<int64_t>(sim.size()) == ctx.in_dims(1)[0], "index vector of ",
                ctx.dim_text(ctx.in_dims(1)[0]), " entries for start_index_map of ", sim.size());
    auto t = ctx.in_type(1);
    OVJAX_CHECK(ctx, t.is_integral_number() && t != ov::element::boolean, "gather indices have type ", t);
    for (auto d : collapsed)
        OVJAX_CHECK(ctx, d >= 0 && static_cast<size_t>(d) < r && slice[static_cast<size_t>(d)] == 1, "collapsed axis ",
                    d, " must have slice size 1");
    auto idx = convert(ctx.get_input(1), ov::element::i64);
    ov::OutputVector starts, stops;
    std::vector<int64_t> axes;
    Output<Node> oob;
    for (size_t k = 0; k < sim.size(); ++k) {
        const auto a = sim[k];
        OVJAX_CHECK(ctx, a >= 0 && static_cast<size_t>(a) < r, "start_index_map axis ", a, " out of range");
        const auto d = static_cast<size_t>(a);
        auto start =
            make<ov::op::v8::Gather>(idx, const_scalar(ov::element::i64, double(k)), const_scalar(ov::element::i64, 0));
        auto hi = sub(ctx.dim_scalar(S[d]), ctx.dim_scalar(slice[d]));
        if (mode == Mode::fill) {
            Output<Node> bad = make<ov::op::v1::LogicalOr>(
                make<ov::op::v1::Less>(start, const_scalar(ov::element::i64, 0)), make<ov::op::v1::Greater>(start, hi));
            oob = oob.get_node() ? make<ov::op::v1::LogicalOr>(oob, bad) : bad;
        }
        Output<Node> c =
            make<ov::op::v1::Maximum>(make<ov::op::v1::Minimum>(start, hi), const_scalar(ov::element::i64, 0));
        c = make<ov::op::v0::Unsqueeze>(c, const_i64({0}));
        starts.push_back(c);
        stops.push_back(make<ov::op::v1::Add>(c, ctx.dim_of(slice[d])));
        axes.push_back(a);
    }
    for (size_t d = 0; d < r; ++d)
        if (std::find(sim.begin(), sim.end(), static_cast<int64_t>(d)) == sim.end())
            OVJAX_CHECK(ctx, slice[d] == S[d], "axis ", d, " is neither indexed nor taken whole (slice ",
                        ctx.dim_text(slice[d]), " of ", ctx.dim_text(S[d]), ")");
    Output<Node> y = ctx.get_input(0);
    if (!axes.empty()) {
        y = make<ov::op::v8::Slice>(y, concat(starts, 0), concat(stops, 0),
                                    const_i64(std::vector<int64_t>(axes.size(), 1)), const_i64(axes));
    }
    // the slice's extent is data-dependent to OpenVINO's shape inference; its sizes are known
    Dims out;
    for (size_t d = 0; d < r; ++d)
        if (std::find(collapsed.begin(), collapsed.end(), static_cast<int64_t>(d)) == collapsed.end())
            out.push_back(slice[d]);
    y = reshape(ctx, y, out);
    if (oob.get_node())
        y = select(oob, gather_fill_value(ctx, ctx.in_type(0)), y);
    return {y};
}

}  // namespace

ov::OutputVector translate_gather(const NodeContext& ctx) {
    const Dims S = ctx.in_dims(0), I = ctx.in_dims(1);
    const auto type = ctx.in_type(0);
    const size_t r = S.size();
    auto dn = ctx.param("dimension_numbers");
    const auto offset_dims = dn_field(dn, "offset_dims");
    const auto collapsed = dn_field(dn, "collapsed_slice_dims");
    const auto obd = dn_field(dn, "operand_batching_dims");
    Plan p;
    p.sim = dn_field(dn, "start_index_map");
    p.sibd = dn_field(dn, "start_indices_batching_dims");
    const Dims slice = dims_param(ctx, "slice_sizes");
    OVJAX_CHECK(ctx, !I.empty(), "gather indices must have an index vector axis");
    OVJAX_CHECK(ctx, slice.size() == r, "slice_sizes has ", slice.size(), " entries for operand rank ", r);
    OVJAX_CHECK(ctx, I.back() == static_cast<int64_t>(p.sim.size()), "index vector of ", ctx.dim_text(I.back()),
                " entries for start_index_map of ", p.sim.size());
    // One start with symbolic sizes: a dynamic Slice (its window may be symbolic too).
    if (!(is_static(S) && is_static(slice)) && I.size() == 1 && obd.empty() &&
        offset_dims.size() + collapsed.size() == r)
        return gather_slice_symbolic(ctx, S, slice, p.sim, collapsed);
    const Mode mode = mode_of(ctx, false);
    OVJAX_CHECK(ctx, obd.size() == p.sibd.size(), "operand_batching_dims and start_indices_batching_dims differ");
    for (auto t : p.sibd)  // axes of the index batch (starts_of indexes B with them)
        OVJAX_CHECK(ctx, t >= 0 && static_cast<size_t>(t) + 1 < I.size(), "indices batching dimension ", t,
                    " is not an axis of the index batch (rank ", I.size() - 1, ")");
    p.S = S;
    p.W = slice;
    p.B = Dims(I.begin(), I.end() - 1);
    p.n = I.back();
    // JAX's _gather_shape_rule: the batch axes of the indices, with the slice axes that are
    // neither collapsed nor batching (slice_sizes) at offset_dims.
    const size_t out_rank = p.B.size() + offset_dims.size();
    // Output position -> descriptor: batch axis j (>= 0) or operand axis d (encoded -1 - d).
    std::vector<int64_t> want(out_rank);
    Dims out(out_rank);
    {
        std::vector<int64_t> kept;
        for (size_t d = 0; d < r; ++d)
            if (!contains(collapsed, static_cast<int64_t>(d)) && !contains(obd, static_cast<int64_t>(d)))
                kept.push_back(static_cast<int64_t>(d));
        OVJAX_CHECK(ctx, kept.size() == offset_dims.size(), "offset_dims do not match the kept slice axes");
        for (size_t k = 0; k < offset_dims.size(); ++k) {
            OVJAX_CHECK(ctx,
                        offset_dims[k] >= 0 && static_cast<size_t>(offset_dims[k]) < out_rank &&
                            (k == 0 || offset_dims[k] > offset_dims[k - 1]),
                        "offset_dims must be increasing and within the output rank ", out_rank);
        }
        size_t b = 0;
        for (size_t o = 0; o < out_rank; ++o) {
            auto it = std::find(offset_dims.begin(), offset_dims.end(), static_cast<int64_t>(o));
            want[o] = it != offset_dims.end() ? -1 - kept[static_cast<size_t>(it - offset_dims.begin())]
                                              : static_cast<int64_t>(b++);
            out[o] = want[o] >= 0 ? p.B[static_cast<size_t>(want[o])] : slice[static_cast<size_t>(-1 - want[o])];
        }
    }
    if (has_zero(out))
        return {zeros(ctx, type, out)};
    p.src.assign(r, -1);
    for (size_t k = 0; k < p.sim.size(); ++k)
        p.src.at(static_cast<size_t>(p.sim[k])) = static_cast<int64_t>(k);
    for (size_t j = 0; j < obd.size(); ++j)
        p.src.at(static_cast<size_t>(obd[j])) = -2 - static_cast<int64_t>(j);
    for (auto d : collapsed)
        OVJAX_CHECK(ctx, slice.at(static_cast<size_t>(d)) == 1, "collapsed axis ", d, " has slice size ",
                    ctx.dim_text(slice[static_cast<size_t>(d)]));
    plan_axes(ctx, p);

    // Gather-8 serves one indexed axis addressed by one index column with a size-1 slice
    // (x[idx], jnp.take, embedding lookups); with sizes at run time and a single index
    // column it works on the index array without its vector axis (no run-time reshapes).
    const bool take = !p.augmented && p.P.size() == 1 && p.src[static_cast<size_t>(p.P[0])] >= 0 &&
                      p.W[static_cast<size_t>(p.P[0])] == 1 && obd.empty();
    const bool lean = take && p.n == 1 && !(is_static(S) && is_static(p.B));
    Output<Node> idx;
    if (p.n > 0 && !lean)
        idx = indices_i32(ctx, 1, p, mode != Mode::fill);
    std::optional<Output<Node>> oob;
    if (mode == Mode::fill && p.n > 0 && !lean)
        oob = out_of_bounds(ctx, p, idx);
    auto operand = ctx.get_input(0);
    const size_t nbatch = p.B.size();
    // Arrange `y` (axes described by `have`, sizes `sizes`) to the output layout:
    // drop its size-1 collapsed/batching axes, then transpose.
    auto finish = [&](Output<Node> y, std::vector<int64_t> have, Dims sizes) {
        std::vector<int64_t> h2;
        Dims s2;
        for (size_t i = 0; i < have.size(); ++i) {
            if (have[i] < 0 && !std::count(want.begin(), want.end(), have[i]))
                continue;  // collapsed / batching / augmented axis, size 1
            h2.push_back(have[i]);
            s2.push_back(sizes[i]);
        }
        y = reshape(ctx, y, s2);
        std::vector<int64_t> perm;
        for (auto w : want)
            perm.push_back(std::find(h2.begin(), h2.end(), w) - h2.begin());
        return reshape(ctx, transpose(y, perm), out);
    };

    // Gather-8: one indexed axis a, addressed by one index column, size-1 slice (x[idx],
    // jnp.take, embedding lookups).
    if (take) {
        const size_t a = static_cast<size_t>(p.P[0]);
        Output<Node> starts;
        bool spread = false;  // the index array is a numpy Broadcast: gather its input's rows
        if (lean) {           // [B..., 1] -> [B...]: clamped starts, and the out-of-bounds flags in that shape
            const auto hi = max_start(ctx, p, a);
            Output<Node> i, lo = const_scalar(ov::element::i32, 0);  // the lowest index in bounds
            auto x = format::is_symbolic_dim(S[a]) ? std::nullopt : unnormalised(ctx.get_input(1), nbatch, S[a]);
            if (x) {  // JAX's where(x < 0, x + n, x) in front: x in [-n, n) is in bounds
                i = *x;
                lo = const_scalar(ov::element::i32, -static_cast<double>(S[a]));
            } else {
                i = as_i32_indices(ctx, 1, make<ov::op::v0::Squeeze>(ctx.get_input(1), const_i64({int64_t(nbatch)})),
                                   mode != Mode::fill);
            }
            // An index array broadcast from a smaller one (position ids: arange(S) broadcast
            // over the batch; token type ids: zeros): gather with the smaller one, broadcast
            // the rows after (below).
            if (x && numpy_broadcast(i) && rank_of(i.get_node()->input_value(0)) >= 0 &&
                static_cast<size_t>(rank_of(i.get_node()->input_value(0))) <= nbatch) {
                auto d = i.get_node()->input_value(0);
                std::vector<int64_t> lead(nbatch - static_cast<size_t>(rank_of(d)));
                std::iota(lead.begin(), lead.end(), 0);
                i = lead.empty() ? d : make<ov::op::v0::Unsqueeze>(d, const_i64(lead));
                spread = true;
            }
            const auto range = format::is_symbolic_dim(S[a]) ? std::nullopt : known_range(i);
            if (range && range->first >= (x ? -S[a] : 0) && range->second < S[a]) {
                starts = i;  // in bounds by construction: no clamp, nothing to fill
            } else {
                starts = make<ov::op::v1::Minimum>(make<ov::op::v1::Maximum>(i, lo), hi);
                if (mode == Mode::fill)
                    oob = make<ov::op::v1::LogicalOr>(make<ov::op::v1::Less>(i, lo), make<ov::op::v1::Greater>(i, hi));
            }
        } else {
            starts = reshape(ctx, starts_of(ctx, p, idx), p.B);
        }
        Output<Node> y = make<ov::op::v8::Gather>(operand, starts, const_i64({static_cast<int64_t>(a)}));
        std::vector<int64_t> have;
        Dims sizes;
        for (size_t d = 0; d < a; ++d)
            have.push_back(-1 - static_cast<int64_t>(d)), sizes.push_back(S[d]);
        for (size_t j = 0; j < nbatch; ++j)
            have.push_back(static_cast<int64_t>(j)), sizes.push_back(p.B[j]);
        for (size_t d = a + 1; d < r; ++d)
            have.push_back(-1 - static_cast<int64_t>(d)), sizes.push_back(S[d]);
        if (oob && lean) {  // the flags' axes where Gather put the batch: size-1 axes around them
            std::vector<int64_t> around(a);
            std::iota(around.begin(), around.end(), 0);
            for (size_t d = a + nbatch; d < r - 1 + nbatch; ++d)
                around.push_back(static_cast<int64_t>(d));
            Output<Node> m = *oob;
            if (!around.empty())
                m = make<ov::op::v0::Unsqueeze>(m, const_i64(around));
            y = select(m, gather_fill_value(ctx, type), y);
        } else if (oob) {
            Dims ms(a, 1);
            ms.insert(ms.end(), p.B.begin(), p.B.end());
            ms.resize(r - 1 + nbatch, 1);
            y = select(reshape(ctx, *oob, ms), gather_fill_value(ctx, type), y);
        }
        if (spread)
            y = broadcast(ctx, y, sizes);
        if (!contains(want, -1 - static_cast<int64_t>(a))) {
            // the slice axis is collapsed: Gather already dropped it
        } else {
            // kept size-1 axis: re-insert it right where Gather put the batch axes
            have.insert(have.begin() + static_cast<int64_t>(a), -1 - static_cast<int64_t>(a));
            sizes.insert(sizes.begin() + static_cast<int64_t>(a), 1);
        }
        return {finish(y, have, sizes)};
    }

    // General: GatherND over the indexed axes P of the operand transposed to P ++ F.
    if (p.augmented)
        operand = reshape(ctx, operand, p.S);
    std::vector<int64_t> order = p.P;
    order.insert(order.end(), p.F.begin(), p.F.end());
    operand = transpose(operand, order);
    Output<Node> y;
    {
        auto eidx = element_indices(ctx, p, starts_of(ctx, p, idx));
        y = make<ov::op::v8::GatherND>(operand, eidx, 0);  // [nb, nsP, S[F]...]
    }
    if (oob)
        y = select(reshape_rows(ctx, *oob, p.B, Dims(1 + p.F.size(), 1)), gather_fill_value(ctx, type), y);
    std::vector<int64_t> have;
    Dims sizes;
    for (size_t j = 0; j < nbatch; ++j)
        have.push_back(static_cast<int64_t>(j)), sizes.push_back(p.B[j]);
    for (auto d : order) {
        int64_t od = p.augmented ? d - 1 : d;  // original operand axis (-1: the added unit axis)
        have.push_back(od >= 0 ? -1 - od : std::numeric_limits<int64_t>::min());
        sizes.push_back(p.W[static_cast<size_t>(d)]);
    }
    return {finish(y, have, sizes)};
}

namespace {

ov::OutputVector translate_scatter_impl(const NodeContext& ctx, ov::op::v15::ScatterNDUpdate::Reduction red) {
    const Dims S = ctx.in_dims(0), I = ctx.in_dims(1), U = ctx.in_dims(2);
    const auto type = ctx.in_type(0);
    const size_t r = S.size();
    OVJAX_CHECK(ctx, ctx.in_type(2) == ctx.in_type(0), "updates type ", ctx.in_type(2), " differs from operand type ",
                ctx.in_type(0));
    auto dn = ctx.param("dimension_numbers");
    const auto uwd = dn_field(dn, "update_window_dims");
    const auto inserted = dn_field(dn, "inserted_window_dims");
    const auto obd = dn_field(dn, "operand_batching_dims");
    Plan p;
    p.sim = dn_field(dn, "scatter_dims_to_operand_dims");
    p.sibd = dn_field(dn, "scatter_indices_batching_dims");
    const Mode mode = mode_of(ctx, true);
    OVJAX_CHECK(ctx, !I.empty(), "scatter indices must have an index vector axis");
    OVJAX_CHECK(ctx, I.back() == static_cast<int64_t>(p.sim.size()), "index vector of ", ctx.dim_text(I.back()),
                " entries for ", p.sim.size(), " scatter_dims_to_operand_dims");
    OVJAX_CHECK(ctx, obd.size() == p.sibd.size(), "operand_batching_dims and scatter_indices_batching_dims differ");
    for (auto t : p.sibd)  // axes of the index batch (starts_of indexes B with them)
        OVJAX_CHECK(ctx, t >= 0 && static_cast<size_t>(t) + 1 < I.size(), "indices batching dimension ", t,
                    " is not an axis of the index batch (rank ", I.size() - 1, ")");
    p.S = S;
    p.B = Dims(I.begin(), I.end() - 1);
    p.n = I.back();
    auto operand = ctx.get_input(0);
    if (has_zero(U) || has_zero(S))
        return {operand};
    OVJAX_CHECK(ctx, U.size() == p.B.size() + uwd.size(), "updates rank ", U.size(), " does not match");
    // Window per operand axis, and the updates' axes in (batch ++ operand) order.
    p.W.assign(r, 1);
    std::vector<int64_t> uperm;
    for (size_t o = 0; o < U.size(); ++o)
        if (!contains(uwd, static_cast<int64_t>(o)))
            uperm.push_back(static_cast<int64_t>(o));
    for (size_t j = 0; j < p.B.size(); ++j)
        OVJAX_CHECK(ctx, U[static_cast<size_t>(uperm[j])] == p.B[j], "updates scatter axes do not match the indices");
    {
        size_t i = 0;
        for (size_t d = 0; d < r; ++d) {
            if (contains(inserted, static_cast<int64_t>(d)) || contains(obd, static_cast<int64_t>(d)))
                continue;
            OVJAX_CHECK(ctx, i < uwd.size(), "update_window_dims do not cover the operand's window axes");
            OVJAX_CHECK(ctx, uwd[i] >= 0 && static_cast<size_t>(uwd[i]) < U.size(), "update_window_dims entry ", uwd[i],
                        " is not an axis of the updates (rank ", U.size(), ")");
            p.W[d] = U[static_cast<size_t>(uwd[i++])];
        }
    }
    uperm.insert(uperm.end(), uwd.begin(), uwd.end());
    p.src.assign(r, -1);
    for (size_t k = 0; k < p.sim.size(); ++k)
        p.src.at(static_cast<size_t>(p.sim[k])) = static_cast<int64_t>(k);
    for (size_t j = 0; j < obd.size(); ++j)
        p.src.at(static_cast<size_t>(obd[j])) = -2 - static_cast<int64_t>(j);
    plan_axes(ctx, p);
    if (mode == Mode::fill && p.n > 0) {
        // Dropped windows go to a padding area after the indexed axis with the smallest window.
        std::stable_sort(p.P.begin(), p.P.end(), [&](int64_t a, int64_t b) {
            return p.W[static_cast<size_t>(a)] < p.W[static_cast<size_t>(b)];
        });
    }

    // updates -> [nb * nsP, W[F]...] in the order P ++ F
    Output<Node> upd = reshape_rows(ctx, transpose(ctx.get_input(2), uperm), p.B, p.W);
    std::vector<int64_t> order = p.P;
    order.insert(order.end(), p.F.begin(), p.F.end());
    std::vector<int64_t> uorder{0};
    for (auto d : order)
        uorder.push_back(d + 1);
    upd = transpose(upd, uorder);
    Dims rows = p.B, whole;
    rows.push_back(p.nsP);
    for (auto d : p.F)
        whole.push_back(p.S[static_cast<size_t>(d)]);
    upd = reshape_rows(ctx, upd, rows, whole);

    if (p.augmented)
        operand = reshape(ctx, operand, p.S);
    operand = transpose(operand, order);

    Output<Node> idx;
    if (p.n > 0)
        idx = indices_i32(ctx, 1, p, true);
    Output<Node> starts = starts_of(ctx, p, idx);
    const size_t p0 = static_cast<size_t>(p.P[0]);
    const int64_t pad_by = (mode == Mode::fill && p.n > 0) ? p.W[p0] : 0;
    if (pad_by > 0) {
        auto oob = out_of_bounds(ctx, p, idx);
        // column 0 (axis p0) of dropped windows starts at S[p0], inside the padding
        auto end = format::is_symbolic_dim(p.S[p0]) ? convert(ctx.dim_scalar(p.S[p0]), ov::element::i32)
                                                    : const_scalar(ov::element::i32, static_cast<double>(p.S[p0]));
        Output<Node> c0 = make<ov::op::v8::Gather>(starts, const_i64({0}), const_i64({1}));
        c0 = select(reshape_rows(ctx, oob, p.B, {1}), end, c0);
        if (p.P.size() > 1) {
            Output<Node> rest = slice(starts, {1}, {static_cast<int64_t>(p.P.size())}, {1}, {1});
            starts = make<ov::op::v0::Concat>(ov::OutputVector{c0, rest}, 1);
        } else {
            starts = c0;
        }
        std::vector<int64_t> lo(p.S.size(), 0), hi(p.S.size(), 0);
        hi[0] = pad_by;
        operand = make<ov::op::v12::Pad>(operand, const_i64(lo), const_i64(hi), const_scalar(type, 0),
                                         ov::op::PadMode::CONSTANT);
    }
    auto eidx = reshape_rows(ctx, element_indices(ctx, p, starts), rows, {static_cast<int64_t>(p.P.size())});
    Output<Node> y = make<ov::op::v15::ScatterNDUpdate>(operand, eidx, upd, red);
    using Reduction = ov::op::v15::ScatterNDUpdate::Reduction;
    if ((red == Reduction::MAX || red == Reduction::MIN) && type.is_real()) {
        // The CPU plugin's max/min keep the element they have when an update is NaN; JAX's
        // propagate every NaN. Scatter-max a NaN flag the same way and put NaN where it is set.
        auto flag = [](const Output<Node>& v) { return convert(make<ov::op::v10::IsNaN>(v), ov::element::f32); };
        Output<Node> nan = make<ov::op::v15::ScatterNDUpdate>(flag(operand), eidx, flag(upd), Reduction::MAX);
        auto is_set = make<ov::op::v1::Less>(const_scalar(ov::element::f32, 0.5), nan);
        y = select(is_set, const_scalar(type, std::numeric_limits<double>::quiet_NaN()), y);
    }
    if (pad_by > 0)  // drop the padding: the first S[p0] rows
        y = slice(y, {0}, {-pad_by}, {1}, {0});
    std::vector<int64_t> inv(order.size());
    for (size_t i = 0; i < order.size(); ++i)
        inv[static_cast<size_t>(order[i])] = static_cast<int64_t>(i);
    y = transpose(y, inv);
    return {reshape(ctx, y, S)};
}

}  // namespace

ov::OutputVector translate_scatter(const NodeContext& ctx) {
    return translate_scatter_impl(ctx, ov::op::v15::ScatterNDUpdate::Reduction::NONE);
}
ov::OutputVector translate_scatter_add(const NodeContext& ctx) {
    return translate_scatter_impl(ctx, ov::op::v15::ScatterNDUpdate::Reduction::SUM);
}
ov::OutputVector translate_scatter_sub(const NodeContext& ctx) {
    return translate_scatter_impl(ctx, ov::op::v15::ScatterNDUpdate::Reduction::SUB);
}
ov::OutputVector translate_scatter_mul(const NodeContext& ctx) {
    return translate_scatter_impl(ctx, ov::op::v15::ScatterNDUpdate::Reduction::PROD);
}
ov::OutputVector translate_scatter_min(const NodeContext& ctx) {
    return translate_scatter_impl(ctx, ov::op::v15::ScatterNDUpdate::Reduction::MIN);
}
ov::OutputVector translate_scatter_max(const NodeContext& ctx) {
    return translate_scatter_impl(ctx, ov::op::v15::ScatterNDUpdate::Reduction::MAX);
}

}  // namespace op
}  // namespace ovjax
