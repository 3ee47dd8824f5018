// Webhooks through the real binary and a real local HTTPS receiver: a
// delivery that keeps failing is given up and visible to its owner, 410 Gone
// ends it at once, internal addresses are refused unless allowed, a removed
// webhook gets nothing more, and two server processes share the deliveries
// (claimed with SKIP LOCKED) without sending one twice.
#include "support/cocreation.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace schwarm::test;
using namespace schwarm::test::cocreation;

namespace {

struct story {
    platform& p;
    customer alice, bob, carol;
    std::string hook_id;
    std::string secret;

    story(platform& on, const std::string& url)
        : p(on), alice(on.register_customer("alice@example.org")), bob(on.register_customer("bob@example.org")),
          carol(on.register_customer("carol@example.org")) {
        auto hook = ok(call(p, "POST", "/v1/me/webhooks", bob.token, {{"url", url}}), 201);
        hook_id = text_of(hook.at("id"));
        secret = text_of(hook.at("secret"));
    }
    // An event for Bob: he follows a new idea of Alice's, Carol's support
    // moves it to empathise.
    std::string tell_bob(const std::string& title = "Lastenräder für Kleinwalde") {
        auto idea = post_idea(p, alice, title);
        ok(call(p, "POST", "/v1/ideas/" + idea + "/follow", bob.token));
        ok(support(p, carol, idea), 201);
        return idea;
    }
    json::array deliveries(const std::string& state = {}) {
        return ok(call(p, "GET",
                       "/v1/me/webhooks/" + hook_id + "/deliveries?limit=200" +
                           (state.empty() ? "" : "&state=" + state),
                       bob.token))
            .at("items")
            .as_array();
    }
};

} // namespace

TEST_CASE("webhooks: a delivery that keeps failing is given up after its attempts, visible to its owner",
          "[e2e][webhooks]") {
    webhook_receiver hooks{required_env("SCHWARM_TEST_TLS_CERT"), required_env("SCHWARM_TEST_TLS_KEY")};
    hooks.answer_next({500, 503, 410});
    platform p(cocreation_env({{"SCHWARM_WEBHOOK_ATTEMPTS_MAX", "2"}}));
    story s(p, hooks.url());
    s.tell_bob();
    eventually([&] { return s.deliveries("given_up").size() == 1; }, std::chrono::seconds(20), "the give-up");
    auto d = s.deliveries("given_up")[0].as_object();
    CHECK(d.at("attempts") == 2);
    CHECK(d.at("last_status") == 503);
    CHECK(d.at("last_error") == "answered 503");
    CHECK(d.at("event_type") == "idea.phase_changed");
    CHECK(d.at("next_attempt_at") == nullptr);
    CHECK(hooks.received().size() == 2);
    CHECK(p.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'webhook.delivery_given_up'") == "1");

    // 410 Gone: the subscriber says the endpoint is no more; given up at once.
    s.tell_bob("Ein Tauschregal im Dorfladen");
    eventually([&] { return s.deliveries("given_up").size() == 2; }, std::chrono::seconds(20), "the second give-up");
    CHECK(s.deliveries("given_up")[0].at("attempts") == 1);
    CHECK(s.deliveries("given_up")[0].at("last_status") == 410);
    CHECK(hooks.received().size() == 3);
    auto listed = ok(call(p, "GET", "/v1/me/webhooks", s.bob.token)).at("items").as_array()[0];
    CHECK(listed.at("deliveries").at("given_up") == 2);

    // A removed webhook gets nothing more.
    ok(call(p, "DELETE", "/v1/me/webhooks/" + s.hook_id, s.bob.token));
    s.tell_bob("Eine Bank am Dorfteich");
    CHECK(s.deliveries().size() == 2);
    CHECK(problem_slug(call(p, "DELETE", "/v1/me/webhooks/" + s.hook_id, s.bob.token)) == "not-found");
    // Another's webhook is not there for Carol.
    CHECK(problem_slug(call(p, "GET", "/v1/me/webhooks/" + s.hook_id + "/deliveries", s.carol.token)) == "not-found");
}

TEST_CASE("webhooks: internal addresses are not reached unless allowed", "[e2e][webhooks]") {
    webhook_receiver hooks{required_env("SCHWARM_TEST_TLS_CERT"), required_env("SCHWARM_TEST_TLS_KEY")};
    platform p(cocreation_env({{"SCHWARM_WEBHOOK_ALLOW_PRIVATE", "0"}, {"SCHWARM_WEBHOOK_ATTEMPTS_MAX", "1"}}));
    story s(p, hooks.url()); // localhost
    s.tell_bob();
    eventually([&] { return s.deliveries("given_up").size() == 1; }, std::chrono::seconds(20), "the refusal");
    auto d = s.deliveries("given_up")[0].as_object();
    CHECK(d.at("last_status") == nullptr);
    CHECK(std::string(d.at("last_error").as_string()).find("internal addresses") != std::string::npos);
    CHECK(hooks.received().empty());
}

TEST_CASE("webhooks: two server processes share the deliveries and send each once", "[e2e][webhooks]") {
    webhook_receiver hooks{required_env("SCHWARM_TEST_TLS_CERT"), required_env("SCHWARM_TEST_TLS_KEY")};
    auto env = cocreation_env({{"SCHWARM_WEBHOOK_SENDERS", "2"}});
    platform p(env);
    server second(p.db.url(), env);
    story s(p, hooks.url());
    constexpr int ideas = 12;
    for (int i = 0; i < ideas; ++i) s.tell_bob("Idee Nummer " + std::to_string(i));
    eventually(
        [&] {
            auto all = s.deliveries("delivered");
            return all.size() == ideas;
        },
        std::chrono::seconds(30), "every delivery");
    auto got = hooks.received();
    CHECK(got.size() == ideas);
    std::set<std::string> deliveries, events;
    for (const auto& d : got) {
        deliveries.insert(d.headers.at("schwarm-delivery"));
        events.insert(d.headers.at("schwarm-event-id"));
        CHECK(signed_with(d, s.secret));
        CHECK(d.headers.at("schwarm-event") == "idea.phase_changed");
        auto body = json::parse(d.body).as_object();
        CHECK(text_of(body.at("id")) == d.headers.at("schwarm-event-id"));
        CHECK(body.at("data").at("to") == "empathise");
    }
    CHECK(deliveries.size() == ideas);
    CHECK(events.size() == ideas);
    CHECK(second.running());
}
