#include "http/pg_async.hpp"

#include "base/log.hpp"

#include <boost/asio/post.hpp>

#include <cassert>
#include <cstring>

namespace schwarm::api::pg {

namespace {

// Connection-level trouble (class 08), the server going away (class 57:
// admin shutdown, terminated backend) and errors libpq makes up itself (no
// SQLSTATE: the socket closed under a query): the query may succeed on a
// new connection, so the client is told to retry rather than that it failed.
bool retryable(const PGresult* r) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return !state || std::strncmp(state, "08", 2) == 0 || std::strncmp(state, "57", 2) == 0;
}

std::string message_of(const PGresult* r) {
    std::string text = PQresultErrorMessage(r);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

} // namespace

// One PGconn in pipeline mode, driven on its own strand. `waiting_` holds
// queries not yet sent; `sent_` holds, in order, what PostgreSQL will answer:
// a result per prepare and query, a PIPELINE_SYNC per Sync.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(net::io_context& ioc, client& owner)
        : strand_(net::make_strand(ioc)), socket_(strand_), timer_(strand_), owner_(owner) {}

    void enqueue(const statement& s, std::vector<std::string> params, callback done) {
        if (stopped_) return finish(done, {outcome::unavailable, nullptr, "the client is stopping"});
        waiting_.push_back({&s, std::move(params), std::move(done)});
        switch (state_) {
        case state::closed: return start_connect();
        case state::backoff: return fail_waiting("the database was not reachable a moment ago");
        case state::connecting: return;
        case state::ready: return schedule_flush();
        }
    }

    auto& strand() { return strand_; }

    // After the I/O threads have stopped: nothing runs concurrently.
    void stop() {
        stopped_ = true;
        waiting_.clear();
        sent_.clear();
        disconnect();
    }

private:
    enum class state { closed, connecting, ready, backoff };

    struct waiting_query {
        const statement* stmt;
        std::vector<std::string> params;
        callback done;
    };
    struct sent_item {
        enum class kind { prepare, query, sync } what;
        callback done;     // for queries
        result_ptr result; // the query's result, until its terminating null
    };

    void finish(callback& done, reply r) {
        --owner_.pending_;
        done(std::move(r));
    }

    // --- connecting ----------------------------------------------------------

