// The class table: built-in classes are an enum in code; their names, types
// and texts, and any class a user adds, come from rules files. Every entry is
// checked before any of a file is taken, so a bad file changes nothing.
#include "triage/classify/class_table.h"

#include <array>
#include <set>
#include <string>
#include <utility>

namespace triage {
namespace {

constexpr std::array kBuiltinClasses = {
    CrashClass::kSegFaultOnPc,      CrashClass::kSegFaultOnPcNearNull,
    CrashClass::kReturnAv,          CrashClass::kCallAv,
    CrashClass::kCallAvNearNull,    CrashClass::kCallAvTainted,
    CrashClass::kBranchAv,          CrashClass::kBranchAvNearNull,
    CrashClass::kBranchAvTainted,   CrashClass::kDestAv,
    CrashClass::kDestAvNearNull,    CrashClass::kDestAvTainted,
    CrashClass::kSourceAv,          CrashClass::kSourceAvNearNull,
    CrashClass::kAccessViolation,   CrashClass::kBadInstruction,
    CrashClass::kStackOverflow,     CrashClass::kStackGuard,
    CrashClass::kSafeFunctionCheck, CrashClass::kHeapError,
    CrashClass::kUncaughtException, CrashClass::kAbortSignal,
    CrashClass::kFPE,               CrashClass::kTrapSignal,
    CrashClass::kBadSyscall,
};

static_assert(kBuiltinClasses.size() == static_cast<size_t>(CrashClass::kBadSyscall) + 1,
              "every CrashClass must be listed in kBuiltinClasses");

constexpr std::array<std::string_view, 3> kTypes = {"EXPLOITABLE", "PROBABLY_EXPLOITABLE",
                                                    "NOT_EXPLOITABLE"};

constexpr std::array<std::string_view, 8> kEntryFields = {
    "name",           "type",           "family",  "description", "explanation",
    "stack_functions", "abort_messages", "signals"};

bool is_type(std::string_view type) {
  for (std::string_view known : kTypes) {
    if (type == known) return true;
  }
  return false;
}

bool is_entry_field(std::string_view field) {
  for (std::string_view known : kEntryFields) {
    if (field == known) return true;
  }
  return false;
}

// Checks one entry of "classes" and builds its ClassInfo; on error, returns
// why (without the origin, which the caller adds).
std::string parse_entry(const nlohmann::json& entry, ClassInfo& info) {
  if (!entry.is_object()) return "is not an object";
  for (const auto& item : entry.items()) {
    if (!is_entry_field(item.key())) {
      return "has an unknown field \"" + item.key() +
             "\" (known: name, type, family, description, explanation, stack_functions, abort_messages, signals)";
    }
  }
  auto name = entry.find("name");
  if (name == entry.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return "needs a non-empty string \"name\"";
  }
  info.name = name->get<std::string>();
  auto type = entry.find("type");
  if (type == entry.end() || !type->is_string() ||
      !is_type(type->get_ref<const std::string&>())) {
    std::string got = type == entry.end() ? std::string("nothing") : type->dump();
    return "needs a \"type\" of EXPLOITABLE, PROBABLY_EXPLOITABLE or NOT_EXPLOITABLE, got " + got;
  }
  info.type = type->get<std::string>();
  info.family = info.name;
  for (auto [field, out] : {std::pair{"family", &info.family}, std::pair{"description", &info.description},
                            std::pair{"explanation", &info.explanation}}) {
    auto text = entry.find(field);
    if (text == entry.end()) continue;
    if (!text->is_string()) return std::string("field \"") + field + "\" must be a string";
    *out = text->get<std::string>();
  }
  if (info.family.empty()) return "field \"family\" must not be empty";
  if (auto functions = entry.find("stack_functions"); functions != entry.end()) {
    if (!functions->is_array()) return "field \"stack_functions\" must be an array of strings";
    for (const auto& function : *functions) {
      if (!function.is_string() || function.get_ref<const std::string&>().empty()) {
        return "field \"stack_functions\" must hold non-empty strings, got " + function.dump();
      }
      info.stack_functions.push_back(function.get<std::string>());
    }
  }
  if (auto messages = entry.find("abort_messages"); messages != entry.end()) {
    if (!messages->is_array()) return "field \"abort_messages\" must be an array of regular expressions";
    for (const auto& message : *messages) {
      if (!message.is_string() || message.get_ref<const std::string&>().empty()) {
        return "field \"abort_messages\" must hold non-empty strings, got " + message.dump();
      }
      std::string why;
      auto pattern = Pattern::compile(message.get<std::string>(), &why);
      if (!pattern) return "field \"abort_messages\": invalid regular expression " + message.dump() + ": " + why;
      info.abort_messages.push_back(std::move(*pattern));
    }
  }
  if (auto signals = entry.find("signals"); signals != entry.end()) {
    if (!signals->is_array()) return "field \"signals\" must be an array of signal numbers";
    for (const auto& signal : *signals) {
      if (!signal.is_number_integer() || signal.get<int64_t>() < 1 ||
          signal.get<int64_t>() > 64) {
        return "field \"signals\" must hold signal numbers from 1 to 64, got " + signal.dump();
      }
      info.signals.push_back(static_cast<int>(signal.get<int64_t>()));
    }
  }
  if (!info.signals.empty() && !info.is_stack_rule()) {
    return "has \"signals\" but no \"stack_functions\" or \"abort_messages\": signals only narrow a stack rule";
  }
  return {};
}

}  // namespace

std::string_view class_name(CrashClass crash_class) {
  switch (crash_class) {
    case CrashClass::kSegFaultOnPc: return "SegFaultOnPc";
    case CrashClass::kSegFaultOnPcNearNull: return "SegFaultOnPcNearNull";
    case CrashClass::kReturnAv: return "ReturnAv";
    case CrashClass::kCallAv: return "CallAv";
    case CrashClass::kCallAvNearNull: return "CallAvNearNull";
    case CrashClass::kCallAvTainted: return "CallAvTainted";
    case CrashClass::kBranchAv: return "BranchAv";
    case CrashClass::kBranchAvNearNull: return "BranchAvNearNull";
    case CrashClass::kBranchAvTainted: return "BranchAvTainted";
    case CrashClass::kDestAv: return "DestAv";
    case CrashClass::kDestAvNearNull: return "DestAvNearNull";
    case CrashClass::kDestAvTainted: return "DestAvTainted";
    case CrashClass::kSourceAv: return "SourceAv";
    case CrashClass::kSourceAvNearNull: return "SourceAvNearNull";
    case CrashClass::kAccessViolation: return "AccessViolation";
    case CrashClass::kBadInstruction: return "BadInstruction";
    case CrashClass::kStackOverflow: return "StackOverflow";
    case CrashClass::kStackGuard: return "StackGuard";
    case CrashClass::kSafeFunctionCheck: return "SafeFunctionCheck";
    case CrashClass::kHeapError: return "HeapError";
    case CrashClass::kUncaughtException: return "UncaughtException";
    case CrashClass::kAbortSignal: return "AbortSignal";
    case CrashClass::kFPE: return "FPE";
    case CrashClass::kTrapSignal: return "TrapSignal";
    case CrashClass::kBadSyscall: return "BadSyscall";
  }
  return "Unknown";
}

Result<bool> ClassTable::add_json(const nlohmann::json& rules, const std::string& origin) {
  if (!rules.is_object()) {
    return make_error(ErrorKind::kRules, origin + ": a rules file must be a JSON object");
  }
  auto classes = rules.find("classes");
  if (classes == rules.end() || !classes->is_array()) {
    return make_error(ErrorKind::kRules, origin + ": needs a \"classes\" array");
  }
  std::vector<ClassInfo> parsed;
  parsed.reserve(classes->size());
  std::set<std::string> names;
  for (size_t i = 0; i < classes->size(); ++i) {
    const nlohmann::json& entry = (*classes)[i];
    ClassInfo info;
    std::string problem = parse_entry(entry, info);
    if (problem.empty() && !names.insert(info.name).second) {
      problem = "repeats a name given earlier in the same file";
    }
    if (!problem.empty()) {
      std::string which = "classes[" + std::to_string(i) + "]";
      if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
        which += " (\"" + entry["name"].get<std::string>() + "\")";
      }
      return make_error(ErrorKind::kRules, origin + ": " + which + " " + problem);
    }
    parsed.push_back(std::move(info));
  }
  for (ClassInfo& info : parsed) {
    bool replaced = false;
    for (ClassInfo& existing : classes_) {
      if (existing.name == info.name) {
        existing = std::move(info);
        replaced = true;
        break;
      }
    }
    if (!replaced) classes_.push_back(std::move(info));
  }
  return true;
}

