// Asio (and its SSL layer) is compiled once, here (BOOST_ASIO_SEPARATE_COMPILATION), instead of
// in every file that uses it.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
