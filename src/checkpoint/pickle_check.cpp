// Implements checkpoint/pickle_check.h over pickle_ops.h's decoder, after the opcodes and globals
// of LibTorch 1.13's torch/csrc/jit/serialization/unpickler.cpp.
#include "imagenet/checkpoint/pickle_check.h"

#include <cctype>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "imagenet/checkpoint/pickle_ops.h"
#include "imagenet/checkpoint/pickle_reader.h"
#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

/// The opcodes LibTorch 1.13's Unpickler::readInstruction handles (PROTO only first); any
/// other it refuses, after whatever it did before.
bool libtorch_reads(uint8_t op) {
  switch (op) {
    case ']':
    case ')':
    case 'q':
    case 'r':
    case '(':
    case 0x88:
    case 0x89:
    case 'N':
    case 'K':
    case 'M':
    case 'J':
    case 0x8a:
    case 'X':
    case 'G':
    case 't':
    case 0x85:
    case 0x86:
    case 0x87:
    case '}':
    case 'e':
    case 'l':
    case 'd':
    case 'u':
    case 'h':
    case 'j':
    case '.':
    case 'c':
    case 0x81:
    case 'b':
    case 'R':
    case 'Q':
    case 's':
      return true;
    default:
      return false;
  }
}

/// The storages LibTorch rebuilds as plain CPU tensors, with their element sizes in bytes.
int storage_item_size(const std::string& type) {
  static const std::unordered_map<std::string, int> kSizes = {
      {"FloatStorage", 4}, {"DoubleStorage", 8}, {"HalfStorage", 2},  {"BFloat16Storage", 2},
      {"LongStorage", 8},  {"IntStorage", 4},    {"ShortStorage", 2}, {"CharStorage", 1},
      {"ByteStorage", 1},  {"BoolStorage", 1}};
  const auto it = kSizes.find(type);
  return it == kSizes.end() ? 0 : it->second;
}

/// The globals torch.save (a state dict: tensors in an OrderedDict) and torch::pickle_save (also
/// its typed lists) write. LibTorch knows a few more (quantized and sparse tensors, complex
/// numbers, devices, TorchScript's type tags), none of which a checkpoint of ours holds.
bool global_allowed(std::string_view module, std::string_view name) {
  if (module == "torch")
    return str_ends_with(name, "Storage") && storage_item_size(std::string(name));
  if (module == "torch._utils") return name == "_rebuild_tensor_v2";
  if (module == "collections") return name == "OrderedDict";
  if (module == "torch.jit._pickle")
    return name == "build_intlist" || name == "build_doublelist" || name == "build_boollist" ||
           name == "build_tensorlist" || name == "restore_type_tag";
  return false;
}

/// True for the type tags torch::pickle_save gives its typed containers ("Dict[str, Tensor]",
/// "List[str]", ...): TorchScript types of plain names, at most 4 deep and 256 characters.
/// LibTorch parses the tag by recursion (c10::parseType) and sets the container's types to it.
bool type_tag_allowed(std::string_view tag) {
  if (tag.empty() || tag.size() > 256) return false;
  static const char* const kNames[] = {"Dict",  "List", "Tuple",  "Optional", "str",     "int",
                                       "float", "bool", "Tensor", "Any",      "NoneType"};
  int depth = 0;
  for (size_t i = 0; i < tag.size();) {
    const char c = tag[i];
    if (c == '[') {
      if (++depth > 4) return false;
      ++i;
    } else if (c == ']') {
      if (--depth < 0) return false;
      ++i;
    } else if (c == ',' || c == ' ') {
      ++i;
    } else {
      size_t end = i;
      while (end < tag.size() && std::isalnum(static_cast<unsigned char>(tag[end]))) ++end;
      if (end == i) return false;
      bool known = false;
      for (const char* name : kNames) known = known || tag.substr(i, end - i) == name;
      if (!known) return false;
      i = end;
    }
  }
  return depth == 0;
}

/// BUILD and NEWOBJ: LibTorch 1.13 runs BUILD as REDUCE (calling the global whose index the value
/// below holds, which Python never does) and NEWOBJ as a bare POP, so that its values part from
/// what Python's rules (and the checks) make of the same bytes. torch::pickle_save writes neither,
/// and a state dict torch.save writes with BUILD (its _metadata) LibTorch cannot read anyway.
constexpr const char* kBuildOrNewobj =
    " (BUILD or NEWOBJ) is one LibTorch 1.13 runs otherwise than Python, and no checkpoint it "
    "reads holds it";

/// What the opcode walk checks beyond the lengths and the memo.
enum class Dialect { kAnyPickle, kLibTorch };

std::string walk_opcodes(std::string_view pickle, Dialect dialect);

