#!/usr/bin/env python3
"""Mixed load for bench/failover.sh: transfers, pledges and ballots over HTTPS,
each request retried under its own Idempotency-Key until it is acknowledged,
as a careful client does. Writes one JSON line per request to --out and a
summary (pauses, retries) to stdout as JSON.

A request is acknowledged by its success status (201 transfer and pledge; 201
ballot, or 200 when it replaced the voter's earlier one); a 4xx refusal counts as an error of the bench. Anything else (a
dropped connection, 5xx, 429) is retried after a short wait. Each client casts
the ballots of its own voters in turn, again from the first when it has cast
them all (a later ballot replaces the earlier).
"""
import argparse
import itertools
import http.client
import json
import random
import ssl
import threading
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--staff-token", required=True)
    p.add_argument("--cash", required=True, help="bank cash account id (debited by transfers)")
    p.add_argument("--wallets", required=True, help="FIRST-LAST wallet account ids")
    p.add_argument("--backers", required=True, help="FIRST-LAST customer ids with bench tokens")
    p.add_argument("--projects", required=True, help="comma-separated funding project ids")
    p.add_argument("--round", required=True)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--stop-file", help="stop early when this file exists")
    p.add_argument("--retry-deadline", type=float, default=120.0)
    p.add_argument("--out", required=True)
    return p.parse_args()


def span(text):
    a, b = text.split("-")
    return int(a), int(b)


class client:
    def __init__(self, args, n, records, lock):
        self.args = args
        self.n = n
        self.records = records
        self.lock = lock
        self.context = ssl.create_default_context(cafile=args.ca)
        self.context.check_hostname = False
        self.connection = None
        self.random = random.Random(n)
        self.counter = 0

    def send(self, method, path, body, headers):
        if self.connection is None:
            self.connection = http.client.HTTPSConnection(self.args.host, self.args.port, context=self.context,
                                                          timeout=15)
        try:
            self.connection.request(method, path, body=json.dumps(body), headers=headers)
            r = self.connection.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return r.status, data
        except (OSError, http.client.HTTPException) as e:
            self.connection.close()
            self.connection = None
            return 0, str(e).encode()

    def one(self, voter):
        a = self.args
        self.counter += 1
        key = f"failover-{self.n}-{self.counter}"
        kind = ("transfer", "pledge", "ballot")[self.counter % 3]
        if kind == "transfer":
            lo, hi = span(a.wallets)
            amount = self.random.randint(1, 10000)
            method, path, token, ok = "POST", "/v1/ledger/entries", a.staff_token, (201,)
            body = {"postings": [
                {"account_id": a.cash, "side": "debit", "amount_minor": amount, "currency": "EUR"},
                {"account_id": str(self.random.randint(lo, hi)), "side": "credit", "amount_minor": amount,
                 "currency": "EUR"}]}
        elif kind == "pledge":
            lo, hi = span(a.backers)
            project = self.random.choice(a.projects.split(","))
            method, path, ok = "POST", f"/v1/projects/{project}/pledges", (201,)
            token = f"bench-token-{self.random.randint(lo, hi)}"
            body = {"amount_minor": 100 * self.random.randint(1, 50), "currency": "EUR"}
        else:
            method, path, ok = "PUT", f"/v1/rounds/{a.round}/ballot", (200, 201)  # replaced, first cast
            token = f"bench-token-{voter}"
            x, y = self.random.randint(1, 20), self.random.randint(21, 40)
            body = {"choices": [{"project": f"p{x}"}, {"project": f"p{y}"}]}
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key}
        started = time.time()
        attempts, failures = 0, []
        while True:
            attempts += 1
            sent = time.time()
            status, data = self.send(method, path, body, headers)
            if status in ok or 400 <= status < 500 and status != 429:
                break
            failures.append((sent, status, data[:200].decode(errors="replace")))
            if time.time() - started > a.retry_deadline:
                break
            time.sleep(0.05 + 0.05 * self.random.random())
        record = {"kind": kind, "key": key, "status": status, "attempts": attempts, "started": started,
                  "acked": time.time() if status in ok else None, "first_failure": failures[0][0] if failures else None,
                  "first_failure_status": failures[0][1] if failures else None,
                  "first_failure_body": failures[0][2] if failures else None}
        if status in ok:
            reply = json.loads(data)
            record["id"] = reply.get("id") if kind != "ballot" else str(voter)
        else:
            record["error"] = data[:300].decode(errors="replace")
        with self.lock:
            self.records.append(record)

    def run(self, voters, until):
        for voter in voters:
            if time.time() >= until or (self.args.stop_file and _exists(self.args.stop_file)):
                return
            self.one(voter)


def _exists(path):
    try:
        open(path).close()
        return True
    except OSError:
        return False


def main():
    a = parse()
    lo, hi = span(a.backers)
    records, lock = [], threading.Lock()
    until = time.time() + a.seconds
    # Each client votes for its own voters, one ballot per voter.
    threads = []
    for n in range(a.clients):
        voters = itertools.cycle(range(lo + n, hi + 1, a.clients))
        c = client(a, n, records, lock)
        threads.append(threading.Thread(target=c.run, args=(voters, until)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(a.out, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    acked = [r for r in records if r["acked"]]
    retried = [r for r in records if r["first_failure"]]
    # The pause: the longest time in which no request was acknowledged.
    times = sorted(r["acked"] for r in acked)
    pause, pause_from = 0.0, None
    for a_, b_ in zip(times, times[1:]):
        if b_ - a_ > pause:
            pause, pause_from = b_ - a_, a_
    first_statuses = {}
    for r in retried:
        k = f'{r["kind"]} {r["first_failure_status"]}'
        first_statuses[k] = first_statuses.get(k, 0) + 1
    print(json.dumps({
        "requests": len(records),
        "acked": len(acked),
        "not_acked": len(records) - len(acked),
        "retried": len(retried),
        "attempts_max": max((r["attempts"] for r in records), default=0),
        "longest_ms": round(1000 * max(((r["acked"] or time.time()) - r["started"] for r in records), default=0)),
        "pause_s": round(pause, 2),
        "pause_from": pause_from,
        "first_failures": first_statuses,
        "by_kind": {k: sum(1 for r in acked if r["kind"] == k) for k in ("transfer", "pledge", "ballot")},
    }))


if __name__ == "__main__":
    main()
