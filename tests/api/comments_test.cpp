// Comments and owner updates on project pages, through the real binary.
#include "support/platform.hpp"

#include <catch2/catch.hpp>

using namespace schwarm::test;
namespace json = boost::json;

namespace {

// A draft of `owner`'s (a token); its path.
std::string draft(platform& p, const std::string& owner, const std::string& title = "Dorfladen Oberweiler") {
    return "/v1/projects/" + p.draft_project(owner, {{"title", title},
                                                     {"category", "village-shop"},
                                                     {"goal_minor", 2'000'000},
                                                     {"deadline", "2099-06-30T23:59:59Z"}});
}

// A project the public sees (submitted); its path.
std::string submitted(platform& p, const std::string& owner, const std::string& title = "Dorfladen Oberweiler") {
    auto base = draft(p, owner, title);
    REQUIRE(p.client.request("POST", base + "/submit", {}, auth_headers(owner)).status == 200);
    return base;
}

std::string text_body(const std::string& text) { return json::serialize(json::object{{"text", text}}); }
std::string reason_body(const std::string& reason) { return json::serialize(json::object{{"reason", reason}}); }

std::string type_of(const reply& r) {
    INFO(r.body);
    return std::string(r.json().at("type").as_string());
}

std::string field_of(const reply& r) {
    INFO(r.body);
    REQUIRE(r.status == 400);
    return std::string(r.json().at("field").as_string());
}

json::array items(const reply& r) {
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json().as_object().at("items").as_array();
}

std::string repeated(const std::string& unit, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += unit;
    return out;
}

} // namespace

