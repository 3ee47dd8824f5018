// What bad input gets in co-creation (issue 14 §4), through the real binary:
// each refusal is problem+json whose `type` names the rule, and nothing of
// the platform's state changes (supports, phases, projects, feedback,
// co-authors, follows, events, audit records).
#include "support/cocreation.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
using namespace schwarm::test::cocreation;

namespace {

std::string everything(platform& p) {
    return p.db.scalar(
        "SELECT (SELECT count(*) FROM idea_supports) || '|' || "
        "(SELECT coalesce(string_agg(id || ':' || phase || ':' || supports || ':' || momentum, ',' ORDER BY id), '') "
        " FROM ideas) || '|' || "
        "(SELECT coalesce(string_agg(id || ':' || state || ':' || coalesce(phase::text, '-'), ',' ORDER BY id), '') "
        " FROM projects) || '|' || "
        "(SELECT count(*) FROM project_feedback) || '|' || (SELECT count(*) FROM project_feedback WHERE answer IS "
        "NOT NULL) || '|' || (SELECT count(*) FROM project_authors) || '|' || (SELECT count(*) FROM follows) || '|' || "
        "(SELECT count(*) FROM events) || '|' || (SELECT count(*) FROM feed_items) || '|' || "
        "(SELECT count(*) FROM webhooks) || '|' || (SELECT count(*) FROM audit_log)");
}

// The request is refused with `slug` (and `status`), and nothing changes.
reply refused(platform& p, const std::string& slug, int status, const std::string& method, const std::string& path,
              const std::string& token, const json::object& body = {}) {
    // The momentum decay runs on its own (and audits what it does): once it
    // has taken out every support that is due, the snapshot holds still.
    eventually(
        [&] { return p.db.scalar("SELECT count(*) FROM idea_supports WHERE momentum_until <= schwarm_now()") == "0"; },
        std::chrono::seconds(10), "the momentum decay to take out what is due");
    auto before = everything(p);
    auto r = call(p, method, path, token, body);
    INFO(method << " " << path << " → " << r.status << " " << r.body);
    CHECK(r.status == status);
    CHECK(r.header("content-type") == "application/problem+json");
    CHECK(problem_slug(r) == slug);
    CHECK(everything(p) == before);
    return r;
}

} // namespace

