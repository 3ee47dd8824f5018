// schwarm: the HTTPS server and its command line. The only place that wires
// the modules together.
#include "base/audit.hpp"
#include "base/crypto.hpp"
#include "base/log.hpp"
#include "base/migrate.hpp"
#include "http/risk_transport.hpp"
#include "http/webhook_client.hpp"
#include "jobs/maintenance.hpp"
#include "jobs/webhooks.hpp"
#include "ledger/export.hpp"
#include "ledger/ledger.hpp"
#include "ledger/seal.hpp"
#include "pipeline/server.hpp"
#include "platform/settlement.hpp"
#include "platform/users.hpp"
#include "risk/risk.hpp"
#include "voting/pabulib.hpp"
#include "voting/tally.hpp"
#include "voting/tally_cli.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <malloc.h>
#include <map>
#include <set>
#include <thread>

namespace {

using namespace schwarm;

constexpr int exit_usage = 2;
constexpr int mmap_threshold_bytes = 1 << 20;
constexpr int exit_failure = 1;

constexpr const char* usage =
    "usage: schwarm [serve]                      run the HTTPS server (applies pending migrations)\n"
    "       schwarm migrate                      apply pending migrations and exit\n"
    "       schwarm user create --email E --role customer|staff|auditor|admin\n"
    "                           [--display-name N] --password-stdin\n"
    "       schwarm tally FILE.pb [--rule R] [--json | --explain] [--strict] [options]\n"
    "                                            count a pabulib file by the rule its META names (or R); prints\n"
    "                                            the selected project ids. R: greedy, greedy-no-skip,\n"
    "                                            greedy-threshold, greedy-exclusive, mes, mes-add1, mes-add1-greedy,\n"
    "                                            equalshares, equalshares-comparison, equalshares/add1,\n"
    "                                            equalshares/add1-comparison. Options: --utility cost|approval,\n"
    "                                            --completion none|utilitarian|add1|add1e|add1u|add1eu,\n"
    "                                            --add1-integral yes|no, --add1-exhaustive yes|no, --add1-increment "
    "A,\n"
    "                                            --add1-steps-max N, --comparison none|satisfaction|exclusion-ratio,\n"
    "                                            --tie-break max-votes,min-cost,max-cost,max-points,order|none,\n"
    "                                            --tie-order ID,..., --refuse-ties, --min-votes N, --min-score N,\n"
    "                                            --min-share-per-cost F, --exclude ID,..., --exclusive ID,ID "
    "(docs/voting.md)\n"
    "       schwarm ledger export --format csv|jsonl|hledger|gobd [--from T] [--to T] [--output FILE]\n"
    "       schwarm ledger verify                recompute balances (exit status 1 on a discrepancy)\n"
    "       schwarm ledger trial-balance [--as-of T]\n"
    "       schwarm outbox [--all] [--limit N]   messages to people waiting to be delivered (--all: sent too)\n"
    "       schwarm outbox sent ID               mark a message delivered\n"
    "       schwarm clock [travel --to T]        the platform clock; travel only on a test cluster\n"
    "       schwarm routes [--money]             print the route table (--money: the routes that move money)\n"
    "Configuration comes from the environment; see README.md.\n";

config load_or_exit() {
    try {
        config cfg = load_config(environment());
        db::set_time_zone(cfg.time_zone);
        return cfg;
    } catch (const config_error& e) {
        std::fprintf(stderr, "schwarm: configuration: %s\n", e.what());
        std::exit(exit_usage);
    }
}

// The schema's owner migrates (docs/operations.md): SCHWARM_MIGRATION_DATABASE_URL,
// or DATABASE_URL where one role does both.
const std::string& owner_url(const config& cfg) {
    return cfg.migration_database_url.empty() ? cfg.database_url : cfg.migration_database_url;
}

int migrate(const config& cfg) {
    auto connection = db::connect(owner_url(cfg));
    int applied = migrations::apply(*connection, migrations::bundled());
    log::info("migrations current", {{"applied", applied}});
    return 0;
}

int serve(const config& cfg) {
    // Password hashing allocates 19 MiB a hash (Argon2id). Once such a block
    // is freed, glibc raises its mmap threshold above it and keeps the next
    // ones in the heap of whichever worker thread hashed, so memory grew
    // with every worker that ever hashed; a fixed threshold makes large
    // blocks mmap'd and given back when freed (bench/RESULTS.md).
    mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes);
    if (cfg.tls_cert_path.empty()) {
        std::fprintf(stderr, "schwarm: configuration: SCHWARM_TLS_CERT and SCHWARM_TLS_KEY must be set "
                             "(./run.sh makes a self-signed pair for localhost)\n");
        return exit_usage;
    }
    if (cfg.ballot_key.empty()) {
        std::fprintf(stderr, "schwarm: configuration: SCHWARM_BALLOT_KEY must be set: at least 32 random characters, "
                             "the same for every server of one database (./run.sh makes one)\n");
        return exit_usage;
    }
    migrate(cfg);
    auto tls = api::make_tls_context(cfg.tls_cert_path, cfg.tls_key_path);
    db::pool pool(cfg.database_url, cfg.db_workers, static_cast<std::size_t>(cfg.db_queue_max));
    api::service app(cfg, pool);

