#include "seg/torch_pickle.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstring>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "core/file_util.h"

namespace amdrn::seg {

PyValuePtr PyValue::Get(const std::string& key) const {
  if (kind != Kind::kDict) return nullptr;
  for (const auto& [k, v] : dict) {
    if (k && k->kind == Kind::kString && k->text == key) return v;
  }
  return nullptr;
}

namespace {

// Thrown inside the machine, turned into DataLoss at the boundary.
struct PickleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

PyValuePtr Make(PyValue::Kind kind) {
  auto v = std::make_shared<PyValue>();
  v->kind = kind;
  return v;
}

PyValuePtr MakeInt(int64_t i) {
  auto v = Make(PyValue::Kind::kInt);
  v->int_value = i;
  return v;
}

PyValuePtr MakeText(PyValue::Kind kind, std::string s) {
  auto v = Make(kind);
  v->text = std::move(s);
  return v;
}

// Storage class name ("FloatStorage") to dtype.
at::ScalarType StorageDtype(const std::string& name) {
  static const std::map<std::string, at::ScalarType> kTypes = {
      {"FloatStorage", at::kFloat},   {"DoubleStorage", at::kDouble},
      {"HalfStorage", at::kHalf},     {"BFloat16Storage", at::kBFloat16},
      {"LongStorage", at::kLong},     {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort},   {"CharStorage", at::kChar},
      {"ByteStorage", at::kByte},     {"BoolStorage", at::kBool}};
  size_t dot = name.rfind('.');
  auto it = kTypes.find(dot == std::string::npos ? name : name.substr(dot + 1));
  if (it == kTypes.end()) throw PickleError("unsupported tensor storage type " + name);
  return it->second;
}

std::vector<int64_t> IntTuple(const PyValuePtr& v) {
  if (!v || (v->kind != PyValue::Kind::kTuple && v->kind != PyValue::Kind::kList)) {
    throw PickleError("expected a tuple of integers in a tensor description");
  }
  std::vector<int64_t> out;
  for (const auto& item : v->items) {
    if (item->kind != PyValue::Kind::kInt) throw PickleError("expected an integer tensor size");
    out.push_back(item->int_value);
  }
  return out;
}

class Unpickler {
 public:
  Unpickler(const char* data, size_t size, caffe2::serialize::PyTorchStreamReader* archive)
      : data_(data), size_(size), archive_(archive) {}

  PyValuePtr Run();

