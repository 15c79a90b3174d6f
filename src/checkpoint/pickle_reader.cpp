// Implements checkpoint/pickle_reader.h: a pickle machine (stack, marks, memo) over the opcodes
// that pickle_ops.h decodes, building values instead of calling anything.
#include "imagenet/checkpoint/pickle_reader.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_map>

#include "imagenet/checkpoint/pickle_ops.h"
#include "imagenet/util/error.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

using Kind = PickleValue::Kind;

PickleRef make(Kind kind) {
  return std::make_shared<PickleValue>(kind);
}

PickleRef make_int(int64_t v) {
  PickleRef r = make(Kind::kInt);
  r->integer = v;
  return r;
}

PickleRef make_text(Kind kind, std::string text) {
  PickleRef r = make(kind);
  r->text = std::move(text);
  return r;
}

class Machine {
 public:
  Machine(std::string_view bytes, const std::string& origin, PickleRequests* requests)
      : in_(bytes), origin_(origin), requests_(requests) {}

  PickleRef run() {
    PickleRef result;
    try {
      while (true) {
        op_at_ = at_;
        if (at_ >= in_.size()) fail("the pickle ends without STOP");
        const PickleOp op = decode_pickle_op(in_, &at_);
        check_argument(op);
        if (op.code == '.') {  // STOP
          result = pop();
          break;
        }
        step(op);
      }
      // A list appended to itself (through the memo) would never be freed, and whoever walks
      // the values would walk for ever: no file torch.save writes has one.
      if (holds_itself()) fail("a container that holds itself");
    } catch (const UsageError&) {
      release_containers();
      throw;
    }
    return result;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw UsageError(str_cat(origin_, ": ", what, " at byte ", op_at_,
                             " (not a pickle as torch.save writes it, or damaged)"));
  }

