// Conversion options: given per conversion to FrontEnd::load, as an ov::AnyMap after the
// model (C++: fe->load(path, ov::AnyMap{{"max_expanded_size", n}})) or as the
// "ovjax_options" entry of the in-memory map (what ovjax.convert_model(..., options=)
// passes). Unknown keys are an error that lists the known ones.
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

    // Options from the keys of `map`; throws naming any key or value it does not know.
    static Options from(const ov::AnyMap& map);
    // "key (default): meaning" lines, for messages and the README.
    static std::string describe_all();
};

}  // namespace ovjax
