# Included by the top-level CMakeLists.txt once detseg_native_tests exists.
# The suite runs in every build; the ASan crash modes only where AddressSanitizer is compiled in,
# and pass only if ASan reports the out-of-bounds access.
add_test(NAME detseg_native_tests COMMAND detseg_native_tests)
if(DETSEG_ASAN)
  foreach(mode asan-oob-read asan-oob-write)
    add_test(NAME detseg_native_${mode} COMMAND detseg_native_tests ${mode})
    set_tests_properties(detseg_native_${mode} PROPERTIES PASS_REGULAR_EXPRESSION "heap-buffer-overflow")
  endforeach()
endif()
