// Co-creation (issue 14) through the real binary: a customer's idea travels,
// through the API alone, from posting to supported, accepted, prototyped with
// a co-author, tested with the crowd's feedback, submitted, reviewed and into
// funding or a vote, with its followers told at each step in their feeds and
// at a webhook (a real local HTTPS receiver that fails once).
#include "support/cocreation.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
using namespace schwarm::test::cocreation;

TEST_CASE("co-creation: an idea travels through the API from posting to a funded campaign, its followers told",
          "[e2e][cocreation]") {
    webhook_receiver hooks{required_env("SCHWARM_TEST_TLS_CERT"), required_env("SCHWARM_TEST_TLS_KEY")};
    hooks.answer_next({500}); // the first delivery fails; its retry gets through
    platform p(cocreation_env());
    auto alice = p.register_customer("alice@example.org"); // has the idea
    auto bob = p.register_customer("bob@example.org");     // supports, gives feedback, backs it
    auto carol = p.register_customer("carol@example.org");
    auto dave = p.register_customer("dave@example.org"); // supports only
    auto erin = p.register_customer("erin@example.org"); // co-author

    auto hook = ok(call(p, "POST", "/v1/me/webhooks", bob.token, {{"url", hooks.url()}}), 201);
    std::string secret = text_of(hook.at("secret"));
    std::string hook_id = text_of(hook.at("id"));
    CHECK(
        ok(call(p, "GET", "/v1/me/webhooks", bob.token)).at("items").as_array()[0].as_object().if_contains("secret") ==
        nullptr);

    // Understand: Alice posts the idea; it is public at once.
    auto idea = post_idea(p, alice);
    CHECK(idea_of(p, idea).at("supports") == 0);

    // Empathise: others support it, with a line on why, and discuss it.
    auto first = ok(support(p, bob, idea, "Unsere Kita braucht das"), 201);
    CHECK(first.at("idea").at("phase") == "empathise");
    CHECK(first.at("reason") == "Unsere Kita braucht das");
    ok(call(p, "POST", "/v1/ideas/" + idea + "/comments", carol.token, {{"text", "Wo sollen die Räder stehen?"}}), 201);
    CHECK(ok(support(p, carol, idea), 201).at("idea").at("phase") == "empathise");
    auto other = post_idea(p, erin, "Ein Bücherschrank am Dorfplatz", "culture");
    ok(support(p, bob, other), 201);

    // Listings: by momentum and support, filtered, searched in German.
    auto by_momentum = ok(call(p, "GET", "/v1/ideas?sort=momentum", ""));
    REQUIRE(by_momentum.at("items").as_array().size() == 2);
    CHECK(text_of(by_momentum.at("items").as_array()[0].at("id")) == idea);
    CHECK(by_momentum.at("items").as_array()[0].at("momentum") == 2);
    auto searched = ok(call(p, "GET", "/v1/ideas?q=Kita&category=mobility", ""));
    REQUIRE(searched.at("items").as_array().size() == 1);
    CHECK(text_of(searched.at("items").as_array()[0].at("id")) == idea);

    // The idea phase: the third support reaches the threshold; staff triage.
    CHECK(ok(support(p, dave, idea), 201).at("idea").at("phase") == "idea");
    auto waiting = ok(call(p, "GET", "/v1/ideas?phase=idea", ""));
    REQUIRE(waiting.at("items").as_array().size() == 1);
    CHECK(waiting.at("items").as_array()[0].at("supports") == 3);
    CHECK(ok(call(p, "GET", "/v1/ideas/" + idea + "/supports", "")).at("items").as_array().size() == 3);
    CHECK(ok(call(p, "POST", "/v1/ideas/" + idea + "/accept", p.staff)).at("phase") == "prototype");

    // Prototype: Alice makes the draft, public, linked to the idea; Erin
    // co-authors it.
    auto draft = ok(call(p, "POST", "/v1/ideas/" + idea + "/project", alice.token, project_fields(p)), 201);
    std::string project = text_of(draft.at("id"));
    CHECK(draft.at("phase") == "prototype");
    CHECK(text_of(draft.at("idea_id")) == idea);
    CHECK(draft.at("state") == "draft");
    CHECK(ok(call(p, "GET", "/v1/projects/" + project, "")).at("phase") == "prototype");
    CHECK(text_of(idea_of(p, idea).at("project_id")) == project);
    ok(call(p, "POST", "/v1/projects/" + project + "/co-authors", alice.token, {{"user_id", erin.id}}), 201);
    CHECK(ok(call(p, "POST", "/v1/projects/" + project + "/co-authors/accept", erin.token)).at("accepted_at") !=
          nullptr);
    auto edited = ok(call(p, "PUT", "/v1/projects/" + project, erin.token,
                          project_fields(p, {{"summary", "Drei Lastenräder mit Kindersitzen für die Kitas"}})));
    CHECK(edited.at("summary") == "Drei Lastenräder mit Kindersitzen für die Kitas");

    // Test: the window opens; members give feedback, the owner answers.
    auto tested = ok(call(p, "POST", "/v1/projects/" + project + "/start-test", alice.token));
    CHECK(tested.at("phase") == "test");
    CHECK(idea_of(p, idea).at("phase") == "test");
    auto bobs = ok(call(p, "PUT", "/v1/projects/" + project + "/feedback", bob.token,
                        {{"would_use", true}, {"would_back", true}, {"concerns", "Wer wartet die Räder?"}}),
                   201);
    ok(call(p, "PUT", "/v1/projects/" + project + "/feedback", carol.token,
            {{"would_use", true}, {"would_back", false}}),
       201);
    ok(call(p, "PUT", "/v1/projects/" + project + "/feedback", carol.token,
            {{"would_use", false}, {"would_back", true}, {"comment", "Doch, ich spende"}}),
       200); // replaced
    ok(call(p, "POST", "/v1/projects/" + project + "/feedback/" + text_of(bobs.at("id")) + "/answer", erin.token,
            {{"text", "Der Fahrradladen im Dorf wartet sie"}}));
    auto page = ok(call(p, "GET", "/v1/projects/" + project, ""));
    const auto& summary = page.at("feedback").as_object();
    CHECK(summary.at("open") == true);
    CHECK(summary.at("count") == 2);
    CHECK(summary.at("would_use") == 1);
    CHECK(summary.at("would_back") == 2);
    CHECK(summary.at("with_concerns") == 1);
    CHECK(summary.at("answered") == 1);
    CHECK(ok(call(p, "GET", "/v1/projects/" + project + "/feedback", "")).at("items").as_array().size() == 2);

    // Only after the window may it be submitted, and onward as any project.
    auto early = call(p, "POST", "/v1/projects/" + project + "/submit", alice.token);
    CHECK(problem_slug(early) == "feedback-window-open");
    CHECK(p.state_of(project) == "draft");
    p.db.travel_by(window_days * 86'400 + 60);
    auto submitted = ok(call(p, "POST", "/v1/projects/" + project + "/submit", alice.token));
    CHECK(submitted.at("state") == "submitted");
    CHECK(submitted.at("phase") == "submitted");
    CHECK(idea_of(p, idea).at("phase") == "submitted");
    ok(call(p, "POST", "/v1/projects/" + project + "/start-review", p.staff));
    ok(call(p, "POST", "/v1/projects/" + project + "/approve", p.staff));
    ok(call(p, "POST", "/v1/projects/" + project + "/open-funding", p.staff));
    ok(call(p, "POST", "/v1/projects/" + project + "/updates", alice.token,
            {{"title", "Die Räder sind bestellt"}, {"body", "Sobald das Geld da ist"}}),
       201);

    // Funded: Bob and Carol back it (and follow it as backers), it settles.
    p.deposit(bob, 5'000);
    p.deposit(carol, 6'000);
    REQUIRE(p.pledge(bob, project, 4'000, "bob-1").status == 201);
    REQUIRE(p.pledge(carol, project, 6'000, "carol-1").status == 201);
    p.make_due(project);
    auto settled = p.client.request("POST", "/v1/projects/" + project + "/settle", {}, auth_headers(p.staff, "s-1"));
    INFO(settled.body);
    REQUIRE(settled.status == 200);
    CHECK(p.state_of(project) == "funded");

    // Followers heard each step, in order, and never their own actions.
    // (Bob's support took it to empathise, before Carol and Dave followed.)
    CHECK(in_order(steps_of(feed_of(p, bob.token)), {"idea.phase_changed:empathise", "idea.phase_changed:idea"}));
    const std::vector<std::string> journey{
        "idea.phase_changed:idea",         "idea.phase_changed:prototype",    "project.drafted",
        "project.co_author_joined",        "project.draft_changed",           "project.phase_changed:test",
        "project.state_changed:submitted", "project.state_changed:in_review", "project.state_changed:approved",
        "project.state_changed:funding",   "project.update_posted",           "campaign.settled"};
    for (const auto* who : {&bob, &carol, &dave}) {
        auto steps = steps_of(feed_of(p, who->token));
        INFO(who->email << ": " << joined(steps));
        CHECK(in_order(steps, journey));
    }
    auto bob_steps = steps_of(feed_of(p, bob.token));
    CHECK(contains(bob_steps, "project.feedback_answered")); // to him alone
    CHECK_FALSE(contains(steps_of(feed_of(p, dave.token)), "project.feedback_answered"));
    auto alice_steps = steps_of(feed_of(p, alice.token));
    INFO("alice: " << joined(alice_steps));
    CHECK(contains(alice_steps, "idea.phase_changed:prototype")); // staff accepted it
    CHECK(contains(alice_steps, "project.draft_changed"));        // Erin edited it
    CHECK_FALSE(contains(alice_steps, "project.drafted"));        // her own doing
    CHECK_FALSE(contains(alice_steps, "project.phase_changed:test"));
    CHECK(contains(steps_of(feed_of(p, erin.token)), "project.co_author_invited"));
    auto settled_event = feed_of(p, carol.token).back();
    CHECK(settled_event.type == "campaign.settled");
    CHECK(settled_event.data.at("outcome") == "funded");
    CHECK(settled_event.data.at("raised_minor") == 10'000);

    // Unread until read.
    auto feed = ok(call(p, "GET", "/v1/me/feed?limit=2", bob.token));
    CHECK(feed.at("unread").as_int64() == static_cast<std::int64_t>(bob_steps.size()));
    CHECK(feed.at("next_cursor") != nullptr);
    auto older = ok(call(p, "GET", "/v1/me/feed?limit=2&cursor=" + text_of(feed.at("next_cursor")), bob.token));
    CHECK(std::stoll(text_of(older.at("items").as_array()[0].at("id"))) <
          std::stoll(text_of(feed.at("items").as_array()[1].at("id"))));
    CHECK(ok(call(p, "POST", "/v1/me/feed/read", bob.token)).at("unread") == 0);
    CHECK(ok(call(p, "GET", "/v1/me/feed", bob.token)).at("items").as_array()[0].at("read") == true);

    // Bob's webhook got the same events, signed; the first failed and was retried.
    eventually(
        [&] {
            auto w = ok(call(p, "GET", "/v1/me/webhooks", bob.token)).at("items").as_array()[0].as_object();
            return w.at("deliveries").at("delivered") == static_cast<std::int64_t>(bob_steps.size());
        },
        std::chrono::seconds(30), "every event delivered to Bob's webhook");
    auto got = hooks.received();
    REQUIRE(got.size() == bob_steps.size() + 1); // one retry
    CHECK(std::any_of(got.begin(), got.end(), [](const webhook_receiver::delivery& d) {
        return d.headers.at("schwarm-event") == "campaign.settled";
    }));
    for (const auto& d : got) CHECK(signed_with(d, secret));
    CHECK_FALSE(signed_with(got[0], "another secret of at least thirty-two characters"));
    CHECK(got[0].answered == 500);
    auto retried = std::find_if(got.begin() + 1, got.end(), [&](const webhook_receiver::delivery& d) {
        return d.headers.at("schwarm-delivery") == got[0].headers.at("schwarm-delivery");
    });
    REQUIRE(retried != got.end());
    CHECK(retried->headers.at("schwarm-delivery-attempt") == "2");
    CHECK(retried->answered == 200);
    CHECK(retried->body == got[0].body);
    auto body = json::parse(got.back().body).as_object();
    CHECK(body.contains("type"));
    CHECK(body.contains("data"));
    auto deliveries = ok(call(p, "GET", "/v1/me/webhooks/" + hook_id + "/deliveries?limit=200", bob.token));
    bool any_retried = false;
    for (const auto& d : deliveries.at("items").as_array()) {
        CHECK(d.at("state") == "delivered");
        any_retried = any_retried || d.at("attempts") == 2;
    }
    CHECK(any_retried);
    p.check_books();
}

TEST_CASE("co-creation: a prototype goes to the members' vote, its followers hear the round open and its result",
          "[e2e][cocreation][rounds]") {
    platform p(cocreation_env());
    auto alice = p.register_customer("alice@example.org");
    auto bob = p.register_customer("bob@example.org");
    auto carol = p.register_customer("carol@example.org");
    auto dave = p.register_customer("dave@example.org");
    auto idea = accepted_idea(p, alice, {&bob, &carol, &dave});
    auto project = approved_prototype(p, alice, idea, {{"goal_minor", 30'000}});

    auto round = ok(call(p, "POST", "/v1/rounds", p.staff,
                         {{"title", "Dorf 2030"},
                          {"budget_minor", 50'000},
                          {"currency", "EUR"},
                          {"opens_at", "2020-01-01T00:00:00Z"},
                          {"closes_at", "2099-01-01T00:00:00Z"}}),
                    201);
    std::string base = "/v1/rounds/" + text_of(round.at("id"));
    ok(call(p, "POST", base + "/projects", p.staff, {{"project_id", project}}), 201);
    ok(call(p, "POST", base + "/open", p.staff));
    json::object ballot{{"choices", json::array{json::object{{"project", "project-" + project}}}}};
    ok(call(p, "PUT", base + "/ballot", bob.token, ballot), 201);
    ok(call(p, "PUT", base + "/ballot", carol.token, ballot), 201);
    ok(call(p, "POST", base + "/close", p.staff));
    ok(call(p, "POST", base + "/tally", p.staff));
    ok(p.client.request("POST", "/v1/fund/deposits", R"({"amount_minor":50000,"currency":"EUR"})",
                        auth_headers(p.staff, "fund-1")),
       201);
    auto allocated = p.client.request("POST", base + "/allocate", "{}", auth_headers(p.staff, "allocate-1"));
    INFO(allocated.body);
    REQUIRE(allocated.status == 200);
    CHECK(p.state_of(project) == "selected");

    auto feed = feed_of(p, dave.token);
    auto steps = steps_of(feed);
    INFO(joined(steps));
    CHECK(in_order(
        steps, {"project.state_changed:in_vote", "round.opened", "round.tallied", "project.state_changed:selected"}));
    auto tallied = std::find_if(feed.begin(), feed.end(), [](const told& t) { return t.type == "round.tallied"; });
    REQUIRE(tallied != feed.end());
    CHECK(tallied->data.at("selected") == true);
    CHECK(text_of(tallied->data.at("project_key")) == "project-" + project);
    CHECK(tallied->project == project);
}

TEST_CASE("co-creation: backers follow what they back, and owner updates, repayments and the loan's end reach them",
          "[e2e][cocreation][loans]") {
    platform p(cocreation_env());
    auto carol = p.register_customer("carol@example.org"); // borrows
    auto bob = p.register_customer("bob@example.org");     // lends
    std::string loan = p.open_project(carol, {{"kind", "loan"},
                                              {"goal_minor", 10'000},
                                              {"loan_rate_bp", 0},
                                              {"loan_term_months", 2},
                                              {"loan_schedule", "equal_principal"}});
    p.deposit(bob, 10'000);
    REQUIRE(p.pledge(bob, loan, 10'000, "bob-1").status == 201);
    auto follows = ok(call(p, "GET", "/v1/me/follows", bob.token)).at("items").as_array();
    REQUIRE(follows.size() == 1);
    CHECK(text_of(follows[0].at("project_id")) == loan);
    CHECK(follows[0].at("reason") == "backer");
    p.make_due(loan);
    REQUIRE(p.client.request("POST", "/v1/projects/" + loan + "/settle", {}, auth_headers(p.staff, "s")).status == 200);
    REQUIRE(p.client.request("POST", "/v1/projects/" + loan + "/disburse", {}, auth_headers(p.staff, "d")).status ==
            201);
    ok(call(p, "POST", "/v1/projects/" + loan + "/updates", carol.token,
            {{"title", "Die Werkstatt ist eröffnet"}, {"body", "Danke!"}}),
       201);
    p.deposit(carol, 2'000);
    for (int i = 1; i <= 2; ++i) {
        auto repaid = p.client.request("POST", "/v1/loans/" + loan + "/repayments", R"({"amount_minor":5000})",
                                       auth_headers(carol.token, "r-" + std::to_string(i)));
        INFO(repaid.body);
        REQUIRE(repaid.status == 201);
    }
    auto feed = feed_of(p, bob.token);
    auto steps = steps_of(feed);
    INFO(joined(steps));
    CHECK_FALSE(contains(steps, "project.state_changed:funded")); // the settlement says it, once
    CHECK(in_order(steps, {"campaign.settled", "project.state_changed:disbursed", "project.update_posted",
                           "project.state_changed:repaying", "loan.repayment", "project.state_changed:repaid",
                           "loan.repayment"}));
    auto last_repayment =
        std::find_if(feed.rbegin(), feed.rend(), [](const told& t) { return t.type == "loan.repayment"; });
    REQUIRE(last_repayment != feed.rend());
    CHECK(last_repayment->data.at("loan_state") == "repaid");
    CHECK(last_repayment->data.at("instalments_paid") == 2);
    CHECK_FALSE(last_repayment->data.contains("amount_minor")); // the borrower's amounts stay on the loan's page
    // Carol, the borrower, is not told what she did herself.
    CHECK_FALSE(contains(steps_of(feed_of(p, carol.token)), "loan.repayment"));
}
