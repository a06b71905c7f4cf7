// Classification of synthetic crashes: hand-assembled x86-64 and i386
// instructions at pc in a fake memory, registers chosen so the operands'
// addresses are known, and a class table loaded from a JSON literal.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/classify/class_table.h"
#include "triage/classify/classifier.h"

namespace triage {
namespace {

// Sparse memory, byte by byte: later writes overwrite earlier ones; bytes
// never written are unreadable.
class FakeMemory final : public Memory {
 public:
  void put(uint64_t address, const std::vector<uint8_t>& bytes) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      Page& page = pages_[(address + i) / kPage];
      page.bytes[(address + i) % kPage] = bytes[i];
      page.valid.set((address + i) % kPage);
    }
  }
  void put_word(uint64_t address, uint64_t value, unsigned size) {
    std::vector<uint8_t> bytes(size);
    for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    put(address, bytes);
  }
  void put_string(uint64_t address, const std::string& text) {
    std::vector<uint8_t> bytes(text.begin(), text.end());
    bytes.push_back(0);
    put(address, bytes);
  }
  size_t read_up_to(uint64_t address, std::span<std::byte> out) const override {
    size_t done = 0;
    for (; done < out.size(); ++done) {
      const uint64_t at = address + done;
      auto page = pages_.find(at / kPage);
      if (page == pages_.end() || !page->second.valid.test(at % kPage)) break;
      out[done] = static_cast<std::byte>(page->second.bytes[at % kPage]);
    }
    return done;
  }

 private:
  static constexpr uint64_t kPage = 4096;
  struct Page {
    std::array<uint8_t, kPage> bytes{};
    std::bitset<kPage> valid;
  };
  std::map<uint64_t, Page> pages_;
};

// Every built-in class, and stack rules like those of rules/classes.json
// plus a user class without signals.
constexpr const char* kClassesJson = R"({
  "classes": [
    {"name": "SegFaultOnPc", "type": "EXPLOITABLE"},
    {"name": "SegFaultOnPcNearNull", "type": "PROBABLY_EXPLOITABLE"},
    {"name": "ReturnAv", "type": "EXPLOITABLE"},
    {"name": "CallAv", "type": "EXPLOITABLE"},
    {"name": "CallAvNearNull", "type": "PROBABLY_EXPLOITABLE"},
    {"name": "CallAvTainted", "type": "EXPLOITABLE"},
    {"name": "BranchAv", "type": "EXPLOITABLE"},
    {"name": "BranchAvNearNull", "type": "PROBABLY_EXPLOITABLE"},
    {"name": "BranchAvTainted", "type": "EXPLOITABLE"},
    {"name": "DestAv", "type": "EXPLOITABLE"},
    {"name": "DestAvNearNull", "type": "PROBABLY_EXPLOITABLE"},
    {"name": "DestAvTainted", "type": "EXPLOITABLE"},
    {"name": "SourceAv", "type": "NOT_EXPLOITABLE"},
    {"name": "SourceAvNearNull", "type": "NOT_EXPLOITABLE"},
    {"name": "AccessViolation", "type": "NOT_EXPLOITABLE"},
    {"name": "BadInstruction", "type": "PROBABLY_EXPLOITABLE"},
    {"name": "StackOverflow", "type": "NOT_EXPLOITABLE"},
    {"name": "StackGuard", "type": "PROBABLY_EXPLOITABLE",
     "stack_functions": ["__stack_chk_fail", "__stack_chk_fail_local"], "signals": [6]},
    {"name": "SafeFunctionCheck", "type": "PROBABLY_EXPLOITABLE",
     "stack_functions": ["__fortify_fail", "__chk_fail"], "signals": [6]},
    {"name": "HeapError", "type": "PROBABLY_EXPLOITABLE",
     "stack_functions": ["malloc_printerr", "__malloc_assert"],
     "abort_messages": ["^(free|malloc)\\(\\): ", "^double free or corruption"], "signals": [6]},
    {"name": "UncaughtException", "type": "NOT_EXPLOITABLE"},
    {"name": "AbortSignal", "type": "NOT_EXPLOITABLE"},
    {"name": "FPE", "type": "NOT_EXPLOITABLE"},
    {"name": "TrapSignal", "type": "NOT_EXPLOITABLE"},
    {"name": "BadSyscall", "type": "NOT_EXPLOITABLE"},
    {"name": "AssertionFailure", "type": "NOT_EXPLOITABLE",
     "stack_functions": ["my::assert_failed", "(anonymous namespace)::die"]}
  ]
})";

const ClassTable& test_classes() {
  static const ClassTable table = [] {
    ClassTable t;
    auto loaded = t.add_json(nlohmann::json::parse(kClassesJson), "classifier_test");
    REQUIRE(loaded.ok());
    REQUIRE(t.validate().ok());
    return t;
  }();
  return table;
}

constexpr uint64_t kPc = 0x401000;
constexpr uint64_t kHeap = 0x10000000;
constexpr uint64_t kStackLow = 0x7ffd0000;
constexpr uint64_t kStackHigh = 0x7fff0000;
constexpr uint64_t kSp = 0x7ffe0000;

constexpr int kSigSegv = 11, kSigBus = 7, kSigAbrt = 6, kSigIll = 4, kSigFpe = 8, kSigTrap = 5,
              kSigSys = 31, kSigKill = 9;

