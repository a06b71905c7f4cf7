// Hostile ELF cores: a minimal, valid x86-64 core is built in memory, checked
// to load, then broken in every way the reader must survive (empty, random,
// not ELF, not a core, truncated, hostile sizes and counts, garbage notes,
// foreign byte order and machine). Each case must give a snapshot or an Error
// of the right kind with a message, never a crash, a hang or a silent success.
//
// The generator (triage_test::minimal_x86_64_core) is also used by
// tests/e2e/bad_input_test.cpp, and the hidden test "[.hostile-seeds]" writes
// its outputs as seeds for fuzz/core_reader_fuzzer.cpp.
#include <dwarf.h>
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/test_files.h"
#include "triage/analyze/core_analyzer.h"
#include "triage/analyze/rules.h"
#include "triage/core/elf_core.h"
#include "triage/error.h"
#include "triage/report/report.h"
#include "triage/util/core_stream.h"
// The CFI expression evaluator is internal to unwind/; its input comes from
// module files and from the vDSO image inside the core, so it is hostile too.
#include "../../libtriage/src/unwind/dwarf_expression.h"

namespace fs = std::filesystem;
using triage::CoreLimits;
using triage::ErrorKind;
using triage::ProcessSnapshot;
using triage::Result;

#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif
#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

namespace triage_test {


struct Note {
  uint32_t type;
  std::string name;  // without the terminating NUL; empty for n_namesz 0
  Bytes desc;
};

// A generated core and where its parts are, for mutations.
struct CoreImage {
  Bytes bytes;
  size_t phdr_offset = 0;  // phdr 0 is PT_NOTE, phdr 1 is PT_LOAD
  size_t notes_offset = 0;
  size_t notes_size = 0;
  size_t load_offset = 0;
  size_t load_size = 0;
  std::vector<size_t> note_header_offsets;  // one per note, in order
  std::vector<size_t> note_desc_offsets;
};

// Addresses of the minimal core's process.
constexpr uint64_t kLoadBase = 0x400000;
constexpr size_t kLoadPages = 3;
constexpr uint64_t kEntry = kLoadBase + 0x100;     // a faulting load: mov (%rax),%eax
constexpr uint64_t kStackTop = kLoadBase + 0x2000;  // rsp, in the last page
constexpr uint64_t kExecFn = kLoadBase + 0x2800;    // "/nonexistent/hostile-prog"
constexpr const char* kProgram = "/nonexistent/hostile-prog";

Bytes prstatus(int tid, int signal, uint64_t rip, uint64_t rsp, uint64_t rax = 0) {
  Bytes d(336, 0);
  put<int32_t>(d, 0, signal);
  put<int16_t>(d, 12, static_cast<int16_t>(signal));
  put<int32_t>(d, 32, tid);
  put<int32_t>(d, 36, 1);
  size_t regs = 112;
  put<uint64_t>(d, regs + 4 * 8, rsp + 0x10);  // rbp
  put<uint64_t>(d, regs + 10 * 8, rax);        // rax
  put<uint64_t>(d, regs + 16 * 8, rip);        // rip
  put<uint64_t>(d, regs + 17 * 8, 0x33);       // cs
  put<uint64_t>(d, regs + 18 * 8, 0x246);      // eflags
  put<uint64_t>(d, regs + 19 * 8, rsp);        // rsp
  put<uint64_t>(d, regs + 20 * 8, 0x2b);       // ss
  return d;
}

// struct elf_prpsinfo (x86-64, 136 bytes): pr_uid 16, pr_gid 20, pr_pid 24,
// pr_fname 40 (16), pr_psargs 56 (80).
Bytes prpsinfo(int pid) {
  Bytes d(136, 0);
  d[1] = 'R';
  put<uint32_t>(d, 16, 1000);
  put<uint32_t>(d, 20, 1000);
  put<int32_t>(d, 24, pid);
  std::memcpy(d.data() + 40, "hostile-prog", 12);
  std::memcpy(d.data() + 56, "hostile-prog --crash", 20);
  return d;
}

// siginfo_t (128 bytes): si_signo 0, si_errno 4, si_code 8, si_addr 16.
Bytes siginfo(int signal, int code, uint64_t address) {
  Bytes d(128, 0);
  put<int32_t>(d, 0, signal);
  put<int32_t>(d, 8, code);
  put<uint64_t>(d, 16, address);
  return d;
}

Bytes auxv(std::initializer_list<std::pair<uint64_t, uint64_t>> entries) {
  Bytes d;
  for (auto [key, value] : entries) {
    put<uint64_t>(d, d.size(), key);
    put<uint64_t>(d, d.size(), value);
  }
  return d;
}

struct FileEntry {
  uint64_t start, end, page_offset;
  std::string path;
};

// NT_FILE: count, page size, count * {start, end, page offset}, then the names.
Bytes file_note(const std::vector<FileEntry>& entries, uint64_t page_size = 4096) {
  Bytes d;
  put<uint64_t>(d, 0, entries.size());
  put<uint64_t>(d, 8, page_size);
  for (const FileEntry& e : entries) {
    put<uint64_t>(d, d.size(), e.start);
    put<uint64_t>(d, d.size(), e.end);
    put<uint64_t>(d, d.size(), e.page_offset);
  }
  for (const FileEntry& e : entries) {
    d.insert(d.end(), e.path.begin(), e.path.end());
    d.push_back(0);
  }
  return d;
}

std::vector<Note> default_notes() {
  return {
      {NT_PRSTATUS, "CORE", prstatus(4242, SIGSEGV, kEntry, kStackTop)},
      {NT_PRPSINFO, "CORE", prpsinfo(4242)},
      {NT_SIGINFO, "CORE", siginfo(SIGSEGV, 1 /* SEGV_MAPERR */, 0)},
      {NT_AUXV, "CORE", auxv({{AT_PAGESZ, 4096}, {AT_ENTRY, kEntry}, {31 /* AT_EXECFN */, kExecFn}, {AT_NULL, 0}})},
      {NT_FILE, "CORE", file_note({{kLoadBase, kLoadBase + kLoadPages * 4096, 0, kProgram}})},
  };
}

size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

Bytes encode_notes(const std::vector<Note>& notes, std::vector<size_t>* headers = nullptr,
                   std::vector<size_t>* descs = nullptr, size_t base = 0) {
  Bytes out;
  for (const Note& note : notes) {
    if (headers) headers->push_back(base + out.size());
    uint32_t namesz = note.name.empty() ? 0 : static_cast<uint32_t>(note.name.size() + 1);
    put<uint32_t>(out, out.size(), namesz);
    put<uint32_t>(out, out.size(), static_cast<uint32_t>(note.desc.size()));
    put<uint32_t>(out, out.size(), note.type);
    out.insert(out.end(), note.name.begin(), note.name.end());
    if (namesz) out.push_back(0);
    out.resize(align4(out.size()), 0);
    if (descs) descs->push_back(base + out.size());
    out.insert(out.end(), note.desc.begin(), note.desc.end());
    out.resize(align4(out.size()), 0);
  }
  return out;
}

// The minimal core: ELF header, PT_NOTE + PT_LOAD headers, the notes, then
// kLoadPages (or load_pages) pages of memory at kLoadBase, page aligned in the file.
CoreImage build_core(const std::vector<Note>& notes, uint16_t machine = EM_X86_64, uint16_t type = ET_CORE,
                     size_t load_pages = kLoadPages) {
  CoreImage core;
  core.phdr_offset = sizeof(Elf64_Ehdr);
  core.notes_offset = core.phdr_offset + 2 * sizeof(Elf64_Phdr);
  Bytes note_bytes = encode_notes(notes, &core.note_header_offsets, &core.note_desc_offsets, core.notes_offset);
  core.notes_size = note_bytes.size();
  core.load_offset = (core.notes_offset + core.notes_size + 4095) & ~size_t{4095};
  core.load_size = load_pages * 4096;

  Elf64_Ehdr ehdr{};
  std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
  ehdr.e_ident[EI_CLASS] = ELFCLASS64;
  ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr.e_ident[EI_VERSION] = EV_CURRENT;
  ehdr.e_ident[EI_OSABI] = ELFOSABI_NONE;
  ehdr.e_type = type;
  ehdr.e_machine = machine;
  ehdr.e_version = EV_CURRENT;
  ehdr.e_phoff = core.phdr_offset;
  ehdr.e_ehsize = sizeof(Elf64_Ehdr);
  ehdr.e_phentsize = sizeof(Elf64_Phdr);
  ehdr.e_phnum = 2;

  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = core.notes_offset;
  note.p_filesz = core.notes_size;
  note.p_align = 4;
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  load.p_flags = PF_R | PF_W | PF_X;
  load.p_offset = core.load_offset;
  load.p_vaddr = kLoadBase;
  load.p_filesz = core.load_size;
  load.p_memsz = core.load_size;
  load.p_align = 4096;

  Bytes& b = core.bytes;
  b.resize(core.load_offset + core.load_size, 0);
  std::memcpy(b.data(), &ehdr, sizeof ehdr);
  std::memcpy(b.data() + core.phdr_offset, &note, sizeof note);
  std::memcpy(b.data() + core.phdr_offset + sizeof note, &load, sizeof load);
  std::copy(note_bytes.begin(), note_bytes.end(), b.begin() + static_cast<std::ptrdiff_t>(core.notes_offset));

  // Memory: code at kEntry (mov (%rax),%eax; pop %rbp; ret; nops), a small
  // stack with a frame chain that ends, and the AT_EXECFN string.
  size_t mem = core.load_offset;
  const unsigned char code[] = {0x8b, 0x00, 0x5d, 0xc3, 0x90, 0x90, 0x90, 0x90};
  std::memcpy(b.data() + mem + (kEntry - kLoadBase), code, sizeof code);
  put<uint64_t>(b, mem + (kStackTop - kLoadBase), kEntry + 4);           // a return address
  put<uint64_t>(b, mem + (kStackTop + 0x10 - kLoadBase), 0);             // saved rbp: end of chain
  put<uint64_t>(b, mem + (kStackTop + 0x18 - kLoadBase), 0);
  std::memcpy(b.data() + mem + (kExecFn - kLoadBase), kProgram, std::strlen(kProgram) + 1);
  return core;
}

// For tests/e2e/bad_input_test.cpp: the bytes of the minimal core. Program
// headers at offset 64: [0] PT_NOTE, [1] PT_LOAD (Elf64_Phdr).
Bytes minimal_x86_64_core() { return build_core(default_notes()).bytes; }

}  // namespace triage_test

