// The ledger's entry readers (api/resources/src/ledger.cpp), followed by
// ledger::validate as book() would run it.
#include "resources/bodies.hpp"

#include "bodies.hpp"
#include "support.hpp"

namespace schwarm::fuzz {

void ledger_bodies(api::context& ctx, unsigned which) {
    ledger::entry_request request;
    switch (which % 4) {
    case 0: request = api::bodies::new_entry(ctx); break;
    case 1: request = api::bodies::post_hold(ctx); break;
    case 2: request = api::bodies::void_hold(ctx); break;
    default: request = api::bodies::batch_entry(ctx.json_body(), "entries[0]."); break;
    }
    // The reader leaves one posting too many for the ledger to name.
    require(request.postings.size() <= ledger::postings_per_entry_max + 1, "postings bounded by the reader");
    require(!request.idempotency_key.empty(), "a read entry has a key");
    ledger::validate(request);
}

} // namespace schwarm::fuzz
