// The ovjax FrontEnd and the plugin entry points that FrontEndManager looks up.
#include "frontend/frontend.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <vector>
#include <fstream>
#include <string>
#include <utility>

#include "frontend/input_model.hpp"
#include "frontend/options.hpp"
#include "frontend/translate_session.hpp"
#include "openvino/core/except.hpp"
#include "openvino/frontend/extension/conversion.hpp"
#include "openvino/frontend/manager.hpp"
#include "openvino/op/convert.hpp"
#include "frontend/cpu_workarounds.hpp"
#include "frontend/fusions.hpp"
#include "frontend/layout.hpp"
#include "frontend/provenance.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/util/framework_node.hpp"
#include "openvino/runtime/tensor.hpp"

// The Python bindings of OpenVINO hand any other Python object to C++ as an ov::Any
// holding std::shared_ptr<pybind11::object> (released under the GIL by OpenVINO's own
// deleter). ovjax's Python side passes the objects that own the weights that way, so
// the constants keep them alive; only the type's name is needed here.
namespace pybind11 {
class object;
}

#ifndef OVJAX_VERSION
#define OVJAX_VERSION "0.0.0"
#endif

namespace ovjax {

namespace {

constexpr const char* kGraphKey = "ovjax_graph";
constexpr const char* kBuffersKey = "ovjax_buffers";
constexpr const char* kKeepAliveKey = "ovjax_keepalive";
constexpr const char* kPathKey = "ovjax_path";
constexpr const char* kOptionsKey = "ovjax_options";

std::optional<std::string> as_path(const ov::Any& a) {
    if (a.is<std::string>())
        return a.as<std::string>();
    if (a.is<std::filesystem::path>())
        return a.as<std::filesystem::path>().string();
#if defined(OPENVINO_ENABLE_UNICODE_PATH_SUPPORT) || defined(_WIN32)
    if (a.is<std::wstring>())
        return std::filesystem::path(a.as<std::wstring>()).string();
#endif
    return std::nullopt;
}

// What the model reads from must live as long as the model and the ov::Model converted
// from it (its constants share the weights). A tensor does not say who owns its memory
// (one made from a Python array views memory the array owns), so a tensor is viewed only
// when the host passed the objects that own it (ovjax's own in-memory form does, as
// kKeepAliveKey); any other tensor is copied once.
format::Memory tensor_memory(const ov::Tensor& t, const std::shared_ptr<void>& keepalive) {
    const auto* data = static_cast<const uint8_t*>(t.data());
    if (!keepalive)
        return format::Memory::copy_of(data, t.get_byte_size());
    auto holder = std::make_shared<std::pair<ov::Tensor, std::shared_ptr<void>>>(t, keepalive);
    return {data, t.get_byte_size(), holder};
}

bool map_has(const ov::Any& a, const char* key) {
    if (!a.is<ov::AnyMap>())
        return false;
    const auto& m = a.as<ov::AnyMap>();
    auto it = m.find(key);
    return it != m.end() && (key != kGraphKey || it->second.is<ov::Tensor>());
}

std::string describe_any(const ov::Any& a) {
    if (a.empty())
        return "nothing";
    if (a.is<ov::AnyMap>()) {
        std::string keys;
        for (const auto& kv : a.as<ov::AnyMap>())
            keys += (keys.empty() ? "'" : ", '") + kv.first + "'";
        return "a map with keys " + (keys.empty() ? std::string("(none)") : keys);
    }
    return std::string("an object of type ") + a.type_info().name();
}

std::shared_ptr<format::File> open_variant(const ov::Any& a) {
    if (auto p = as_path(a))
        return format::File::open(*p);
    if (a.is<ov::Tensor>())
        return format::File::from_memory(tensor_memory(a.as<ov::Tensor>(), nullptr));
    if (map_has(a, kPathKey)) {
        auto p = as_path(a.as<ov::AnyMap>().at(kPathKey));
        OPENVINO_ASSERT(p, "ovjax: '", kPathKey, "' must be a path string");
        return format::File::open(*p);
    }
    if (map_has(a, kGraphKey)) {
        const auto& m = a.as<ov::AnyMap>();
        std::shared_ptr<void> keepalive;
        auto ka = m.find(kKeepAliveKey);
        if (ka != m.end() && ka->second.is<std::shared_ptr<pybind11::object>>())
            keepalive = ka->second.as<std::shared_ptr<pybind11::object>>();
        format::Memory graph = tensor_memory(m.at(kGraphKey).as<ov::Tensor>(), keepalive);
        std::vector<format::Memory> externals;
        auto it = m.find(kBuffersKey);
        if (it != m.end()) {
            OPENVINO_ASSERT(it->second.is<ov::AnyMap>(), "ovjax: '", kBuffersKey, "' must be a map of tensors");
            const auto& bm = it->second.as<ov::AnyMap>();
            externals.resize(bm.size());
            for (size_t i = 0; i < bm.size(); ++i) {
                auto bi = bm.find(std::to_string(i));
                OPENVINO_ASSERT(bi != bm.end() && bi->second.is<ov::Tensor>(), "ovjax: external buffer ", i,
                                " is missing or not a tensor");
                externals[i] = tensor_memory(bi->second.as<ov::Tensor>(), keepalive);
            }
        }
        return format::File::from_memory(std::move(graph), std::move(externals));
    }
    OPENVINO_THROW("ovjax: cannot load a model from ", describe_any(a),
                   "; expected the path of an .ovjax file, an ov::Tensor holding an .ovjax file's bytes, or a map "
                   "with '",
                   kGraphKey, "' (the in-memory form) or '", kPathKey, "'");
}

// Options of a load(): the "ovjax_options" entry of the model's map, then any map given
// after the model.
Options load_options(const std::vector<ov::Any>& variants) {
    ov::AnyMap merged;
    if (map_has(variants[0], kOptionsKey)) {
        const ov::Any& o = variants[0].as<ov::AnyMap>().at(kOptionsKey);
        OPENVINO_ASSERT(o.is<ov::AnyMap>(), "ovjax: '", kOptionsKey, "' must be a map of option names to values");
        merged = o.as<ov::AnyMap>();
    }
    for (size_t i = 1; i < variants.size(); ++i) {
        if (variants[i].is<bool>())
            continue;  // Python's FrontEnd.load(path, enable_mmap): files are always mapped
        OPENVINO_ASSERT(variants[i].is<ov::AnyMap>(),
                        "ovjax: load() takes the model and then a map of options; "
                        "argument ",
                        i, " is ", describe_any(variants[i]));
        for (const auto& kv : variants[i].as<ov::AnyMap>())
            merged[kv.first] = kv.second;
    }
    return Options::from(merged);
}

}  // namespace

FrontEnd::FrontEnd() : m_translators(builtin_translators()) {}

std::string FrontEnd::get_name() const { return "ovjax"; }

bool FrontEnd::supported_impl(const std::vector<ov::Any>& variants) const {
    try {
        if (variants.empty())
            return false;
        const ov::Any& a = variants[0];
        if (auto p = as_path(a)) {
            std::ifstream in(*p, std::ios::binary);
            char magic[8] = {};
            if (!in.read(magic, sizeof(magic)))
                return false;
            return format::File::has_magic(magic, sizeof(magic));
        }
        if (a.is<ov::Tensor>()) {
            const auto& t = a.as<ov::Tensor>();
            return format::File::has_magic(t.data(), t.get_byte_size());
        }
        if (map_has(a, kGraphKey)) {
            const auto& t = a.as<ov::AnyMap>().at(kGraphKey).as<ov::Tensor>();
            return format::File::has_magic(t.data(), t.get_byte_size());
        }
        if (map_has(a, kPathKey))
            return supported_impl({a.as<ov::AnyMap>().at(kPathKey)});
    } catch (...) {
    }
    return false;
}

ov::frontend::InputModel::Ptr FrontEnd::load_impl(const std::vector<ov::Any>& variants) const {
    OPENVINO_ASSERT(!variants.empty(), "ovjax: load() needs a model");
    Options options = load_options(variants);
    std::shared_ptr<format::File> file;
    try {
        file = open_variant(variants[0]);
    } catch (const format::FormatError& e) {
        OPENVINO_THROW(e.what());
    }
    // Calls are inlined and short loops unrolled: refuse an expansion bomb before building
    // anything (a file of a few KB can describe billions of equations).
    const uint64_t size = TranslateSession::expanded_size_bound(*file, options);
    if (size > options.max_expanded_size)
        OPENVINO_THROW("ovjax: the model expands to ",
                       size == UINT64_MAX ? std::string("more than 2^64") : "up to " + std::to_string(size),
                       " equations and variables with every call inlined and every unrolled loop repeated "
                       "(sub-graph references nest ",
                       file->graph_depth(), " deep), more than the limit of ", options.max_expanded_size,
                       "; if the model is meant to be this large, raise the conversion option 'max_expanded_size'");
    return std::make_shared<InputModel>(std::move(file), options);
}

namespace {
// What the file holds, in the model's rt_info ("ovjax" / key; saved with an IR, and what
// `ovjax info` prints): the ovjax that wrote it, its equations (each graph's once: a
// sub-graph called twice is in the file once), how many of each primitive, and the bytes
// of its buffers (the weights and other constants).
void record_contents(ov::Model& m, const format::File& file) {
    std::map<std::string_view, uint64_t> counts;
    uint64_t equations = 0, weight_bytes = 0;
    for (size_t g = 0; g < file.num_graphs(); ++g)
        for (const auto& e : file.graph(g).eqns) {
            ++counts[file.string(e.primitive)];
            ++equations;
        }
    for (size_t b = 0; b < file.num_buffers(); ++b)
        weight_bytes += file.buffer(b).size;
    std::vector<std::pair<std::string_view, uint64_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string hist;
    for (const auto& [name, n] : sorted)
        hist += (hist.empty() ? "" : ",") + std::string(name) + ":" + std::to_string(n);
    m.set_rt_info(std::to_string(equations), "ovjax", "equations");
    m.set_rt_info(hist, "ovjax", "primitives");
    m.set_rt_info(std::to_string(weight_bytes), "ovjax", "weight_bytes");
    m.set_rt_info(std::to_string(file.major()) + "." + std::to_string(file.minor()), "ovjax", "format");
    if (auto v = file.meta("ovjax_version"))
        m.set_rt_info(*v, "ovjax", "writer_version");
}

// The options normalize() reads: a partially converted model keeps them in its rt_info
// ("ovjax" / name) for the normalize() that finishes it.
constexpr std::pair<const char*, bool Options::*> kNormalizeOptions[] = {
    {"fusions", &Options::fusions},
    {"cpu_workarounds", &Options::cpu_workarounds},
    {"provenance", &Options::provenance},
};
}  // namespace

std::shared_ptr<ov::Model> FrontEnd::convert_impl(const ov::frontend::InputModel::Ptr& model, bool partial) const {
    auto im = std::dynamic_pointer_cast<InputModel>(model);
    OPENVINO_ASSERT(im, "ovjax: convert() got an InputModel of another frontend");
    const auto& file = im->file();
    const auto& g = file->graph(0);

    TranslateSession session(file, m_translators, partial, im->options(), im->symbols());
    ov::ParameterVector params;
    ov::OutputVector param_outputs(g.invars.size());
    for (size_t k = 0; k < im->input_order().size(); ++k) {
        size_t i = im->input_order()[k];
        const auto& v = g.vars[static_cast<size_t>(g.invars[i])];
        ov::element::Type traced;
        try {
            traced = to_ov_type(v.dtype);
        } catch (const std::exception& e) {
            OPENVINO_THROW("ovjax: input '", im->input_name(i), "': ", e.what());
        }
        ov::element::Type t = im->input_type(i) == ov::element::dynamic ? traced : im->input_type(i);
        auto p = std::make_shared<ov::op::v0::Parameter>(t, session.shapes().input_shape(v));
        p->set_friendly_name(im->input_name(i));
        p->output(0).get_tensor().set_names({im->input_name(i)});
        params.push_back(p);
        ov::Output<ov::Node> o = p;
        if (t != traced)
            o = std::make_shared<ov::op::v0::Convert>(o, traced);
        param_outputs[i] = o;
    }
    std::vector<std::string> out_names;
    for (size_t i : im->output_order())
        out_names.push_back(im->output_name(i));

    auto m = session.build(params, param_outputs, im->output_order(), out_names);
    m->set_rt_info(std::string(OVJAX_VERSION), "ovjax", "version");
    if (auto jv = file->meta("jax_version"))
        m->set_rt_info(*jv, "ovjax", "jax_version");
    record_contents(*m, *file);
    if (partial)  // what convert(model) or normalize(model) apply later
        for (const auto& [name, option] : kNormalizeOptions)
            m->set_rt_info(im->options().*option, "ovjax", name);
    return m;
}

std::shared_ptr<ov::Model> FrontEnd::convert(const ov::frontend::InputModel::Ptr& model) const {
    auto m = convert_impl(model, false);
    normalize(m, std::static_pointer_cast<InputModel>(model)->options());
    return m;
}

void FrontEnd::convert(const std::shared_ptr<ov::Model>& partially_converted) const {
    for (const auto& op : partially_converted->get_ordered_ops()) {
        if (auto fw = ov::as_type_ptr<ov::op::util::FrameworkNode>(op)) {
            OPENVINO_THROW("ovjax: the model still holds an unconverted primitive '", fw->get_attrs().get_type_name(),
                           "'; it cannot be converted later: add a ConversionExtension for it and convert again");
        }
    }
    normalize(partially_converted);
}

std::shared_ptr<ov::Model> FrontEnd::convert_partially(const ov::frontend::InputModel::Ptr& model) const {
    return convert_impl(model, true);
}

std::shared_ptr<ov::Model> FrontEnd::decode(const ov::frontend::InputModel::Ptr& model) const {
    // The jaxpr is already a graph of primitives; decoding is the partial conversion.
    return convert_impl(model, true);
}

void FrontEnd::normalize(const std::shared_ptr<ov::Model>& model) const {
    // A model from convert_partially() or decode() carries its load's options for these
    // passes; any other model takes the environment's options (or the defaults).
    Options options = Options::from({});
    for (const auto& [name, option] : kNormalizeOptions)
        if (model->has_rt_info("ovjax", name))
            options.*option = model->get_rt_info<bool>("ovjax", name);
    normalize(model, options);
}

void FrontEnd::normalize(const std::shared_ptr<ov::Model>& model, const Options& options) const {
    // Translators build final opset operations with static shapes, and every node was
    // validated when it was created; what is left is recognising JAX's spelled-out nn
    // functions (softmax, layer norm, gelu, attention) as the OpenVINO ops they are
    // (fusions.cpp), the CPU plugin's scheduling workarounds (cpu_workarounds.cpp), keeping
    // conv nets in one layout between convolutions (layout.cpp), and naming what those
    // passes built (provenance.cpp).
    // Whatever the options: separate_shared_matmul_weights and constant_loop_inputs_inside
    // (cpu_workarounds.hpp), CPU plugin correctness workarounds, last, so that they also see
    // what the passes built.
    if (options.fusions) {
        fold_small_constants(model);
        apply_fusions(model);
        if (options.cpu_workarounds)
            apply_cpu_workarounds(model);
        apply_transpose_sinking(model);
    }
    separate_shared_matmul_weights(model);
    constant_loop_inputs_inside(model);
    if (options.fusions && options.provenance)
        complete_provenance(model);  // what the passes built is named too
}

void FrontEnd::add_extension(const std::shared_ptr<ov::Extension>& extension) {
    if (auto conv = std::dynamic_pointer_cast<ov::frontend::ConversionExtension>(extension)) {
        OPENVINO_ASSERT(conv->get_converter(), "ovjax: ConversionExtension for '", conv->get_op_type(),
                        "' must use the NodeContext -> OutputVector form");
        m_translators[conv->get_op_type()].extension = conv->get_converter();
        m_extensions.push_back(extension);
        return;
    }
    // Telemetry, progress and other generic extensions are accepted and unused.
    m_extensions.push_back(extension);
}

}  // namespace ovjax

extern "C" OPENVINO_CORE_EXPORTS ov::frontend::FrontEndVersion get_api_version() { return OV_FRONTEND_API_VERSION; }

extern "C" OPENVINO_CORE_EXPORTS void* get_front_end_data() {
    auto* res = new ov::frontend::FrontEndPluginInfo();
    res->m_name = "ovjax";
    res->m_creator = []() { return std::make_shared<ovjax::FrontEnd>(); };
    return res;
}
