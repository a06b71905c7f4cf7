// ELF core files -> ProcessSnapshot. libelf reads the ELF structure; every
// note field is read through bounds-checked helpers, so a hostile core gives
// an Error or a warning, never a read out of bounds.
#include "triage/core/elf_core.h"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "triage/util/checked.h"
#include "triage/util/core_stream.h"
#include "triage/util/mapped_file.h"

namespace triage {
namespace {

#ifndef NT_SIGINFO
constexpr uint32_t NT_SIGINFO = 0x53494749;
#endif
#ifndef NT_FILE
constexpr uint32_t NT_FILE = 0x46494c45;
#endif

// The core's PT_LOAD segments as memory. Segments the kernel did not dump
// (p_filesz 0) and parts cut off by a truncated file read as unreadable.
class CoreMemory final : public Memory {
 public:
  struct Segment {
    uint64_t start;
    uint64_t size;       // p_memsz
    uint64_t file_offset;
    uint64_t available;  // bytes of the segment present in the file
  };

  CoreMemory(std::shared_ptr<MappedFile> file, std::vector<Segment> segments)
      : file_(std::move(file)), segments_(std::move(segments)) {
    std::sort(segments_.begin(), segments_.end(),
              [](const Segment& a, const Segment& b) { return a.start < b.start; });
  }

  size_t read_up_to(uint64_t address, std::span<std::byte> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      auto next = checked_add(address, done);
      if (!next) break;
      const Segment* segment = find(*next);
      if (!segment) break;
      uint64_t offset_in_segment = *next - segment->start;
      if (offset_in_segment >= segment->available) break;
      uint64_t chunk = std::min<uint64_t>(segment->available - offset_in_segment, out.size() - done);
      std::memcpy(out.data() + done, file_->data() + segment->file_offset + offset_in_segment, chunk);
      done += chunk;
    }
    return done;
  }

 private:
  const Segment* find(uint64_t address) const {
    auto it = std::upper_bound(segments_.begin(), segments_.end(), address,
                               [](uint64_t a, const Segment& s) { return a < s.start; });
    if (it == segments_.begin()) return nullptr;
    --it;
    return address - it->start < it->size ? &*it : nullptr;
  }

