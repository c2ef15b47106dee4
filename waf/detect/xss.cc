// @detectXSS — whether a value, pasted into an HTML page, would run script. The value is read
// by a tokenizer that follows the WHATWG HTML tokenizer states five times: from the page's text;
// from inside a double-quoted, a single-quoted and an unquoted attribute value (the value has to
// close the attribute before its own attributes count); and from the page's text again with a
// lenient reading in which comments and raw text elements hide no markup. A read finds script in
// a script element, a framing element (iframe, object, embed, base, …) given something to load,
// an event handler whose value does something, a javascript:/vbscript:/data: URL in a URL
// attribute after entity decoding, CSS that runs script (expression(, url(javascript:, …) in a
// style attribute or element, a meta refresh, an HTML import, markup in srcdoc, or a value that
// is itself a script URL. Takes the value; returns what was found and where it starts. No
// allocation; time linear in the value's length.
//
//   SecRule ARGS "@detectXSS" "id:941100,phase:2,deny,t:none,t:urlDecodeUni,t:htmlEntityDecode"
#include "waf/detect/xss.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "waf/detect/ascii.h"

namespace portcullis::waf::detect {
namespace {

using namespace std::literals;

constexpr std::string_view kScriptTagReason = "script tag";
constexpr std::string_view kEventHandlerReason = "event handler";
constexpr std::string_view kScriptUrlReason = "script url";
constexpr std::string_view kStyleExpressionReason = "style expression";
constexpr std::string_view kDangerousTagReason = "dangerous tag";
constexpr std::string_view kSrcdocMarkupReason = "srcdoc markup";
constexpr std::string_view kScriptEntityReason = "script entity";

// Stands for any decoded character outside ASCII: none of them can spell a scheme or a keyword.
constexpr char kNonAscii = '\x80';

// CR counts as whitespace because input preprocessing turns it into LF before tokenizing.
constexpr bool is_html_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}
constexpr bool is_control_or_space(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}
constexpr bool is_js_identifier(char c) noexcept { return is_alnum(c) || c == '_' || c == '$'; }

constexpr char from_code_point(std::uint32_t code_point) noexcept {
  // U+0000 becomes U+FFFD, like every code point past ASCII.
  if (code_point == 0 || code_point >= 0x80) return kNonAscii;
  return static_cast<char>(code_point);
}

bool starts_with_ignore_case(std::string_view text, std::size_t pos,
                             std::string_view lower_word) noexcept {
  if (pos > text.size() || text.size() - pos < lower_word.size()) return false;
  for (std::size_t k = 0; k < lower_word.size(); ++k) {
    if (to_lower(text[pos + k]) != lower_word[k]) return false;
  }
  return true;
}

template <std::size_t N>
constexpr bool contains(const std::array<std::string_view, N>& sorted, std::string_view word) {
  return std::ranges::binary_search(sorted, word);
}

// The part of a possibly prefixed name (x:script, xlink:href) that HTML and XML agree on.
constexpr std::string_view local_name(std::string_view name) noexcept {
  std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Event names, without the "on" of their handler attributes: HTML, SVG, and the ones older
// browsers still fire.
// clang-format off
constexpr std::array<std::string_view, 177> kEventNames = {
    "abort", "activate", "afterprint", "afterscriptexecute", "afterupdate", "animationcancel",
    "animationend", "animationiteration", "animationstart", "auxclick", "beforeactivate",
    "beforecopy", "beforecut", "beforedeactivate", "beforeeditfocus", "beforeinput",
    "beforematch", "beforepaste", "beforeprint", "beforescriptexecute", "beforetoggle",
    "beforeunload", "beforeupdate", "begin", "blur", "bounce", "cancel", "canplay",
    "canplaythrough", "cellchange", "change", "click", "close", "command",
    "contentvisibilityautostatechange", "contextlost", "contextmenu", "contextrestored",
    "controlselect", "copy", "cuechange", "cut", "dataavailable", "datasetchanged",
    "datasetcomplete", "dblclick", "deactivate", "drag", "dragend", "dragenter", "dragexit",
    "dragleave", "dragover", "dragstart", "drop", "durationchange", "emptied", "end", "ended",
    "error", "errorupdate", "filterchange", "finish", "focus", "focusin", "focusout",
    "formdata", "fullscreenchange", "fullscreenerror", "gotpointercapture", "hashchange",
    "help", "input", "invalid", "keydown", "keypress", "keyup", "languagechange",
    "layoutcomplete", "load", "loadeddata", "loadedmetadata", "loadend", "loadstart",
    "losecapture", "lostpointercapture", "message", "messageerror", "mousedown", "mouseenter",
    "mouseleave", "mousemove", "mouseout", "mouseover", "mouseup", "mousewheel", "move",
    "moveend", "movestart", "mozfullscreenchange", "offline", "online", "pagehide",
    "pagereveal", "pageshow", "pageswap", "paste", "pause", "play", "playing", "pointercancel",
    "pointerdown", "pointerenter", "pointerleave", "pointermove", "pointerout", "pointerover",
    "pointerrawupdate", "pointerup", "popstate", "progress", "propertychange", "ratechange",
    "readystatechange", "rejectionhandled", "repeat", "reset", "resize", "resume", "reverse",
    "rowenter", "rowexit", "rowsdelete", "rowsinserted", "scroll", "scrollend",
    "scrollsnapchange", "scrollsnapchanging", "search", "securitypolicyviolation", "seeked",
    "seeking", "select", "selectionchange", "selectstart", "show", "slotchange", "stalled",
    "start", "storage", "submit", "suspend", "timeupdate", "toggle", "touchcancel", "touchend",
    "touchmove", "touchstart", "transitioncancel", "transitionend", "transitionrun",
    "transitionstart", "unhandledrejection", "unload", "volumechange", "waiting",
    "webkitanimationend", "webkitanimationiteration", "webkitanimationstart",
    "webkitmouseforcechanged", "webkitmouseforcedown", "webkitmouseforceup",
    "webkitmouseforcewillbegin", "webkitplaybacktargetavailabilitychanged",
    "webkittransitionend", "wheel", "zoom"};
// clang-format on
static_assert(std::ranges::is_sorted(kEventNames));

// Attributes whose value the browser loads, navigates to or submits to, by local name.
constexpr std::array<std::string_view, 16> kUrlAttributes = {
    "action",     "background", "base", "cite",   "codebase", "data", "dynsrc", "folder",
    "formaction", "href",       "icon", "lowsrc", "manifest", "ping", "poster", "src"};
static_assert(std::ranges::is_sorted(kUrlAttributes));

// Elements that load and run another document or plug-in, or re-point the page's relative URLs,
// once they are given something to load. Without it they do nothing, and `List<Object>` or
// Python's `<Frame filename=…>` are far more common than an attack. (A link runs nothing unless
// it is an HTML import; its href is judged like any URL.)
constexpr std::array<std::string_view, 10> kFramingTags = {
    "applet", "base", "embed", "frame", "iframe", "ilayer", "import", "layer", "object", "portal"};
static_assert(std::ranges::is_sorted(kFramingTags));

// How English words and variable names that start with "on" go on (onedrive, online, onward):
// such a name is no event.
constexpr std::array<std::string_view, 9> kWordsAfterOn = {"board", "e",  "ion", "line", "ly",
                                                           "set",   "to", "us",  "ward"};

// What, besides URL attributes, gives a framing element something to load.
constexpr std::array<std::string_view, 5> kFramingSourceAttributes = {"archive", "classid", "code",
                                                                      "implementation", "object"};
static_assert(std::ranges::is_sorted(kFramingSourceAttributes));

// SVG animation elements: their values/to/from/by can set an href to a script URL.
constexpr std::array<std::string_view, 5> kAnimationTags = {
    "animate", "animatecolor", "animatemotion", "animatetransform", "set"};
static_assert(std::ranges::is_sorted(kAnimationTags));

// Elements whose content is text up to their own end tag (RAWTEXT and RCDATA; noscript too,
// as a browser with scripting on reads it).
constexpr std::array<std::string_view, 8> kRawTextTags = {
    "iframe", "noembed", "noframes", "noscript", "style", "textarea", "title", "xmp"};
static_assert(std::ranges::is_sorted(kRawTextTags));

// HTML elements whose start tag ends SVG or MathML content (and `</p>`, `</br>`): after them,
// style and the rest are raw text again.
constexpr std::array<std::string_view, 44> kForeignBreakoutTags = {
    "b",      "big",  "blockquote", "body",  "br",   "center", "code",    "dd",   "div",
    "dl",     "dt",   "em",         "embed", "h1",   "h2",     "h3",      "h4",   "h5",
    "h6",     "head", "hr",         "i",     "img",  "li",     "listing", "menu", "meta",
    "nobr",   "ol",   "p",          "pre",   "ruby", "s",      "small",   "span", "strike",
    "strong", "sub",  "sup",        "table", "tt",   "u",      "ul",      "var"};
static_assert(std::ranges::is_sorted(kForeignBreakoutTags));

// Identifiers that script payloads reach for and prose seldom uses as a whole word.
constexpr std::array<std::string_view, 27> kJsSinks = {
    "alert",     "atob",     "confirm",       "constructor", "cookie",     "document",
    "eval",      "fetch",    "fromcharcode",  "function",    "globalthis", "import",
    "innerhtml", "location", "opener",        "outerhtml",   "parent",     "print",
    "prompt",    "self",     "setinterval",   "settimeout",  "this",       "top",
    "window",    "write",    "xmlhttprequest"};
static_assert(std::ranges::is_sorted(kJsSinks));

// Keywords that a word may follow in valid JavaScript ...
constexpr std::array<std::string_view, 23> kJsKeywords = {
    "async",  "await",   "case",     "class",  "const", "delete",     "do",   "else",
    "export", "extends", "function", "import", "in",    "instanceof", "let",  "new",
    "of",     "return",  "throw",    "typeof", "var",   "void",       "yield"};
static_assert(std::ranges::is_sorted(kJsKeywords));

// ... and that may follow a word.
constexpr std::array<std::string_view, 3> kJsInfixKeywords = {"in", "instanceof", "of"};
static_assert(std::ranges::is_sorted(kJsInfixKeywords));

struct NamedReference {
  std::string_view name;
  char decoded;
};

// Named character references that decode to what a script URL or handler needs, plus the
// common ones; case matters, as in HTML.
constexpr std::array<NamedReference, 45> kNamedReferences = {
    {{"AMP", '&'},          {"GT", '>'},         {"Hat", '^'},    {"LT", '<'},
     {"NewLine", '\n'},     {"QUOT", '"'},       {"Tab", '\t'},   {"UnderBar", '_'},
     {"VerticalLine", '|'}, {"amp", '&'},        {"apos", '\''},  {"ast", '*'},
     {"bsol", '\\'},        {"colon", ':'},      {"comma", ','},  {"commat", '@'},
     {"dollar", '$'},       {"equals", '='},     {"excl", '!'},   {"grave", '`'},
     {"gt", '>'},           {"lbrace", '{'},     {"lbrack", '['}, {"lcub", '{'},
     {"lowbar", '_'},       {"lpar", '('},       {"lsqb", '['},   {"lt", '<'},
     {"midast", '*'},       {"nbsp", kNonAscii}, {"num", '#'},    {"percnt", '%'},
     {"period", '.'},       {"plus", '+'},       {"quest", '?'},  {"quot", '"'},
     {"rbrace", '}'},       {"rbrack", ']'},     {"rcub", '}'},   {"rpar", ')'},
     {"rsqb", ']'},         {"semi", ';'},       {"sol", '/'},    {"verbar", '|'},
     {"vert", '|'}}};
static_assert(std::ranges::is_sorted(kNamedReferences, {}, &NamedReference::name));

bool find_named_reference(std::string_view name, char& decoded) noexcept {
  auto it = std::ranges::lower_bound(kNamedReferences, name, {}, &NamedReference::name);
  if (it == kNamedReferences.end() || it->name != name) return false;
  decoded = it->decoded;
  return true;
}

// CSS that runs script or loads code: IE's expression() and behavior, Firefox's XBL binding,
// script URLs, and @import (in a style element).
constexpr std::array<std::string_view, 7> kCssNeedles = {
    "expression(",  "javascript:", "vbscript:", "livescript:",
    "-moz-binding", "behavior:",   "@import"};

// A style element the value injects also leaks the page when it loads from another site:
// attribute selectors with url() send form values (a CSRF token) to whoever serves the URL.
// Same-site URLs (url(/bg.png)) are ordinary styling.
constexpr std::array<std::string_view, 13> kStyleElementNeedles = {
    "expression(", "javascript:", "vbscript:", "livescript:", "-moz-binding",
    "behavior:",   "@import",     "url(//",    "url(http",    "url('//",
    "url('http",   "url(\"//",    "url(\"http"};

constexpr std::array<std::string_view, 3> kScriptSchemes = {
    "javascript:", "vbscript:", "livescript:"};

// A name of bounded length; a longer one is remembered as too long and matches nothing.
template <std::size_t N>
class ShortText {
 public:
  void clear() noexcept {
    size_ = 0;
    overflowed_ = false;
  }
  void push(char c) noexcept {
    if (size_ < N) {
      data_[size_++] = c;
    } else {
      overflowed_ = true;
    }
  }
  std::string_view view() const noexcept {
    return overflowed_ ? std::string_view{} : std::string_view(data_.data(), size_);
  }

 private:
  std::array<char, N> data_{};
  std::size_t size_ = 0;
  bool overflowed_ = false;
};

// The start of a URL as a browser's URL parser reads it: leading controls and spaces dropped,
// tab and newline dropped anywhere (other controls too, as older browsers did), lowercased.
// Enough of it to read the scheme and a data: URL's media type.
class UrlStart {
 public:
  void clear() noexcept { size_ = 0; }
  void feed(char c) noexcept {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return;
    // IE read a backtick like a quote around an unquoted value.
    if (size_ == 0 && (c == ' ' || c == '`')) return;
    if (size_ < data_.size()) data_[size_++] = to_lower(c);
  }
  std::string_view view() const noexcept { return {data_.data(), size_}; }

 private:
  std::array<char, 48> data_{};
  std::size_t size_ = 0;
};

enum class Scheme : std::uint8_t {
  kOther,
  kScript,      // javascript:
  kOldScript,   // vbscript:, livescript:, which nothing uses any more but attacks
  kActiveData,  // data: that a browser renders as a document or runs (HTML, XML, script)
  kSvgData,     // data:image/svg+xml: runs script where it is a document (iframe, embed, use)
  kOpaqueData,  // data: of any other type, or none
  kMediaData,   // data: holding an image, audio, video, font or plain text
};

Scheme classify_url(std::string_view url) noexcept {
  if (url.starts_with("javascript:")) return Scheme::kScript;
  if (url.starts_with("vbscript:") || url.starts_with("livescript:")) return Scheme::kOldScript;
  if (!url.starts_with("data:")) return Scheme::kOther;
  std::string_view type = url.substr(5);
  type.remove_prefix(std::min(type.find_first_not_of(' '), type.size()));
  type = type.substr(0, type.find_first_of(",;"));
  if (type.starts_with("image/svg")) return Scheme::kSvgData;
  for (std::string_view active : {"html"sv, "xml"sv, "script"sv}) {
    if (type.find(active) != std::string_view::npos) return Scheme::kActiveData;
  }
  for (std::string_view media : {"image/"sv, "audio/"sv, "video/"sv, "font/"sv, "text/plain"sv}) {
    if (type.starts_with(media)) return Scheme::kMediaData;
  }
  return Scheme::kOpaqueData;
}

// What a value would do as JavaScript. It reads like script when it calls something, assigns,
// names something payloads use or hides its text behind escapes (`%61lert`), unless it has the
// syntax error prose makes, two plain words in a row outside strings, regular expressions and
// comments (`The Good Parts (2008)`), which keeps all of it from running. `void(0)` and naming
// something (`onclick={handleClick}`) do nothing.
class ScriptSignals {
 public:
  void clear() noexcept { *this = ScriptSignals{}; }
  void feed(char c) noexcept {
    if (in_identifier_ && !(is_js_identifier(c) && lexeme_ == Lexeme::kCode)) end_identifier();
    switch (lexeme_) {
      case Lexeme::kCode:
        read_code(c);
        return;
      case Lexeme::kQuoted:
        if (escaped_) {
          escaped_ = false;
        } else if (c == '\\') {
          escaped_ = true;
        } else if (c == quote_) {
          lexeme_ = Lexeme::kCode;
          last_ = ')';  // a string or a regular expression is an operand
        }
        return;
      case Lexeme::kLineComment:
        // In a URL, `//%0a` ends the comment once the URL is decoded.
        if (c == '%') escape_ = true;
        if (c == '\n' || c == '\r') lexeme_ = Lexeme::kCode;
        return;
      case Lexeme::kBlockComment:
        if (c == '%') escape_ = true;
        if (star_ && c == '/') lexeme_ = Lexeme::kCode;
        star_ = c == '*';
        return;
    }
  }
  void finish() noexcept {
    if (in_identifier_) end_identifier();
  }
  bool prose() const noexcept { return prose_; }
  bool looks_like_script() const noexcept {
    return (call_or_assignment_ || sink_ || escape_) && !prose_;
  }

 private:
  enum class Lexeme : std::uint8_t { kCode, kQuoted, kLineComment, kBlockComment };
  enum class Gap : std::uint8_t { kNone, kAfterWord, kAfterWordAndSpace };

  void read_code(char c) noexcept {
    if (slash_pending_) {
      slash_pending_ = false;
      if (c == '/' || c == '*') {
        lexeme_ = c == '/' ? Lexeme::kLineComment : Lexeme::kBlockComment;
        star_ = false;
        return;
      }
      // After an operand `/` divides; anywhere else it opens a regular expression.
      if (!is_js_identifier(last_) && last_ != ')' && last_ != ']') {
        lexeme_ = Lexeme::kQuoted;
        quote_ = '/';
        escaped_ = c == '\\';
        return;
      }
      last_ = '/';
    }
    if (is_js_identifier(c)) {
      if (!in_identifier_) {
        in_identifier_ = true;
        identifier_.clear();
        second_word_ = gap_ == Gap::kAfterWordAndSpace && !is_digit(c);
      }
      identifier_.push(to_lower(c));
    } else if (c == ' ' || c == '\t') {
      if (gap_ == Gap::kAfterWord) gap_ = Gap::kAfterWordAndSpace;
      return;
    } else {
      // Anything else between two words, a newline included (it may end a statement), makes
      // them valid.
      gap_ = Gap::kNone;
      const bool after_operand = (is_js_identifier(last_) && !last_word_is_keyword_) ||
                                 last_ == ')' || last_ == ']' || last_ == '.';
      if (((c == '(' || c == '`') && after_operand) || c == '=') call_or_assignment_ = true;
      if (c == '%' || c == '\\') escape_ = true;
      if (c == '\'' || c == '"' || c == '`') {
        lexeme_ = Lexeme::kQuoted;
        quote_ = c;
        return;
      }
      if (c == '/') {
        slash_pending_ = true;
        return;
      }
      if (is_control_or_space(c)) return;
    }
    last_ = c;
  }

  void end_identifier() noexcept {
    in_identifier_ = false;
    std::string_view word = identifier_.view();
    if (contains(kJsSinks, word)) sink_ = true;
    if (second_word_ && !contains(kJsInfixKeywords, word)) prose_ = true;
    const bool number = !word.empty() && is_digit(word.front());
    last_word_is_keyword_ = contains(kJsKeywords, word);
    gap_ = number || last_word_is_keyword_ ? Gap::kNone : Gap::kAfterWord;
  }

  ShortText<16> identifier_;
  Lexeme lexeme_ = Lexeme::kCode;
  Gap gap_ = Gap::kNone;
  char quote_ = 0;
  // The last character of code that was neither whitespace nor part of a comment.
  char last_ = 0;
  bool slash_pending_ = false;
  bool star_ = false;
  bool escaped_ = false;
  bool in_identifier_ = false;
  bool second_word_ = false;
  bool last_word_is_keyword_ = false;
  bool call_or_assignment_ = false;
  bool escape_ = false;
  bool sink_ = false;
  bool prose_ = false;
};

// Finds a needle in CSS read as a browser's CSS tokenizer reads it: escapes (\65, \e) decoded,
// comments dropped, and whitespace, quotes and controls skipped, so that
// `url( "java\script:` reads as `url(javascript:`.
class CssWatch {
 public:
  void clear(std::span<const std::string_view> needles) noexcept {
    needles_ = needles;
    size_ = 0;
    escape_ = Escape::kNone;
    comment_ = Comment::kOutside;
    seen_ = false;
  }
  void feed(char c) noexcept {
    if (escape_ == Escape::kHex) {
      if (is_hex_digit(c) && hex_digits_ < 6) {
        code_point_ = code_point_ * 16 + hex_value(c);
        ++hex_digits_;
        return;
      }
      escape_ = Escape::kNone;
      put(from_code_point(code_point_));
      if (is_html_space(c)) return;  // the one whitespace that ends a hex escape
    } else if (escape_ == Escape::kBackslash) {
      escape_ = Escape::kNone;
      if (is_hex_digit(c)) {
        escape_ = Escape::kHex;
        code_point_ = hex_value(c);
        hex_digits_ = 1;
      } else if (c != '\n') {
        put(c);
      }
      return;
    }
    switch (comment_) {
      case Comment::kInside:
        if (c == '*') comment_ = Comment::kInsideStar;
        return;
      case Comment::kInsideStar:
        comment_ = c == '/'   ? Comment::kOutside
                   : c == '*' ? Comment::kInsideStar
                              : Comment::kInside;
        return;
      case Comment::kSlash:
        comment_ = Comment::kOutside;
        if (c == '*') {
          comment_ = Comment::kInside;
          return;
        }
        put('/');
        break;
      case Comment::kOutside:
        break;
    }
    if (c == '/') {
      comment_ = Comment::kSlash;
    } else if (c == '\\') {
      escape_ = Escape::kBackslash;
    } else {
      put(c);
    }
  }
  bool seen() const noexcept { return seen_; }

 private:
  enum class Escape : std::uint8_t { kNone, kBackslash, kHex };
  enum class Comment : std::uint8_t { kOutside, kSlash, kInside, kInsideStar };

  void put(char c) noexcept {
    if (is_control_or_space(c) || c == '"' || c == '\'') return;
    if (size_ == window_.size()) {
      std::copy(window_.begin() + 1, window_.end(), window_.begin());
      --size_;
    }
    window_[size_++] = to_lower(c);
    std::string_view text(window_.data(), size_);
    for (std::string_view needle : needles_) {
      if (text.ends_with(needle)) seen_ = true;
    }
  }

  std::span<const std::string_view> needles_;
  std::array<char, 16> window_{};
  std::size_t size_ = 0;
  std::uint32_t code_point_ = 0;
  int hex_digits_ = 0;
  Escape escape_ = Escape::kNone;
  Comment comment_ = Comment::kOutside;
  bool seen_ = false;
};

enum class AttributeKind : std::uint8_t {
  kPlain,         // judged only as a value that is itself a script URL
  kEventHandler,  // on + a known event name
  kMaybeHandler,  // on + other letters: an event some browser may add, or an attack probe
  kUrl,           // a URL the browser loads or navigates to
  kStyle,         // CSS declarations
  kSrcdoc,        // a whole document
  kSchemeList,    // meta content, SVG animation values: a script URL anywhere inside
  kHttpEquiv,     // meta http-equiv
  kMetaCharset,   // meta charset: UTF-7 turns +ADw- into <
  kLinkRel,       // link rel
};

enum class TagKind : std::uint8_t { kPlain, kScript, kFraming, kMeta, kLink, kAnimation };

// What the judging of one attribute value needs, fed the value's characters after character
// references are decoded.
class ValueProbe {
 public:
  void clear(AttributeKind kind) noexcept {
    kind_ = kind;
    url_.clear();
    signals_.clear();
    // A handler's value is script from its first byte; anything else only after a scheme.
    signals_armed_ = kind == AttributeKind::kEventHandler || kind == AttributeKind::kMaybeHandler;
    watch_.clear(kind == AttributeKind::kStyle ? std::span<const std::string_view>(kCssNeedles)
                                               : std::span<const std::string_view>(kScriptSchemes));
    embedded_.clear();
    markup_ = false;
    js_entity_ = false;
    entity_open_ = false;
    previous_ = 0;
    fed_ = 0;
  }
  void feed(char c) noexcept {
    url_.feed(c);
    // IE read a backtick like a quote around an unquoted value: onerror=`alert(1)`.
    if (fed_ == 0 && c == '`' && signals_armed_) {
      ++fed_;
      return;
    }
    if (signals_armed_) {
      signals_.feed(c);
    } else if (c == ':') {
      signals_armed_ = true;
    }
    if (kind_ == AttributeKind::kStyle || kind_ == AttributeKind::kSchemeList ||
        kind_ == AttributeKind::kUrl) {
      if (watch_.seen()) {
        embedded_.feed(c);
      } else {
        watch_.feed(c);
      }
    }
    if (previous_ == '<' && is_alpha(c)) markup_ = true;
    // Netscape's JavaScript entities, `&{expression};`, as a whole value. Perl's `&{$code}` and
    // `&{ 'name' }` do not start with a name.
    if (entity_open_ && !is_control_or_space(c)) {
      entity_open_ = false;
      js_entity_ = is_alpha(c);
    }
    if (fed_ == 1 && previous_ == '&' && c == '{') entity_open_ = true;
    previous_ = c;
    ++fed_;
  }
  void finish() noexcept {
    signals_.finish();
    embedded_.finish();
  }

  std::string_view url_start() const noexcept { return url_.view(); }
  const ScriptSignals& signals() const noexcept { return signals_; }
  bool needle_seen() const noexcept { return watch_.seen(); }
  // What follows the first script scheme inside a URL (`\x0Bjavascript:alert(1)`,
  // `/go?next=javascript:alert(1)`): a redirect or a lax parser may still run it.
  const ScriptSignals& embedded_script() const noexcept { return embedded_; }
  bool markup() const noexcept { return markup_; }
  bool js_entity() const noexcept { return js_entity_; }

 private:
  AttributeKind kind_ = AttributeKind::kPlain;
  UrlStart url_;
  ScriptSignals signals_;
  CssWatch watch_;
  ScriptSignals embedded_;
  bool signals_armed_ = false;
  bool markup_ = false;
  bool js_entity_ = false;
  bool entity_open_ = false;
  char previous_ = 0;
  std::size_t fed_ = 0;
};

// Where the value is pasted: where the first read starts.
enum class Context : std::uint8_t { kText, kDoubleQuoted, kSingleQuoted, kUnquoted };

// kBrowser follows the tokenizer as a browser does. kLenient lets less hide markup, for the
// parsers (sanitizers, old browsers, a page that re-parses) that disagree with it: what is inside
// comments, CDATA sections and raw text elements is read as markup, `<` and a letter inside a
// tag (not in a quoted value) starts a new tag, and whitespace after `=` ends an empty value.
enum class Reading : std::uint8_t { kBrowser, kLenient };

enum class State : std::uint8_t {
  kData,
  kTagOpen,
  kEndTagOpen,
  kTagName,
  kBeforeAttributeName,
  kAttributeName,
  kAfterAttributeName,
  kBeforeAttributeValue,
  kAttributeValueDoubleQuoted,
  kAttributeValueSingleQuoted,
  kAttributeValueUnquoted,
  kAfterAttributeValueQuoted,
  kSelfClosingStartTag,
  kCharacterReference,
  kNumericCharacterReference,
  kHexadecimalCharacterReferenceStart,
  kHexadecimalCharacterReference,
  kDecimalCharacterReference,
  kNamedCharacterReference,
  kBogusComment,
  kCommentStart,
  kCommentStartDash,
  kComment,
  kCommentEndDash,
  kCommentEnd,
  kCommentEndBang,
  kCdataSection,
  kRawText,
  kPlaintext
};

// One read of the value from one context.
class Scanner {
 public:
  Scanner(std::string_view input, Context context, Reading reading) noexcept
      : input_(input), reading_(reading) {
    if (context == Context::kText) return;
    // The value is already inside some tag's attribute value; which tag and attribute is
    // unknown, so the value is judged as a plain attribute until it closes it.
    state_ = context == Context::kDoubleQuoted   ? State::kAttributeValueDoubleQuoted
             : context == Context::kSingleQuoted ? State::kAttributeValueSingleQuoted
                                                 : State::kAttributeValueUnquoted;
    begin_tag(false);
    attribute_has_value_ = true;
    value_.clear(AttributeKind::kPlain);
  }

  XssMatch run() noexcept {
    while (pos_ < input_.size() && !match_.found && state_ != State::kPlaintext) step();
    if (!match_.found) finish();
    return match_;
  }

 private:
  bool lenient() const noexcept { return reading_ == Reading::kLenient; }
  bool is_value_state() const noexcept {
    return state_ == State::kAttributeValueDoubleQuoted ||
           state_ == State::kAttributeValueSingleQuoted || state_ == State::kAttributeValueUnquoted;
  }

  void flag(std::string_view reason, std::size_t offset) noexcept {
    if (!match_.found) match_ = XssMatch{true, reason, offset};
  }

  void step() noexcept {
    const char c = input_[pos_];
    switch (state_) {
      case State::kData:
        data(c);
        return;
      case State::kTagOpen:
        tag_open(c);
        return;
      case State::kEndTagOpen:
        end_tag_open(c);
        return;
      case State::kCharacterReference:
      case State::kNumericCharacterReference:
      case State::kHexadecimalCharacterReferenceStart:
      case State::kHexadecimalCharacterReference:
      case State::kDecimalCharacterReference:
      case State::kNamedCharacterReference:
        character_reference(c);
        return;
      case State::kBogusComment:
      case State::kCommentStart:
      case State::kCommentStartDash:
      case State::kComment:
      case State::kCommentEndDash:
      case State::kCommentEnd:
      case State::kCommentEndBang:
        comment(c);
        return;
      case State::kCdataSection:
        cdata_section(c);
        return;
      case State::kRawText:
        raw_text(c);
        return;
      case State::kPlaintext:
        return;
      default:
        // Quoted values are left alone: every parser agrees where they end, and text such as
        // `href="/?q=<script>"` is common.
        if (lenient() && c == '<' && pos_ + 1 < input_.size() && is_alpha(input_[pos_ + 1]) &&
            state_ != State::kAttributeValueDoubleQuoted &&
            state_ != State::kAttributeValueSingleQuoted) {
          abandon_tag();
          tag_start_ = pos_++;
          state_ = State::kTagOpen;
          return;
        }
        tag(c);
        return;
    }
  }

  void data(char c) noexcept {
    if (c != '<') {
      std::size_t next = input_.find('<', pos_);
      pos_ = next == std::string_view::npos ? input_.size() : next;
      return;
    }
    tag_start_ = pos_++;
    state_ = State::kTagOpen;
  }

  void tag_open(char c) noexcept {
    if (c == '!') {
      ++pos_;
      markup_declaration_open();
    } else if (c == '/') {
      ++pos_;
      state_ = State::kEndTagOpen;
    } else if (is_alpha(c)) {
      begin_tag(false);
      state_ = State::kTagName;
    } else if (c == '?') {
      // IE's <?import implementation="x.htc"> loads behaviours.
      if (starts_with_ignore_case(input_, pos_ + 1, "import")) {
        flag(kDangerousTagReason, tag_start_);
      }
      ++pos_;
      state_ = lenient() ? State::kData : State::kBogusComment;
    } else {
      state_ = State::kData;  // the `<` was text: `a < b`, `<3`
    }
  }

  void markup_declaration_open() noexcept {
    if (lenient()) {
      state_ = State::kData;
    } else if (input_.substr(pos_).starts_with("--")) {
      pos_ += 2;
      // IE's conditional comments show their content: <!--[if IE]><script>…
      state_ = starts_with_ignore_case(input_, pos_, "[if") ? State::kBogusComment
                                                            : State::kCommentStart;
    } else if (foreign_depth_ > 0 && input_.substr(pos_).starts_with("[CDATA[")) {
      pos_ += 7;
      cdata_brackets_ = 0;
      state_ = State::kCdataSection;
    } else {
      // A DOCTYPE ends at the first `>` just as a bogus comment does.
      state_ = State::kBogusComment;
    }
  }

  void end_tag_open(char c) noexcept {
    if (is_alpha(c)) {
      begin_tag(true);
      state_ = State::kTagName;
    } else if (c == '>') {
      ++pos_;
      state_ = State::kData;
    } else {
      state_ = lenient() ? State::kData : State::kBogusComment;
    }
  }

  void tag(char c) noexcept {
    switch (state_) {
      case State::kTagName:
        if (is_html_space(c)) {
          end_tag_name();
          state_ = State::kBeforeAttributeName;
        } else if (c == '/') {
          end_tag_name();
          state_ = State::kSelfClosingStartTag;
        } else if (c == '>') {
          end_tag_name();
          ++pos_;
          emit_tag();
          return;
        } else {
          tag_name_.push(to_lower(c));
        }
        ++pos_;
        return;
      case State::kBeforeAttributeName:
        if (is_html_space(c)) {
          ++pos_;
        } else if (c == '/' || c == '>') {
          state_ = State::kAfterAttributeName;
        } else {
          begin_attribute();
          // An attribute name may start with `=`.
          if (c == '=') {
            attribute_name_.push(c);
            ++pos_;
          }
          state_ = State::kAttributeName;
        }
        return;
      case State::kAttributeName:
        if (is_html_space(c) || c == '/' || c == '>') {
          end_attribute_name();
          state_ = State::kAfterAttributeName;
        } else if (c == '=') {
          end_attribute_name();
          begin_value();
          ++pos_;
        } else {
          attribute_name_.push(to_lower(c));
          ++pos_;
        }
        return;
      case State::kAfterAttributeName:
        if (is_html_space(c)) {
          attribute_spaced_ = true;
          ++pos_;
        } else if (c == '/') {
          state_ = State::kSelfClosingStartTag;
          ++pos_;
        } else if (c == '=') {
          begin_value();
          ++pos_;
        } else if (c == '>') {
          ++pos_;
          emit_tag();
        } else {
          begin_attribute();
          state_ = State::kAttributeName;
        }
        return;
      case State::kBeforeAttributeValue:
        if (is_html_space(c)) {
          attribute_spaced_ = true;
          if (lenient()) {
            finish_attribute();
            state_ = State::kBeforeAttributeName;
          }
          ++pos_;
        } else if (c == '"') {
          state_ = State::kAttributeValueDoubleQuoted;
          ++pos_;
        } else if (c == '\'') {
          state_ = State::kAttributeValueSingleQuoted;
          ++pos_;
        } else if (c == '>') {
          finish_attribute();
          ++pos_;
          emit_tag();
        } else {
          state_ = State::kAttributeValueUnquoted;
        }
        return;
      case State::kAttributeValueDoubleQuoted:
      case State::kAttributeValueSingleQuoted:
        if (c == (state_ == State::kAttributeValueDoubleQuoted ? '"' : '\'')) {
          finish_attribute();
          state_ = State::kAfterAttributeValueQuoted;
        } else if (c == '&') {
          begin_character_reference();
        } else {
          value_.feed(c);
        }
        ++pos_;
        return;
      case State::kAttributeValueUnquoted:
        if (is_html_space(c)) {
          finish_attribute();
          state_ = State::kBeforeAttributeName;
          ++pos_;
        } else if (c == '>') {
          finish_attribute();
          ++pos_;
          emit_tag();
        } else if (c == '&') {
          begin_character_reference();
          ++pos_;
        } else {
          value_.feed(c);
          ++pos_;
        }
        return;
      case State::kAfterAttributeValueQuoted:
        if (is_html_space(c)) {
          state_ = State::kBeforeAttributeName;
          ++pos_;
        } else if (c == '/') {
          state_ = State::kSelfClosingStartTag;
          ++pos_;
        } else if (c == '>') {
          ++pos_;
          emit_tag();
        } else {
          state_ = State::kBeforeAttributeName;  // `"x"onclick=…`: a missing space is forgiven
        }
        return;
      case State::kSelfClosingStartTag:
        if (c == '>') {
          self_closing_ = true;
          ++pos_;
          emit_tag();
        } else {
          state_ = State::kBeforeAttributeName;  // `<svg/onload=…>`
        }
        return;
      default:
        return;
    }
  }

  void begin_tag(bool end_tag) noexcept {
    tag_name_.clear();
    end_tag_ = end_tag;
    self_closing_ = false;
    tag_has_attributes_ = false;
    tag_kind_ = TagKind::kPlain;
    attribute_has_value_ = false;
  }

  void end_tag_name() noexcept {
    std::string_view name = tag_name_.view();
    if (end_tag_) {
      if ((name == "svg" || name == "math") && foreign_depth_ > 0) --foreign_depth_;
      if (name == "p" || name == "br") foreign_depth_ = 0;
      return;
    }
    std::string_view local = local_name(name);
    if (local == "script") {
      tag_kind_ = TagKind::kScript;
    } else if (contains(kFramingTags, local)) {
      tag_kind_ = TagKind::kFraming;
    } else if (local == "meta") {
      tag_kind_ = TagKind::kMeta;
    } else if (local == "link") {
      tag_kind_ = TagKind::kLink;
    } else if (contains(kAnimationTags, local)) {
      tag_kind_ = TagKind::kAnimation;
    }
  }

  // The tag is complete (its `>` consumed); the next state depends on which element it opened.
  void emit_tag() noexcept {
    state_ = State::kData;
    if (end_tag_) return;
    // A bare script element whose text does nothing is prose or a placeholder ("The <script>
    // tag is …", "python <script> [args]"), not a payload; one with no text takes the page's.
    if (tag_kind_ == TagKind::kScript && (tag_has_attributes_ || script_text_may_run(pos_))) {
      flag(kScriptTagReason, tag_start_);
    }
    if (lenient()) return;
    std::string_view name = tag_name_.view();
    if (name == "svg" || name == "math") {
      if (!self_closing_ && foreign_depth_ < kMaxForeignDepth) ++foreign_depth_;
      return;
    }
    if (contains(kForeignBreakoutTags, name)) foreign_depth_ = 0;
    // In SVG and MathML, style, title and the rest hold markup, not text.
    if (foreign_depth_ > 0) return;
    if (name == "plaintext") {
      state_ = State::kPlaintext;
      return;
    }
    auto raw = std::ranges::lower_bound(kRawTextTags, name);
    if (raw == kRawTextTags.end() || *raw != name) return;
    raw_text_end_ = *raw;
    raw_text_is_style_ = name == "style";
    if (raw_text_is_style_) style_.clear(kStyleElementNeedles);
    raw_text_start_ = tag_start_;
    state_ = State::kRawText;
  }

  void begin_attribute() noexcept {
    tag_has_attributes_ = true;
    attribute_name_.clear();
    attribute_start_ = pos_;
    attribute_kind_ = AttributeKind::kPlain;
    attribute_has_value_ = false;
    attribute_spaced_ = false;
  }

  void end_attribute_name() noexcept {
    std::string_view name = attribute_name_.view();
    std::string_view local = local_name(name);
    const std::string_view event = name.substr(std::min<std::size_t>(2, name.size()));
    const bool on_letters = name.starts_with("on") && !event.empty() &&
                            std::ranges::all_of(event, [](char c) { return is_alpha(c); });
    if (on_letters && contains(kEventNames, event)) {
      attribute_kind_ = AttributeKind::kEventHandler;
    } else if (on_letters && event.size() >= kMinUnknownEvent &&
               std::ranges::none_of(kWordsAfterOn,
                                    [event](std::string_view w) { return event.starts_with(w); })) {
      attribute_kind_ = AttributeKind::kMaybeHandler;
    } else if (local == "style") {
      attribute_kind_ = AttributeKind::kStyle;
    } else if (local == "srcdoc") {
      attribute_kind_ = AttributeKind::kSrcdoc;
    } else if (contains(kUrlAttributes, local)) {
      attribute_kind_ = AttributeKind::kUrl;
    } else if (tag_kind_ == TagKind::kMeta && name == "content") {
      attribute_kind_ = AttributeKind::kSchemeList;
    } else if (tag_kind_ == TagKind::kMeta && name == "charset") {
      attribute_kind_ = AttributeKind::kMetaCharset;
    } else if (tag_kind_ == TagKind::kMeta && name == "http-equiv") {
      attribute_kind_ = AttributeKind::kHttpEquiv;
    } else if (tag_kind_ == TagKind::kLink && name == "rel") {
      attribute_kind_ = AttributeKind::kLinkRel;
    } else if (tag_kind_ == TagKind::kAnimation &&
               (name == "values" || name == "to" || name == "from" || name == "by")) {
      attribute_kind_ = AttributeKind::kSchemeList;
    } else {
      attribute_kind_ = AttributeKind::kPlain;
    }
  }

  void begin_value() noexcept {
    state_ = State::kBeforeAttributeValue;
    attribute_has_value_ = true;
    value_.clear(attribute_kind_);
    if (end_tag_) return;
    if (tag_kind_ == TagKind::kScript) flag(kScriptTagReason, tag_start_);
    if (tag_kind_ == TagKind::kFraming &&
        (attribute_kind_ == AttributeKind::kUrl || attribute_kind_ == AttributeKind::kSrcdoc ||
         contains(kFramingSourceAttributes, attribute_name_.view()))) {
      flag(kDangerousTagReason, tag_start_);
    }
  }

  void finish_attribute() noexcept {
    if (!attribute_has_value_ || end_tag_) return;
    attribute_has_value_ = false;
    value_.finish();
    judge_attribute();
  }

  void judge_attribute() noexcept {
    const ScriptSignals& signals = value_.signals();
    if (value_.js_entity()) flag(kScriptEntityReason, attribute_start_);
    Scheme scheme = classify_url(value_.url_start());
    switch (attribute_kind_) {
      case AttributeKind::kEventHandler:
        if (signals.looks_like_script()) flag(kEventHandlerReason, attribute_start_);
        return;
      case AttributeKind::kMaybeHandler:
        // `onThisPage = document.createElement(…)` is a line of code, not an attribute.
        if (signals.looks_like_script() && !attribute_spaced_) {
          flag(kEventHandlerReason, attribute_start_);
        }
        return;
      case AttributeKind::kUrl:
        if (scheme == Scheme::kOldScript || scheme == Scheme::kActiveData ||
            scheme == Scheme::kSvgData || scheme == Scheme::kOpaqueData ||
            value_.embedded_script().looks_like_script()) {
          flag(kScriptUrlReason, attribute_start_);
        }
        return;
      case AttributeKind::kStyle:
        if (value_.needle_seen()) flag(kStyleExpressionReason, attribute_start_);
        return;
      case AttributeKind::kSrcdoc:
        if (value_.markup()) flag(kSrcdocMarkupReason, attribute_start_);
        return;
      case AttributeKind::kSchemeList:
        if (value_.needle_seen()) flag(kScriptUrlReason, attribute_start_);
        return;
      case AttributeKind::kHttpEquiv: {
        std::string_view equiv = value_.url_start();
        if (equiv.starts_with("refresh") || equiv.starts_with("set-cookie") ||
            equiv.starts_with("link")) {
          flag(kDangerousTagReason, tag_start_);
        }
        return;
      }
      case AttributeKind::kMetaCharset:
        if (value_.url_start().starts_with("utf-7")) flag(kDangerousTagReason, tag_start_);
        return;
      case AttributeKind::kLinkRel:
        if (value_.url_start().find("import") != std::string_view::npos) {
          flag(kDangerousTagReason, tag_start_);
        }
        return;
      case AttributeKind::kPlain:
        // Any attribute could be a URL attribute the tables miss, and the value pasted into an
        // attribute could be an href: a value that is a script URL counts, if the rest of it
        // reads like script (not "javascript: the good parts").
        if (((scheme == Scheme::kScript || scheme == Scheme::kOldScript) &&
             signals.looks_like_script()) ||
            scheme == Scheme::kActiveData) {
          flag(kScriptUrlReason, attribute_start_);
        }
        return;
    }
  }

  void begin_character_reference() noexcept {
    reference_return_ = state_;
    reference_start_ = pos_;
    reference_code_ = 0;
    reference_name_.clear();
    state_ = State::kCharacterReference;
  }

  void character_reference(char c) noexcept {
    switch (state_) {
      case State::kCharacterReference:
        if (c == '#') {
          state_ = State::kNumericCharacterReference;
          ++pos_;
          return;
        }
        if (is_alnum(c)) {
          state_ = State::kNamedCharacterReference;
          return;
        }
        break;
      case State::kNumericCharacterReference:
        if (c == 'x' || c == 'X') {
          state_ = State::kHexadecimalCharacterReferenceStart;
          ++pos_;
          return;
        }
        if (is_digit(c)) {
          state_ = State::kDecimalCharacterReference;
          return;
        }
        break;
      case State::kHexadecimalCharacterReferenceStart:
        if (is_hex_digit(c)) {
          state_ = State::kHexadecimalCharacterReference;
          return;
        }
        break;
      case State::kHexadecimalCharacterReference:
      case State::kDecimalCharacterReference: {
        const bool hex = state_ == State::kHexadecimalCharacterReference;
        if (hex ? is_hex_digit(c) : is_digit(c)) {
          // Saturates past the last code point, so any number of digits is fine.
          reference_code_ =
              std::min<std::uint32_t>(reference_code_ * (hex ? 16 : 10) + hex_value(c), 0x110000);
          ++pos_;
          return;
        }
        break;
      }
      case State::kNamedCharacterReference:
        if (is_alnum(c)) {
          reference_name_.push(c);
          ++pos_;
          return;
        }
        break;
      default:
        break;
    }
    end_character_reference(c);
  }

  // `next` is the character after the reference, reconsumed in the value afterwards (`;`
  // excepted), or -1 at the end of the input.
  void end_character_reference(int next) noexcept {
    char decoded = 0;
    switch (state_) {
      case State::kHexadecimalCharacterReference:
      case State::kDecimalCharacterReference:
        value_.feed(from_code_point(reference_code_));
        if (next == ';') ++pos_;
        break;
      case State::kNamedCharacterReference:
        // Without `;` and before `=`, an attribute value keeps the text (`?a=1&lt=2`).
        if (find_named_reference(reference_name_.view(), decoded) && next != '=') {
          value_.feed(decoded);
          if (next == ';') ++pos_;
          break;
        }
        [[fallthrough]];
      default:
        for (char raw : input_.substr(reference_start_, pos_ - reference_start_)) value_.feed(raw);
        break;
    }
    state_ = reference_return_;
  }

  void comment(char c) noexcept {
    switch (state_) {
      case State::kBogusComment: {
        std::size_t end = input_.find('>', pos_);
        pos_ = end == std::string_view::npos ? input_.size() : end + 1;
        state_ = State::kData;
        return;
      }
      case State::kCommentStart:
        if (c == '-') {
          state_ = State::kCommentStartDash;
        } else if (c == '>') {
          state_ = State::kData;  // `<!-->`
        } else {
          state_ = State::kComment;
          return;
        }
        ++pos_;
        return;
      case State::kCommentStartDash:
        if (c == '-') {
          state_ = State::kCommentEnd;
        } else if (c == '>') {
          state_ = State::kData;  // `<!--->`
        } else {
          state_ = State::kComment;
          return;
        }
        ++pos_;
        return;
      case State::kComment: {
        std::size_t dash = input_.find('-', pos_);
        if (dash == std::string_view::npos) {
          pos_ = input_.size();
          return;
        }
        pos_ = dash + 1;
        state_ = State::kCommentEndDash;
        return;
      }
      case State::kCommentEndDash:
        if (c != '-') {
          state_ = State::kComment;
          return;
        }
        state_ = State::kCommentEnd;
        ++pos_;
        return;
      case State::kCommentEnd:
        if (c == '>') {
          state_ = State::kData;
        } else if (c == '!') {
          state_ = State::kCommentEndBang;
        } else if (c != '-') {
          state_ = State::kComment;
          return;
        }
        ++pos_;
        return;
      case State::kCommentEndBang:
        if (c == '-') {
          state_ = State::kCommentEndDash;
        } else if (c == '>') {
          state_ = State::kData;  // `--!>`
        } else {
          state_ = State::kComment;
          return;
        }
        ++pos_;
        return;
      default:
        return;
    }
  }

  void cdata_section(char c) noexcept {
    if (c == '>' && cdata_brackets_ >= 2) {
      state_ = State::kData;
    } else {
      cdata_brackets_ = c == ']' ? cdata_brackets_ + 1 : 0;
    }
    ++pos_;
  }

  void raw_text(char c) noexcept {
    if (c == '<' && is_raw_text_end(pos_)) {
      tag_start_ = pos_;
      begin_tag(true);
      for (char n : raw_text_end_) tag_name_.push(n);
      pos_ += 2 + raw_text_end_.size();
      state_ = State::kTagName;  // reconsumes the whitespace, `/` or `>` after the name
      return;
    }
    if (!raw_text_is_style_) {
      std::size_t next = input_.find('<', pos_ + 1);
      pos_ = next == std::string_view::npos ? input_.size() : next;
      return;
    }
    style_.feed(c);
    if (style_.seen()) flag(kStyleExpressionReason, raw_text_start_);
    ++pos_;
  }

  bool is_raw_text_end(std::size_t at) const noexcept {
    std::size_t after = at + 2 + raw_text_end_.size();
    return at + 1 < input_.size() && input_[at + 1] == '/' &&
           starts_with_ignore_case(input_, at + 2, raw_text_end_) && after < input_.size() &&
           (is_html_space(input_[after]) || input_[after] == '/' || input_[after] == '>');
  }

  // What was read of an unfinished start tag is judged as if it ended here: the page's own
  // markup after the value could finish it.
  void abandon_tag() noexcept {
    if (is_value_state() || state_ == State::kBeforeAttributeValue) finish_attribute();
    if (tag_kind_ == TagKind::kScript && !end_tag_) flag(kScriptTagReason, tag_start_);
  }

  // Whether the text of a script element at `at`, up to the next markup or a bounded distance,
  // is empty or reads like script.
  bool script_text_may_run(std::size_t at) const noexcept {
    constexpr std::size_t kLookahead = 256;
    std::string_view text = input_.substr(at, kLookahead);
    for (std::size_t k = 0; k + 1 < text.size(); ++k) {
      const char next = text[k + 1];
      if (text[k] == '<' && (is_alpha(next) || next == '/' || next == '!' || next == '?')) {
        text = text.substr(0, k);
        break;
      }
    }
    if (std::ranges::all_of(text, is_control_or_space)) return true;
    ScriptSignals signals;
    for (char c : text) signals.feed(c);
    signals.finish();
    return signals.looks_like_script();
  }

  // A value may be cut off anywhere: what was read of an unfinished tag is judged as if it
  // ended here, since the page's own markup after it could finish it.
  void finish() noexcept {
    switch (state_) {
      case State::kCharacterReference:
      case State::kNumericCharacterReference:
      case State::kHexadecimalCharacterReferenceStart:
      case State::kHexadecimalCharacterReference:
      case State::kDecimalCharacterReference:
      case State::kNamedCharacterReference:
        end_character_reference(-1);
        break;
      default:
        break;
    }
    switch (state_) {
      case State::kTagName:
        end_tag_name();
        abandon_tag();
        break;
      case State::kBeforeAttributeName:
      case State::kAttributeName:
      case State::kAfterAttributeName:
      case State::kBeforeAttributeValue:
      case State::kAttributeValueDoubleQuoted:
      case State::kAttributeValueSingleQuoted:
      case State::kAttributeValueUnquoted:
      case State::kAfterAttributeValueQuoted:
      case State::kSelfClosingStartTag:
        abandon_tag();
        break;
      default:
        break;
    }
  }

  static constexpr int kMaxForeignDepth = 1 << 16;
  // Shorter unknown on-names are words and variables (one, once, onset), not events.
  static constexpr std::size_t kMinUnknownEvent = 4;

  std::string_view input_;
  std::size_t pos_ = 0;
  State state_ = State::kData;
  Reading reading_;
  XssMatch match_;

  ShortText<32> tag_name_;
  std::size_t tag_start_ = 0;
  bool end_tag_ = false;
  bool self_closing_ = false;
  bool tag_has_attributes_ = false;
  TagKind tag_kind_ = TagKind::kPlain;
  // Open <svg>/<math> elements: inside them CDATA sections exist and no element is raw text.
  int foreign_depth_ = 0;

  ShortText<48> attribute_name_;
  std::size_t attribute_start_ = 0;
  AttributeKind attribute_kind_ = AttributeKind::kPlain;
  bool attribute_has_value_ = false;
  // Whitespace around the attribute's `=`.
  bool attribute_spaced_ = false;
  ValueProbe value_;

  State reference_return_ = State::kData;
  std::size_t reference_start_ = 0;
  std::uint32_t reference_code_ = 0;
  ShortText<16> reference_name_;

  std::string_view raw_text_end_;
  std::size_t raw_text_start_ = 0;
  bool raw_text_is_style_ = false;
  CssWatch style_;
  int cdata_brackets_ = 0;
};

struct Read {
  Context context;
  Reading reading;
};

constexpr std::array<Read, 5> kReads = {{{Context::kText, Reading::kBrowser},
                                         {Context::kDoubleQuoted, Reading::kBrowser},
                                         {Context::kSingleQuoted, Reading::kBrowser},
                                         {Context::kUnquoted, Reading::kBrowser},
                                         {Context::kText, Reading::kLenient}}};

}  // namespace

XssMatch detect_xss(std::string_view value) noexcept {
  // Script needs a tag (<), an attribute value (=) or a URL scheme (:, or an entity spelling it
  // with &): a value with none of them is settled by this one pass.
  if (value.find_first_of("<=:&") == std::string_view::npos) return {};
  for (const Read& read : kReads) {
    XssMatch match = Scanner(value, read.context, read.reading).run();
    if (match.found) return match;
  }
  return {};
}

}  // namespace portcullis::waf::detect
