#include "ledger/seal.hpp"
