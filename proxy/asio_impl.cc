// Asio is compiled once, here (BOOST_ASIO_SEPARATE_COMPILATION), instead of in every file
// that uses it.
#include <boost/asio/impl/src.hpp>
