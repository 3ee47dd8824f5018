// Proof by random histories (issue 18): seeded histories of registrations,
// deposits and payouts, pledges good and bad, revocations inside and outside
// their reflection periods, settlements by staff and by the job, deadlines
// passing on the test clock, cancellations and withdrawals, retries under
// the same Idempotency-Key (same and different bodies and routes, other
// callers), requests cut off mid-flight, bursts of concurrent requests from
// several clients, a server killed with SIGKILL and PostgreSQL stopped in
// immediate mode, against two real server processes on one real database.
//
// After every step the server must agree with an independent model of the
// money (tests/support/money_model.hpp) on every answer and every balance,
// and the books must hold by themselves: the ledger verifies, postings sum to
// zero, no wallet is overdrawn, escrows hold exactly their live holds, no
// pledge was posted inside its reflection period, no campaign funded short of
// its goal. A burst's answers must be those of some order of its requests.
// A violation prints the seed, the history shrunk to what still fails, and
// the command that replays it.
//
// SCHWARM_TEST_HISTORY_SECONDS   how long to run new histories (default 120)
// SCHWARM_TEST_HISTORY_SEED      run this one seed's history only
// SCHWARM_TEST_HISTORY_FIRST_SEED  the first seed of a timed run (default random)
// SCHWARM_TEST_HISTORY_FILE      replay a printed history (e.g. a shrunk one)
// SCHWARM_TEST_HISTORY_STEPS     steps per history (default 60, the opening's 15 included)
// SCHWARM_TEST_HISTORY_FAULTS    0: no SIGKILL or PostgreSQL stop (default 1)
// SCHWARM_TEST_HISTORY_SHRINK_SECONDS  time to shrink a failing history (default 240)
// SCHWARM_TEST_HISTORY_OPS       the operations to generate (comma-separated; default all)
// SCHWARM_TEST_HISTORY_LEGACY    1: the server is an older build (docs/histories.md)
#include "support/history.hpp"
#include "support/money_model.hpp"
#include "support/private_cluster.hpp"
#include "support/support.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

using namespace schwarm::test;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace model = schwarm::test::model;
namespace hist = schwarm::test::history;

