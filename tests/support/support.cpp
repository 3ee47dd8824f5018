#include "support/support.hpp"

#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/migrate.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <regex>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace schwarm::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;

std::string required_env(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value) FAIL(std::string(name) + " is not set: run the tests with ./test.sh");
    return value;
}

namespace {

std::string url_for(const std::string& db) {
    return "postgresql:///" + db + "?host=" + required_env("SCHWARM_TEST_PG_HOST") +
           "&port=" + required_env("SCHWARM_TEST_PG_PORT") + "&user=schwarm";
}

std::string unique_name(const char* prefix) {
    static std::atomic<int> counter{0};
    return std::string(prefix) + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// The bundled migrations applied once per cluster, to a database every
// migrated test database is copied from (CREATE DATABASE … TEMPLATE is much
// quicker than migrating each). Named by the migrations' text, so a changed
// migration makes a new one; the first process to need it builds it, under
// an advisory lock, and renames it into place when it is complete.
const std::string& migrated_template() {
    static const std::string name = [] {
        std::string text;
        for (const auto& m : migrations::bundled()) text += std::to_string(m.version) + m.name + m.sql;
        std::string wanted = "t_template_" + crypto::sha256_hex(text).substr(0, 16);
        pqxx::connection admin(url_for("postgres"));
        pqxx::nontransaction tx(admin);
        constexpr int template_lock = 4711;
        tx.exec("SELECT pg_advisory_lock(" + std::to_string(template_lock) + ")");
        if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", wanted).empty()) {
            std::string building = unique_name("t_building_");
            tx.exec("CREATE DATABASE " + tx.quote_name(building));
            {
                pqxx::connection c(url_for(building));
                migrations::apply(c, migrations::bundled());
            }
            tx.exec("ALTER DATABASE " + tx.quote_name(building) + " RENAME TO " + tx.quote_name(wanted));
        }
        tx.exec("SELECT pg_advisory_unlock(" + std::to_string(template_lock) + ")");
        return wanted;
    }();
    return name;
}

} // namespace

database::database(bool migrated) : name_(unique_name("t_")), url_(url_for(name_)) {
    pqxx::connection admin(url_for("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name_) +
            (migrated ? " TEMPLATE " + tx.quote_name(migrated_template()) : std::string()));
}

database::~database() {
    try {
        pqxx::connection admin(url_for("postgres"));
        pqxx::nontransaction tx(admin);
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (const std::exception&) {
        // Dropped with the cluster at the end of the run anyway.
    }
}

std::string database::scalar(const std::string& sql) const {
    auto c = db::connect(url_);
    pqxx::nontransaction tx(*c);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? "" : row[0].as<std::string>();
}

void database::exec(const std::string& sql) const {
    auto c = db::connect(url_);
    pqxx::nontransaction tx(*c);
    tx.exec(sql);
}

void database::travel_to(const std::string& rfc3339) const {
    auto c = db::connect(url_);
    pqxx::nontransaction tx(*c);
    tx.exec_params("SELECT schwarm_travel_to($1::timestamptz)", rfc3339);
}

void database::travel_by(std::int64_t seconds) const {
    auto c = db::connect(url_);
    pqxx::nontransaction tx(*c);
    tx.exec_params("SELECT schwarm_travel_to(schwarm_clock() + make_interval(secs => $1))", seconds);
}

int lock_waiters(const database& db) {
    return std::stoi(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()"));
}

std::string database::platform_time() const { return scalar("SELECT " SCHWARM_SQL_UTC_SECONDS("schwarm_clock()")); }

boost::json::value reply::json() const { return boost::json::parse(body); }

std::string reply::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

namespace {

// Every response a test receives, written down when SCHWARM_TEST_RESPONSES
// names a directory: one JSON line per response, in a file per process, for
// tests/openapi/validate_responses.py to check against api/openapi.yaml.
void record_response(const std::string& method, const std::string& target, const reply& r) {
    static const char* dir = std::getenv("SCHWARM_TEST_RESPONSES");
    if (!dir || !*dir) return;
    static std::mutex mutex;
    static std::ofstream out(std::string(dir) + "/responses-" + std::to_string(::getpid()) + ".jsonl", std::ios::app);
    boost::json::object headers;
    for (const auto& [name, value] : r.headers) headers[name] = value;
    boost::json::object line{
        {"method", method}, {"target", target}, {"status", r.status}, {"headers", headers}, {"body", r.body}};
    std::lock_guard lock(mutex);
    out << boost::json::serialize(line) << '\n' << std::flush;
}

} // namespace

struct https_client::impl {
    net::io_context ioc;
    ssl::context tls{ssl::context::tls_client};
    beast::ssl_stream<beast::tcp_stream> stream{ioc, tls};
    beast::flat_buffer buffer;
    std::deque<std::pair<std::string, std::string>> sent; // method and target, for the record

    explicit impl(unsigned short port) {
        tls.load_verify_file(required_env("SCHWARM_TEST_TLS_CERT"));
        stream.set_verify_mode(ssl::verify_peer);
        stream.set_verify_callback(ssl::host_name_verification("localhost"));
        SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
        beast::get_lowest_layer(stream).connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        stream.handshake(ssl::stream_base::client);
    }
};

https_client::https_client(unsigned short port) : impl_(std::make_unique<impl>(port)) {}
https_client::~https_client() = default;

void https_client::send(const std::string& method, const std::string& target, const std::string& body,
                        const std::map<std::string, std::string>& headers) {
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "localhost");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    beast::get_lowest_layer(impl_->stream).expires_after(std::chrono::seconds(30));
    http::write(impl_->stream, req);
    impl_->sent.emplace_back(method, target);
}

reply https_client::receive() {
    http::response<http::string_body> res;
    beast::get_lowest_layer(impl_->stream).expires_after(std::chrono::seconds(30));
    http::read(impl_->stream, impl_->buffer, res);
    reply out;
    out.status = res.result_int();
    for (const auto& field : res) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(field.value());
    }
    out.body = std::move(res.body());
    if (!impl_->sent.empty()) {
        record_response(impl_->sent.front().first, impl_->sent.front().second, out);
        impl_->sent.pop_front();
    }
    return out;
}

reply https_client::request(const std::string& method, const std::string& target, const std::string& body,
                            const std::map<std::string, std::string>& headers) {
    send(method, target, body, headers);
    return receive();
}

namespace {

int spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
          const std::string& output_path, int stdin_fd) {
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [k, v] : env) merged[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, argv;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args_copy = args;
    for (auto& a : args_copy) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) FAIL("cannot start " << args[0] << ": " << std::strerror(rc));
    return pid;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string scratch_path(const std::string& name) { return required_env("SCHWARM_TEST_SCRATCH") + "/" + name; }

} // namespace

