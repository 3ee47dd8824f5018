#include "pipeline/server.hpp"

#include "base/crypto.hpp"
#include "base/log.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>

#include <mutex>
#include <optional>
#include <unordered_map>

namespace schwarm::api {

namespace beast = boost::beast;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

ssl::context make_tls_context(const std::string& cert_path, const std::string& key_path) {
    ssl::context tls(ssl::context::tls_server);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX* native = tls.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    // An idle connection gives its TLS record buffers back (they are taken
    // again with the next request): idle connections cost less each
    // (bench/RESULTS.md, "Idle connections").
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // TLS 1.2: ECDHE key exchange (forward secrecy) with AEAD ciphers only.
    // TLS 1.3's suites are all of that kind; OpenSSL's defaults stand.
    SSL_CTX_set_cipher_list(native, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    tls.use_certificate_chain_file(cert_path);
    tls.use_private_key_file(key_path, ssl::context::pem);
    return tls;
}

namespace {

constexpr std::size_t request_id_length_max = 64;
// The first read of a request; the header reader takes more as it needs.
// Small, because every idle connection holds this buffer while it waits.
constexpr std::size_t first_read_bytes = 1024;
// How long to wait for the peer's close_notify. Many clients never send one;
// waiting longer would only hold the socket (and delay shutdown).
constexpr std::chrono::milliseconds tls_close_timeout{1000};

// A client's X-Request-Id is kept when it is short and plain, so traces join
// up across systems; anything else is replaced by our own.
std::string request_id_for(std::string_view offered) {
    bool plain = !offered.empty() && offered.size() <= request_id_length_max &&
                 std::all_of(offered.begin(), offered.end(),
                             [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
    return plain ? std::string(offered) : crypto::random_hex(16);
}

std::string bearer_token_of(std::string_view authorization) {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() <= scheme.size()) return {};
    if (!beast::iequals(authorization.substr(0, scheme.size()), scheme)) return {};
    return std::string(authorization.substr(scheme.size()));
}

// A parse error the client can be told about, as opposed to the stream
// ending or timing out.
bool is_malformed_http(beast::error_code ec) {
    return ec.category() == make_error_code(http::error::bad_target).category() && ec != http::error::end_of_stream &&
           ec != http::error::partial_message;
}

class session;

// Live sessions, so that shutdown can close the idle ones.
class session_registry {
public:
    void add(const std::shared_ptr<session>& s) {
        std::lock_guard lock(mutex_);
        sessions_[s.get()] = s;
    }
    void remove(session* s) {
        std::lock_guard lock(mutex_);
        sessions_.erase(s);
    }
    template <typename F>
    void for_each(F f) {
        std::vector<std::shared_ptr<session>> live;
        {
            std::lock_guard lock(mutex_);
            for (auto& [key, weak] : sessions_) {
                if (auto s = weak.lock()) live.push_back(std::move(s));
            }
        }
        for (auto& s : live) f(s);
    }

private:
    std::mutex mutex_;
    std::unordered_map<session*, std::weak_ptr<session>> sessions_;
};

session_registry& registry() {
    static session_registry r;
    return r;
}

// Whether a request head asks for 100 (Continue) before its body (RFC 9110
// 10.1.1; HTTP/1.0 clients' expectations are ignored, as it says).
bool expects_continue(const http_request& req) {
    return req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue");
}

// RFC 9112 3.2: exactly one Host in an HTTP/1.1 request (at most one in 1.0),
// and a valid authority in it; anything else is answered 400.
std::optional<std::string> host_problem(const http_request& req) {
    std::size_t hosts = req.count(http::field::host);
    if (hosts > 1) return "The request has " + std::to_string(hosts) + " Host headers; send exactly one";
    if (hosts == 0) {
        if (req.version() >= 11) return std::string("An HTTP/1.1 request needs a Host header");
        return std::nullopt;
    }
    std::string_view host = req[http::field::host];
    auto authority = boost::urls::parse_authority(host);
    if (host.empty() || !authority || authority->has_userinfo()) return std::string("The Host header is not a host");
    return std::nullopt;
}

class session : public std::enable_shared_from_this<session> {
public:
    // `share` is the client's connection count this session was counted in.
    session(tcp::socket&& socket, ssl::context& tls, service& app, std::string share)
        : stream_(std::move(socket), tls), app_(app), share_(std::move(share)) {
        beast::error_code ec;
        auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        client_address_ = ec ? "unknown" : endpoint.address().to_string();
        ++app_.connections;
    }
    ~session() {
        --app_.connections;
        app_.connection_share.remove(share_);
        registry().remove(this);
    }

    void run() {
        registry().add(shared_from_this());
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::on_run, shared_from_this()));
    }

    // Called on shutdown: an idle connection is closed now, a busy one after
    // its response (on_write sees shutting_down).
    void close_if_idle() {
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            if (self->idle_) beast::get_lowest_layer(self->stream_).cancel();
        });
    }

private:
    void on_run() {
        expire_in(app_.cfg.header_timeout_ms);
        stream_.async_handshake(ssl::stream_base::server,
                                beast::bind_front_handler(&session::on_handshake, shared_from_this()));
    }

