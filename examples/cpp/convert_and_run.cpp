// convert_and_run: load an .ovjax file through the ovjax frontend, compile it on
// OpenVINO's CPU plugin and run it on .npy inputs. No Python is involved.
//
//   convert_and_run <libopenvino_ovjax_frontend.so> <model.ovjax> [input.npy ...] <output_prefix>
//
// One .npy file per model input, in the model's input order. Output i is written to
// <output_prefix><i>.npy. The .npy files must be little-endian, C-order arrays of
// f16/f32/f64/i8/i16/i32/i64/u8/u16/u32/u64/bool.
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "openvino/frontend/manager.hpp"
#include "openvino/openvino.hpp"

namespace npy {

struct Array {
    ov::element::Type type;
    ov::Shape shape;
    std::vector<char> data;
};

struct Dtype {
    const char* descr;  // without the byte-order character
    ov::element::Type type;
};

// The dtypes this program reads and writes. Byte order: '<' (or '|' for one-byte types).
const Dtype kDtypes[] = {
    {"f2", ov::element::f16}, {"f4", ov::element::f32}, {"f8", ov::element::f64}, {"i1", ov::element::i8},
    {"i2", ov::element::i16}, {"i4", ov::element::i32}, {"i8", ov::element::i64}, {"u1", ov::element::u8},
    {"u2", ov::element::u16}, {"u4", ov::element::u32}, {"u8", ov::element::u64}, {"b1", ov::element::boolean},
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw std::runtime_error(path + ": " + what);
}

std::string supported_list() {
    std::string s;
    for (const auto& d : kDtypes)
        s += (s.empty() ? "" : ", ") + std::string(d.descr);
    return s;
}

ov::element::Type type_of_descr(const std::string& path, const std::string& descr) {
    // descr is a byte-order character and a type code: '<f4', '|b1', '=i8' ...
    if (descr.size() == 3) {
        const char order = descr[0];
        const std::string code = descr.substr(1);
        for (const auto& d : kDtypes) {
            if (code != d.descr)
                continue;
            // '=' is the host's order, which run() checks is little-endian; byte order
            // does not matter for one-byte types.
            if (order == '<' || order == '=' || ((order == '|' || order == '>') && d.type.size() == 1))
                return d.type;
            if (order == '>')
                fail(path, "big-endian dtype '" + descr +
                               "' is not supported; save the array as little-endian "
                               "(a.astype(a.dtype.newbyteorder('<')))");
        }
    }
    fail(path, "unsupported dtype '" + descr + "' (supported: " + supported_list() + ")");
}

std::string descr_of_type(const ov::element::Type& t) {
    for (const auto& d : kDtypes)
        if (d.type == t)
            return (t.size() == 1 ? "|" : "<") + std::string(d.descr);
    throw std::runtime_error("cannot write an output of element type " + t.get_type_name() +
                             " as .npy (supported: " + supported_list() + ")");
}

// ---- the header dictionary, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }

size_t skip_ws(const std::string& s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        ++i;
    return i;
}

// Position just after `'key':` (single or double quotes), or npos.
size_t find_key(const std::string& h, const std::string& key) {
    for (const char q : {'\'', '"'}) {
        const std::string k = std::string(1, q) + key + q;
        size_t p = h.find(k);
        if (p == std::string::npos)
            continue;
        p = skip_ws(h, p + k.size());
        if (p < h.size() && h[p] == ':')
            return skip_ws(h, p + 1);
    }
    return std::string::npos;
}

Array read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, "cannot open");
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        fail(path, "not a .npy file (bad magic)");
    const int major = static_cast<unsigned char>(magic[6]);
    uint32_t header_len = 0;
    if (major == 1) {
        unsigned char b[2];
        if (!in.read(reinterpret_cast<char*>(b), 2))
            fail(path, "truncated header");
        header_len = b[0] | (b[1] << 8);
    } else if (major == 2 || major == 3) {
        unsigned char b[4];
        if (!in.read(reinterpret_cast<char*>(b), 4))
            fail(path, "truncated header");
        header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    } else {
        fail(path, "unsupported .npy format version " + std::to_string(major));
    }
    if (header_len > (1u << 24))
        fail(path, "implausible header length " + std::to_string(header_len));
    std::string h(header_len, '\0');
    if (!in.read(h.data(), header_len))
        fail(path, "truncated header");

    // descr
    size_t p = find_key(h, "descr");
    if (p == std::string::npos)
        fail(path, "header has no 'descr'");
    if (h[p] != '\'' && h[p] != '"')
        fail(path, "structured dtypes are not supported (descr is not a simple type string)");
    const char q = h[p];
    const size_t e = h.find(q, p + 1);
    if (e == std::string::npos)
        fail(path, "malformed 'descr'");
    const std::string descr = h.substr(p + 1, e - p - 1);

    // fortran_order
    p = find_key(h, "fortran_order");
    if (p == std::string::npos)
        fail(path, "header has no 'fortran_order'");
    if (h.compare(p, 4, "True") == 0)
        fail(path, "Fortran-order arrays are not supported; save a C-contiguous array (np.ascontiguousarray)");
    if (h.compare(p, 5, "False") != 0)
        fail(path, "malformed 'fortran_order'");

    // shape
    p = find_key(h, "shape");
    if (p == std::string::npos || h[p] != '(')
        fail(path, "header has no 'shape' tuple");
    const size_t close = h.find(')', p);
    if (close == std::string::npos)
        fail(path, "malformed 'shape'");
    ov::Shape shape;
    {
        size_t i = p + 1;
        while (true) {
            i = skip_ws(h, i);
            if (i >= close)
                break;
            if (h[i] < '0' || h[i] > '9')
                fail(path, "malformed 'shape': " + h.substr(p, close - p + 1));
            size_t d = 0;
            while (i < close && h[i] >= '0' && h[i] <= '9') {
                d = d * 10 + static_cast<size_t>(h[i] - '0');
                if (d > (size_t{1} << 48))
                    fail(path, "implausible dimension in 'shape'");
                ++i;
            }
            shape.push_back(d);
            i = skip_ws(h, i);
            if (i < close && h[i] == ',')
                ++i;
            else if (i < close)
                fail(path, "malformed 'shape': " + h.substr(p, close - p + 1));
        }
    }

    Array a;
    a.type = type_of_descr(path, descr);
    a.shape = shape;
    size_t count = 1;
    for (size_t d : shape) {
        if (d != 0 && count > (size_t{1} << 48) / d)
            fail(path, "array too large");
        count *= d;
    }
    const size_t nbytes = count * a.type.size();
    a.data.resize(nbytes);
    if (nbytes && !in.read(a.data.data(), static_cast<std::streamsize>(nbytes)))
        fail(path, "truncated data: expected " + std::to_string(nbytes) + " bytes");
    in.peek();
    if (!in.eof())
        fail(path, "trailing bytes after the array data");
    return a;
}