  // --- arguments (pickle_ops.h decodes them) ------------------------------------------------
  /// Fails on an argument the decoder found malformed, or an opcode it does not know.
  void check_argument(const PickleOp& op) const {
    switch (op.status) {
      case PickleOpStatus::kOk:
        return;
      case PickleOpStatus::kUnknown:
        unsupported(op.code);
      case PickleOpStatus::kPastEnd:
        // LONG1 and LONG4: the integer's width is what is wrong.
        if ((op.code == 0x8a || op.code == 0x8b) && op.value > 8) take_long(op.arg, op.value);
        fail(str_cat("a length of ", op.claimed, " runs past the end"));
      case PickleOpStatus::kNoNewline:
        fail("a text argument without its newline");
      case PickleOpStatus::kNegativeLength:
        if (op.code == 0x8b) take_long(op.arg, op.value);
        fail(str_cat("a length of ", op.value, " runs past the end"));
    }
  }
  [[noreturn]] void unsupported(unsigned char op) const {
    fail(str_printf("opcode 0x%02x ('%c') is not supported", op,
                    op >= 0x20 && op < 0x7f ? static_cast<char>(op) : '?'));
  }
  int64_t parse_decimal(std::string_view s) const {
    if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
    if (s.empty()) fail("an empty number");
    bool negative = s[0] == '-';
    if (negative || s[0] == '+') s.remove_prefix(1);
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) fail("a malformed or too large integer");
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0))
      fail("an integer beyond 64 bits");
    return negative ? static_cast<int64_t>(~v + 1) : static_cast<int64_t>(v);
  }
  // A little-endian two's-complement integer of the `n` bytes `bytes` holds (LONG1, LONG4).
  int64_t take_long(std::string_view bytes, uint64_t n) const {
    if (n > 8) fail(str_cat("an integer of ", n, " bytes (more than 64 bits)"));
    if (n == 0) return 0;
    uint64_t v = 0;
    for (uint64_t i = 0; i < n; ++i) v |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
    if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
    return static_cast<int64_t>(v);
  }

  // --- the stack -----------------------------------------------------------------------------
  void push(PickleRef v) {
    // Every value made passes here: containers are remembered (weakly) for holds_itself().
    if (v->kind == Kind::kTuple || v->kind == Kind::kList || v->kind == Kind::kDict ||
        v->kind == Kind::kObject)
      containers_.push_back(v);
    stack_.push_back(std::move(v));
  }
  PickleRef pop() {
    if (stack_.size() <= floor()) fail("an opcode needs a value the stack does not have");
    PickleRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PickleRef& top() {
    if (stack_.size() <= floor()) fail("an opcode needs a value the stack does not have");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // The values above the last mark, which is removed.
  std::vector<PickleRef> pop_mark() {
    if (marks_.empty()) fail("an opcode needs a MARK that is not there");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleRef> values(std::make_move_iterator(stack_.begin() + mark),
                                  std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return values;
  }
  PickleRef tuple(std::vector<PickleRef> items) {
    PickleRef t = make(Kind::kTuple);
    t->items = std::move(items);
    return t;
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(str_cat("memo entry ", index, " is read before it is written"));
    push(it->second);
  }

  // The list or dict an APPEND or SETITEM fills; an object stands for a subclass of either
  // (Lightning's AttributeDict) and keeps the items or entries itself.
  PickleValue& container(Kind kind, const char* op) {
    PickleRef& c = top();
    if (c->kind != kind && c->kind != Kind::kObject) fail(str_cat(op, " on ", c->describe()));
    return *c;
  }
  void set_items(PickleValue& dict, std::vector<PickleRef>& kv) {
    if (kv.size() % 2 != 0) fail("SETITEMS with an odd number of values");
    for (size_t i = 0; i < kv.size(); i += 2) dict.entries.emplace_back(kv[i], kv[i + 1]);
  }

  // --- calls: a few torch functions are understood, everything else stays an object ---------
  static bool is_int_tuple(const PickleValue& v) {
    if (v.kind != Kind::kTuple && v.kind != Kind::kList) return false;
    for (const auto& i : v.items)
      if (i->kind != Kind::kInt) return false;
    return true;
  }
  std::vector<int64_t> ints(const PickleValue& v) {
    std::vector<int64_t> out;
    for (const auto& i : v.items) out.push_back(i->integer);
    return out;
  }

  PickleRef rebuild_tensor(const std::string& fn, const std::vector<PickleRef>& a) {
    if (a.size() < 4 || a[0]->kind != Kind::kStorage || a[1]->kind != Kind::kInt ||
        !is_int_tuple(*a[2]) || !is_int_tuple(*a[3]) || a[2]->items.size() != a[3]->items.size())
      fail(str_cat(fn, " with arguments that are not (storage, offset, sizes, strides, ...)"));
    PickleRef t = make(Kind::kTensor);
    t->tensor.storage = a[0]->storage;
    t->tensor.offset = a[1]->integer;
    t->tensor.sizes = ints(*a[2]);
    t->tensor.strides = ints(*a[3]);
    if (fn == "torch._utils._rebuild_tensor_v3") {
      if (a.size() < 7 || a[6]->kind != Kind::kGlobal || !str_starts_with(a[6]->text, "torch."))
        fail("torch._utils._rebuild_tensor_v3 without a torch dtype");
      t->tensor.dtype = a[6]->text.substr(6);
    }
    return t;
  }

  PickleRef call(const PickleRef& callable, const PickleRef& args) {
    if (args->kind != Kind::kTuple)
      fail(str_cat("a call with ", args->describe(), " as arguments"));
    const std::vector<PickleRef>& a = args->items;
    const std::string name = callable->kind == Kind::kGlobal ? callable->text : "";
    if (name == "collections.OrderedDict" || name == "builtins.dict" ||
        name == "__builtin__.dict") {
      PickleRef d = make(Kind::kDict);
      if (!a.empty()) {
        if (a[0]->kind != Kind::kList && a[0]->kind != Kind::kTuple)
          fail(str_cat(name, " of ", a[0]->describe()));
        for (const auto& pair : a[0]->items) {
          if (pair->kind != Kind::kTuple || pair->items.size() != 2)
            fail(str_cat(name, " of something that is not (key, value) pairs"));
          d->entries.emplace_back(pair->items[0], pair->items[1]);
        }
      }
      return d;
    }
    // LibTorch's pickler (torch::pickle_save) tags typed containers with their type, and writes
    // lists of ints, floats, bools and tensors through builders: the value is the argument.
    if (name == "torch.jit._pickle.restore_type_tag" && requests_ != nullptr && a.size() >= 2 &&
        a[1]->kind == Kind::kString)
      requests_->type_tags.push_back(a[1]->text);
    if ((name == "torch.jit._pickle.restore_type_tag" ||
         str_starts_with(name, "torch.jit._pickle.build_")) &&
        !a.empty())
      return a[0];
    // Bytes in protocols 0-2: _codecs.encode(text, "latin1").
    if (name == "_codecs.encode" && a.size() == 2 && a[0]->kind == Kind::kString &&
        a[1]->kind == Kind::kString && a[1]->text == "latin1")
      return make_text(Kind::kBytes, latin1_bytes(a[0]->text));
    // Objects in protocols 0-1: copyreg._reconstructor(cls, base, state of the base).
    if ((name == "copyreg._reconstructor" || name == "copy_reg._reconstructor") && a.size() == 3 &&
        a[0]->kind == Kind::kGlobal) {
      PickleRef object = make_text(Kind::kObject, a[0]->text);
      if (a[2]->kind == Kind::kDict) object->entries = a[2]->entries;
      return object;
    }
    if (name == "torch._utils._rebuild_tensor" || name == "torch._utils._rebuild_tensor_v2" ||
        name == "torch._utils._rebuild_tensor_v3")
      return rebuild_tensor(name, a);
    // nn.Parameter: its data is the tensor.
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != Kind::kTensor) fail(name + " of something not a tensor");
      return a[0];
    }
    // A tensor subclass: the function that rebuilds the plain tensor, and its arguments.
    if (name == "torch._tensor._rebuild_from_type_v2" && a.size() >= 3) return call(a[0], a[2]);
    PickleRef object = make(Kind::kObject);
    object->text = name.empty() ? "(" + callable->describe() + ")" : name;
    object->items = a;
    return object;
  }

  // UTF-8 text whose code points are all below 256, as the bytes they stand for.
  std::string latin1_bytes(const std::string& utf8) {
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(utf8[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c & 0xE0) == 0xC0 && c <= 0xC3 && i + 1 < utf8.size()) {
        out.push_back(static_cast<char>(((c & 0x03) << 6) | (utf8[++i] & 0x3F)));
      } else {
        fail("_codecs.encode of text that is not Latin-1");
      }
    }
    return out;
  }

  // Protocol 0's UNICODE argument (raw-unicode-escape: Latin-1 bytes, \uXXXX and \UXXXXXXXX)
  // as UTF-8.
  std::string raw_unicode_to_utf8(std::string_view raw) {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      uint32_t cp = static_cast<unsigned char>(raw[i]);
      if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == 'u' || raw[i + 1] == 'U')) {
        const size_t digits = raw[i + 1] == 'u' ? 4 : 8;
        if (i + 2 + digits > raw.size()) fail("a truncated \\u escape");
        cp = 0;
        for (size_t k = 0; k < digits; ++k) {
          const char h = raw[i + 2 + k];
          const int d = h >= '0' && h <= '9'   ? h - '0'
                        : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                               : -1;
          if (d < 0) fail("a malformed \\u escape");
          cp = cp * 16 + static_cast<uint32_t>(d);
        }
        if (cp > 0x10FFFF) fail("a code point beyond Unicode");
        i += 1 + digits;
      }
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    }
    return out;
  }

  PickleRef persistent_load(const PickleRef& pid) {
    const auto& a = pid->items;
    // The type is a global torch.<Type>Storage: LibTorch's unpickler takes its value for a dtype.
    if (pid->kind != Kind::kTuple || a.size() < 5 || a[0]->kind != Kind::kString ||
        a[0]->text != "storage" || a[1]->kind != Kind::kGlobal ||
        !str_starts_with(a[1]->text, "torch.") || !str_ends_with(a[1]->text, "Storage") ||
        (a[2]->kind != Kind::kString && a[2]->kind != Kind::kInt) || a[3]->kind != Kind::kString ||
        a[4]->kind != Kind::kInt || a[4]->integer < 0)
      fail("a persistent id that is not torch.save's ('storage', type, key, location, numel)");
    PickleRef s = make(Kind::kStorage);
    const std::string& type = a[1]->text;
    s->storage.type = type.substr(type.rfind('.') + 1);
    s->storage.key = a[2]->kind == Kind::kString ? a[2]->text : std::to_string(a[2]->integer);
    s->storage.location = a[3]->text;
    s->storage.numel = a[4]->integer;
    if (requests_ != nullptr) requests_->storages.push_back(s->storage);
    return s;
  }

  // --- containers that hold themselves ------------------------------------------------------
  static void for_each_child(const PickleValue& v, const std::function<void(PickleValue*)>& f) {
    for (const auto& i : v.items) f(i.get());
    for (const auto& [k, value] : v.entries) {
      f(k.get());
      f(value.get());
    }
    if (v.state) f(v.state.get());
  }
  /// True when some container still alive reaches itself (depth-first, each node once).
  bool holds_itself() const {
    enum : char { kOnPath = 1, kDone = 2 };
    std::unordered_map<const PickleValue*, char> color;
    for (const auto& weak : containers_) {
      const PickleRef start = weak.lock();
      if (!start || color.count(start.get())) continue;
      // (node, its children) on the current path
      std::vector<std::pair<const PickleValue*, std::vector<PickleValue*>>> path;
      auto enter = [&](const PickleValue* v) {
        color[v] = kOnPath;
        std::vector<PickleValue*> children;
        for_each_child(*v, [&](PickleValue* c) { children.push_back(c); });
        path.emplace_back(v, std::move(children));
      };
      enter(start.get());
      while (!path.empty()) {
        auto& children = path.back().second;
        if (children.empty()) {
          color[path.back().first] = kDone;
          path.pop_back();
          continue;
        }
        const PickleValue* c = children.back();
        children.pop_back();
        const auto seen = color.find(c);
        if (seen == color.end()) {
          enter(c);
        } else if (seen->second == kOnPath) {
          return true;
        }
      }
    }
    return false;
  }
  /// Empties every container made, so that none is kept alive by a cycle once the values go.
  void release_containers() {
    for (const auto& weak : containers_) {
      if (const PickleRef v = weak.lock()) {
        v->items.clear();
        v->entries.clear();
        v->state.reset();
      }
    }
  }

  void step(const PickleOp& op);

  std::string_view in_;
  const std::string& origin_;
  PickleRequests* requests_;
  size_t at_ = 0;
  size_t op_at_ = 0;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleRef> memo_;
  std::vector<std::weak_ptr<PickleValue>> containers_;  ///< every container pushed
};