// A crashed process with code at kPc, a heap and a stack.
struct Crash {
  explicit Crash(Arch arch = Arch::kX86_64) {
    snapshot.arch = &arch_info(arch);
    ThreadSnapshot thread;
    thread.tid = 100;
    thread.registers.assign(snapshot.arch->register_names.size(), 0);
    snapshot.threads.push_back(thread);
    snapshot.regions = {
        {0x400000, 0x402000, true, false, true, false},
        {kHeap, kHeap + 0x100000, true, true, false, true},
        {kStackLow, kStackHigh, true, true, false, true},
    };
    reg(pc_name(), kPc);
    reg(sp_name(), kSp);
    reg(fp_name(), kSp + 0x100);
    memory.put(kSp - 0x1000, std::vector<uint8_t>(0x3000, 0));  // the stack around sp, zeroed
  }

  std::string_view pc_name() const { return snapshot.arch->register_names[snapshot.arch->pc]; }
  std::string_view sp_name() const { return snapshot.arch->register_names[snapshot.arch->sp]; }
  std::string_view fp_name() const { return snapshot.arch->register_names[snapshot.arch->fp]; }

  void reg(std::string_view name, uint64_t value) {
    auto index = snapshot.arch->register_index(name);
    REQUIRE(index.has_value());
    snapshot.threads.front().registers[static_cast<size_t>(*index)] = value;
  }
  void code(const std::vector<uint8_t>& bytes, uint64_t at = kPc) { memory.put(at, bytes); }
  void signal(int number, std::optional<uint64_t> address, int code = 1) {
    snapshot.signal.number = number;
    snapshot.signal.code = code;
    snapshot.signal.fault_address = address;
    snapshot.signal.from_siginfo = true;
    snapshot.threads.front().current_signal = number;
  }
  void signal_without_siginfo(int number) {
    snapshot.signal = {};
    snapshot.signal.number = number;
    snapshot.threads.front().current_signal = number;
  }
  void stack(std::initializer_list<const char*> functions) {
    frames.clear();
    for (const char* function : functions) {
      Frame frame;
      frame.function = function;
      frames.push_back(frame);
    }
  }
  Classification classify_it() const {
    ClassificationInput input{snapshot, memory, frames, abort_message};
    return classify(input, test_classes());
  }
  std::string run() const { return classify_it().class_name; }

  ProcessSnapshot snapshot;
  FakeMemory memory;
  std::vector<Frame> frames;
  std::string abort_message;
};

bool has_note(const Classification& c, const std::string& part) {
  return std::any_of(c.notes.begin(), c.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("a fault on pc is SegFaultOnPc, near null when pc is", "[classify]") {
  Crash crash;
  SECTION("unmapped pc") {
    crash.reg("rip", 0x414141414140);
    crash.signal(kSigSegv, 0x414141414140);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "SegFaultOnPc");
    CHECK(c.fault_address == uint64_t{0x414141414140});
    CHECK_FALSE(c.fault_address_derived);
  }
  SECTION("near null pc") {
    crash.reg("rip", 0x10);
    crash.signal(kSigSegv, 0x10);
    CHECK(crash.run() == "SegFaultOnPcNearNull");
  }
  SECTION("pc in readable but not executable memory") {
    crash.reg("rip", kHeap + 0x40);
    crash.code({0x90, 0x90}, kHeap + 0x40);
    crash.signal(kSigSegv, kHeap + 0x40);
    CHECK(crash.run() == "SegFaultOnPc");
  }
  SECTION("no siginfo: pc that is not code gives the fault address") {
    crash.reg("rip", 0x5000000000);
    crash.signal_without_siginfo(kSigSegv);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "SegFaultOnPc");
    CHECK(c.fault_address == uint64_t{0x5000000000});
    CHECK(c.fault_address_derived);
  }
}

