// The class table and the rules loader: the shipped rules load and cover
// every built-in class, user files override and extend them, and every kind
// of bad rules file is an error that names the file and the entry.
#include <cstdlib>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "triage/analyze/rules.h"
#include "triage/classify/class_table.h"

using triage::ClassTable;
using triage::CrashClass;
using triage::ErrorKind;

namespace {

const std::string kRulesDir = TRIAGE_SOURCE_RULES_DIR;
const std::string kData = std::string(TRIAGE_TEST_DATA_DIR) + "/rules/";

nlohmann::json one_class(nlohmann::json entry) {
  return nlohmann::json{{"classes", nlohmann::json::array({std::move(entry)})}};
}

std::string add_error(const nlohmann::json& rules) {
  ClassTable table;
  auto result = table.add_json(rules, "user.json");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kRules);
  CHECK_THAT(result.error().message, Catch::Contains("user.json"));
  return result.error().message;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("the shipped rules load and hold every built-in class", "[rules]") {
  auto rules = triage::load_rules(kRulesDir, {});
  REQUIRE(rules.ok());
  const ClassTable& table = rules->classes;
  REQUIRE(table.validate().ok());

  CHECK(table.info(CrashClass::kSegFaultOnPc).type == "EXPLOITABLE");
  CHECK(table.info(CrashClass::kDestAvTainted).type == "EXPLOITABLE");
  CHECK(table.info(CrashClass::kSegFaultOnPcNearNull).type == "PROBABLY_EXPLOITABLE");
  CHECK(table.info(CrashClass::kHeapError).type == "PROBABLY_EXPLOITABLE");
  CHECK(table.info(CrashClass::kStackGuard).type == "PROBABLY_EXPLOITABLE");
  CHECK(table.info(CrashClass::kSourceAvNearNull).type == "NOT_EXPLOITABLE");
  CHECK(table.info(CrashClass::kBadSyscall).type == "NOT_EXPLOITABLE");
  CHECK(table.info(CrashClass::kUncaughtException).name == "UncaughtException");
  for (const auto& info : table.all()) {
    INFO(info.name);
    CHECK_FALSE(info.description.empty());
    CHECK_FALSE(info.explanation.empty());
  }

  // Sanitizer classes with CASR's types.
  REQUIRE(table.find("heap-buffer-overflow(write)") != nullptr);
  CHECK(table.find("heap-buffer-overflow(write)")->type == "EXPLOITABLE");
  CHECK(table.find("heap-buffer-overflow")->type == "PROBABLY_EXPLOITABLE");
  CHECK(table.find("heap-use-after-free(read)")->type == "NOT_EXPLOITABLE");
  CHECK(table.find("double-free")->type == "NOT_EXPLOITABLE");
  CHECK(table.find("negative-size-param")->type == "PROBABLY_EXPLOITABLE");
  CHECK(table.find("timeout") != nullptr);
  CHECK(table.find("no-such-class") == nullptr);
}

TEST_CASE("class names match the enum", "[rules]") {
  CHECK(triage::class_name(CrashClass::kSegFaultOnPc) == "SegFaultOnPc");
  CHECK(triage::class_name(CrashClass::kSourceAvNearNull) == "SourceAvNearNull");
  CHECK(triage::class_name(CrashClass::kFPE) == "FPE");
  CHECK(triage::class_name(CrashClass::kBadSyscall) == "BadSyscall");
  CHECK(triage::class_name(CrashClass::kUncaughtException) == "UncaughtException");
}

TEST_CASE("stack rules are data, in load order", "[rules]") {
  auto rules = triage::load_rules(kRulesDir, {});
  REQUIRE(rules.ok());
  const auto& guard = rules->classes.info(CrashClass::kStackGuard);
  CHECK(guard.stack_functions == std::vector<std::string>{"__stack_chk_fail", "__stack_chk_fail_local"});
  CHECK(guard.signals == std::vector<int>{6});
  const auto& fortify = rules->classes.info(CrashClass::kSafeFunctionCheck);
  CHECK(fortify.stack_functions ==
        std::vector<std::string>{"__fortify_fail", "__chk_fail", "__fortify_fail_abort"});
  const auto& heap = rules->classes.info(CrashClass::kHeapError);
  CHECK(heap.stack_functions == std::vector<std::string>{"malloc_printerr", "__malloc_assert"});

  const auto stack_rules = rules->classes.stack_rules();
  REQUIRE(stack_rules.size() == 3);
  CHECK(stack_rules[0]->name == "StackGuard");
  CHECK(stack_rules[1]->name == "SafeFunctionCheck");
  CHECK(stack_rules[2]->name == "HeapError");
}

TEST_CASE("a user rules file overrides and adds classes and filters", "[rules]") {
  auto rules = triage::load_rules(kRulesDir, {kData + "user_override.json", kData + "filters_only.json"});
  REQUIRE(rules.ok());
  const ClassTable& table = rules->classes;
  CHECK(table.info(CrashClass::kAbortSignal).type == "PROBABLY_EXPLOITABLE");
  CHECK_THAT(table.info(CrashClass::kAbortSignal).description, Catch::Contains("this project"));
  const auto* mine = table.find("MyProjectFatal");
  REQUIRE(mine != nullptr);
  CHECK(mine->stack_functions == std::vector<std::string>{"myproj::fatal"});
  // The override kept its place; the new class comes after the built-ins.
  const auto stack_rules = table.stack_rules();
  REQUIRE(stack_rules.size() == 4);
  CHECK(stack_rules.back()->name == "MyProjectFatal");
  CHECK(table.all().size() == triage::load_rules(kRulesDir, {})->classes.all().size() + 1);

  triage::Frame logging;
  logging.function = "myproj::log::write(char const*)";
  CHECK(rules->frame_filter.skips(logging));
  triage::Frame vendored;
  vendored.file = "/src/third_party/zlib/inflate.c";
  vendored.line = 10;
  CHECK(rules->frame_filter.skips(vendored));
  triage::Frame allocator;
  allocator.module = "/opt/app/lib/libmyalloc.so";
  CHECK(rules->frame_filter.skips(allocator));
  // Shipped filters still apply.
  triage::Frame raise;
  raise.function = "raise";
  CHECK(rules->frame_filter.skips(raise));
}

TEST_CASE("class entries are validated", "[rules]") {
  nlohmann::json good = {{"name", "X"}, {"type", "EXPLOITABLE"}, {"description", "d"},
                         {"explanation", "e"}};
  CHECK_THAT(add_error(nlohmann::json::array()), Catch::Contains("JSON object"));
  CHECK_THAT(add_error(nlohmann::json{{"functions", {"^a$"}}}), Catch::Contains("\"classes\""));
  CHECK_THAT(add_error(nlohmann::json{{"classes", "X"}}), Catch::Contains("\"classes\""));
  CHECK_THAT(add_error(nlohmann::json{{"classes", {1}}}),
             Catch::Contains("classes[0]") && Catch::Contains("not an object"));

  auto bad = good;
  bad["type"] = "SEVERE";
  CHECK_THAT(add_error(one_class(bad)),
             Catch::Contains("\"X\"") && Catch::Contains("SEVERE") && Catch::Contains("type"));
  bad = good;
  bad.erase("type");
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("type"));
  bad = good;
  bad["name"] = "";
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("name"));
  bad = good;
  bad["name"] = 5;
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("name"));
  bad = good;
  bad["description"] = {"not", "a", "string"};
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("description"));
  bad = good;
  bad["stack_functions"] = "abort";
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("stack_functions"));
  bad = good;
  bad["stack_functions"] = {"abort", 3};
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("stack_functions"));
  bad = good;
  bad["stack_functions"] = {"abort"};
  bad["signals"] = {"SIGABRT"};
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("signals"));
  bad["signals"] = {0};
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("signals"));
  bad = good;
  bad["signals"] = {6};
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("stack_functions"));
  bad = good;
  bad["stack_function"] = {"abort"};
  CHECK_THAT(add_error(one_class(bad)), Catch::Contains("unknown field \"stack_function\""));
  CHECK_THAT(add_error(nlohmann::json{{"classes", {good, good}}}),
             Catch::Contains("classes[1]") && Catch::Contains("repeats"));

  // A bad file changes nothing.
  ClassTable table;
  REQUIRE(table.add_json(one_class(good), "a.json").ok());
  auto second = good;
  second["name"] = "Y";
  auto broken = good;
  broken["type"] = "nope";
  REQUIRE_FALSE(table.add_json(nlohmann::json{{"classes", {second, broken}}}, "b.json").ok());
  CHECK(table.find("Y") == nullptr);
  CHECK(table.all().size() == 1);
}

