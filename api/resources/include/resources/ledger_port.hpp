#pragma once
// core's ledger port bound to ledger/ (api/ledger_port.cpp); main() binds it.

#include "platform/ledger_port.hpp"

namespace schwarm::api {

const ledger_port::port& ledger_binding_instance();

} // namespace schwarm::api
