#include "ops/ops.hpp"
namespace ovjax { namespace op {
ov::OutputVector translate_dot_general(const NodeContext& ctx) { ctx.fail("TODO"); }
}}
