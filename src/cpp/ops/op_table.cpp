// The translator registry, generated from primitives.def.
#include "frontend/translate_session.hpp"
#include "ops/ops.hpp"

namespace ovjax {

const TranslatorMap& builtin_translators() {
    static const TranslatorMap table = [] {
        TranslatorMap m;
#define OVJAX_OP(prim, fn) m[#prim].builtin = &op::fn;
#define OVJAX_OP_COMPLEX(prim, fn) \
    m[#prim].builtin = &op::fn;    \
    m[#prim].complex_aware = true; \
    m[#prim].complex_result = &op::complex_result;
#define OVJAX_OP_REAL_COMPLEX(prim, fn, complex_fn) \
    OVJAX_OP_COMPLEX(prim, fn)                      \
    m[#prim].complex_builtin = &op::complex_fn;
#define OVJAX_OP_COMPLEX_EXPANDED(prim, fn, how) OVJAX_OP(prim, fn)
#define OVJAX_UNSUPPORTED(prim, reason) m[#prim].unsupported_reason = reason;
#define OVJAX_EXPANDED(prim, how) \
    m[#prim].unsupported_reason = "expanded by ovjax's Python serializer into " how "; not expected in a graph";
#include "ops/primitives.def"
#undef OVJAX_OP
#undef OVJAX_OP_COMPLEX
#undef OVJAX_OP_REAL_COMPLEX
#undef OVJAX_OP_COMPLEX_EXPANDED
#undef OVJAX_UNSUPPORTED
#undef OVJAX_EXPANDED
        return m;
    }();
    return table;
}

}  // namespace ovjax