void Machine::step(const PickleOp& op) {
  switch (op.code) {
    case 0x80:
      break;  // PROTO
    case 0x95:
      break;  // FRAME: a length hint only
    case '(':
      marks_.push_back(stack_.size());
      break;  // MARK
    case '0':
      pop();
      break;  // POP
    case '1':
      pop_mark();
      break;  // POP_MARK
    case '2':
      push(top());
      break;  // DUP
    case 'N':
      push(make(Kind::kNone));
      break;
    case 0x88:
    case 0x89: {  // NEWTRUE, NEWFALSE
      PickleRef b = make(Kind::kBool);
      b->boolean = op.code == 0x88;
      push(b);
      break;
    }
    case 'J':
      push(make_int(static_cast<int32_t>(op.value)));
      break;  // BININT
    case 'K':
    case 'M':
      push(make_int(static_cast<int64_t>(op.value)));
      break;  // BININT1, BININT2
    case 0x8a:
    case 0x8b:
      push(make_int(take_long(op.arg, op.value)));
      break;     // LONG1, LONG4
    case 'I': {  // INT: "01"/"00" are True/False in protocol 0
      std::string_view line = op.arg;
      if (line == "01" || line == "00") {
        PickleRef b = make(Kind::kBool);
        b->boolean = line == "01";
        push(b);
      } else {
        push(make_int(parse_decimal(line)));
      }
      break;
    }
    case 'L':
      push(make_int(parse_decimal(op.arg)));
      break;     // LONG
    case 'G': {  // BINFLOAT: big-endian
      uint64_t bits = 0;
      for (char c : op.arg) bits = (bits << 8) | static_cast<unsigned char>(c);
      PickleRef f = make(Kind::kFloat);
      std::memcpy(&f->number, &bits, 8);
      push(f);
      break;
    }
    case 'F': {  // FLOAT: repr() text
      const std::string line(op.arg);
      char* end = nullptr;
      PickleRef f = make(Kind::kFloat);
      f->number = std::strtod(line.c_str(), &end);
      if (line.empty() || end != line.c_str() + line.size()) fail("a malformed FLOAT");
      push(f);
      break;
    }
    case 'V':
      push(make_text(Kind::kString, raw_unicode_to_utf8(op.arg)));
      break;
    case 'X':  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, BINSTRING, SHORT_BINSTRING
    case 0x8c:
    case 0x8d:
    case 'T':
    case 'U':
      push(make_text(Kind::kString, std::string(op.arg)));
      break;
    case 'B':  // BINBYTES, SHORT_BINBYTES, BINBYTES8
    case 'C':
    case 0x8e:
      push(make_text(Kind::kBytes, std::string(op.arg)));
      break;
    case ')':
      push(make(Kind::kTuple));
      break;
    case 't':
      push(tuple(pop_mark()));
      break;
    case 0x85:
    case 0x86:
    case 0x87: {  // TUPLE1..3
      std::vector<PickleRef> items(op.code - 0x84);
      for (size_t i = items.size(); i-- > 0;) items[i] = pop();
      push(tuple(std::move(items)));
      break;
    }
    case ']':
      push(make(Kind::kList));
      break;
    case 'l': {
      PickleRef list = make(Kind::kList);
      list->items = pop_mark();
      push(list);
      break;
    }
    case 'a': {  // APPEND
      PickleRef v = pop();
      container(Kind::kList, "APPEND").items.push_back(v);
      break;
    }
    case 'e': {  // APPENDS
      std::vector<PickleRef> values = pop_mark();
      PickleValue& list = container(Kind::kList, "APPENDS");
      list.items.insert(list.items.end(), values.begin(), values.end());
      break;
    }
    case 0x8f:
      push(make(Kind::kList));
      break;      // EMPTY_SET: a list will do
    case 0x90: {  // ADDITEMS
      std::vector<PickleRef> values = pop_mark();
      PickleValue& set = container(Kind::kList, "ADDITEMS");
      set.items.insert(set.items.end(), values.begin(), values.end());
      break;
    }
    case 0x91: {  // FROZENSET
      PickleRef set = make(Kind::kList);
      set->items = pop_mark();
      push(set);
      break;
    }
    case '}':
      push(make(Kind::kDict));
      break;
    case 'd': {
      std::vector<PickleRef> kv = pop_mark();
      PickleRef dict = make(Kind::kDict);
      set_items(*dict, kv);
      push(dict);
      break;
    }
    case 's': {  // SETITEM
      PickleRef value = pop();
      PickleRef key = pop();
      container(Kind::kDict, "SETITEM").entries.emplace_back(key, value);
      break;
    }
    case 'u': {  // SETITEMS
      std::vector<PickleRef> kv = pop_mark();
      set_items(container(Kind::kDict, "SETITEMS"), kv);
      break;
    }
    case 'c': {  // GLOBAL "module\nname\n"
      const size_t split = op.arg.find('\n');
      push(make_text(Kind::kGlobal,
                     str_cat(op.arg.substr(0, split), ".", op.arg.substr(split + 1))));
      break;
    }
    case 0x93: {  // STACK_GLOBAL
      PickleRef name = pop();
      PickleRef module = pop();
      if (module->kind != Kind::kString || name->kind != Kind::kString)
        fail("STACK_GLOBAL of values that are not strings");
      push(make_text(Kind::kGlobal, module->text + "." + name->text));
      break;
    }
    case 'R': {  // REDUCE
      PickleRef args = pop();
      PickleRef callable = pop();
      push(call(callable, args));
      break;
    }
    case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
      PickleRef args = pop();
      PickleRef cls = pop();
      push(call(cls, args));
      break;
    }
    case 0x92: {  // NEWOBJ_EX
      pop();      // kwargs
      PickleRef args = pop();
      PickleRef cls = pop();
      push(call(cls, args));
      break;
    }
    case 'b': {  // BUILD: state for the object below it
      PickleRef state = pop();
      PickleRef& object = top();
      // An OrderedDict's state is its attributes (a state_dict's _metadata): not needed.
      if (object->kind == Kind::kObject) object->state = state;
      break;
    }
    case 'Q':
      push(persistent_load(pop()));
      break;  // BINPERSID
    case 'q':
    case 'r':
      memo_put(op.value);
      break;  // BINPUT, LONG_BINPUT
    case 'p':
      memo_put(static_cast<uint64_t>(parse_decimal(op.arg)));
      break;  // PUT
    case 0x94:
      memo_put(memo_.size());
      break;  // MEMOIZE
    case 'h':
    case 'j':
      memo_get(op.value);
      break;  // BINGET, LONG_BINGET
    case 'g':
      memo_get(static_cast<uint64_t>(parse_decimal(op.arg)));
      break;  // GET
    default:
      unsupported(op.code);
  }
}