namespace {

using namespace triage_test;

std::string describe(const Result<ProcessSnapshot>& result) {
  if (result.ok()) {
    std::string text = "snapshot with " + std::to_string(result->threads.size()) + " threads";
    for (const auto& warning : result->warnings) text += "\n  warning: " + warning;
    return text;
  }
  return std::string("error ") + triage::to_string(result.error().kind) + ": " + result.error().message;
}

Result<ProcessSnapshot> load(const TempDir& dir, const std::string& name, const Bytes& bytes,
                             const CoreLimits& limits = {}) {
  return triage::load_elf_core(dir.write(name, bytes), limits);
}

// The result must be an error of one of `kinds` whose message names the file.
void require_error(const Result<ProcessSnapshot>& result, std::initializer_list<ErrorKind> kinds,
                   const std::string& file_name) {
  INFO(describe(result));
  REQUIRE_FALSE(result.ok());
  const triage::Error& error = result.error();
  CHECK(std::find(kinds.begin(), kinds.end(), error.kind) != kinds.end());
  CHECK_FALSE(error.message.empty());
  CHECK(error.message.find('\n') == std::string::npos);
  CHECK_THAT(error.message, Catch::Contains(file_name));
}

// Either outcome is fine, but an error must be well formed and a snapshot usable.
void require_sane(const Result<ProcessSnapshot>& result, const std::string& file_name) {
  INFO(describe(result));
  if (result.ok()) {
    REQUIRE_FALSE(result->threads.empty());
    REQUIRE(result->arch != nullptr);
    REQUIRE(result->memory != nullptr);
    for (const auto& thread : result->threads) CHECK(thread.registers.size() == result->arch->register_names.size());
  } else {
    CHECK_FALSE(result.error().message.empty());
    CHECK_THAT(result.error().message, Catch::Contains(file_name));
  }
}

bool has_warning(const ProcessSnapshot& snapshot, const std::string& text) {
  return std::any_of(snapshot.warnings.begin(), snapshot.warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

Elf64_Phdr phdr(const CoreImage& core, int index) {
  return get<Elf64_Phdr>(core.bytes, core.phdr_offset + index * sizeof(Elf64_Phdr));
}
void set_phdr(CoreImage& core, int index, const Elf64_Phdr& value) {
  put(core.bytes, core.phdr_offset + index * sizeof(Elf64_Phdr), value);
}

Elf64_Ehdr ehdr(const CoreImage& core) { return get<Elf64_Ehdr>(core.bytes, 0); }
void set_ehdr(CoreImage& core, const Elf64_Ehdr& value) { put(core.bytes, 0, value); }

}  // namespace

TEST_CASE("hostile: the generated minimal core loads", "[hostile]") {
  TempDir dir("triage-hostile");
  auto result = load(dir, "minimal.core", minimal_x86_64_core());
  INFO(describe(result));
  REQUIRE(result.ok());
  const ProcessSnapshot& s = *result;
  REQUIRE(s.arch != nullptr);
  CHECK(s.arch->name == "x86_64");
  REQUIRE(s.threads.size() == 1);
  CHECK(s.threads[0].tid == 4242);
  CHECK(s.threads[0].registers[s.arch->pc] == kEntry);
  CHECK(s.threads[0].registers[s.arch->sp] == kStackTop);
  CHECK(s.process.pid == 4242);
  CHECK(s.process.command_name == "hostile-prog");
  CHECK(s.process.arguments == "hostile-prog --crash");
  CHECK(s.signal.number == SIGSEGV);
  CHECK(s.signal.from_siginfo);
  REQUIRE(s.signal.fault_address.has_value());
  CHECK(*s.signal.fault_address == 0);
  REQUIRE(s.file_mappings.size() == 1);
  CHECK(s.file_mappings[0].path == kProgram);
  REQUIRE(s.regions.size() == 1);
  CHECK(s.regions[0].contents_present);
  CHECK(s.auxv_value(AT_ENTRY) == kEntry);
  CHECK(s.executable_path == kProgram);
  CHECK(s.memory->read_uint(kEntry, 2) == 0x008b);
  CHECK(s.memory->read_c_string(kExecFn) == std::string(kProgram));
  CHECK_FALSE(has_warning(s, "truncated"));
}

TEST_CASE("hostile: an empty file is not a core", "[hostile]") {
  TempDir dir("triage-hostile");
  require_error(load(dir, "empty.core", {}), {ErrorKind::kNotACore}, "empty.core");
}

TEST_CASE("hostile: random bytes are not a core", "[hostile]") {
  TempDir dir("triage-hostile");
  for (uint32_t seed : {1u, 2u, 3u, 42u, 1234u, 99991u}) {
    for (size_t size : {1u, 15u, 64u, 4096u, 65537u}) {
      INFO("seed " << seed << ", " << size << " bytes");
      require_error(load(dir, "random.core", random_bytes(seed, size)), {ErrorKind::kNotACore}, "random.core");
    }
  }
}

TEST_CASE("hostile: random bytes behind an ELF core header never crash", "[hostile]") {
  TempDir dir("triage-hostile");
  const Bytes header = minimal_x86_64_core();
  for (uint32_t seed = 100; seed < 164; ++seed) {
    INFO("seed " << seed);
    Bytes bytes = random_bytes(seed, 8192);
    // Keep the ident, type and machine; the rest of the header is random.
    std::copy(header.begin(), header.begin() + 20, bytes.begin());
    require_sane(load(dir, "elf-random.core", bytes), "elf-random.core");
  }
}

TEST_CASE("hostile: text and other files are not cores", "[hostile]") {
  TempDir dir("triage-hostile");
  std::string text = "this is a text file, not a core dump\n";
  require_error(load(dir, "text.core", Bytes(text.begin(), text.end())), {ErrorKind::kNotACore}, "text.core");
  Bytes magic_only = {0x7f, 'E', 'L', 'F'};
  require_error(load(dir, "magic.core", magic_only), {ErrorKind::kNotACore, ErrorKind::kMalformed}, "magic.core");
}

TEST_CASE("hostile: an ELF executable or shared object is not a core", "[hostile]") {
  TempDir dir("triage-hostile");
  for (uint16_t type : {uint16_t{ET_EXEC}, uint16_t{ET_DYN}, uint16_t{ET_REL}, uint16_t{0x1234}}) {
    INFO("e_type " << type);
    auto result = load(dir, "program", build_core(default_notes(), EM_X86_64, type).bytes);
    require_error(result, {ErrorKind::kNotACore}, "program");
    if (!result.ok()) CHECK_THAT(result.error().message, Catch::Contains("not a core"));
  }
  SECTION("a real executable") {
    auto result = triage::load_elf_core("/bin/true");
    require_error(result, {ErrorKind::kNotACore}, "/bin/true");
    if (!result.ok()) CHECK_THAT(result.error().message, Catch::Contains("not a core"));
  }
}

TEST_CASE("hostile: a core truncated in its headers or notes is an error", "[hostile]") {
  TempDir dir("triage-hostile");
  CoreImage core = build_core(default_notes());
  size_t notes_end = core.notes_offset + core.notes_size;
  size_t cases = 0;
  for (size_t cut = 0; cut < notes_end; cut += 7) {
    INFO("cut at " << cut << " of " << core.bytes.size());
    Bytes bytes(core.bytes.begin(), core.bytes.begin() + cut);
    auto result = load(dir, "cut.core", bytes);
    if (cut < core.note_desc_offsets[0] + 112 + 27 * 8) {
      // Before the first thread's registers are complete nothing is usable.
      require_error(result, {ErrorKind::kNotACore, ErrorKind::kMalformed}, "cut.core");
    } else {
      require_sane(result, "cut.core");
      if (result.ok()) CHECK(has_warning(*result, "truncated"));
    }
    ++cases;
  }
  CHECK(cases > 100);
}

TEST_CASE("hostile: a core truncated in its memory loads with a warning", "[hostile]") {
  TempDir dir("triage-hostile");
  CoreImage core = build_core(default_notes());
  size_t notes_end = core.notes_offset + core.notes_size;
  std::vector<size_t> cuts = {notes_end, core.load_offset, core.load_offset + 1,
                              core.load_offset + core.load_size / 2, core.bytes.size() - 1};
  for (size_t cut = notes_end + 501; cut < core.load_offset; cut += 997) cuts.push_back(cut);
  for (size_t cut : cuts) {
    INFO("cut at " << cut << " of " << core.bytes.size());
    auto result = load(dir, "cut.core", Bytes(core.bytes.begin(), core.bytes.begin() + cut));
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(has_warning(*result, "truncated"));
    CHECK(result->threads.size() == 1);
    // Memory past the cut reads as unreadable, memory before it as it was.
    uint64_t present = cut > core.load_offset ? cut - core.load_offset : 0;
    std::byte byte{};
    if (present < core.load_size) CHECK_FALSE(result->memory->read(kLoadBase + present, {&byte, 1}));
    if (present > 0) CHECK(result->memory->read(kLoadBase + present - 1, {&byte, 1}));
  }
}

TEST_CASE("hostile: e_phnum huge", "[hostile]") {
  TempDir dir("triage-hostile");
  for (uint16_t phnum : {uint16_t{0}, uint16_t{1000}, uint16_t{0xfffe}, uint16_t{PN_XNUM}}) {
    INFO("e_phnum " << phnum);
    CoreImage core = build_core(default_notes());
    Elf64_Ehdr h = ehdr(core);
    h.e_phnum = phnum;
    set_ehdr(core, h);
    require_error(load(dir, "phnum.core", core.bytes), {ErrorKind::kMalformed}, "phnum.core");
  }
  SECTION("PN_XNUM with a section header whose sh_info is huge") {
    CoreImage core = build_core(default_notes());
    Elf64_Ehdr h = ehdr(core);
    h.e_phnum = PN_XNUM;
    h.e_shoff = core.bytes.size();
    h.e_shentsize = sizeof(Elf64_Shdr);
    h.e_shnum = 1;
    set_ehdr(core, h);
    Elf64_Shdr section{};
    section.sh_info = 0xffffffff;
    put(core.bytes, core.bytes.size(), section);
    require_sane(load(dir, "xnum.core", core.bytes), "xnum.core");
  }
}

TEST_CASE("hostile: e_phoff past the end of the file", "[hostile]") {
  TempDir dir("triage-hostile");
  for (uint64_t phoff : {uint64_t{0x100000}, uint64_t{0xffffffffffffff00ull}, ~uint64_t{0}}) {
    INFO("e_phoff " << phoff);
    CoreImage core = build_core(default_notes());
    Elf64_Ehdr h = ehdr(core);
    h.e_phoff = phoff;
    set_ehdr(core, h);
    require_error(load(dir, "phoff.core", core.bytes), {ErrorKind::kMalformed}, "phoff.core");
  }
  SECTION("e_phentsize wrong") {
    for (uint16_t entsize : {uint16_t{0}, uint16_t{1}, uint16_t{32}, uint16_t{0xffff}}) {
      INFO("e_phentsize " << entsize);
      CoreImage core = build_core(default_notes());
      Elf64_Ehdr h = ehdr(core);
      h.e_phentsize = entsize;
      set_ehdr(core, h);
      require_sane(load(dir, "phentsize.core", core.bytes), "phentsize.core");
    }
  }
}

TEST_CASE("hostile: PT_NOTE offset or size overflowing", "[hostile]") {
  TempDir dir("triage-hostile");
  const uint64_t huge = 0xffffffffffffff00ull;
  for (int field = 0; field < 2; ++field) {
    CoreImage core = build_core(default_notes());
    Elf64_Phdr note = phdr(core, 0);
    (field == 0 ? note.p_offset : note.p_filesz) = huge;
    set_phdr(core, 0, note);
    INFO((field == 0 ? "p_offset" : "p_filesz") << " = " << huge);
    // Without notes there is no thread.
    require_error(load(dir, "note.core", core.bytes), {ErrorKind::kMalformed}, "note.core");
  }
  SECTION("both, summing to a small number") {
    CoreImage core = build_core(default_notes());
    Elf64_Phdr note = phdr(core, 0);
    note.p_offset = huge;
    note.p_filesz = 0x200;  // p_offset + p_filesz wraps to 0x100
    set_phdr(core, 0, note);
    require_error(load(dir, "wrap.core", core.bytes), {ErrorKind::kMalformed}, "wrap.core");
  }
}

TEST_CASE("hostile: PT_LOAD offset or size overflowing", "[hostile]") {
  TempDir dir("triage-hostile");
  const uint64_t huge = 0xffffffffffffff00ull;
  struct Mutation {
    const char* name;
    void (*apply)(Elf64_Phdr&, uint64_t);
  };
  const Mutation mutations[] = {
      {"p_offset", [](Elf64_Phdr& p, uint64_t v) { p.p_offset = v; }},
      {"p_filesz", [](Elf64_Phdr& p, uint64_t v) { p.p_filesz = v; }},
      {"p_memsz", [](Elf64_Phdr& p, uint64_t v) { p.p_memsz = v; }},
      {"p_vaddr", [](Elf64_Phdr& p, uint64_t v) { p.p_vaddr = v; }},
      {"p_filesz and p_memsz", [](Elf64_Phdr& p, uint64_t v) { p.p_filesz = p.p_memsz = v; }},
  };
  for (const Mutation& mutation : mutations) {
    INFO(mutation.name << " = " << huge);
    CoreImage core = build_core(default_notes());
    Elf64_Phdr load_header = phdr(core, 1);
    mutation.apply(load_header, huge);
    set_phdr(core, 1, load_header);
    auto result = load(dir, "load.core", core.bytes);
    INFO(describe(result));
    // The notes are intact: the core loads, its memory is what the file holds.
    REQUIRE(result.ok());
    std::byte probe[16];
    result->memory->read_up_to(kLoadBase, probe);
    result->memory->read_up_to(huge, probe);
    result->memory->read_up_to(~uint64_t{0} - 3, probe);
    // A segment that starts past the end of the file is a truncated core.
    if (std::string(mutation.name) == "p_offset") CHECK(has_warning(*result, "truncated"));
  }
}

TEST_CASE("hostile: notes with huge or misaligned sizes", "[hostile]") {
  TempDir dir("triage-hostile");
  for (size_t index : {0u, 2u, 4u}) {
    for (uint32_t namesz : {0xffffffffu, 0x7fffffffu, 0x10000u, 3u, 6u, 7u}) {
      INFO("note " << index << " n_namesz " << namesz);
      CoreImage core = build_core(default_notes());
      put<uint32_t>(core.bytes, core.note_header_offsets[index], namesz);
      auto result = load(dir, "namesz.core", core.bytes);
      if (index == 0 && namesz > 8) require_error(result, {ErrorKind::kMalformed}, "namesz.core");
      else require_sane(result, "namesz.core");
    }
    for (uint32_t descsz : {0xffffffffu, 0xfffffffcu, 0x7fffffffu, 0x10001u, 1u, 335u, 337u}) {
      INFO("note " << index << " n_descsz " << descsz);
      CoreImage core = build_core(default_notes());
      put<uint32_t>(core.bytes, core.note_header_offsets[index] + 4, descsz);
      auto result = load(dir, "descsz.core", core.bytes);
      if (index == 0 && (descsz > 0x10000 || descsz < 328)) require_error(result, {ErrorKind::kMalformed}, "descsz.core");
      else require_sane(result, "descsz.core");
    }
  }
}

TEST_CASE("hostile: NT_PRSTATUS too small", "[hostile]") {
  TempDir dir("triage-hostile");
  for (size_t size : {0u, 4u, 36u, 111u, 112u, 327u}) {
    INFO("NT_PRSTATUS of " << size << " bytes");
    auto notes = default_notes();
    notes[0].desc.resize(size);
    require_error(load(dir, "prstatus.core", build_core(notes).bytes), {ErrorKind::kMalformed}, "prstatus.core");
  }
  SECTION("registers complete, the rest cut") {
    auto notes = default_notes();
    notes[0].desc.resize(112 + 27 * 8);
    auto result = load(dir, "prstatus.core", build_core(notes).bytes);
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result->threads.size() == 1);
  }
}

TEST_CASE("hostile: other notes too small or garbage", "[hostile]") {
  TempDir dir("triage-hostile");
  for (size_t index = 1; index < default_notes().size(); ++index) {
    for (size_t size : {0u, 1u, 7u, 9u, 17u, 31u}) {
      INFO("note " << index << " cut to " << size << " bytes");
      auto notes = default_notes();
      notes[index].desc.resize(std::min(size, notes[index].desc.size()));
      auto result = load(dir, "small.core", build_core(notes).bytes);
      INFO(describe(result));
      REQUIRE(result.ok());
      CHECK(result->threads.size() == 1);
    }
    for (uint32_t seed = 0; seed < 8; ++seed) {
      INFO("note " << index << " random contents, seed " << seed);
      auto notes = default_notes();
      notes[index].desc = random_bytes(seed, notes[index].desc.size());
      require_sane(load(dir, "garbage.core", build_core(notes).bytes), "garbage.core");
    }
  }
}

TEST_CASE("hostile: NT_FILE with a huge count or missing names", "[hostile]") {
  TempDir dir("triage-hostile");
  auto with_file_note = [](Bytes desc) {
    auto notes = default_notes();
    notes[4].desc = std::move(desc);
    return build_core(notes).bytes;
  };
  Bytes good = file_note({{kLoadBase, kLoadBase + 0x1000, 0, "/a"}, {kLoadBase + 0x1000, kLoadBase + 0x3000, 1, "/b"}});

  // 2^60 and counts whose table size (or table size + names) overflows 64 bits.
  for (uint64_t count : {uint64_t{1} << 60, uint64_t{1} << 58, ~uint64_t{0}, uint64_t{0x0aaaaaaaaaaaaaaaull},
                         uint64_t{737869762948382065ull}, uint64_t{3}, uint64_t{100}}) {
    INFO("count " << count);
    Bytes desc = good;
    put<uint64_t>(desc, 0, count);
    auto result = load(dir, "nt_file.core", with_file_note(desc));
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result->file_mappings.size() <= 2);
    CHECK(has_warning(*result, "NT_FILE"));
  }
  SECTION("names missing") {
    Bytes desc(good.begin(), good.begin() + 16 + 2 * 24);
    auto result = load(dir, "nt_file.core", with_file_note(desc));
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result->file_mappings.empty());
    CHECK(has_warning(*result, "NT_FILE"));
  }
  SECTION("the last name without its NUL") {
    Bytes desc = good;
    desc.pop_back();
    auto result = load(dir, "nt_file.core", with_file_note(desc));
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result->file_mappings.size() <= 2);
  }
  SECTION("page size and offsets overflowing") {
    Bytes desc = good;
    put<uint64_t>(desc, 8, ~uint64_t{0});
    put<uint64_t>(desc, 16 + 2 * 8, ~uint64_t{0});
    auto result = load(dir, "nt_file.core", with_file_note(desc));
    INFO(describe(result));
    REQUIRE(result.ok());
  }
  SECTION("end before start") {
    auto result = load(dir, "nt_file.core", with_file_note(file_note({{0x5000, 0x1000, 0, "/x"}})));
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result->file_mappings.empty());
  }
}