 private:
  uint8_t U8() { Need(1); return static_cast<uint8_t>(data_[pos_++]); }
  uint64_t ULe(int n) {
    Need(n);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }
  std::string Bytes(size_t n) {
    Need(n);
    std::string s(data_ + pos_, n);
    pos_ += n;
    return s;
  }
  std::string Line() {
    size_t end = pos_;
    while (end < size_ && data_[end] != '\n') ++end;
    if (end >= size_) throw PickleError("truncated pickle (unterminated GLOBAL)");
    std::string s(data_ + pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  void Need(size_t n) const {
    if (pos_ + n > size_) throw PickleError("truncated pickle");
  }
  PyValuePtr Pop() {
    if (stack_.empty()) throw PickleError("pickle stack underflow");
    PyValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyValuePtr& Top() {
    if (stack_.empty()) throw PickleError("pickle stack underflow");
    return stack_.back();
  }
  std::vector<PyValuePtr> PopToMark() {
    if (marks_.empty()) throw PickleError("pickle MARK missing");
    size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PyValuePtr> items(stack_.begin() + mark, stack_.end());
    stack_.resize(mark);
    return items;
  }
  void Step(uint8_t op);
  void SetItems(std::vector<PyValuePtr> items);
  void AppendItems(std::vector<PyValuePtr> items);
  PyValuePtr Reduce(const PyValuePtr& callable, const PyValuePtr& args);
  PyValuePtr PersistentLoad(const PyValuePtr& pid);
  PyValuePtr NumpyScalar(const PyValuePtr& args);

  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  caffe2::serialize::PyTorchStreamReader* archive_;
  std::vector<PyValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PyValuePtr> memo_;
  std::map<std::string, at::Tensor> storages_;
  bool stopped_ = false;
};

PyValuePtr Unpickler::Run() {
  while (!stopped_) Step(U8());
  if (stack_.size() != 1) throw PickleError("pickle ended with a malformed stack");
  return stack_.back();
}

void Unpickler::Step(uint8_t op) {
  using K = PyValue::Kind;
  switch (op) {
    case 0x80: U8(); break;                        // PROTO
    case 0x95: ULe(8); break;                      // FRAME
    case '.': stopped_ = true; break;              // STOP
    case '(': marks_.push_back(stack_.size()); break;
    case '}': stack_.push_back(Make(K::kDict)); break;
    case ']': stack_.push_back(Make(K::kList)); break;
    case ')': stack_.push_back(Make(K::kTuple)); break;
    case 'N': stack_.push_back(Make(K::kNone)); break;
    case 0x88: case 0x89: {
      auto v = Make(K::kBool);
      v->bool_value = op == 0x88;
      stack_.push_back(v);
      break;
    }
    case 'J': stack_.push_back(MakeInt(static_cast<int32_t>(ULe(4)))); break;
    case 'K': stack_.push_back(MakeInt(U8())); break;
    case 'M': stack_.push_back(MakeInt(static_cast<int64_t>(ULe(2)))); break;
    case 0x8a: {                                   // LONG1
      int n = U8();
      if (n > 8) throw PickleError("integer wider than 64 bits in pickle");
      uint64_t v = n ? ULe(n) : 0;
      if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
      stack_.push_back(MakeInt(static_cast<int64_t>(v)));
      break;
    }
    case 'G': {                                    // BINFLOAT, big-endian
      Need(8);
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(data_[pos_ + i]);
      pos_ += 8;
      auto v = Make(K::kFloat);
      std::memcpy(&v->float_value, &bits, 8);
      stack_.push_back(v);
      break;
    }
    case 'X': stack_.push_back(MakeText(K::kString, Bytes(ULe(4)))); break;
    case 0x8c: stack_.push_back(MakeText(K::kString, Bytes(U8()))); break;
    case 'T': case 'B': stack_.push_back(MakeText(K::kBytes, Bytes(ULe(4)))); break;
    case 'U': case 'C': stack_.push_back(MakeText(K::kBytes, Bytes(U8()))); break;
    case 'c': {                                    // GLOBAL
      std::string module = Line();
      stack_.push_back(MakeText(K::kGlobal, module + "." + Line()));
      break;
    }
    case 'q': memo_[U8()] = Top(); break;
    case 'r': memo_[ULe(4)] = Top(); break;
    case 0x94: memo_[memo_.size()] = Top(); break;  // MEMOIZE
    case 'h': case 'j': {
      uint64_t key = op == 'h' ? U8() : ULe(4);
      auto it = memo_.find(key);
      if (it == memo_.end()) throw PickleError("pickle refers to a missing memo entry");
      stack_.push_back(it->second);
      break;
    }
    case '0': Pop(); break;
    case '1': PopToMark(); break;
    case 't': {
      auto v = Make(K::kTuple);
      v->items = PopToMark();
      stack_.push_back(v);
      break;
    }
    case 0x85: case 0x86: case 0x87: {
      auto v = Make(K::kTuple);
      v->items.resize(op - 0x84);
      for (int i = op - 0x85; i >= 0; --i) v->items[i] = Pop();
      stack_.push_back(v);
      break;
    }
    case 's': {
      PyValuePtr value = Pop();
      PyValuePtr key = Pop();
      SetItems({key, value});
      break;
    }
    case 'u': SetItems(PopToMark()); break;
    case 'a': AppendItems({Pop()}); break;
    case 'e': AppendItems(PopToMark()); break;
    case 'Q': stack_.push_back(PersistentLoad(Pop())); break;
    case 'R': {
      PyValuePtr args = Pop();
      PyValuePtr callable = Pop();
      stack_.push_back(Reduce(callable, args));
      break;
    }
    case 0x81: {                                   // NEWOBJ
      PyValuePtr args = Pop();
      PyValuePtr cls = Pop();
      auto v = MakeText(K::kObject, cls->text);
      v->items = args->items;
      stack_.push_back(v);
      break;
    }
    case 'b': {                                    // BUILD: keep object state, ignore dict attributes
      PyValuePtr state = Pop();
      if (Top()->kind == K::kObject) Top()->state = state;
      break;
    }
    default: {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02x", op);
      throw PickleError(std::string("unsupported pickle opcode ") + hex);
    }
  }
}

void Unpickler::SetItems(std::vector<PyValuePtr> items) {
  PyValuePtr& dict = Top();
  if (dict->kind != PyValue::Kind::kDict) throw PickleError("pickle SETITEM target is not a dict");
  if (items.size() % 2) throw PickleError("pickle SETITEMS with an odd item count");
  for (size_t i = 0; i < items.size(); i += 2) dict->dict.emplace_back(items[i], items[i + 1]);
}

void Unpickler::AppendItems(std::vector<PyValuePtr> items) {
  PyValuePtr& list = Top();
  if (list->kind != PyValue::Kind::kList) throw PickleError("pickle APPEND target is not a list");
  for (auto& item : items) list->items.push_back(item);
}

PyValuePtr Unpickler::PersistentLoad(const PyValuePtr& pid) {
  if (pid->kind != PyValue::Kind::kTuple || pid->items.size() < 5 ||
      pid->items[0]->text != "storage") {
    throw PickleError("unsupported persistent id in pickle (expected a tensor storage)");
  }
  const std::string& key = pid->items[2]->text;
  at::ScalarType dtype = StorageDtype(pid->items[1]->text);
  int64_t numel = pid->items[4]->int_value;
  auto it = storages_.find(key);
  if (it == storages_.end()) {
    // The storage location (e.g. "cuda:0") is ignored: everything loads on the CPU.
    auto [ptr, bytes] = archive_->getRecord("data/" + key);
    at::Tensor flat = at::empty({numel}, at::TensorOptions().dtype(dtype));
    if (bytes != static_cast<size_t>(numel) * flat.element_size()) {
      throw PickleError("tensor storage " + key + " has " + std::to_string(bytes) +
                        " bytes, expected " + std::to_string(numel * flat.element_size()));
    }
    std::memcpy(flat.data_ptr(), ptr.get(), bytes);
    it = storages_.emplace(key, flat).first;
  }
  auto v = Make(PyValue::Kind::kTensor);
  v->tensor = it->second;
  v->text = "storage";
  return v;
}

PyValuePtr Unpickler::NumpyScalar(const PyValuePtr& args) {
  // numpy.core.multiarray.scalar(dtype, bytes): decode the common numeric dtypes.
  if (args->items.size() == 2 && args->items[0]->kind == PyValue::Kind::kObject &&
      !args->items[0]->items.empty() && args->items[1]->kind == PyValue::Kind::kBytes) {
    const std::string& code = args->items[0]->items[0]->text;
    const std::string& raw = args->items[1]->text;
    if (code == "f8" && raw.size() == 8) {
      auto v = Make(PyValue::Kind::kFloat);
      std::memcpy(&v->float_value, raw.data(), 8);
      return v;
    }
    if (code == "f4" && raw.size() == 4) {
      float f;
      std::memcpy(&f, raw.data(), 4);
      auto v = Make(PyValue::Kind::kFloat);
      v->float_value = f;
      return v;
    }
    if ((code == "i8" || code == "i4") && raw.size() == (code == "i8" ? 8u : 4u)) {
      int64_t i = 0;
      if (code == "i8") std::memcpy(&i, raw.data(), 8);
      else { int32_t j; std::memcpy(&j, raw.data(), 4); i = j; }
      return MakeInt(i);
    }
  }
  auto v = MakeText(PyValue::Kind::kObject, "numpy.core.multiarray.scalar");
  v->items = args->items;
  return v;
}

PyValuePtr Unpickler::Reduce(const PyValuePtr& callable, const PyValuePtr& args) {
  const std::string& name = callable->text;
  const auto& a = args->items;
  if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
    if (a.size() < 4 || a[0]->kind != PyValue::Kind::kTensor) {
      throw PickleError("malformed tensor in pickle");
    }
    auto v = Make(PyValue::Kind::kTensor);
    v->tensor = a[0]->tensor.as_strided(IntTuple(a[2]), IntTuple(a[3]), a[1]->int_value);
    return v;
  }
  if (name == "torch._utils._rebuild_parameter" ||
      name == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || a[0]->kind != PyValue::Kind::kTensor) throw PickleError("malformed parameter");
    return a[0];
  }
  if (name == "collections.OrderedDict") {
    auto dict = Make(PyValue::Kind::kDict);
    if (!a.empty() && a[0]->kind == PyValue::Kind::kList) {
      for (const auto& pair : a[0]->items) {
        if (pair->items.size() == 2) dict->dict.emplace_back(pair->items[0], pair->items[1]);
      }
    }
    return dict;
  }
  if (name == "_codecs.encode" && !a.empty() && a[0]->kind == PyValue::Kind::kString) {
    // Python 3 pickles bytes under protocol 2 as encode(latin-1 text): undo the UTF-8.
    std::string out;
    const std::string& s = a[0]->text;
    for (size_t i = 0; i < s.size(); ++i) {
      auto c = static_cast<uint8_t>(s[i]);
      if (c >= 0xc0 && i + 1 < s.size()) {
        out.push_back(static_cast<char>(((c & 0x1f) << 6) | (static_cast<uint8_t>(s[++i]) & 0x3f)));
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    return MakeText(PyValue::Kind::kBytes, out);
  }
  if (name == "numpy.core.multiarray.scalar" || name == "numpy._core.multiarray.scalar") {
    return NumpyScalar(args);
  }
  if (name == "torch.device" && !a.empty()) return MakeText(PyValue::Kind::kString, a[0]->text);
  auto v = MakeText(PyValue::Kind::kObject, name);
  v->items = a;
  return v;
}

}  // namespace

StatusOr<PyValuePtr> ReadTorchSave(const std::string& path) {
  if (!PathExists(path)) return NotFoundError("checkpoint " + path + " does not exist");
  try {
    caffe2::serialize::PyTorchStreamReader archive(path);
    auto [ptr, size] = archive.getRecord("data.pkl");
    Unpickler unpickler(static_cast<const char*>(ptr.get()), size, &archive);
    return unpickler.Run();
  } catch (const PickleError& e) {
    return DataLossError("cannot interpret " + path + ": " + e.what());
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    return DataLossError("cannot read " + path + " as a PyTorch zip archive (torch.save): " + what);
  }
}

}  // namespace amdrn::seg