void write(const std::string& path, const ov::element::Type& type, const ov::Shape& shape, const void* data,
           size_t nbytes) {
    std::ostringstream d;
    d << "{'descr': '" << descr_of_type(type) << "', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i)
        d << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? "," : "") << (i + 1 < shape.size() ? " " : "");
    d << "), }";
    std::string h = d.str();
    // Pad with spaces so that magic + length + header ends on a 64-byte boundary, then '\n'.
    const size_t prefix = 10;
    const size_t total = (prefix + h.size() + 1 + 63) / 64 * 64;
    h.append(total - prefix - h.size() - 1, ' ');
    h.push_back('\n');

    std::ofstream out(path, std::ios::binary);
    if (!out)
        fail(path, "cannot create");
    const unsigned char head[10] = {0x93,
                                    'N',
                                    'U',
                                    'M',
                                    'P',
                                    'Y',
                                    1,
                                    0,
                                    static_cast<unsigned char>(h.size() & 0xff),
                                    static_cast<unsigned char>(h.size() >> 8)};
    out.write(reinterpret_cast<const char*>(head), sizeof(head));
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(nbytes));
    if (!out)
        fail(path, "write failed");
}

}  // namespace npy

namespace {

bool host_is_little_endian() {
    const uint16_t one = 1;
    unsigned char b;
    std::memcpy(&b, &one, 1);
    return b == 1;
}

std::string shape_str(const ov::Shape& s) {
    std::ostringstream o;
    o << s;
    return o.str();
}

int run(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: " << argv[0]
                  << " <libopenvino_ovjax_frontend.so> <model.ovjax> [input.npy ...] <output_prefix>\n";
        return 2;
    }
    if (!host_is_little_endian())
        throw std::runtime_error("this program reads and writes little-endian .npy files on little-endian hosts only");
    const std::string frontend_lib = argv[1];
    const std::string model_path = argv[2];
    const std::vector<std::string> input_paths(argv + 3, argv + argc - 1);
    const std::string out_prefix = argv[argc - 1];