TEST_CASE("stores and loads are DestAv and SourceAv by direction", "[classify]") {
  Crash crash;
  SECTION("DestAv") {
    crash.code({0x48, 0x89, 0x18});  // mov qword ptr [rax], rbx
    crash.reg("rax", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    CHECK(crash.run() == "DestAv");
  }
  SECTION("DestAvNearNull") {
    crash.code({0x48, 0x89, 0x58, 0x10});  // mov qword ptr [rax + 0x10], rbx
    crash.signal(kSigSegv, 0x10);
    CHECK(crash.run() == "DestAvNearNull");
  }
  SECTION("SourceAv") {
    crash.code({0x48, 0x8b, 0x03, 0xc3});  // mov rax, qword ptr [rbx]; ret
    crash.reg("rbx", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    CHECK(crash.run() == "SourceAv");
  }
  SECTION("SourceAvNearNull") {
    crash.code({0x48, 0x8b, 0x43, 0x08, 0xff, 0xd0});  // mov rax, [rbx + 8]; call rax
    crash.signal(kSigSegv, 8);
    CHECK(crash.run() == "SourceAvNearNull");  // near null: no taint check
  }
  SECTION("a read-modify-write operand is the destination") {
    crash.code({0x48, 0x01, 0x18});  // add qword ptr [rax], rbx
    crash.reg("rax", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    CHECK(crash.run() == "DestAv");
  }
  SECTION("movs: the operand that matches the fault decides") {
    crash.code({0x48, 0xa5});  // movsq qword ptr [rdi], qword ptr [rsi]
    crash.reg("rdi", kHeap);
    crash.reg("rsi", 0x600000000000);
    crash.signal(kSigSegv, 0x600000000000);
    CHECK(crash.run() == "SourceAv");
    crash.reg("rdi", 0x700000000000);
    crash.reg("rsi", kHeap);
    crash.signal(kSigSegv, 0x700000000000);
    CHECK(crash.run() == "DestAv");
  }
}

TEST_CASE("ret, indirect call and indirect jmp faults", "[classify]") {
  Crash crash;
  SECTION("ReturnAv") {
    crash.code({0xc3});
    crash.memory.put_word(kSp, 0x4242424242424242, 8);
    crash.signal(kSigSegv, 0, 0x80);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "ReturnAv");
    CHECK(c.fault_address == uint64_t{0x4242424242424242});
    CHECK(c.fault_address_derived);
  }
  SECTION("CallAv on the read of the pointer") {
    crash.code({0xff, 0x10});  // call qword ptr [rax]
    crash.reg("rax", 0x600000001000);
    crash.signal(kSigSegv, 0x600000001000);
    CHECK(crash.run() == "CallAv");
  }
  SECTION("CallAvNearNull") {
    crash.code({0xff, 0x50, 0x18});  // call qword ptr [rax + 0x18]
    crash.signal(kSigSegv, 0x18);
    CHECK(crash.run() == "CallAvNearNull");
  }
  SECTION("BranchAv") {
    crash.code({0xff, 0x60, 0x18});  // jmp qword ptr [rax + 0x18]
    crash.reg("rax", 0x600000000000);
    crash.signal(kSigSegv, 0x600000000018);
    CHECK(crash.run() == "BranchAv");
  }
  SECTION("BranchAvNearNull") {
    crash.code({0xff, 0x60, 0x18});
    crash.signal(kSigSegv, 0x18);
    CHECK(crash.run() == "BranchAvNearNull");
  }
  SECTION("call to a non-canonical register target") {
    crash.code({0xff, 0xd0});  // call rax
    crash.reg("rax", 0x4141414141414141);
    crash.signal(kSigSegv, 0, 0x80);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "CallAv");
    CHECK(c.fault_address == uint64_t{0x4141414141414141});
    CHECK(c.fault_address_derived);
  }
}

TEST_CASE("a loaded value that reaches a call, jump or store address is Tainted", "[classify]") {
  Crash crash;
  crash.reg("rbx", 0x500000000000);
  crash.signal(kSigSegv, 0x500000000000);
  SECTION("CallAvTainted through a copy and arithmetic") {
    // mov rax, [rbx]; mov rdx, rax; add rdx, 8; call rdx
    crash.code({0x48, 0x8b, 0x03, 0x48, 0x89, 0xc2, 0x48, 0x83, 0xc2, 0x08, 0xff, 0xd2});
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "CallAvTainted");
    CHECK(has_note(c, "call rdx"));
  }
  SECTION("CallAvTainted through a pointer chase") {
    // mov rax, [rbx]; mov rax, [rax + 0x10]; call qword ptr [rax + 8]
    crash.code({0x48, 0x8b, 0x03, 0x48, 0x8b, 0x40, 0x10, 0xff, 0x50, 0x08});
    CHECK(crash.run() == "CallAvTainted");
  }
  SECTION("BranchAvTainted") {
    crash.code({0x48, 0x8b, 0x03, 0xff, 0x60, 0x18});  // mov rax, [rbx]; jmp [rax + 0x18]
    CHECK(crash.run() == "BranchAvTainted");
  }
  SECTION("DestAvTainted") {
    crash.code({0x48, 0x8b, 0x03, 0x48, 0x89, 0x08});  // mov rax, [rbx]; mov [rax], rcx
    CHECK(crash.run() == "DestAvTainted");
  }
  SECTION("an overwrite clears the taint") {
    crash.code({0x48, 0x8b, 0x03, 0x31, 0xc0, 0xff, 0xd0});  // ...; xor eax, eax; call rax
    CHECK(crash.run() == "SourceAv");
    crash.code({0x48, 0x8b, 0x03, 0xb8, 1, 0, 0, 0, 0xff, 0xd0});  // ...; mov eax, 1; call rax
    CHECK(crash.run() == "SourceAv");
  }
  SECTION("the walk follows the fall-through of a null check") {
    // mov rax, [rbx]; test rax, rax; je +0x0d; push rbp; mov edi, esi; call rax
    crash.code({0x48, 0x8b, 0x03, 0x48, 0x85, 0xc0, 0x74, 0x0d, 0x55, 0x89, 0xf7, 0xff, 0xd0});
    CHECK(crash.run() == "CallAvTainted");
  }
  SECTION("the walk follows a direct jump") {
    // mov rax, [rbx]; jmp +2; (2 bytes skipped); mov [rax + 8], esi
    crash.code({0x48, 0x8b, 0x03, 0xeb, 0x02, 0xff, 0xff, 0x89, 0x70, 0x08});
    CHECK(crash.run() == "DestAvTainted");
  }
  SECTION("the walk stops at a direct call and at ret") {
    crash.code({0x48, 0x8b, 0x03, 0xe8, 0, 0, 0, 0, 0xff, 0xd0});  // ...; call next; call rax
    CHECK(crash.run() == "SourceAv");
    crash.code({0x48, 0x8b, 0x03, 0xc3, 0xff, 0xd0});  // ...; ret; call rax
    CHECK(crash.run() == "SourceAv");
  }
  SECTION("the walk is bounded") {
    std::vector<uint8_t> code = {0x48, 0x8b, 0x03};
    for (int i = 0; i < 20; ++i) code.push_back(0x90);  // nop x 20
    code.insert(code.end(), {0xff, 0xd0});
    crash.code(code);
    CHECK(crash.run() == "SourceAv");
    crash.code({0x48, 0x8b, 0x03, 0xeb, 0xfe});  // ...; jmp . (a loop)
    CHECK(crash.run() == "SourceAv");
  }
  SECTION("a store of the value (not through it) is not DestAvTainted") {
    crash.code({0x48, 0x8b, 0x03, 0x48, 0x89, 0x01, 0xc3});  // ...; mov [rcx], rax; ret
    CHECK(crash.run() == "SourceAv");
  }
}