std::string serving_url(const std::string& owner_url) {
    const std::string owner = "&user=schwarm";
    if (!owner_url.ends_with(owner)) return owner_url;
    return owner_url.substr(0, owner_url.size() - owner.size()) + "&user=schwarm_app";
}

server::server(const std::string& database_url, std::map<std::string, std::string> env) {
    // As in production: serving as the serving role, migrating as the owner.
    std::map<std::string, std::string> defaults{
        {"DATABASE_URL", serving_url(database_url)},
        {"SCHWARM_MIGRATION_DATABASE_URL", database_url},
        {"SCHWARM_TLS_CERT", required_env("SCHWARM_TEST_TLS_CERT")},
        {"SCHWARM_TLS_KEY", required_env("SCHWARM_TEST_TLS_KEY")},
        {"SCHWARM_BALLOT_KEY", test_ballot_key},
        {"SCHWARM_METRICS_TOKEN", test_metrics_token},
        {"SCHWARM_PORT", "0"},
        {"SCHWARM_DB_WORKERS", "4"},
    };
    for (auto& [k, v] : env) defaults[k] = v;
    std::erase_if(defaults, [](const auto& kv) { return kv.second == unset; });
    log_path_ = scratch_path(unique_name("server_") + ".log");
    pid_ = spawn({required_env("SCHWARM_TEST_BINARY"), "serve"}, defaults, log_path_, -1);

    static const std::regex listening(R"("msg":"listening".*"port":(\d+))");
    eventually(
        [&] {
            std::smatch m;
            std::string text = log();
            if (std::regex_search(text, m, listening)) {
                port_ = static_cast<unsigned short>(std::stoi(m[1]));
                return true;
            }
            if (!running()) FAIL("the server exited at start:\n" << text);
            return false;
        },
        std::chrono::seconds(30), [&] { return "the server to start listening:\n" + log(); });
}

server::~server() {
    if (pid_ > 0 && running()) {
        ::kill(pid_, SIGTERM);
        if (wait_exit(10'000) == -1) {
            ::kill(pid_, SIGKILL);
            wait_exit(10'000);
        }
    }
}

void server::signal(int sig) const { ::kill(pid_, sig); }

bool server::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

int server::wait_exit(int timeout_ms) {
    int exit_status = -1;
    within(std::chrono::milliseconds(timeout_ms), [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        pid_ = -1;
        exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
    });
    return exit_status;
}

std::string server::log() const { return read_file(log_path_); }

int run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& stdin_text, std::string& output) {
    std::string input_path = scratch_path(unique_name("stdin_"));
    std::ofstream(input_path) << stdin_text;
    int fd = ::open(input_path.c_str(), O_RDONLY);
    std::vector<std::string> argv{required_env("SCHWARM_TEST_BINARY")};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string output_path = scratch_path(unique_name("cli_") + ".out");
    pid_t pid = spawn(argv, env, output_path, fd);
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    output = read_file(output_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string create_user_and_login(https_client& client, const database& db, const std::string& email,
                                  const std::string& role) {
    const std::string password = "correct horse battery";
    std::string output;
    REQUIRE(run_cli({"user", "create", "--email", email, "--role", role, "--password-stdin"},
                    {{"DATABASE_URL", db.url()}}, password + "\n", output) == 0);
    auto login = client.request("POST", "/v1/sessions",
                                boost::json::serialize(boost::json::object{{"email", email}, {"password", password}}));
    REQUIRE(login.status == 201);
    return std::string(login.json().at("token").as_string());
}

std::string problem_slug(const reply& r) {
    if (r.status < 400) return std::to_string(r.status);
    INFO(r.body);
    std::string type(r.json().at("type").as_string());
    constexpr std::string_view prefix = "tag:schwarm.dev,2026:problem:";
    REQUIRE(type.starts_with(prefix));
    return type.substr(prefix.size());
}

std::map<std::string, std::string> auth_headers(const std::string& token, const std::string& idempotency_key) {
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token}};
    if (!idempotency_key.empty()) headers["Idempotency-Key"] = idempotency_key;
    return headers;
}

std::string register_and_login(https_client& client, const std::string& email, const std::string& password) {
    boost::json::object account{{"email", email}, {"password", password}, {"display_name", "Test"}};
    auto created = client.request("POST", "/v1/users", boost::json::serialize(account));
    REQUIRE(created.status == 201);
    auto login = client.request("POST", "/v1/sessions",
                                boost::json::serialize(boost::json::object{{"email", email}, {"password", password}}));
    REQUIRE(login.status == 201);
    return std::string(login.json().at("token").as_string());
}

} // namespace schwarm::test