    // Read the inputs first: a bad .npy file is reported before any conversion work.
    std::vector<npy::Array> inputs;
    for (const auto& p : input_paths)
        inputs.push_back(npy::read(p));

    ov::frontend::FrontEndManager manager;
    manager.register_front_end("ovjax", frontend_lib);
    ov::frontend::FrontEnd::Ptr fe = manager.load_by_framework("ovjax");
    if (!fe)
        throw std::runtime_error("OpenVINO could not load the ovjax frontend from " + frontend_lib);
    ov::frontend::InputModel::Ptr input_model = fe->load(model_path);
    if (!input_model)
        throw std::runtime_error("the ovjax frontend could not load " + model_path);
    std::shared_ptr<ov::Model> model = fe->convert(input_model);

    ov::Core core;
    ov::CompiledModel compiled = core.compile_model(model, "CPU", ov::hint::inference_precision(ov::element::f32));
    const auto& ports = compiled.inputs();
    if (ports.size() != inputs.size()) {
        std::ostringstream o;
        o << model_path << " has " << ports.size() << " inputs but " << inputs.size() << " .npy files were given";
        throw std::runtime_error(o.str());
    }

    ov::InferRequest request = compiled.create_infer_request();
    for (size_t i = 0; i < ports.size(); ++i) {
        const auto& port = ports[i];
        npy::Array& a = inputs[i];
        const std::string name = port.get_names().empty() ? std::to_string(i) : port.get_any_name();
        if (port.get_element_type() != a.type)
            throw std::runtime_error(input_paths[i] + ": element type " + a.type.get_type_name() + ", but input '" +
                                     name + "' takes " + port.get_element_type().get_type_name());
        if (!port.get_partial_shape().compatible(ov::PartialShape(a.shape)))
            throw std::runtime_error(input_paths[i] + ": shape " + shape_str(a.shape) + ", but input '" + name +
                                     "' takes " + port.get_partial_shape().to_string());
        // The tensor views the .npy data, which lives until the inference is done.
        if (a.data.empty())
            request.set_input_tensor(i, ov::Tensor(a.type, a.shape));
        else
            request.set_input_tensor(i, ov::Tensor(a.type, a.shape, a.data.data()));
    }
    request.infer();

    const auto& outs = compiled.outputs();
    for (size_t i = 0; i < outs.size(); ++i) {
        ov::Tensor t = request.get_output_tensor(i);
        const std::string path = out_prefix + std::to_string(i) + ".npy";
        npy::write(path, t.get_element_type(), t.get_shape(), t.data(), t.get_byte_size());
        const std::string name = outs[i].get_names().empty() ? std::to_string(i) : outs[i].get_any_name();
        std::cout << "output " << i << " '" << name << "': " << t.get_element_type() << shape_str(t.get_shape())
                  << " -> " << path << "\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "convert_and_run: error: " << e.what() << "\n";
        return 1;
    }
}
