// Implements s3/s3_xml.h with expat: a SAX walk that keeps the path of open elements and the
// text of the innermost one. Expat is the XML parser of Debian's base system (libexpat1), made
// for streams and fuzzed for decades; a ListObjectsV2 page is flat enough that a DOM
// (pugixml, tinyxml2) would only add a copy.
#include "imagenet/s3/s3_xml.h"

#include <expat.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <type_traits>

#include "imagenet/util/error.h"

namespace imagenet {
namespace {

/// Collects element paths ("ListBucketResult/Contents/Key") and their text; `on_end` gets each
/// finished element.
struct SaxState {
  std::vector<std::string> path;
  std::string text;
  std::function<void(const std::string& path, std::string text)> on_end;
  std::function<void(const std::string& path)> on_start;

  std::string joined() const { return str_join(path, "/"); }
};

void XMLCALL start_element(void* user, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto* state = static_cast<SaxState*>(user);
  state->path.emplace_back(name);
  state->text.clear();
  if (state->on_start) state->on_start(state->joined());
}

void XMLCALL end_element(void* user, const XML_Char* /*name*/) {
  auto* state = static_cast<SaxState*>(user);
  state->on_end(state->joined(), std::move(state->text));
  state->text.clear();
  state->path.pop_back();
}

void XMLCALL character_data(void* user, const XML_Char* data, int length) {
  static_cast<SaxState*>(user)->text.append(data, static_cast<size_t>(length));
}

/// Parses `xml` as one complete document. Returns "" or expat's message with line and column.
std::string parse_document(std::string_view xml, SaxState& state) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate("UTF-8"), &XML_ParserFree);
  IMAGENET_CHECK(parser != nullptr, "XML_ParserCreate failed (out of memory)");
  XML_SetUserData(parser.get(), &state);
  XML_SetElementHandler(parser.get(), start_element, end_element);
  XML_SetCharacterDataHandler(parser.get(), character_data);
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), /*isFinal=*/1) ==
      XML_STATUS_OK)
    return "";
  return str_cat(XML_ErrorString(XML_GetErrorCode(parser.get())), " at line ",
                 XML_GetCurrentLineNumber(parser.get()), ", column ",
                 XML_GetCurrentColumnNumber(parser.get()));
}

std::string unquote(const std::string& etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    return etag.substr(1, etag.size() - 2);
  return etag;
}

}  // namespace

S3ListPage parse_list_objects_v2(std::string_view xml, const std::string& what) {
  S3ListPage page;
  std::string root, bad_size;
  bool saw_truncated = false;
  SaxState state;
  state.on_start = [&](const std::string& path) {
    if (root.empty()) root = path;
    if (path == "ListBucketResult/Contents") page.objects.emplace_back();
  };
  state.on_end = [&](const std::string& path, std::string text) {
    if (path == "ListBucketResult/IsTruncated") {
      page.is_truncated = text == "true";
      saw_truncated = true;
    } else if (path == "ListBucketResult/NextContinuationToken") {
      page.next_continuation_token = std::move(text);
    } else if (path == "ListBucketResult/CommonPrefixes/Prefix") {
      page.common_prefixes.push_back(std::move(text));
    } else if (str_starts_with(path, "ListBucketResult/Contents/")) {
      S3Object& object = page.objects.back();
      const std::string field = path.substr(26);
      if (field == "Key") object.key = std::move(text);
      if (field == "ETag") object.etag = unquote(text);
      if (field == "LastModified") object.last_modified = std::move(text);
      if (field == "Size") {
        char* end = nullptr;
        object.size = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || object.size < 0) bad_size = text;
      }
    }
  };
  const std::string error = parse_document(xml, state);
  if (!error.empty())
    throw RuntimeError(str_cat(what, ": the answer is not a complete XML document (", error, "; ",
                               xml.size(), " bytes). A proxy or a cut connection?"));
  if (root != "ListBucketResult")
    throw RuntimeError(str_cat(what, ": expected a ListBucketResult, got <", root, ">"));
  if (!bad_size.empty()) throw RuntimeError(str_cat(what, ": an object has Size '", bad_size, "'"));
  if (!saw_truncated)
    throw RuntimeError(str_cat(what, ": the answer has no IsTruncated (not ListObjectsV2?)"));
  if (page.is_truncated && page.next_continuation_token.empty())
    throw RuntimeError(str_cat(what, ": a truncated page without NextContinuationToken"));
  for (const S3Object& object : page.objects)
    if (object.key.empty()) throw RuntimeError(str_cat(what, ": an object without a Key"));
  return page;
}

S3ErrorBody parse_s3_error(std::string_view xml) {
  S3ErrorBody body;
  SaxState state;
  state.on_end = [&](const std::string& path, std::string text) {
    if (path == "Error/Code") body.code = std::move(text);
    if (path == "Error/Message") body.message = std::move(text);
    if (path == "Error/Region") body.region = std::move(text);
  };
  if (!parse_document(xml, state).empty()) return {};
  return body;
}

bool etag_is_md5(std::string_view etag) {
  if (etag.size() != 32) return false;
  for (char c : etag)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace imagenet