TEST_CASE("hostile: NT_AUXV of an odd size", "[hostile]") {
  TempDir dir("triage-hostile");
  for (size_t size : {1u, 7u, 15u, 17u, 23u, 63u}) {
    INFO("NT_AUXV of " << size << " bytes");
    auto notes = default_notes();
    notes[3].desc = auxv({{AT_PAGESZ, 4096}, {AT_ENTRY, kEntry}, {31, kExecFn}, {AT_PHDR, 0x400040}});
    notes[3].desc.resize(size);
    auto result = load(dir, "auxv.core", build_core(notes).bytes);
    INFO(describe(result));
    REQUIRE(result.ok());
    CHECK(result->auxv.size() <= size / 16);
  }
  SECTION("without AT_NULL, AT_EXECFN pointing nowhere") {
    auto notes = default_notes();
    notes[3].desc = auxv({{31, 0xdeadbeef000}, {AT_ENTRY, 0xffffffffffffffff}});
    auto result = load(dir, "auxv.core", build_core(notes).bytes);
    INFO(describe(result));
    REQUIRE(result.ok());
  }
}

TEST_CASE("hostile: a core without threads", "[hostile]") {
  TempDir dir("triage-hostile");
  auto notes = default_notes();
  notes.erase(notes.begin());
  auto result = load(dir, "nothreads.core", build_core(notes).bytes);
  require_error(result, {ErrorKind::kMalformed}, "nothreads.core");
  SECTION("and without any note") {
    require_error(load(dir, "nonotes.core", build_core({}).bytes), {ErrorKind::kMalformed}, "nonotes.core");
  }
  SECTION("NT_PRSTATUS under another owner name") {
    auto other = default_notes();
    other[0].name = "LINUX";
    require_error(load(dir, "owner.core", build_core(other).bytes), {ErrorKind::kMalformed}, "owner.core");
  }
}

