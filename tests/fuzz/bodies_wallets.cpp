// The deposit and payout reader (api/resources/src/wallets.cpp).
#include "resources/bodies.hpp"

#include "bodies.hpp"
#include "support.hpp"

namespace schwarm::fuzz {

void wallets_bodies(api::context& ctx, unsigned which) {
    wallets::movement m = api::bodies::wallet_movement(ctx, which % 2 ? "payout" : "deposit");
    require(m.amount_minor >= 1, "a movement moves a positive amount");
    require(m.owner.value >= 1, "a movement names a user");
}

} // namespace schwarm::fuzz