/// "" when every storage a persistent id names (BINPERSID: LibTorch reads its record then and
/// there, whether a tensor uses it or not) is one of a plain dtype on the CPU or a GPU, no larger
/// than its record, and read once: LibTorch sizes a storage by its claimed element count,
/// whatever its record holds, and copies the record again for each persistent id naming it (our
/// writer names each storage once and takes it from the memo after).
std::string check_storages(const std::vector<PickleStorage>& storages,
                           const PickleRecordSize& record_size) {
  std::unordered_map<std::string, int> seen;
  for (const PickleStorage& s : storages) {
    const std::string name = str_cat("storage '", s.key, "'");
    const int item = storage_item_size(s.type);
    if (item == 0) return str_cat(name, " has the type '", s.type, "'");
    if (s.location != "cpu" && s.location != "cuda" && !str_starts_with(s.location, "cuda:"))
      return str_cat(name, " is on the device '", s.location, "'");
    if (seen[s.key]++ > 0) return str_cat(name, " is read twice (LibTorch copies it each time)");
    if (s.numel == 0) continue;  // LibTorch reads no record for it
    const int64_t bytes = record_size(s.key);
    if (bytes < 0) return str_cat(name, " has no record data/", s.key, " in the archive");
    if (static_cast<__int128>(s.numel) * item > bytes)
      return str_cat(name, " claims ", s.numel, " elements of ", item, " bytes, its record data/",
                     s.key, " holds ", bytes, " bytes");
  }
  return "";
}

/// "" when `t`, a tensor of the pickle, lies inside its storage (whose claims check_storages
/// checked); otherwise what is wrong. LibTorch sets a tensor's offset, sizes and strides over its
/// storage unchecked.
std::string check_tensor(const PickleTensor& t) {
  const PickleStorage& s = t.storage;
  const std::string name = str_cat("the tensor of storage '", s.key, "'");
  if (t.sizes.size() > 16) return str_cat(name, " has ", t.sizes.size(), " dimensions");
  if (t.offset < 0) return str_cat(name, " starts at the negative offset ", t.offset);
  __int128 last = t.offset;  // the last element the view reaches
  for (size_t d = 0; d < t.sizes.size(); ++d) {
    if (t.sizes[d] < 0 || t.strides[d] < 0)
      return str_cat(name, " has a negative size or stride in dimension ", d);
    if (t.sizes[d] == 0) return "";  // no elements: nothing is read
    last += static_cast<__int128>(t.sizes[d] - 1) * t.strides[d];
  }
  if (last >= s.numel)
    return str_cat(name, " reaches element ",
                   static_cast<int64_t>(std::min<__int128>(last, INT64_MAX)), " of a storage of ",
                   s.numel);
  return "";
}

/// The nesting depth at most: LibTorch's IValues free, hash and compare nested values by
/// recursion.
constexpr int kMaxDepth = 64;

/// "" when every value of the tree is one LibTorch rebuilds into what read_pickle made of it
/// (no object, global or bytes left over), nesting is at most kMaxDepth, dict keys are strings
/// or ints, and every tensor lies inside its storage. The tree has no cycle (read_pickle refuses
/// them), but may share values: each is checked once and its depth kept.
std::string check_values(const PickleValue& root) {
  using Kind = PickleValue::Kind;
  std::unordered_map<const PickleValue*, int> depth;        // of the values done
  std::vector<std::pair<const PickleValue*, size_t>> path;  // value, next child
  auto child = [](const PickleValue& v, size_t i) -> const PickleValue* {
    if (i < v.items.size()) return v.items[i].get();
    i -= v.items.size();
    if (i < 2 * v.entries.size())
      return i % 2 ? v.entries[i / 2].second.get() : v.entries[i / 2].first.get();
    return nullptr;
  };
  auto enter = [&](const PickleValue& v) -> std::string {
    switch (v.kind) {
      case Kind::kGlobal:
      case Kind::kObject:
      case Kind::kStorage:
      case Kind::kBytes:
        return str_cat(v.describe(), ", which is not what LibTorch makes of it");
      case Kind::kTensor:
        return check_tensor(v.tensor);
      case Kind::kDict:
        for (const auto& [k, value] : v.entries)
          if (k->kind != Kind::kString && k->kind != Kind::kInt)
            return str_cat("a dict key is ", k->describe(), " (only strings and ints are)");
        break;
      default:
        break;
    }
    return "";
  };
  std::string problem = enter(root);
  if (!problem.empty()) return problem;
  path.emplace_back(&root, 0);
  while (!path.empty()) {
    auto& [v, next] = path.back();
    const PickleValue* c = child(*v, next++);
    if (c == nullptr) {
      int d = 1;
      for (size_t i = 0; const PickleValue* k = child(*v, i); ++i) d = std::max(d, depth[k] + 1);
      if (d > kMaxDepth) return str_cat("values nest more than ", kMaxDepth, " deep");
      depth[v] = d;
      path.pop_back();
      continue;
    }
    if (depth.count(c)) continue;
    if (path.size() > kMaxDepth) return str_cat("values nest more than ", kMaxDepth, " deep");
    problem = enter(*c);
    if (!problem.empty()) return problem;
    path.emplace_back(c, 0);
  }
  return "";
}

}  // namespace

