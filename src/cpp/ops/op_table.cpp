// The translator registry, generated from primitives.def.
#include "frontend/translate_session.hpp"
#include "ops/ops.hpp"

namespace ovjax {

const TranslatorMap& builtin_translators() {
    static const TranslatorMap table = [] {
        TranslatorMap m;
#define OVJAX_OP(prim, fn) m[#prim].builtin = &op::fn;
#define OVJAX_UNSUPPORTED(prim, reason) m[#prim].unsupported_reason = reason;
#include "ops/primitives.def"
#undef OVJAX_OP
#undef OVJAX_UNSUPPORTED
        return m;
    }();
    return table;
}

}  // namespace ovjax