Result<bool> ClassTable::validate() const {
  std::string missing;
  for (CrashClass crash_class : kBuiltinClasses) {
    if (find(class_name(crash_class)) == nullptr) {
      if (!missing.empty()) missing += ", ";
      missing += class_name(crash_class);
    }
  }
  if (!missing.empty()) {
    return make_error(ErrorKind::kRules,
                      "the class table lacks built-in classes: " + missing +
                          " (rules/classes.json must define every one)");
  }
  return true;
}

const ClassInfo& ClassTable::info(CrashClass crash_class) const {
  if (const ClassInfo* found = find(class_name(crash_class))) return *found;
  // Only reachable with a table that was not validated: a placeholder that
  // at least carries the name.
  static const std::array<ClassInfo, kBuiltinClasses.size()> placeholders = [] {
    std::array<ClassInfo, kBuiltinClasses.size()> result;
    for (size_t i = 0; i < kBuiltinClasses.size(); ++i) {
      result[i].name = std::string(class_name(kBuiltinClasses[i]));
      result[i].type = "NOT_EXPLOITABLE";
      result[i].description = "(not in the class table)";
    }
    return result;
  }();
  for (size_t i = 0; i < kBuiltinClasses.size(); ++i) {
    if (kBuiltinClasses[i] == crash_class) return placeholders[i];
  }
  return placeholders[0];
}

const ClassInfo* ClassTable::find(std::string_view name) const {
  for (const ClassInfo& info : classes_) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string ClassTable::family_of(std::string_view name) const {
  const ClassInfo* info = find(name);
  return info ? info->family : std::string(name);
}

std::vector<const ClassInfo*> ClassTable::stack_rules() const {
  std::vector<const ClassInfo*> rules;
  for (const ClassInfo& info : classes_) {
    if (info.is_stack_rule()) rules.push_back(&info);
  }
  return rules;
}

}  // namespace triage
