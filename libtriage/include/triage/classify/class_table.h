// Crash classes: a typed identity in code, and the table (name, type,
// description, explanation) loaded from rules/classes.json at run time.
// Users may override entries and add classes with stack rules of their own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/error.h"
#include "triage/util/pattern.h"

namespace triage {

enum class CrashClass {
  kSegFaultOnPc, kSegFaultOnPcNearNull,
  kReturnAv,
  kCallAv, kCallAvNearNull, kCallAvTainted,
  kBranchAv, kBranchAvNearNull, kBranchAvTainted,
  kDestAv, kDestAvNearNull, kDestAvTainted,
  kSourceAv, kSourceAvNearNull,
  kAccessViolation,  // a fault we could not attribute to an operand
  kBadInstruction,
  kStackOverflow,
  kStackGuard, kSafeFunctionCheck, kHeapError,
  kUncaughtException,
  kAbortSignal, kFPE, kTrapSignal, kBadSyscall,
};

// The CASR name of a built-in class ("SegFaultOnPc", ...).
std::string_view class_name(CrashClass crash_class);

struct ClassInfo {
  std::string name;
  std::string type;  // EXPLOITABLE, PROBABLY_EXPLOITABLE, NOT_EXPLOITABLE
  // Classes that differ only in what the faulting operand held (DestAv,
  // DestAvNearNull, DestAvTainted) share a family; clustering never mixes
  // families. Defaults to the name.
  std::string family;
  std::string description;
  std::string explanation;
  // A stack rule: the class applies when one of these functions (exact
  // names, after demangling and without parameters) is on the crashing
  // thread's stack, or the C library's abort message matches one of these
  // patterns (it names the failure when the library has no debug symbols),
  // for one of these signals (empty: any signal).
  std::vector<std::string> stack_functions;
  std::vector<Pattern> abort_messages;
  std::vector<int> signals;

  bool is_stack_rule() const { return !stack_functions.empty() || !abort_messages.empty(); }
};

class ClassTable {
 public:
  // Loads a table: {"classes": [ {name, type, family?, description,
  // explanation, stack_functions?, signals?}, ... ]}. Entries of a later call replace
  // those of the same name; every built-in class must be present once all
  // are loaded (validate()).
  Result<bool> add_json(const nlohmann::json& rules, const std::string& origin);
  Result<bool> validate() const;

  const ClassInfo& info(CrashClass crash_class) const;
  const ClassInfo* find(std::string_view name) const;
  // The family of a class name; a name not in the table is its own family.
  std::string family_of(std::string_view name) const;
  // Classes with stack rules (functions or abort messages), in load order
  // (built-ins first).
  std::vector<const ClassInfo*> stack_rules() const;
  const std::vector<ClassInfo>& all() const { return classes_; }

 private:
  std::vector<ClassInfo> classes_;
};

}  // namespace triage
