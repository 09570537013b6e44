// fuzz_convert: libFuzzer target for the whole conversion, FrontEnd::load + convert(),
// with the frontend's sources built into this program under the sanitizers
// (OpenVINO's own libraries are not instrumented). The input is handed to load() as an
// ov::Tensor holding the file's bytes or as the path of a file holding them, chosen
// by the input's bytes so that a finding reproduces; a quarter of the inputs go
// through convert_partially() (unconvertible primitives become FrameworkNodes) instead
// of convert().
//
// An ov::Exception (how the frontend reports a malformed file or an unsupported model)
// or another std::exception (std::bad_alloc for an absurd allocation with
// ASAN_OPTIONS=allocator_may_return_null=1) is a clean answer. A crash, a sanitizer
// report, a leak or a timeout is a finding. With OVJAX_FUZZ_STRICT=1 in the
// environment, std::exceptions other than ov::Exception and std::bad_alloc (say
// std::out_of_range from a container access the frontend should have checked) are
// findings too; OVJAX_FUZZ_VERBOSE=1 prints each input's outcome. The conversion options
// are lowered so that translation stays fast and within the fuzzer's memory limits:
// max_expanded_size to 20000 (OVJAX_FUZZ_MAX_EXPANDED overrides), max_constant_bytes to
// 256 MiB (OVJAX_FUZZ_MAX_CONSTANT_BYTES). See docs/fuzzing.md.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <typeinfo>
#include <string>

#include "frontend/frontend.hpp"
#include "openvino/core/except.hpp"
#include "openvino/core/model.hpp"
#include "openvino/runtime/tensor.hpp"

namespace {

std::shared_ptr<ovjax::FrontEnd> g_fe;
uint64_t g_max_expanded = 20000;
// Constants a translator builds from shapes: well under -malloc_limit_mb, so a file asking
// for more is the budget's clean error rather than an out-of-memory finding
uint64_t g_max_constant_bytes = 256ull << 20;
bool g_strict = false;
bool g_verbose = false;
int g_fd = -1;
std::string g_path;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_fe = std::make_shared<ovjax::FrontEnd>();
    if (const char* e = std::getenv("OVJAX_FUZZ_MAX_EXPANDED"))
        g_max_expanded = std::strtoull(e, nullptr, 10);
    if (const char* e = std::getenv("OVJAX_FUZZ_MAX_CONSTANT_BYTES"))
        g_max_constant_bytes = std::strtoull(e, nullptr, 10);
    if (const char* e = std::getenv("OVJAX_FUZZ_STRICT"))
        g_strict = std::string(e) == "1";
    if (const char* e = std::getenv("OVJAX_FUZZ_VERBOSE"))
        g_verbose = std::string(e) == "1";
    g_fd = memfd_create("ovjax-fuzz-convert", MFD_CLOEXEC);
    if (g_fd < 0) {
        std::perror("memfd_create");
        std::abort();
    }
    g_path = "/proc/self/fd/" + std::to_string(g_fd);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    unsigned sum = 0;
    for (size_t i = 0; i < size; ++i)
        sum += data[i];
    const bool from_path = sum & 1, partial = (sum & 6) == 6;
    const ov::AnyMap options{{"max_expanded_size", g_max_expanded}, {"max_constant_bytes", g_max_constant_bytes}};
    try {
        ov::frontend::InputModel::Ptr im;
        if (from_path) {
            if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != static_cast<ssize_t>(size)) {
                std::perror("writing the memory file");
                std::abort();
            }
            im = g_fe->load(g_path, options);
        } else {
            ov::Tensor t(ov::element::u8, ov::Shape{size});
            if (size)
                std::memcpy(t.data(), data, size);
            im = g_fe->load(t, options);
        }
        std::shared_ptr<ov::Model> m = partial ? g_fe->convert_partially(im) : g_fe->convert(im);
        size_t n = 0;
        if (m)
            for (const auto& op : m->get_ordered_ops())
                n += op->get_output_size();
        if (g_verbose)
            std::fprintf(stderr, "fuzz_convert: converted (%s, %s): %zu outputs of ops\n",
                         from_path ? "path" : "tensor", partial ? "partial" : "full", n);
    } catch (const ov::Exception& e) {
        if (g_verbose)
            std::fprintf(stderr, "fuzz_convert: ov::Exception: %.300s\n", e.what());
    } catch (const std::bad_alloc&) {
        if (g_verbose)
            std::fprintf(stderr, "fuzz_convert: std::bad_alloc\n");
    } catch (const std::exception& e) {
        if (g_verbose)
            std::fprintf(stderr, "fuzz_convert: %s: %.300s\n", typeid(e).name(), e.what());
        if (g_strict) {
            std::fprintf(stderr, "fuzz_convert: FINDING: %s escaped the conversion: %s\n", typeid(e).name(), e.what());
            std::abort();
        }
    }
    return 0;
}