    // Risk: the gate the lifecycle and pledges ask, and the worker that runs
    // credit checks on threads and a connection of its own (outbound calls
    // never on the I/O threads, never inside a transaction).
    auto risk_settings = risk::from_config(cfg);
    risk::gate risk_gate(risk_settings);
    risk_port::bind(&risk_gate);
    std::shared_ptr<risk::transport> bureau;
    if (std::find(risk_settings.providers.begin(), risk_settings.providers.end(), "webhook") !=
        risk_settings.providers.end()) {
        try {
            bureau = std::make_shared<api::https_transport>(cfg.risk_bureau_url, cfg.risk_bureau_ca_path,
                                                            cfg.risk_response_limit_bytes);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "schwarm: configuration: %s\n", e.what());
            return exit_usage;
        }
    }
    risk::check_worker risk_checks(risk_settings, cfg.database_url, bureau);
    risk_checks.start();

    // Followers' webhooks: deliveries on sender threads with connections of
    // their own (outbound calls never on the I/O threads, never inside a
    // transaction).
    std::shared_ptr<api::webhook_client> webhook_client;
    try {
        webhook_client = std::make_shared<api::webhook_client>(cfg.webhook_ca_path, cfg.webhook_allow_private,
                                                               cfg.webhook_timeout_ms);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "schwarm: configuration: %s\n", e.what());
        risk_checks.stop();
        return exit_usage;
    }
    jobs::webhook_sender webhook_senders(cfg, webhook_client);
    webhook_senders.start();

    // Read replicas, when configured: watched, and used by the read routes.
    std::unique_ptr<api::replica_set> replicas;
    if (!cfg.read_database_urls.empty()) {
        replicas = std::make_unique<api::replica_set>(cfg);
        replicas->start();
        app.replicas = replicas.get();
    }

    api::net::io_context ioc(cfg.io_threads);
    auto async_db = api::make_async_db(ioc, cfg); // token lookups on the I/O threads; dies before ioc
    app.async_db = async_db.get();
    auto server = std::make_shared<api::listener>(ioc, tls, app);
    server->run();
    log::info("listening", {{"address", cfg.listen_address}, {"port", server->port()}});

    // Background work on a thread and connection of its own, so it neither
    // takes request capacity nor piles up behind it: seal new entries into
    // the hash chain (one process at a time, an advisory lock) and void
    // expired holds (rows claimed with SKIP LOCKED).
    std::atomic<bool> maintenance_stop{false};
    std::thread maintenance([&] { jobs::run_maintenance(cfg, maintenance_stop); });

    // On SIGINT/SIGTERM: stop accepting, let in-flight requests finish, then
    // stop once every connection is gone or the grace period is over.
    api::net::signal_set signals(ioc, SIGINT, SIGTERM);
    api::net::steady_timer drain(ioc);
    auto deadline = std::chrono::steady_clock::time_point::max();
    std::function<void()> poll_drained = [&] {
        if (app.connections.load() == 0 || std::chrono::steady_clock::now() >= deadline) return ioc.stop();
        drain.expires_after(std::chrono::milliseconds(20));
        drain.async_wait([&](boost::system::error_code) { poll_drained(); });
    };
    signals.async_wait([&](boost::system::error_code ec, int signal) {
        if (ec) return;
        log::info("shutting down", {{"signal", signal}, {"connections", app.connections.load()}});
        server->shutdown();
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg.shutdown_grace_ms);
        poll_drained();
    });

    std::vector<std::thread> threads;
    for (int i = 1; i < cfg.io_threads; ++i) threads.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : threads) t.join();
    maintenance_stop = true;
    maintenance.join();
    webhook_senders.stop();
    risk_checks.stop();
    if (replicas) replicas->stop();
    pool.stop();
    risk_port::bind(nullptr);
    log::info("stopped");
    return 0;
}

