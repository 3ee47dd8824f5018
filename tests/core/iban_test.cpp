// IBAN checks (ISO 13616) of payouts: the country's length and mod 97.
#include "platform/payments.hpp"

#include <catch2/catch.hpp>

using schwarm::payments::normalise_iban;

TEST_CASE("iban: valid IBANs of SEPA countries, in print or electronic form", "[unit][payments]") {
    CHECK(normalise_iban("DE89370400440532013000") == "DE89370400440532013000");
    CHECK(normalise_iban("de89 3704 0044 0532 0130 00") == "DE89370400440532013000");
    CHECK(normalise_iban("GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432");
    CHECK(normalise_iban("FR14 2004 1010 0505 0001 3M02 606") == "FR1420041010050500013M02606");
    CHECK(normalise_iban("NL91ABNA0417164300") == "NL91ABNA0417164300");
    CHECK(normalise_iban("AT611904300234573201") == "AT611904300234573201");
}

TEST_CASE("iban: a wrong check digit, length, country or character is refused", "[unit][payments]") {
    CHECK_FALSE(normalise_iban("DE89370400440532013001")); // check digits
    CHECK_FALSE(normalise_iban("DE88370400440532013000"));
    CHECK_FALSE(normalise_iban("DE8937040044053201300"));   // one short for DE
    CHECK_FALSE(normalise_iban("DE893704004405320130000")); // one long
    CHECK_FALSE(normalise_iban("US89370400440532013000"));  // not a SEPA country
    CHECK_FALSE(normalise_iban("DE89-3704-0044-0532-0130-00"));
    CHECK_FALSE(normalise_iban(std::string("DE89370400440532013000\0", 23)));
    CHECK_FALSE(normalise_iban(""));
    CHECK_FALSE(normalise_iban("8989370400440532013000"));
}