TEST_CASE("SI_KERNEL with no address: the operand's non-canonical address decides", "[classify]") {
  Crash crash;
  crash.signal(kSigSegv, 0, 0x80);
  SECTION("load") {
    crash.code({0x48, 0x8b, 0x03, 0xc3});
    crash.reg("rbx", 0x4141414141414141);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "SourceAv");
    CHECK(c.fault_address == uint64_t{0x4141414141414141});
    CHECK(c.fault_address_derived);
    CHECK(has_note(c, "non-canonical"));
  }
  SECTION("store") {
    crash.code({0x48, 0x89, 0x18});
    crash.reg("rax", 0x8000000000000010);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "DestAv");
    CHECK(c.fault_address == uint64_t{0x8000000000000010});
  }
  SECTION("nothing to attribute") {
    crash.code({0xf4});  // hlt
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AccessViolation");
    CHECK_FALSE(c.fault_address.has_value());
  }
}

TEST_CASE("without siginfo the fault address is computed from the operands", "[classify]") {
  Crash crash;
  crash.signal_without_siginfo(kSigSegv);
  SECTION("near-null store") {
    crash.code({0x48, 0x89, 0x18});
    crash.reg("rax", 0x20);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "DestAvNearNull");
    CHECK(c.fault_address == uint64_t{0x20});
    CHECK(c.fault_address_derived);
    CHECK(has_note(c, "no siginfo"));
  }
  SECTION("fs-relative load") {
    crash.code({0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0});  // mov rax, qword ptr fs:[0x28]
    crash.reg("fs_base", 0x600000000000);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "SourceAv");
    CHECK(c.fault_address == uint64_t{0x600000000028});
  }
  SECTION("the operand the memory map forbids is the one that faulted") {
    crash.code({0x48, 0xa5});  // movsq [rdi], [rsi]
    crash.reg("rdi", 0x700000000000);
    crash.reg("rsi", kHeap);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "DestAv");
    CHECK(c.fault_address == uint64_t{0x700000000000});
  }
  SECTION("ret with a readable stack: the non-canonical return address") {
    crash.code({0xc3});
    crash.memory.put_word(kSp, 0x4141414141414141, 8);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "ReturnAv");
    CHECK(c.fault_address == uint64_t{0x4141414141414141});
    CHECK(c.fault_address_derived);
  }
  SECTION("push into the guard gap") {
    crash.code({0x50});
    crash.reg("rsp", kStackLow);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "StackOverflow");
    CHECK(c.fault_address == uint64_t{kStackLow - 8});
  }
}

TEST_CASE("faults in or just below the stack are StackOverflow whatever the instruction",
          "[classify]") {
  Crash crash;
  SECTION("a store to a local below the stack (not DestAv)") {
    crash.code({0x48, 0x89, 0x7d, 0xe8});  // mov qword ptr [rbp - 0x18], rdi
    crash.reg("rsp", kStackLow - 0x30);
    crash.reg("rbp", kStackLow + 0x10);
    crash.signal(kSigSegv, kStackLow - 8);
    CHECK(crash.run() == "StackOverflow");
  }
  SECTION("push") {
    crash.code({0x50});
    crash.reg("rsp", kStackLow);
    crash.signal(kSigSegv, kStackLow - 8);
    CHECK(crash.run() == "StackOverflow");
  }
  SECTION("a large frame: sub rsp then a store far below the stack") {
    crash.code({0x48, 0x89, 0x04, 0x24});  // mov qword ptr [rsp], rax
    crash.reg("rsp", kStackLow - 0x80000);
    crash.signal(kSigSegv, kStackLow - 0x80000);
    CHECK(crash.run() == "StackOverflow");
  }
  SECTION("call with sp in unmapped memory") {
    crash.code({0xe8, 0, 0, 0, 0});
    crash.reg("rsp", 0x300000000000);
    crash.signal(kSigSegv, 0x300000000000 - 8);
    CHECK(crash.run() == "StackOverflow");
  }
  SECTION("a thread stack's guard region (mapped without permissions)") {
    crash.snapshot.regions.push_back({0x7f0000000000, 0x7f0000001000, false, false, false, false});
    crash.snapshot.regions.push_back({0x7f0000001000, 0x7f0000801000, true, true, false, true});
    crash.code({0xe8, 0, 0, 0, 0});
    crash.reg("rsp", 0x7f0000001000);
    crash.signal(kSigSegv, 0x7f0000000ff8);
    CHECK(crash.run() == "StackOverflow");
  }
  SECTION("alloca larger than the stack limit: sp far below the stack mapping") {
    crash.code({0xc6, 0x00, 0x20});  // mov byte ptr [rax], 0x20
    const uint64_t sp = kStackLow - 0x840000;
    crash.reg("rsp", sp);
    crash.reg("rax", sp);
    crash.signal(kSigSegv, sp);
    CHECK(crash.run() == "StackOverflow");
    // The same store above sp, in the gap the stack would have grown into.
    crash.reg("rax", sp + 0x20000);
    crash.signal(kSigSegv, sp + 0x20000);
    CHECK(crash.run() == "StackOverflow");
  }
  SECTION("a store further below than the guard gap is DestAv") {
    crash.code({0x48, 0x89, 0x18});
    crash.reg("rax", kStackLow - 0x200000);
    crash.signal(kSigSegv, kStackLow - 0x200000);
    CHECK(crash.run() == "DestAv");
  }
}

