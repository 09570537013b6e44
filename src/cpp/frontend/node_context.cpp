#include "frontend/node_context.hpp"

#include <algorithm>
#include <cstring>

#include "frontend/translate_session.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/squeeze.hpp"

namespace ovjax {

using format::DType;

ov::element::Type to_ov_type(DType t) {
    switch (t) {
    case DType::boolean:
        return ov::element::boolean;
    case DType::i8:
        return ov::element::i8;
    case DType::i16:
        return ov::element::i16;
    case DType::i32:
        return ov::element::i32;
    case DType::i64:
        return ov::element::i64;
    case DType::u8:
        return ov::element::u8;
    case DType::u16:
        return ov::element::u16;
    case DType::u32:
        return ov::element::u32;
    case DType::u64:
        return ov::element::u64;
    case DType::f16:
        return ov::element::f16;
    case DType::bf16:
        return ov::element::bf16;
    case DType::f32:
        return ov::element::f32;
    case DType::f64:
        return ov::element::f64;
    case DType::f8e4m3:
        return ov::element::f8e4m3;
    case DType::f8e5m2:
        return ov::element::f8e5m2;
    case DType::i4:
        return ov::element::i4;
    case DType::u4:
        return ov::element::u4;
    case DType::c64:
        // complex values are (real, imag) float pairs: the aval's shape plus a trailing 2
        // (the serializer appends it); see docs/format.md
        return ov::element::f32;
    case DType::c128:
        return ov::element::f64;
    case DType::key:
        // PRNG key arrays are their key data: u32 words, the key's shape plus the
        // trailing data dimension (2 for threefry); see docs/format.md.
        return ov::element::u32;
    default:
        throw TranslateError(std::string("dtype ") + format::dtype_name(t) + " has no OpenVINO element type");
    }
}

bool is_complex(DType t) { return t == DType::c64 || t == DType::c128; }

ov::Shape to_shape(const format::VarInfo& v) {
    for (uint32_t k = 0; k < v.rank; ++k)
        if (format::is_symbolic_dim(v.dims[k]))
            throw TranslateError("a static shape is needed where axis " + std::to_string(k) +
                                 " has a symbolic dimension");
    return ov::Shape(v.dims, v.dims + v.rank);
}

namespace {
template <typename T>
std::shared_ptr<ov::Node> filled(const ov::element::Type& type, const ov::Shape& shape, T v) {
    uint64_t n = 1;
    for (auto d : shape)
        if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
            throw TranslateError("a constant of shape " + ov::Shape(shape).to_string() + " has too many elements");
    charge_constant(n, sizeof(T));
    std::vector<T> data(ov::shape_size(shape), v);
    return std::make_shared<ov::op::v0::Constant>(type, shape, data.data());
}
}  // namespace

// float -> bfloat16 with round-to-nearest-even (as JAX/ml_dtypes), NaN kept NaN.
ov::bfloat16 bf16_round(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu))
        return ov::bfloat16::from_bits(static_cast<uint16_t>((bits >> 16) | 0x40));
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return ov::bfloat16::from_bits(static_cast<uint16_t>(bits >> 16));
}

std::shared_ptr<ov::Node> float_constant(const ov::element::Type& type, const ov::Shape& shape, double value) {
    switch (type) {
    case ov::element::Type_t::f64:
        return filled<double>(type, shape, value);
    case ov::element::Type_t::f32:
        return filled<float>(type, shape, static_cast<float>(value));
    case ov::element::Type_t::f16:
        return filled<ov::float16>(type, shape, ov::float16(static_cast<float>(value)));
    case ov::element::Type_t::bf16:
        return filled<ov::bfloat16>(type, shape, bf16_round(static_cast<float>(value)));
    case ov::element::Type_t::f8e4m3:
        return filled<ov::float8_e4m3>(type, shape, ov::float8_e4m3(static_cast<float>(value)));
    case ov::element::Type_t::f8e5m2:
        return filled<ov::float8_e5m2>(type, shape, ov::float8_e5m2(static_cast<float>(value)));
    default:
        throw TranslateError("float_constant: " + type.get_type_name() + " is not a floating-point type");
    }
}

