#pragma once
// What the platform's domain asks of risk (DESIGN.md 2 and 4.5): the domain
// declares this small interface, risk/ implements it, `serve` binds it before
// it takes requests. Unbound, every question fails (an unbound gate refuses,
// never permits): investor protection cannot be silently off.

#include "base/ids.hpp"
#include "base/problem.hpp"
#include "platform/users.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace schwarm::risk_port {

// One pledge about to be placed.
struct pledge_request {
    user_id backer;
    std::int64_t project_id = 0;
    user_id project_owner;
    std::string project_kind; // donation | reward | loan
    std::int64_t amount_minor = 0;
    std::string currency_code;
    bool risk_acknowledged = false; // the backer confirmed the risk warning with this pledge
};

// One lifecycle move of a project (core/projects.cpp's table).
struct transition_request {
    std::int64_t project_id = 0;
    user_id owner;
    std::string kind; // donation | reward | loan
    std::int64_t goal_minor = 0;
    std::string currency_code;
    std::string action; // submit, approve, …
    std::string from_state;
    std::string to_state;
    users::principal actor;
    std::string request_id;
};

class gate {
public:
    virtual ~gate() = default;

    // Asked inside the pledge transaction, after the project's row is locked
    // (so pledges to one project are serialised), for every pledge
    // of a batch in order. Returns one answer per request: nullopt allows it,
    // a problem refuses it naming the rule and the numbers. An answer must
    // count the allowed requests before it in the same span, which are not
    // yet in the database.
    virtual std::vector<std::optional<problem>> pledges_allowed(pqxx::work& tx,
                                                                std::span<const pledge_request> requests) const = 0;

    // Whether each backer may revoke a pledge within the reflection period
    // (non-sophisticated investors, EU 2020/1503 art. 22); one answer per
    // backer, in order (a pledge batch asks once for all its backers).
    virtual std::vector<bool> may_revoke(pqxx::transaction_base& tx, std::span<const user_id> backers) const = 0;

    // Asked before a lifecycle move, in its transaction with the project row
    // locked; a problem refuses the move.
    virtual std::optional<problem> transition_allowed(pqxx::work& tx, const transition_request& move) const = 0;

    // Told after a move, in the same transaction (a submitted loan enters the
    // review queue, say).
    virtual void transitioned(pqxx::work& tx, const transition_request& move) const = 0;
};

// The bound gate; throws std::logic_error (the request fails) when none is.
const gate& current();
// main() binds risk before serving; the gate must outlive the process's use.
void bind(const gate* g);

} // namespace schwarm::risk_port
