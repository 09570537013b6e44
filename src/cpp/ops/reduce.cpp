#include "ops/ops.hpp"
namespace ovjax { namespace op {
ov::OutputVector translate_reduce_sum(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_max(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_min(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_prod(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_and(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_or(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_argmax(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_argmin(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_window_sum(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_window_max(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_reduce_window_min(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_cumsum(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_cumprod(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_cummax(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_cummin(const NodeContext& ctx) { ctx.fail("TODO"); }
}}
