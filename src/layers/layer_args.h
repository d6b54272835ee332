#pragma once
// Argument checks and config helpers shared by the convolution, pooling, normalization,
// regularization, reshaping and activation layers (Keras's argument_validation).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "keras/core/errors.h"
#include "keras/core/shape.h"
#include "keras/layers/layer.h"

namespace keras::layers::detail {

inline std::string ints_string(const std::vector<std::int64_t>& v, bool tuple = true) {
  std::string s = tuple ? "(" : "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  if (tuple && v.size() == 1) s += ",";
  return s + (tuple ? ")" : "]");
}

/// Keras's standardize_tuple: one value repeated n times, or exactly n values; each > 0
/// (>= 0 with allow_zero). ValueError naming the layer and the argument otherwise.
inline std::vector<std::int64_t> standardize_tuple(const std::vector<std::int64_t>& value, int n,
                                                   const std::string& name, const std::string& layer,
                                                   bool allow_zero = false) {
  const std::string head = "Layer \"" + layer + "\": the `" + name + "` argument must be a tuple of " +
                           std::to_string(n) + " integers. Received " + name + "=" + ints_string(value);
  if (value.size() != 1 && value.size() != static_cast<std::size_t>(n)) throw ValueError(head);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n));
  std::set<std::int64_t> bad;
  for (int i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)] = value.size() == 1 ? value[0] : value[static_cast<std::size_t>(i)];
    const std::int64_t v = out[static_cast<std::size_t>(i)];
    if (allow_zero ? v < 0 : v <= 0) bad.insert(v);
  }
  if (!bad.empty()) {
    std::string vals = "{";
    for (auto it = bad.begin(); it != bad.end(); ++it) vals += (it == bad.begin() ? "" : ", ") + std::to_string(*it);
    throw ValueError(head + ", including values " + vals + "} that do not satisfy `value " +
                     (allow_zero ? ">= 0" : "> 0") + "`");
  }
  return out;
}

inline std::string standardize_data_format(const std::string& data_format, const std::string& layer) {
  if (data_format == "channels_last" || data_format == "channels_first") return data_format;
  throw ValueError("Layer \"" + layer +
                   "\": the `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: "
                   "data_format=" + data_format);
}

inline std::string standardize_padding(const std::string& padding, bool allow_causal, const std::string& layer) {
  std::string p;
  for (char c : padding) p += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (p == "valid" || p == "same" || (allow_causal && p == "causal")) return p;
  throw ValueError("Layer \"" + layer + "\": the `padding` argument must be one of " +
                   (allow_causal ? "{'valid', 'same', 'causal'}" : "{'valid', 'same'}") + ". Received: " + padding);
}

/// A list of ints as JSON (Keras serializes tuples as lists).
inline Config ints_json(const std::vector<std::int64_t>& v) {
  Config a = Config::array();
  for (auto x : v) a.push_back(x);
  return a;
}

inline Config optional_json(const std::optional<std::uint64_t>& v) { return v ? Config(*v) : Config(nullptr); }

/// The spatial dims of a (batch, *spatial, channels) or (batch, channels, *spatial) shape.
inline std::vector<std::int64_t> spatial_dims(const Shape& s, bool channels_first) {
  std::vector<std::int64_t> out;
  const int begin = channels_first ? 2 : 1, end = channels_first ? s.rank() : s.rank() - 1;
  for (int i = begin; i < end; ++i) out.push_back(s.dims()[static_cast<std::size_t>(i)]);
  return out;
}

/// Reassembles (batch, *spatial, channels) in the data format's order.
inline Shape with_spatial(std::int64_t batch, const std::vector<std::int64_t>& spatial, std::int64_t channels,
                          bool channels_first) {
  Shape out{batch};
  if (channels_first) out.push_back(channels);
  for (auto d : spatial) out.push_back(d);
  if (!channels_first) out.push_back(channels);
  return out;
}

/// Layers of a fixed input rank: ValueError naming the layer and the shape otherwise.
inline void require_rank(const Shape& s, int rank, const std::string& layer, const std::string& class_name,
                         const std::string& layout) {
  if (s.rank() != rank)
    throw ValueError("Input 0 of layer \"" + layer + "\" (" + class_name + ") is incompatible with the layer: " +
                     "expected ndim=" + std::to_string(rank) + " " + layout + ", found ndim=" +
                     std::to_string(s.rank()) + ". Full shape received: " + s.to_string());
}

}  // namespace keras::layers::detail
