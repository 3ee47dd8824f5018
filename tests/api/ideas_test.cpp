// Ideas through the real binary: momentum that decays as supports age out of
// the 7 days (by the platform clock), listings with keyset pages, withdrawn
// supports, merging, discussion and its moderation, following by choice.
#include "support/cocreation.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace schwarm::test;
using namespace schwarm::test::cocreation;

namespace {

std::vector<std::string> ids_of(const json::object& page) {
    std::vector<std::string> out;
    for (const auto& item : page.at("items").as_array()) out.push_back(text_of(item.at("id")));
    return out;
}

// Every id of a listing, page by page with `limit`, following next_cursor.
std::vector<std::string> all_pages(platform& p, const std::string& query, int limit) {
    std::vector<std::string> out;
    std::string cursor;
    for (int pages = 0; pages < 50; ++pages) {
        auto page = ok(call(p, "GET", "/v1/ideas?" + query + "&limit=" + std::to_string(limit) + cursor, ""));
        for (auto& id : ids_of(page)) out.push_back(id);
        if (page.at("next_cursor").is_null()) return out;
        cursor = "&cursor=" + text_of(page.at("next_cursor"));
    }
    FAIL("more pages than ideas");
    return out;
}

} // namespace

TEST_CASE("ideas: momentum counts the supports of the last 7 days and decays as they age out", "[e2e][ideas]") {
    platform p(cocreation_env({{"SCHWARM_IDEA_SUPPORT_THRESHOLD", "100"}}));
    auto owner = p.register_customer("owner@example.org");
    std::vector<customer> crowd;
    for (int i = 0; i < 4; ++i) crowd.push_back(p.register_customer("c" + std::to_string(i) + "@example.org"));
    auto old_idea = post_idea(p, owner, "Eine Bank am Dorfteich", "community");
    for (const auto& c : crowd) ok(support(p, c, old_idea), 201);
    // Five days on, another idea gets two supports: the first still has more
    // momentum (4 against 2).
    p.db.travel_by(5 * 86'400);
    auto new_idea = post_idea(p, owner, "Ein Tauschregal im Dorfladen", "community");
    ok(support(p, crowd[0], new_idea), 201);
    ok(support(p, crowd[1], new_idea), 201);
    CHECK(ids_of(ok(call(p, "GET", "/v1/ideas?sort=momentum", ""))) == std::vector<std::string>{old_idea, new_idea});

    // Three days later the first idea's supports are past their 7 days: its
    // momentum decays to nothing (the background step), its supports stay.
    p.db.travel_by(3 * 86'400);
    eventually([&] { return idea_of(p, old_idea).at("momentum") == 0; }, std::chrono::seconds(10),
               "the old supports to leave the momentum");
    CHECK(idea_of(p, old_idea).at("supports") == 4);
    CHECK(idea_of(p, new_idea).at("momentum") == 2);
    CHECK(ids_of(ok(call(p, "GET", "/v1/ideas?sort=momentum", ""))) == std::vector<std::string>{new_idea, old_idea});
    CHECK(ids_of(ok(call(p, "GET", "/v1/ideas?sort=support", ""))) == std::vector<std::string>{old_idea, new_idea});
    CHECK(p.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'idea.momentum_decay'") != "0");

    // Withdrawing a support that still counts lowers both; one that aged out
    // only the supports. A support may be given again afterwards.
    ok(call(p, "DELETE", "/v1/ideas/" + new_idea + "/support", crowd[1].token));
    CHECK(idea_of(p, new_idea).at("momentum") == 1);
    CHECK(idea_of(p, new_idea).at("supports") == 1);
    ok(call(p, "DELETE", "/v1/ideas/" + old_idea + "/support", crowd[3].token));
    CHECK(idea_of(p, old_idea).at("supports") == 3);
    CHECK(idea_of(p, old_idea).at("momentum") == 0);
    CHECK(ok(support(p, crowd[3], old_idea), 201).at("idea").at("momentum") == 1);
}

TEST_CASE("ideas: listings page by keyset in every order, filtered by phase and category", "[e2e][ideas]") {
    platform p(cocreation_env({{"SCHWARM_IDEA_SUPPORT_THRESHOLD", "100"}}));
    auto owner = p.register_customer("owner@example.org");
    std::vector<customer> crowd;
    for (int i = 0; i < 3; ++i) crowd.push_back(p.register_customer("c" + std::to_string(i) + "@example.org"));
    std::vector<std::string> ideas;
    for (int i = 0; i < 7; ++i) {
        ideas.push_back(post_idea(p, owner, "Idee Nummer " + std::to_string(i), i % 2 ? "culture" : "mobility"));
        // Supports 0, 1, 2, 3, 0, 1, 2: ties broken by id.
        for (int k = 0; k < i % 4; ++k) ok(support(p, crowd[static_cast<std::size_t>(k)], ideas.back()), 201);
    }
    for (const auto& sort : {"newest", "support", "momentum"}) {
        INFO(sort);
        auto one_page = all_pages(p, std::string("sort=") + sort, 200);
        auto small_pages = all_pages(p, std::string("sort=") + sort, 2);
        CHECK(one_page.size() == 7);
        CHECK(small_pages == one_page);
    }
    CHECK(all_pages(p, "sort=support", 3) ==
          std::vector<std::string>{ideas[3], ideas[6], ideas[2], ideas[5], ideas[1], ideas[4], ideas[0]});
    CHECK(all_pages(p, "sort=newest&category=culture", 2) == std::vector<std::string>{ideas[5], ideas[3], ideas[1]});
    CHECK(all_pages(p, "sort=momentum&phase=understand", 2) == std::vector<std::string>{ideas[4], ideas[0]});
    CHECK(ok(call(p, "GET", "/v1/ideas/mine", owner.token)).at("items").as_array().size() == 7);
    CHECK(problem_slug(call(p, "GET", "/v1/ideas?sort=support&cursor=m.1.5", "")) == "validation");
    CHECK(problem_slug(call(p, "GET", "/v1/ideas?sort=loudest", "")) == "validation");
    CHECK(problem_slug(call(p, "GET", "/v1/ideas?phase=dreaming", "")) == "validation");
}

TEST_CASE("ideas: discussion with moderation as on projects, and following by choice", "[e2e][ideas]") {
    platform p(cocreation_env());
    auto alice = p.register_customer("alice@example.org");
    auto bob = p.register_customer("bob@example.org");
    auto mallory = p.register_customer("mallory@example.org");
    auto idea = post_idea(p, alice);
    std::string base = "/v1/ideas/" + idea;
    ok(call(p, "POST", base + "/comments", bob.token, {{"text", "Gute Idee"}}), 201);
    auto rude = ok(call(p, "POST", base + "/comments", mallory.token, {{"text", "Unsinn!!!"}}), 201);
    std::string hide = base + "/comments/" + text_of(rude.at("id")) + "/hide";
    CHECK(call(p, "POST", hide, bob.token, {{"reason", "nein"}}).status == 403);
    CHECK(call(p, "GET", base + "/comments/moderation", bob.token).status == 403);
    ok(call(p, "POST", hide, alice.token, {{"reason", "Beleidigend"}}));
    CHECK(problem_slug(call(p, "POST", hide, p.staff, {{"reason", "doppelt"}})) == "comment-hidden");
    auto page = ok(call(p, "GET", base + "/comments", ""));
    REQUIRE(page.at("items").as_array().size() == 2);
    CHECK(page.at("items").as_array()[0].at("hidden") == true);
    CHECK(page.at("items").as_array()[0].at("text") == nullptr);
    auto moderated = ok(call(p, "GET", base + "/comments/moderation", p.staff));
    CHECK(moderated.at("items").as_array()[0].at("hidden_reason") == "Beleidigend");

    // Following by choice; the feed starts then. Unfollowing stops it.
    ok(call(p, "POST", base + "/follow", mallory.token));
    ok(call(p, "POST", base + "/follow", mallory.token)); // again: nothing new
    CHECK(ok(call(p, "GET", "/v1/me/follows", mallory.token)).at("items").as_array().size() == 1);
    ok(support(p, bob, idea), 201); // → empathise
    CHECK(steps_of(feed_of(p, mallory.token)) == std::vector<std::string>{"idea.phase_changed:empathise"});
    ok(call(p, "DELETE", base + "/follow", mallory.token));
    CHECK(problem_slug(call(p, "DELETE", base + "/follow", mallory.token)) == "not-found");
    auto carol = p.register_customer("carol@example.org");
    auto dave = p.register_customer("dave@example.org");
    ok(support(p, carol, idea), 201);
    ok(support(p, dave, idea), 201); // → idea
    CHECK(feed_of(p, mallory.token).size() == 1);
    CHECK(steps_of(feed_of(p, alice.token)) ==
          std::vector<std::string>{"idea.phase_changed:empathise", "idea.phase_changed:idea"});
}

TEST_CASE("ideas: concurrent supports of one idea count once each and move its phase once", "[e2e][ideas]") {
    platform p(cocreation_env());
    auto owner = p.register_customer("owner@example.org");
    auto idea = post_idea(p, owner);
    constexpr int threads_n = 6, per_thread = 4;
    std::vector<std::string> tokens;
    for (int i = 0; i < threads_n * per_thread; ++i) {
        tokens.push_back(register_and_login(p.client, "s" + std::to_string(i) + "@example.org"));
    }
    std::atomic<int> made{0}, twice{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t) {
        threads.emplace_back([&, t] {
            https_client c(p.srv.port());
            for (int i = 0; i < per_thread; ++i) {
                const auto& token = tokens[static_cast<std::size_t>(t * per_thread + i)];
                for (int again = 0; again < 2; ++again) { // the second is support-exists
                    auto r = c.request("POST", "/v1/ideas/" + idea + "/support", "{}", auth_headers(token));
                    if (r.status == 201) ++made;
                    else if (problem_slug(r) == "support-exists") ++twice;
                    else ++other;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(made == threads_n * per_thread);
    CHECK(twice == threads_n * per_thread);
    CHECK(other == 0);
    auto now = idea_of(p, idea);
    CHECK(now.at("supports") == threads_n * per_thread);
    CHECK(now.at("momentum") == threads_n * per_thread);
    CHECK(now.at("phase") == "idea");
    CHECK(p.db.scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE subject = 'idea:" + idea +
                      "' AND action NOT IN ('idea.create', 'idea.support')") == "idea.empathise,idea.reach_threshold");
    CHECK(p.db.scalar("SELECT count(*) FROM follows WHERE reason = 'supporter' AND idea_id = " + idea) ==
          std::to_string(threads_n * per_thread));
    CHECK(steps_of(feed_of(p, owner.token)) ==
          std::vector<std::string>{"idea.phase_changed:empathise", "idea.phase_changed:idea"});
}
