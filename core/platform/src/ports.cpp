#include "platform/ledger_port.hpp"
#include "platform/risk_port.hpp"

#include <atomic>
#include <stdexcept>

namespace schwarm {

namespace risk_port {
namespace {
const gate permissive;
std::atomic<const gate*> bound{&permissive};
} // namespace
const gate& current() { return *bound.load(std::memory_order_acquire); }
void bind(const gate* g) { bound.store(g ? g : &permissive, std::memory_order_release); }
} // namespace risk_port

namespace ledger_port {
namespace {
std::atomic<const port*> bound{nullptr};
} // namespace
const port& current() {
    const port* p = bound.load(std::memory_order_acquire);
    if (!p) throw std::logic_error("no ledger is bound (api's main binds one)");
    return *p;
}
void bind(const port* p) { bound.store(p, std::memory_order_release); }

namespace {
thread_local bool bookings_allowed = true;
} // namespace
booking_scope::booking_scope(bool allowed) : before_(bookings_allowed) { bookings_allowed = allowed; }
booking_scope::~booking_scope() { bookings_allowed = before_; }
bool booking_scope::allowed() { return bookings_allowed; }

std::vector<std::int64_t> book_all(pqxx::work& tx, std::span<const booking> bookings) {
    auto outcomes = current().book(tx, bookings, true);
    const problem* first = nullptr;
    for (const auto& o : outcomes) {
        auto* p = std::get_if<problem>(&o);
        if (p && (!first || first->slug_is("linked-entry-failed"))) first = p;
    }
    if (first) throw *first;
    std::vector<std::int64_t> entries;
    entries.reserve(outcomes.size());
    for (const auto& o : outcomes) entries.push_back(std::get<booked>(o).entry_id);
    return entries;
}
} // namespace ledger_port

} // namespace schwarm
