#include "ops/ops.hpp"
namespace ovjax { namespace op {
ov::OutputVector translate_dynamic_slice(const NodeContext& ctx) { ctx.fail("TODO"); }
ov::OutputVector translate_dynamic_update_slice(const NodeContext& ctx) { ctx.fail("TODO"); }
}}