TEST_CASE("hostile: 100000 tiny notes", "[hostile]") {
  TempDir dir("triage-hostile");
  auto notes = default_notes();
  for (int i = 0; i < 100000; ++i) notes.push_back({static_cast<uint32_t>(0x1000 + i % 7), "CORE", Bytes(4, 0)});
  auto result = load(dir, "many.core", build_core(notes).bytes);
  INFO(describe(result));
  REQUIRE(result.ok());
  CHECK(result->threads.size() == 1);

  SECTION("empty notes without a name") {
    auto empty = default_notes();
    for (int i = 0; i < 100000; ++i) empty.push_back({0, "", {}});
    auto many = load(dir, "empty-notes.core", build_core(empty).bytes);
    INFO(describe(many));
    REQUIRE(many.ok());
  }
}

TEST_CASE("hostile: more threads than the limit", "[hostile]") {
  TempDir dir("triage-hostile");
  auto notes = default_notes();
  for (int i = 0; i < 300; ++i) notes.push_back({NT_PRSTATUS, "CORE", prstatus(5000 + i, 0, kEntry, kStackTop)});
  Bytes bytes = build_core(notes).bytes;
  CoreLimits limits;
  limits.max_threads = 100;
  require_error(load(dir, "threads.core", bytes, limits), {ErrorKind::kMalformed}, "threads.core");
  auto all = load(dir, "threads.core", bytes);
  INFO(describe(all));
  REQUIRE(all.ok());
  CHECK(all->threads.size() == 301);
  CHECK(all->threads.front().tid == 4242);

  SECTION("notes larger than the limit") {
    CoreLimits small;
    small.max_note_bytes = 4096;
    require_error(load(dir, "threads.core", bytes, small), {ErrorKind::kMalformed}, "threads.core");
  }
}

