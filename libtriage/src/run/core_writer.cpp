// ELF core files like the kernel's (fs/binfmt_elf.c's layout): the ELF
// header, the program headers (PT_NOTE first, then one PT_LOAD per memory
// range), the notes, then the memory contents from the next page boundary.
// Notes are 4-byte aligned with name "CORE"; the first thread's NT_PRSTATUS
// comes first, then NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE and its
// NT_FPREGSET, then each other thread's NT_PRSTATUS and NT_FPREGSET.
#include "triage/run/core_writer.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <span>

namespace triage {
namespace {

#ifndef NT_SIGINFO
constexpr uint32_t NT_SIGINFO = 0x53494749;
#endif
#ifndef NT_FILE
constexpr uint32_t NT_FILE = 0x46494c45;
#endif

using Bytes = std::vector<std::byte>;

void put(Bytes& bytes, size_t offset, uint64_t value, unsigned size) {
  if (bytes.size() < offset + size) bytes.resize(offset + size);
  for (unsigned i = 0; i < size; ++i) bytes[offset + i] = static_cast<std::byte>(value >> (8 * i));
}

void put_text(Bytes& bytes, size_t offset, const std::string& text, size_t field) {
  if (bytes.size() < offset + field) bytes.resize(offset + field);
  size_t n = std::min(text.size(), field - 1);  // always NUL-terminated
  std::memcpy(bytes.data() + offset, text.data(), n);
}

size_t align_up(size_t value, size_t alignment) { return (value + alignment - 1) / alignment * alignment; }

void append_note(Bytes& out, const char* name, uint32_t type, const Bytes& desc) {
  const size_t name_size = std::strlen(name) + 1;
  size_t at = out.size();
  put(out, at, name_size, 4);
  put(out, at + 4, desc.size(), 4);
  put(out, at + 8, type, 4);
  out.resize(at + 12 + align_up(name_size, 4), std::byte{0});
  std::memcpy(out.data() + at + 12, name, name_size - 1);
  at = out.size();
  out.resize(at + align_up(desc.size(), 4), std::byte{0});
  if (!desc.empty()) std::memcpy(out.data() + at, desc.data(), desc.size());
}

Bytes prstatus(const CoreDescription& core, const CoreThreadState& thread) {
  const unsigned w = core.is_64bit ? 8 : 4;
  Bytes d;
  put(d, 0, static_cast<uint32_t>(core.signal), 4);  // pr_info.si_signo (code and errno stay 0)
  put(d, 12, static_cast<uint16_t>(core.signal), 2);  // pr_cursig
  put(d, 16, thread.pending_signals, w);
  put(d, 16 + w, thread.blocked_signals, w);
  const size_t ids = 16 + 2 * w;
  put(d, ids, static_cast<uint32_t>(thread.tid), 4);
  put(d, ids + 4, static_cast<uint32_t>(core.process.ppid), 4);
  put(d, ids + 8, static_cast<uint32_t>(core.process.pgrp), 4);
  put(d, ids + 12, static_cast<uint32_t>(core.process.sid), 4);
  const size_t times = ids + 16;
  const uint64_t us[4] = {thread.user_time_us, thread.system_time_us, core.process.children_user_time_us,
                          core.process.children_system_time_us};
  for (int i = 0; i < 4; ++i) {
    put(d, times + i * 2 * w, us[i] / 1000000, w);
    put(d, times + i * 2 * w + w, us[i] % 1000000, w);
  }
  const size_t regs = times + 8 * w;
  d.resize(regs, std::byte{0});
  d.insert(d.end(), thread.registers.begin(), thread.registers.end());
  put(d, d.size(), thread.fp_registers.empty() ? 0 : 1, 4);  // pr_fpvalid
  d.resize(align_up(d.size(), w), std::byte{0});
  return d;
}

Bytes prpsinfo(const CoreDescription& core) {
  const CoreProcessState& p = core.process;
  Bytes d;
  static constexpr char kStates[] = "RSDTZW";
  const char* found = std::strchr(kStates, p.state);
  put(d, 0, found && p.state ? static_cast<uint64_t>(found - kStates) : 0, 1);  // pr_state
  put(d, 1, static_cast<uint8_t>(p.state), 1);
  put(d, 2, p.state == 'Z' ? 1 : 0, 1);
  put(d, 3, static_cast<uint8_t>(static_cast<int8_t>(p.nice)), 1);
  size_t fname;
  if (core.is_64bit) {
    put(d, 8, p.flags, 8);
    put(d, 16, p.uid, 4);
    put(d, 20, p.gid, 4);
    put(d, 24, static_cast<uint32_t>(p.pid), 4);
    put(d, 28, static_cast<uint32_t>(p.ppid), 4);
    put(d, 32, static_cast<uint32_t>(p.pgrp), 4);
    put(d, 36, static_cast<uint32_t>(p.sid), 4);
    fname = 40;
  } else if (core.machine == EM_386 || core.machine == EM_ARM) {
    // 16-bit pr_uid/pr_gid (the kernel's __kernel_old_uid_t there).
    put(d, 4, p.flags, 4);
    put(d, 8, std::min(p.uid, 0xfffeu), 2);
    put(d, 10, std::min(p.gid, 0xfffeu), 2);
    put(d, 12, static_cast<uint32_t>(p.pid), 4);
    put(d, 16, static_cast<uint32_t>(p.ppid), 4);
    put(d, 20, static_cast<uint32_t>(p.pgrp), 4);
    put(d, 24, static_cast<uint32_t>(p.sid), 4);
    fname = 28;
  } else {
    put(d, 4, p.flags, 4);
    put(d, 8, p.uid, 4);
    put(d, 12, p.gid, 4);
    put(d, 16, static_cast<uint32_t>(p.pid), 4);
    put(d, 20, static_cast<uint32_t>(p.ppid), 4);
    put(d, 24, static_cast<uint32_t>(p.pgrp), 4);
    put(d, 28, static_cast<uint32_t>(p.sid), 4);
    fname = 32;
  }
  put_text(d, fname, p.command_name, 16);
  put_text(d, fname + 16, p.arguments, 80);
  d.resize(align_up(d.size(), core.is_64bit ? 8 : 4), std::byte{0});
  return d;
}

Bytes auxv(const CoreDescription& core) {
  const unsigned w = core.is_64bit ? 8 : 4;
  Bytes d;
  for (const auto& [key, value] : core.auxv) {
    put(d, d.size(), key, w);
    put(d, d.size(), value, w);
  }
  put(d, d.size(), 0, w);  // AT_NULL
  put(d, d.size(), 0, w);
  return d;
}

Bytes file_note(const CoreDescription& core) {
  const unsigned w = core.is_64bit ? 8 : 4;
  Bytes d;
  put(d, 0, core.files.size(), w);
  put(d, w, core.page_size, w);
  size_t at = 2 * w;
  for (const FileMapping& file : core.files) {
    put(d, at, file.start, w);
    put(d, at + w, file.end, w);
    put(d, at + 2 * w, file.file_offset / core.page_size, w);
    at += 3 * w;
  }
  for (const FileMapping& file : core.files) {
    const auto* text = reinterpret_cast<const std::byte*>(file.path.c_str());
    d.insert(d.end(), text, text + file.path.size() + 1);
  }
  return d;
}

struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

Error io_error(const std::string& what, int error) {
  return make_error(ErrorKind::kIo, what + ": " + std::strerror(error));
}

bool write_all(int fd, const std::byte* data, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

bool all_zero(const std::byte* data, size_t size) {
  for (size_t i = 0; i < size; ++i)
    if (data[i] != std::byte{0}) return false;
  return true;
}

// A path that is a symlink or something other than a regular file.
std::optional<std::string> refuse_destination(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return std::nullopt;
  if (S_ISLNK(st.st_mode)) return path + " is a symbolic link; not writing a core through it";
  if (!S_ISREG(st.st_mode)) return path + " exists and is not a regular file; not writing a core over it";
  return std::nullopt;
}

}  // namespace

std::vector<std::byte> siginfo_for_core(const siginfo_t& info, bool is_64bit) {
  Bytes native(sizeof(siginfo_t));
  std::memcpy(native.data(), &info, sizeof info);
  if (is_64bit || sizeof(void*) == 4) return native;

  auto get = [&](size_t offset, unsigned size) {
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= std::to_integer<uint64_t>(native[offset + i]) << (8 * i);
    return value;
  };
  // 64-bit union at 16, 32-bit union at 12; pointers and longs narrow to 4.
  Bytes out(128);
  put(out, 0, get(0, 4), 4);  // si_signo
  put(out, 4, get(4, 4), 4);  // si_errno
  put(out, 8, get(8, 4), 4);  // si_code
  const int sig = info.si_signo;
  const int code = info.si_code;
  enum { kKill, kTimer, kRt, kChld, kFault, kPoll, kSys } layout = kKill;
  if (code > SI_USER && code < SI_KERNEL) {
    switch (sig) {
      case SIGILL: case SIGFPE: case SIGSEGV: case SIGBUS: case SIGTRAP: layout = kFault; break;
      case SIGCHLD: layout = kChld; break;
      case SIGSYS: layout = kSys; break;
      default: layout = kPoll; break;
    }
  } else if (code == SI_TIMER) {
    layout = kTimer;
  } else if (code == SI_SIGIO) {
    layout = kPoll;
  } else if (code < 0) {
    layout = kRt;
  }
  switch (layout) {
    case kKill:
      put(out, 12, get(16, 4), 4);  // si_pid
      put(out, 16, get(20, 4), 4);  // si_uid
      break;
    case kTimer:
    case kRt:
      put(out, 12, get(16, 4), 4);  // si_pid / si_tid
      put(out, 16, get(20, 4), 4);  // si_uid / si_overrun
      put(out, 20, get(24, 4), 4);  // si_value, low half
      break;
    case kChld:
      put(out, 12, get(16, 4), 4);  // si_pid
      put(out, 16, get(20, 4), 4);  // si_uid
      put(out, 20, get(24, 4), 4);  // si_status
      put(out, 24, get(32, 4), 4);  // si_utime
      put(out, 28, get(40, 4), 4);  // si_stime
      break;
    case kFault:
      put(out, 12, get(16, 4), 4);  // si_addr
      put(out, 16, get(24, 2), 2);  // si_addr_lsb
      put(out, 20, get(32, 4), 4);  // si_lower / si_pkey
      put(out, 24, get(40, 4), 4);  // si_upper
      break;
    case kPoll:
      put(out, 12, get(16, 4), 4);  // si_band
      put(out, 16, get(24, 4), 4);  // si_fd
      break;
    case kSys:
      put(out, 12, get(16, 4), 4);  // si_call_addr
      put(out, 16, get(24, 4), 4);  // si_syscall
      put(out, 20, get(28, 4), 4);  // si_arch
      break;
  }
  return out;
}

std::vector<std::byte> build_core_notes(const CoreDescription& core) {
  Bytes notes;
  for (size_t i = 0; i < core.threads.size(); ++i) {
    const CoreThreadState& thread = core.threads[i];
    append_note(notes, "CORE", NT_PRSTATUS, prstatus(core, thread));
    if (i == 0) {
      append_note(notes, "CORE", NT_PRPSINFO, prpsinfo(core));
      if (!core.siginfo.empty()) append_note(notes, "CORE", NT_SIGINFO, core.siginfo);
      if (!core.auxv.empty()) append_note(notes, "CORE", NT_AUXV, auxv(core));
      append_note(notes, "CORE", NT_FILE, file_note(core));
    }
    if (!thread.fp_registers.empty()) append_note(notes, "CORE", NT_FPREGSET, thread.fp_registers);
  }
  return notes;
}

namespace {

// The ELF header, the program headers (the notes, then one PT_LOAD per
// segment) and, past PN_XNUM segments, section 0 holding their count, for
// either ELF class. The caller checked that a 32-bit core's offsets fit.
template <class Ehdr, class Phdr, class Shdr>
void write_headers(Bytes& head, const CoreDescription& core, unsigned char elf_class, uint64_t notes_offset,
                   uint64_t notes_size, const std::vector<uint64_t>& offsets, uint64_t page) {
  using Word = decltype(Phdr{}.p_filesz);
  const size_t phnum = core.segments.size() + 1;
  const bool extended = phnum >= PN_XNUM;
  Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = elf_class;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_ident[EI_OSABI] = ELFOSABI_NONE;
  ehdr.e_type = ET_CORE;
  ehdr.e_machine = core.machine;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_phoff = sizeof(Ehdr);
  ehdr.e_ehsize = sizeof(Ehdr);
  ehdr.e_phentsize = sizeof(Phdr);
  ehdr.e_phnum = extended ? PN_XNUM : phnum;
  if (extended) {
    ehdr.e_shoff = static_cast<decltype(ehdr.e_shoff)>(sizeof(Ehdr) + phnum * sizeof(Phdr));
    ehdr.e_shentsize = sizeof(Shdr);
    ehdr.e_shnum = 1;
    Shdr shdr{};
    shdr.sh_info = static_cast<decltype(shdr.sh_info)>(phnum);
    std::memcpy(head.data() + ehdr.e_shoff, &shdr, sizeof shdr);
  }
  std::memcpy(head.data(), &ehdr, sizeof ehdr);
  Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = static_cast<decltype(note.p_offset)>(notes_offset);
  note.p_filesz = static_cast<Word>(notes_size);
  note.p_align = 4;
  std::memcpy(head.data() + sizeof(Ehdr), &note, sizeof note);
  for (size_t i = 0; i < core.segments.size(); ++i) {
    const CoreSegment& s = core.segments[i];
    Phdr load{};
    load.p_type = PT_LOAD;
    load.p_flags = (s.readable ? PF_R : 0) | (s.writable ? PF_W : 0) | (s.executable ? PF_X : 0);
    load.p_offset = static_cast<decltype(load.p_offset)>(offsets[i]);
    load.p_vaddr = static_cast<decltype(load.p_vaddr)>(s.start);
    load.p_filesz = static_cast<Word>(s.dump_bytes);
    load.p_memsz = static_cast<Word>(s.end - s.start);
    load.p_align = static_cast<decltype(load.p_align)>(page);
    std::memcpy(head.data() + sizeof(Ehdr) + (i + 1) * sizeof(Phdr), &load, sizeof load);
  }
}

}  // namespace

Result<CoreWriteStats> write_core_file(const CoreDescription& core, const Memory& memory, const std::string& path) {
  if (core.threads.empty()) return make_error(ErrorKind::kInvalidArgument, "a core needs at least one thread");
  if (auto why = refuse_destination(path)) return make_error(ErrorKind::kInvalidArgument, *why);
  const uint64_t page = core.page_size ? core.page_size : 4096;

  // Layout: headers, notes, then the segments from a page boundary.
  const bool wide = core.is_64bit;
  const size_t ehdr_size = wide ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  const size_t phdr_size = wide ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
  const size_t shdr_size = wide ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
  const size_t phnum = core.segments.size() + 1;
  const bool extended = phnum >= PN_XNUM;  // the count goes in section 0's sh_info
  const Bytes notes = build_core_notes(core);
  const uint64_t notes_offset = ehdr_size + phnum * phdr_size + (extended ? shdr_size : 0);
  uint64_t offset = align_up(notes_offset + notes.size(), page);
  std::vector<uint64_t> offsets;
  offsets.reserve(core.segments.size());
  CoreWriteStats stats;
  for (const CoreSegment& segment : core.segments) {
    if (segment.end < segment.start || segment.dump_bytes > segment.end - segment.start)
      return make_error(ErrorKind::kInvalidArgument, "a core segment's dumped size exceeds its range");
    offsets.push_back(offset);
    offset += segment.dump_bytes;
    stats.memory_bytes += segment.dump_bytes;
  }
  stats.file_bytes = offset;

  if (!wide && stats.file_bytes > 0xffffffffull)
    return make_error(ErrorKind::kInvalidArgument, "a 32-bit core can't be larger than 4 GiB");
  Bytes head(notes_offset, std::byte{0});
  if (wide) {
    write_headers<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>(head, core, ELFCLASS64, notes_offset, notes.size(), offsets, page);
  } else {
    write_headers<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>(head, core, ELFCLASS32, notes_offset, notes.size(), offsets, page);
  }
  head.insert(head.end(), notes.begin(), notes.end());

  // A fresh file next to the destination, renamed over it when complete.
  namespace fs = std::filesystem;
  const fs::path destination(path);
  const fs::path folder = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
  static std::atomic<unsigned> counter{0};
  std::random_device entropy;
  FdCloser file;
  std::string temp;
  for (int attempt = 0; attempt < 16 && file.fd < 0; ++attempt) {
    temp = (folder / ("." + destination.filename().string() + "." + std::to_string(getpid()) + "." +
                      std::to_string(counter++) + "." + std::to_string(entropy() & 0xffffff) + ".part"))
               .string();
    file.fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (file.fd < 0 && errno != EEXIST) return io_error("can't create " + temp, errno);
  }
  if (file.fd < 0) return io_error("can't create a temporary file in " + folder.string(), EEXIST);
  auto fail = [&](const std::string& what, int error) -> Result<CoreWriteStats> {
    unlink(temp.c_str());
    return io_error(what, error);
  };

  if (!write_all(file.fd, head.data(), head.size(), 0)) return fail("can't write " + temp, errno);
  constexpr size_t kChunk = 1 << 20;
  Bytes buffer(kChunk);
  for (size_t i = 0; i < core.segments.size(); ++i) {
    const CoreSegment& s = core.segments[i];
    for (uint64_t done = 0; done < s.dump_bytes;) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, s.dump_bytes - done));
      std::span<std::byte> out(buffer.data(), want);
      size_t got = memory.read_up_to(s.start + done, out);
      if (got < want) {
        // The page holding the first unreadable byte becomes zeros; go on
        // from the next page.
        size_t bad_end = std::min<size_t>(want, got / page * page + page);
        std::memset(buffer.data() + got, 0, bad_end - got);
        ++stats.unreadable_pages;
        out = out.first(bad_end);
      }
      // Zero pages stay holes.
      for (size_t at = 0; at < out.size(); at += page) {
        size_t n = std::min<size_t>(page, out.size() - at);
        if (all_zero(out.data() + at, n)) continue;
        if (!write_all(file.fd, out.data() + at, n, offsets[i] + done + at)) return fail("can't write " + temp, errno);
      }
      done += out.size();
    }
  }
  if (ftruncate(file.fd, static_cast<off_t>(stats.file_bytes)) != 0) return fail("can't write " + temp, errno);
  if (close(file.fd) != 0) {
    file.fd = -1;
    return fail("can't write " + temp, errno);
  }
  file.fd = -1;
  if (auto why = refuse_destination(path)) {
    unlink(temp.c_str());
    return make_error(ErrorKind::kInvalidArgument, *why);
  }
  if (rename(temp.c_str(), path.c_str()) != 0) return fail("can't rename " + temp + " to " + path, errno);
  return stats;
}

}  // namespace triage
