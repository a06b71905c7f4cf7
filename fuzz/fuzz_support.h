// What the harnesses share: reporting a broken property as a finding, the
// rules every tool loads, and a file in memory for entry points that take a
// path (the tools read cores and reports from files).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "triage/analyze/rules.h"

namespace triage_fuzz {

// A property the harness checks does not hold: libFuzzer saves the input.
[[noreturn]] inline void broken(std::string_view what) {
  std::fprintf(stderr, "fuzzer: property broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

inline const triage::Rules& rules() {
  static const triage::Rules* loaded = [] {
    auto rules = triage::load_rules(triage::default_rules_dir(), {});
    if (!rules) {
      std::fprintf(stderr, "fuzzer: rules: %s\n", rules.error().message.c_str());
      std::abort();
    }
    return new triage::Rules(std::move(*rules));  // never destroyed: libFuzzer exits without unwinding
  }();
  return *loaded;
}

// A memfd the input is written to, read through its /proc/self/fd path as
// the tools read a file by name.
class MemoryFile {
 public:
  explicit MemoryFile(const char* name) {
    fd_ = memfd_create(name, MFD_CLOEXEC);
    if (fd_ < 0) die("memfd_create");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }

  const std::string& path() const { return path_; }

  void write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0) die("ftruncate");
    size_t done = 0;
    while (done < size) {
      ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("pwrite");
      done += static_cast<size_t>(n);
    }
  }

 private:
  int fd_ = -1;
  std::string path_;

  [[noreturn]] static void die(const char* what) {
    std::fprintf(stderr, "fuzzer: %s: %s\n", what, std::strerror(errno));
    std::abort();
  }
};

// Whether text is valid UTF-8, the only text a .casrep carries unchanged
// (to_json_text replaces other bytes with U+FFFD).
inline bool is_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    const bool overlong = (length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
                          (length == 4 && code < 0x10000);
    if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

}  // namespace triage_fuzz
