// The dashboard's page, script, style and icon (proxy/dashboard_assets/), compiled into the
// binary (cmake/embed_assets.cmake) so that nothing has to be deployed beside it.
#pragma once

#include <span>
#include <string_view>

namespace portcullis::proxy {

struct EmbeddedAsset {
  std::string_view name;  // "index.html", "app.js": the file's name
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // quoted, from the file's SHA-256
};

std::span<const EmbeddedAsset> dashboard_assets() noexcept;

}  // namespace portcullis::proxy