TEST_CASE("hostile: a big-endian core is unsupported", "[hostile]") {
  TempDir dir("triage-hostile");
  CoreImage core = build_core(default_notes());
  core.bytes[EI_DATA] = ELFDATA2MSB;
  // The header fields a big-endian reader looks at first, in its byte order.
  auto swap16 = [&](size_t offset) { std::swap(core.bytes[offset], core.bytes[offset + 1]); };
  swap16(offsetof(Elf64_Ehdr, e_type));
  swap16(offsetof(Elf64_Ehdr, e_machine));
  std::reverse(core.bytes.begin() + offsetof(Elf64_Ehdr, e_version),
               core.bytes.begin() + offsetof(Elf64_Ehdr, e_version) + 4);
  auto result = load(dir, "be.core", core.bytes);
  require_error(result, {ErrorKind::kUnsupported}, "be.core");
  if (!result.ok()) CHECK_THAT(result.error().message, Catch::Contains("big-endian"));

  SECTION("only the byte-order flag flipped") {
    CoreImage flipped = build_core(default_notes());
    flipped.bytes[EI_DATA] = ELFDATA2MSB;
    require_error(load(dir, "flipped.core", flipped.bytes), {ErrorKind::kUnsupported, ErrorKind::kNotACore},
                  "flipped.core");
  }
  SECTION("an invalid byte-order flag") {
    CoreImage invalid = build_core(default_notes());
    invalid.bytes[EI_DATA] = 7;
    require_error(load(dir, "data7.core", invalid.bytes),
                  {ErrorKind::kUnsupported, ErrorKind::kNotACore, ErrorKind::kMalformed}, "data7.core");
  }
}

