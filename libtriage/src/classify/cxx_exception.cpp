// libstdc++ keeps a thrown object behind a __cxa_exception header whose last
// member is the generic _Unwind_Exception; the unwinder and the C++ runtime
// pass pointers to that unwind header around, so while std::terminate runs
// such pointers sit in the crashing thread's stack frames. From the unwind
// header we reach the header's exceptionType (a std::type_info*), whose
// second word is the mangled type name.
//
// Layouts (libstdc++ unwind-cxx.h, GCC unwind-generic.h): __cxa_exception is
// exceptionType, exceptionDestructor, unexpectedHandler, terminateHandler,
// nextException, handlerCount, handlerSwitchValue, actionRecord,
// languageSpecificData, catchTemp, adjustedPtr, then unwindHeader aligned to
// the target's largest alignment (16). ARM EHABI replaces the five cached
// fields with nextPropagatingException and propagationCount and uses the
// 88-byte _Unwind_Control_Block, 8-byte aligned.
// x86-64 was checked against a real core (exceptionType 80 bytes before the
// unwind header, object 32 bytes after it).
#include "cxx_exception.h"

#include <cxxabi.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

namespace triage::classify_detail {
namespace {

struct ExceptionLayout {
  uint64_t header_to_unwind;  // exceptionType (and a dependent's primaryException) before the unwind header
  uint64_t unwind_size;       // sizeof(_Unwind_Exception): the thrown object follows it
  bool class_as_chars;        // ARM EHABI: exception_class is char[8], not a uint64
};

std::optional<ExceptionLayout> layout_for(const ArchInfo& arch) {
  switch (arch.arch) {
    case Arch::kX86_64:
    case Arch::kAarch64:
    case Arch::kRiscv64:
      return ExceptionLayout{80, 32, false};
    case Arch::kX86:
    case Arch::kRiscv32:
      // 11 four-byte fields = 44 bytes, unwind header at the next multiple
      // of 16; _Unwind_Exception is 8 + 3 * 4 = 20 bytes, padded to 32.
      return ExceptionLayout{48, 32, false};
    case Arch::kArm:
      return ExceptionLayout{32, 88, true};
  }
  return std::nullopt;
}

// "GNUCC++\0" (primary) and "GNUCC++\x01" (dependent), read as the
// little-endian word the ABI compares, or as the ARM character array.
constexpr uint64_t kPrimaryClass = 0x474e5543432b2b00ull;
constexpr uint64_t kDependentClass = 0x474e5543432b2b01ull;
constexpr uint64_t kPrimaryChars = 0x002b2b4343554e47ull;    // bytes G N U C C + + \0
constexpr uint64_t kDependentChars = 0x012b2b4343554e47ull;  // bytes G N U C C + + \1

enum class ClassKind { kNone, kPrimary, kDependent };

ClassKind exception_class_at(const Memory& memory, const ExceptionLayout& layout,
                             uint64_t address) {
  const std::optional<uint64_t> value = memory.read_uint(address, 8);
  if (!value) return ClassKind::kNone;
  if (*value == (layout.class_as_chars ? kPrimaryChars : kPrimaryClass)) return ClassKind::kPrimary;
  if (*value == (layout.class_as_chars ? kDependentChars : kDependentClass))
    return ClassKind::kDependent;
  return ClassKind::kNone;
}

bool printable(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 0x20 && u != 0x7f) || c == '\n' || c == '\t' || c == '\r';
  });
}

// A mangled type name as type_info::name() gives it.
std::optional<std::string> type_name_of(const Memory& memory, const ArchInfo& arch,
                                        uint64_t type_info) {
  const unsigned word = arch.word_size;
  const std::optional<uint64_t> name_pointer = memory.read_uint(type_info + word, word);
  if (!name_pointer || *name_pointer == 0) return std::nullopt;
  std::optional<std::string> name = memory.read_c_string(*name_pointer, 1024);
  if (!name) return std::nullopt;
  if (!name->empty() && (*name)[0] == '*') name->erase(0, 1);
  if (!printable(*name) || name->find(' ') != std::string::npos) return std::nullopt;
  return name;
}

bool is_std_exception_with_message(const std::string& mangled) {
  return mangled == "St13runtime_error" || mangled == "St11logic_error";
}