int create_user(const config& cfg, int argc, char** argv) {
    std::string email, role_name, display_name;
    bool password_stdin = false;
    for (int i = 3; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--email") email = value();
        else if (arg == "--role") role_name = value();
        else if (arg == "--display-name") display_name = value();
        else if (arg == "--password-stdin") password_stdin = true;
        else throw std::invalid_argument("unknown option " + arg);
    }
    auto r = users::parse_role(role_name);
    if (email.empty() || !r || !password_stdin)
        throw std::invalid_argument("--email, --role and --password-stdin are required");
    std::string password;
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (display_name.empty()) display_name = email.substr(0, email.find('@'));

    auto connection = db::connect(cfg.database_url);
    pqxx::work tx(*connection);
    users::user created = users::create(tx, {email, password, display_name}, *r, "cli-" + crypto::random_hex(8),
                                        users::created_via::command_line);
    tx.commit();
    std::printf("created user %s (%s) with role %s\n", created.id.str().c_str(), created.email.c_str(),
                std::string(users::to_string(created.role_)).c_str());
    return 0;
}

int tally(int argc, char** argv) {
    return voting::tally_command(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
}

// Options of the form --name value, from argv[first] on.
std::map<std::string, std::string> options_from(int argc, char** argv, int first, const std::set<std::string>& known) {
    std::map<std::string, std::string> out;
    for (int i = first; i < argc; ++i) {
        std::string arg = argv[i];
        if (!known.contains(arg)) throw std::invalid_argument("unknown option " + arg);
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        out[arg] = argv[++i];
    }
    return out;
}

using snapshot = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>;

int ledger_command(const config& cfg, int argc, char** argv) {
    std::string what = argc > 2 ? argv[2] : "";
    if (what == "export") {
        auto opts = options_from(argc, argv, 3, {"--format", "--from", "--to", "--output"});
        auto format = ledger::parse_export_format(opts["--format"]);
        if (!format) throw std::invalid_argument("--format must be csv, jsonl, hledger or gobd");
        std::FILE* out = stdout;
        if (!opts["--output"].empty()) {
            out = std::fopen(opts["--output"].c_str(), "wb");
            if (!out) throw std::runtime_error("cannot write " + opts["--output"]);
        }
        auto connection = db::connect(cfg.database_url);
        snapshot tx(*connection);
        ledger::export_ledger(tx, *format, {opts["--from"], opts["--to"]}, [&](std::string_view chunk) {
            if (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size())
                throw std::runtime_error("write failed");
        });
        if (out != stdout && std::fclose(out) != 0) throw std::runtime_error("write failed");
        return 0;
    }
    if (what == "verify") {
        options_from(argc, argv, 3, {});
        auto connection = db::connect(cfg.database_url);
        snapshot tx(*connection);
        auto report = ledger::verify(tx);
        std::printf("%s: %lld entries, %lld accounts checked%s%s\n", report.ok ? "ok" : "DISCREPANCY",
                    static_cast<long long>(report.entries_checked), static_cast<long long>(report.accounts_checked),
                    report.ok ? "" : "; first: ", report.first_discrepancy.c_str());
        auto chain = ledger::verify_chain(tx);
        std::printf("chain %s: %lld blocks, %lld entries sealed, %lld not yet sealed, head block %lld %s%s%s\n",
                    chain.ok ? "ok" : "BROKEN", static_cast<long long>(chain.blocks_checked),
                    static_cast<long long>(chain.entries_checked), static_cast<long long>(chain.unsealed_entries),
                    static_cast<long long>(chain.head_block_no), chain.head_hash.c_str(),
                    chain.ok ? "" : "; first: ", chain.first_discrepancy.c_str());
        return report.ok && chain.ok ? 0 : exit_failure;
    }
    if (what == "trial-balance") {
        auto opts = options_from(argc, argv, 3, {"--as-of"});
        auto connection = db::connect(cfg.database_url);
        snapshot tx(*connection);
        std::map<std::string, std::pair<std::int64_t, std::int64_t>> totals;
        std::printf("%-24s %-10s %-4s %20s %20s\n", "account", "type", "cur", "debits_minor", "credits_minor");
        for (const auto& line : ledger::trial_balance(tx, opts["--as-of"])) {
            std::printf("%-24s %-10s %-4s %20lld %20lld\n", line.code.c_str(),
                        std::string(ledger::to_string(line.type)).c_str(), line.currency_code.c_str(),
                        static_cast<long long>(line.debits_minor), static_cast<long long>(line.credits_minor));
            totals[line.currency_code].first += line.debits_minor;
            totals[line.currency_code].second += line.credits_minor;
        }
        bool balanced = true;
        for (const auto& [code, t] : totals) {
            std::printf("%-24s %-10s %-4s %20lld %20lld\n", "total", "", code.c_str(), static_cast<long long>(t.first),
                        static_cast<long long>(t.second));
            balanced = balanced && t.first == t.second;
        }
        return balanced ? 0 : exit_failure;
    }
    throw std::invalid_argument("ledger export|verify|trial-balance");
}

// The outbox of messages to people (password resets, …): there is no mail
// server; an operator or a mailer reads the pending ones and marks each sent.
int outbox_command(const config& cfg, int argc, char** argv) {
    std::string what = argc > 2 ? argv[2] : "";
    auto connection = db::connect(cfg.database_url);
    if (what == "sent") {
        if (argc != 4) throw std::invalid_argument("outbox sent ID");
        auto id = api::parse_int64(argv[3]);
        if (!id || *id <= 0) throw std::invalid_argument("outbox sent takes a message id");
        pqxx::work tx(*connection);
        if (!users::mark_sent(tx, *id)) throw std::runtime_error("no pending message " + std::to_string(*id));
        audit::write(tx,
                     {std::nullopt, "outbox.sent", "message:" + std::to_string(*id), "cli-" + crypto::random_hex(8)});
        tx.commit();
        std::printf("message %lld marked sent\n", static_cast<long long>(*id));
        return 0;
    }
    bool all = false;
    int limit = 100;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--all") {
            all = true;
        } else if (arg == "--limit" && i + 1 < argc) {
            auto n = api::parse_int64(argv[++i]);
            if (!n || *n < 1 || *n > 10'000) throw std::invalid_argument("--limit takes 1 to 10000");
            limit = static_cast<int>(*n);
        } else {
            throw std::invalid_argument("outbox [--all] [--limit N] | outbox sent ID");
        }
    }
    pqxx::read_transaction tx(*connection);
    auto messages = users::outbox(tx, !all, limit);
    for (const auto& m : messages) {
        std::printf("message %lld (%s) %s\nTo: %s\nSubject: %s\nState: %s\n\n%s\n", static_cast<long long>(m.id),
                    m.kind.c_str(), m.created_at.c_str(), m.recipient.c_str(), m.subject.c_str(),
                    m.sent_at ? ("sent " + *m.sent_at).c_str() : "pending", m.body.c_str());
    }
    std::printf("%zu message(s)%s\n", messages.size(), all ? "" : " pending");
    return 0;
}

