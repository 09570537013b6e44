// Conversion options: given per conversion to FrontEnd::load, as an ov::AnyMap after the
// model (C++: fe->load(path, ov::AnyMap{{"max_expanded_size", n}})) or as the
// "ovjax_options" entry of the in-memory map (what ovjax.convert_model(..., options=)
// passes). An option not given takes its environment variable when it has one and that
// is set (read here, in Options::from, and nowhere else), else its default. Unknown keys
// and values an option does not take are errors naming them. Translators read the
// running conversion's options through NodeContext::options().
#pragma once

#include <cstdint>
#include <string>

#include "openvino/core/any.hpp"

namespace ovjax {

struct Options {
    // The most equations plus variables the model may have with every call inlined and
    // every unrolled loop body repeated; a file past it (JAX itself writes small files of
    // nested calls that expand exponentially) is refused before anything is built.
    uint64_t max_expanded_size = 2'000'000;
    // The most bytes of constant data conversion itself builds from shapes (iotas, fills,
    // index tables); the weights a file holds are viewed, not built, and do not count.
    // A few KB of file can otherwise ask for terabytes before any check on the results.
    uint64_t max_constant_bytes = uint64_t(2) << 30;
    // Recognise JAX's spelled-out nn functions as OpenVINO ops (Softmax, Gelu, MVN, SDPA;
    // fusions.cpp) and keep conv nets in one layout (layout.cpp) after translation
    // (environment: OVJAX_FUSIONS).
    bool fusions = true;
    // With `fusions`: the CPU-plugin scheduling workarounds (cpu_workarounds.cpp), which
    // change how the plugin schedules the graph, not what it computes.
    bool cpu_workarounds = true;
    // Name every node after the equation that built it (<primitive>_<equation>, nested
    // graphs as a path) with the equation's source line in rt_info (provenance.hpp).
    // Costs about a quarter more conversion time on large models (benchmarks/README.md).
    bool provenance = true;
    // The scan length up to which scans are unrolled (with a short enough body); 0 keeps
    // every scan a Loop (environment: OVJAX_SCAN_UNROLL).
    uint64_t scan_unroll = 16;
    // Steps per Loop iteration of a scan that stays a Loop when the jaxpr's own `unroll`
    // does not divide its length; 0 chooses (4 or 2 for small bodies), a value that does
    // not divide the length means 1 (environment: OVJAX_SCAN_STEPS).
    uint64_t scan_steps = 0;

    // Options from the keys of `map`, then the environment for those not given; throws
    // naming any key, value or variable it does not take.
    static Options from(const ov::AnyMap& map);
    // "key (default): meaning" lines, for messages.
    static std::string describe_all();
};

}  // namespace ovjax
