// Stack similarity and clustering on hand-made crash stacks: what merges
// (the same site through other callers), what never does (another site,
// another family), --join's numbering, and the silhouette.
#include <catch2/catch.hpp>

#include <cmath>

#include "triage/cluster/clustering.h"

using namespace triage;

namespace {

CrashStack stack(const std::string& family, const std::string& site, std::vector<std::string> callers,
                 const std::string& type = "NOT_EXPLOITABLE") {
  CrashStack s;
  s.type = type;
  s.class_name = family;
  s.family = family;
  s.crash_site = site;
  s.frames.push_back(site);
  for (const std::string& caller : callers) s.frames.push_back(caller + " x.c:1");
  s.callers = std::move(callers);
  return s;
}

// The cluster holding the crash whose representative is `path`.
int cluster_of(const ReportSet& set, const std::vector<Cluster>& clusters, const std::string& path) {
  for (const Cluster& cluster : clusters) {
    for (size_t index : cluster.crashes) {
      if (set.crashes()[index].report == path) return cluster.id;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("similarity: the position dependent model", "[cluster][similarity]") {
  std::vector<uint32_t> a = {1, 2, 3, 4};
  CHECK(stack_similarity(a, a) == Approx(1.0));
  CHECK(stack_similarity(a, std::vector<uint32_t>{5, 6, 7, 8}) == 0.0);
  CHECK(stack_similarity(a, std::vector<uint32_t>{}) == 1.0);
  // A prefix is a perfect match of the shorter stack.
  CHECK(stack_similarity(a, std::vector<uint32_t>{1, 2}) == Approx(1.0));
  // Differences near the crash cost more than deep ones.
  double near = stack_similarity(a, std::vector<uint32_t>{9, 2, 3, 4});
  double deep = stack_similarity(a, std::vector<uint32_t>{1, 2, 3, 9});
  CHECK(near < deep);
  // An extra wrapper frame shifts the rest: they still match, for less.
  double shifted = stack_similarity(a, std::vector<uint32_t>{1, 7, 2, 3, 4});
  CHECK(shifted < 1.0);
  CHECK(shifted > 0.6);
  // Symmetric.
  std::vector<uint32_t> b = {3, 1, 4, 1, 5};
  CHECK(stack_similarity(a, b) == Approx(stack_similarity(b, a)));
  // The formula: one match at position 1 of two-frame stacks.
  double expected = std::exp(-0.2) / (1 + std::exp(-0.2));
  CHECK(stack_similarity(std::vector<uint32_t>{1, 2}, std::vector<uint32_t>{3, 2}) == Approx(expected));
}

TEST_CASE("clustering: a site reached through other callers is one cluster; other sites and families never mix",
          "[cluster]") {
  ReportSet set;
  set.add(stack("SourceAv", "width t.c:10", {"draw_text", "render", "main"}), "a1");
  set.add(stack("SourceAv", "width t.c:10", {"draw_text", "render", "main"}), "a2");  // duplicate
  set.add(stack("SourceAv", "width t.c:10", {"draw_hint", "render", "main"}), "a3");
  set.add(stack("SourceAv", "width t.c:10", {"draw_button", "render", "main"}), "a4");
  // Same function, another line: another bug.
  set.add(stack("SourceAv", "width t.c:12", {"draw_text", "render", "main"}), "b1");
  // Same line, another family (a write): another bug.
  set.add(stack("DestAv", "width t.c:10", {"draw_text", "render", "main"}), "c1");
  // Same site, but nothing in common below it: a shared helper used by two
  // unrelated paths stays two clusters.
  set.add(stack("SourceAv", "width t.c:10", {"load_font", "init_fonts", "startup", "boot"}), "d1");
  set.finish();
  REQUIRE(set.crashes().size() == 6);
  REQUIRE(set.report_count() == 7);

  std::vector<Cluster> clusters = cluster_crashes(set, {});
  CHECK(clusters.size() == 4);
  int a = cluster_of(set, clusters, "a1");
  CHECK(cluster_of(set, clusters, "a3") == a);
  CHECK(cluster_of(set, clusters, "a4") == a);
  CHECK(cluster_of(set, clusters, "b1") != a);
  CHECK(cluster_of(set, clusters, "c1") != a);
  CHECK(cluster_of(set, clusters, "d1") != a);
  // The biggest cluster of the most severe type comes first.
  CHECK(a == 1);
  CHECK(clusters[0].report_count(set) == 4);

  // Threshold 0: anything at one site joins.
  ClusterParameters loose;
  loose.threshold = 0.0;
  CHECK(cluster_crashes(set, loose).size() == 3);
}

TEST_CASE("clustering: numbering is by severity, then size, and does not depend on input order", "[cluster]") {
  auto build = [](bool reversed) {
    std::vector<std::pair<CrashStack, std::string>> items = {
        {stack("FPE", "div a.c:1", {"main"}), "f1"},
        {stack("FPE", "div a.c:1", {"main"}), "f2"},
        {stack("FPE", "div a.c:1", {"main"}), "f3"},
        {stack("DestAv", "put b.c:2", {"main"}, "EXPLOITABLE"), "w1"},
        {stack("SourceAv", "get c.c:3", {"main"}, "PROBABLY_EXPLOITABLE"), "r1"},
        {stack("SourceAv", "get c.c:3", {"other", "main"}, "PROBABLY_EXPLOITABLE"), "r2"},
    };
    if (reversed) std::reverse(items.begin(), items.end());
    ReportSet set;
    for (auto& [s, path] : items) set.add(s, path);
    set.finish();
    auto clusters = cluster_crashes(set, {});
    std::vector<std::string> order;
    for (const Cluster& c : clusters) order.push_back(set.crashes()[c.crashes.front()].report);
    return order;
  };
  std::vector<std::string> forward = build(false);
  CHECK(forward == std::vector<std::string>{"w1", "r1", "f1"});
  CHECK(build(true) == forward);
}

TEST_CASE("clustering --join: earlier clusters keep ids and leaders, new ones come after", "[cluster]") {
  ReportSet set;
  // An earlier output: cluster 4 (a site), cluster 9 (another).
  size_t old_a = set.add_representative(stack("SourceAv", "s x.c:1", {"f", "main"}), "old/cl4/a.casrep");
  size_t old_b = set.add_representative(stack("FPE", "d y.c:2", {"main"}), "old/cl9/b.casrep");
  std::vector<Cluster> earlier(2);
  earlier[0].id = 4;
  earlier[0].is_new = false;
  earlier[0].crashes = {old_a};
  earlier[0].carried_members = {"run1/a.casrep", "run1/a2.casrep"};
  earlier[1].id = 9;
  earlier[1].is_new = false;
  earlier[1].crashes = {old_b};
  set.add(stack("SourceAv", "s x.c:1", {"f", "main"}), "run2/dup.casrep");     // a duplicate of cl4's
  set.add(stack("SourceAv", "s x.c:1", {"g", "f", "main"}), "run2/via-g.casrep");  // joins cl4
  set.add(stack("SourceAv", "t x.c:7", {"f", "main"}), "run2/new.casrep");      // a new site
  set.finish();
  auto clusters = cluster_crashes(set, {}, earlier);
  REQUIRE(clusters.size() == 3);
  CHECK(clusters[0].id == 4);
  CHECK(clusters[0].crashes.front() == old_a);
  CHECK(clusters[0].crashes.size() == 2);
  CHECK(clusters[0].report_count(set) == 4);  // 2 carried + the duplicate + via-g
  CHECK(clusters[1].id == 9);
  CHECK(clusters[2].id == 10);
  CHECK(clusters[2].is_new);
  CHECK(set.crashes()[clusters[2].crashes.front()].report == "run2/new.casrep");
}

TEST_CASE("silhouette: high for well separated bugs, lower when one cluster mixes them", "[cluster]") {
  ReportSet set;
  for (int i = 0; i < 5; ++i) set.add(stack("SourceAv", "a x.c:1", {"f", "main"}), "a" + std::to_string(i));
  for (int i = 0; i < 5; ++i) set.add(stack("DestAv", "b x.c:2", {"g", "main"}), "b" + std::to_string(i));
  set.finish();
  auto clusters = cluster_crashes(set, {});
  REQUIRE(clusters.size() == 2);
  double good = silhouette(set, clusters, {});
  CHECK(good == Approx(1.0));
  // The same crashes forced into one cluster: nothing to compare with -> 0.
  std::vector<Cluster> one(1);
  one[0].crashes = {0, 1};
  CHECK(silhouette(set, one, {}) == 0.0);
}