    void start_connect() {
        assert(!conn_);
        state_ = state::connecting;
        conn_ = PQconnectStart(owner_.url_.c_str());
        if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) {
            return connect_failed(conn_ ? PQerrorMessage(conn_) : "out of memory");
        }
        if (PQsetnonblocking(conn_, 1) != 0) return connect_failed(PQerrorMessage(conn_));
        ++generation_;
        if (!watch_socket()) return;
        timer_.expires_after(connect_timeout);
        timer_.async_wait([self = shared_from_this(), g = generation_](boost::system::error_code ec) {
            if (ec || g != self->generation_ || self->state_ != state::connecting) return;
            self->connect_failed("timed out after " + std::to_string(connect_timeout.count()) + " ms");
        });
        // libpq: begin as if PQconnectPoll had answered PGRES_POLLING_WRITING.
        wait(net::posix::stream_descriptor::wait_write, &connection::on_connect_ready);
    }

    // libpq may move to another socket while connecting (another address).
    bool watch_socket() {
        int fd = PQsocket(conn_);
        if (fd < 0) {
            connect_failed("no socket");
            return false;
        }
        if (socket_.is_open() && socket_.native_handle() == fd) return true;
        if (socket_.is_open()) socket_.release();
        boost::system::error_code ec;
        socket_.assign(fd, ec);
        if (ec) {
            connect_failed("cannot watch the socket: " + ec.message());
            return false;
        }
        return true;
    }

    void on_connect_ready() {
        PostgresPollingStatusType polled = PQconnectPoll(conn_);
        if (polled == PGRES_POLLING_FAILED) return connect_failed(PQerrorMessage(conn_));
        if (!watch_socket()) return;
        if (polled == PGRES_POLLING_READING)
            return wait(net::posix::stream_descriptor::wait_read, &connection::on_connect_ready);
        if (polled == PGRES_POLLING_WRITING)
            return wait(net::posix::stream_descriptor::wait_write, &connection::on_connect_ready);
        on_connected();
    }

    void on_connected() {
        timer_.cancel();
        if (PQenterPipelineMode(conn_) != 1) return connect_failed(PQerrorMessage(conn_));
        // Statements first; the waiting queries go out behind them in the
        // same pipeline (PostgreSQL handles messages in order).
        for (const statement& s : owner_.statements_) {
            if (PQsendPrepare(conn_, s.name, s.sql, s.param_count, nullptr) != 1) {
                return connect_failed(PQerrorMessage(conn_));
            }
            sent_.push_back({sent_item::kind::prepare, nullptr, nullptr});
        }
        if (PQpipelineSync(conn_) != 1) return connect_failed(PQerrorMessage(conn_));
        sent_.push_back({sent_item::kind::sync, nullptr, nullptr});
        state_ = state::ready;
        ++owner_.connects_;
        flush();
        if (state_ == state::ready) do_read();
    }

    void connect_failed(const std::string& why) {
        log::warn("database connection failed", {{"error", why}});
        sent_.clear(); // prepares only: no query is sent before the connection is ready
        in_flight_ = 0;
        disconnect();
        fail_waiting("the database is not reachable");
        state_ = state::backoff;
        timer_.expires_after(reconnect_backoff);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->state_ != state::backoff) return;
            self->state_ = state::closed;
            if (!self->waiting_.empty()) self->start_connect();
        });
    }

    // --- the pipeline ------------------------------------------------------

    // Queries submitted in this turn of the event loop go out together.
    void schedule_flush() {
        if (flush_scheduled_) return;
        flush_scheduled_ = true;
        net::post(strand_, [self = shared_from_this()] {
            self->flush_scheduled_ = false;
            self->flush();
        });
    }

    void flush() {
        if (state_ != state::ready) return;
        std::size_t batch = 0;
        while (!waiting_.empty() && in_flight_ < pipeline_depth_max) {
            waiting_query q = std::move(waiting_.front());
            waiting_.pop_front();
            std::vector<const char*> values;
            values.reserve(q.params.size());
            for (const auto& p : q.params) values.push_back(p.c_str());
            assert(static_cast<int>(values.size()) == q.stmt->param_count);
            if (PQsendQueryPrepared(conn_, q.stmt->name, static_cast<int>(values.size()), values.data(), nullptr,
                                    nullptr, 0) != 1) {
                finish(q.done, {outcome::unavailable, nullptr, PQerrorMessage(conn_)});
                return broken(PQerrorMessage(conn_));
            }
            sent_.push_back({sent_item::kind::query, std::move(q.done), nullptr});
            ++in_flight_;
            ++batch;
        }
        if (batch > 0) {
            if (PQpipelineSync(conn_) != 1) return broken(PQerrorMessage(conn_));
            sent_.push_back({sent_item::kind::sync, nullptr, nullptr});
        }
        do_write();
    }

    void do_write() {
        int flushed = PQflush(conn_);
        if (flushed < 0) return broken(PQerrorMessage(conn_));
        if (flushed == 1 && !writing_) {
            writing_ = true;
            wait(net::posix::stream_descriptor::wait_write, &connection::on_writable);
        }
    }

    void on_writable() {
        writing_ = false;
        do_write();
    }

    // A read is always pending while connected, so a connection the server
    // closes is noticed (and replaced) at once, not by the next request.
    void do_read() {
        if (reading_) return;
        reading_ = true;
        wait(net::posix::stream_descriptor::wait_read, &connection::on_readable);
    }

    void on_readable() {
        reading_ = false;
        if (PQconsumeInput(conn_) != 1) {
            // The results that did arrive before the break still count.
            take_results();
            return broken(PQerrorMessage(conn_));
        }
        if (!take_results()) return;
        if (PQstatus(conn_) == CONNECTION_BAD) return broken(PQerrorMessage(conn_));
        if (writing_) do_write();
        if (state_ != state::ready) return;
        if (!waiting_.empty()) schedule_flush(); // the pipeline had been full
        do_read();
    }

    // Hands out every complete result; false if the connection was dropped.
    bool take_results() {
        while (conn_ && !PQisBusy(conn_)) {
            PGresult* raw = PQgetResult(conn_);
            if (!raw) {
                // The end of one query's results; nothing more is buffered otherwise.
                if (sent_.empty() || sent_.front().what == sent_item::kind::sync || !sent_.front().result) break;
                complete_front();
                if (state_ != state::ready) return false;
                continue;
            }
            result_ptr r(raw);
            ExecStatusType status = PQresultStatus(raw);
            if (sent_.empty()) {
                // An error the server sent on its own (it is shutting the
                // connection down): nothing waits for it.
                broken(status == PGRES_FATAL_ERROR ? message_of(raw) : "a result nobody asked for");
                return false;
            }
            sent_item& front = sent_.front();
            if (status == PGRES_PIPELINE_SYNC) {
                if (front.what != sent_item::kind::sync) {
                    broken("the pipeline is out of step (a Sync before a result)");
                    return false;
                }
                sent_.pop_front();
                continue;
            }
            if (front.what == sent_item::kind::sync || front.result) {
                broken("the pipeline is out of step (a result where none was due)");
                return false;
            }
            front.result = std::move(r);
        }
        return true;
    }

    void complete_front() {
        sent_item item = std::move(sent_.front());
        sent_.pop_front();
        ExecStatusType status = PQresultStatus(item.result.get());
        bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
        if (item.what == sent_item::kind::prepare) {
            if (!ok) broken("cannot prepare a statement: " + message_of(item.result.get()));
            return;
        }
        --in_flight_;
        if (ok) return finish(item.done, {outcome::ok, std::move(item.result), {}});
        if (status == PGRES_PIPELINE_ABORTED) {
            // Another query of the same Sync failed; this one never ran.
            return finish(item.done, {outcome::unavailable, nullptr, "aborted with its pipeline"});
        }
        bool lost = retryable(item.result.get()) || PQstatus(conn_) == CONNECTION_BAD;
        outcome o = lost ? outcome::unavailable : outcome::failed;
        finish(item.done, {o, nullptr, message_of(item.result.get())});
    }

    // Everything sent gets 503; what has not been sent yet waits for the
    // next connection.
    void broken(const std::string& why) {
        if (state_ != state::ready) return;
        log::warn("database connection lost", {{"error", why}, {"in_flight", in_flight_}});
        for (auto& item : sent_) {
            if (item.what == sent_item::kind::query) finish(item.done, {outcome::unavailable, nullptr, why});
        }
        sent_.clear();
        in_flight_ = 0;
        disconnect();
        state_ = state::closed;
        if (!waiting_.empty()) start_connect();
    }

    void fail_waiting(const std::string& why) {
        auto failing = std::move(waiting_);
        waiting_.clear();
        for (auto& q : failing) finish(q.done, {outcome::unavailable, nullptr, why});
    }

    void disconnect() {
        ++generation_; // waits already issued are ignored when they complete
        reading_ = writing_ = false;
        if (socket_.is_open()) socket_.release(); // the descriptor is libpq's to close
        if (conn_) PQfinish(conn_);
        conn_ = nullptr;
    }

    using step = void (connection::*)();
    void wait(net::posix::stream_descriptor::wait_type type, step next) {
        socket_.async_wait(type, [self = shared_from_this(), g = generation_, next](boost::system::error_code ec) {
            if (g != self->generation_ || self->stopped_) return; // a superseded connection's wait
            if (ec) {
                if (self->state_ == state::connecting) return self->connect_failed(ec.message());
                return self->broken(ec.message());
            }
            (self.get()->*next)();
        });
    }

    net::strand<net::io_context::executor_type> strand_;
    net::posix::stream_descriptor socket_;
    net::steady_timer timer_;
    client& owner_;
    PGconn* conn_ = nullptr;
    state state_ = state::closed;
    std::uint64_t generation_ = 0;
    std::deque<waiting_query> waiting_;
    std::deque<sent_item> sent_;
    std::size_t in_flight_ = 0;
    bool reading_ = false;
    bool writing_ = false;
    bool flush_scheduled_ = false;
    bool stopped_ = false;
};

client::client(net::io_context& ioc, std::string url, std::size_t connections, std::size_t pending_max,
               std::vector<statement> statements)
    : url_(std::move(url)), pending_max_(pending_max), statements_(std::move(statements)) {
    assert(connections > 0);
    connections_.reserve(connections);
    for (std::size_t i = 0; i < connections; ++i) connections_.push_back(std::make_shared<connection>(ioc, *this));
}

client::~client() {
    for (auto& c : connections_) c->stop();
}

bool client::submit(const statement& s, std::vector<std::string> params, callback done) {
    if (pending_.fetch_add(1) >= pending_max_) {
        --pending_;
        ++rejected_;
        return false;
    }
    auto& c = connections_[next_.fetch_add(1, std::memory_order_relaxed) % connections_.size()];
    net::post(c->strand(), [c, &s, params = std::move(params), done = std::move(done)]() mutable {
        c->enqueue(s, std::move(params), std::move(done));
    });
    return true;
}

client_stats client::stats() const {
    return {connections_.size(), pending_.load(), pending_max_, rejected_.load(), connects_.load()};
}

} // namespace schwarm::api::pg
