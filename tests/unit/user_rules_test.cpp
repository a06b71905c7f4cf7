// User clustering rules on hand-made stacks: merge rules make one bug of
// what they match, split rules divide a site by callers or by a frame, the
// depth bounds the signature and the callers, and every malformed rule is a
// kRules error naming the file and the entry. Also the matched frames of the
// similarity measure, which --explain shows.
#include <catch2/catch.hpp>

#include <cmath>

#include "triage/cluster/clustering.h"
#include "triage/cluster/similarity.h"
#include "triage/cluster/user_rules.h"

using namespace triage;
using nlohmann::json;

namespace {

CrashStack stack(const std::string& family, const std::string& site, std::vector<std::string> callers,
                 const std::string& class_name = "") {
  CrashStack s;
  s.type = "NOT_EXPLOITABLE";
  s.class_name = class_name.empty() ? family : class_name;
  s.family = family;
  s.crash_site = site;
  s.frames.push_back(site);
  for (const std::string& caller : callers) s.frames.push_back(caller + " x.c:1");
  s.callers = std::move(callers);
  return s;
}

ClusterRules compile(const json& clustering) {
  auto rules = ClusterRules::compile({{"mine.json", clustering}});
  INFO(clustering.dump());
  if (!rules) FAIL(rules.error().message);
  return std::move(*rules);
}

std::string compile_error(const json& clustering) {
  auto rules = ClusterRules::compile({{"mine.json", clustering}});
  INFO(clustering.dump());
  REQUIRE_FALSE(rules.ok());
  CHECK(rules.error().kind == ErrorKind::kRules);
  CHECK_THAT(rules.error().message, Catch::Contains("mine.json"));
  return rules.error().message;
}

int cluster_of(const ReportSet& set, const std::vector<Cluster>& clusters, const std::string& path) {
  for (const Cluster& cluster : clusters) {
    for (size_t index : cluster.crashes) {
      if (set.crashes()[index].report == path) return cluster.id;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("similarity detail: the matched frames add up to the measure", "[cluster][similarity]") {
  // [draw_text, parse, main] against [draw_hint, parse, main]: parse and main
  // match in place at positions 1 and 2.
  std::vector<uint32_t> a = {1, 2, 3};
  std::vector<uint32_t> b = {4, 2, 3};
  SimilarityDetail detail = stack_similarity_detail(a, b);
  CHECK(detail.similarity == stack_similarity(a, b));
  CHECK(detail.similarity == Approx(0.60).margin(0.005));
  REQUIRE(detail.matches.size() == 2);
  CHECK(detail.matches[0].i == 1);
  CHECK(detail.matches[0].j == 1);
  CHECK(detail.matches[0].weight == Approx(std::exp(-0.2)));
  CHECK(detail.matches[1].i == 2);
  CHECK(detail.matches[1].weight == Approx(std::exp(-0.4)));
  CHECK(detail.score / detail.perfect == Approx(detail.similarity));

  // A wrapper frame in one stack shifts the rest: the offset decay shows.
  SimilarityDetail shifted = stack_similarity_detail(std::vector<uint32_t>{1, 2, 3}, std::vector<uint32_t>{1, 9, 2, 3});
  REQUIRE(shifted.matches.size() == 3);
  CHECK(shifted.matches[1].i == 1);
  CHECK(shifted.matches[1].j == 2);
  CHECK(shifted.matches[1].weight == Approx(std::exp(-0.2 - 0.5)));
  CHECK(shifted.similarity == Approx(stack_similarity(std::vector<uint32_t>{1, 2, 3}, std::vector<uint32_t>{1, 9, 2, 3})));

  CHECK(stack_similarity_detail(a, std::vector<uint32_t>{7, 8}).matches.empty());
}

TEST_CASE("user rules: a merge rule makes one cluster of two sites and two families", "[cluster][rules]") {
  auto add_all = [](ReportSet& set) {
    set.add(stack("SourceAv", "read_palette p.c:10", {"load", "main"}), "palette");
    set.add(stack("SourceAv", "material_color m.c:20", {"shade", "render", "main"}), "material");
    set.add(stack("DestAv", "material_color m.c:20", {"paint", "main"}), "material-write");
    set.add(stack("SourceAv", "other o.c:1", {"main"}), "other");
    set.finish();
  };
  ReportSet plain;
  add_all(plain);
  CHECK(cluster_crashes(plain, {}).size() == 4);

  ClusterRules rules = compile({{"merge", {{{"name", "palette"},
                                            {"match", {{{"site", "^read_palette "}}, {{"site", "^material_color "}}}}}}}});
  ReportSet set(rules);
  add_all(set);
  auto clusters = cluster_crashes(set, {});
  CHECK(clusters.size() == 2);
  int merged = cluster_of(set, clusters, "palette");
  CHECK(cluster_of(set, clusters, "material") == merged);
  CHECK(cluster_of(set, clusters, "material-write") == merged);
  CHECK(cluster_of(set, clusters, "other") != merged);

  // Narrowed to one family, the write stays apart.
  ClusterRules reads = compile({{"merge", {{{"name", "palette reads"},
                                            {"match", {{{"site", "^read_palette "}},
                                                       {{"site", "^material_color "}, {"family", "^SourceAv$"}}}}}}}});
  ReportSet narrowed(reads);
  add_all(narrowed);
  auto three = cluster_crashes(narrowed, {});
  CHECK(three.size() == 3);
  CHECK(cluster_of(narrowed, three, "palette") == cluster_of(narrowed, three, "material"));
  CHECK(cluster_of(narrowed, three, "material-write") != cluster_of(narrowed, three, "material"));
}

TEST_CASE("user rules: split rules divide a site by callers or by a frame", "[cluster][rules]") {
  auto add_all = [](ReportSet& set) {
    set.add(stack("SourceAv", "text_width t.c:10", {"draw_text", "render", "main"}), "text");
    set.add(stack("SourceAv", "text_width t.c:10", {"draw_hint", "render", "main"}), "hint");
    set.add(stack("SourceAv", "text_width t.c:10", {"draw_text", "legacy_render", "render", "main"}), "legacy");
    set.add(stack("SourceAv", "elsewhere e.c:1", {"draw_text", "render", "main"}), "elsewhere");
    set.finish();
  };
  ReportSet plain;
  add_all(plain);
  auto together = cluster_crashes(plain, {});
  CHECK(together.size() == 2);

  ClusterRules by_caller = compile(
      {{"split", {{{"name", "caller"}, {"where", {{"site", "^text_width "}}}, {"by", {{"callers", 1}}}}}}});
  ReportSet callers(by_caller);
  add_all(callers);
  auto split = cluster_crashes(callers, {});
  CHECK(split.size() == 3);
  CHECK(cluster_of(callers, split, "text") == cluster_of(callers, split, "legacy"));  // same immediate caller
  CHECK(cluster_of(callers, split, "text") != cluster_of(callers, split, "hint"));

  ClusterRules by_frame = compile({{"split", {{{"name", "legacy path"},
                                               {"where", {{"site", "^text_width "}}},
                                               {"by", {{"function", "^legacy_"}}}}}}});
  ReportSet frames(by_frame);
  add_all(frames);
  auto parts = cluster_crashes(frames, {});
  CHECK(parts.size() == 3);
  CHECK(cluster_of(frames, parts, "text") == cluster_of(frames, parts, "hint"));
  CHECK(cluster_of(frames, parts, "text") != cluster_of(frames, parts, "legacy"));

  Grouping group = by_frame.group_of(stack("SourceAv", "text_width t.c:10", {"legacy_render"}));
  REQUIRE(group.splits.size() == 1);
  CHECK(group.splits[0].second == "with");
  CHECK(by_frame.group_of(stack("SourceAv", "other o.c:1", {"legacy_render"})).splits.empty());
}

TEST_CASE("user rules: the depth bounds the signature and the callers", "[cluster][rules]") {
  ClusterRules rules = compile({{"max_frames", 2}});
  REQUIRE(rules.max_frames() == 2u);
  CrashStack deep = stack("SourceAv", "f a.c:1", {"g", "h", "main"});
  rules.apply_depth(deep);
  CHECK(deep.frames == std::vector<std::string>{"f a.c:1", "g x.c:1"});
  CHECK(deep.callers == std::vector<std::string>{"g"});
  SimilarityParameters parameters;
  rules.apply_depth(parameters);
  CHECK(parameters.max_frames == 2);

  // Two stacks that differ below the depth are one signature.
  ReportSet set(rules);
  set.add(stack("SourceAv", "f a.c:1", {"g", "h", "main"}), "one");
  set.add(stack("SourceAv", "f a.c:1", {"g", "k", "main"}), "two");
  set.finish();
  CHECK(set.crashes().size() == 1);
  ReportSet plain;
  plain.add(stack("SourceAv", "f a.c:1", {"g", "h", "main"}), "one");
  plain.add(stack("SourceAv", "f a.c:1", {"g", "k", "main"}), "two");
  plain.finish();
  CHECK(plain.crashes().size() == 2);

  // The option wins over the files.
  rules.set_max_frames(3);
  CrashStack again = stack("SourceAv", "f a.c:1", {"g", "h", "main"});
  rules.apply_depth(again);
  CHECK(again.frames.size() == 3);
}

TEST_CASE("user rules: frame keys split into function and place", "[cluster][rules]") {
  CHECK(split_frame_key("text_width target.c:291") == std::pair<std::string, std::string>{"text_width", "target.c:291"});
  CHECK(split_frame_key("operator new libstdc++.so.6+0x1f0") ==
        std::pair<std::string, std::string>{"operator new", "libstdc++.so.6+0x1f0"});
  CHECK(split_frame_key("target+0x11a0") == std::pair<std::string, std::string>{"", "target+0x11a0"});
  CHECK(split_frame_key("operator delete") == std::pair<std::string, std::string>{"operator delete", ""});
}

TEST_CASE("user rules: malformed rules are errors naming the file and the entry", "[cluster][rules]") {
  CHECK_THAT(compile_error(json::array()), Catch::Contains("must be an object"));
  CHECK_THAT(compile_error({{"merges", json::array()}}), Catch::Contains("unknown key \"merges\""));
  CHECK_THAT(compile_error({{"max_frames", 0}}), Catch::Contains("max_frames"));
  CHECK_THAT(compile_error({{"max_frames", 65}}), Catch::Contains("from 1 to 64"));
  CHECK_THAT(compile_error({{"max_frames", "ten"}}), Catch::Contains("max_frames"));
  CHECK_THAT(compile_error({{"merge", {{{"match", {{{"site", "a"}}}}}}}}), Catch::Contains("needs a \"name\""));
  CHECK_THAT(compile_error({{"merge", {{{"name", "m"}, {"match", json::array()}}}}}), Catch::Contains("merge[0]"));
  CHECK_THAT(compile_error({{"merge", {{{"name", "m"}, {"match", {{{"site", "(unclosed"}}}}}}}}),
             Catch::Contains("merge[0].match[0].site") && Catch::Contains("invalid regular expression \"(unclosed\""));
  CHECK_THAT(compile_error({{"merge", {{{"name", "m"}, {"match", {{{"sight", "a"}}}}}}}}),
             Catch::Contains("unknown key \"sight\""));
  CHECK_THAT(compile_error({{"merge", {{{"name", "m"}, {"match", {json::object()}}}}}}),
             Catch::Contains("at least one of"));
  CHECK_THAT(compile_error({{"merge", {{{"name", "m"}, {"match", {{{"site", "a"}}}}},
                                       {{"name", "m"}, {"match", {{{"site", "b"}}}}}}}}),
             Catch::Contains("a second rule named \"m\""));
  CHECK_THAT(compile_error({{"split", {{{"name", "s"}, {"by", {{"callers", 1}}}}}}}), Catch::Contains("needs \"where\""));
  CHECK_THAT(compile_error({{"split", {{{"name", "s"}, {"where", {{"site", "a"}}}}}}}), Catch::Contains("split[0].by"));
  CHECK_THAT(compile_error({{"split", {{{"name", "s"}, {"where", {{"site", "a"}}}, {"by", {{"callers", 0}}}}}}}),
             Catch::Contains("callers"));
  CHECK_THAT(compile_error({{"split", {{{"name", "s"}, {"where", {{"site", "a"}}}, {"by", {{"site", "b"}}}}}}}),
             Catch::Contains("go in \"where\""));
  CHECK_THAT(compile_error({{"split", {{{"name", "s"}, {"where", {{"site", "a"}}}, {"by", {{"frame", "[z-a]"}}}}}}}),
             Catch::Contains("split[0].by.frame"));
  CHECK_THAT(compile_error({{"split", {{{"name", "s"}, {"where", {{"site", "a"}}}, {"by", {{"callers", 1}}},
                                        {"colour", "red"}}}}}),
             Catch::Contains("unknown key \"colour\""));
}