TEST_CASE("validate names the missing built-in classes", "[rules]") {
  ClassTable empty;
  auto result = empty.validate();
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kRules);
  CHECK_THAT(result.error().message, Catch::Contains("SegFaultOnPc") && Catch::Contains("BadSyscall"));
  // An unvalidated table still answers info() with the class's name.
  CHECK(empty.info(CrashClass::kFPE).name == "FPE");

  auto loaded = triage::load_rules(kData + "missing_builtin", {});
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().kind == ErrorKind::kRules);
  CHECK_THAT(loaded.error().message, Catch::Contains("ReturnAv") && Catch::Contains("StackGuard"));
  CHECK_THAT(loaded.error().message, !Catch::Contains("SegFaultOnPc,"));
}

TEST_CASE("bad rules files are errors naming the file", "[rules]") {
  auto bad_type = triage::load_rules(kRulesDir, {kData + "bad_type.json"});
  REQUIRE_FALSE(bad_type.ok());
  CHECK(bad_type.error().kind == ErrorKind::kRules);
  CHECK_THAT(bad_type.error().message,
             Catch::Contains("bad_type.json") && Catch::Contains("Scary") && Catch::Contains("SEVERE"));

  auto bad_regex = triage::load_rules(kRulesDir, {kData + "bad_regex.json"});
  REQUIRE_FALSE(bad_regex.ok());
  CHECK(bad_regex.error().kind == ErrorKind::kRules);
  CHECK_THAT(bad_regex.error().message,
             Catch::Contains("bad_regex.json") && Catch::Contains("^broken(group"));

  auto not_json = triage::load_rules(kRulesDir, {kData + "not_json.json"});
  REQUIRE_FALSE(not_json.ok());
  CHECK(not_json.error().kind == ErrorKind::kRules);
  CHECK_THAT(not_json.error().message, Catch::Contains("not_json.json") && Catch::Contains("JSON"));

  auto unknown = triage::load_rules(kRulesDir, {kData + "unknown_key.json"});
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message, Catch::Contains("\"function\""));
}

