// core/voting/pabulib: parse any bytes. What parses must write and parse
// back to the same election (pabulib.hpp promises it), convert to tally
// input, and tally under greedy and MES without anything but the documented
// std::invalid_argument escaping.
#include "support.hpp"
#include "voting/pabulib.hpp"
#include "voting/tally.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

using namespace schwarm::voting;
using schwarm::fuzz::require;

namespace {

// Tallies stay small so that each input runs in milliseconds; the parser
// is what is fuzzed, the rules have their own tests and benchmarks.
constexpr std::size_t tally_projects_max = 24;
constexpr std::size_t tally_ballots_max = 64;

void tally_all(const election& e) {
    if (e.projects_.size() > tally_projects_max || e.votes_.size() > tally_ballots_max) return;
    election_input input = to_election_input(e);
    tally_options options;
    options.add1_steps_max_ = 64;
    for (rule r : {rule::greedy, rule::mes, rule::mes_add1_greedy}) {
        try {
            tally_result result = tally(input, r, options);
            require(result.total_cost_minor_ <= input.budget_minor_ || r != rule::greedy,
                    "greedy stays within the budget");
        } catch (const std::invalid_argument&) {
            // Documented refusals: points out of range, costs that overflow, too many add1 steps.
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    election e;
    try {
        e = parse_pabulib(text);
    } catch (const pabulib_error& error) {
        require(error.line() >= 1, "a refusal names a line");
        return 0;
    }
    std::string written = write_pabulib(e);
    election again;
    try {
        again = parse_pabulib(written);
    } catch (const pabulib_error& error) {
        schwarm::fuzz::fail(std::string("write_pabulib wrote what parse_pabulib refuses: ") + error.what());
    }
    require(again == e, "parse_pabulib(write_pabulib(e)) == e");
    require(write_pabulib(again) == written, "writing is deterministic");
    tally_all(e);
    return 0;
}
