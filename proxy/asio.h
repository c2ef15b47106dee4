// The Asio names the proxy uses, in one place. Included only by proxy/ sources, never by the
// stage libraries, so that a change to a stage does not recompile Asio.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace portcullis::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;

// Completion token that reports errors as values: the data plane never throws.
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

}  // namespace portcullis::proxy
