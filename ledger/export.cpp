#include "ledger/export.hpp"
