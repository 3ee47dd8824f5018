#include "base/db.hpp"

#include "base/config.hpp"
#include "base/log.hpp"
#include "base/problem.hpp"

namespace schwarm::db {

namespace {
std::vector<const query*>& registry() {
    static std::vector<const query*> queries;
    return queries;
}
} // namespace

query::query(const char* n, const char* s) : name(n), sql(s) { registry().push_back(this); }

std::string array_literal(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(values[i]);
    }
    return out + "}";
}

std::string array_literal(const std::vector<std::optional<std::int64_t>>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += values[i] ? std::to_string(*values[i]) : "NULL";
    }
    return out + "}";
}

std::string array_literal(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

namespace {
std::mutex zone_mutex;
std::string& zone() {
    static std::string name = "Europe/Berlin";
    return name;
}
} // namespace

void set_time_zone(const std::string& name) {
    std::lock_guard lock(zone_mutex);
    zone() = name;
}

std::unique_ptr<pqxx::connection> connect(const std::string& url) {
    auto connection = std::make_unique<pqxx::connection>(url);
    std::string name;
    {
        std::lock_guard lock(zone_mutex);
        name = zone();
    }
    try {
        pqxx::nontransaction tx(*connection);
        // The last column fails for a zone PostgreSQL does not know.
        tx.exec_params("SELECT set_config('schwarm.time_zone', $1, false), set_config('TimeZone', 'UTC', false), "
                       "now() AT TIME ZONE $1",
                       name);
    } catch (const pqxx::data_exception&) {
        throw config_error("SCHWARM_TIME_ZONE: PostgreSQL knows no time zone '" + name + "'");
    }
    for (const query* q : registry()) connection->prepare(q->name, q->sql);
    return connection;
}

pqxx::connection& worker_context::connection() {
    if (!connection_) {
        try {
            connection_ = connect(url_);
        } catch (const pqxx::broken_connection& e) {
            throw problem(problems::unavailable, "The database is not reachable", e.what());
        }
    }
    return *connection_;
}

void worker_context::check() {
    if (connection_ && !connection_->is_open()) connection_.reset();
}

pool::pool(std::string url, int workers, std::size_t queue_max) : url_(std::move(url)), queue_max_(queue_max) {
    threads_.reserve(static_cast<std::size_t>(workers));
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
}

pool::~pool() { stop(); }

bool pool::try_submit(job work) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= queue_max_) {
            ++rejected_;
            return false;
        }
        queue_.push_back(std::move(work));
    }
    ready_.notify_one();
    return true;
}

void pool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
    threads_.clear();
}

pool_stats pool::stats() const {
    std::lock_guard lock(mutex_);
    return {static_cast<int>(threads_.size()), busy_.load(), queue_.size(), queue_max_, rejected_.load()};
}

void pool::run() {
    worker_context context(url_);
    for (;;) {
        job work;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return; // stopping, and everything queued has run
            work = std::move(queue_.front());
            queue_.pop_front();
        }
        ++busy_;
        try {
            work(context);
        } catch (const std::exception& e) {
            // Jobs answer their own errors; one escaping here is a bug, but it
            // must not take the worker (and its connection) down with it.
            log::error("db job failed", {{"error", e.what()}});
        }
        --busy_;
        context.check();
    }
}

} // namespace schwarm::db
