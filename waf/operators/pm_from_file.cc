// @pmFromFile — phrase match against phrases read from files: matches when any of them occurs
// in the value, ASCII case ignored. Argument: one or more file names separated by white space,
// relative to the rule file's folder; each line of a file is one phrase (kept whole, spaces
// included), blank lines and lines starting with '#' are skipped. With `capture`, TX.0 is the
// phrase that ended first in the value. Also spelled @pmf.
//
//   SecRule REQUEST_FILENAME "@pmFromFile lfi-os-files.data" "id:1001,phase:2,deny,capture"
#include <memory>
#include <string>
#include <vector>

#include "core/phrase_automaton.h"
#include "waf/operators/all.h"
#include "waf/operators/argument.h"
#include "waf/operators/phrase_match.h"

namespace portcullis::waf::operators {

OperatorResult create_pm_from_file(const OperatorArgs& args) {
  std::vector<std::string_view> files = split(args.argument, is_c_space);
  if (files.empty()) return Error("@pmFromFile needs a file name");
  std::vector<std::string> phrases;
  for (std::string_view file : files) {
    auto lines = read_data_lines(file, args.rules_dir);
    if (!lines.ok()) return lines.error();
    for (std::string& line : *lines) phrases.push_back(std::move(line));
  }
  return std::unique_ptr<Operator>(std::make_unique<PhraseMatch>(PhraseAutomaton(phrases)));
}

}  // namespace portcullis::waf::operators
