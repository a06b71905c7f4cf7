// Merging our sanitizer options into the user's; libFuzzer binaries told
// apart by their symbols (libelf).
#include "triage/run/sanitizer_options.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <map>

namespace triage {
namespace {

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

std::vector<std::string> target_environment(const std::vector<std::string>& base) {
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
    environment.push_back(name + "=" + merge_sanitizer_options(user[name], options));
  }
  return environment;
}

bool is_libfuzzer_binary(const std::string& executable) {
  int fd = open(executable.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  bool found = false;
  for (Elf_Scn* section = nullptr; elf && !found && (section = elf_nextscn(elf, section));) {
    GElf_Shdr header;
    if (!gelf_getshdr(section, &header) || (header.sh_type != SHT_SYMTAB && header.sh_type != SHT_DYNSYM)) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (!data || header.sh_entsize == 0) continue;
    for (size_t i = 0; i < header.sh_size / header.sh_entsize && !found; ++i) {
      GElf_Sym symbol;
      if (!gelf_getsym(data, static_cast<int>(i), &symbol) || symbol.st_shndx == SHN_UNDEF) continue;
      const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
      found = name && std::strcmp(name, "LLVMFuzzerTestOneInput") == 0;
    }
  }
  if (elf) elf_end(elf);
  close(fd);
  return found;
}

std::vector<std::string> with_libfuzzer_flags(const std::vector<std::string>& command) {
  std::vector<std::string> result = {command.front()};
  for (const char* flag : {"-handle_segv", "-handle_bus", "-handle_abrt", "-handle_ill", "-handle_fpe"}) {
    bool given = std::any_of(command.begin() + 1, command.end(),
                             [&](const std::string& arg) { return arg.rfind(std::string(flag) + "=", 0) == 0; });
    if (!given) result.push_back(std::string(flag) + "=0");
  }
  result.insert(result.end(), command.begin() + 1, command.end());
  return result;
}

}  // namespace triage
