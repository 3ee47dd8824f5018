#pragma once
// Background work no request owns, on a thread and a connection of its own
// so that it neither takes request capacity nor piles up behind it: seal new
// ledger entries into the hash chain (one process at a time, an advisory
// lock), void expired holds, forget old replayable answers (rows claimed with
// SKIP LOCKED), settle the campaigns that are due, and decay ideas' momentum
// as their supports age out of the 7-day window.

#include "base/config.hpp"

#include <atomic>

namespace schwarm::jobs {

// Runs until `stop` is set; each kind of work at its own pace.
void run_maintenance(const config& cfg, const std::atomic<bool>& stop);

} // namespace schwarm::jobs
