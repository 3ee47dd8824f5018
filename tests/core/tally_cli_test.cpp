// `schwarm tally` through the function main() calls: the shared sample reproduced with
// each file's own META rule, options over META, quirks, output and refusals.
#include "voting/tally_cli.hpp"

#include "voting_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

using namespace voting_test;

namespace {

struct run_output {
    std::string out_;
    std::string err_;
};

run_output run(std::vector<std::string> args) {
    std::ostringstream out, err;
    REQUIRE(tally_command(args, out, err) == 0);
    return {out.str(), err.str()};
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

boost::json::object run_json(std::vector<std::string> args) {
    args.push_back("--json");
    const run_output o = run(std::move(args));
    CHECK(o.err_.empty()); // with --json everything is in the document
    return boost::json::parse(o.out_).as_object();
}

std::string sample(const std::string& name) { return pabulib_dir() + "/" + name; }

// A small approval election: budget 100; A (60) 3 votes, B (50) 2, C (30) 1.
std::string small_file(const std::string& meta_extra, const std::string& votes = "v1;A,B,C\nv2;A,B\nv3;A\n") {
    return "META\nkey;value\nbudget;100\nvote_type;approval\n" + meta_extra +
           "PROJECTS\nproject_id;cost;name\nA;60;Aa\nB;50;Bb\nC;30;Cc\nVOTES\nvoter_id;vote\n" + votes;
}

std::string error_of(std::vector<std::string> args) {
    std::ostringstream out, err;
    try {
        tally_command(args, out, err);
    } catch (const std::exception& e) {
        return e.what();
    }
    FAIL("accepted: " << args.front());
    return {};
}

template <typename E>
bool refused_with(std::vector<std::string> args) {
    std::ostringstream out, err;
    try {
        tally_command(args, out, err);
    } catch (const E&) {
        return true;
    } catch (const std::exception& e) {
        FAIL_CHECK("refused with another error: " << e.what());
        return false;
    }
    return false;
}

} // namespace

// ---------------------------------------------------------------- the shared sample

TEST_CASE("tally: every sample file reproduces its selected column with the rule its META names",
          "[voting][cli][pabulib]") {
    std::size_t checked = 0;
    std::vector<std::string> paths;
    for (const auto& entry : std::filesystem::directory_iterator{pabulib_dir()}) {
        if (entry.path().extension() == ".pb") paths.push_back(entry.path().string());
    }
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
        INFO(path);
        const election e = parse_pabulib(read_text(path));
        const run_output o = run({path});
        const std::vector<std::string> ids = lines(o.out_);
        const std::set<std::string> got(ids.begin(), ids.end());
        CHECK(got.size() == ids.size());
        if (has_column(e, "selected")) {
            CHECK(got == official_winners(e));
            ++checked;
        }
        // The rule came from META, not a default.
        const boost::json::object json = run_json({path});
        CHECK(json.at("rule_from") == "meta");
        CHECK(json.at("rule") == boost::json::value(meta_value(e, "rule").value()));
    }
    // The folder holds 13 files, 12 of them with a selected column (Toulouse has none).
    CHECK(paths.size() >= 13);
    CHECK(checked >= 12);
}

TEST_CASE("tally: the rule names each sample file uses", "[voting][cli][pabulib]") {
    const auto rule_of = [](const std::string& file) {
        return std::string(run_json({sample(file)}).at("rule").as_string());
    };
    CHECK(rule_of("Poland_Gdynia_2020_Kamienna_Gora__large.pb") == "greedy-no-skip");
    CHECK(rule_of("Poland_Lodz_2020_Nr_33.pb") == "greedy-threshold");
    CHECK(rule_of("Poland_Warszawa_2022_Bemowo.pb") == "greedy-exclusive");
    CHECK(rule_of("Netherlands_Assen_2024.pb") == "equalshares/add1");
}