    void on_handshake(beast::error_code ec) {
        // A failed handshake (plain HTTP, a scanner, a timeout) ends this
        // connection only; there is nobody to answer over TLS.
        if (ec) return;
        do_read();
    }

    void expire_in(std::int64_t ms) { beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(ms)); }

    void do_read() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(app_.cfg.header_limit_bytes));
        parser_->body_limit(static_cast<std::uint64_t>(app_.cfg.body_limit_bytes));
        if (buffer_.size() > 0) return do_read_header(); // a pipelined request is waiting
        if (app_.shutting_down) return do_close();
        // Idle, a connection keeps only what it must. The read buffer goes
        // back to nothing (a large body made it grow). Beast's ssl_stream
        // copies a response of up to 16 KB into a buffer of its own (one TLS
        // record) and keeps it until a write it does not copy: an empty
        // write, which sends nothing, is one.
        buffer_.shrink_to_fit();
        stream_.async_write_some(net::const_buffer(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->do_close();
            self->wait_idle();
        });
    }

    void wait_idle() {
        if (app_.shutting_down) return do_close();
        // Wait for the first bytes under the idle timeout; the header
        // timeout starts only when a request begins.
        idle_ = true;
        expire_in(app_.cfg.idle_timeout_ms);
        stream_.async_read_some(buffer_.prepare(first_read_bytes),
                                beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
    }

    void on_first_bytes(beast::error_code ec, std::size_t bytes) {
        idle_ = false;
        if (ec) return do_close();
        buffer_.commit(bytes);
        do_read_header();
    }

    void do_read_header() {
        started_ = clock_type::now();
        expire_in(app_.cfg.header_timeout_ms);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&session::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        admitted_ = nullptr;
        if (parser_->is_done()) return on_request();
        // A client that expects something waits for our word before its body.
        const http_request& req = parser_->get();
        if (req.version() >= 11 && req.count(http::field::expect) > 0) return on_expect_continue();
        read_body();
    }

    void read_body() {
        expire_in(app_.cfg.body_timeout_ms);
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
    }

    // The client waits with its body until we say 100 (Continue). A request
    // refused on its head gets its final answer instead, and the connection
    // closes: the body it did not send will not follow on it.
    void on_expect_continue() {
        if (auto refused = admit()) {
            keep_alive_ = false;
            return reply(refused->route_pattern, std::move(refused->answer));
        }
        continue_.emplace(http::status::continue_, 11);
        expire_in(app_.cfg.write_timeout_ms);
        http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->continue_.reset();
            if (ec) return;
            self->read_body();
        });
    }

    void on_body(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        on_request();
    }

    void on_read_error(beast::error_code ec) {
        request_id_ = crypto::random_hex(16);
        keep_alive_ = false;
        if (ec == http::error::body_limit) {
            return reply("-", problem_response(problem(problems::payload_too_large,
                                                       "The body is larger than " +
                                                           std::to_string(app_.cfg.body_limit_bytes) + " bytes"),
                                               request_id_));
        }
        if (ec == http::error::header_limit) {
            return reply("-", problem_response(problem(problems::headers_too_large,
                                                       "The headers are larger than " +
                                                           std::to_string(app_.cfg.header_limit_bytes) + " bytes"),
                                               request_id_));
        }
        if (is_malformed_http(ec)) {
            return reply(
                "-", problem_response(problem(problems::bad_request, "The HTTP request is malformed"), request_id_));
        }
        // Timeouts, resets and closes: nobody to answer.
        do_close();
    }

    struct refusal {
        std::string_view route_pattern; // "-" before a route matched
        response answer;
    };

    // What the head of a request decides alone: the target, Host, the rate
    // limits, the route, the presence of a bearer token and an Idempotency-Key.
    // A refusal, or nothing: then admitted_ is the route and ctx_ the context.
    std::optional<refusal> admit() {
        const http_request& req = parser_->get();
        request_id_ = request_id_for(req["X-Request-Id"]);
        keep_alive_ = req.keep_alive();
        auto refuse = [](std::string_view pattern, response r) { return refusal{pattern, std::move(r)}; };
        auto bad = [&](const std::string& detail) {
            return refuse("-", problem_response(problem(problems::bad_request, detail), request_id_));
        };

        auto target = boost::urls::parse_origin_form(req.target());
        if (!target) return bad("The request target is malformed");
        if (auto host = host_problem(req)) {
            keep_alive_ = false; // which host the next request is for is as unclear
            return bad(*host);
        }
        if (req.count(http::field::expect) > 0 && !expects_continue(req) && req.version() >= 11) {
            keep_alive_ = false; // its body may be on the way or not
            return refuse("-", problem_response(problem(problems::expectation_failed,
                                                        "The only expectation served is Expect: 100-continue"),
                                                request_id_));
        }
        if (auto wait = app_.per_client.take(client_address_); wait.count() > 0) return refuse("-", rate_limited(wait));

        auto found = app_.routes.match(req.method(), target->encoded_path());
        if (std::holds_alternative<no_route>(found)) {
            return refuse("-",
                          problem_response(problem(problems::not_found, "There is no such resource"), request_id_));
        }
        if (auto* wrong = std::get_if<wrong_method>(&found)) {
            response res =
                problem_response(problem(problems::method_not_allowed, std::string(req.method_string()) +
                                                                           " is not allowed here; use " + wrong->allow),
                                 request_id_);
            res.headers.emplace_back("Allow", wrong->allow);
            return refuse("-", std::move(res));
        }
        auto& match = std::get<route_match>(found);
        const route& r = *match.matched;
        if (has(r.requires_, needs::login_limit)) {
            if (auto wait = app_.login_per_client.take(client_address_); wait.count() > 0) {
                return refuse(r.pattern, rate_limited(wait));
            }
        }

        auto ctx = std::make_shared<context>(req, request_id_, client_address_, app_);
        ctx->stream_started = [weak = weak_from_this()](std::shared_ptr<body_stream> body) {
            auto self = weak.lock();
            if (!self) return body->cancel();
            body->on_ready([weak] {
                if (auto s = weak.lock()) net::post(s->stream_.get_executor(), [s] { s->pump(); });
            });
            net::post(self->stream_.get_executor(), [self, body] { self->start_stream(body); });
        };
        ctx->path_params = std::move(match.path_params);
        ctx->bearer_token = bearer_token_of(req[http::field::authorization]);
        if (r.who != access::anyone && ctx->bearer_token.empty()) {
            return refuse(r.pattern, problem_response(problem(problems::unauthorized,
                                                              "Send a bearer token: Authorization: Bearer …"),
                                                      request_id_));
        }
        if (has(r.requires_, needs::idempotency_key)) {
            std::string_view key = req["Idempotency-Key"];
            bool plain = !key.empty() && key.size() <= idempotency_key_length_max &&
                         std::all_of(key.begin(), key.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
            if (!plain) {
                return refuse(r.pattern, problem_response(field_problem("Idempotency-Key",
                                                                        "This request moves money: send an "
                                                                        "Idempotency-Key header of 1 to 200 visible "
                                                                        "characters"),
                                                          request_id_));
            }
            ctx->idempotency_key = std::string(key);
        }
        if (std::string_view after = req["Schwarm-Read-After"]; !after.empty() && !is_wal_position(after)) {
            return refuse(r.pattern, problem_response(field_problem("Schwarm-Read-After",
                                                                    "Schwarm-Read-After takes a Schwarm-LSN value"),
                                                      request_id_));
        }
        admitted_ = &r;
        ctx_ = std::move(ctx);
        return std::nullopt;
    }

    void on_request() {
        if (!admitted_) {
            if (auto refused = admit()) return reply(refused->route_pattern, std::move(refused->answer));
        }
        const route& r = *admitted_;
        auto ctx = std::move(ctx_);
        admitted_ = nullptr;
        if (r.db == db_use::principal_only) return run_principal_only(r, ctx);
        if (r.db == db_use::none) return reply(r.pattern, run_route(r, *ctx, nullptr));
        if (r.handle_batch) {
            bool queued = app_.batches.enqueue(r, {ctx, [self = shared_from_this(), ctx, &r](response res) {
                                                       net::post(self->stream_.get_executor(),
                                                                 [self, ctx, &r, res = std::move(res)]() mutable {
                                                                     self->reply(r.pattern, std::move(res));
                                                                 });
                                                   }});
            if (!queued) reply(r.pattern, busy());
            return;
        }

        std::string_view after = ctx->request["Schwarm-Read-After"];
        if (has(r.requires_, needs::password_hash)) return run_hashing(r, ctx);
        if (has(r.requires_, needs::replica) && app_.replicas) {
            if (db::pool* replica = app_.replicas->pick()) return run_on_replica(r, ctx, *replica, std::string(after));
        }
        run_on_primary(r, ctx);
    }

    // Database work goes to the pool; the answer comes back on our strand.
    void run_on_primary(const route& r, const std::shared_ptr<context>& ctx) {
        if (!submit(r, ctx, [] {})) reply(r.pattern, busy());
    }

    // Runs the route on a primary worker; `done` is called on the worker when
    // it has answered. False (and `done` never called) when the pool is full.
    bool submit(const route& r, const std::shared_ptr<context>& ctx, std::function<void()> done) {
        return app_.pool.try_submit([self = shared_from_this(), ctx, &r, done](db::worker_context& worker) {
            response res = run_route(r, *ctx, &worker);
            done();
            if (self->app_.replicas && has(r.requires_, needs::replica)) ++self->app_.replicas->served_by_primary;
            net::post(self->stream_.get_executor(),
                      [self, ctx, &r, res = std::move(res)]() mutable { self->reply(r.pattern, std::move(res)); });
        });
    }

    // Password hashing takes 19 MiB and tens of milliseconds of a core per
    // request: a few at once through the turnstile, a few waiting their turn,
    // and the rest told at once to come back (503), so that a burst of
    // logins can neither take the memory nor every worker.
    void run_hashing(const route& r, const std::shared_ptr<context>& ctx) {
        auto& gate = app_.password_hashing;
        bool entered = gate.enter([self = shared_from_this(), ctx, &r, &gate] {
            if (self->submit(r, ctx, [&gate] { gate.leave(); })) return;
            gate.leave();
            net::post(self->stream_.get_executor(), [self, &r] { self->reply(r.pattern, self->busy()); });
        });
        if (!entered) {
            response res = problem_response(
                problem(problems::unavailable, "Too many logins and registrations at once; try again"), request_id_);
            res.headers.emplace_back("Retry-After", "1");
            reply(r.pattern, std::move(res));
        }
    }

    // A read on a replica: once it has replayed the client's last write
    // (Schwarm-Read-After), else on the primary; and on the primary again if
    // the replica does not know the caller's token yet (a session just made).
    void run_on_replica(const route& r, const std::shared_ptr<context>& ctx, db::pool& replica, std::string after) {
        bool queued = replica.try_submit([self = shared_from_this(), ctx, &r, after](db::worker_context& worker) {
            bool fresh = after.empty() || self->app_.replicas->replayed(worker.connection(), after);
            response res;
            if (fresh) res = run_route(r, *ctx, &worker);
            if (!fresh || res.status == http::status::unauthorized) {
                net::post(self->stream_.get_executor(), [self, ctx, &r] { self->run_on_primary(r, ctx); });
                return;
            }
            ++self->app_.replicas->served_by_replica;
            net::post(self->stream_.get_executor(),
                      [self, ctx, &r, res = std::move(res)]() mutable { self->reply(r.pattern, std::move(res)); });
        });
        if (!queued) run_on_primary(r, ctx);
    }

    // The token lookup runs on the asynchronous client's connection (no
    // worker thread); the handler then runs here, on our strand.
    void run_principal_only(const route& r, const std::shared_ptr<context>& ctx) {
        bool queued = authenticate_async(
            app_, ctx->bearer_token, request_id_, [self = shared_from_this(), ctx, &r](principal_lookup found) {
                net::post(self->stream_.get_executor(), [self, ctx, &r, found = std::move(found)]() mutable {
                    self->reply(r.pattern, run_with_principal(r, *ctx, std::move(found)));
                });
            });
        if (!queued) reply(r.pattern, busy());
    }

    response busy() { return unavailable_response(busy_detail, request_id_); }

    response rate_limited(std::chrono::seconds wait) {
        response res =
            problem_response(problem(problems::rate_limited, "Too many requests from this client"), request_id_);
        res.headers.emplace_back("Retry-After", std::to_string(wait.count()));
        return res;
    }

    template <typename Message>
    void set_common_headers(Message& out) {
        out.set(http::field::server, "schwarm");
        out.set("X-Request-Id", request_id_);
        out.set(http::field::strict_transport_security, "max-age=31536000");
        out.set("X-Content-Type-Options", "nosniff");
        out.set(http::field::cache_control, "no-store");
    }

    void reply(std::string_view route_pattern, response res) {
        bool close = !keep_alive_ || app_.shutting_down;
        record(route_pattern, res.streamed && res.status < http::status::bad_request ? http::status::ok : res.status);
        // A streamed body is on its way (pump); nothing more to write here.
        if (res.streamed) return;
        response_.emplace(res.status, 11);
        auto& out = *response_;
        set_common_headers(out);
        if (!res.body.empty()) out.set(http::field::content_type, res.content_type);
        for (auto& [field, value] : res.headers) out.set(field, value);
        out.keep_alive(!close);
        out.body() = std::move(res.body);
        out.prepare_payload();
        keep_alive_ = !close;
        expire_in(app_.cfg.write_timeout_ms);
        http::async_write(stream_, out, beast::bind_front_handler(&session::on_write, shared_from_this()));
    }

    void record(std::string_view route_pattern, http::status result) {
        auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - started_);
        std::string method = parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "-";
        int status = static_cast<int>(result);
        app_.stats.observe(method, route_pattern, status, elapsed);
        log::request(request_id_, method, route_pattern, status, elapsed.count());
    }

    // Streaming: the header once, then chunks as the producer makes them.
    void start_stream(std::shared_ptr<body_stream> body) {
        body_ = std::move(body);
        keep_alive_ = keep_alive_ && !app_.shutting_down;
        stream_head_.emplace(http::status::ok, 11);
        set_common_headers(*stream_head_);
        stream_head_->set(http::field::content_type, body_->content_type());
        for (const auto& [field, value] : body_->headers()) stream_head_->set(field, value);
        stream_head_->keep_alive(keep_alive_);
        stream_head_->chunked(true);
        stream_serializer_.emplace(*stream_head_);
        chunk_writing_ = true;
        expire_in(app_.cfg.write_timeout_ms);
        http::async_write_header(
            stream_, *stream_serializer_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_chunk_written(ec); });
    }

    void pump() {
        if (!body_ || chunk_writing_) return;
        switch (body_->pop(chunk_)) {
        case body_stream::state::empty: return;
        case body_stream::state::failed:
            // No last chunk: the client sees the body end early and knows it.
            body_.reset();
            return hard_close();
        case body_stream::state::chunk:
            chunk_writing_ = true;
            expire_in(app_.cfg.write_timeout_ms);
            net::async_write(
                stream_, http::make_chunk(net::buffer(chunk_)),
                [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_chunk_written(ec); });
            return;
        case body_stream::state::done:
            body_.reset();
            expire_in(app_.cfg.write_timeout_ms);
            net::async_write(stream_, http::make_chunk_last(),
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 self->stream_serializer_.reset();
                                 self->stream_head_.reset();
                                 self->on_write(ec, 0);
                             });
            return;
        }
    }

    void on_chunk_written(beast::error_code ec) {
        chunk_writing_ = false;
        if (ec) {
            if (body_) body_->cancel();
            body_.reset();
            return hard_close();
        }
        pump();
    }

    void hard_close() {
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

    void on_write(beast::error_code ec, std::size_t) {
        response_.reset();
        if (ec) return;
        if (!keep_alive_) return do_close();
        do_read();
    }

    void do_close() {
        beast::get_lowest_layer(stream_).expires_after(tls_close_timeout);
        stream_.async_shutdown(beast::bind_front_handler(&session::on_shutdown, shared_from_this()));
    }

    void on_shutdown(beast::error_code) {
        // Errors here (stream_truncated from a peer that closed without
        // close_notify, a timeout) change nothing: the connection is over.
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

    beast::ssl_stream<beast::tcp_stream> stream_;
    service& app_;
    std::string share_;
    std::string client_address_;
    const route* admitted_ = nullptr; // the route of a request admitted on its head
    std::shared_ptr<context> ctx_;    // and its context, until the body is in
    std::optional<http::response<http::empty_body>> continue_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::string_body>> response_;
    std::shared_ptr<body_stream> body_;
    std::optional<http::response<http::empty_body>> stream_head_;
    std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
    std::string chunk_;
    bool chunk_writing_ = false;
    std::string request_id_;
    bool keep_alive_ = true;
    bool idle_ = false;
    clock_type::time_point started_ = clock_type::now();
};

} // namespace

