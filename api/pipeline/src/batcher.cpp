#include "pipeline/batcher.hpp"

#include "base/audit.hpp"
#include "ledger/ledger.hpp"
#include "pipeline/idempotency.hpp"
#include "pipeline/service.hpp"

namespace schwarm::api {

bool batcher::enqueue(const route& r, item request) {
    std::lock_guard lock(mutex_);
    lane& l = lanes_[&r];
    if (l.waiting.size() >= waiting_max_) return false;
    l.waiting.push_back(std::move(request));
    submit_locked(r, l);
    return true;
}

void batcher::submit_locked(const route& r, lane& l) {
    while (l.in_flight < in_flight_max && !l.waiting.empty()) {
        auto batch = std::make_shared<std::vector<item>>();
        std::size_t take = std::min(batch_max_, l.waiting.size());
        batch->assign(std::make_move_iterator(l.waiting.begin()), std::make_move_iterator(l.waiting.begin() + take));
        l.waiting.erase(l.waiting.begin(), l.waiting.begin() + take);
        ++l.in_flight;
        bool queued = pool_.try_submit([this, &r, batch](db::worker_context& worker) {
            run(r, *batch, worker);
            finished(r);
        });
        if (!queued) {
            --l.in_flight;
            for (auto& it : *batch) {
                it.reply(unavailable_response(busy_detail, it.ctx->request_id));
            }
        }
    }
}

void batcher::finished(const route& r) {
    std::lock_guard lock(mutex_);
    lane& l = lanes_[&r];
    --l.in_flight;
    submit_locked(r, l);
}

// A batch that fails as a whole is not the fault of every request in it:
// one bad member (a value the database refuses, say) must fail only itself.
// So a failed batch is served again one request per transaction, and each
// gets its own answer. Only the failure path pays for this.
void batcher::run(const route& r, std::vector<item>& batch, db::worker_context& worker) {
    std::vector<item*> all;
    for (auto& it : batch) all.push_back(&it);
    std::vector<std::optional<response>> responses(batch.size());
    if (!run_once(r, all, responses, worker) && batch.size() > 1) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            std::vector<item*> alone{&batch[i]};
            std::vector<std::optional<response>> own(1);
            worker.check(); // a connection the failure broke is replaced
            run_once(r, alone, own, worker);
            responses[i] = std::move(own[0]);
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].reply(std::move(*responses[i]));
}

bool batcher::run_once(const route& r, std::vector<item*>& batch, std::vector<std::optional<response>>& responses,
                       db::worker_context& worker) {
    try {
        pqxx::work tx(worker.connection());
        std::vector<std::string> tokens;
        for (const auto* it : batch) tokens.push_back(it->ctx->bearer_token);
        auto principals = users::authenticate_many(tx, tokens);
        std::vector<context*> served;
        std::vector<std::size_t> served_index;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            context& ctx = *batch[i]->ctx;
            try {
                check_role(r, ctx, principals[i]);
                ctx.bind(&tx, &tx);
                served.push_back(&ctx);
                served_index.push_back(i);
            } catch (...) {
                responses[i] = current_error_response(ctx.request_id);
            }
        }
        // Retries replay their first answer (api/idempotency.hpp).
        std::vector<idempotency::claim> claims;
        if (has(r.requires_, needs::idempotency_key) && !served.empty()) {
            for (auto* ctx : served) {
                claims.push_back(
                    {ctx->who().id, ctx->idempotency_key, idempotency::request_hash(ctx->request), ctx->request_id});
            }
            auto earlier = idempotency::take(tx, claims);
            std::vector<context*> fresh;
            std::vector<std::size_t> fresh_index;
            std::vector<idempotency::claim> taken;
            for (std::size_t n = 0; n < served.size(); ++n) {
                if (earlier[n]) {
                    responses[served_index[n]] = std::move(*earlier[n]);
                } else {
                    fresh.push_back(served[n]);
                    fresh_index.push_back(served_index[n]);
                    taken.push_back(std::move(claims[n]));
                }
            }
            served = std::move(fresh);
            served_index = std::move(fresh_index);
            claims = std::move(taken);
        }
        if (!served.empty()) {
            ledger::booking_scope scope(moves_money(r.requires_));
            audit::scope audited;
            auto out = r.handle_batch(served);
            // A request of the batch that succeeded changed something: its
            // own audit record must say so (a replay changed nothing).
            for (std::size_t n = 0; n < served.size(); ++n) {
                const response& res = out[n];
                bool succeeded = res.status < http::status::bad_request;
                SCHWARM_INVARIANT(!succeeded || replayed(res) || audited.named(served[n]->request_id),
                                  std::string(r.pattern) + " served a request without its audit record");
            }
            for (std::size_t n = 0; n < served.size(); ++n) responses[served_index[n]] = std::move(out[n]);
        }
        if (!claims.empty()) {
            std::vector<const response*> answers;
            for (auto i : served_index) answers.push_back(&*responses[i]);
            idempotency::keep(tx, claims, answers);
        }
        tx.commit();
        // Where these writes are in the WAL, for the clients' next reads from a replica.
        if (!batch.empty() && batch.front()->ctx->app.replicas) {
            std::string lsn = wal_position(worker.connection());
            for (auto& res : responses) {
                if (res && res->status < http::status::bad_request) res->headers.emplace_back("Schwarm-LSN", lsn);
            }
        }
        return true;
    } catch (...) {
        // The transaction failed as a whole: nothing of the batch is booked,
        // so every request that was not already refused gets the error.
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (!responses[i] || responses[i]->status < http::status::bad_request) {
                responses[i] = current_error_response(batch[i]->ctx->request_id);
            }
        }
        return false;
    }
}

} // namespace schwarm::api