TEST_CASE("SIGBUS is DestAv or SourceAv by the operand's direction", "[classify]") {
  Crash crash;
  crash.reg("rax", kHeap + 0x2000);
  crash.reg("rbx", kHeap + 0x2000);
  SECTION("write") {
    crash.code({0x48, 0x89, 0x18});
    crash.signal(kSigBus, kHeap + 0x2000, 2);
    CHECK(crash.run() == "DestAv");
  }
  SECTION("read") {
    crash.code({0x48, 0x8b, 0x03, 0xc3});
    crash.signal(kSigBus, kHeap + 0x2000, 2);
    CHECK(crash.run() == "SourceAv");
  }
  SECTION("read with an address that does not match the operand") {
    crash.code({0x48, 0x8b, 0x03, 0xc3});
    crash.signal(kSigBus, kHeap + 0x9000, 2);
    CHECK(crash.run() == "SourceAv");
  }
}

TEST_CASE("faults that cannot be attributed are AccessViolation with a note", "[classify]") {
  Crash crash;
  SECTION("undecodable instruction") {
    crash.code({0xff, 0xff});
    crash.signal(kSigSegv, 0x500000000000);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AccessViolation");
    CHECK(has_note(c, "does not decode"));
  }
  SECTION("code at pc that cannot be read is not a fault on pc") {
    crash.signal(kSigSegv, 0x500000000000);  // kPc is in r-x memory with no bytes
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AccessViolation");
    CHECK(has_note(c, "not readable"));
  }
  SECTION("no memory operand") {
    crash.code({0x90});
    crash.signal(kSigSegv, 0x500000000000);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AccessViolation");
    CHECK(has_note(c, "no memory operand"));
  }
  SECTION("no registers at all") {
    crash.snapshot.threads.clear();
    crash.signal(kSigSegv, 0x500000000000);
    CHECK(crash.run() == "AccessViolation");
  }
}

TEST_CASE("aarch64 crashes", "[classify][aarch64]") {
  Crash crash(Arch::kAarch64);
  SECTION("DestAv") {
    crash.code({0x22, 0x00, 0x00, 0xf9});  // str x2, [x1]
    crash.reg("x1", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    CHECK(crash.run() == "DestAv");
  }
  SECTION("SourceAvNearNull") {
    crash.code({0x01, 0x00, 0x40, 0xf9});  // ldr x1, [x0]
    crash.reg("x0", 8);
    crash.signal(kSigSegv, 8);
    CHECK(crash.run() == "SourceAvNearNull");
  }
  SECTION("the loaded value reaches a call or a store address") {
    crash.reg("x0", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    crash.code({0x01, 0x00, 0x40, 0xf9, 0xc0, 0x03, 0x5f, 0xd6});  // ldr x1, [x0]; ret
    CHECK(crash.run() == "SourceAv");
    crash.code({0x01, 0x00, 0x40, 0xf9, 0x20, 0x00, 0x3f, 0xd6});  // ...; blr x1
    CHECK(crash.run() == "CallAvTainted");
    crash.code({0x01, 0x00, 0x40, 0xf9, 0x22, 0x00, 0x00, 0xf9});  // ...; str x2, [x1]
    CHECK(crash.run() == "DestAvTainted");
  }
  SECTION("a tagged pointer faults at its untagged address (Top Byte Ignore)") {
    // The kernel reports si_addr without the tag: str x1, [x0] with x0 =
    // 0x4141414141414141 faults at 0x41414141414141.
    crash.code({0x01, 0x00, 0x00, 0xf9});  // str x1, [x0]
    crash.reg("x0", 0x4141414141414141);
    crash.signal(kSigSegv, 0x41414141414141);
    CHECK(crash.run() == "DestAv");
    crash.code({0x00, 0x00, 0x40, 0xf9});  // ldr x0, [x0]
    CHECK(crash.run() == "SourceAv");
    crash.reg("x0", 0x4100000000000010);  // a tag on a near-null pointer
    crash.signal(kSigSegv, 0x10);
    CHECK(crash.run() == "SourceAvNearNull");
    crash.code({0x01, 0x00, 0x00, 0xf9});
    crash.signal_without_siginfo(kSigSegv);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "DestAvNearNull");
    CHECK(c.fault_address == uint64_t{0x10});
  }
  SECTION("no siginfo: the fault address is the operand's") {
    crash.code({0x01, 0x00, 0x40, 0xf9});
    crash.reg("x0", 0x500000000000);
    crash.signal_without_siginfo(kSigSegv);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "SourceAv");
    CHECK(c.fault_address == uint64_t{0x500000000000});
    CHECK(c.fault_address_derived);
  }
}