TEST_CASE("comments: customers comment, the owner and staff hide with a reason", "[e2e][comments]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string alice = p.register_customer("alice@example.org", investor::none).token;
    std::string bob = p.register_customer("bob@example.org", investor::none).token;
    const std::string& staff = p.staff;
    const std::string& auditor = p.auditor;

    // Nothing is said on a draft: others do not see it, its owner may not comment yet.
    auto base = draft(p, owner);
    CHECK(client.request("POST", base + "/comments", text_body("Schön!"), auth_headers(alice)).status == 404);
    auto own_draft = client.request("POST", base + "/comments", text_body("Erster!"), auth_headers(owner));
    CHECK(own_draft.status == 409);
    CHECK(type_of(own_draft) == "tag:schwarm.dev,2026:problem:project-state");
    CHECK(own_draft.json().at("state") == "draft");
    CHECK(client.request("GET", base + "/comments").status == 404);
    CHECK(client.request("GET", base + "/comments/moderation", {}, auth_headers(alice)).status == 404);
    CHECK(db.scalar("SELECT count(*) FROM project_comments") == "0");
    REQUIRE(client.request("POST", base + "/submit", {}, auth_headers(owner)).status == 200);

    // Customers comment; nobody else does.
    auto first =
        client.request("POST", base + "/comments", text_body("Tolle Idee, ich bin dabei!"), auth_headers(alice));
    REQUIRE(first.status == 201);
    CHECK(first.json().at("text") == "Tolle Idee, ich bin dabei!");
    CHECK(first.json().at("hidden") == false);
    std::string kind_id(first.json().at("id").as_string());
    auto second =
        client.request("POST", base + "/comments", text_body("Billige Uhren hier: spam.example"), auth_headers(bob));
    REQUIRE(second.status == 201);
    std::string spam_id(second.json().at("id").as_string());
    CHECK(client.request("POST", base + "/comments", text_body("Als Bank: gut.")).status == 401);
    CHECK(client.request("POST", base + "/comments", text_body("Als Bank: gut."), auth_headers(staff)).status == 403);
    CHECK(client.request("POST", base + "/comments", text_body("Prüfung"), auth_headers(auditor)).status == 403);

    auto visible = client.request("GET", base + "/comments");
    REQUIRE(items(visible).size() == 2);
    CHECK(items(visible)[0].at("id") == spam_id.c_str()); // newest first
    CHECK(items(visible)[0].at("text") == "Billige Uhren hier: spam.example");
    CHECK(items(visible)[1].at("author_id").is_string());

    // Hiding: the owner or staff, with a reason, once.
    std::string hide_spam = base + "/comments/" + spam_id + "/hide";
    auto not_owner = client.request("POST", hide_spam, reason_body("gefällt mir nicht"), auth_headers(alice));
    CHECK(not_owner.status == 403);
    CHECK(client.request("POST", hide_spam, reason_body("Werbung"), auth_headers(auditor)).status == 403);
    CHECK(client.request("POST", hide_spam, reason_body("Werbung")).status == 401);
    CHECK(field_of(client.request("POST", hide_spam, "{}", auth_headers(owner))) == "reason");
    CHECK(field_of(client.request("POST", hide_spam, reason_body(""), auth_headers(owner))) == "reason");
    CHECK(field_of(client.request("POST", hide_spam, reason_body("   "), auth_headers(owner))) == "reason");
    CHECK(field_of(client.request("POST", hide_spam, reason_body(repeated("x", 501)), auth_headers(owner))) ==
          "reason");
    CHECK(client.request("POST", base + "/comments/999999/hide", reason_body("Werbung"), auth_headers(owner)).status ==
          404);
    CHECK(client.request("POST", base + "/comments/abc/hide", reason_body("Werbung"), auth_headers(owner)).status ==
          404);
    CHECK(client
              .request("POST", "/v1/projects/999999/comments/" + spam_id + "/hide", reason_body("Werbung"),
                       auth_headers(staff))
              .status == 404);
    CHECK(db.scalar("SELECT count(*) FROM project_comments WHERE hidden_at IS NOT NULL") == "0");

    auto hidden = client.request("POST", hide_spam, reason_body("Werbung"), auth_headers(owner));
    REQUIRE(hidden.status == 200);
    CHECK(hidden.json().at("hidden") == true);
    CHECK(hidden.json().at("hidden_reason") == "Werbung");
    CHECK(hidden.json().at("text") == "Billige Uhren hier: spam.example");
    auto twice = client.request("POST", hide_spam, reason_body("Werbung, nochmals"), auth_headers(staff));
    CHECK(twice.status == 409);
    CHECK(type_of(twice) == "tag:schwarm.dev,2026:problem:comment-hidden");
    CHECK(twice.json().at("hidden_at") == hidden.json().at("hidden_at"));

    // Staff moderate any project's comments.
    auto by_staff = client.request("POST", base + "/comments/" + kind_id + "/hide", reason_body("Test der Moderation"),
                                   auth_headers(staff));
    REQUIRE(by_staff.status == 200);

    // A comment of another project is not this project's to hide.
    auto other = submitted(p, bob, "Bobs Bienenstock");
    auto elsewhere = client.request("POST", other + "/comments", text_body("Summ summ"), auth_headers(alice));
    REQUIRE(elsewhere.status == 201);
    std::string elsewhere_id(elsewhere.json().at("id").as_string());
    CHECK(
        client
            .request("POST", base + "/comments/" + elsewhere_id + "/hide", reason_body("Werbung"), auth_headers(owner))
            .status == 404);
    CHECK(
        client
            .request("POST", other + "/comments/" + elsewhere_id + "/hide", reason_body("Werbung"), auth_headers(owner))
            .status == 403);

    // The public sees that comments were hidden, and when, but not what they said or why.
    auto public_page = client.request("GET", base + "/comments");
    REQUIRE(items(public_page).size() == 2);
    for (const auto& c : items(public_page)) {
        CHECK(c.at("hidden") == true);
        CHECK(c.at("text").is_null());
        CHECK(c.at("hidden_at").is_string());
        CHECK_FALSE(c.as_object().contains("hidden_reason"));
        CHECK_FALSE(c.as_object().contains("hidden_by"));
    }
    CHECK(public_page.body.find("spam.example") == std::string::npos);
    CHECK(public_page.body.find("Werbung") == std::string::npos);

    // The owner and staff see everything.
    for (const auto& token : {owner, staff}) {
        auto full = client.request("GET", base + "/comments/moderation", {}, auth_headers(token));
        REQUIRE(items(full).size() == 2);
        CHECK(items(full)[0].at("text") == "Billige Uhren hier: spam.example");
        CHECK(items(full)[0].at("hidden_reason") == "Werbung");
        CHECK(items(full)[1].at("text") == "Tolle Idee, ich bin dabei!");
        CHECK(items(full)[1].at("hidden_reason") == "Test der Moderation");
        CHECK(items(full)[0].at("hidden_by") != items(full)[1].at("hidden_by"));
    }
    CHECK(client.request("GET", base + "/comments/moderation", {}, auth_headers(alice)).status == 403);
    CHECK(client.request("GET", base + "/comments/moderation", {}, auth_headers(auditor)).status == 403);
    CHECK(client.request("GET", base + "/comments/moderation").status == 401);
    CHECK(client.request("GET", "/v1/projects/999999/comments/moderation", {}, auth_headers(staff)).status == 404);

    // Every comment and every hiding is audited; the reason is in the record.
    CHECK(db.scalar("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE subject LIKE 'comment:%'") ==
          "comment.create,comment.create,comment.hide,comment.hide,comment.create");
    CHECK(db.scalar("SELECT details->>'reason' FROM audit_log WHERE action = 'comment.hide' AND subject = 'comment:" +
                    spam_id + "'") == "Werbung");

    // The database itself keeps comments: no edits, no unhiding, no deletes.
    CHECK_THROWS(db.exec("UPDATE project_comments SET body = 'edited' WHERE id = " + elsewhere_id));
    CHECK_THROWS(db.exec("UPDATE project_comments SET hidden_at = NULL, hidden_by = NULL, hidden_reason = NULL "
                         "WHERE id = " +
                         spam_id));
    CHECK_THROWS(db.exec("DELETE FROM project_comments WHERE id = " + elsewhere_id));
}

