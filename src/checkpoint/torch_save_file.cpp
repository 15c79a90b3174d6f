// Implements checkpoint/torch_save_file.h: the zip archive through LibTorch's
// PyTorchStreamReader, the pickle through pickle_reader.h, the tensors as strided views of each
// storage, copied out contiguous.
#include "imagenet/checkpoint/torch_save_file.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <map>
#include <memory>

#include "imagenet/checkpoint/pickle_reader.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"

namespace imagenet {
namespace {

using Kind = PickleValue::Kind;
using caffe2::serialize::PyTorchStreamReader;

struct TypeName {
  const char* storage;
  const char* dtype;  // _rebuild_tensor_v3's name
  at::ScalarType type;
};
constexpr TypeName kTypes[] = {
    {"FloatStorage", "float32", at::kFloat}, {"DoubleStorage", "float64", at::kDouble},
    {"HalfStorage", "float16", at::kHalf},   {"BFloat16Storage", "bfloat16", at::kBFloat16},
    {"LongStorage", "int64", at::kLong},     {"IntStorage", "int32", at::kInt},
    {"ShortStorage", "int16", at::kShort},   {"CharStorage", "int8", at::kChar},
    {"ByteStorage", "uint8", at::kByte},     {"BoolStorage", "bool", at::kBool},
};

bool type_of(const PickleTensor& t, at::ScalarType* type) {
  for (const auto& n : kTypes)
    if (t.dtype.empty() ? t.storage.type == n.storage : t.dtype == n.dtype) {
      *type = n.type;
      return true;
    }
  return false;
}

class StorageReader {
 public:
  StorageReader(PyTorchStreamReader& zip, const std::string& path) : zip_(zip), path_(path) {}

  // The tensor `t` (named `name` in the state dict), copied out of its storage.
  at::Tensor tensor(const std::string& name, const PickleTensor& t) {
    const std::string where = str_cat(path_, ": tensor '", name, "': ");
    at::ScalarType type;
    if (!type_of(t, &type))
      throw UsageError(where + "storage type " + t.storage.type +
                       (t.dtype.empty() ? "" : " of dtype " + t.dtype) + " is not supported");
    const int64_t element = static_cast<int64_t>(c10::elementSize(type));
    // The views must lie inside the storage (a hostile file could point anywhere).
    bool empty = false;
    __int128 last = t.offset;
    for (size_t i = 0; i < t.sizes.size(); ++i) {
      if (t.sizes[i] < 0 || t.strides[i] < 0) throw UsageError(where + "negative sizes or strides");
      if (t.sizes[i] == 0) empty = true;
      last += static_cast<__int128>(t.sizes[i] - 1) * t.strides[i];
    }
    if (t.offset < 0) throw UsageError(where + "a negative storage offset");
    const auto& [data, bytes] = storage(t.storage.key, where);
    const int64_t numel = static_cast<int64_t>(bytes / element);
    if (!empty && last >= numel)
      throw UsageError(str_cat(where, "its view reaches element ", static_cast<int64_t>(last),
                               " of a storage of ", numel));
    if (empty) return at::empty(t.sizes, at::TensorOptions().dtype(type));
    at::Tensor flat = at::from_blob(data.get(), {numel}, at::TensorOptions().dtype(type));
    return flat.as_strided(t.sizes, t.strides, t.offset).clone(at::MemoryFormat::Contiguous);
  }

 private:
  const std::pair<at::DataPtr, size_t>& storage(const std::string& key, const std::string& where) {
    auto it = storages_.find(key);
    if (it != storages_.end()) return it->second;
    const std::string record = "data/" + key;
    if (!zip_.hasRecord(record))
      throw UsageError(where + "the archive has no record " + record + " (damaged file)");
    try {
      auto [data, size] = zip_.getRecord(record);
      return storages_.emplace(key, std::make_pair(std::move(data), size)).first->second;
    } catch (const c10::Error& e) {
      throw UsageError(where + "cannot read " + record + ": " + e.what_without_backtrace());
    }
  }

  PyTorchStreamReader& zip_;
  const std::string& path_;
  std::map<std::string, std::pair<at::DataPtr, size_t>> storages_;
};

// A dict whose values are all tensors (the state dict), or nullptr.
const PickleValue* as_state_dict(const PickleValue* v) {
  if (v == nullptr || v->kind != Kind::kDict || v->entries.empty()) return nullptr;
  for (const auto& [key, value] : v->entries)
    if (key->kind != Kind::kString || value->kind != Kind::kTensor) return nullptr;
  return v;
}

}  // namespace

TorchSaveStateDict read_torch_save_state_dict(const std::string& path) {
  if (!path_exists(path)) throw UsageError(str_cat("weights file not found: ", path));
  if (is_directory(path)) throw UsageError(str_cat(path, " is a folder, not a weights file"));
  std::unique_ptr<PyTorchStreamReader> zip;
  std::string pickle;
  try {
    zip = std::make_unique<PyTorchStreamReader>(path);
    if (zip->hasRecord("byteorder")) {
      auto [data, size] = zip->getRecord("byteorder");
      if (std::string(static_cast<const char*>(data.get()), size) != "little")
        throw UsageError(str_cat(path, ": saved on a big-endian machine, which is not supported"));
    }
    if (!zip->hasRecord("data.pkl"))
      throw UsageError(str_cat(path, ": a zip archive without data.pkl (not a torch.save file)"));
    auto [data, size] = zip->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(data.get()), size);
  } catch (const c10::Error& e) {
    std::string head = read_file(path).substr(0, 64);
    if (is_legacy_torch_save(head))
      throw UsageError(str_cat(path,
                               ": written in torch.save's format of PyTorch before 1.6; "
                               "save it again with torch.save(torch.load(f), f2) in a newer "
                               "PyTorch"));
    throw UsageError(str_cat(path,
                             ": not a readable torch.save archive (truncated, or another "
                             "format): ",
                             e.what_without_backtrace()));
  }

  PickleRef root = read_pickle(pickle, path + " (data.pkl)");
  TorchSaveStateDict result;
  const PickleValue* dict = as_state_dict(root.get());
  if (dict == nullptr) {
    for (const char* key : {"state_dict", "model"}) {
      if (root->kind == Kind::kDict && (dict = as_state_dict(root->find(key))) != nullptr) {
        result.key = key;
        break;
      }
    }
  }
  if (dict == nullptr) {
    std::string keys;
    if (root->kind == Kind::kDict)
      for (const auto& [k, v] : root->entries)
        if (k->kind == Kind::kString && keys.size() < 200)
          keys += (keys.empty() ? "" : ", ") + k->text;
    throw UsageError(str_cat(path, ": holds ", root->describe(),
                             keys.empty() ? "" : " with the keys " + keys,
                             ", not a state dict (a dict of tensors, or one under \"state_dict\" "
                             "or \"model\"); save model.state_dict() in Python"));
  }
  if (root->kind == Kind::kDict)
    for (const auto& [k, v] : root->entries)
      if (k->kind == Kind::kString && v->kind == Kind::kString)
        result.strings.emplace_back(k->text, v->text);

  StorageReader storages(*zip, path);
  for (const auto& [key, value] : dict->entries)
    result.tensors.emplace_back(key->text, storages.tensor(key->text, value->tensor));
  return result;
}

}  // namespace imagenet
