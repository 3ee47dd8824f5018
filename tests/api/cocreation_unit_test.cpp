// Co-creation's pure parts: the phase table, the webhooks' backoff, which
// addresses a webhook may not reach, and the signature header.
#include "base/crypto.hpp"
#include "http/webhook_client.hpp"
#include "jobs/webhooks.hpp"
#include "platform/phases.hpp"
#include "platform/webhooks.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/address.hpp>

#include <set>

using namespace schwarm;

TEST_CASE("phases: one table, each move from the phases it names, by its mover", "[cocreation]") {
    using phases::subject;
    const auto* accept = phases::find_rule(subject::idea, "accept");
    REQUIRE(accept);
    CHECK(accept->by == projects::mover::staff);
    CHECK(phases::allowed_from(*accept, "idea"));
    for (const char* not_yet : {"understand", "empathise", "prototype", "declined", "merged"}) {
        INFO(not_yet);
        CHECK_FALSE(phases::allowed_from(*accept, not_yet));
    }
    for (const char* closing : {"decline", "merge"}) {
        const auto* r = phases::find_rule(subject::idea, closing);
        REQUIRE(r);
        CHECK(phases::allowed_from(*r, "empathise"));
        CHECK_FALSE(phases::allowed_from(*r, "prototype")); // accepted ideas are not closed
        CHECK_FALSE(phases::allowed_from(*r, "declined"));
    }
    const auto* test = phases::find_rule(subject::project, "start_test");
    REQUIRE(test);
    CHECK(test->by == projects::mover::owner);
    CHECK(std::string(test->to) == "test");
    CHECK(phases::find_rule(subject::project, "accept") == nullptr);
    // Every phase a rule moves to is one a rule moves from, or an end.
    std::set<std::string> from, ends{"submitted", "declined", "merged"};
    for (const auto& r : phases::transitions())
        for (const char* f : r.from) from.insert(f);
    for (const auto& r : phases::transitions()) {
        INFO(r.action);
        CHECK((from.contains(r.to) || ends.contains(r.to)));
    }
    // An idea's moves that mirror its project's are not told twice.
    CHECK_FALSE(phases::find_rule(subject::idea, "start_test")->announced);
    CHECK(phases::find_rule(subject::idea, "reach_threshold")->announced);
}

TEST_CASE("webhooks: the backoff doubles per attempt up to its cap", "[webhooks]") {
    webhooks::retry_policy p{10, 1'000, 30'000};
    CHECK(webhooks::backoff_after(p, 1) == 1'000);
    CHECK(webhooks::backoff_after(p, 2) == 2'000);
    CHECK(webhooks::backoff_after(p, 5) == 16'000);
    CHECK(webhooks::backoff_after(p, 6) == 30'000);
    CHECK(webhooks::backoff_after(p, 60) == 30'000); // no overflow
}

TEST_CASE("webhooks: internal addresses are told apart from public ones", "[webhooks]") {
    auto internal = [](const char* a) { return api::is_internal_address(boost::asio::ip::make_address(a)); };
    for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                          "100.64.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "::1", "::", "fe80::1", "fd00::1",
                          "::ffff:10.0.0.1", "::ffff:127.0.0.1"}) {
        INFO(a);
        CHECK(internal(a));
    }
    for (const char* a :
         {"8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2a00:1450:4001::1", "::ffff:8.8.4.4"}) {
        INFO(a);
        CHECK_FALSE(internal(a));
    }
}

TEST_CASE("webhooks: the signature header is the payment callback's", "[webhooks]") {
    std::string secret(64, 'k'), body = R"({"id":"1","type":"idea.phase_changed"})";
    auto header = jobs::signature_header(secret, "1900000000", body);
    CHECK(header == "t=1900000000,v1=" + crypto::hmac_sha256_hex(secret, "1900000000." + body));
}
