// Python pickles as torch.save writes them, read into a tree of values without Python or
// LibTorch. LibTorch's own unpickler turns the collections.OrderedDict that
// torch.save(model.state_dict()) writes into None, so state dicts saved the usual way in Python
// need this reader. Tensors stay references into the archive's storages (the caller reads the
// bytes); globals that are not tensors, dicts or containers become opaque objects, so a whole
// Lightning checkpoint parses and its "state_dict" can be taken out. Nothing is executed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imagenet {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

/// The persistent id torch.save writes for a storage:
/// ('storage', torch.<Type>Storage, key, location, numel).
struct PickleStorage {
  std::string type;  ///< "FloatStorage", "HalfStorage", "LongStorage", ...
  std::string key;   ///< the archive record data/<key> holds its bytes
  std::string location;
  int64_t numel = 0;  ///< elements of `type`
};

/// A tensor as torch._utils._rebuild_tensor_v2 rebuilds it: a strided view of a storage.
struct PickleTensor {
  PickleStorage storage;
  int64_t offset = 0;  ///< in elements
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;  ///< in elements
  std::string dtype;  ///< _rebuild_tensor_v3's dtype ("float32"); "" means the storage's type
};

struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,   ///< a class or function named by `text` ("collections.OrderedDict")
    kObject,   ///< what calling the global `text` on `items` made (not evaluated)
    kStorage,  ///< a persistent storage reference
    kTensor,
  };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0.0;
  std::string text;              ///< kString, kBytes; kGlobal, kObject: "module.name"
  std::vector<PickleRef> items;  ///< kTuple, kList (sets too); kObject: its arguments, appends
  std::vector<std::pair<PickleRef, PickleRef>> entries;  ///< kDict (kObject: a dict subclass)
  PickleRef state;        ///< kObject: what BUILD gave it (its __dict__ or __setstate__)
  PickleStorage storage;  ///< kStorage
  PickleTensor tensor;    ///< kTensor

  PickleValue() = default;
  explicit PickleValue(Kind k) : kind(k) {}
  /// Frees nested values without recursion, so a deeply nested hostile pickle cannot overflow
  /// the stack.
  ~PickleValue();

  /// The value of a dict entry whose key is the string `key`, or nullptr.
  const PickleValue* find(std::string_view key) const;
  /// "a dict", "an int", "a tensor", "a collections.Counter object": for error messages.
  std::string describe() const;
};

/// What a pickle asks of an unpickler besides its value, those parts the value does not hold
/// included, in the order read.
struct PickleRequests {
  std::vector<PickleStorage> storages;  ///< every persistent id's storage
  std::vector<std::string> type_tags;   ///< every torch.jit._pickle.restore_type_tag's type
};

/// Parses a pickle (protocols 0-5 as far as torch.save and Lightning use them). Throws
/// UsageError "<origin>: <what is wrong> at byte N" for malformed or unsupported input. With
/// `requests`, also lists what the pickle asks for (pickle_check.h checks those).
PickleRef read_pickle(std::string_view bytes, const std::string& origin,
                      PickleRequests* requests = nullptr);

/// True when `bytes` start like torch.save's pre-1.6 format (a pickled magic number), which
/// read_pickle does not take apart.
bool is_legacy_torch_save(std::string_view bytes);

}  // namespace imagenet