NodeContext::NodeContext(TranslateSession& session, const format::File& file, const format::Graph& graph,
                         size_t eqn_index, const std::vector<ov::Output<ov::Node>>& env)
    : ov::frontend::NodeContext(std::string(file.string(graph.eqns[eqn_index].primitive))),
      m_session(session),
      m_file(file),
      m_graph(graph),
      m_eqn(eqn_index),
      m_env(env),
      m_prim(file.string(graph.eqns[eqn_index].primitive)) {}

NodeContext::NodeContext(const NodeContext& outer, const ov::OutputVector& inputs, size_t lead)
    : NodeContext(outer.m_session, outer.m_file, outer.m_graph, outer.m_eqn, outer.m_env) {
    m_inputs = &inputs;
    m_lead = lead;
}

const Options& NodeContext::options() const { return m_session.options(); }

const std::string& NodeContext::get_name() const {
    if (m_name.empty())
        m_name = m_file.eqn_name(m_graph, m_eqn);
    return m_name;
}

void NodeContext::fail(const std::string& msg) const { throw TranslateError(msg); }

const format::Atom& NodeContext::atom(size_t i) const {
    OVJAX_CHECK(*this, i < eqn().n_in, "input ", i, " requested but the equation has ", eqn().n_in, " inputs");
    return m_file.input(m_graph, m_eqn, i);
}

size_t NodeContext::get_input_size() const { return eqn().n_in; }

ov::Output<ov::Node> NodeContext::get_input(int idx) const {
    const auto& a = atom(static_cast<size_t>(idx));
    if (m_inputs)
        return m_inputs->at(static_cast<size_t>(idx));
    if (a.is_literal)
        return m_session.literal(a);
    return m_env[static_cast<size_t>(a.var)];
}

ov::OutputVector NodeContext::inputs() const {
    ov::OutputVector r;
    r.reserve(eqn().n_in);
    for (size_t i = 0; i < eqn().n_in; ++i)
        r.push_back(get_input(static_cast<int>(i)));
    return r;
}

format::DType NodeContext::in_dtype(size_t i) const {
    const auto& a = atom(i);
    return a.is_literal ? a.dtype : m_graph.vars[static_cast<size_t>(a.var)].dtype;
}

ov::element::Type NodeContext::in_type(size_t i) const { return to_ov_type(in_dtype(i)); }

ov::Shape NodeContext::in_shape(size_t i) const {
    const auto& a = atom(i);
    if (a.is_literal)
        return is_complex(a.dtype) ? ov::Shape{2} : ov::Shape{};
    const Dims d = in_dims(i);
    for (size_t k = 0; k < d.size(); ++k)
        OVJAX_CHECK(*this, !format::is_symbolic_dim(d[k]), m_prim, " does not support the symbolic dimension ",
                    m_file.dim_text(d[k]), " (operand ", i, ", axis ", k, ") yet: make that dimension static");
    return ov::Shape(d.begin(), d.end());
}

Dims NodeContext::in_dims(size_t i) const {
    const auto& a = atom(i);
    if (a.is_literal)
        return is_complex(a.dtype) ? Dims{2} : Dims{};
    const auto& v = m_graph.vars[static_cast<size_t>(a.var)];
    Dims d(v.dims, v.dims + v.rank);
    for (size_t k = 0; k < m_lead && k < d.size(); ++k)  // a slice view: one element of each leading axis
        d[k] = 1;
    return d;
}

ov::PartialShape NodeContext::in_pshape(size_t i) const { return shapes().partial_shape(in_dims(i)); }

Dims NodeContext::dims_param(const std::string& name) const {
    try {
        return param(name).as_dims();
    } catch (const format::FormatError& e) {
        fail(name + ": " + e.what());
    }
}

Shapes& NodeContext::shapes() const { return m_session.shapes(); }

format::DType NodeContext::declared_out_dtype(size_t k) const {
    OVJAX_CHECK(*this, k < eqn().n_out && eqn().out[k] != format::kNone, "result ", k, " is not declared");
    return m_graph.vars[static_cast<size_t>(eqn().out[k])].dtype;
}
ov::Output<ov::Node> NodeContext::shape_of(const Dims& dims) const { return shapes().shape(dims); }
ov::Output<ov::Node> NodeContext::dim_of(int64_t word) const { return shapes().dim(word); }
ov::Output<ov::Node> NodeContext::dim_scalar(int64_t word) const {
    return std::make_shared<ov::op::v0::Squeeze>(dim_of(word),
                                                 ov::op::v0::Constant::create(ov::element::i64, ov::Shape{1}, {0}));
}

