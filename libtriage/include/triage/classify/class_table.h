// Crash classes: a typed identity in code, and the table (name, type,
// description, explanation) loaded from rules/classes.json at run time.
// Users may override entries and add classes with stack rules of their own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/error.h"

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
  std::string description;
  std::string explanation;
  // A stack rule: the class applies when one of these functions (exact
  // names, after demangling and without parameters) is on the crashing
  // thread's stack, for one of these signals (empty: any signal).
  std::vector<std::string> stack_functions;
  std::vector<int> signals;
};

class ClassTable {
 public:
  // Loads a table: {"classes": [ {name, type, description, explanation,
  // stack_functions?, signals?}, ... ]}. Entries of a later call replace
  // those of the same name; every built-in class must be present once all
  // are loaded (validate()).
  Result<bool> add_json(const nlohmann::json& rules, const std::string& origin);
  Result<bool> validate() const;

  const ClassInfo& info(CrashClass crash_class) const;
  const ClassInfo* find(std::string_view name) const;
  // Classes with stack rules, in load order (built-ins first).
  std::vector<const ClassInfo*> stack_rules() const;
  const std::vector<ClassInfo>& all() const { return classes_; }

 private:
  std::vector<ClassInfo> classes_;
};

}  // namespace triage