TEST_CASE("tally: Bemowo's exclusive pair comes from its META comment, and plain greedy would fund both",
          "[voting][cli][pabulib]") {
    const std::string bemowo = sample("Poland_Warszawa_2022_Bemowo.pb");
    const run_output counted = run({bemowo});
    CHECK(counted.err_.find("exclusive group 773, 153 read from the META comment") != std::string::npos);
    const std::vector<std::string> ids = lines(counted.out_);
    CHECK(std::count(ids.begin(), ids.end(), "773") == 1);
    CHECK(std::count(ids.begin(), ids.end(), "153") == 0);
    const std::vector<std::string> greedy = lines(run({bemowo, "--rule", "greedy"}).out_);
    CHECK(std::count(greedy.begin(), greedy.end(), "153") == 1);
    // --exclusive replaces what the comment says.
    const boost::json::object json = run_json({bemowo, "--exclusive", "554,825"});
    const auto& groups = json.at("options").at("eligibility").at("exclusive_groups").as_array();
    REQUIRE(groups.size() == 1);
    CHECK(groups[0] == boost::json::array{"554", "825"});
}

TEST_CASE("tally: Wola's doubled project is counted once, with a warning naming the line", "[voting][cli][pabulib]") {
    const std::string wola = sample("Poland_Warszawa_2022_Wola.pb");
    const run_output o = run({wola});
    CHECK(o.err_.find("schwarm: warning: pabulib line 3096, field 'vote': project '1040' listed twice, counted once") !=
          std::string::npos);
    const boost::json::object json = run_json({wola});
    REQUIRE(json.at("warnings").as_array().size() == 1);
    CHECK(json.at("warnings").as_array()[0].at("line") == 3096);
    // Counted once: 1040 has one vote per ballot that names it. The file's votes column
    // (pabulib's own count) took the doubled entry twice, so it is one more.
    const election e = parse_pabulib(read_text(wola));
    const auto it =
        std::find_if(e.projects_.begin(), e.projects_.end(), [](const pb_project& p) { return p.id_ == "1040"; });
    REQUIRE(it != e.projects_.end());
    const auto index = static_cast<std::uint32_t>(it - e.projects_.begin());
    std::int64_t votes = 0;
    for (const pb_vote& v : e.votes_) votes += std::count(v.projects_.begin(), v.projects_.end(), index);
    CHECK(std::to_string(votes + 1) == project_column(e, *it, "votes"));
    const auto counted = std::count_if(e.votes_.begin(), e.votes_.end(), [&](const pb_vote& v) {
        return std::find(v.projects_.begin(), v.projects_.end(), index) != v.projects_.end();
    });
    CHECK(votes == counted);
    // Under --strict the quirk is refused, at its line.
    CHECK(error_of({wola, "--strict"}).find("pabulib line 3096") != std::string::npos);
}

TEST_CASE("tally: the platform's --rule spellings still work", "[voting][cli]") {
    const std::string assen = sample("Netherlands_Assen_2024.pb");
    const election e = parse_pabulib(read_text(assen));
    for (const char* r : {"mes-add1", "mes-add1-greedy"}) {
        INFO(r);
        const boost::json::object json = run_json({assen, "--rule", r});
        CHECK(json.at("rule_from") == "option");
        std::set<std::string> got;
        for (const auto& id : json.at("selected").as_array()) got.insert(std::string(id.as_string()));
        if (std::string{r} == "mes-add1") CHECK(got == official_winners(e));
        CHECK(json.at("options").at("add1").at("exhaustive") == true);
    }
    CHECK(lines(run({assen, "--rule", "mes"}).out_).size() < official_winners(e).size());
    const std::string rembertow = sample("Poland_Warszawa_2023_Rembertow.pb");
    const std::vector<std::string> ids = lines(run({rembertow, "--rule", "greedy"}).out_);
    CHECK(std::set<std::string>(ids.begin(), ids.end()) == official_winners(parse_pabulib(read_text(rembertow))));
}

TEST_CASE("tally: a META threshold applies under an explicit --rule too, and --min-score 0 lifts it",
          "[voting][cli][pabulib]") {
    // Częstochowa 2025: threshold 300 points; 557, 206 and 28 pass it and are selected.
    // Without it, 461 (209 points, cost 7500) fits the 9747 left.
    const std::string file = sample("Poland_Czestochowa_2025_Podjasnogorska.pb");
    CHECK(lines(run({file, "--rule", "greedy"}).out_) == std::vector<std::string>{"557", "206", "28"});
    const std::vector<std::string> all = lines(run({file, "--rule", "greedy", "--min-score", "0"}).out_);
    CHECK(std::count(all.begin(), all.end(), "461") == 1);
}

