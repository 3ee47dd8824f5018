#include "support/history.hpp"

#include <algorithm>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace schwarm::test::history {

namespace {

bool plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '+' || c == '-';
}

// Values are percent-encoded where they are not plain, so that a NUL byte
// or a space in a request survives the printed history.
std::string encode(const std::string& value) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (char c : value) {
        if (plain(c)) {
            out += c;
        } else {
            auto u = static_cast<unsigned char>(c);
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

std::string decode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string words(const std::string& op, const std::map<std::string, std::string>& args) {
    std::string out = op;
    for (const auto& [k, v] : args) out += " " + k + "=" + encode(v);
    return out;
}

std::pair<std::string, std::map<std::string, std::string>> read_words(const std::string& line) {
    std::istringstream in(line);
    std::string op, word;
    in >> op;
    std::map<std::string, std::string> args;
    while (in >> word) {
        auto eq = word.find('=');
        if (eq == std::string::npos) throw std::invalid_argument("history: not key=value: " + word);
        args[word.substr(0, eq)] = decode(word.substr(eq + 1));
    }
    return {op, args};
}

step read_step(const std::string& line) {
    auto [op, args] = read_words(line);
    step s;
    s.op = op;
    s.n = std::stoi(args.at("n"));
    args.erase("n");
    s.args = std::move(args);
    return s;
}

std::string name(const char* prefix, int n) { return prefix + std::to_string(n); }

bool is_plain_amount(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::string step::arg(const std::string& name, const std::string& fallback) const {
    auto it = args.find(name);
    return it == args.end() ? fallback : it->second;
}

std::int64_t step::number(const std::string& name, std::int64_t fallback) const {
    auto it = args.find(name);
    return it == args.end() ? fallback : std::stoll(it->second);
}

bool config::allows(const std::string& op) const {
    return ops.empty() || std::find(ops.begin(), ops.end(), op) != ops.end();
}

std::string print(const step& s) {
    auto args = s.args;
    args["n"] = std::to_string(s.n);
    std::string out = words(s.op, args);
    for (const auto& part : s.parts) out += "\n  " + print(part);
    return out;
}

std::string print(const recorded& h) {
    const config& c = h.cfg;
    std::map<std::string, std::string> args{{"seed", std::to_string(c.seed)},
                                            {"fee_bp", std::to_string(c.fee_bp)},
                                            {"chunk", std::to_string(c.settlement_chunk)},
                                            {"job", c.settlement_job ? "1" : "0"},
                                            {"owner_limit", std::to_string(c.owner_limit_minor)},
                                            {"project_limit", std::to_string(c.project_limit_minor)},
                                            {"faults", c.faults ? "1" : "0"},
                                            {"steps", std::to_string(c.steps)}};
    std::string ops;
    for (const auto& op : c.ops) ops += (ops.empty() ? "" : ",") + op;
    if (!ops.empty()) args["ops"] = ops;
    std::string out = words("config", args) + "\n";
    for (const auto& s : h.steps) out += print(s) + "\n";
    return out;
}

recorded parse(const std::string& text) {
    recorded h;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (line.starts_with("  ")) {
            if (h.steps.empty()) throw std::invalid_argument("history: a part before its burst");
            h.steps.back().parts.push_back(read_step(line.substr(2)));
            continue;
        }
        if (line.starts_with("config")) {
            auto [op, a] = read_words(line);
            config& c = h.cfg;
            c.seed = std::stoull(a.at("seed"));
            c.fee_bp = std::stoi(a.at("fee_bp"));
            c.settlement_chunk = std::stoi(a.at("chunk"));
            c.settlement_job = a.at("job") == "1";
            c.owner_limit_minor = std::stoll(a.at("owner_limit"));
            c.project_limit_minor = std::stoll(a.at("project_limit"));
            c.faults = a.at("faults") == "1";
            c.steps = std::stoi(a.at("steps"));
            if (a.contains("ops")) {
                std::istringstream list(a.at("ops"));
                std::string op_name;
                while (std::getline(list, op_name, ',')) c.ops.push_back(op_name);
            }
            continue;
        }
        h.steps.push_back(read_step(line));
    }
    return h;
}

config config_for(std::uint64_t seed, const config& base) {
    config c = base;
    c.seed = seed;
    std::mt19937_64 random(seed ^ 0x5c4a'0018'0000'0000ULL);
    auto one_of = [&](auto list) { return list[random() % list.size()]; };
    c.fee_bp = one_of(std::vector<int>{0, 150, 200, 333});
    c.settlement_chunk = one_of(std::vector<int>{1, 2, 3, 5000});
    c.settlement_job = random() % 2 == 0;
    c.owner_limit_minor = one_of(std::vector<std::int64_t>{60'000, 150'000, 500'000'000});
    c.project_limit_minor = one_of(std::vector<std::int64_t>{30'000, 100'000, 10'000'000});
    return c;
}

bool generator::chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
int generator::pick(int n) { return n <= 1 ? 0 : std::uniform_int_distribution<int>(0, n - 1)(random_); }
std::int64_t generator::between(std::int64_t lo, std::int64_t hi) {
    return hi <= lo ? lo : std::uniform_int_distribution<std::int64_t>(lo, hi)(random_);
}

std::vector<std::string> generator::customers(const model::platform& m) {
    std::vector<std::string> out;
    for (const auto& [name, c] : m.customers) out.push_back(name);
    return out;
}

std::vector<step> generator::opening() {
    std::vector<step> out;
    int n = 0;
    for (int i = 0; i < 6; ++i, ++n) {
        // The last is no investor yet: loans refuse their pledges.
        out.push_back({n, "register", {{"name", name("c", n)}, {"ready", i == 5 ? "0" : "1"}}, {}});
    }
    for (int i = 0; i < 6; ++i, ++n) {
        out.push_back({n,
                       "deposit",
                       {{"who", name("c", i)},
                        {"amount", std::to_string(between(20'000, 400'000))},
                        {"currency", "EUR"},
                        {"staff", "staff"},
                        {"key", name("k", n)}},
                       {}});
        money_steps_.push_back(n);
    }
    model::platform empty;
    for (int i = 0; i < 3; ++i, ++n) out.push_back(open(empty, n, name("c", i % 2)));
    return out;
}

step generator::open(const model::platform&, int n, const std::string& owner) {
    step s{n, "open", {{"name", name("p", n)}, {"owner", owner}}, {}};
    bool loan = cfg_.allows("loan") && chance(0.45);
    std::string kind = loan ? "loan" : chance(0.75) ? "donation" : "reward";
    s.args["kind"] = kind;
    s.args["mode"] = loan || chance(0.7) ? "all_or_nothing" : "keep_it_all";
    // Loans smaller, so that some are funded, disbursed and repaid within a history.
    std::int64_t goal = loan ? between(5'000, 25'000) : between(5'000, 200'000);
    s.args["goal"] = std::to_string(goal);
    s.args["min"] = std::to_string(chance(0.15) ? std::max<std::int64_t>(1, goal / 10) : 1);
    s.args["over"] = !loan && cfg_.allows("overfunding") && chance(0.2) ? "1" : "0";
    // Deadlines from six hours to ten days ahead: some end inside a pledge's
    // reflection period, some after it.
    s.args["deadline"] = std::to_string(between(6 * 3600, 10 * 86'400));
    if (loan) {
        // Terms from interest-free to 20 %, one month to five years, both
        // kinds of schedule (a history without them: 5 %, 12, annuity).
        static const int rates[] = {0, 1, 350, 500, 999, 2000};
        static const int terms[] = {1, 2, 7, 12, 36, 60};
        s.args["rate"] = std::to_string(rates[pick(6)]);
        s.args["term"] = std::to_string(terms[pick(6)]);
        s.args["schedule"] = chance(0.6) ? "annuity" : "equal_principal";
    }
    return s;
}

step generator::pledge(const model::platform& m, int n) {
    auto people = customers(m);
    step s{n, "pledge", {{"name", name("g", n)}, {"key", name("k", n)}}, {}};
    std::vector<std::string> projects, funding;
    for (const auto& [pname, p] : m.projects) {
        projects.push_back(pname);
        if (p.state == "funding" && p.deadline > m.now) funding.push_back(pname);
    }
    // Mostly campaigns open for pledges; now and then a closed or unknown one.
    std::string project = projects.empty() || chance(0.04)   ? "p999999"
                          : !funding.empty() && chance(0.85) ? any(funding)
                                                             : any(projects);
    s.args["project"] = project;
    auto found = m.projects.find(project);
    std::string who = any(people);
    for (int again = 0; again < 3 && found != m.projects.end() && who == found->second.owner; ++again) {
        if (chance(0.1)) break; // one's own project, on purpose
        who = any(people);
    }
    s.args["who"] = who;
    const model::project* p = found == m.projects.end() ? nullptr : &found->second;
    const model::wallet* w = m.find_wallet(who, "EUR");
    std::int64_t goal = p ? p->goal : 10'000;
    std::int64_t rest = p ? p->goal - p->pledged : 0;
    std::int64_t available = w ? w->available() : 0;
    std::int64_t least = p ? p->min_pledge : 1;
    // An ordinary pledge: at least the minimum, within the wallet and the goal.
    std::int64_t amount =
        between(least, std::max(least, std::min({available, std::max<std::int64_t>(rest, 1), goal / 3})));
    int flavour = pick(140);
    if (p && p->kind == "loan" && rest > 0 && chance(0.5)) {
        // A loan made whole (or nearly) by the investor with the most room,
        // so that loans get funded, disbursed and repaid.
        std::string best;
        std::int64_t room = 0;
        for (const auto& person : people) {
            auto c = m.customers.find(person);
            const model::wallet* pw = m.find_wallet(person, "EUR");
            if (person == p->owner || c == m.customers.end() || !c->second.investor_ready || !pw) continue;
            std::int64_t lent = 0;
            for (const auto& [gname, g] : m.pledges) {
                if (g.backer == person && g.project == project &&
                    (g.state == model::pledge_state::held || g.state == model::pledge_state::posted))
                    lent += g.amount;
            }
            std::int64_t fits = std::min({rest, pw->available(), cfg_.project_limit_minor - lent});
            if (fits > room) best = person, room = fits;
        }
        if (!best.empty() && room >= least) {
            s.args["who"] = best;
            s.args["amount"] = std::to_string(room);
            s.args["currency"] = "EUR";
            s.args["ack"] = "1";
            return s;
        }
        flavour = 0;
    }
    if (flavour < 15 && rest > 0) amount = rest;                        // exactly the goal
    else if (flavour < 25 && rest > 0) amount = rest + between(1, 100); // past the goal
    else if (flavour < 35 && available > 0) amount = available + 1;     // past the wallet
    else if (flavour < 42 && available > 0) amount = available;         // all of it
    else if (flavour < 47 && p && p->min_pledge > 1) amount = p->min_pledge - 1;
    else if (flavour < 55) amount = between(goal / 2, goal * 2);
    else if (flavour < 65 && p && p->kind == "loan") { // near the investor limits
        std::int64_t owner_room = cfg_.owner_limit_minor - m.raised_by_owner(p->owner);
        amount = std::max<std::int64_t>(1, chance(0.5) ? owner_room + between(-50, 50)
                                                       : cfg_.project_limit_minor + between(-50, 50));
    }
    s.args["amount"] = std::to_string(std::max<std::int64_t>(1, amount));
    s.args["currency"] = "EUR";
    int bad = pick(100);
    if (bad < 4) s.args["currency"] = "CHF";
    else if (bad < 6 && cfg_.allows("bad_currency"))
        s.args["currency"] = any(std::vector<std::string>{"eur", "EURO", "XYZ"});
    else if (bad < 10 && cfg_.allows("nul")) s.args["currency"] = std::string("E\0R", 3);
    else if (bad < 13) s.args["amount"] = any(std::vector<std::string>{"0", "-100", "12.5", "\"100\""});
    s.args["ack"] = chance(0.15) ? "1" : "0";
    return s;
}

step generator::revoke(const model::platform& m, int n) {
    std::vector<std::string> held, all;
    for (const auto& [gname, g] : m.pledges) {
        all.push_back(gname);
        if (g.state == model::pledge_state::held) held.push_back(gname);
    }
    step s{n, "revoke", {{"key", name("k", n)}}, {}};
    if (all.empty() || chance(0.05)) {
        s.args["pledge"] = "g999999";
        s.args["who"] = any(customers(m));
        return s;
    }
    std::string target = !held.empty() && chance(0.7) ? any(held) : any(all);
    s.args["pledge"] = target;
    s.args["who"] = chance(0.1) ? any(customers(m)) : m.pledges.at(target).backer;
    return s;
}

step generator::deposit(const model::platform& m, int n, const char* op) {
    auto people = customers(m);
    std::string who = cfg_.allows("not_customer") && chance(0.03) ? "staff2" : any(people);
    step s{n, op, {{"who", who}, {"key", name("k", n)}, {"staff", chance(0.2) ? "staff2" : "staff"}}, {}};
    s.args["currency"] = chance(0.08) ? "CHF" : chance(0.03) ? "XYZ" : "EUR";
    const model::wallet* w = m.find_wallet(who, s.args["currency"]);
    std::int64_t available = w ? w->available() : 0;
    std::int64_t amount = std::string(op) == "deposit" ? between(1'000, 300'000)
                          : chance(0.3)                ? available + 1
                                                       : between(1, std::max<std::int64_t>(1, available));
    s.args["amount"] = chance(0.03) ? "0" : std::to_string(amount);
    return s;
}

step generator::project_move(const model::platform& m, int n, const char* op) {
    std::vector<std::string> funding, all;
    for (const auto& [pname, p] : m.projects) {
        all.push_back(pname);
        if (p.state == "funding" || p.state == "funded") funding.push_back(pname);
    }
    step s{n, op, {{"key", name("k", n)}}, {}};
    std::string project = all.empty() ? "p999999" : !funding.empty() && chance(0.8) ? any(funding) : any(all);
    s.args["project"] = project;
    std::string kind = op;
    if (kind == "withdraw") {
        auto found = m.projects.find(project);
        s.args["who"] = found != m.projects.end() && chance(0.6) ? found->second.owner : any(customers(m));
    } else {
        s.args["staff"] = chance(0.3) ? "staff2" : "staff";
    }
    if (kind == "cancel" && chance(0.05)) s.args["reason"] = "";
    return s;
}

step generator::loan_move(const model::platform& m, int n, const char* op) {
    std::string kind = op;
    std::vector<std::string> funded, loans;
    for (const auto& [pname, p] : m.projects) {
        if (p.kind == "loan" && p.state == "funded") funded.push_back(pname);
    }
    for (const auto& [pname, l] : m.loans) loans.push_back(pname);
    step s{n, op, {{"key", name("k", n)}}, {}};
    if (kind == "disburse") {
        std::vector<std::string> all;
        for (const auto& [pname, p] : m.projects) all.push_back(pname);
        s.args["project"] = !funded.empty() && chance(0.85) ? any(funded) : all.empty() ? "p999999" : any(all);
        s.args["staff"] = chance(0.3) ? "staff2" : "staff";
        return s;
    }
    std::string project = loans.empty() ? "p999999" : any(loans);
    s.args["project"] = project;
    if (kind == "default") {
        s.args["staff"] = "staff";
        if (chance(0.05)) s.args["reason"] = "";
        return s;
    }
    auto found = m.loans.find(project);
    std::string borrower = found == m.loans.end() ? any(customers(m)) : found->second.borrower;
    s.args["who"] = chance(0.8) ? borrower : chance(0.5) ? "staff" : any(customers(m));
    std::int64_t owed = found == m.loans.end() ? 1'000 : found->second.owed();
    std::int64_t next = owed;
    if (found != m.loans.end()) {
        for (const auto& i : found->second.schedule) {
            std::int64_t due = i.principal - i.principal_paid + i.interest - i.interest_paid;
            if (due > 0) {
                next = due;
                break;
            }
        }
    }
    int flavour = pick(100);
    std::int64_t amount = flavour < 40   ? next                                        // the next instalment
                          : flavour < 60 ? between(1, std::max<std::int64_t>(1, next)) // part of it
                          : flavour < 72 ? owed                                        // everything
                          : flavour < 82 ? owed + 1                                    // more than is owed
                          : flavour < 90 ? 1
                                         : between(next, std::max(next, owed));
    s.args["amount"] = chance(0.03) ? "0" : std::to_string(std::max<std::int64_t>(1, amount));
    return s;
}

step generator::travel(const model::platform& m, int n) {
    step s{n, "travel", {}, {}};
    std::vector<std::string> funding, held;
    for (const auto& [pname, p] : m.projects) {
        if (p.state == "funding") funding.push_back(pname);
    }
    for (const auto& [gname, g] : m.pledges) {
        if (g.state == model::pledge_state::held && g.revocable_until) held.push_back(gname);
    }
    // Just before or after the moments rules change, mostly.
    std::int64_t offset = chance(0.3) ? -between(1'800, 4 * 3600) : between(1'800, 6 * 3600);
    int flavour = pick(100);
    if (flavour < 35 && !funding.empty()) {
        s.args["to"] = "deadline:" + any(funding);
    } else if (flavour < 60 && !held.empty()) {
        s.args["to"] = "reflection:" + any(held);
    } else if (flavour < 80 && !funding.empty()) {
        s.args["to"] = "settles:" + any(funding);
    } else {
        s.args["to"] = "now";
        offset = between(3'600, 3 * 86'400);
    }
    s.args["offset"] = std::to_string(offset);
    return s;
}

step generator::retry(int n) {
    step s{n, "retry", {}, {}};
    s.args["key"] = name("k", any(money_steps_));
    int flavour = pick(100);
    s.args["mode"] = flavour < 55   ? "same"
                     : flavour < 80 ? "other_body"
                     : flavour < 90 ? "other_route"
                                    : "other_caller";
    return s;
}

step generator::money_request(const model::platform& m, int n, bool in_burst) {
    int roll = pick(100);
    if (roll < (in_burst ? 62 : 50) || !cfg_.allows("revoke")) return pledge(m, n);
    if (roll < 74) return revoke(m, n);
    if (roll < 80) return deposit(m, n, "deposit");
    if (roll < 86 && cfg_.allows("payout")) return deposit(m, n, "payout");
    if (roll < 93 && cfg_.allows("settle")) return project_move(m, n, "settle");
    if (roll < 96 && cfg_.allows("cancel") && !in_burst) return project_move(m, n, "cancel");
    if (cfg_.allows("withdraw")) return project_move(m, n, "withdraw");
    return pledge(m, n);
}

// Pledges from several backers to the campaigns named, each with `amount`
// (or its own), as parts of `s`.
void generator::pledges_to(step& s, const model::platform& m, const std::vector<std::string>& projects, int count,
                           const std::function<std::int64_t(const model::project&)>& amount) {
    std::vector<std::string> backers;
    for (const auto& [name, c] : m.customers) backers.push_back(name);
    std::shuffle(backers.begin(), backers.end(), random_);
    int made = 0;
    for (const auto& who : backers) {
        if (made == count) break;
        const std::string& project = projects[static_cast<std::size_t>(made) % projects.size()];
        const auto& p = m.projects.at(project);
        if (p.owner == who) continue;
        step part = pledge(m, s.n);
        std::string suffix = "." + std::to_string(made);
        part.args["name"] = name("g", s.n) + suffix;
        part.args["key"] = name("k", s.n) + suffix;
        part.args["who"] = who;
        part.args["project"] = project;
        part.args["currency"] = "EUR";
        if (is_plain_amount(part.arg("amount")))
            part.args["amount"] = std::to_string(std::max<std::int64_t>(1, amount(p)));
        s.parts.push_back(part);
        ++made;
    }
}

step generator::burst(const model::platform& m, int n) {
    step s{n, "burst", {}, {}};
    std::map<std::string, std::vector<std::string>> by_owner, loans_of;
    std::vector<std::string> funding;
    for (const auto& [pname, p] : m.projects) {
        if (p.state != "funding" || p.deadline <= m.now) continue;
        funding.push_back(pname);
        by_owner[p.owner].push_back(pname);
        if (p.kind == "loan") loans_of[p.owner].push_back(pname);
    }
    int flavour = pick(100);
    // Two loans of one owner, a pledge to each at once from two servers, each
    // within the per-owner limit and both together beyond it.
    for (const auto& [owner, loans] : loans_of) {
        if (flavour >= 20 || loans.size() < 2) continue;
        std::int64_t room = cfg_.owner_limit_minor - m.raised_by_owner(owner);
        if (room < 20) continue;
        pledges_to(s, m, {loans[0], loans[1]}, 2,
                   [&](const model::project&) { return room / 2 + between(room / 10, room / 2); });
        return s;
    }
    // A hot campaign: four or five pledges to it at once on one server (they
    // may share a transaction), some of them bad.
    if (flavour < 40 && !funding.empty()) {
        pledges_to(s, m, {any(funding)}, static_cast<int>(between(4, 5)), [&](const model::project& p) {
            return between(p.min_pledge, std::max(p.min_pledge, (p.goal - p.pledged) / 3));
        });
        for (auto& part : s.parts) {
            if (cfg_.allows("nul") && chance(0.2)) part.args["currency"] = std::string("E\0R", 3);
        }
        s.args["server"] = std::to_string(pick(2));
        return s;
    }
    int parts = static_cast<int>(between(2, 5));
    std::vector<std::string> callers;
    // Sometimes every part pledges to one owner's campaigns at once: the
    // per-owner limit and the goal are raced for.
    std::vector<std::string> owned;
    if (flavour < 60 && !by_owner.empty()) {
        auto it = by_owner.begin();
        std::advance(it, pick(static_cast<int>(by_owner.size())));
        owned = it->second;
    }
    for (int i = 0; i < parts; ++i) {
        step part = money_request(m, n, true);
        part.n = n;
        std::string suffix = "." + std::to_string(i);
        for (const char* named : {"name", "key"}) {
            if (part.args.contains(named)) part.args[named] += suffix;
        }
        if (part.op == "pledge" && !owned.empty()) {
            std::string target = any(owned);
            const auto& p = m.projects.at(target);
            part.args["project"] = target;
            std::int64_t room =
                p.kind == "loan" ? cfg_.owner_limit_minor - m.raised_by_owner(p.owner) : p.goal - p.pledged;
            if (room > 1 && chance(0.7)) part.args["amount"] = std::to_string(room / 2 + between(1, room / 2));
        }
        // One caller per part: a customer's requests are not raced with
        // each other here (a retry of one key is, in `twice`).
        std::string caller =
            part.op == "pledge" || part.op == "revoke" || part.op == "withdraw" ? part.arg("who") : part.arg("staff");
        if (std::find(callers.begin(), callers.end(), caller) != callers.end()) continue;
        callers.push_back(caller);
        s.parts.push_back(part);
    }
    if (chance(0.5)) s.args["server"] = std::to_string(pick(2));
    if (cfg_.faults && chance(0.25)) s.args["fault"] = any(std::vector<std::string>{"kill:0", "kill:1", "crash"});
    return s;
}

step generator::next(const model::platform& m, int n) {
    if (m.customers.empty()) return {n, "register", {{"name", name("c", n)}, {"ready", "1"}}, {}};
    struct choice {
        const char* op;
        int weight;
    };
    bool funded_loans = false;
    for (const auto& [pname, p] : m.projects) funded_loans = funded_loans || (p.kind == "loan" && p.state == "funded");
    int loans = static_cast<int>(m.loans.size());
    int open_campaigns = 0;
    for (const auto& [pname, p] : m.projects) open_campaigns += p.state == "funding" && p.deadline > m.now;
    // Campaigns keep coming while few are open, so that pledges have
    // somewhere to go.
    std::vector<choice> choices{{"pledge", 30},
                                {"revoke", 10},
                                {"deposit", 9},
                                {"payout", 3},
                                {"settle", 4},
                                {"cancel", 1},
                                {"withdraw", 1},
                                {"travel", 7},
                                {"retry", 7},
                                {"burst", 14},
                                {"open", open_campaigns < 3 ? 12 : 2},
                                {"register", 1},
                                {"kill", 2},
                                {"crash", 1},
                                {"disburse", funded_loans ? 10 : 0},
                                {"repay", loans > 0 ? 14 : 0},
                                {"default", loans > 0 ? 1 : 0}};
    std::vector<choice> open_choices;
    int total = 0;
    for (const auto& c : choices) {
        std::string op = c.op;
        if (!cfg_.allows(op)) continue;
        if ((op == "kill" || op == "crash") && !cfg_.faults) continue;
        if (op == "retry" && money_steps_.empty()) continue;
        if (op == "revoke" && m.pledges.empty()) continue;
        open_choices.push_back(c);
        total += c.weight;
    }
    int roll = pick(total);
    std::string op = "pledge";
    for (const auto& c : open_choices) {
        if (roll < c.weight) {
            op = c.op;
            break;
        }
        roll -= c.weight;
    }
    step s;
    if (op == "pledge") s = pledge(m, n);
    else if (op == "revoke") s = revoke(m, n);
    else if (op == "deposit" || op == "payout") s = deposit(m, n, op.c_str());
    else if (op == "settle" || op == "cancel" || op == "withdraw") s = project_move(m, n, op.c_str());
    else if (op == "travel") s = travel(m, n);
    else if (op == "disburse" || op == "repay" || op == "default") s = loan_move(m, n, op.c_str());
    else if (op == "retry") s = retry(n);
    else if (op == "burst") s = burst(m, n);
    else if (op == "open") s = open(m, n, chance(0.7) ? name("c", pick(2)) : any(customers(m)));
    else if (op == "register") s = {n, "register", {{"name", name("c", n)}, {"ready", chance(0.8) ? "1" : "0"}}, {}};
    else if (op == "kill") s = {n, "kill", {{"server", std::to_string(pick(2))}}, {}};
    else s = {n, "crash", {}, {}};
    if (s.args.contains("key") && s.op != "retry" && s.op != "burst") {
        money_steps_.push_back(n);
        // Now and then the client drops the connection before the answer
        // and asks again under the same key.
        if (cfg_.allows("retry") && cfg_.faults && chance(0.08)) s.args["cut"] = "1";
        else if (cfg_.allows("retry") && chance(0.05)) s.args["twice"] = "1";
    }
    return s;
}

} // namespace schwarm::test::history