void release_children(PickleValue& v, std::vector<PickleRef>* pending) {
  for (auto& i : v.items) pending->push_back(std::move(i));
  for (auto& [k, value] : v.entries) {
    pending->push_back(std::move(k));
    pending->push_back(std::move(value));
  }
  if (v.state) pending->push_back(std::move(v.state));
  v.items.clear();
  v.entries.clear();
}

}  // namespace

PickleValue::~PickleValue() {
  if (items.empty() && entries.empty() && !state) return;
  std::vector<PickleRef> pending;
  release_children(*this, &pending);
  while (!pending.empty()) {
    PickleRef v = std::move(pending.back());
    pending.pop_back();
    // The last owner takes the children out first, so `v` dies with none left to recurse into.
    if (v && v.use_count() == 1) release_children(*v, &pending);
  }
}

const PickleValue* PickleValue::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k->kind == Kind::kString && k->text == key) return v.get();
  return nullptr;
}

std::string PickleValue::describe() const {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "a bool";
    case Kind::kInt:
      return "an int";
    case Kind::kFloat:
      return "a float";
    case Kind::kString:
      return "a string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "a tuple";
    case Kind::kList:
      return "a list";
    case Kind::kDict:
      return "a dict";
    case Kind::kGlobal:
      return "the global " + text;
    case Kind::kObject:
      return "a " + text + " object";
    case Kind::kStorage:
      return "a storage";
    case Kind::kTensor:
      return "a tensor";
  }
  return "?";
}

PickleRef read_pickle(std::string_view bytes, const std::string& origin, PickleRequests* requests) {
  return Machine(bytes, origin, requests).run();
}

bool is_legacy_torch_save(std::string_view bytes) {
  // PROTO 2, LONG1 of 10 bytes: torch.serialization's MAGIC_NUMBER 0x1950a86a20f9469cfc6c.
  static const char kMagic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
  return bytes.size() >= 14 && std::memcmp(bytes.data(), kMagic, 14) == 0;
}

}  // namespace imagenet
