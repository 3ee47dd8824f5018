#include "jobs/maintenance.hpp"

#include "base/crypto.hpp"
#include "base/db.hpp"
#include "base/log.hpp"
#include "ledger/ledger.hpp"
#include "ledger/seal.hpp"
#include "pipeline/idempotency.hpp"
#include "platform/ideas.hpp"
#include "platform/settlement.hpp"

#include <chrono>
#include <malloc.h>
#include <thread>

namespace schwarm::jobs {

namespace {

// Settles due campaigns, a chunk of holds per transaction, until none is due
// or `chunks_max` chunks are done (the rest waits for the next tick).
void settle_due(db::worker_context& worker, const config& cfg) {
    constexpr int chunks_max = 50;
    settlement::settings s{cfg.platform_fee_bp, cfg.settlement_chunk};
    for (int i = 0; i < chunks_max; ++i) {
        auto step = settlement::settle_next(worker.connection(), s, "job-settlement-" + crypto::random_hex(8));
        if (!step) return;
        if (step->finished) {
            log::info("campaign settled", {{"project_id", step->project.value}, {"outcome", step->outcome}});
        }
    }
}

// Supports that aged out of the 7-day window leave their ideas' momentum,
// a bounded number of calls per tick (the rest waits for the next one).
void decay_momentum(db::worker_context& worker) {
    constexpr int supports_per_call = 1000;
    constexpr int calls_max = 20;
    for (int i = 0; i < calls_max; ++i) {
        pqxx::work tx(worker.connection());
        int decayed = ideas::decay_momentum(tx, supports_per_call, "job-momentum-" + crypto::random_hex(8));
        tx.commit();
        if (decayed < supports_per_call) return;
    }
}

} // namespace

void run_maintenance(const config& cfg, const std::atomic<bool>& stop) {
    constexpr auto tick = std::chrono::milliseconds(100); // sealing lag is at most about this
    constexpr int ticks_per_expiry = 10;
    constexpr int ticks_per_trim = 100;
    constexpr int expiry_batch_max = 1000;
    db::worker_context worker(cfg.database_url);
    auto settled_at = std::chrono::steady_clock::now() - std::chrono::milliseconds(cfg.settlement_interval_ms);
    for (int n = 0; !stop; ++n) {
        try {
            int sealed = ledger::seal_pending(worker.connection(), ledger::seal_entries_per_call_max);
            if (sealed > 0) log::info("ledger entries sealed", {{"count", sealed}});
            if (n % ticks_per_expiry == 0) {
                pqxx::work tx(worker.connection());
                int voided = ledger::void_expired_holds(tx, expiry_batch_max);
                int forgotten = api::idempotency::prune(tx, cfg.idempotency_retention_s, expiry_batch_max);
                tx.commit();
                if (voided > 0) log::info("expired holds voided", {{"count", voided}});
                if (forgotten > 0) log::info("replayable answers forgotten", {{"count", forgotten}});
                decay_momentum(worker);
            }
            if (std::chrono::steady_clock::now() - settled_at >=
                std::chrono::milliseconds(cfg.settlement_interval_ms)) {
                settled_at = std::chrono::steady_clock::now();
                settle_due(worker, cfg);
            }
        } catch (const std::exception& e) {
            log::warn("background work failed", {{"error", e.what()}});
        }
        // Memory freed after a burst (large bodies, many connections, their
        // handshakes) goes back to the system, not only what sat at the top
        // of a heap: the process does not stay at its peak (bench/RESULTS.md).
        if (n % ticks_per_trim == 0) malloc_trim(0);
        worker.check();
        std::this_thread::sleep_for(tick);
    }
}

} // namespace schwarm::jobs