TEST_CASE("arm crashes, in ARM and Thumb state", "[classify][arm]") {
  Crash crash(Arch::kArm);
  SECTION("DestAv") {
    crash.code({0x00, 0x20, 0xc3, 0xe5});  // strb r2, [r3]
    crash.reg("r3", 0x41414000);
    crash.signal(kSigSegv, 0x41414000);
    CHECK(crash.run() == "DestAv");
  }
  SECTION("CallAvTainted") {
    crash.code({0x00, 0x10, 0x90, 0xe5, 0x31, 0xff, 0x2f, 0xe1});  // ldr r1, [r0]; blx r1
    crash.reg("r0", 0x50000000);
    crash.signal(kSigSegv, 0x50000000);
    CHECK(crash.run() == "CallAvTainted");
  }
  SECTION("BranchAvNearNull through memory") {
    crash.code({0x04, 0xf0, 0x90, 0xe5});  // ldr pc, [r0, #4]
    crash.reg("r0", 8);
    crash.signal(kSigSegv, 12);
    CHECK(crash.run() == "BranchAvNearNull");
  }
  SECTION("Thumb when the CPSR T bit is set") {
    crash.reg("cpsr", 0x20);
    crash.code({0x1b, 0x68});  // ldr r3, [r3]
    crash.signal(kSigSegv, 0);
    CHECK(crash.run() == "SourceAvNearNull");
    crash.code({0x01, 0x68, 0x0a, 0x60});  // ldr r1, [r0]; str r2, [r1]
    crash.reg("r0", 0x50000000);
    crash.signal(kSigSegv, 0x50000000);
    CHECK(crash.run() == "DestAvTainted");
  }
}

