// Sanitizer detection by symbol names (libelf), and option merging.
#include "triage/run/sanitizer_options.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <map>

namespace triage {
namespace {

bool has_prefix(const char* name, const char* prefix) { return std::strncmp(name, prefix, std::strlen(prefix)) == 0; }

// Our settings, per variable. abort_on_error makes a report end in abort(),
// which leaves a core; disable_coredump=0 lets ASan dump one at all. The
// fatal signals are left to the kernel (handle_segv=0, ...): its core is
// taken at the faulting instruction, which tells the class better than a
// sanitizer's report of the signal, and the sanitizer's own checks still
// report as usual.
const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& our_options() {
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> options = {
      {"ASAN_OPTIONS",
       {{"abort_on_error", "1"}, {"disable_coredump", "0"}, {"unmap_shadow_on_exit", "1"}, {"symbolize", "0"},
        {"detect_leaks", "1"}, {"allocator_may_return_null", "0"}, {"handle_segv", "0"}, {"handle_sigbus", "0"},
        {"handle_sigfpe", "0"}, {"handle_sigill", "0"}, {"handle_abort", "0"}}},
      {"UBSAN_OPTIONS",
       {{"halt_on_error", "1"}, {"abort_on_error", "1"}, {"print_stacktrace", "1"}, {"symbolize", "0"},
        {"handle_segv", "0"}, {"handle_sigbus", "0"}, {"handle_sigfpe", "0"}, {"handle_sigill", "0"},
        {"handle_abort", "0"}}},
      {"MSAN_OPTIONS",
       {{"abort_on_error", "1"}, {"disable_coredump", "0"}, {"symbolize", "0"}, {"handle_segv", "0"},
        {"handle_sigbus", "0"}, {"handle_sigfpe", "0"}, {"handle_sigill", "0"}, {"handle_abort", "0"}}},
      {"LSAN_OPTIONS", {{"symbolize", "0"}}},
  };
  return options;
}

}  // namespace

SanitizerUse detect_sanitizers(const std::string& executable) {
  SanitizerUse use;
  int fd = open(executable.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return use;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  for (Elf_Scn* section = nullptr; elf && (section = elf_nextscn(elf, section));) {
    GElf_Shdr header;
    if (!gelf_getshdr(section, &header) || (header.sh_type != SHT_SYMTAB && header.sh_type != SHT_DYNSYM)) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (!data || header.sh_entsize == 0) continue;
    size_t count = header.sh_size / header.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym symbol;
      if (!gelf_getsym(data, static_cast<int>(i), &symbol)) break;
      const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
      if (!name || name[0] == '\0') continue;
      if (has_prefix(name, "__asan_")) use.address = true;
      else if (has_prefix(name, "__ubsan_handle_")) use.undefined = true;
      else if (has_prefix(name, "__msan_")) use.memory = true;
      else if (has_prefix(name, "__lsan_")) use.leak = true;
      else if (std::strcmp(name, "LLVMFuzzerTestOneInput") == 0) use.libfuzzer = true;
    }
  }
  if (elf) elf_end(elf);
  close(fd);
  return use;
}

std::string merge_sanitizer_options(const std::string& user,
                                    const std::vector<std::pair<std::string, std::string>>& ours) {
  // Sanitizers split options on ':' (and spaces); a key set twice takes the last.
  std::map<std::string, bool> set_by_user;
  size_t begin = 0;
  while (begin <= user.size()) {
    size_t end = user.find_first_of(": ", begin);
    if (end == std::string::npos) end = user.size();
    std::string item = user.substr(begin, end - begin);
    if (size_t equals = item.find('='); equals != std::string::npos) set_by_user[item.substr(0, equals)] = true;
    begin = end + 1;
  }
  std::string merged = user;
  for (const auto& [key, value] : ours) {
    if (set_by_user.count(key)) continue;
    if (!merged.empty() && merged.back() != ':') merged += ':';
    merged += key + "=" + value;
  }
  return merged;
}

std::vector<std::string> target_environment(const std::vector<std::string>& base, uint64_t memory_limit_mb) {
  std::map<std::string, std::string> user;
  std::vector<std::string> environment;
  for (const std::string& entry : base) {
    size_t equals = entry.find('=');
    std::string name = entry.substr(0, equals);
    if (our_options().count(name)) {
      user[name] = equals == std::string::npos ? "" : entry.substr(equals + 1);
    } else {
      environment.push_back(entry);
    }
  }
  for (const auto& [name, options] : our_options()) {
    auto settings = options;
    if (memory_limit_mb > 0 && (name == "ASAN_OPTIONS" || name == "MSAN_OPTIONS")) {
      settings.emplace_back("malloc_limit_mb", std::to_string(memory_limit_mb));
      settings.emplace_back("hard_rss_limit_mb", std::to_string(memory_limit_mb));
    }
    environment.push_back(name + "=" + merge_sanitizer_options(user[name], settings));
  }
  return environment;
}

}  // namespace triage