// The platform clock (docs/time.md): what it says, and on a test cluster
// (schwarm.test_clock = on) a move to another time. Production refuses.
int clock_command(const config& cfg, int argc, char** argv) {
    std::string what = argc > 2 ? argv[2] : "";
    auto connection = db::connect(owner_url(cfg));
    pqxx::nontransaction tx(*connection);
    if (what == "travel") {
        auto opts = options_from(argc, argv, 3, {"--to"});
        if (opts["--to"].empty()) throw std::invalid_argument("clock travel needs --to T (RFC 3339)");
        try {
            tx.exec_params("SELECT schwarm_travel_to($1::timestamptz)", opts["--to"]);
        } catch (const pqxx::data_exception&) {
            throw std::invalid_argument("--to must be an RFC 3339 time, e.g. 2027-02-28T23:30:00+01:00");
        } catch (const pqxx::insufficient_privilege&) {
            throw std::runtime_error("this database refuses to move its clock: it is not a test cluster");
        }
    } else if (!what.empty()) {
        throw std::invalid_argument("clock [travel --to T]");
    }
    auto row = tx.exec1(
        "SELECT " SCHWARM_SQL_UTC_SECONDS("schwarm_clock()") ", "
                                                             "to_char(schwarm_clock() AT TIME ZONE schwarm_zone(), "
                                                             "'YYYY-MM-DD HH24:MI:SS'), schwarm_zone(), "
                                                             "extract(epoch FROM schwarm_clock_shift())::bigint");
    std::printf("platform time %s (%s %s), shifted by %s s\n", row[0].c_str(), row[1].c_str(), row[2].c_str(),
                row[3].c_str());
    return 0;
}