std::string check_pickle_claims(std::string_view pickle) {
  return walk_opcodes(pickle, Dialect::kAnyPickle);
}

std::string check_libtorch_pickle(std::string_view pickle, const PickleRecordSize& record_size) {
  std::string problem = walk_opcodes(pickle, Dialect::kAnyPickle);
  if (!problem.empty()) return problem;
  // The pickle run as Python's unpickler runs it, building values and calling nothing: what it
  // refuses (a pop past the stack or the mark, a GET of a memo entry never PUT, SETITEMS with a
  // key and no value, a list inside itself...) is what LibTorch would do unchecked.
  PickleRef root;
  PickleRequests requests;
  try {
    root = read_pickle(pickle, "pickle", &requests);
  } catch (const UsageError& e) {
    std::string what = e.what();
    if (str_starts_with(what, "pickle: ")) what.erase(0, 8);
    return what;
  }
  problem = walk_opcodes(pickle, Dialect::kLibTorch);
  if (!problem.empty()) return problem;
  problem = check_storages(requests.storages, record_size);
  if (!problem.empty()) return problem;
  for (const std::string& tag : requests.type_tags)
    if (!type_tag_allowed(tag))
      return str_cat("the type tag '", tag.substr(0, 80),
                     "' is not one of the container types a checkpoint holds");
  return check_values(*root);
}

namespace {

std::string walk_opcodes(std::string_view pickle, Dialect dialect) {
  uint64_t at = 0;
  uint64_t memo_size = 0;  // entries the memo table holds so far
  // A memo index is a size too: the unpickler grows its memo table to hold it. Python numbers
  // entries from 0 in order, so a PUT names at most the next one and a GET an existing one.
  auto check_memo = [&](const PickleOp& op, uint64_t index) -> std::string {
    const bool put = op.code == 'q' || op.code == 'r' || op.code == 'p';
    if (put ? index > memo_size : index >= memo_size)
      return str_cat("opcode ", pickle_opcode_name(op.code), " at byte ", op.start,
                     " names memo entry ", index, ", the pickle has ", memo_size, " so far");
    if (put && index == memo_size) ++memo_size;
    return "";
  };
  while (at < pickle.size()) {
    const PickleOp op = decode_pickle_op(pickle, &at);
    const std::string opcode =
        str_cat("opcode ", pickle_opcode_name(op.code), " at byte ", op.start);
    if (dialect == Dialect::kLibTorch) {
      if (op.start == 0 && (op.code != 0x80 || op.status != PickleOpStatus::kOk || op.value != 2))
        return "it does not start with PROTO 2 (LibTorch reads protocol 2 only)";
      if (op.start > 0 && !libtorch_reads(op.code))
        return str_cat(opcode, " is not one LibTorch 1.13 reads");
      if (op.code == 'b' || op.code == 0x81) return str_cat(opcode, kBuildOrNewobj);
    }
    switch (op.status) {
      case PickleOpStatus::kOk:
        break;
      case PickleOpStatus::kUnknown:
        return "";  // not ours to judge: the unpickler refuses what it does not know
      case PickleOpStatus::kPastEnd:
        return str_cat(opcode, " claims ", op.claimed, " bytes, ", op.remain, " remain");
      case PickleOpStatus::kNoNewline:
        return str_cat(opcode, " has no end of line before the end");
      case PickleOpStatus::kNegativeLength:
        return str_cat(opcode, " has a negative length");
    }
    std::string problem;
    switch (op.code) {
      case '.':  // STOP
        return "";
      case 0x94:  // MEMOIZE
        ++memo_size;
        break;
      case 'q':  // BINPUT, LONG_BINPUT, BINGET, LONG_BINGET
      case 'r':
      case 'h':
      case 'j':
        problem = check_memo(op, op.value);
        break;
      case 'p':  // PUT and GET: the index in decimal
      case 'g': {
        uint64_t index = 0;
        for (char c : op.arg) index = c >= '0' && c <= '9' ? index * 10 + (c - '0') : ~0ull;
        if (op.arg.empty() || op.arg.size() > 19) index = ~0ull;
        problem = check_memo(op, index);
        break;
      }
      case 'c':  // GLOBAL "module\nname"
        if (dialect == Dialect::kLibTorch) {
          const size_t split = op.arg.find('\n');
          const std::string_view module = op.arg.substr(0, split), name = op.arg.substr(split + 1);
          if (!global_allowed(module, name))
            problem = str_cat("opcode 'c' (GLOBAL) at byte ", op.start, " names ", module, ".",
                              name, ", which no checkpoint holds");
        }
        break;
      default:
        break;
    }
    if (!problem.empty()) return problem;
  }
  return "";  // no STOP: the unpickler reports the end itself
}

}  // namespace
}  // namespace imagenet