TEST_CASE("comments: text is 1 to 2000 characters, to a project there is", "[e2e][comments]") {
    platform p;
    auto& client = p.client;
    auto& db = p.db;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string alice = p.register_customer("alice@example.org", investor::none).token;
    auto base = submitted(p, owner);
    auto post = [&](const std::string& body, const std::string& path = {}) {
        return client.request("POST", path.empty() ? base + "/comments" : path, body, auth_headers(alice));
    };

    CHECK(field_of(post(text_body(""))) == "text");
    CHECK(field_of(post(text_body(" \n\t "))) == "text");
    CHECK(field_of(post(text_body(repeated("x", 2001)))) == "text");
    CHECK(field_of(post(text_body(repeated("ü", 2001)))) == "text");
    CHECK(field_of(post("{}")) == "text");
    CHECK(field_of(post(json::serialize(json::object{{"text", 42}}))) == "text");
    CHECK(field_of(post(json::serialize(json::object{{"text", "Hallo"}, {"author_id", "1"}}))) == "author_id");
    CHECK(post("{\"text\":").status == 400);
    CHECK(post(text_body("Hallo"), "/v1/projects/999999/comments").status == 404);
    CHECK(post(text_body("Hallo"), "/v1/projects/abc/comments").status == 404);
    CHECK(client.request("GET", "/v1/projects/999999/comments").status == 404);
    CHECK(db.scalar("SELECT count(*) FROM project_comments") == "0");

    // The limit counts characters, not bytes: 2000 umlauts are 4000 bytes.
    auto longest = post(text_body(repeated("ü", 2000)));
    CHECK(longest.status == 201);
    CHECK(post(text_body("x")).status == 201);
    CHECK(db.scalar("SELECT string_agg(char_length(body)::text, ',' ORDER BY id) FROM project_comments") == "2000,1");
}

TEST_CASE("comments: pages with a stable cursor", "[e2e][comments]") {
    platform p;
    auto& client = p.client;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string alice = p.register_customer("alice@example.org", investor::none).token;
    auto base = submitted(p, owner);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(
            client.request("POST", base + "/comments", text_body("Kommentar " + std::to_string(i)), auth_headers(alice))
                .status == 201);
    }
    auto first = client.request("GET", base + "/comments?limit=2");
    REQUIRE(items(first).size() == 2);
    CHECK(items(first)[0].at("text") == "Kommentar 4");
    std::string cursor(first.json().at("next_cursor").as_string());
    // A comment added meanwhile does not shift the next page.
    REQUIRE(client.request("POST", base + "/comments", text_body("Neu dazu"), auth_headers(alice)).status == 201);
    auto second = client.request("GET", base + "/comments?limit=2&cursor=" + cursor);
    REQUIRE(items(second).size() == 2);
    CHECK(items(second)[0].at("text") == "Kommentar 2");
    CHECK(items(second)[1].at("text") == "Kommentar 1");
    auto last = client.request(
        "GET", base + "/comments?limit=2&cursor=" + std::string(second.json().at("next_cursor").as_string()));
    REQUIRE(items(last).size() == 1);
    CHECK(items(last)[0].at("text") == "Kommentar 0");
    CHECK(last.json().at("next_cursor").is_null());
    // The moderators' view pages the same way.
    auto moderated =
        client.request("GET", base + "/comments/moderation?limit=3&cursor=" + cursor, {}, auth_headers(owner));
    REQUIRE(items(moderated).size() == 3);
    CHECK(moderated.json().at("next_cursor").is_string());
    CHECK(client.request("GET", base + "/comments?cursor=abc").status == 400);
    CHECK(client.request("GET", base + "/comments?cursor=-5").status == 400);
    CHECK(client.request("GET", base + "/comments?limit=0").status == 400);
}

