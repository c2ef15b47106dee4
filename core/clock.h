// Clock: the one time source of the request path, so that tests and limiters agree on "now".
#pragma once

#include <chrono>

namespace portcullis {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;
using TimePoint = Clock::time_point;

}  // namespace portcullis
