#pragma once
// Group commit: concurrent requests to a route that declares a batch handler
// are served together, in one database transaction per batch, as TigerBeetle
// batches transfers. While a batch is in flight, new requests wait; when it
// finishes, everything that waited (up to batch_max) goes as the next batch.
// So under load a hot account's row is locked and updated once per batch,
// and the commit's fsync is shared; when idle, a request goes at once.

#include "base/db.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace schwarm::api {

class context;
struct route;
struct response;

class batcher {
public:
    struct item {
        std::shared_ptr<context> ctx;
        std::function<void(response)> reply; // called on a worker thread
    };

    batcher(db::pool& pool, std::size_t batch_max, std::size_t waiting_max)
        : pool_(pool), batch_max_(batch_max), waiting_max_(waiting_max) {}

    // False when too many requests already wait: the caller answers 503.
    bool enqueue(const route& r, item request);

private:
    // Batches of one route in flight at once: two, so that one batch's
    // parsing and authentication overlap the other's commit.
    static constexpr int in_flight_max = 2;

    struct lane {
        std::vector<item> waiting;
        int in_flight = 0;
    };

    void submit_locked(const route& r, lane& l);
    void run(const route& r, std::vector<item>& batch, db::worker_context& worker);
    // One transaction for `batch`: its responses, or false when it failed as a
    // whole (then nothing of it committed).
    bool run_once(const route& r, std::vector<item*>& batch, std::vector<std::optional<response>>& responses,
                  db::worker_context& worker);
    void finished(const route& r);

    db::pool& pool_;
    const std::size_t batch_max_;
    const std::size_t waiting_max_;
    std::mutex mutex_;
    std::map<const route*, lane> lanes_;
};

} // namespace schwarm::api