// ---------------------------------------------------------------- output

TEST_CASE("tally --json: the rule, every option, and for MES the per-voter budget, steps and prices", "[voting][cli]") {
    const boost::json::object json = run_json({sample("Netherlands_Assen_2024.pb")});
    CHECK(json.at("rule") == "equalshares/add1");
    const auto& options = json.at("options").as_object();
    CHECK(options.at("method") == "mes");
    CHECK(options.at("utility") == "cost");
    CHECK(options.at("completion") == "add1");
    CHECK(options.at("add1").at("integral") == true);
    CHECK(options.at("add1").at("exhaustive") == false);
    CHECK(options.at("add1").at("increment") == 1);
    CHECK(options.at("comparison") == "none");
    CHECK(options.at("tie_breaking").at("criteria") == boost::json::array{"min-cost", "max-votes"});
    CHECK(options.at("tie_breaking").at("unresolved") == "file order");
    CHECK(json.at("budget") == 100000);
    CHECK(json.at("voters") == 84);
    const auto& steps = json.at("steps").as_array();
    REQUIRE(steps.size() == json.at("selected").as_array().size());
    // Every step's payments add up to the project's cost, exactly.
    for (const auto& step : steps) {
        rational paid = 0;
        for (const auto& g : step.at("payments").as_array()) {
            paid += rational{g.at("amount").as_string().c_str()} * g.at("voters").as_int64();
        }
        CHECK(paid == step.at("cost").as_int64());
        CHECK(step.at("by") == "mes");
    }
    // Step 1, project 3 (7200): its 43 supporters pay 7200/43 each: rho 1/43 per unit of
    // cost utility, a price of 7200/43 per point.
    CHECK(steps[0].at("project") == "3");
    CHECK(steps[0].at("rho") == "1/43");
    CHECK(steps[0].at("price_per_point") == "7200/43");
    // The per-voter budget is a whole number of euros (integral) above 100000/84.
    const rational voter_budget{json.at("voter_budget").as_string().c_str()};
    CHECK(denominator(voter_budget) == 1);
    CHECK(voter_budget > rational{100000, 84});
    CHECK(voter_budget == rational{100000 / 84} + json.at("add1_steps").as_int64());
    CHECK(json.at("outcomes").as_array().size() == 14);
}

TEST_CASE("tally --explain: why each project won or lost", "[voting][cli]") {
    const run_output gdynia = run({sample("Poland_Gdynia_2020_Kamienna_Gora__large.pb"), "--explain"});
    CHECK(gdynia.out_.find("rule greedy-no-skip (named in the file's META)") != std::string::npos);
    CHECK(gdynia.out_.find("eligible: at least 50 points") != std::string::npos);
    // 2 (105755) fits; 3 (118375) does not fit the 84415 left and ends the count; 1 is not reached.
    CHECK(gdynia.out_.find("1. 2 (cost 105755") != std::string::npos);
    CHECK(gdynia.out_.find("3 (cost 118375): does-not-fit: costs 118375, more than the 84415 left") !=
          std::string::npos);
    CHECK(gdynia.out_.find("1 (cost 61300): not-reached: greedy-no-skip stopped at 3") != std::string::npos);
    const run_output assen = run({sample("Netherlands_Assen_2024.pb"), "--explain", "--comparison", "satisfaction"});
    CHECK(assen.out_.find("per-voter budget") != std::string::npos);
    CHECK(assen.out_.find("comparison (satisfaction)") != std::string::npos);
    CHECK(assen.out_.find("not-affordable: when MES stopped") != std::string::npos);
}