TEST_CASE("hostile: an unsupported machine", "[hostile]") {
  TempDir dir("triage-hostile");
  for (uint16_t machine : {uint16_t{EM_PPC64}, uint16_t{EM_SPARCV9}, uint16_t{EM_S390}, uint16_t{0}, uint16_t{0xffff}}) {
    INFO("e_machine " << machine);
    auto result = load(dir, "machine.core", build_core(default_notes(), machine).bytes);
    require_error(result, {ErrorKind::kUnsupported}, "machine.core");
    if (!result.ok()) CHECK_THAT(result.error().message, Catch::Contains(std::to_string(machine)));
  }
}

TEST_CASE("hostile: a 32-bit class with a 64-bit machine", "[hostile]") {
  TempDir dir("triage-hostile");
  CoreImage core = build_core(default_notes());
  core.bytes[EI_CLASS] = ELFCLASS32;
  require_error(load(dir, "class32.core", core.bytes), {ErrorKind::kUnsupported}, "class32.core");
  SECTION("a 64-bit class with a 32-bit machine") {
    CoreImage i386 = build_core(default_notes(), EM_386);
    require_error(load(dir, "class64.core", i386.bytes), {ErrorKind::kUnsupported}, "class64.core");
  }
  SECTION("an invalid class") {
    CoreImage invalid = build_core(default_notes());
    invalid.bytes[EI_CLASS] = 9;
    require_error(load(dir, "class9.core", invalid.bytes),
                  {ErrorKind::kUnsupported, ErrorKind::kNotACore, ErrorKind::kMalformed}, "class9.core");
  }
}

TEST_CASE("hostile: a directory is an I/O error that says so", "[hostile]") {
  TempDir dir("triage-hostile");
  auto result = triage::load_elf_core(dir.path().string());
  require_error(result, {ErrorKind::kIo}, dir.path().string());
  if (!result.ok()) CHECK_THAT(result.error().message, Catch::Contains("directory"));
}