  std::shared_ptr<MappedFile> file_;
  std::vector<Segment> segments_;
};

struct ElfHandle {
  Elf* elf = nullptr;
  ~ElfHandle() {
    if (elf) elf_end(elf);
  }
};

Error malformed(const std::string& path, const std::string& what) {
  return make_error(ErrorKind::kMalformed, path + ": malformed core: " + what);
}

std::string trim_fixed(std::span<const std::byte> field) {
  std::string text;
  for (std::byte b : field) {
    char c = static_cast<char>(b);
    if (c == '\0') break;
    text.push_back(c);
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

class NoteParser {
 public:
  NoteParser(const ArchInfo& arch, ProcessSnapshot& snapshot)
      : arch_(arch), word_(arch.word_size), snapshot_(snapshot) {}

  // The crashing thread's signal as NT_PRSTATUS has it, for cores without NT_SIGINFO.
  int prstatus_signal = 0;
  int prstatus_code = 0;


  void parse(uint32_t type, std::string_view name, std::span<const std::byte> desc) {
    if (name == "CORE") {
      switch (type) {
        case NT_PRSTATUS: return prstatus(desc);
        case NT_PRPSINFO: return prpsinfo(desc);
        case NT_SIGINFO: return siginfo(desc);
        case NT_AUXV: return auxv(desc);
        case NT_FILE: return file(desc);
        default: return;
      }
    }
  }

 private:
  void warn(const std::string& message) { snapshot_.warnings.push_back(message); }

  void prstatus(std::span<const std::byte> desc) {
    size_t regs_offset = arch_.prstatus_regs_offset;
    if (!in_bounds(regs_offset, arch_.prstatus_regs_size(), desc.size())) {
      warn("NT_PRSTATUS note of " + std::to_string(desc.size()) + " bytes is too small; thread skipped");
      return;
    }
    ThreadSnapshot thread;
    size_t pid_offset = word_ == 8 ? 32 : 24;
    thread.tid = static_cast<int>(*load_le(desc, pid_offset, 4));
    thread.current_signal = static_cast<int>(*load_le(desc, 12, 2));
    thread.registers.reserve(arch_.register_names.size());
    for (size_t i = 0; i < arch_.register_names.size(); ++i)
      thread.registers.push_back(*load_le(desc, regs_offset + i * word_, word_));
    if (snapshot_.threads.empty()) {
      prstatus_signal = static_cast<int>(*load_le(desc, 0, 4));
      prstatus_code = static_cast<int>(*load_le(desc, 4, 4));
      snapshot_.process.ppid = static_cast<int>(*load_le(desc, pid_offset + 4, 4));
    }
    snapshot_.threads.push_back(std::move(thread));
  }

  void prpsinfo(std::span<const std::byte> desc) {
    // pr_uid/pr_gid are 16-bit on i386 and ARM, 32-bit elsewhere: the note's
    // size tells which layout the writer used.
    size_t uid_offset, id_size, pid_offset, fname_offset;
    if (word_ == 8) {
      uid_offset = 16, id_size = 4, pid_offset = 24, fname_offset = 40;
    } else if (desc.size() == 124) {
      uid_offset = 8, id_size = 2, pid_offset = 12, fname_offset = 28;
    } else {
      uid_offset = 8, id_size = 4, pid_offset = 16, fname_offset = 32;
    }
    if (!in_bounds(fname_offset, 16 + 80, desc.size())) {
      warn("NT_PRPSINFO note of " + std::to_string(desc.size()) + " bytes is too small; command line unknown");
      return;
    }
    snapshot_.process.uid = static_cast<unsigned>(*load_le(desc, uid_offset, id_size));
    snapshot_.process.gid = static_cast<unsigned>(*load_le(desc, uid_offset + id_size, id_size));
    // pr_pid here is the process id; NT_PRSTATUS's pr_pid is a thread id.
    snapshot_.process.pid = static_cast<int>(*load_le(desc, pid_offset, 4));
    snapshot_.process.command_name = trim_fixed(desc.subspan(fname_offset, 16));
    snapshot_.process.arguments = trim_fixed(desc.subspan(fname_offset + 16, 80));
  }

  void siginfo(std::span<const std::byte> desc) {
    if (desc.size() < 16 + word_) {
      warn("NT_SIGINFO note too small; signal taken from NT_PRSTATUS");
      return;
    }
    SignalInfo& signal = snapshot_.signal;
    signal.number = static_cast<int>(*load_le(desc, 0, 4));
    signal.error = static_cast<int>(*load_le(desc, 4, 4));
    signal.code = static_cast<int>(static_cast<int32_t>(*load_le(desc, 8, 4)));
    signal.from_siginfo = true;
    // The union after si_code starts at the next pointer-aligned offset.
    size_t union_offset = word_ == 8 ? 16 : 12;
    switch (signal.number) {
      case 4: case 5: case 7: case 8: case 11:  // SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV
        // si_addr is only meaningful for faults the kernel raised (code > 0,
        // SI_KERNEL included, where it is 0 for a non-canonical access); a
        // signal sent by kill() or raise() has the sender's pid there.
        if (signal.code > 0) signal.fault_address = load_le(desc, union_offset, word_);
        break;
      case 31:  // SIGSYS: si_call_addr
        signal.fault_address = load_le(desc, union_offset, word_);
        break;
      default:
        break;
    }
  }

  void auxv(std::span<const std::byte> desc) {
    for (size_t offset = 0; in_bounds(offset, 2 * word_, desc.size()); offset += 2 * word_) {
      uint64_t key = *load_le(desc, offset, word_);
      if (key == 0) break;  // AT_NULL
      snapshot_.auxv.emplace_back(key, *load_le(desc, offset + word_, word_));
    }
  }

  void file(std::span<const std::byte> desc) {
    auto count = load_le(desc, 0, word_);
    auto page_size = load_le(desc, word_, word_);
    if (!count || !page_size) return warn("NT_FILE note truncated; mappings unknown");
    // Three words per entry must fit, and each name takes at least one byte.
    // Divide rather than multiply: count * (3 * word + 1) can wrap to a small
    // number for a hostile count and pass a bounds check.
    uint64_t room = desc.size() - 2 * word_;  // both words were read, so no underflow
    if (*count > room / (3 * word_ + 1))
      return warn("NT_FILE note claims " + std::to_string(*count) + " mappings, more than it holds; mappings unknown");
    size_t names = 2 * word_ + *count * 3 * word_;
    std::vector<FileMapping> mappings;
    mappings.reserve(*count);
    for (uint64_t i = 0; i < *count; ++i) {
      size_t entry = 2 * word_ + i * 3 * word_;
      FileMapping mapping;
      mapping.start = *load_le(desc, entry, word_);
      mapping.end = *load_le(desc, entry + word_, word_);
      mapping.file_offset = checked_mul(*load_le(desc, entry + 2 * word_, word_), *page_size).value_or(0);
      if (names >= desc.size()) return warn("NT_FILE names truncated; mappings unknown");
      auto rest = desc.subspan(names);
      auto nul = std::find(rest.begin(), rest.end(), std::byte{0});
      mapping.path.assign(reinterpret_cast<const char*>(rest.data()), nul - rest.begin());
      names += mapping.path.size() + 1;
      if (mapping.end > mapping.start) mappings.push_back(std::move(mapping));
    }
    snapshot_.file_mappings = std::move(mappings);
  }

  const ArchInfo& arch_;
  unsigned word_;
  ProcessSnapshot& snapshot_;
};

std::string find_executable(const ProcessSnapshot& snapshot) {
  // The mapping that holds the entry point is the main executable.
  if (auto entry = snapshot.auxv_value(AT_ENTRY))
    if (const FileMapping* mapping = snapshot.file_mapping_at(*entry)) return mapping->path;
  if (auto execfn = snapshot.auxv_value(31 /* AT_EXECFN */))
    if (auto name = snapshot.memory->read_c_string(*execfn, 4096)) return *name;
  // PRPSINFO keeps the first 80 bytes of the command line: its first word
  // is the program as it was started.
  const std::string& arguments = snapshot.process.arguments;
  return arguments.substr(0, arguments.find(' '));
}


// A zstd-compressed core (what the online handler stores, and the fixtures
// of corpus-samples/cross) is expanded into an unnamed temporary file, sparse
// where the core is zeros, and read from there.
Result<std::shared_ptr<MappedFile>> open_core_file(const std::string& path, uint64_t max_bytes) {
  static constexpr unsigned char kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};
  // Not blocking on a FIFO; anything but a regular file is MappedFile's to refuse.
  const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (in < 0) return MappedFile::open(path);  // let it say why
  struct stat st {};
  unsigned char magic[4] = {};
  const bool compressed = fstat(in, &st) == 0 && S_ISREG(st.st_mode) &&
                          pread(in, magic, sizeof magic, 0) == sizeof magic &&
                          std::memcmp(magic, kZstdMagic, sizeof magic) == 0;
  if (!compressed) {
    close(in);
    return MappedFile::open(path);
  }
  const char* tmpdir = std::getenv("TMPDIR");
  const int out = open(tmpdir && *tmpdir ? tmpdir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (out < 0) {
    close(in);
    return make_error(ErrorKind::kIo, path + ": zstd-compressed, and no temporary file to expand it into: " +
                                          std::strerror(errno) + " (set TMPDIR, or decompress it with zstd -d)");
  }
  auto size = expand_core(in, out, true, max_bytes);
  close(in);
  if (!size) {
    close(out);
    return make_error(size.error().kind, path + ": zstd-compressed: " + size.error().message);
  }
  auto file = MappedFile::open("/proc/self/fd/" + std::to_string(out));
  close(out);  // the mapping keeps the file
  return file;
}

}  // namespace

Result<ProcessSnapshot> load_elf_core(const std::string& path, const CoreLimits& limits) {
  auto file = open_core_file(path, limits.max_expanded_bytes);
  if (!file) return file.error();
  std::shared_ptr<MappedFile> image = *file;

  static const bool libelf_ready = elf_version(EV_CURRENT) != EV_NONE;
  if (!libelf_ready) return make_error(ErrorKind::kIo, "libelf is unusable (elf_version failed)");

  ElfHandle handle;
  handle.elf = elf_memory(reinterpret_cast<char*>(image->data()), image->size());
  if (!handle.elf || elf_kind(handle.elf) != ELF_K_ELF)
    return make_error(ErrorKind::kNotACore, path + ": not an ELF file, so not a core dump");
  GElf_Ehdr ehdr;
  if (!gelf_getehdr(handle.elf, &ehdr)) return malformed(path, "unreadable ELF header");
  if (ehdr.e_type != ET_CORE) {
    std::string kind = ehdr.e_type == ET_EXEC ? "an executable"
                       : ehdr.e_type == ET_DYN ? "a shared object or PIE executable"
                       : ehdr.e_type == ET_REL ? "an object file"
                                               : "an ELF file of type " + std::to_string(ehdr.e_type);
    return make_error(ErrorKind::kNotACore,
                      path + ": " + kind + ", not a core dump (give the executable with -e and the core with -f)");
  }
  bool is_64bit = gelf_getclass(handle.elf) == ELFCLASS64;
  if (ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
    return make_error(ErrorKind::kUnsupported, path + ": big-endian cores are not supported");
  const ArchInfo* arch = find_arch(ehdr.e_machine, is_64bit);
  if (!arch)
    return make_error(ErrorKind::kUnsupported, path + ": core of an unsupported architecture (e_machine " +
                                                   std::to_string(ehdr.e_machine) + ", " +
                                                   (is_64bit ? "64" : "32") + "-bit)");

  size_t phnum = 0;
  if (elf_getphdrnum(handle.elf, &phnum) != 0) return malformed(path, "unreadable program header count");
  auto table_end = checked_add(ehdr.e_phoff, checked_mul(phnum, ehdr.e_phentsize).value_or(~0ull));
  if (phnum == 0 || !table_end || *table_end > image->size())
    return malformed(path, "program headers lie outside the file (" + std::to_string(phnum) + " entries)");

  ProcessSnapshot snapshot;
  snapshot.arch = arch;
  NoteParser notes(*arch, snapshot);
  std::vector<CoreMemory::Segment> segments;
  size_t note_bytes = 0;
  size_t truncated_segments = 0;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (!gelf_getphdr(handle.elf, static_cast<int>(i), &phdr)) return malformed(path, "unreadable program header");
    if (phdr.p_type == PT_LOAD) {
      auto end = checked_add(phdr.p_vaddr, phdr.p_memsz);
      if (!end || phdr.p_memsz == 0) continue;
      uint64_t available = 0;
      if (phdr.p_filesz > 0 && phdr.p_offset < image->size()) {
        available = std::min<uint64_t>({phdr.p_filesz, phdr.p_memsz, image->size() - phdr.p_offset});
        if (available < std::min(phdr.p_filesz, phdr.p_memsz)) ++truncated_segments;
      } else if (phdr.p_filesz > 0) {
        ++truncated_segments;
      }
      segments.push_back({phdr.p_vaddr, phdr.p_memsz, phdr.p_offset, available});
      snapshot.regions.push_back({phdr.p_vaddr, *end, (phdr.p_flags & PF_R) != 0, (phdr.p_flags & PF_W) != 0,
                                  (phdr.p_flags & PF_X) != 0, available > 0});
    } else if (phdr.p_type == PT_NOTE) {
      if (!in_bounds(phdr.p_offset, phdr.p_filesz, image->size())) {
        snapshot.warnings.push_back("a PT_NOTE segment lies past the end of the file (truncated core?)");
        continue;
      }
      note_bytes += phdr.p_filesz;
      if (note_bytes > limits.max_note_bytes)
        return malformed(path, "notes larger than " + std::to_string(limits.max_note_bytes >> 20) + " MiB");
      Elf_Data* data = elf_getdata_rawchunk(handle.elf, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz, ELF_T_NHDR);
      if (!data) return malformed(path, "unreadable note segment");
      auto bytes = std::span(static_cast<const std::byte*>(data->d_buf), data->d_size);
      size_t offset = 0;
      GElf_Nhdr nhdr;
      size_t name_offset, desc_offset;
      while (offset < data->d_size) {
        size_t next = gelf_getnote(data, offset, &nhdr, &name_offset, &desc_offset);
        if (next == 0) {
          snapshot.warnings.push_back("note segment ends in a malformed note; later notes ignored");
          break;
        }
        std::string_view name;
        if (nhdr.n_namesz > 0 && in_bounds(name_offset, nhdr.n_namesz, bytes.size()))
          name = std::string_view(reinterpret_cast<const char*>(bytes.data() + name_offset), nhdr.n_namesz - 1);
        if (in_bounds(desc_offset, nhdr.n_descsz, bytes.size()))
          notes.parse(nhdr.n_type, name, bytes.subspan(desc_offset, nhdr.n_descsz));
        if (snapshot.threads.size() > limits.max_threads)
          return malformed(path, "more than " + std::to_string(limits.max_threads) + " threads");
        offset = next;
      }
    }
  }
  if (snapshot.threads.empty())
    return malformed(path, "no thread state (NT_PRSTATUS) in the core, so nothing to analyse");
  if (snapshot.file_mappings.size() > limits.max_mappings)
    return malformed(path, "more than " + std::to_string(limits.max_mappings) + " file mappings");
  if (snapshot.process.pid == 0) snapshot.process.pid = snapshot.threads.front().tid;
  if (truncated_segments > 0)
    snapshot.warnings.push_back("the core is truncated: " + std::to_string(truncated_segments) +
                                " memory segments are incomplete (core size limit or disk full?)");
  if (!snapshot.signal.from_siginfo) {
    snapshot.signal.number = notes.prstatus_signal ? notes.prstatus_signal : snapshot.threads.front().current_signal;
    snapshot.signal.code = notes.prstatus_code;
    snapshot.warnings.push_back("no NT_SIGINFO note: signal taken from NT_PRSTATUS, fault address unknown");
  }
  snapshot.memory = std::make_unique<CoreMemory>(image, std::move(segments));
  snapshot.executable_path = find_executable(snapshot);
  return snapshot;
}

}  // namespace triage