TEST_CASE("tally: the comparison step in JSON, on a hand-made file", "[voting][cli]") {
    // The comparison example of voting_rules_test: 3 voters approve X and Y, 2 approve Z;
    // greedy {X, Y} is preferred by 3 voters, MES {X, Z} by 2.
    const std::string file =
        write_file("comparison.pb", "META\nkey;value\nbudget;500\nvote_type;approval\nrule;equalshares-comparison\n"
                                    "PROJECTS\nproject_id;cost\nX;250\nY;250\nZ;200\n"
                                    "VOTES\nvoter_id;vote\n1;X,Y\n2;X,Y\n3;X,Y\n4;Z\n5;Z\n");
    const boost::json::object json = run_json({file});
    CHECK(json.at("selected") == boost::json::array{"X", "Y"});
    CHECK(json.at("comparison").at("prefer_greedy") == 3);
    CHECK(json.at("comparison").at("prefer_mes") == 2);
    CHECK(json.at("comparison").at("kept") == "greedy");
    CHECK(run_json({file, "--comparison", "exclusion-ratio"}).at("selected") == boost::json::array{"X", "Z"});
}

// ---------------------------------------------------------------- how files are read

TEST_CASE("tally: quirks are read as the city counted them and reported with their lines", "[voting][cli][pabulib]") {
    // Line 7: text after a closing quote in a name; line 11: A doubled; line 12: spaces
    // around B and an empty item.
    const std::string file = write_file("quirks.pb", "META\nkey;value\nbudget;100\nvote_type;approval\n"
                                                     "PROJECTS\nproject_id;cost;name\nA;60;\"Park\"s\nB;50;Bb\n"
                                                     "VOTES\nvoter_id;vote\nv1;A,A\nv2; B ,,A\n");
    const run_output o = run({file, "--rule", "greedy"});
    CHECK(lines(o.out_) == std::vector<std::string>{"A"}); // A has 2 votes (counted once per ballot), B 1
    CHECK(o.err_.find("pabulib line 7: text after closing quote, read as part of the field") != std::string::npos);
    CHECK(o.err_.find("pabulib line 11, field 'vote': project 'A' listed twice, counted once") != std::string::npos);
    CHECK(o.err_.find("pabulib line 12, field 'vote': empty item in the list, skipped") != std::string::npos);
    CHECK(o.err_.find("pabulib line 12, field 'vote': spaces around project 'B'") != std::string::npos);
    const election e = parse_pabulib(read_text(file));
    CHECK(e.projects_[0].name_ == "Parks");
    CHECK(e.votes_[0].projects_ == std::vector<std::uint32_t>{0});
    CHECK(e.votes_[1].projects_ == std::vector<std::uint32_t>{1, 0});
    // --strict refuses the first quirk, naming its line.
    CHECK(refused_with<pabulib_error>({file, "--rule", "greedy", "--strict"}));
    CHECK(error_of({file, "--rule", "greedy", "--strict"}).find("pabulib line 7") != std::string::npos);
}

TEST_CASE("tally: a project costing pabulib's 999999999 is withdrawn", "[voting][cli]") {
    // A withdrawn: B and C are counted alone (50 + 30 fit the 100).
    const std::string file =
        write_file("withdrawn.pb", "META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy-no-skip\n"
                                   "PROJECTS\nproject_id;cost\nA;999999999\nB;50\nC;30\n"
                                   "VOTES\nvoter_id;vote\nv1;A,B,C\nv2;A,B\nv3;A\n");
    const run_output o = run({file});
    CHECK(lines(o.out_) == std::vector<std::string>{"B", "C"});
    CHECK(o.err_.find("project A costs 999999999") != std::string::npos);
}

TEST_CASE("tally: greedy-exclusive reads its groups from the META comment", "[voting][cli]") {
    // Greedy would take A (60) and B (50 > 40: no) then C: {A, C}. A and C exclusive: C out,
    // B still does not fit: {A}.
    const std::string with_group = write_file(
        "exclusive.pb",
        small_file("rule;greedy-exclusive\ncomment;#1: Costs are estimates. #2: Projects A and C could not be "
                   "implemented simultaneously.\n"));
    const run_output o = run({with_group});
    CHECK(lines(o.out_) == std::vector<std::string>{"A"});
    CHECK(o.err_.find("exclusive group A, C read from the META comment") != std::string::npos);
    // No group in the comment: counted as greedy with a note; refused under --strict.
    const std::string without =
        write_file("exclusive-none.pb", small_file("rule;greedy-exclusive\ncomment;#1: none\n"));
    const run_output plain = run({without});
    CHECK(lines(plain.out_) == std::vector<std::string>{"A", "C"});
    CHECK(plain.err_.find("names no exclusive group") != std::string::npos);
    CHECK(refused_with<std::runtime_error>({without, "--strict"}));
}