TEST_CASE("hostile: a FIFO or a device is an I/O error and never blocks", "[hostile]") {
  TempDir dir("triage-hostile");
  std::string fifo = (dir.path() / "a-fifo").string();
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // open(O_RDONLY) of a FIFO waits for a writer. If the reader blocks, this
  // thread plays the writer after half a second so the test ends, and the
  // test fails.
  std::atomic<bool> done = false, had_to_unblock = false;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (int i = 0; i < 200 && !done; ++i) {
      int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);  // ENXIO while no reader waits
      if (fd >= 0) {
        had_to_unblock = true;
        close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto result = triage::load_elf_core(fifo);
  done = true;
  writer.join();
  CHECK_FALSE(had_to_unblock);
  require_error(result, {ErrorKind::kIo, ErrorKind::kNotACore}, fifo);

  require_error(triage::load_elf_core("/dev/zero"), {ErrorKind::kIo}, "/dev/zero");
}

TEST_CASE("hostile: a missing file is not found", "[hostile]") {
  TempDir dir("triage-hostile");
  std::string missing = (dir.path() / "no-such.core").string();
  require_error(triage::load_elf_core(missing), {ErrorKind::kNotFound}, missing);
}

TEST_CASE("hostile: an unreadable file is an I/O error", "[hostile]") {
  if (geteuid() == 0) {
    SUCCEED("skipped: root reads files whatever their mode");
    return;
  }
  TempDir dir("triage-hostile");
  std::string file = dir.write("unreadable.core", minimal_x86_64_core());
  fs::permissions(file, fs::perms::none);
  require_error(triage::load_elf_core(file), {ErrorKind::kIo}, file);
}

TEST_CASE("hostile: DWARF expressions that overflow", "[hostile]") {
  using triage::unwind_detail::evaluate;
  using triage::unwind_detail::ExpressionContext;
  ExpressionContext context;
  context.read_register = [](unsigned) { return std::optional<uint64_t>(0); };
  const uint64_t min = 0x8000000000000000ull;
  const uint64_t minus_one = ~uint64_t{0};
  bool is_location = false;
  // Found by reading: INT64_MIN / -1 killed the process with SIGFPE, and
  // DW_OP_neg / DW_OP_abs of INT64_MIN were signed overflow.
  Dwarf_Op division[] = {{DW_OP_const8u, min, 0, 0}, {DW_OP_const1s, minus_one, 0, 9}, {DW_OP_div, 0, 0, 11}};
  CHECK(evaluate(division, context, &is_location) == min);
  Dwarf_Op negation[] = {{DW_OP_const8u, min, 0, 0}, {DW_OP_neg, 0, 0, 9}};
  CHECK(evaluate(negation, context, &is_location) == min);
  Dwarf_Op absolute[] = {{DW_OP_const8u, min, 0, 0}, {DW_OP_abs, 0, 0, 9}};
  CHECK(evaluate(absolute, context, &is_location) == min);
  Dwarf_Op by_zero[] = {{DW_OP_lit1, 0, 0, 0}, {DW_OP_lit0, 0, 0, 1}, {DW_OP_div, 0, 0, 2}};
  CHECK_FALSE(evaluate(by_zero, context, &is_location).has_value());
  Dwarf_Op mod_zero[] = {{DW_OP_lit1, 0, 0, 0}, {DW_OP_lit0, 0, 0, 1}, {DW_OP_mod, 0, 0, 2}};
  CHECK_FALSE(evaluate(mod_zero, context, &is_location).has_value());
  Dwarf_Op shifts[] = {{DW_OP_lit1, 0, 0, 0}, {DW_OP_const8u, minus_one, 0, 1}, {DW_OP_shl, 0, 0, 10},
                       {DW_OP_const8u, minus_one, 0, 11}, {DW_OP_shra, 0, 0, 20}};
  CHECK(evaluate(shifts, context, &is_location) == 0);
  Dwarf_Op pick_far[] = {{DW_OP_lit1, 0, 0, 0}, {DW_OP_pick, 200, 0, 1}};
  CHECK_FALSE(evaluate(pick_far, context, &is_location).has_value());
  Dwarf_Op endless[] = {{DW_OP_skip, static_cast<uint64_t>(-3), 0, 0}};  // jumps to itself
  CHECK_FALSE(evaluate(endless, context, &is_location).has_value());
}

TEST_CASE("hostile: cores that load are analysed without crashing", "[hostile]") {
  // The reader's output feeds modules, the unwinder, the disassembler and the
  // classifier: hostile registers, memory and images must not break them.
  auto rules = triage::load_rules(triage::default_rules_dir(), {});
  REQUIRE(rules.ok());
  triage::CoreAnalyzer analyzer(*rules, {});
  TempDir dir("triage-hostile");
  auto analyse = [&](const std::string& name, const Bytes& bytes) -> std::optional<triage::report::Report> {
    auto snapshot = load(dir, name, bytes);
    INFO(name << ": " << describe(snapshot));
    if (!snapshot.ok()) return std::nullopt;
    triage::report::Report report = analyzer.analyze(*snapshot, name);
    CHECK(report.threads.size() == snapshot->threads.size());
    CHECK_FALSE(triage::report::to_json_text(report).empty());
    CHECK_FALSE(triage::report::to_text(report).empty());
    return report;
  };

  SECTION("registers at the edges of memory and of the address space") {
    const uint64_t values[] = {0, 1, kLoadBase - 1, kLoadBase, kLoadBase + kLoadPages * 4096 - 1,
                               kLoadBase + kLoadPages * 4096 - 8, 0x7fffffffffffull, 0x800000000000ull,
                               ~uint64_t{0}, ~uint64_t{0} - 7};
    for (uint64_t pc : values) {
      for (uint64_t sp : values) {
        auto notes = default_notes();
        notes[0].desc = prstatus(4242, SIGSEGV, pc, sp, sp);
        analyse("edges.core", build_core(notes).bytes);
      }
    }
  }
  SECTION("random registers, stack and code") {
    for (uint32_t seed = 0; seed < 40; ++seed) {
      auto notes = default_notes();
      Bytes registers = random_bytes(seed, 27 * 8);
      std::copy(registers.begin(), registers.end(), notes[0].desc.begin() + 112);
      if (seed % 2) {  // keep pc and sp in memory so the stack is walked
        put<uint64_t>(notes[0].desc, 112 + 16 * 8, kEntry + seed);
        put<uint64_t>(notes[0].desc, 112 + 19 * 8, kStackTop - 8 * seed);
      }
      CoreImage core = build_core(notes);
      Bytes memory = random_bytes(seed + 1000, core.load_size);
      std::copy(memory.begin(), memory.end(), core.bytes.begin() + static_cast<std::ptrdiff_t>(core.load_offset));
      analyse("random.core", core.bytes);
    }
  }
  SECTION("a frame-pointer chain that loops") {
    CoreImage core = build_core(default_notes());
    size_t stack = core.load_offset + (kStackTop - kLoadBase);
    put<uint64_t>(core.bytes, stack + 0x10, kStackTop + 0x10);  // [rbp] = rbp
    put<uint64_t>(core.bytes, stack + 0x18, kEntry + 4);
    analyse("loop.core", core.bytes);
  }
  SECTION("a vDSO image with garbage in it") {
    // This process's own vDSO, copied into the core and damaged byte by byte:
    // the analyser hands an image found in the core to libdwfl.
    const uint64_t vdso_base = kLoadBase + 0x4000;
    auto* vdso = reinterpret_cast<const unsigned char*>(getauxval(AT_SYSINFO_EHDR));
    if (vdso == nullptr) {
      WARN("skipped: this process has no vDSO");
      return;
    }
    Bytes image(vdso, vdso + 0x2000);
    for (uint32_t seed = 0; seed < 24; ++seed) {
      auto notes = default_notes();
      notes[3].desc = auxv({{AT_PAGESZ, 4096}, {AT_ENTRY, kEntry}, {33 /* AT_SYSINFO_EHDR */, vdso_base}, {AT_NULL, 0}});
      put<uint64_t>(notes[0].desc, 112 + 16 * 8, vdso_base + 0x800 + seed * 16);  // pc in the vDSO
      CoreImage core = build_core(notes, EM_X86_64, ET_CORE, 6);
      Bytes damaged = image;
      std::mt19937 generator(seed);
      size_t changes = seed == 0 ? 0 : 1u << (seed % 8);
      if (seed > 1)
        for (size_t i = 0; i < changes; ++i) damaged[generator() % damaged.size()] = static_cast<unsigned char>(generator());
      if (seed == 1) {
        // Found by the fuzzer: an empty PT_NOTE in an in-core image made
        // read_elf_image() memcpy from a null pointer (UBSan: nonnull).
        auto image_header = get<Elf64_Ehdr>(damaged, 0);
        for (size_t i = 0; i < image_header.e_phnum; ++i) {
          size_t at = image_header.e_phoff + i * sizeof(Elf64_Phdr);
          if (at + sizeof(Elf64_Phdr) > damaged.size()) break;
          auto header = get<Elf64_Phdr>(damaged, at);
          if (header.p_type == PT_NOTE) header.p_filesz = 0;
          put(damaged, at, header);
        }
      }
      std::copy(damaged.begin(), damaged.end(),
                core.bytes.begin() + static_cast<std::ptrdiff_t>(core.load_offset + (vdso_base - kLoadBase)));
      auto report = analyse("vdso.core", core.bytes);
      if (seed == 0) {  // the intact image is used: the crashing frame is in it
        REQUIRE(report.has_value());
        REQUIRE_FALSE(report->threads.empty());
        REQUIRE_FALSE(report->threads[0].frames.empty());
        CHECK(report->threads[0].frames[0].module == "[vdso]");
      }
    }
  }
}

// Not a test: writes the generator's outputs as fuzzer seeds into
// $TRIAGE_SEED_DIR. Run with: triage_tests "[.hostile-seeds]".
TEST_CASE("hostile: write generator outputs as fuzz seeds", "[.hostile-seeds]") {
  const char* out = std::getenv("TRIAGE_SEED_DIR");
  REQUIRE(out != nullptr);
  auto save = [&](const std::string& name, const Bytes& bytes) {
    std::ofstream file(fs::path(out) / name, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  save("gen-minimal.core", minimal_x86_64_core());
  CoreImage core = build_core(default_notes());
  save("gen-truncated-memory.core", Bytes(core.bytes.begin(), core.bytes.begin() + core.load_offset + 100));
  auto notes = default_notes();
  notes.erase(notes.begin() + 2);  // no NT_SIGINFO
  save("gen-no-siginfo.core", build_core(notes).bytes);
  auto threads = default_notes();
  threads.push_back({NT_PRSTATUS, "CORE", prstatus(4243, 0, kEntry + 2, kStackTop)});
  threads.push_back({NT_PRSTATUS, "CORE", prstatus(4244, 0, 0, 0)});
  save("gen-threads.core", build_core(threads).bytes);
}

namespace {

// `bytes` compressed with zstd, as the online handler stores a core.
Bytes zstd_compressed(const TempDir& dir, const Bytes& bytes) {
  const int in = open(dir.write("plain", bytes).c_str(), O_RDONLY | O_CLOEXEC);
  const std::string packed = dir.file("packed.zst");
  const int out = open(packed.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE((in >= 0 && out >= 0));
  auto stored = triage::store_core(in, out, {});
  close(in);
  close(out);
  REQUIRE(stored.ok());
  std::ifstream file(packed, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(file), {});
}

}  // namespace

TEST_CASE("hostile: zstd-compressed cores are read as they are; bad ones are refused", "[hostile]") {
  TempDir dir("triage-hostile-zstd");
  SECTION("a compressed core gives the same snapshot as the plain one") {
    auto result = load(dir, "core.zst", zstd_compressed(dir, minimal_x86_64_core()));
    INFO(describe(result));
    REQUIRE(result.ok());
    REQUIRE(result->threads.size() == 1);
    CHECK(result->threads[0].registers[result->arch->pc] == kEntry);
    CHECK(result->process.command_name == "hostile-prog");
  }
  SECTION("corrupt zstd data") {
    Bytes packed = zstd_compressed(dir, minimal_x86_64_core());
    for (size_t i = 8; i < packed.size(); i += 7) packed[i] ^= 0x5a;
    require_error(load(dir, "corrupt.zst", packed), {ErrorKind::kMalformed}, "corrupt.zst");
  }
  SECTION("compressed data cut short") {
    Bytes packed = zstd_compressed(dir, minimal_x86_64_core());
    packed.resize(packed.size() / 2);
    require_error(load(dir, "cut.zst", packed), {ErrorKind::kMalformed}, "cut.zst");
  }
  SECTION("a small file that expands past the limit (a zip bomb of zeros)") {
    CoreLimits limits;
    limits.max_expanded_bytes = 1 << 20;
    Bytes zeros(4 << 20, 0);
    require_error(load(dir, "bomb.zst", zstd_compressed(dir, zeros), limits), {ErrorKind::kMalformed}, "bomb.zst");
  }
  SECTION("compressed, but not a core") {
    require_error(load(dir, "text.zst", zstd_compressed(dir, Bytes(5000, 'x'))), {ErrorKind::kNotACore}, "text.zst");
  }
}
