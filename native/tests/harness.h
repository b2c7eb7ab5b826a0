// A minimal test harness: TEST(name) { ... } registers a test; CHECK* macros throw TestFailure.
// main (harness.cpp) runs all tests, or those whose name contains argv[1], printing
// "name ... ok" / "name ... FAILED: msg" and finally "N passed, N failed".
// MODE(name) registers a special mode run only when argv[1] equals its name exactly (used for
// the ASan crash tests, which must not run as part of the suite).
#pragma once

#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace dstest {

struct TestFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Registrar {
  Registrar(const char* name, void (*fn)(), bool is_mode);
};

[[noreturn]] void fail(const char* file, int line, const std::string& what);

// Runs f, which must throw dssim::SimError whose message contains every one of `needles`.
// Returns the message.
std::string expect_sim_error(const std::function<void()>& f, std::initializer_list<const char*> needles,
                             const char* file, int line);

template <class A, class B>
std::string describe_pair(const A& a, const B& b) {
  std::ostringstream s;
  s << a << " vs " << b;
  return s.str();
}

}  // namespace dstest

#define DSTEST_CAT2(a, b) a##b
#define DSTEST_CAT(a, b) DSTEST_CAT2(a, b)

#define TEST(name)                                                                 \
  static void name();                                                              \
  static ::dstest::Registrar DSTEST_CAT(dstest_reg_, name)(#name, &name, false);   \
  static void name()

#define MODE(name, text)                                                           \
  static void name();                                                              \
  static ::dstest::Registrar DSTEST_CAT(dstest_reg_, name)(text, &name, true);     \
  static void name()

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) ::dstest::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                                        \
  do {                                                                                        \
    const auto dstest_a = (a);                                                                \
    const auto dstest_b = (b);                                                                \
    if (!(dstest_a == dstest_b)) {                                                            \
      ::dstest::fail(__FILE__, __LINE__,                                                      \
                     "CHECK_EQ(" #a ", " #b "): " + ::dstest::describe_pair(dstest_a, dstest_b)); \
    }                                                                                         \
  } while (0)

#define CHECK_MSG(cond, msg)                                                             \
  do {                                                                                   \
    if (!(cond)) ::dstest::fail(__FILE__, __LINE__, std::string("CHECK(" #cond "): ") + (msg)); \
  } while (0)

#define EXPECT_SIM_ERROR(stmt, ...) \
  ::dstest::expect_sim_error([&] { stmt; }, {__VA_ARGS__}, __FILE__, __LINE__)