// With --money: only the routes that move money, each with where its
// idempotency keys come from (header: Idempotency-Key, replayed; body).
int print_routes(int argc, char** argv) {
    bool money = argc > 2 && std::string(argv[2]) == "--money";
    if (argc > 2 && !money) throw std::invalid_argument("routes [--money]");
    for (const auto& r : api::all_routes()) {
        if (money && !api::moves_money(r.requires_)) continue;
        std::string keys = !money ? "" : api::has(r.requires_, api::needs::idempotency_key) ? " header" : " body";
        std::printf("%s %s%s\n", std::string(api::http::to_string(r.method)).c_str(), std::string(r.pattern).c_str(),
                    keys.c_str());
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "serve";
    try {
        if (command == "routes") return print_routes(argc, argv);
        if (command == "tally") return tally(argc, argv);
        if (command == "ledger") return ledger_command(load_or_exit(), argc, argv);
        if (command == "serve") return serve(load_or_exit());
        if (command == "migrate") return migrate(load_or_exit());
        if (command == "clock") return clock_command(load_or_exit(), argc, argv);
        if (command == "outbox") return outbox_command(load_or_exit(), argc, argv);
        if (command == "user" && argc > 2 && std::string(argv[2]) == "create")
            return create_user(load_or_exit(), argc, argv);
        if (command == "--help" || command == "-h" || command == "help") {
            std::fputs(usage, stdout);
            return 0;
        }
        std::fputs(usage, stderr);
        return exit_usage;
    } catch (const config_error& e) {
        std::fprintf(stderr, "schwarm: configuration: %s\n", e.what());
        return exit_usage;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "schwarm: %s\n%s", e.what(), usage);
        return exit_usage;
    } catch (const problem& p) {
        std::fprintf(stderr, "schwarm: %s\n", p.detail().c_str());
        return exit_failure;
    } catch (const voting::pabulib_error& e) {
        std::fprintf(stderr, "schwarm: %s\n", e.what());
        return exit_failure;
    } catch (const migrations::migration_error& e) {
        std::fprintf(stderr, "schwarm: migrations: %s\n", e.what());
        return exit_failure;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "schwarm: %s\n", e.what());
        return exit_failure;
    }
}