TEST_CASE("updates: the owner posts, everyone reads", "[e2e][comments]") {
    platform p;
    auto& client = p.client;
    std::string owner = p.register_customer("olga@example.org", investor::none).token;
    std::string alice = p.register_customer("alice@example.org", investor::none).token;
    const std::string& staff = p.staff;
    auto& db = p.db;
    auto update = [](const std::string& title, const std::string& body) {
        return json::serialize(json::object{{"title", title}, {"body", body}});
    };

    auto base = draft(p, owner);
    auto on_draft = client.request("POST", base + "/updates", update("Es geht los", "Bald."), auth_headers(owner));
    CHECK(on_draft.status == 409);
    CHECK(on_draft.json().at("state") == "draft");
    CHECK(client.request("POST", base + "/updates", update("Fremd", "Nicht meins."), auth_headers(alice)).status ==
          404);
    CHECK(client.request("GET", base + "/updates").status == 404);
    REQUIRE(client.request("POST", base + "/submit", {}, auth_headers(owner)).status == 200);

    CHECK(client.request("POST", base + "/updates", update("Fremd", "Nicht meins."), auth_headers(alice)).status ==
          403);
    CHECK(client.request("POST", base + "/updates", update("Bank", "Von der Bank."), auth_headers(staff)).status ==
          403);
    CHECK(client.request("POST", base + "/updates", update("Anonym", "Niemand.")).status == 401);
    CHECK(client.request("POST", "/v1/projects/999999/updates", update("Weg", "Nichts."), auth_headers(owner)).status ==
          404);
    auto post = [&](const std::string& body) {
        return client.request("POST", base + "/updates", body, auth_headers(owner));
    };
    CHECK(field_of(post(json::serialize(json::object{{"body", "Ohne Titel"}}))) == "title");
    CHECK(field_of(post(json::serialize(json::object{{"title", "Ohne Text"}}))) == "body");
    CHECK(field_of(post(update("", "Leerer Titel"))) == "title");
    CHECK(field_of(post(update("  ", "Nur Leerzeichen im Titel"))) == "title");
    CHECK(field_of(post(update(repeated("t", 201), "Zu langer Titel"))) == "title");
    CHECK(field_of(post(update("Zu lang", repeated("b", 20'001)))) == "body");
    CHECK(db.scalar("SELECT count(*) FROM project_updates") == "0");

    auto first = post(update("Es geht los", "Der Mietvertrag ist unterschrieben."));
    REQUIRE(first.status == 201);
    CHECK(first.json().at("title") == "Es geht los");
    CHECK(first.json().at("body") == "Der Mietvertrag ist unterschrieben.");
    REQUIRE(post(update("Regale", "Die Regale sind da.")).status == 201);
    REQUIRE(post(update("Eröffnung", repeated("ä", 20'000))).status == 201);

    auto all = client.request("GET", base + "/updates");
    REQUIRE(items(all).size() == 3);
    CHECK(items(all)[0].at("title") == "Eröffnung");
    CHECK(items(all)[2].at("title") == "Es geht los");
    auto page1 = client.request("GET", base + "/updates?limit=2");
    REQUIRE(items(page1).size() == 2);
    auto page2 = client.request(
        "GET", base + "/updates?limit=2&cursor=" + std::string(page1.json().at("next_cursor").as_string()));
    REQUIRE(items(page2).size() == 1);
    CHECK(items(page2)[0].at("title") == "Es geht los");
    CHECK(page2.json().at("next_cursor").is_null());

    CHECK(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'project_update.create'") == "3");
    CHECK_THROWS(db.exec("UPDATE project_updates SET title = 'anders'"));
}