listener::listener(net::io_context& ioc, ssl::context& tls, service& app)
    : ioc_(ioc), tls_(tls), app_(app), acceptor_(net::make_strand(ioc)) {
    tcp::endpoint endpoint{net::ip::make_address(app.cfg.listen_address), app.cfg.port};
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
}

void listener::run() { do_accept(); }

void listener::do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
        beast::error_code peer_error;
        auto peer = socket.remote_endpoint(peer_error);
        std::string share = peer_error ? "unknown" : connection_key(peer.address());
        // Over the limit, or over the client's share of it: closed at once
        // rather than queued without bound, so one client cannot take them all.
        // (Sessions are counted here on the acceptor's strand, and only ever
        // uncounted elsewhere, so neither count can be overtaken.)
        if (app_.connections.load() >= app_.cfg.connections_max || !app_.connection_share.try_add(share)) {
            beast::error_code ignored;
            socket.close(ignored);
        } else {
            std::make_shared<session>(std::move(socket), tls_, app_, std::move(share))->run();
        }
    }
    do_accept();
}

void listener::shutdown() {
    app_.shutting_down = true;
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        beast::error_code ignored;
        self->acceptor_.close(ignored);
    });
    registry().for_each([](const std::shared_ptr<session>& s) { s->close_if_idle(); });
}

} // namespace schwarm::api