TEST_CASE("tally: files rounds export name the platform's greedy, which breaks ties by votes, then cost",
          "[voting][cli]") {
    // A (60) and B (50) have one vote each; the budget of 100 takes one of them. pabulib's
    // greedy keeps the file's order (A, then B no longer fits); the platform's takes the
    // cheaper B first (then A no longer fits).
    const std::string votes = "v1;A\nv2;B\n";
    const std::string pabulib = write_file("tie-pabulib.pb", small_file("rule;greedy\n", votes));
    const std::string exported = write_file("tie-schwarm.pb", small_file("unit;schwarm\nrule;greedy\n", votes));
    const run_output file_order = run({pabulib});
    CHECK(lines(file_order.out_) == std::vector<std::string>{"A"});
    CHECK(file_order.err_.find("tie between A, B") != std::string::npos);
    CHECK(lines(run({exported}).out_) == std::vector<std::string>{"B"});
    CHECK(lines(run({pabulib, "--rule", "greedy"}).out_) == std::vector<std::string>{"B"});
    CHECK(lines(run({pabulib, "--tie-break", "max-cost"}).out_) == std::vector<std::string>{"A"});
    CHECK(lines(run({pabulib, "--tie-order", "B,A"}).out_) == std::vector<std::string>{"B"});
    // Refused when asked to refuse; the message names the tied projects.
    CHECK(refused_with<unresolved_tie>({pabulib, "--refuse-ties"}));
    CHECK(error_of({pabulib, "--refuse-ties"}).find("unresolved tie between projects A, B") != std::string::npos);
}

TEST_CASE("tally: eligibility options on the command line", "[voting][cli]") {
    // 4 voters (one empty ballot), budget 1200: Świecie's rule drops A (1 vote, cost 1200).
    const std::string file = write_file("swiecie.pb", "META\nkey;value\nbudget;1200\nvote_type;approval\nrule;greedy\n"
                                                      "PROJECTS\nproject_id;cost\nA;1200\nB;900\nC;300\n"
                                                      "VOTES\nvoter_id;vote\n1;A\n2;B\n3;C\n4;\n");
    CHECK(lines(run({file}).out_) == std::vector<std::string>{"A"});
    CHECK(lines(run({file, "--min-share-per-cost", "1/3"}).out_) == std::vector<std::string>{"B", "C"});
    CHECK(lines(run({file, "--exclude", "A"}).out_) == std::vector<std::string>{"B", "C"});
    const std::string three = write_file("min-votes.pb", small_file("rule;greedy\n"));
    CHECK(lines(run({three, "--min-votes", "2"}).out_) == std::vector<std::string>{"A"});
    CHECK(lines(run({three, "--min-score", "2", "--rule", "greedy-threshold"}).out_) == std::vector<std::string>{"A"});
}

// ---------------------------------------------------------------- refusals

TEST_CASE("tally refuses an unknown rule with the list of supported ones", "[voting][cli]") {
    const std::string file = write_file("plain.pb", small_file("rule;greedy\n"));
    const std::string message = error_of({file, "--rule", "plurality"});
    CHECK(message.find("unknown rule 'plurality'") != std::string::npos);
    CHECK(message.find("supported: greedy, greedy-no-skip") != std::string::npos);
    CHECK(message.find("equalshares/add1-comparison") != std::string::npos);
    CHECK(refused_with<std::invalid_argument>({file, "--rule", "plurality"}));
    // Checked before the file is read: a broken file does not hide the bad option.
    const std::string broken = write_file("broken.pb", "META\nkey;value\nbudget;1\n");
    CHECK(refused_with<std::invalid_argument>({broken, "--rule", "plurality"}));
    const std::string custom = write_file("custom.pb", small_file("rule;greedy-custom\n"));
    CHECK(error_of({custom}).find("unknown rule 'greedy-custom' in the file's META") != std::string::npos);
    const std::string none = write_file("no-rule.pb", small_file(""));
    CHECK(error_of({none}).find("the file's META names no rule") != std::string::npos);
    CHECK(lines(run({none, "--rule", "greedy"}).out_) == std::vector<std::string>{"A", "C"});
}