bool NodeContext::in_is_complex(size_t i) const { return is_complex(in_dtype(i)); }

size_t NodeContext::in_data_rank(size_t i) const {
    const auto t = in_dtype(i);
    if (!is_complex(t) && t != DType::key)
        return 0;
    OVJAX_CHECK(*this, !in_dims(i).empty(), "operand ", i, " of dtype ", format::dtype_name(t),
                " has no trailing data dimension");
    return 1;
}

std::optional<format::Value> NodeContext::opt_param(const std::string& name) const {
    if (!m_params_indexed) {
        const int64_t* p = eqn().params;
        m_params.reserve(eqn().n_params);
        for (uint32_t i = 0; i < eqn().n_params; ++i) {
            format::Value v(&m_file, p + 1);
            m_params.emplace_back(m_file.string(static_cast<uint64_t>(p[0])), v);
            p = v.end();
        }
        // the first of equal keys wins, as in File::param
        std::stable_sort(m_params.begin(), m_params.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        m_params_indexed = true;
    }
    auto it = std::lower_bound(m_params.begin(), m_params.end(), std::string_view(name),
                               [](const auto& a, std::string_view k) { return a.first < k; });
    if (it == m_params.end() || it->first != name)
        return std::nullopt;
    return it->second;
}

bool NodeContext::has_param(const std::string& name) const { return opt_param(name).has_value(); }

format::Value NodeContext::param(const std::string& name) const {
    auto v = opt_param(name);
    OVJAX_CHECK(*this, v.has_value(), "parameter '", name, "' is missing");
    return *v;
}

ov::element::Type NodeContext::type_param(const std::string& name, ov::element::Type fallback) const {
    auto v = opt_param(name);
    if (!v || v->is_none())
        return fallback;
    return to_ov_type(v->as_dtype());
}

namespace {
ov::Any value_to_any(const format::Value& v) {
    using format::ValueTag;
    switch (v.tag()) {
    case ValueTag::none:
        return {};
    case ValueTag::boolean:
        return v.as_bool();
    case ValueTag::integer:
        return v.as_int();
    case ValueTag::floating:
        return v.as_float();
    case ValueTag::string:
        return std::string(v.as_string());
    case ValueTag::dtype:
        return to_ov_type(v.as_dtype());
    case ValueTag::enumeration:
        return std::string(v.enum_member());
    case ValueTag::graph:
        return static_cast<int64_t>(v.as_graph());
    case ValueTag::tuple: {
        bool all_int = true;
        for (size_t i = 0; i < v.size(); ++i)
            all_int = all_int && v.item(i).tag() == ValueTag::integer;
        if (all_int)
            return v.as_ints();
        std::vector<std::string> items;
        for (size_t i = 0; i < v.size(); ++i)
            items.push_back(v.item(i).describe());
        return items;
    }
    default:
        return v.describe();
    }
}
}  // namespace

ov::Any NodeContext::get_attribute_as_any(const std::string& name) const {
    auto v = opt_param(name);
    if (!v)
        return {};
    return value_to_any(*v);
}

size_t NodeContext::get_subgraph_size() const {
    size_t n = 0;
    const int64_t* p = eqn().params;
    for (uint32_t i = 0; i < eqn().n_params; ++i) {
        format::Value v(&m_file, p + 1);
        n += v.tag() == format::ValueTag::graph;
        p = v.end();
    }
    return n;
}

ov::OutputVector NodeContext::inline_graph(uint64_t graph, const ov::OutputVector& inputs,
                                           const std::vector<bool>& complex_inputs) const {
    // What this equation built for the sub-graph's inputs is its own: named before the
    // sub-graph's equations name theirs (their walks stop at the inputs).
    m_session.mark_new(inputs);
    // Without flags (control flow bodies, whose inputs are built from the equation's
    // operands, carries and slices), an input is complex where the sub-graph declares it:
    // its type and shape (with the trailing 2 of a complex value) are checked all the same.
    return m_session.translate_graph(graph, inputs, complex_inputs.empty() ? nullptr : &complex_inputs);
}

}  // namespace ovjax