TEST_CASE("riscv crashes", "[classify][riscv]") {
  Crash crash(Arch::kRiscv64);
  SECTION("DestAv") {
    crash.code({0x23, 0x80, 0xe7, 0x00});  // sb a4, 0(a5)
    crash.reg("a5", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    CHECK(crash.run() == "DestAv");
  }
  SECTION("the loaded value reaches a call or a store address") {
    crash.reg("a0", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    crash.code({0x0c, 0x61, 0x82, 0x95});  // ld a1, 0(a0); jalr a1
    CHECK(crash.run() == "CallAvTainted");
    crash.code({0x0c, 0x61, 0x90, 0xe1});  // ld a1, 0(a0); sd a2, 0(a1)
    CHECK(crash.run() == "DestAvTainted");
  }
  SECTION("jr 8(a1) without siginfo: the target is a1 + 8") {
    crash.code({0x67, 0x80, 0x85, 0x00});
    crash.signal_without_siginfo(kSigSegv);
    crash.reg("a1", 0x10);
    CHECK(crash.run() == "BranchAvNearNull");
    crash.reg("a1", 0xfff8);  // + 8 is 64 KiB: not near null
    CHECK(crash.run() == "BranchAv");
  }
  SECTION("rv32 SourceAvNearNull") {
    Crash rv32(Arch::kRiscv32);
    rv32.code({0xc8, 0x41});  // c.lw a0, 4(a1)
    rv32.reg("a1", 0x10);
    rv32.signal(kSigSegv, 0x14);
    CHECK(rv32.run() == "SourceAvNearNull");
  }
}

TEST_CASE("i386 crashes are classified with 32-bit registers", "[classify]") {
  Crash crash(Arch::kX86);
  SECTION("DestAvNearNull") {
    crash.code({0x89, 0x18});  // mov dword ptr [eax], ebx
    crash.reg("eax", 0x10);
    crash.signal(kSigSegv, 0x10);
    CHECK(crash.run() == "DestAvNearNull");
  }
  SECTION("CallAvTainted") {
    crash.code({0x8b, 0x03, 0xff, 0xd0});  // mov eax, dword ptr [ebx]; call eax
    crash.reg("ebx", 0x50000000);
    crash.signal(kSigSegv, 0x50000000);
    CHECK(crash.run() == "CallAvTainted");
  }
  SECTION("BranchAvNearNull") {
    crash.code({0xff, 0x60, 0x18});
    crash.signal(kSigSegv, 0x18);
    CHECK(crash.run() == "BranchAvNearNull");
  }
  SECTION("push below the stack") {
    crash.code({0x50});
    crash.reg("esp", kStackLow);
    crash.signal(kSigSegv, kStackLow - 4);
    CHECK(crash.run() == "StackOverflow");
  }
}

TEST_CASE("signals other than memory faults", "[classify]") {
  Crash crash;
  crash.code({0x0f, 0x0b});
  SECTION("SIGILL") {
    crash.signal(kSigIll, kPc, 2);
    CHECK(crash.run() == "BadInstruction");
  }
  SECTION("SIGFPE") {
    crash.signal(kSigFpe, kPc, 1);
    CHECK(crash.run() == "FPE");
  }
  SECTION("SIGTRAP") {
    crash.signal(kSigTrap, std::nullopt, 1);
    CHECK(crash.run() == "TrapSignal");
  }
  SECTION("SIGSYS") {
    crash.signal(kSigSys, std::nullopt, 1);
    CHECK(crash.run() == "BadSyscall");
  }
  SECTION("SIGABRT") {
    crash.signal(kSigAbrt, std::nullopt, -6);
    crash.stack({"raise", "abort", "main"});
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AbortSignal");
    CHECK(c.notes.empty());
  }
  SECTION("a signal that is not a fault") {
    crash.signal(kSigKill, std::nullopt, 0);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AbortSignal");
    CHECK(has_note(c, "SIGKILL"));
  }
}

TEST_CASE("stack rules of the class table", "[classify]") {
  Crash crash;
  SECTION("StackGuard on SIGABRT") {
    crash.signal(kSigAbrt, std::nullopt, -6);
    crash.stack({"raise", "abort", "__libc_message", "__stack_chk_fail", "vuln(char const*)", "main"});
    CHECK(crash.run() == "StackGuard");
  }
  SECTION("SafeFunctionCheck and HeapError") {
    crash.signal(kSigAbrt, std::nullopt, -6);
    crash.stack({"raise", "abort", "__fortify_fail", "__chk_fail", "__memcpy_chk", "main"});
    CHECK(crash.run() == "SafeFunctionCheck");
    crash.stack({"raise", "abort", "__libc_message", "malloc_printerr", "_int_free", "main"});
    CHECK(crash.run() == "HeapError");
  }
  SECTION("HeapError from glibc's abort message when libc has no symbols") {
    crash.signal(kSigAbrt, std::nullopt, -6);
    crash.stack({"", "", "", "", "main"});
    crash.abort_message = "free(): double free detected in tcache 2";
    CHECK(crash.run() == "HeapError");
    crash.abort_message = "double free or corruption (out)";
    CHECK(crash.run() == "HeapError");
    crash.abort_message = "prog: prog.c:7: main: Assertion `x' failed.";
    CHECK(crash.run() == "AbortSignal");
  }
  SECTION("a rule limited to SIGABRT does not apply to SIGSEGV") {
    crash.code({0x48, 0x89, 0x18});
    crash.reg("rax", 0x500000000000);
    crash.signal(kSigSegv, 0x500000000000);
    crash.stack({"__stack_chk_fail", "main"});
    CHECK(crash.run() == "DestAv");
  }
  SECTION("a user rule without signals applies to any signal, names without parameters") {
    crash.code({0x48, 0x89, 0x18});
    crash.signal(kSigSegv, 0);
    crash.stack({"inner", "my::assert_failed(char const*, int) const", "main"});
    CHECK(crash.run() == "AssertionFailure");
    crash.stack({"(anonymous namespace)::die(std::__cxx11::basic_string<char, std::char_traits<char>, "
                 "std::allocator<char> > const&) [clone .cold]"});
    CHECK(crash.run() == "AssertionFailure");
    crash.stack({"my::assert_failed_twice()"});
    CHECK(crash.run() == "DestAvNearNull");
  }
}

namespace {

// A libstdc++ exception in fake memory: the unwind header at `ue`, its
// __cxa_exception fields before it, the thrown object after it.
struct FakeException {
  unsigned word;
  uint64_t header_to_unwind;  // 80 on x86-64, 48 on i386
};

void put_type_info(FakeMemory& memory, unsigned word, uint64_t type_info, uint64_t name_address,
                   const std::string& name, std::optional<uint64_t> base = std::nullopt) {
  memory.put_word(type_info, 0x11110000, word);  // vtable pointer
  memory.put_word(type_info + word, name_address, word);
  if (base) memory.put_word(type_info + 2 * word, *base, word);
  memory.put_string(name_address, name);
}

void put_exception(FakeMemory& memory, const FakeException& layout, uint64_t ue,
                   uint64_t type_info, std::optional<uint64_t> message = std::nullopt) {
  memory.put_word(ue - layout.header_to_unwind, type_info, layout.word);  // exceptionType
  memory.put_word(ue, 0x474e5543432b2b00ull, 8);                         // "GNUCC++\0"
  const uint64_t object = ue + 32;
  memory.put_word(object, 0x22220000, layout.word);  // the object's vtable pointer
  if (message) memory.put_word(object + layout.word, *message, layout.word);
}

}  // namespace

TEST_CASE("an uncaught C++ exception is read from memory", "[classify]") {
  Crash crash;
  crash.signal(kSigAbrt, std::nullopt, -6);
  crash.stack({"__pthread_kill_implementation", "raise", "abort", "", "", "std::terminate()",
               "__cxa_throw", "f(int)", "main"});
  const FakeException x64{8, 80};
  const uint64_t ue = kHeap + 0x150;
  const uint64_t runtime_error_ti = kHeap + 0x2000;
  put_type_info(crash.memory, 8, runtime_error_ti, kHeap + 0x2100, "St13runtime_error");
  crash.memory.put_string(kHeap + 0x4018, "something bad happened");

  SECTION("std::runtime_error with its message") {
    put_exception(crash.memory, x64, ue, runtime_error_ti, kHeap + 0x4018);
    crash.memory.put_word(kSp + 0x48, ue, 8);  // a frame's pointer to the unwind header
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "UncaughtException");
    CHECK(c.short_description == "std::runtime_error");
    CHECK(has_note(c, "what(): something bad happened"));
  }
  SECTION("a class derived from runtime_error, found through a pointer to the object") {
    const uint64_t my_error_ti = kHeap + 0x2200;
    put_type_info(crash.memory, 8, my_error_ti, kHeap + 0x2300, "N2my7MyErrorE", runtime_error_ti);
    put_exception(crash.memory, x64, ue, my_error_ti, kHeap + 0x4018);
    crash.memory.put_word(kSp + 0x100, ue + 32, 8);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "UncaughtException");
    CHECK(c.short_description == "my::MyError");
    CHECK(has_note(c, "what(): something bad happened"));
  }
  SECTION("a thrown int has no message") {
    const uint64_t int_ti = kHeap + 0x2400;
    put_type_info(crash.memory, 8, int_ti, kHeap + 0x2500, "i");
    put_exception(crash.memory, x64, ue, int_ti, kHeap + 0x4018);
    crash.memory.put_word(kSp + 0x8, ue, 8);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "UncaughtException");
    CHECK(c.short_description == "int");
    CHECK_FALSE(has_note(c, "what()"));
  }
  SECTION("a dependent exception (std::rethrow_exception) leads to the primary one") {
    put_exception(crash.memory, x64, ue, runtime_error_ti, kHeap + 0x4018);
    const uint64_t dependent = kHeap + 0x800;
    crash.memory.put_word(dependent - 80, ue + 32, 8);             // primaryException
    crash.memory.put_word(dependent, 0x474e5543432b2b01ull, 8);  // "GNUCC++\x01"
    crash.memory.put_word(kSp + 0x10, dependent, 8);
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "UncaughtException");
    CHECK(c.short_description == "std::runtime_error");
  }
  SECTION("terminate after a throw with no object found") {
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "UncaughtException");
    CHECK(c.short_description.empty());
    CHECK(has_note(c, "not found"));
  }
  SECTION("std::terminate without any exception") {
    crash.stack({"raise", "abort", "std::terminate()", "__cxa_pure_virtual", "main"});
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AbortSignal");
    CHECK_FALSE(c.notes.empty());
  }
  SECTION("no terminate on the stack: a plain abort even with an exception in memory") {
    put_exception(crash.memory, x64, ue, runtime_error_ti, kHeap + 0x4018);
    crash.memory.put_word(kSp + 0x48, ue, 8);
    crash.stack({"raise", "abort", "main"});
    CHECK(crash.run() == "AbortSignal");
  }
}

