// Finding values in JSON text without decoding them: where a value ends,
// the members of an object, the elements of an array, as views into the
// text. A reader that needs a few keys of a large document (a crash stack
// from a report with 2000 frames and a full disassembly) skips the rest at
// memchr speed and hands only the parts it needs to nlohmann::json, which
// decodes and checks them. Skipped parts are checked for structure only
// (balanced brackets, closed strings), not for valid JSON.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

namespace triage {

// Nesting deeper than this is refused, as by the report parser.
inline constexpr size_t kMaxJsonScanDepth = 512;

// The length of the JSON value at the start of `text` (after whitespace,
// which is counted), or nullopt if it does not end or nests too deeply.
std::optional<size_t> json_value_length(std::string_view text);

enum class JsonScan { kDone, kStopped, kMalformed };

// Calls visit(key, rest) for each member of the object at the start of
// `text`, in order: `key` as written between its quotes (escapes not
// decoded), `rest` the text from the member's value to the end. visit
// returns the length of the value it consumed (json_value_length(rest) to
// skip it) or nullopt to stop. On kDone, *length (if given) is the length of
// the whole object.
JsonScan json_for_each_member(std::string_view text,
                              const std::function<std::optional<size_t>(std::string_view key, std::string_view rest)>& visit,
                              size_t* length = nullptr);

// The same for the elements of the array at the start of `text`: visit(rest)
// returns the length of the element it consumed, or nullopt to stop.
JsonScan json_for_each_element(std::string_view text,
                               const std::function<std::optional<size_t>(std::string_view rest)>& visit,
                               size_t* length = nullptr);

// Visits each element as a bounded value; visit returns false to stop.
JsonScan json_for_each_value(std::string_view text, const std::function<bool(std::string_view value)>& visit);

}  // namespace triage
