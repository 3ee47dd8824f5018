// Boost.JSON and Boost.URL built from source in the fuzz build, so that the
// parsers our code relies on are instrumented as well.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
