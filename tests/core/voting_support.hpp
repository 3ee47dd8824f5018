#pragma once

// Helpers for the voting tests: hand-made elections, the shared sample of real files.

#include "voting/pabulib.hpp"
#include "voting/tally.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace voting_test {

using namespace schwarm::voting;

// Real files live beside the repository in shared/ (test.sh exports
// SCHWARM_TEST_SHARED_DIR; without it, ../shared next to the source tree).
inline std::string pabulib_dir() {
    const char* dir = std::getenv("SCHWARM_TEST_SHARED_DIR");
    return std::string{dir != nullptr ? dir : SCHWARM_SOURCE_DIR "/../shared"} + "/data/pabulib";
}

inline std::string read_text(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        FAIL("cannot open " << path << " (set SCHWARM_TEST_SHARED_DIR)");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A hand-made .pb file in the temporary directory; returns its path.
inline std::string write_file(const std::string& name, const std::string& text) {
    const std::filesystem::path path = std::filesystem::temp_directory_path() / ("schwarm-voting-" + name);
    std::ofstream{path, std::ios::binary} << text;
    return path.string();
}

// Projects A, B, C, ... with the given costs; ballots of {project, points}.
inline election_input make_input(std::int64_t budget_minor, const std::vector<std::int64_t>& costs,
                                 const std::vector<std::vector<ballot_entry>>& ballots) {
    election_input input;
    input.budget_minor_ = budget_minor;
    for (std::size_t c = 0; c < costs.size(); ++c) {
        input.projects_.push_back({std::string(1, static_cast<char>('A' + c)), costs[c]});
    }
    for (const auto& entries : ballots) {
        input.ballots_.push_back({entries});
    }
    return input;
}

inline std::vector<std::string> selected_order(const tally_result& r) {
    std::vector<std::string> ids;
    for (const selection& s : r.selected_) {
        ids.push_back(s.id_);
    }
    return ids;
}

inline std::set<std::string> selected_ids(const tally_result& r) {
    std::set<std::string> ids;
    for (const selection& s : r.selected_) {
        ids.insert(s.id_);
    }
    return ids;
}

// Value of a kept column of a project (one not held as a typed field); "" if absent.
inline std::string project_column(const election& e, const pb_project& p, const std::string& column) {
    std::size_t extra = 0;
    for (const std::string& name : e.project_columns_) {
        if (name == "project_id" || name == "cost" || name == "name") {
            continue;
        }
        if (name == column) {
            return p.extra_.at(extra);
        }
        ++extra;
    }
    return {};
}

inline bool has_column(const election& e, const std::string& column) {
    for (const std::string& name : e.project_columns_) {
        if (name == column) return true;
    }
    return false;
}

inline std::set<std::string> official_winners(const election& e) {
    std::set<std::string> ids;
    for (const pb_project& p : e.projects_) {
        if (project_column(e, p, "selected") == "1") {
            ids.insert(p.id_);
        }
    }
    return ids;
}

} // namespace voting_test
