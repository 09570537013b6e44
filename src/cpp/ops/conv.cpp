#include "ops/ops.hpp"
namespace ovjax { namespace op {
ov::OutputVector translate_conv_general_dilated(const NodeContext& ctx) { ctx.fail("TODO"); }
}}
