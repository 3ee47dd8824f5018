#include "platform/risk_port.hpp"

#include <atomic>
#include <stdexcept>

namespace schwarm::risk_port {

namespace {
std::atomic<const gate*> bound{nullptr};
} // namespace

const gate& current() {
    const gate* g = bound.load(std::memory_order_acquire);
    // Investor protection is never silently off: without a gate every
    // question is a failure, not a yes.
    if (!g) throw std::logic_error("no risk gate is bound (serve binds risk's before it takes requests)");
    return *g;
}

void bind(const gate* g) { bound.store(g, std::memory_order_release); }

} // namespace schwarm::risk_port
