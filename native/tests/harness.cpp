#include "harness.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "sim_driver.h"

namespace dstest {

namespace {
struct Entry {
  const char* name;
  void (*fn)();
  bool is_mode;
};

std::vector<Entry>& entries() {
  static std::vector<Entry> all;
  return all;
}
}  // namespace

Registrar::Registrar(const char* name, void (*fn)(), bool is_mode) { entries().push_back(Entry{name, fn, is_mode}); }

void fail(const char* file, int line, const std::string& what) {
  const char* base = std::strrchr(file, '/');
  throw TestFailure(std::string(base != nullptr ? base + 1 : file) + ":" + std::to_string(line) + ": " + what);
}

std::string expect_sim_error(const std::function<void()>& f, std::initializer_list<const char*> needles,
                             const char* file, int line) {
  try {
    f();
  } catch (const dssim::SimError& e) {
    const std::string msg = e.what();
    for (const char* n : needles) {
      if (msg.find(n) == std::string::npos) fail(file, line, "SimError lacks \"" + std::string(n) + "\": " + msg);
    }
    return msg;
  }
  fail(file, line, "expected a SimError, none was thrown");
}

}  // namespace dstest

int main(int argc, char** argv) {
  using dstest::entries;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  if (filter != nullptr) {
    for (const auto& e : entries()) {
      if (e.is_mode && std::strcmp(e.name, filter) == 0) {
        e.fn();
        std::printf("mode %s finished without the expected crash\n", e.name);
        return 1;
      }
    }
  }
  int passed = 0, failed = 0;
  for (const auto& e : entries()) {
    if (e.is_mode || (filter != nullptr && std::strstr(e.name, filter) == nullptr)) continue;
    std::printf("%s ... ", e.name);
    std::fflush(stdout);
    try {
      e.fn();
      std::printf("ok\n");
      ++passed;
    } catch (const std::exception& ex) {
      std::printf("FAILED: %s\n", ex.what());
      ++failed;
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