// Whether the type or one of its single-inheritance bases is
// std::runtime_error or std::logic_error. An __si_class_type_info holds its
// base's type_info* in its third word; a type_info of another kind holds
// something else there, so every step must lead to a plausible type name.
bool has_message_base(const Memory& memory, const ArchInfo& arch, uint64_t type_info,
                      const std::string& mangled) {
  if (is_std_exception_with_message(mangled)) return true;
  const unsigned word = arch.word_size;
  uint64_t current = type_info;
  for (int depth = 0; depth < 8; ++depth) {
    const std::optional<uint64_t> base = memory.read_uint(current + 2 * word, word);
    if (!base || *base == 0 || *base == current) return false;
    const std::optional<std::string> base_name = type_name_of(memory, arch, *base);
    if (!base_name) return false;
    if (is_std_exception_with_message(*base_name)) return true;
    if (demangle_type(*base_name) == *base_name) return false;  // not a type name
    current = *base;
  }
  return false;
}

std::optional<ThrownException> read_exception(const Memory& memory, const ArchInfo& arch,
                                              const ExceptionLayout& layout,
                                              uint64_t unwind_header) {
  const unsigned word = arch.word_size;
  const uint64_t mask = arch.address_mask();
  ThrownException found;
  found.unwind_header = unwind_header;
  uint64_t primary = unwind_header;
  switch (exception_class_at(memory, layout, unwind_header)) {
    case ClassKind::kNone:
      return std::nullopt;
    case ClassKind::kPrimary:
      break;
    case ClassKind::kDependent: {
      // __cxa_dependent_exception starts with primaryException: the thrown
      // object of the primary exception, right after its unwind header.
      const std::optional<uint64_t> object =
          memory.read_uint((unwind_header - layout.header_to_unwind) & mask, word);
      if (!object) return std::nullopt;
      primary = (*object - layout.unwind_size) & mask;
      if (exception_class_at(memory, layout, primary) != ClassKind::kPrimary) return std::nullopt;
      found.dependent = true;
      break;
    }
  }
  found.object = (primary + layout.unwind_size) & mask;
  const std::optional<uint64_t> type_info =
      memory.read_uint((primary - layout.header_to_unwind) & mask, word);
  if (!type_info || *type_info == 0) return std::nullopt;
  std::optional<std::string> mangled = type_name_of(memory, arch, *type_info);
  if (!mangled) return std::nullopt;
  found.mangled_type = *mangled;
  found.type = demangle_type(*mangled);

  if (has_message_base(memory, arch, *type_info, *mangled)) {
    // libstdc++'s runtime_error/logic_error hold a reference-counted string
    // (__cow_string): one pointer to the characters, after the vtable pointer.
    const std::optional<uint64_t> text = memory.read_uint(found.object + word, word);
    if (text && *text != 0) {
      std::optional<std::string> message = memory.read_c_string(*text, 4096);
      if (message && printable(*message)) found.what = std::move(*message);
    }
  }
  return found;
}

}  // namespace

std::string demangle_type(const std::string& mangled) {
  int status = -1;
  char* demangled = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && demangled != nullptr ? std::string(demangled) : mangled;
  std::free(demangled);
  return result;
}

std::optional<ThrownException> find_thrown_exception(const Memory& memory, const ArchInfo& arch,
                                                     uint64_t stack_pointer,
                                                     std::optional<uint64_t> stack_end) {
  const std::optional<ExceptionLayout> layout = layout_for(arch);
  if (!layout) return std::nullopt;
  const unsigned word = arch.word_size;
  const uint64_t mask = arch.address_mask();
  constexpr uint64_t kScanLimit = 64 * 1024;

  uint64_t length = kScanLimit;
  if (stack_end && *stack_end > stack_pointer) length = std::min(length, *stack_end - stack_pointer);
  std::set<uint64_t> tried;
  // Page by page, so that a hole in the memory image does not end the scan.
  constexpr uint64_t kChunk = 4096;
  std::vector<std::byte> chunk(kChunk);
  const uint64_t start = stack_pointer & ~uint64_t{word - 1};
  for (uint64_t done = 0; done < length;) {
    const uint64_t at = (start + done) & mask;
    const uint64_t want = std::min<uint64_t>(kChunk - (at % kChunk), length - done);
    const size_t got = memory.read_up_to(at, std::span(chunk).first(static_cast<size_t>(want)));
    done += want;
    for (size_t offset = 0; offset + word <= got; offset += word) {
      uint64_t value = 0;
      std::memcpy(&value, chunk.data() + offset, word);  // little-endian targets only
      if (value < 4096) continue;
      // A pointer to the unwind header, to the thrown object right after it,
      // or to the __cxa_exception header before it.
      const std::array<uint64_t, 3> candidates = {value, (value - layout->unwind_size) & mask,
                                                  (value + layout->header_to_unwind) & mask};
      for (uint64_t candidate : candidates) {
        if (!tried.insert(candidate).second) continue;
        if (std::optional<ThrownException> found =
                read_exception(memory, arch, *layout, candidate))
          return found;
      }
    }
  }
  return std::nullopt;
}

}  // namespace triage::classify_detail
