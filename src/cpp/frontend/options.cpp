#include "frontend/options.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>

#include "openvino/core/except.hpp"

namespace ovjax {

namespace {

// How a value reads in a message: its text when it is a string, a number or a bool, else
// its type.
std::string show(const ov::Any& v) {
    if (v.is<std::string>())
        return "'" + v.as<std::string>() + "'";
    if (v.is<bool>())
        return v.as<bool>() ? "true" : "false";
    if (v.is<int64_t>())
        return std::to_string(v.as<int64_t>());
    if (v.is<int32_t>())
        return std::to_string(v.as<int32_t>());
    if (v.is<uint64_t>())
        return std::to_string(v.as<uint64_t>());
    if (v.is<uint32_t>())
        return std::to_string(v.as<uint32_t>());
    if (v.is<double>())
        return std::to_string(v.as<double>());
    return std::string("a value of type ") + v.type_info().name();
}

// `where` names the setting in messages: "option 'x'" or "environment variable OVJAX_X".
uint64_t as_count(const std::string& where, const ov::Any& v) {
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
            if (used == s.size() && !s.empty() && s[0] != '-' && s[0] != '+' && s[0] != ' ')
                return n;
        }
    } catch (const std::exception&) {
    }
    OPENVINO_THROW("ovjax: ", where, " takes a non-negative integer, got ", show(v));
}

bool as_flag(const std::string& where, const ov::Any& v) {
    if (v.is<bool>())
        return v.as<bool>();
    if (v.is<int64_t>() && (v.as<int64_t>() == 0 || v.as<int64_t>() == 1))
        return v.as<int64_t>() == 1;
    if (v.is<int32_t>() && (v.as<int32_t>() == 0 || v.as<int32_t>() == 1))
        return v.as<int32_t>() == 1;
    if (v.is<std::string>()) {
        std::string s = v.as<std::string>();
        for (auto& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (s == "1" || s == "true" || s == "yes" || s == "on")
            return true;
        if (s == "0" || s == "false" || s == "no" || s == "off")
            return false;
    }
    OPENVINO_THROW("ovjax: ", where, " takes a boolean (true/false, 1/0, yes/no, on/off), got ", show(v));
}

// One option: its name, the environment variable it falls back to (or null), how it is
// read into Options, and its line in describe_all().
struct Spec {
    const char* key;
    const char* env;
    void (*set)(Options&, const std::string& where, const ov::Any&);
    std::string (*describe)(const Options& defaults);
};

const Spec kSpecs[] = {
    {"max_expanded_size", nullptr,
     [](Options& o, const std::string& w, const ov::Any& v) { o.max_expanded_size = as_count(w, v); },
     [](const Options& d) {
         return std::to_string(d.max_expanded_size) +
                "): the most equations plus variables the model may have with every call inlined and every "
                "unrolled loop body repeated";
     }},
    {"max_constant_bytes", nullptr,
     [](Options& o, const std::string& w, const ov::Any& v) { o.max_constant_bytes = as_count(w, v); },
     [](const Options& d) {
         return std::to_string(d.max_constant_bytes) +
                "): the most bytes of constants conversion builds from shapes (iotas, fills, index tables; the "
                "file's weights are not counted)";
     }},
    {"fusions", "OVJAX_FUSIONS", [](Options& o, const std::string& w, const ov::Any& v) { o.fusions = as_flag(w, v); },
     [](const Options& d) {
         return std::string(d.fusions ? "true" : "false") +
                ", environment OVJAX_FUSIONS): recognise softmax, gelu, layer norm and attention as OpenVINO ops "
                "and keep conv nets in one layout after translation";
     }},
    {"cpu_workarounds", nullptr,
     [](Options& o, const std::string& w, const ov::Any& v) { o.cpu_workarounds = as_flag(w, v); },
     [](const Options& d) {
         return std::string(d.cpu_workarounds ? "true" : "false") +
                "): with fusions, the CPU-plugin scheduling rewrites (joined parallel MatMuls, Dense activations kept "
                "apart, rank-3 Dense chains)";
     }},
    {"provenance", nullptr, [](Options& o, const std::string& w, const ov::Any& v) { o.provenance = as_flag(w, v); },
     [](const Options& d) {
         return std::string(d.provenance ? "true" : "false") +
                "): name every node after its JAX equation, with the equation's source line in rt_info";
     }},
    {"scan_unroll", "OVJAX_SCAN_UNROLL",
     [](Options& o, const std::string& w, const ov::Any& v) { o.scan_unroll = as_count(w, v); },
     [](const Options& d) {
         return std::to_string(d.scan_unroll) +
                ", environment OVJAX_SCAN_UNROLL): the scan length up to which short scans are unrolled; 0 keeps "
                "every scan a Loop";
     }},
    {"scan_steps", "OVJAX_SCAN_STEPS",
     [](Options& o, const std::string& w, const ov::Any& v) { o.scan_steps = as_count(w, v); },
     [](const Options& d) {
         return std::to_string(d.scan_steps) +
                ", environment OVJAX_SCAN_STEPS): scan steps per Loop iteration when the jaxpr's unroll does not "
                "divide the length; 0 chooses";
     }},
};

// Options of ovjax's Python serializer: they act when a JAX model is written, so a model
// that reaches the frontend is past them (ovjax.convert_model takes them out of options=
// before it loads the model it serialized).
const char* const kSerializerOptions[] = {"scan_hoist"};

}  // namespace

Options Options::from(const ov::AnyMap& map) {
    Options o;
    for (const auto& kv : map) {
        const Spec* spec = nullptr;
        for (const auto& s : kSpecs)
            if (kv.first == s.key)
                spec = &s;
        if (!spec) {
            for (const char* k : kSerializerOptions)
                if (kv.first == k)
                    OPENVINO_THROW("ovjax: option '", k,
                                   "' applies when ovjax's Python serializer writes a JAX model "
                                   "(ovjax.convert_model, ovjax.serialize, ovjax.save); it cannot change a model "
                                   "that is already serialized");
            OPENVINO_THROW("ovjax: unknown conversion option '", kv.first, "'; the options are:\n", describe_all());
        }
        spec->set(o, "option '" + kv.first + "'", kv.second);
    }
    // The environment, for the options not given: the only place ovjax's C++ code reads it.
    for (const auto& s : kSpecs) {
        if (!s.env || map.count(s.key))
            continue;
        const char* e = std::getenv(s.env);
        if (e && *e)
            s.set(o, std::string("environment variable ") + s.env + " (option '" + s.key + "')", std::string(e));
    }
    return o;
}

std::string Options::describe_all() {
    std::ostringstream s;
    const Options d;
    for (const auto& spec : kSpecs)
        s << "  " << spec.key << " (" << spec.describe(d) << "\n";
    s << "  scan_hoist (true, environment OVJAX_SCAN_HOIST): ovjax's Python serializer computes the per-step "
         "input work of scans for all steps before the loop (ovjax.convert_model, ovjax.serialize)";
    return s.str();
}

}  // namespace ovjax