TEST_CASE("tally refuses bad options", "[voting][cli]") {
    const std::string greedy = write_file("options-greedy.pb", small_file("rule;greedy\n"));
    const std::string mes = write_file("options-mes.pb", small_file("rule;equalshares\n"));
    const std::vector<std::vector<std::string>> bad{
        {greedy, "--frobnicate"},
        {greedy, "--rule"},
        {greedy, "extra"},
        {mes, "--utility", "joy"},
        {mes, "--completion", "add2"},
        {mes, "--add1-increment", "0"},
        {mes, "--add1-increment", "1.005"},
        {mes, "--add1-integral", "maybe"},
        {mes, "--completion", "add1e", "--add1-exhaustive", "no"},
        {mes, "--comparison", "popularity"},
        {mes, "--tie-break", "coin"},
        {mes, "--tie-break", "order"},
        {mes, "--tie-order", "A,Q"},
        {greedy, "--min-votes", "-1"},
        {greedy, "--min-score", "many"},
        {greedy, "--min-share-per-cost", "1/0"},
        {greedy, "--exclusive", "A"},
        {greedy, "--exclusive", "A,Q"},
        {greedy, "--exclude", "Q"},
        {greedy, "--completion", "add1"},
        {greedy, "--comparison", "satisfaction"},
        {greedy, "--rule", "greedy-threshold"},
        {"--json"},
    };
    for (const auto& args : bad) {
        std::string joined;
        for (const std::string& a : args) joined += a + " ";
        INFO(joined);
        CHECK(refused_with<std::invalid_argument>(args));
    }
    CHECK(refused_with<std::runtime_error>({"/nonexistent/file.pb"}));
    const std::string bad_threshold =
        write_file("bad-threshold.pb", small_file("rule;greedy-threshold\nmin_project_score_threshold;lots\n"));
    CHECK(refused_with<std::runtime_error>({bad_threshold}));
}

TEST_CASE("tally: MES options over the META rule", "[voting][cli]") {
    const std::string file = write_file("mes-options.pb", small_file("rule;equalshares\n"));
    const boost::json::object json =
        run_json({file, "--utility", "approval", "--completion", "add1eu", "--add1-integral", "no", "--add1-increment",
                  "0.5", "--tie-break", "max-votes,order", "--tie-order", "C,B,A", "--refuse-ties"});
    const auto& options = json.at("options").as_object();
    CHECK(options.at("utility") == "approval");
    CHECK(options.at("completion") == "add1u");
    CHECK(options.at("add1").at("exhaustive") == true);
    CHECK(options.at("add1").at("integral") == false);
    CHECK(options.at("add1").at("increment") == "0.50");
    CHECK(options.at("tie_breaking").at("criteria") == boost::json::array{"max-votes", "order"});
    CHECK(options.at("tie_breaking").at("order") == boost::json::array{"C", "B", "A"});
    CHECK(options.at("tie_breaking").at("unresolved") == "refused");
    // add1 keeps the rule's exhaustive stop: on for equalshares (the compute tool's
    // default), off for pabulib's equalshares/add1.
    CHECK(run_json({file, "--completion", "add1"}).at("options").at("add1").at("exhaustive") == true);
    const std::string add1_file = write_file("mes-add1-options.pb", small_file("rule;equalshares/add1\n"));
    CHECK(run_json({add1_file, "--completion", "add1u"}).at("options").at("add1").at("exhaustive") == false);
    CHECK(run_json({add1_file, "--add1-exhaustive", "yes"}).at("options").at("add1").at("exhaustive") == true);
}