namespace {

using steady = std::chrono::steady_clock;

// What the checks found wrong: ends the history, which is then shrunk.
// Its signature says what kind of wrong it is ("pledge 500 for 400", say):
// shrinking keeps to it, so that a shorter history fails by the same bug.
struct violation : std::runtime_error {
    violation(const std::string& what, std::string kind) : std::runtime_error(what), signature(std::move(kind)) {}
    std::string signature;
};

[[noreturn]] void fail(const std::string& what, const std::string& signature = "") {
    throw violation(what, signature.empty() ? what.substr(0, what.find(' ')) : signature);
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

struct options {
    int seconds = 120;
    std::optional<std::uint64_t> seed;
    std::optional<std::uint64_t> first_seed;
    std::string file;
    int shrink_seconds = 240;
    bool legacy = false;
    hist::config base;

    static options from_env() {
        options o;
        o.seconds = std::stoi(env_or("SCHWARM_TEST_HISTORY_SECONDS", "120"));
        if (auto s = env_or("SCHWARM_TEST_HISTORY_SEED", ""); !s.empty()) o.seed = std::stoull(s);
        if (auto s = env_or("SCHWARM_TEST_HISTORY_FIRST_SEED", ""); !s.empty()) o.first_seed = std::stoull(s);
        o.file = env_or("SCHWARM_TEST_HISTORY_FILE", "");
        o.shrink_seconds = std::stoi(env_or("SCHWARM_TEST_HISTORY_SHRINK_SECONDS", "240"));
        o.legacy = env_or("SCHWARM_TEST_HISTORY_LEGACY", "0") == "1";
        o.base.steps = std::stoi(env_or("SCHWARM_TEST_HISTORY_STEPS", "60"));
        o.base.faults = env_or("SCHWARM_TEST_HISTORY_FAULTS", "1") == "1";
        std::istringstream ops(env_or("SCHWARM_TEST_HISTORY_OPS", ""));
        for (std::string op; std::getline(ops, op, ',');) o.base.ops.push_back(op);
        return o;
    }
};

// --- the database cluster -------------------------------------------------------

// A PostgreSQL cluster of this test's own (PostgreSQL is crashed on purpose),
// with the schema migrated once into a template each history's database is
// copied from.
class cluster {
public:
    explicit cluster(bool legacy) : legacy_(legacy) {
        exec_admin("CREATE DATABASE h_template");
        std::string output;
        int status = run_cli({"migrate"}, {{"DATABASE_URL", pg_.url("h_template")}}, "", output);
        if (status != 0) FAIL("schwarm migrate: " << output);
    }

    // A fresh, migrated database; its URL as the cluster's owner.
    std::string fresh() {
        std::string name = "h_" + std::to_string(++made_);
        exec_admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        exec_admin("CREATE DATABASE " + name + " TEMPLATE h_template");
        return pg_.url(name);
    }
    void drop(const std::string& url) {
        auto name =
            url.substr(std::string("postgresql:///").size(), url.find('?') - std::string("postgresql:///").size());
        try {
            exec_admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (const std::exception&) {
            // The cluster goes at the end of the test anyway.
        }
    }
    void crash_and_restart() { pg_.crash_and_restart(); }
    bool legacy() const { return legacy_; }

private:
    void exec_admin(const std::string& sql) {
        pqxx::connection admin(pg_.url("postgres"));
        pqxx::nontransaction tx(admin);
        tx.exec(sql);
    }
    private_cluster pg_;
    bool legacy_;
    int made_ = 0;
};

// --- faults -----------------------------------------------------------------------

// Whether a fault is under way: a request that began then may fail with a
// 5xx or a lost connection, and is retried under its key. Outside a fault a
// 5xx is a violation (a bad request failing others, say).
class fault_window {
public:
    void open() {
        std::lock_guard lock(mutex_);
        ++open_;
    }
    // Closed a little after recovery: pooled connections broken by a
    // PostgreSQL crash are replaced on their next use.
    void close() {
        std::lock_guard lock(mutex_);
        --open_;
        grace_until_ = steady::now() + 5s;
    }
    bool active() {
        std::lock_guard lock(mutex_);
        return open_ > 0 || steady::now() < grace_until_;
    }

private:
    std::mutex mutex_;
    int open_ = 0;
    steady::time_point grace_until_{};
};

// --- requests ---------------------------------------------------------------------

struct call {
    std::string caller; // "staff", "staff2", "auditor" or a customer's name
    std::string method;
    std::string path;
    std::string body;
    std::string key; // Idempotency-Key, if any
    std::string request() const { return method + " " + path + "\n" + body; }
};

struct answer_got {
    int status = 0;
    std::string slug;
    std::string body;
    bool replayed = false;
    json::value json;
    model::instant sent = 0, received = 0; // platform time, as the test reckons it
    model::answer as_model() const { return {status, status < 400 ? "" : slug}; }
};

std::string slug_of(int status, const std::string& body) {
    if (status < 400) return "";
    try {
        auto v = json::parse(body);
        std::string type(v.at("type").as_string());
        auto colon = type.rfind(':');
        return colon == std::string::npos ? type : type.substr(colon + 1);
    } catch (const std::exception&) {
        return "(not a problem: " + body.substr(0, 80) + ")";
    }
}

std::string describe(const call& c, const answer_got& a) {
    return c.caller + " " + c.method + " " + c.path + (c.body.empty() ? "" : " " + c.body) +
           (c.key.empty() ? "" : " [key " + c.key + "]") + " → " + std::to_string(a.status) +
           (a.slug.empty() ? "" : " " + a.slug) + (a.replayed ? " (replayed)" : "");
}

// Counts of what a run went through, for the summary line.
struct tally {
    std::atomic<int> histories{0}, steps{0}, requests{0}, faults{0}, retried{0}, bursts{0};
    std::atomic<int> reordered{0}; // bursts whose answers fit only another order than the one sent
    std::mutex mutex;
    std::map<std::string, int> answers; // "pledge 422 insufficient-funds" → how many
    void answered(const std::string& op, const model::answer& a) {
        std::lock_guard lock(mutex);
        ++answers[op + " " + model::to_string(a)];
    }
};

// --- the platform under test ------------------------------------------------------

struct person {
    std::string token, id, email;
};

// Two server processes on one fresh database, with staff, a second staff
// member and an auditor; clients per slot and server.
class platform_under_test {
public:
    platform_under_test(cluster& c, const hist::config& cfg, tally& counts)
        : cluster_(c), cfg_(cfg), counts_(counts), url_(c.fresh()) {
        travel_to(model::parse_time(start));
        for (int i = 0; i < 2; ++i) servers_.push_back(std::make_unique<server>(url_, server_env()));
        ports_ = {servers_[0]->port(), servers_[1]->port()};
        for (const char* role : {"staff", "staff2", "auditor"}) {
            std::string email = std::string(role) + "@bank.example";
            std::string output;
            if (run_cli({"user", "create", "--email", email, "--role", role == std::string("staff2") ? "staff" : role,
                         "--password-stdin"},
                        {{"DATABASE_URL", url_}}, "correct horse battery\n", output) != 0) {
                FAIL("user create: " << output);
            }
            people_[role] = log_in(email);
        }
    }
    ~platform_under_test() {
        servers_.clear();
        cluster_.drop(url_);
    }
    platform_under_test(const platform_under_test&) = delete;
    platform_under_test& operator=(const platform_under_test&) = delete;

    static constexpr const char* start = "2030-03-04T08:00:00Z";

    const std::string& url() const { return url_; }
    fault_window& faults() { return faults_; }

    std::map<std::string, std::string> server_env() const {
        std::map<std::string, std::string> env{
            {"SCHWARM_RATE_PER_CLIENT_PER_S", "0"},
            {"SCHWARM_LOGIN_PER_CLIENT_PER_MIN", "100000"},
            {"SCHWARM_SESSION_TTL_S", std::to_string(90 * 86'400)},
            {"SCHWARM_RISK_FOUR_EYES_ABOVE_MINOR", "100000000"},
            {"SCHWARM_PLATFORM_FEE_BP", std::to_string(cfg_.fee_bp)},
            {"SCHWARM_SETTLEMENT_CHUNK", std::to_string(cfg_.settlement_chunk)},
            {"SCHWARM_RISK_OWNER_LIMIT_MINOR", std::to_string(cfg_.owner_limit_minor)},
            {"SCHWARM_RISK_PLEDGE_LIMIT_PER_PROJECT_MINOR", std::to_string(cfg_.project_limit_minor)},
        };
        if (cluster_.legacy()) {
            // An older build: it serves as the database's owner and knows
            // neither the migration role, the ballot key, the metrics token
            // nor a settlement interval (its job settles every tick).
            env["DATABASE_URL"] = url_;
            env["SCHWARM_MIGRATION_DATABASE_URL"] = server::unset;
            env["SCHWARM_BALLOT_KEY"] = server::unset;
            env["SCHWARM_METRICS_TOKEN"] = server::unset;
        } else {
            env["SCHWARM_SETTLEMENT_INTERVAL_MS"] = cfg_.settlement_job ? "100" : "86400000";
        }
        return env;
    }

    void travel_to(model::instant t) {
        pqxx::connection c(url_);
        pqxx::nontransaction tx(c);
        tx.exec_params("SELECT schwarm_travel_to($1::timestamptz)", model::format_time(t));
    }

    // The platform time now to the microsecond, in seconds since 1970.
    double platform_epoch() {
        pqxx::connection c(url_);
        pqxx::nontransaction tx(c);
        return tx.exec1("SELECT extract(epoch FROM schwarm_clock())::float8")[0].as<double>();
    }

    // The platform time now, read from the database.
    model::instant platform_now() {
        pqxx::connection c(url_);
        pqxx::nontransaction tx(c);
        return model::parse_time(
            tx.exec1("SELECT to_char(schwarm_clock() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")[0]
                .as<std::string>());
    }

    const person* find(const std::string& name) const {
        auto it = people_.find(name);
        return it == people_.end() ? nullptr : &it->second;
    }
    void add(const std::string& name, person p) { people_[name] = std::move(p); }

    // Sends until an answer comes that is not a fault's: a lost connection
    // or, while a fault is under way, a 5xx is retried on any server under
    // the same key. With `cut`, the first attempt is sent and the connection
    // dropped before its answer.
    // `server`: the first attempt goes to that one (of those running), as
    // behind a balancer that keeps a client's connection on one server.
    answer_got send(const call& c, int slot, bool cut = false, std::optional<std::size_t> server = std::nullopt) {
        std::map<std::string, std::string> headers;
        if (c.caller != "anyone") headers["Authorization"] = "Bearer " + find(c.caller)->token;
        if (!c.key.empty()) headers["Idempotency-Key"] = c.key;
        ++counts_.requests;
        if (cut) {
            try {
                https_client(pick_port(server)).send(c.method, c.path, c.body, headers);
            } catch (const std::exception&) {
                // Not even sent: the retry below is the first.
            }
        }
        auto deadline = steady::now() + 90s;
        for (int attempt = 0;; ++attempt) {
            if (steady::now() > deadline) fail("no answer within 90 s: " + c.method + " " + c.path);
            if (attempt > 0) {
                ++counts_.retried;
                // Back off, but the condition waited for is the next answer.
                std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20 * attempt, 500)));
            }
            bool in_fault = faults_.active();
            unsigned short port = pick_port(attempt == 0 ? server : std::nullopt);
            try {
                auto client = connection(slot, port);
                auto r = client->request(c.method, c.path, c.body, headers);
                if (r.header("connection") == "close") drop(slot, port);
                answer_got a;
                a.status = r.status;
                a.slug = slug_of(r.status, r.body);
                a.body = r.body;
                a.replayed = r.header("idempotent-replayed") == "true";
                if (r.status >= 500 && (in_fault || faults_.active())) continue;
                // After a cut the first attempt may still be running.
                if (cut && a.slug == "idempotency-conflict" && attempt < 200) continue;
                if (r.status < 300 || r.header("content-type").find("json") != std::string::npos) {
                    try {
                        a.json = json::parse(r.body);
                    } catch (const std::exception&) {
                        a.json = nullptr;
                    }
                }
                return a;
            } catch (const violation&) {
                throw;
            } catch (const std::exception&) {
                drop(slot, port);
            }
        }
    }

    // A request the checks make: it must succeed.
    json::value read(const std::string& caller, const std::string& path) {
        auto a = send({caller, "GET", path, "", ""}, 0);
        if (a.status != 200) fail("GET " + path + " as " + caller + " → " + std::to_string(a.status) + " " + a.body);
        return a.json;
    }

    // SIGKILL of one server, then a new one in its place.
    void kill(int which) {
        faults_.open();
        ++counts_.faults;
        {
            std::lock_guard lock(mutex_);
            ports_.erase(std::remove(ports_.begin(), ports_.end(), servers_[which]->port()), ports_.end());
        }
        servers_[which]->signal(SIGKILL);
        servers_[which]->wait_exit(10'000);
        servers_[which] = std::make_unique<server>(url_, server_env());
        {
            std::lock_guard lock(mutex_);
            ports_.push_back(servers_[which]->port());
        }
        faults_.close();
    }

    // PostgreSQL stopped in immediate mode and started again; both servers
    // ready before the window closes.
    void crash() {
        faults_.open();
        ++counts_.faults;
        cluster_.crash_and_restart();
        for (auto& s : servers_) {
            unsigned short port = s->port();
            bool ready = within(60s, [&] {
                try {
                    return https_client(port).request("GET", "/readyz").status == 200;
                } catch (const std::exception&) {
                    return false;
                }
            });
            if (!ready) fail("a server did not become ready after PostgreSQL restarted:\n" + s->log());
        }
        faults_.close();
    }

    std::string logs() const {
        std::string out;
        for (const auto& s : servers_) out += s->log().substr(s->log().size() > 4000 ? s->log().size() - 4000 : 0);
        return out;
    }

private:
    person log_in(const std::string& email) {
        person p;
        p.email = email;
        auto login = send({"anyone", "POST", "/v1/sessions",
                           json::serialize(json::object{{"email", email}, {"password", "correct horse battery"}}), ""},
                          0);
        if (login.status != 201) fail("login of " + email + " → " + login.body);
        p.token = std::string(login.json.at("token").as_string());
        return p;
    }

    // Any server that runs now: each request may reach either.
    unsigned short pick_port(std::optional<std::size_t> server = std::nullopt) {
        std::lock_guard lock(mutex_);
        if (ports_.empty()) return 1; // refused: retried until a server is back
        return ports_[server.value_or(static_cast<std::size_t>(random_())) % ports_.size()];
    }
    std::shared_ptr<https_client> connection(int slot, unsigned short port) {
        {
            std::lock_guard lock(mutex_);
            auto it = clients_.find({slot, port});
            if (it != clients_.end()) return it->second;
        }
        auto made = std::make_shared<https_client>(port);
        std::lock_guard lock(mutex_);
        clients_[{slot, port}] = made;
        return made;
    }
    void drop(int slot, unsigned short port) {
        std::lock_guard lock(mutex_);
        clients_.erase({slot, port});
    }

    friend class runner;
    cluster& cluster_;
    hist::config cfg_;
    tally& counts_;
    std::string url_;
    std::vector<std::unique_ptr<server>> servers_;
    std::mutex mutex_;
    std::vector<unsigned short> ports_;
    std::map<std::pair<int, unsigned short>, std::shared_ptr<https_client>> clients_;
    std::mt19937_64 random_{std::random_device{}()};
    fault_window faults_;
    std::map<std::string, person> people_;
};

// --- running a history ------------------------------------------------------------

// A request of a step, resolved to what is sent, and how the model judges
// its answer (applied to the model it is given when the answer is right).
struct resolved {
    call c;
    std::function<model::answer(model::platform&, const answer_got&)> judge;
    std::string pledge_name; // a pledge this request makes, if it succeeds
    std::string op;
};

bool is_positive_integer(const std::string& token) {
    if (token.empty() || token.size() > 18) return false;
    return std::all_of(token.begin(), token.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
           token != std::string(token.size(), '0');
}

bool bookable_currency(const std::string& code) { return code == "EUR" || code == "CHF" || code == "USD"; }

const model::answer validation{400, "validation"};

model::settings settings_of(const hist::config& cfg) {
    model::settings s;
    s.fee_bp = cfg.fee_bp;
    s.owner_limit_minor = cfg.owner_limit_minor;
    s.project_limit_minor = cfg.project_limit_minor;
    return s;
}

class runner {
public:
    runner(cluster& c, const hist::config& cfg, tally& counts)
        : cfg_(cfg), counts_(counts), sut_(c, cfg, counts), m_(settings_of(cfg)) {
        // The clock has run on since the platform was set to its start (the
        // servers started, staff were made): anchored to where it is now.
        double at = sut_.platform_epoch();
        anchor_steady_ = steady::now();
        anchor_platform_ = static_cast<model::instant>(at);
        anchor_steady_ -= std::chrono::duration_cast<steady::duration>(
            std::chrono::duration<double>(at - static_cast<double>(anchor_platform_)));
        // Staff exist but have no wallet; the second staff member is named
        // so deposits to them can be tried.
        sut_.people_["staff2"].id = user_id_of("staff2");
    }

    // Runs the steps in order (`generate`: as many new ones as the config
    // says, appended to `steps`); throws a violation at the first wrong thing.
    void run(std::vector<hist::step>& steps, hist::generator* generate) {
        std::size_t i = 0;
        for (;; ++i) {
            if (i == steps.size()) {
                if (!generate || static_cast<int>(steps.size()) >= cfg_.steps) break;
                steps.push_back(generate->next(m_, static_cast<int>(steps.size())));
            }
            current_ = &steps[i];
            execute(steps[i]);
            ++counts_.steps;
            check_books();
        }
        // The end of every history: each campaign runs out and settles.
        for (const auto& [name, p] : m_.projects) counts_.answered("campaign before the end: " + p.kind, {0, p.state});
        finish();
        check_books();
    }

    std::string logs() const { return sut_.logs(); }
    // What was under way when a violation came (a request's answer, a
    // burst's, the books after a step, set-up): shrinking keeps to it, so a
    // shorter history fails the same way, not by another bug.
    const std::string& phase() const { return phase_; }

private:
    // --- time --------------------------------------------------------------------
    model::instant now() const {
        return anchor_platform_ +
               std::chrono::duration_cast<std::chrono::seconds>(steady::now() - anchor_steady_).count();
    }

    // Keeps the platform clock at least `margin` from every moment a rule
    // changes its answer, so that no answer depends on milliseconds.
    static constexpr model::instant margin = 600;
    model::instant clear_of_boundaries(model::instant t) const {
        auto bounds = m_.boundaries();
        for (int guard = 0; guard < 100; ++guard) {
            auto near = std::find_if(bounds.begin(), bounds.end(), [&](auto b) { return std::llabs(b - t) < margin; });
            if (near == bounds.end()) return t;
            t = *near + margin + 1;
        }
        return t;
    }

    void travel(model::instant target) {
        sut_.travel_to(target);
        anchor_platform_ = target;
        anchor_steady_ = steady::now();
    }

    // A step taking long (faults, a slow machine) moves the clock on by
    // itself; before a boundary comes near, travel past it.
    void keep_clear() {
        model::instant t = now();
        for (auto b : m_.boundaries()) {
            if (b > t - 5 && b - t < margin / 2) {
                travel(clear_of_boundaries(t + margin));
                settled_by_job();
                return;
            }
        }
    }

    // --- steps -------------------------------------------------------------------
    void execute(const hist::step& s) {
        phase_ = "set-up";
        keep_clear();
        m_.now = now();
        if (s.op == "register") return register_customer(s);
        if (s.op == "open") return open_project(s);
        if (s.op == "travel") return travel_step(s);
        if (s.op == "kill") {
            sut_.kill(static_cast<int>(s.number("server")) % 2);
            return settled_by_servers();
        }
        if (s.op == "crash") return sut_.crash();
        phase_ = "answer";
        if (s.op == "burst") return burst(s);
        if (s.op == "retry") {
            auto again = retried(s);
            if (again) single(*again, false, false);
            return;
        }
        if (auto r = resolve(s)) single(*r, s.arg("cut") == "1", s.arg("twice") == "1");
    }

    std::string user_id_of(const std::string& name) {
        auto a = sut_.send({name, "GET", "/v1/users/me", "", ""}, 0);
        if (a.status != 200) fail("GET /v1/users/me as " + name + " → " + a.body);
        return std::string(a.json.at("id").as_string());
    }

    void register_customer(const hist::step& s) {
        std::string name = s.arg("name");
        std::string email = name + "-" + std::to_string(cfg_.seed) + "@example.org";
        auto made = sut_.send({"anyone", "POST", "/v1/users",
                               json::serialize(json::object{
                                   {"email", email}, {"password", "correct horse battery"}, {"display_name", name}}),
                               ""},
                              0);
        // A retry after a fault finds the address taken by its first attempt.
        if (made.status != 201 && made.slug != "email-taken") fail("registration of " + name + " → " + made.body);
        auto login =
            sut_.send({"anyone", "POST", "/v1/sessions",
                       json::serialize(json::object{{"email", email}, {"password", "correct horse battery"}}), ""},
                      0);
        if (login.status != 201) fail("login of " + name + " → " + login.body);
        sut_.add(name, {std::string(login.json.at("token").as_string()), "", email});
        sut_.people_[name].id = user_id_of(name);
        bool ready = s.arg("ready") == "1";
        if (ready) {
            // Investor protection passed: a declared net worth of EUR 100,000,
            // the loss simulation seen, the knowledge test passed.
            expect_ok(
                {name, "PUT", "/v1/risk/investor/profile",
                 R"({"annual_income_minor":6000000,"liquid_assets_minor":5000000,"annual_commitments_minor":1000000})",
                 ""});
            expect_ok({name, "POST", "/v1/risk/investor/loss-simulation", "", ""});
            expect_ok(
                {name, "POST", "/v1/risk/knowledge-test",
                 R"({"answers":[{"question_id":"total_loss","option":1},{"question_id":"deposit_guarantee","option":1},)"
                 R"({"question_id":"liquidity","option":1},{"question_id":"diversification","option":1},)"
                 R"({"question_id":"reflection","option":0}]})",
                 ""});
        }
        m_.customers[name] = {ready, false, std::stoll(sut_.people_[name].id)};
    }

    answer_got expect_ok(const call& c) {
        auto a = sut_.send(c, 0);
        if (a.status >= 300) fail("set-up request failed: " + describe(c, a) + "\n" + a.body);
        return a;
    }

    void open_project(const hist::step& s) {
        std::string name = s.arg("name"), owner = s.arg("owner");
        if (!sut_.find(owner) || !m_.customers.contains(owner)) return; // its owner's step was removed
        model::project p;
        p.owner = owner;
        p.kind = s.arg("kind", "donation");
        p.mode = s.arg("mode", "all_or_nothing");
        p.goal = s.number("goal", 10'000);
        p.min_pledge = s.number("min", 1);
        p.overfunding = s.arg("over") == "1";
        // An older build knows no allow_overfunding: it caps loans only.
        bool legacy = sut_.cluster_.legacy();
        if (legacy) p.overfunding = p.kind != "loan";
        p.deadline = clear_of_boundaries(now() + s.number("deadline", 86'400));
        json::object fields{{"title", "Projekt " + name},
                            {"summary", "Ein Projekt"},
                            {"category", "community"},
                            {"kind", p.kind},
                            {"goal_minor", p.goal},
                            {"currency", "EUR"},
                            {"campaign_mode", p.mode},
                            {"min_pledge_minor", p.min_pledge},
                            {"deadline", model::format_time(p.deadline)}};
        if (p.overfunding && !legacy) fields["allow_overfunding"] = true;
        bool loan = p.kind == "loan";
        if (loan) {
            p.rate_bp = static_cast<int>(s.number("rate", 500));
            p.term_months = static_cast<int>(s.number("term", 12));
            p.schedule = s.arg("schedule", "annuity");
            fields["loan_rate_bp"] = p.rate_bp;
            fields["loan_term_months"] = p.term_months;
            fields["loan_schedule"] = p.schedule;
        }
        auto created = expect_ok({owner, "POST", "/v1/projects", json::serialize(fields), ""});
        std::string id(created.json.at("id").as_string());
        std::string path = "/v1/projects/" + id;
        if (loan) {
            expect_ok({owner, "PUT", "/v1/risk/applications/" + id,
                       R"({"applicant_type":"person","monthly_income_minor":2000000,)"
                       R"("monthly_expenses_minor":500000,"existing_debt_minor":0,"purpose":"business"})",
                       ""});
        }
        expect_ok({owner, "POST", path + "/submit", "", ""});
        expect_ok({"staff", "POST", path + "/start-review", "", ""});
        if (loan) {
            bool checked = within(30s, [&] {
                pqxx::connection c(sut_.url());
                pqxx::nontransaction tx(c);
                return tx.exec1("SELECT count(*) FROM risk_checks WHERE state = 'completed' AND project_id = " + id)[0]
                           .as<int>() > 0;
            });
            if (!checked) fail("the credit check of loan " + name + " did not complete");
            expect_ok({"staff", "POST", "/v1/risk/reviews/" + id + "/approve", "", ""});
        } else {
            expect_ok({"staff", "POST", path + "/approve", "", ""});
        }
        expect_ok({"staff", "POST", path + "/open-funding", "", ""});
        project_ids_[name] = id;
        m_.projects[name] = p;
    }

    void travel_step(const hist::step& s) {
        std::string to = s.arg("to", "now");
        model::instant t = now(), base = t;
        auto colon = to.find(':');
        std::string what = colon == std::string::npos ? to : to.substr(0, colon);
        std::string name = colon == std::string::npos ? "" : to.substr(colon + 1);
        if (what == "deadline" && m_.projects.contains(name)) base = m_.projects.at(name).deadline;
        if (what == "settles" && m_.projects.contains(name)) base = m_.projects.at(name).settles_at();
        if (what == "reflection" && m_.pledges.contains(name) && m_.pledges.at(name).revocable_until) {
            base = *m_.pledges.at(name).revocable_until;
        }
        model::instant offset = s.number("offset", 3600);
        model::instant target = base + offset;
        if (target < t + 60) target = t + std::llabs(offset) + 60; // the clock only moves on
        travel(clear_of_boundaries(target));
        settled_by_job();
    }

    // With the job on, every campaign the model says is due is settled by
    // the servers on their own: wait for it, then the model settles them.
    void settled_by_job() {
        if (cfg_.settlement_job) settled_by_servers();
    }

    // A server's settlement job also runs once as it starts (a killed
    // server's successor settles what is due, whatever its interval).
    void settled_by_servers() {
        m_.now = now();
        wait_settled(m_.due());
        m_.settle_due();
    }

    void wait_settled(const std::vector<std::string>& names) {
        for (const auto& name : names) {
            std::string path = "/v1/projects/" + project_ids_.at(name);
            bool done = within(
                60s, [&] { return sut_.read("anyone", path).at("state") != json::value("funding"); }, 50ms);
            if (!done)
                fail("the settlement job did not settle " + name + " (due since " +
                     model::format_time(m_.projects.at(name).settles_at()) + ")");
        }
    }

    // At the end of a history every campaign passes its deadline and its
    // reflection periods, and settles (by the job, or by staff).
    void finish() {
        model::instant last = now();
        for (auto b : m_.boundaries()) last = std::max(last, b);
        travel(clear_of_boundaries(last + 3600));
        m_.now = now();
        if (cfg_.settlement_job) return settled_by_job();
        for (const auto& name : m_.due()) {
            hist::step s{100'000, "settle", {{"project", name}, {"staff", "staff"}, {"key", "final-" + name}}, {}};
            single(*resolve(s), false, false);
        }
    }

    // --- money requests ----------------------------------------------------------
    std::string project_id(const std::string& name) const {
        auto it = project_ids_.find(name);
        return it == project_ids_.end() ? "999999" : it->second;
    }

    // The request a money step sends, and its judge; nothing when a name it
    // needs is gone (its step was removed by shrinking).
    std::optional<resolved> resolve(const hist::step& s) {
        const std::string& op = s.op;
        resolved r;
        r.op = op;
        r.c.key = s.arg("key");
        if (op == "pledge") return pledge(s, r);
        if (op == "revoke") {
            std::string who = s.arg("who"), pledge_name = s.arg("pledge");
            if (!sut_.find(who) || !m_.customers.contains(who)) return std::nullopt;
            auto id = pledge_ids_.find(pledge_name);
            r.c = {who, "POST", "/v1/pledges/" + (id == pledge_ids_.end() ? "999999" : id->second) + "/revoke", "",
                   r.c.key};
            r.judge = [who, pledge_name](model::platform& m, const answer_got&) { return m.revoke(who, pledge_name); };
            return r;
        }
        if (op == "deposit" || op == "payout") return money_movement(s, r);
        if (op == "settle" || op == "cancel" || op == "withdraw") return project_move(s, r);
        if (op == "disburse" || op == "repay" || op == "default") return loan_move(s, r);
        fail("unknown step " + op);
    }

    std::optional<resolved> pledge(const hist::step& s, resolved& r) {
        std::string who = s.arg("who"), project = s.arg("project");
        if (!sut_.find(who) || !m_.customers.contains(who)) return std::nullopt;
        if (project != "p999999" && !project_ids_.contains(project)) return std::nullopt;
        std::string amount = s.arg("amount"), currency = s.arg("currency");
        bool ack = s.arg("ack") == "1";
        r.c = {who, "POST", "/v1/projects/" + project_id(project) + "/pledges",
               "{\"amount_minor\":" + amount + ",\"currency\":" + json::serialize(json::value(currency)) +
                   (ack ? ",\"risk_acknowledged\":true}" : "}"),
               r.c.key};
        r.pledge_name = s.arg("name");
        bool valid = is_positive_integer(amount) && currency.size() == 3 && bookable_currency(currency);
        model::pledge_request q{r.pledge_name, who, project, valid ? std::stoll(amount) : 0, currency, ack};
        r.judge = [this, valid, q](model::platform& m, const answer_got& got) {
            if (!valid) return validation;
            return m.place(q, created_of(got));
        };
        return r;
    }

    // The pledge's creation as the server answers it, which must lie within
    // the time the request was under way.
    model::instant created_of(const answer_got& got) {
        if (got.status != 201 || !got.json.is_object() || !got.json.as_object().contains("created_at")) return got.sent;
        auto created = model::parse_time(std::string(got.json.at("created_at").as_string()));
        if (created < got.sent - 2 || created > got.received + 2) {
            fail("a pledge created at " + model::format_time(created) + ", outside its request (" +
                 model::format_time(got.sent) + " to " + model::format_time(got.received) + ")");
        }
        return created;
    }

    std::optional<resolved> money_movement(const hist::step& s, resolved& r) {
        std::string who = s.arg("who"), staff = s.arg("staff", "staff");
        const person* target = sut_.find(who);
        if (!target || (who != "staff2" && !m_.customers.contains(who))) return std::nullopt;
        std::string amount = s.arg("amount"), currency = s.arg("currency", "EUR");
        r.c = {staff, "POST", "/v1/wallets/" + target->id + (s.op == "deposit" ? "/deposits" : "/payouts"),
               "{\"amount_minor\":" + amount + ",\"currency\":" + json::serialize(json::value(currency)) + "}",
               r.c.key};
        bool shaped = is_positive_integer(amount) && currency.size() == 3;
        bool in = s.op == "deposit";
        std::int64_t value = shaped ? std::stoll(amount) : 0;
        r.judge = [=](model::platform& m, const answer_got&) {
            // The body's shape, then whose wallet, then the currency.
            if (!shaped) return validation;
            if (!m.customers.contains(who)) return model::answer{422, "wallet-not-a-customer"};
            if (!bookable_currency(currency)) return validation;
            return in ? m.deposit(who, value, currency) : m.payout(who, value, currency);
        };
        return r;
    }

    std::optional<resolved> project_move(const hist::step& s, resolved& r) {
        std::string project = s.arg("project");
        if (project != "p999999" && !project_ids_.contains(project)) return std::nullopt;
        std::string path = "/v1/projects/" + project_id(project) + "/" + s.op;
        if (s.op == "withdraw") {
            std::string who = s.arg("who");
            if (!sut_.find(who) || !m_.customers.contains(who)) return std::nullopt;
            r.c = {who, "POST", path, "", r.c.key};
            r.judge = [who, project](model::platform& m, const answer_got&) { return m.withdraw(who, project); };
            return r;
        }
        r.c = {s.arg("staff", "staff"), "POST", path, "", r.c.key};
        if (s.op == "settle") {
            r.judge = [project](model::platform& m, const answer_got&) { return m.settle(project); };
            return r;
        }
        std::string reason = s.arg("reason", "stopped by a history");
        r.c.body = json::serialize(json::object{{"reason", reason}});
        r.judge = [project, reason](model::platform& m, const answer_got&) {
            // An empty reason is refused by the body's reader, before the
            // project and its state are looked at (seed 923375218: a retry
            // of such a cancel after the owner withdrew the campaign).
            if (reason.empty()) return validation;
            return m.cancel(project);
        };
        return r;
    }

    // Staff disburse a funded loan (its schedule must be the model's, made
    // by the rules apart from the product), the borrower or staff repay,
    // staff mark it defaulted.
    std::optional<resolved> loan_move(const hist::step& s, resolved& r) {
        std::string project = s.arg("project");
        if (project != "p999999" && !project_ids_.contains(project)) return std::nullopt;
        std::string id = project_id(project);
        if (s.op == "disburse") {
            r.c = {s.arg("staff", "staff"), "POST", "/v1/projects/" + id + "/disburse", "", r.c.key};
            r.judge = [project](model::platform& m, const answer_got& got) {
                // A first disbursement (its answer maybe replayed to a retry after a fault).
                bool fresh = !m.loans.contains(project);
                auto a = m.disburse(project);
                auto made = m.loans.find(project);
                if (fresh && got.status == 201 && made != m.loans.end()) {
                    std::string wrong;
                    const auto& plan = got.json.at("instalments").as_array();
                    const auto& want = made->second.schedule;
                    if (plan.size() != want.size()) wrong += " " + std::to_string(want.size()) + " instalments";
                    for (std::size_t k = 0; k < plan.size() && k < want.size(); ++k) {
                        if (plan[k].at("no").as_int64() != want[k].no ||
                            plan[k].at("principal_minor").as_int64() != want[k].principal ||
                            plan[k].at("interest_minor").as_int64() != want[k].interest) {
                            wrong += " instalment " + std::to_string(want[k].no) + " principal " +
                                     std::to_string(want[k].principal) + " interest " +
                                     std::to_string(want[k].interest);
                        }
                    }
                    if (got.json.at("principal_minor").as_int64() != made->second.principal)
                        wrong += " principal " + std::to_string(made->second.principal);
                    if (!wrong.empty()) {
                        fail("loan " + project + "'s schedule: the model says" + wrong + "; the server: " + got.body,
                             "schedule");
                    }
                }
                return a;
            };
            return r;
        }
        if (s.op == "default") {
            std::string reason = s.arg("reason", "the borrower stopped paying");
            r.c = {s.arg("staff", "staff"), "POST", "/v1/loans/" + id + "/default",
                   json::serialize(json::object{{"reason", reason}}), r.c.key};
            r.judge = [project, reason](model::platform& m, const answer_got&) {
                return reason.empty() ? validation : m.mark_defaulted(project);
            };
            return r;
        }
        std::string who = s.arg("who"), amount = s.arg("amount");
        if (!sut_.find(who) || (who != "staff" && !m_.customers.contains(who))) return std::nullopt;
        r.c = {who, "POST", "/v1/loans/" + id + "/repayments", "{\"amount_minor\":" + amount + "}", r.c.key};
        bool valid = is_positive_integer(amount);
        std::int64_t value = valid ? std::stoll(amount) : 0;
        r.judge = [=](model::platform& m, const answer_got&) {
            return valid ? m.repay(who, project, value) : validation;
        };
        return r;
    }

    // A retry step: the request first sent under that key, again (the same,
    // with another body, on another route, or by another caller).
    std::optional<resolved> retried(const hist::step& s) {
        auto first = first_steps_.find(s.arg("key"));
        if (first == first_steps_.end()) return std::nullopt; // never sent
        hist::step again = first->second;
        again.args.erase("cut");
        again.args.erase("twice");
        if (again.args.contains("name")) again.args["name"] = "g" + std::to_string(s.n);
        std::string mode = s.arg("mode", "same");
        if (mode == "other_body") {
            if (again.args.contains("amount") && is_positive_integer(again.arg("amount"))) {
                again.args["amount"] = std::to_string(again.number("amount") + 1);
            } else {
                mode = "other_route";
            }
        }
        if (mode == "other_route") {
            // The same caller and key on another money route of theirs.
            if (again.op == "pledge" || again.op == "withdraw" ||
                (again.op == "repay" && again.arg("who") != "staff")) {
                again = {
                    s.n, "revoke", {{"who", again.arg("who")}, {"pledge", "g999999"}, {"key", again.arg("key")}}, {}};
            } else if (again.op == "revoke") {
                again = {s.n,
                         "withdraw",
                         {{"who", again.arg("who")}, {"project", "p999999"}, {"key", again.arg("key")}},
                         {}};
            } else if (again.op == "disburse" || again.op == "default" || again.op == "repay") {
                again.op = "settle";
            } else if (again.op == "settle" || again.op == "cancel") {
                again.op = again.op == "settle" ? "cancel" : "settle";
            } else {
                again.op = again.op == "deposit" ? "payout" : "deposit";
            }
        }
        if (mode == "other_caller") {
            if (again.args.contains("who") && again.op != "deposit" && again.op != "payout") {
                auto others = std::vector<std::string>{};
                for (const auto& [name, c] : m_.customers) {
                    if (name != again.arg("who")) others.push_back(name);
                }
                if (others.empty()) return std::nullopt;
                again.args["who"] = others[static_cast<std::size_t>(s.n) % others.size()];
            } else {
                again.args["staff"] = again.arg("staff", "staff") == "staff" ? "staff2" : "staff";
            }
        }
        return resolve(again);
    }

    // What the model says of a request under a key its caller used before:
    // the first answer again, or a conflict; nothing when the key is fresh
    // (or its earlier requests were refused, which keeps nothing).
    static std::optional<model::answer> kept_answer(const model::platform& m, const call& c) {
        if (c.key.empty()) return std::nullopt;
        auto it = m.kept.find({c.caller, c.key});
        if (it == m.kept.end()) return std::nullopt;
        if (it->second.request != c.request()) return model::answer{409, "idempotency-conflict"};
        return model::success(it->second.status);
    }

    // Judges `got` for `r` against `m`, changing `m` as the request did;
    // empty when the answer is right, else what is wrong.
    static std::string judged(model::platform& m, const resolved& r, const answer_got& got,
                              std::string* signature = nullptr) {
        auto mismatch = [&](const model::answer& expected) {
            if (signature) *signature = r.op + " " + std::to_string(got.status) + " for " + model::to_string(expected);
            return "expected " + model::to_string(expected);
        };
        if (auto kept = kept_answer(m, r.c)) {
            if (got.as_model() != *kept) return mismatch(*kept);
            if (kept->status < 300) {
                const auto& first = m.kept.at({r.c.caller, r.c.key});
                if (!got.replayed) return "expected the first answer replayed";
                if (got.body != first.body) return "a replay with another body than the first answer: " + first.body;
            }
            return "";
        }
        model::platform before = m;
        model::answer expected;
        try {
            expected = r.judge(m, got);
        } catch (const violation& v) {
            m = std::move(before);
            return v.what();
        }
        if (got.as_model() != expected) {
            m = std::move(before);
            return mismatch(expected);
        }
        if (got.status < 300 && !r.c.key.empty()) m.kept[{r.c.caller, r.c.key}] = {r.c.request(), got.status, got.body};
        return "";
    }

    answer_got timed_send(const call& c, int slot, bool cut) {
        model::instant sent = now();
        auto a = sut_.send(c, slot, cut);
        a.sent = sent;
        a.received = now();
        return a;
    }

    void remember(const resolved& r, const answer_got& got) {
        if (!first_steps_.contains(r.c.key) && current_ && current_->op != "retry") first_steps_[r.c.key] = *current_;
        // A retry's name for a pledge made before names the first one.
        if (!r.pledge_name.empty() && got.status == 201) {
            pledge_ids_.try_emplace(r.pledge_name, std::string(got.json.at("id").as_string()));
            check_pledge_answer(r.pledge_name, got);
        }
    }

    // A new pledge's answer: what was asked, held, revocable for exactly the
    // reflection period (or not at all for a sophisticated investor).
    void check_pledge_answer(const std::string& name, const answer_got& got) {
        auto found = m_.pledges.find(name);
        if (found == m_.pledges.end()) return;
        const auto& g = found->second;
        const auto& o = got.json.as_object();
        std::string wrong;
        if (o.at("amount_minor").as_int64() != g.amount) wrong += " amount";
        if (o.at("state") != json::value("held")) wrong += " state";
        const auto& until = o.at("revocable_until");
        if (g.revocable_until) {
            bool exact = until.is_string() && model::parse_time(std::string(until.as_string())) == *g.revocable_until;
            if (!exact && !(until.is_string() && model::ambiguous_local_add(g.created, model::reflection_days))) {
                wrong += " revocable_until (expected " + model::format_time(*g.revocable_until) + ")";
            }
        } else if (!until.is_null()) {
            wrong += " revocable_until (expected none)";
        }
        if (!wrong.empty()) fail("pledge " + name + " answered with a wrong" + wrong + ": " + got.body);
    }

    // One request (or the same one twice at once on two connections).
    void single(const resolved& r, bool cut, bool twice) {
        if (twice) return duplicate(r);
        auto got = timed_send(r.c, 0, cut);
        std::string signature;
        auto wrong = judged(m_, r, got, &signature);
        if (!wrong.empty()) fail(describe(r.c, got) + ": " + wrong + "\n" + got.body, signature);
        counts_.answered(r.op + (got.replayed ? " (replayed)" : ""), got.as_model());
        remember(r, got);
    }

    // The same request under the same key on two connections at once: one
    // is served, the other gets its answer replayed or a conflict while it
    // runs; a refusal keeps nothing, so both may be refused alike.
    void duplicate(const resolved& r) {
        phase_ = "twice";
        answer_got a, b;
        std::thread other([&] { b = timed_send(r.c, 1, false); });
        a = timed_send(r.c, 0, false);
        other.join();
        bool first_is_a = !(a.replayed || a.slug == "idempotency-conflict");
        const answer_got& fresh = first_is_a ? a : b;
        const answer_got& second = first_is_a ? b : a;
        std::string signature;
        auto wrong = judged(m_, r, fresh, &signature);
        if (!wrong.empty()) {
            fail(describe(r.c, fresh) + " (sent twice at once): " + wrong + "\n" + fresh.body, signature);
        }
        remember(r, fresh);
        bool second_ok = second.slug == "idempotency-conflict" ||
                         (fresh.status < 300 && second.replayed && second.body == fresh.body) ||
                         (fresh.status >= 400 && second.as_model() == fresh.as_model()) ||
                         (fresh.status >= 400 && second.status < 300);
        if (fresh.status >= 400 && second.status < 300 && !second.replayed) {
            // Judged afresh after the first was refused: the model must agree.
            auto again = judged(m_, r, second);
            if (!again.empty()) fail(describe(r.c, second) + " (the second of two): " + again);
            remember(r, second);
        }
        if (!second_ok) {
            fail("the same request twice at once: " + describe(r.c, fresh) + " and " + describe(r.c, second));
        }
    }

    // Requests from different clients at once (and perhaps a fault while
    // they run): their answers must be those of some order of them.
    void burst(const hist::step& s) {
        phase_ = "burst";
        ++counts_.bursts;
        std::vector<resolved> parts;
        for (const auto& part : s.parts) {
            if (auto r = resolve(part)) parts.push_back(std::move(*r));
        }
        if (parts.empty()) return;
        std::vector<answer_got> got(parts.size());
        // All to one server (its pledges may then share one transaction), or each to either.
        std::optional<std::size_t> one_server;
        if (s.arg("server") != "") one_server = static_cast<std::size_t>(s.number("server"));
        std::atomic<int> sent{0};
        std::vector<std::thread> threads;
        model::instant at = now();
        for (std::size_t i = 0; i < parts.size(); ++i) {
            threads.emplace_back([&, i] {
                try {
                    ++sent;
                    got[i] = sut_.send(parts[i].c, static_cast<int>(i) + 1, false, one_server);
                } catch (const std::exception& e) {
                    got[i].status = -1;
                    got[i].body = e.what();
                }
            });
        }
        std::string fault = s.arg("fault");
        if (!fault.empty()) {
            within(5s, [&] { return sent == static_cast<int>(parts.size()); });
            if (fault == "crash") sut_.crash();
            else sut_.kill(fault == "kill:1" ? 1 : 0);
        }
        for (auto& t : threads) t.join();
        for (auto& g : got) {
            g.sent = at;
            g.received = now();
            if (g.status == -1) fail("a request of a burst got no answer: " + g.body);
        }
        if (fault.starts_with("kill") && !m_.due().empty()) {
            // The new server's job settles what is due, before, between or
            // after the burst's requests: one more member of the order.
            wait_settled(m_.due());
            resolved job;
            job.c = {"(the settlement job)", "", "", "", ""};
            job.judge = [](model::platform& m, const answer_got&) {
                m.settle_due();
                return model::success(200);
            };
            parts.push_back(job);
            got.push_back({});
            got.back().status = 200;
        }
        linearize(parts, got);
        const hist::step* saved = current_;
        current_ = nullptr; // a part's key is not retried on its own
        for (std::size_t i = 0; i < parts.size(); ++i) remember(parts[i], got[i]);
        current_ = saved;
    }

    // Finds an order of the burst's requests in which the model answers each
    // as the server did, and takes the model through it.
    void linearize(const std::vector<resolved>& parts, const std::vector<answer_got>& got) {
        std::vector<std::size_t> order(parts.size());
        std::iota(order.begin(), order.end(), 0);
        std::string first_try, first_signature;
        do {
            model::platform m = m_;
            std::string wrong, signature;
            for (auto i : order) {
                wrong = judged(m, parts[i], got[i], &signature);
                if (!wrong.empty()) {
                    wrong = describe(parts[i].c, got[i]) + ": " + wrong;
                    break;
                }
            }
            if (wrong.empty()) {
                m_ = std::move(m);
                if (!first_try.empty()) ++counts_.reordered;
                for (std::size_t i = 0; i < parts.size(); ++i) {
                    if (!parts[i].c.key.empty()) counts_.answered(parts[i].op + " (burst)", got[i].as_model());
                }
                return;
            }
            if (first_try.empty()) {
                first_try = wrong;
                first_signature = signature;
            }
        } while (std::next_permutation(order.begin(), order.end()));
        std::string all;
        for (std::size_t i = 0; i < parts.size(); ++i) all += "\n  " + describe(parts[i].c, got[i]);
        fail("no order of a burst's requests gives its answers:" + all + "\nin the order sent: " + first_try,
             burst_signature(parts, got, first_signature));
    }

    // A burst's wrong answers that no order explains (its 5xx), or else the
    // first wrong one in the order sent.
    std::string burst_signature(const std::vector<resolved>& parts, const std::vector<answer_got>& got,
                                const std::string& first) const {
        std::vector<std::string> failed;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            model::platform m = m_;
            std::string signature;
            if (got[i].status >= 500 && !judged(m, parts[i], got[i], &signature).empty()) failed.push_back(signature);
        }
        if (failed.empty()) return first;
        std::sort(failed.begin(), failed.end());
        failed.erase(std::unique(failed.begin(), failed.end()), failed.end());
        std::string out;
        for (const auto& f : failed) out += (out.empty() ? "" : " | ") + f;
        return out;
    }

    // --- the books ---------------------------------------------------------------
    void check_books() {
        phase_ = "books";
        m_.now = now();
        auto verify = sut_.read("auditor", "/v1/ledger/verify");
        if (verify.at("ok") != true) fail("the ledger does not verify: " + json::serialize(verify));
        auto trial = sut_.read("auditor", "/v1/ledger/trial-balance");
        if (trial.at("balanced") != true) fail("the trial balance does not balance: " + json::serialize(trial));
        check_wallets();
        check_projects();
        check_loans();
        check_database();
    }

    // Every loan's schedule as paid, and each lender's share and what came back.
    void check_loans() {
        for (const auto& [name, l] : m_.loans) {
            auto got = sut_.read("staff", "/v1/loans/" + project_ids_.at(name));
            const auto& o = got.as_object();
            std::string wrong;
            if (o.at("state") != json::value(l.state)) wrong += " state " + l.state;
            if (o.at("owed_minor").as_int64() != l.owed()) wrong += " owed " + std::to_string(l.owed());
            const auto& plan = o.at("instalments").as_array();
            for (std::size_t k = 0; k < plan.size() && k < l.schedule.size(); ++k) {
                const auto& i = l.schedule[k];
                if (plan[k].at("paid_minor").as_int64() != i.principal_paid + i.interest_paid) {
                    wrong += " instalment " + std::to_string(i.no) + " paid " +
                             std::to_string(i.principal_paid + i.interest_paid);
                }
            }
            const auto& lenders = o.at("lenders").as_array();
            if (lenders.size() != l.lenders.size()) wrong += " " + std::to_string(l.lenders.size()) + " lenders";
            for (std::size_t k = 0; k < lenders.size() && k < l.lenders.size(); ++k) {
                const auto& x = l.lenders[k];
                const auto& y = lenders[k];
                if (y.at("lender_id") != json::value(std::to_string(m_.customers.at(x.who).id)) ||
                    y.at("share_minor").as_int64() != x.share ||
                    y.at("principal_received_minor").as_int64() != x.principal_received ||
                    y.at("interest_received_minor").as_int64() != x.interest_received) {
                    wrong += " lender " + x.who + " (share " + std::to_string(x.share) + ", principal back " +
                             std::to_string(x.principal_received) + ", interest " +
                             std::to_string(x.interest_received) + ")";
                }
            }
            if (!wrong.empty())
                fail("loan " + name + ": the model says" + wrong + "; the server: " + json::serialize(got));
        }
    }

    void check_wallets() {
        for (const auto& [name, c] : m_.customers) {
            for (const char* currency : {"EUR", "CHF"}) {
                auto w = sut_.read(name, std::string("/v1/wallet?currency=") + currency);
                const model::wallet* mw = m_.find_wallet(name, currency);
                model::wallet expected = mw ? *mw : model::wallet{};
                std::int64_t balance = w.at("balance_minor").as_int64(), held = w.at("held_minor").as_int64(),
                             available = w.at("available_minor").as_int64();
                if (available < 0) fail("wallet of " + name + " overdrawn: " + json::serialize(w));
                if (balance != expected.balance || held != expected.held || available != expected.available()) {
                    fail("wallet of " + name + " in " + currency + ": the server says " + json::serialize(w) +
                         ", the model balance " + std::to_string(expected.balance) + " held " +
                         std::to_string(expected.held));
                }
            }
        }
    }

    void check_projects() {
        for (const auto& [name, p] : m_.projects) {
            auto got = sut_.read("anyone", "/v1/projects/" + project_ids_.at(name));
            const auto& o = got.as_object();
            std::string wrong;
            if (o.at("state") != json::value(p.state)) wrong += " state";
            // An older build kept a failed campaign's counters (zeroed since 7419c03).
            bool counters = !(sut_.cluster_.legacy() && p.state == "failed");
            if (counters && o.at("pledged_minor").as_int64() != p.pledged) {
                wrong += " pledged_minor " + std::to_string(p.pledged);
            }
            if (counters && o.at("backers").as_int64() != p.backers) wrong += " backers " + std::to_string(p.backers);
            if (o.contains("settles_at") && p.state == "funding" &&
                model::parse_time(std::string(o.at("settles_at").as_string())) != p.settles_at()) {
                wrong += " settles_at " + model::format_time(p.settles_at());
            }
            if (!wrong.empty()) {
                fail("project " + name + " (" + p.kind + ", " + p.mode + ", goal " + std::to_string(p.goal) +
                     "): the model says" + wrong + "; the server: " + json::serialize(got));
            }
        }
    }

    // The ledger's and the pledges' rows: each pledge once in the state the
    // model says, each escrow exactly its live holds, fees as taken, and
    // the rules that hold whatever the model: postings sum to zero, no
    // wallet below zero, no pledge posted within its reflection period, no
    // campaign funded short of its goal.
    void check_database() {
        pqxx::connection c(sut_.url());
        pqxx::nontransaction tx(c);
        std::map<std::string, std::string> states;
        for (const auto& row : tx.exec("SELECT id, state::text FROM pledges")) {
            states[row[0].as<std::string>()] = row[1].as<std::string>();
        }
        std::set<std::string> known;
        for (const auto& [name, id] : pledge_ids_) {
            known.insert(id);
            auto g = m_.pledges.find(name);
            if (g == m_.pledges.end()) continue; // a retry's name for a pledge made before
            auto s = states.find(id);
            if (s == states.end()) fail("pledge " + name + " (" + id + ") was acknowledged but is not stored");
            if (s->second != model::to_string(g->second.state)) {
                fail("pledge " + name + " is " + s->second + ", the model says " + model::to_string(g->second.state));
            }
        }
        for (const auto& [id, state] : states) {
            if (!known.contains(id)) fail("pledge " + id + " (" + state + ") is stored but no request was told so");
        }
        std::map<std::string, std::string> name_of;
        for (const auto& [name, id] : project_ids_) name_of[id] = name;
        for (const auto& row : tx.exec("SELECT code, debits_posted, credits_posted, debits_pending, credits_pending "
                                       "FROM ledger_accounts WHERE code LIKE 'escrow:%' OR code LIKE 'wallet:%' "
                                       "OR code LIKE 'income:fees:%'")) {
            std::string code = row[0].as<std::string>();
            std::int64_t dp = row[1].as<std::int64_t>(), cp = row[2].as<std::int64_t>(), dh = row[3].as<std::int64_t>(),
                         ch = row[4].as<std::int64_t>();
            if (code.starts_with("wallet:") && dp + dh > cp) fail("wallet account " + code + " below zero");
            if (code.starts_with("income:fees:")) {
                auto currency = code.substr(std::string("income:fees:").size());
                std::int64_t expected = m_.fees.contains(currency) ? m_.fees.at(currency) : 0;
                if (cp - dp != expected) {
                    fail("fee income " + std::to_string(cp - dp) + ", the model says " + std::to_string(expected));
                }
            }
            if (code.starts_with("escrow:")) {
                auto id = code.substr(7, code.rfind(':') - 7);
                if (!name_of.contains(id)) continue;
                const auto& p = m_.projects.at(name_of.at(id));
                if (ch - dh != p.escrow_held || cp - dp != p.escrow_posted) {
                    fail("escrow of " + name_of.at(id) + ": held " + std::to_string(ch - dh) + " posted " +
                         std::to_string(cp - dp) + ", the model says held " + std::to_string(p.escrow_held) +
                         " posted " + std::to_string(p.escrow_posted));
                }
                auto live = tx.exec1("SELECT coalesce(sum(amount_minor), 0)::bigint FROM pledges WHERE state = 'held' "
                                     "AND project_id = " +
                                     id)[0]
                                .as<std::int64_t>();
                if (live != ch - dh) {
                    fail("escrow of " + name_of.at(id) + " holds " + std::to_string(ch - dh) +
                         " pending, its held "
                         "pledges " +
                         std::to_string(live));
                }
            }
        }
        for (const auto& row : tx.exec("SELECT currency, sum(CASE side WHEN 'debit' THEN amount_minor ELSE "
                                       "-amount_minor END)::bigint FROM ledger_postings GROUP BY currency")) {
            if (row[1].as<std::int64_t>() != 0) fail("postings in " + row[0].as<std::string>() + " do not sum to zero");
        }
        auto early =
            tx.exec1("SELECT count(*) FROM pledges WHERE state::text IN ('posted', 'refunded') AND revocable_until "
                     "IS NOT NULL AND resolved_at < revocable_until")[0]
                .as<int>();
        if (early > 0) fail(std::to_string(early) + " pledge(s) posted inside their reflection period");
        auto short_funded = tx.exec(
            "SELECT p.id FROM projects p WHERE p.state = 'funded' AND p.campaign_mode = 'all_or_nothing' AND "
            "(SELECT coalesce(sum(amount_minor), 0) FROM pledges g WHERE g.project_id = p.id AND g.state::text IN "
            "('posted', 'refunded')) < p.goal_minor");
        if (!short_funded.empty()) {
            fail("campaign " + name_of[short_funded[0][0].as<std::string>()] +
                 " funded with posted pledges short of its goal");
        }
    }

    hist::config cfg_;
    tally& counts_;
    platform_under_test sut_;
    model::platform m_;
    model::instant anchor_platform_ = 0;
    steady::time_point anchor_steady_;
    std::map<std::string, std::string> project_ids_, pledge_ids_;
    std::map<std::string, hist::step> first_steps_; // the step that first sent a key
    const hist::step* current_ = nullptr;
    std::string phase_ = "set-up";
};

// --- histories, shrinking, reports -------------------------------------------------

struct outcome {
    std::optional<std::string> violation;
    std::string signature; // phase and kind of wrong
    std::string logs;
};

outcome run_once(cluster& c, hist::recorded& h, bool generate, tally& counts) {
    ++counts.histories;
    runner r(c, h.cfg, counts);
    try {
        if (generate) {
            hist::generator g(h.cfg);
            h.steps = g.opening();
            r.run(h.steps, &g);
        } else {
            r.run(h.steps, nullptr);
        }
        return {};
    } catch (const violation& v) {
        return {v.what(), r.phase() + ": " + v.signature, r.logs()};
    }
}

// Drops steps (halves, then quarters, … then single steps, and a burst's
// parts) while the history still fails the same way (its signature); within `budget`.
hist::recorded shrink(cluster& c, hist::recorded failing, const std::string& signature, tally& counts,
                      std::chrono::seconds budget, std::string& last_violation) {
    auto deadline = steady::now() + budget;
    // A race may not come again on the first try: a burst's failure is
    // given three.
    int tries = signature.starts_with("burst") || signature.starts_with("twice") ? 3 : 1;
    auto fails = [&](hist::recorded& candidate) {
        for (int attempt = 0; attempt < tries; ++attempt) {
            if (steady::now() > deadline) return false;
            auto o = run_once(c, candidate, false, counts);
            if (o.violation && o.signature == signature) {
                last_violation = *o.violation;
                return true;
            }
        }
        return false;
    };
    for (std::size_t chunk = std::max<std::size_t>(1, failing.steps.size() / 2); chunk >= 1; chunk /= 2) {
        for (std::size_t from = 0; from < failing.steps.size() && steady::now() < deadline;) {
            hist::recorded candidate = failing;
            auto end = std::min(failing.steps.size(), from + chunk);
            candidate.steps.erase(candidate.steps.begin() + static_cast<long>(from),
                                  candidate.steps.begin() + static_cast<long>(end));
            if (fails(candidate)) failing = std::move(candidate);
            else from += chunk;
        }
        if (chunk == 1) break;
    }
    for (std::size_t i = 0; i < failing.steps.size() && steady::now() < deadline; ++i) {
        for (std::size_t k = 0; k < failing.steps[i].parts.size() && failing.steps[i].parts.size() > 1;) {
            hist::recorded candidate = failing;
            candidate.steps[i].parts.erase(candidate.steps[i].parts.begin() + static_cast<long>(k));
            if (fails(candidate)) failing = std::move(candidate);
            else ++k;
        }
    }
    return failing;
}

// The "# signature: …" line of a saved history, if any.
std::string signature_in(const std::string& text) {
    const std::string tag = "# signature: ";
    auto at = text.find(tag);
    if (at == std::string::npos) return "";
    auto end = text.find('\n', at);
    return text.substr(at + tag.size(), end - at - tag.size());
}

// Every line of `text` as a comment of a history file.
std::string commented(const std::string& text) {
    std::string out = "# ";
    for (char ch : text) out += ch == '\n' ? std::string("\n# ") : std::string(1, ch);
    return out + "\n";
}

// The settings a replay needs besides the seed or file.
std::string replay_env(const options& o) {
    std::string out;
    for (const char* name : {"SCHWARM_TEST_HISTORY_STEPS", "SCHWARM_TEST_HISTORY_FAULTS", "SCHWARM_TEST_HISTORY_OPS",
                             "SCHWARM_TEST_HISTORY_LEGACY", "SCHWARM_TEST_BINARY"}) {
        if (std::string value = env_or(name, "");
            !value.empty() && (o.legacy || std::string(name) != "SCHWARM_TEST_BINARY")) {
            out += std::string(name) + "=" + value + " ";
        }
    }
    return out;
}

std::string saved_history_path(std::uint64_t seed) {
    return std::string(SCHWARM_BUILD_DIR) + "/histories/failed-" + std::to_string(seed) + ".txt";
}

void report(cluster& c, hist::recorded failing, const outcome& first, tally& counts, const options& o) {
    const std::string& first_violation = *first.violation;
    const std::string& logs = first.logs;
    std::string last = first_violation;
    auto shrunk = shrink(c, failing, first.signature, counts, std::chrono::seconds(o.shrink_seconds), last);
    std::filesystem::create_directories(std::string(SCHWARM_BUILD_DIR) + "/histories");
    std::string path = saved_history_path(failing.cfg.seed);
    std::ofstream(path) << "# signature: " << first.signature << "\n" << commented(last) << hist::print(shrunk);
    std::string env = replay_env(o);
    std::printf("HISTORY VIOLATION seed=%llu (%s)\n%s\n\nShrunk from %zu to %zu steps; it fails with:\n%s\n\n%s\n"
                "Replay the seed:    %sSCHWARM_TEST_HISTORY_SEED=%llu ./test.sh -R 'histories: random'\n"
                "Replay the history: %sSCHWARM_TEST_HISTORY_FILE=%s ./test.sh -R 'histories: random'\n"
                "Server logs (tail):\n%s\n",
                static_cast<unsigned long long>(failing.cfg.seed), first.signature.c_str(), first_violation.c_str(),
                failing.steps.size(), shrunk.steps.size(), last.c_str(), hist::print(shrunk).c_str(), env.c_str(),
                static_cast<unsigned long long>(failing.cfg.seed), env.c_str(), path.c_str(), logs.c_str());
    std::fflush(stdout);
    FAIL("history of seed " << failing.cfg.seed << " violated: " << first_violation << "\nshrunk:\n"
                            << hist::print(shrunk));
}

void summary(tally& t, int violations, steady::time_point began) {
    {
        std::lock_guard lock(t.mutex);
        std::printf("answers of money requests (op, status, problem: how many):\n");
        for (const auto& [what, n] : t.answers) std::printf("  %-60s %d\n", what.c_str(), n);
    }
    std::printf(
        "HISTORIES histories=%d steps=%d requests=%d bursts=%d reordered=%d faults=%d retried=%d violations=%d "
        "seconds=%lld\n",
        t.histories.load(), t.steps.load(), t.requests.load(), t.bursts.load(), t.reordered.load(), t.faults.load(),
        t.retried.load(), violations,
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(steady::now() - began).count()));
    std::fflush(stdout);
}

} // namespace

TEST_CASE("histories: random money histories keep the books", "[e2e][histories]") {
    auto o = options::from_env();
    cluster c(o.legacy);
    tally counts;
    auto began = steady::now();
    if (!o.file.empty()) {
        std::ifstream in(o.file);
        REQUIRE(in);
        std::stringstream text;
        text << in.rdbuf();
        auto h = hist::parse(text.str());
        // A history saved by a failure says how it failed; a race may need
        // a few runs to come again.
        std::string wanted = signature_in(text.str());
        outcome result;
        for (int attempt = 0; attempt < (wanted.empty() ? 1 : 5); ++attempt) {
            result = run_once(c, h, false, counts);
            if (wanted.empty() || result.signature == wanted) break;
        }
        summary(counts, result.violation ? 1 : 0, began);
        if (result.violation) report(c, h, result, counts, o);
        return;
    }
    std::uint64_t seed = o.seed.value_or(o.first_seed.value_or(std::random_device{}()));
    do {
        hist::recorded h{hist::config_for(seed, o.base), {}};
        if (o.legacy) h.cfg.settlement_job = true;
        std::printf("history seed=%llu fee_bp=%d chunk=%d job=%d owner_limit=%lld project_limit=%lld\n",
                    static_cast<unsigned long long>(seed), h.cfg.fee_bp, h.cfg.settlement_chunk,
                    h.cfg.settlement_job ? 1 : 0, static_cast<long long>(h.cfg.owner_limit_minor),
                    static_cast<long long>(h.cfg.project_limit_minor));
        std::fflush(stdout);
        auto result = run_once(c, h, true, counts);
        if (result.violation) {
            summary(counts, 1, began);
            report(c, h, result, counts, o);
        }
        ++seed;
    } while (!o.seed && steady::now() - began < std::chrono::seconds(o.seconds));
    summary(counts, 0, began);
    CHECK(counts.histories.load() > 0);
    CHECK(counts.steps.load() > 0);
}

// Each history that found a bug (tests/api/histories/, with what it found),
// replayed as it was shrunk: fixed, it must pass. A race is given three runs
// to come again.
TEST_CASE("histories: the histories that found bugs pass", "[e2e][histories]") {
    cluster c(false);
    tally counts;
    int replayed = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(SCHWARM_SOURCE_DIR) + "/tests/api/histories")) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        for (int run = 0; run < 3; ++run) {
            auto h = hist::parse(text.str());
            auto result = run_once(c, h, false, counts);
            INFO(entry.path().filename().string() << ", run " << run + 1 << ":\n" << result.violation.value_or(""));
            CHECK_FALSE(result.violation.has_value());
        }
        ++replayed;
    }
    CHECK(replayed >= 3);
    CHECK(counts.steps.load() > 0);
}