TEST_CASE("missing rules are kNotFound and say what to pass", "[rules]") {
  auto no_dir = triage::load_rules("/nonexistent/rules", {});
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(no_dir.error().message,
             Catch::Contains("/nonexistent/rules") && Catch::Contains("--rules-dir"));

  // A folder without the files.
  auto no_files = triage::load_rules(std::string(TRIAGE_TEST_DATA_DIR) + "/report", {});
  REQUIRE_FALSE(no_files.ok());
  CHECK(no_files.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(no_files.error().message,
             Catch::Contains("classes.json") && Catch::Contains("--rules-dir"));

  auto no_user = triage::load_rules(kRulesDir, {kData + "no_such_file.json"});
  REQUIRE_FALSE(no_user.ok());
  CHECK(no_user.error().kind == ErrorKind::kNotFound);
  CHECK_THAT(no_user.error().message, Catch::Contains("no_such_file.json"));
}

TEST_CASE("default_rules_dir honours TRIAGE_RULES_DIR, else finds the rules", "[rules]") {
  {
    ScopedEnv env("TRIAGE_RULES_DIR", "/somewhere/rules");
    CHECK(triage::default_rules_dir() == "/somewhere/rules");
  }
  ScopedEnv env("TRIAGE_RULES_DIR", nullptr);
  const std::string dir = triage::default_rules_dir();
  CHECK_FALSE(dir.empty());
  CHECK(triage::load_rules(dir, {}).ok());
}

TEST_CASE("abort_messages must be valid regular expressions", "[rules]") {
  triage::ClassTable table;
  auto bad = table.add_json(nlohmann::json::parse(R"({"classes": [
    {"name": "Mine", "type": "NOT_EXPLOITABLE", "abort_messages": ["(unclosed"]}]})"), "user.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("user.json") != std::string::npos);
  CHECK(bad.error().message.find("abort_messages") != std::string::npos);
  auto good = table.add_json(nlohmann::json::parse(R"({"classes": [
    {"name": "Mine", "type": "NOT_EXPLOITABLE", "abort_messages": ["^my_check failed"], "signals": [6]}]})"),
                             "user.json");
  REQUIRE(good.ok());
  REQUIRE(table.find("Mine") != nullptr);
  CHECK(table.find("Mine")->abort_messages.at(0).search("my_check failed at x.c:3"));
}
