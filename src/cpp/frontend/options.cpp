#include "frontend/options.hpp"

#include <sstream>

#include "openvino/core/except.hpp"

namespace ovjax {

namespace {

uint64_t as_count(const std::string& key, const ov::Any& v) {
    try {
        if (v.is<int64_t>() && v.as<int64_t>() >= 0)
            return static_cast<uint64_t>(v.as<int64_t>());
        if (v.is<int32_t>() && v.as<int32_t>() >= 0)
            return static_cast<uint64_t>(v.as<int32_t>());
        if (v.is<uint64_t>())
            return v.as<uint64_t>();
        if (v.is<uint32_t>())
            return v.as<uint32_t>();
        if (v.is<std::string>()) {
            const std::string& s = v.as<std::string>();
            size_t used = 0;
            unsigned long long n = std::stoull(s, &used);
            if (used == s.size() && !s.empty() && s[0] != '-')
                return n;
        }
    } catch (const std::exception&) {
    }
    OPENVINO_THROW("ovjax: option '", key, "' takes a non-negative integer, got ", v.type_info().name());
}

}  // namespace

Options Options::from(const ov::AnyMap& map) {
    Options o;
    for (const auto& kv : map) {
        if (kv.first == "max_expanded_size")
            o.max_expanded_size = as_count(kv.first, kv.second);
        else if (kv.first == "max_constant_bytes")
            o.max_constant_bytes = as_count(kv.first, kv.second);
        else
            OPENVINO_THROW("ovjax: unknown conversion option '", kv.first, "'; the options are:\n", describe_all());
    }
    return o;
}

std::string Options::describe_all() {
    std::ostringstream s;
    const Options d;
    s << "  max_expanded_size (" << d.max_expanded_size
      << "): the most equations plus variables the model may have with every call inlined and every unrolled "
         "loop body repeated\n"
      << "  max_constant_bytes (" << d.max_constant_bytes
      << "): the most bytes of constants conversion builds from shapes (iotas, fills, index tables; the "
         "file's weights are not counted)";
    return s.str();
}

}  // namespace ovjax
