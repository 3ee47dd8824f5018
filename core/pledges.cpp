#include "core/pledges.hpp"

#include "core/db.hpp"

namespace schwarm::pledges {

namespace {

const db::query select_has_backed{
    "pledges.has_backed", "SELECT EXISTS (SELECT 1 FROM pledges WHERE project_id = $2 AND backer_id = $1)"};
const db::query select_pledged_by{
    "pledges.pledged_by",
    "SELECT coalesce(sum(amount_minor), 0)::bigint FROM pledges "
    "WHERE project_id = $2 AND backer_id = $1 AND state IN ('held', 'posted')"};
const db::query select_raised_by_owner{
    "pledges.raised_by_owner",
    "SELECT coalesce(sum(g.amount_minor), 0)::bigint FROM projects p JOIN pledges g ON g.project_id = p.id "
    "WHERE p.owner_id = $1 AND g.state IN ('held', 'posted') AND g.created_at > now() - interval '12 months'"};
const db::query select_has_pledged_to_loan{
    "pledges.has_pledged_to_loan",
    "SELECT EXISTS (SELECT 1 FROM pledges g JOIN projects p ON p.id = g.project_id "
    "WHERE g.backer_id = $1 AND p.kind = 'loan' AND g.state IN ('held', 'posted'))"};

} // namespace

bool has_backed(pqxx::transaction_base& tx, user_id user, std::int64_t project_id) {
    return tx.exec_prepared(select_has_backed.name, user.value, project_id)[0][0].as<bool>();
}

std::int64_t pledged_by(pqxx::transaction_base& tx, user_id backer, std::int64_t project_id) {
    return tx.exec_prepared(select_pledged_by.name, backer.value, project_id)[0][0].as<std::int64_t>();
}

std::int64_t raised_by_owner_last_12_months(pqxx::transaction_base& tx, user_id owner) {
    return tx.exec_prepared(select_raised_by_owner.name, owner.value)[0][0].as<std::int64_t>();
}

bool has_pledged_to_loan(pqxx::transaction_base& tx, user_id backer) {
    return tx.exec_prepared(select_has_pledged_to_loan.name, backer.value)[0][0].as<bool>();
}

} // namespace schwarm::pledges
