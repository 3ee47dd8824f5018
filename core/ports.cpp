#include "core/ledger_port.hpp"
#include "core/risk_port.hpp"

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
} // namespace ledger_port

} // namespace schwarm
