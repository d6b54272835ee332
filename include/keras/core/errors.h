#pragma once
/// Typed exceptions with Keras's names. Each derives from the matching std exception so
/// generic `catch (const std::exception&)` code keeps working.
///
/// Messages follow Keras: what was expected, then `Received: ...` with full shapes.
#include <stdexcept>
#include <string>

namespace keras {

class ValueError : public std::invalid_argument {
 public:
  explicit ValueError(const std::string& message) : std::invalid_argument(message) {}
};

class TypeError : public std::invalid_argument {
 public:
  explicit TypeError(const std::string& message) : std::invalid_argument(message) {}
};

class IndexError : public std::out_of_range {
 public:
  explicit IndexError(const std::string& message) : std::out_of_range(message) {}
};

class KeyError : public std::out_of_range {
 public:
  explicit KeyError(const std::string& message) : std::out_of_range(message) {}
};

class NotImplementedError : public std::logic_error {
 public:
  explicit NotImplementedError(const std::string& message) : std::logic_error(message) {}
};

class RuntimeError : public std::runtime_error {
 public:
  explicit RuntimeError(const std::string& message) : std::runtime_error(message) {}
};

/// Raised for unreadable, corrupt or untrusted files (Python's OSError role).
class IOError : public std::runtime_error {
 public:
  explicit IOError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace keras