TEST_CASE("an uncaught C++ exception on i386 uses the 32-bit layout", "[classify]") {
  Crash crash(Arch::kX86);
  crash.signal(kSigAbrt, std::nullopt, -6);
  crash.stack({"raise", "abort", "__gnu_cxx::__verbose_terminate_handler()", "main"});
  const uint64_t ue = kHeap + 0x130;  // 16-byte aligned unwind header
  put_type_info(crash.memory, 4, kHeap + 0x2000, kHeap + 0x2100, "St12out_of_range",
                kHeap + 0x2200);
  put_type_info(crash.memory, 4, kHeap + 0x2200, kHeap + 0x2300, "St11logic_error");
  crash.memory.put_string(kHeap + 0x400c, "vector::_M_range_check");
  put_exception(crash.memory, FakeException{4, 48}, ue, kHeap + 0x2000, kHeap + 0x400c);
  crash.memory.put_word(kSp + 0x24, ue, 4);
  const Classification c = crash.classify_it();
  CHECK(c.class_name == "UncaughtException");
  CHECK(c.short_description == "std::out_of_range");
  CHECK(has_note(c, "what(): vector::_M_range_check"));
}

TEST_CASE("an uncaught exception in a memory excerpt of a real x86-64 core", "[classify]") {
  std::ifstream file(std::string(TRIAGE_TEST_DATA_DIR) + "/classify/uncaught_myerror_x86_64.json");
  REQUIRE(file.good());
  const nlohmann::json data = nlohmann::json::parse(file);
  const auto number = [](const nlohmann::json& text) {
    return std::stoull(text.get<std::string>(), nullptr, 16);
  };

  Crash crash;
  crash.signal(data["signal"].get<int>(), std::nullopt, -6);
  crash.reg("rsp", number(data["sp"]));
  crash.reg("rip", number(data["pc"]));
  crash.snapshot.regions.push_back(
      {number(data["stack_region"][0]), number(data["stack_region"][1]), true, true, false, true});
  for (const auto& chunk : data["chunks"]) {
    const std::string hex = chunk["hex"].get<std::string>();
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      bytes.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    crash.memory.put(number(chunk["address"]), bytes);
  }
  crash.frames.clear();
  for (const auto& function : data["frames"]) {
    Frame frame;
    frame.function = function.get<std::string>();
    crash.frames.push_back(frame);
  }
  const Classification c = crash.classify_it();
  CHECK(c.class_name == data["expected"]["class"].get<std::string>());
  CHECK(c.short_description == data["expected"]["short_description"].get<std::string>());
  CHECK(has_note(c, data["expected"]["note"].get<std::string>()));
}

TEST_CASE("odd input never throws", "[classify]") {
  Crash crash;
  SECTION("registers shorter than the architecture's") {
    crash.snapshot.threads.front().registers.resize(3);
    crash.signal(kSigSegv, 0x1000);
    CHECK(crash.run() == "AccessViolation");
  }
  SECTION("no architecture") {
    crash.snapshot.arch = nullptr;
    crash.signal(kSigSegv, 0x1000);
    CHECK_NOTHROW(crash.run());
    crash.signal(kSigAbrt, std::nullopt);
    crash.stack({"std::terminate()"});
    CHECK_NOTHROW(crash.run());
  }
  SECTION("no signal") {
    crash.snapshot.signal = {};
    const Classification c = crash.classify_it();
    CHECK(c.class_name == "AbortSignal");
    CHECK_FALSE(c.notes.empty());
  }
  SECTION("pc at the top of the address space") {
    crash.snapshot.regions.push_back({0xfffffffffffff000, 0xffffffffffffffff, true, false, true, true});
    crash.reg("rip", 0xfffffffffffffffe);
    crash.code({0x48, 0x8b}, 0xfffffffffffffffe);
    crash.signal(kSigSegv, 0x500000000000);
    CHECK_NOTHROW(crash.run());
  }
}

}  // namespace triage