TEST_CASE("co-creation refusals: supports, triage and phases refuse what they must and change nothing",
          "[e2e][cocreation][refusals]") {
    platform p(cocreation_env());
    auto alice = p.register_customer("alice@example.org");
    auto bob = p.register_customer("bob@example.org");
    auto carol = p.register_customer("carol@example.org");
    auto dave = p.register_customer("dave@example.org");
    auto idea = post_idea(p, alice);
    ok(support(p, bob, idea), 201);
    std::string base = "/v1/ideas/" + idea;

    // Supporting one's own idea, twice, an unknown one; staff do not support.
    refused(p, "support-own-idea", 403, "POST", base + "/support", alice.token);
    refused(p, "support-exists", 409, "POST", base + "/support", bob.token, {{"reason", "Noch einmal"}});
    refused(p, "not-found", 404, "POST", "/v1/ideas/987654/support", bob.token);
    refused(p, "forbidden", 403, "POST", base + "/support", p.staff);
    refused(p, "validation", 400, "POST", base + "/support", carol.token, {{"reason", std::string(281, 'x')}});
    refused(p, "not-found", 404, "DELETE", base + "/support", carol.token); // she never supported it

    // Triage from the wrong phase, or by the wrong role.
    auto wrong = refused(p, "phase-transition", 409, "POST", base + "/accept", p.staff);
    CHECK(wrong.json().at("phase") == "empathise");
    refused(p, "forbidden", 403, "POST", base + "/accept", bob.token);
    refused(p, "forbidden", 403, "POST", base + "/decline", alice.token, {{"reason", "Mag ich nicht"}});
    refused(p, "validation", 400, "POST", base + "/decline", p.staff);
    refused(p, "idea-merge-target", 422, "POST", base + "/merge", p.staff, {{"into", idea}});
    refused(p, "idea-merge-target", 422, "POST", base + "/merge", p.staff, {{"into", "987654"}});
    // The project of an idea that is not accepted, or another's.
    refused(p, "phase-transition", 409, "POST", base + "/project", alice.token, project_fields(p));

    // A declined idea and a merged one take no more support, nor triage.
    auto declined = post_idea(p, carol, "Ein Freibad auf dem Marktplatz");
    ok(call(p, "POST", "/v1/ideas/" + declined + "/decline", p.staff, {{"reason", "Kein Platz und kein Wasser"}}));
    CHECK(idea_of(p, declined).at("decline_reason") == "Kein Platz und kein Wasser");
    CHECK(refused(p, "idea-closed", 409, "POST", "/v1/ideas/" + declined + "/support", bob.token).json().at("phase") ==
          "declined");
    refused(p, "phase-transition", 409, "POST", "/v1/ideas/" + declined + "/accept", p.staff);
    refused(p, "idea-merge-target", 422, "POST", base + "/merge", p.staff, {{"into", declined}});
    auto duplicate = post_idea(p, dave, "Lastenräder für die Kitas");
    ok(support(p, carol, duplicate, "Genau das"), 201);
    auto merged = ok(call(p, "POST", "/v1/ideas/" + duplicate + "/merge", p.staff, {{"into", idea}}));
    CHECK(merged.at("phase") == "merged");
    CHECK(text_of(merged.at("merged_into")) == idea);
    CHECK(idea_of(p, idea).at("supports") == 2); // Carol's support moved over
    CHECK(refused(p, "idea-closed", 409, "POST", "/v1/ideas/" + duplicate + "/support", bob.token).json().at("phase") ==
          "merged");
    refused(p, "idea-closed", 409, "DELETE", "/v1/ideas/" + duplicate + "/support", carol.token);

    // The third support (Dave followed the merged idea here as its owner)
    // reaches the threshold; accepted, only its owner makes the project, once.
    ok(support(p, dave, idea), 201);
    CHECK(idea_of(p, idea).at("phase") == "idea");
    ok(call(p, "POST", base + "/accept", p.staff));
    refused(p, "phase-transition", 409, "POST", base + "/accept", p.staff);
    refused(p, "phase-transition", 409, "POST", base + "/decline", p.staff, {{"reason", "Zu spät"}});
    refused(p, "forbidden", 403, "POST", base + "/project", bob.token, project_fields(p));
    refused(p, "validation", 400, "POST", base + "/project", alice.token, project_fields(p, {{"kind", "gift"}}));
    auto project = text_of(ok(call(p, "POST", base + "/project", alice.token, project_fields(p)), 201).at("id"));
    refused(p, "idea-has-project", 409, "POST", base + "/project", alice.token, project_fields(p));
    std::string pbase = "/v1/projects/" + project;

    // Co-authors are customers, invited once, by the owner.
    refused(p, "co-author-not-customer", 422, "POST", pbase + "/co-authors", alice.token,
            {{"user_id", p.db.scalar("SELECT id FROM users WHERE email = 'staff@bank.example'")}});
    refused(p, "co-author-not-customer", 422, "POST", pbase + "/co-authors", alice.token, {{"user_id", "987654"}});
    refused(p, "co-author-exists", 409, "POST", pbase + "/co-authors", alice.token, {{"user_id", alice.id}});
    refused(p, "forbidden", 403, "POST", pbase + "/co-authors", bob.token, {{"user_id", carol.id}});
    ok(call(p, "POST", pbase + "/co-authors", alice.token, {{"user_id", carol.id}}), 201);
    refused(p, "co-author-exists", 409, "POST", pbase + "/co-authors", alice.token, {{"user_id", carol.id}});
    refused(p, "not-found", 404, "POST", pbase + "/co-authors/accept", bob.token); // not invited

    // Feedback outside the window: before the test phase, and after it.
    json::object feedback{{"would_use", true}, {"would_back", false}};
    auto early = refused(p, "feedback-window-closed", 409, "PUT", pbase + "/feedback", bob.token, feedback);
    CHECK(early.json().at("phase") == "prototype");
    refused(p, "forbidden", 403, "POST", pbase + "/start-test", bob.token);
    refused(p, "phase-transition", 409, "POST", pbase + "/submit", alice.token); // still a prototype
    ok(call(p, "POST", pbase + "/start-test", alice.token));
    refused(p, "phase-transition", 409, "POST", pbase + "/start-test", alice.token);
    refused(p, "feedback-own-project", 403, "PUT", pbase + "/feedback", alice.token, feedback);
    refused(p, "validation", 400, "PUT", pbase + "/feedback", bob.token, {{"would_use", true}});
    auto given = ok(call(p, "PUT", pbase + "/feedback", bob.token, feedback), 201);
    std::string answer = pbase + "/feedback/" + text_of(given.at("id")) + "/answer";
    refused(p, "forbidden", 403, "POST", answer, dave.token, {{"text", "Ich bin nicht gefragt"}});
    ok(call(p, "POST", answer, alice.token, {{"text", "Danke für die Rückmeldung"}}));
    refused(p, "feedback-answered", 409, "POST", answer, alice.token, {{"text", "Noch einmal"}});
    refused(p, "feedback-answered", 409, "PUT", pbase + "/feedback", bob.token, feedback);
    refused(p, "feedback-window-open", 409, "POST", pbase + "/submit", alice.token);
    p.db.travel_by(window_days * 86'400 + 60);
    auto late = refused(p, "feedback-window-closed", 409, "PUT", pbase + "/feedback", dave.token, feedback);
    CHECK(late.json().at("phase") == "test");
    CHECK(late.json().as_object().contains("closes_at"));
    refused(p, "forbidden", 403, "POST", pbase + "/submit", bob.token);
    ok(call(p, "POST", pbase + "/submit", alice.token));
    refused(p, "project-state", 409, "POST", pbase + "/submit", alice.token);
    refused(p, "project-state", 409, "POST", pbase + "/start-test", alice.token);

    // A project made directly has no phases and stays private as a draft.
    auto direct = ok(call(p, "POST", "/v1/projects", alice.token, project_fields(p)), 201);
    std::string dbase = "/v1/projects/" + text_of(direct.at("id"));
    CHECK(direct.at("phase") == nullptr);
    CHECK(direct.at("idea_id") == nullptr);
    CHECK(refused(p, "phase-transition", 409, "POST", dbase + "/start-test", alice.token).json().at("phase") == "none");
    refused(p, "not-found", 404, "PUT", dbase + "/feedback", bob.token, feedback);
    refused(p, "not-found", 404, "POST", dbase + "/co-authors", bob.token, {{"user_id", carol.id}});
    refused(p, "not-found", 404, "GET", dbase, "");
    refused(p, "not-found", 404, "POST", dbase + "/follow", bob.token);

    // Webhooks: https only, five at most.
    refused(p, "validation", 400, "POST", "/v1/me/webhooks", bob.token, {{"url", "http://example.org/hook"}});
    refused(p, "validation", 400, "POST", "/v1/me/webhooks", bob.token, {{"url", "https://user@example.org/"}});
    for (int i = 0; i < 5; ++i) {
        ok(call(p, "POST", "/v1/me/webhooks", bob.token, {{"url", "https://example.org/hook/" + std::to_string(i)}}),
           201);
    }
    refused(p, "webhook-limit", 409, "POST", "/v1/me/webhooks", bob.token, {{"url", "https://example.org/hook/6"}});
    refused(p, "not-found", 404, "DELETE", "/v1/me/webhooks/987654", bob.token);
}
