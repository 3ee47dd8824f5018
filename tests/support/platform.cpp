#include "tests/support/platform.hpp"

namespace schwarm::test {

namespace json = boost::json;

platform::platform(std::map<std::string, std::string> env)
    : srv(db.url(), std::move(env)), client(srv.port()),
      staff(create_user_and_login(client, db, "staff@bank.example", "staff")),
      auditor(create_user_and_login(client, db, "auditor@bank.example", "auditor")) {}

customer platform::register_customer(const std::string& email) {
    customer c{register_and_login(client, email), ""};
    auto me = client.request("GET", "/v1/users/me", {}, auth_headers(c.token));
    REQUIRE(me.status == 200);
    c.id = std::string(me.json().at("id").as_string());
    return c;
}

std::string platform::open_project(const customer& owner, json::object changes) {
    std::string id = approved_project(owner, std::move(changes));
    auto r = client.request("POST", "/v1/projects/" + id + "/open-funding", {}, auth_headers(staff));
    INFO(r.body);
    REQUIRE(r.status == 200);
    return id;
}

std::string platform::approved_project(const customer& owner, json::object changes) {
    json::object fields{{"title", "Dorfladen Kleinwalde"},
                        {"summary", "Ein Laden für das Dorf"},
                        {"category", "community"},
                        {"kind", "donation"},
                        {"goal_minor", 10'000},
                        {"currency", "EUR"},
                        {"campaign_mode", "all_or_nothing"},
                        {"deadline", "2099-06-30T23:59:59Z"}};
    for (const auto& [k, v] : changes) fields[k] = v;
    auto created = client.request("POST", "/v1/projects", json::serialize(fields), auth_headers(owner.token));
    INFO(created.body);
    REQUIRE(created.status == 201);
    std::string id(created.json().at("id").as_string());
    auto move = [&](const std::string& action, const std::string& token) {
        auto r = client.request("POST", "/v1/projects/" + id + "/" + action, {}, auth_headers(token));
        INFO(action << ": " << r.body);
        REQUIRE(r.status == 200);
    };
    move("submit", owner.token);
    move("start-review", staff);
    move("approve", staff);
    return id;
}

void platform::deposit(const customer& c, std::int64_t amount_minor, const std::string& currency) {
    auto r = client.request("POST", "/v1/wallets/" + c.id + "/deposits",
                            json::serialize(json::object{{"amount_minor", amount_minor}, {"currency", currency}}),
                            auth_headers(staff, "deposit-" + std::to_string(++keys_)));
    INFO(r.body);
    REQUIRE(r.status == 201);
}

std::int64_t platform::available(const customer& c, const std::string& currency) {
    auto r = client.request("GET", "/v1/wallet?currency=" + currency, {}, auth_headers(c.token));
    REQUIRE(r.status == 200);
    return r.json().at("available_minor").as_int64();
}

std::int64_t platform::balance(const customer& c, const std::string& currency) {
    auto r = client.request("GET", "/v1/wallet?currency=" + currency, {}, auth_headers(c.token));
    REQUIRE(r.status == 200);
    return r.json().at("balance_minor").as_int64();
}

reply platform::pledge(const customer& c, const std::string& project, std::int64_t amount_minor,
                       const std::string& key, const std::string& currency, bool acknowledged) {
    json::object body{{"amount_minor", amount_minor}, {"currency", currency}};
    if (acknowledged) body["risk_acknowledged"] = true;
    return client.request("POST", "/v1/projects/" + project + "/pledges", json::serialize(body),
                          auth_headers(c.token, key));
}

void platform::pass_deadline(const std::string& project) {
    db.exec("UPDATE projects SET deadline = now() - interval '1 second' WHERE id = " + project);
}

std::string platform::state_of(const std::string& project) {
    return db.scalar("SELECT state FROM projects WHERE id = " + project);
}

void platform::check_books() {
    auto verify = client.request("GET", "/v1/ledger/verify", {}, auth_headers(auditor));
    INFO(verify.body);
    REQUIRE(verify.status == 200);
    CHECK(verify.json().at("ok") == true);
    auto trial = client.request("GET", "/v1/ledger/trial-balance", {}, auth_headers(auditor));
    REQUIRE(trial.status == 200);
    CHECK(trial.json().at("balanced") == true);
}

} // namespace schwarm::test
