# Project policy lives on INTERFACE targets linked PRIVATE; flags that differ per build
# (optimisation, sanitizers) live in CMakePresets.json.

add_library(netlab_warnings INTERFACE)
add_library(netlab::warnings ALIAS netlab_warnings)
target_compile_options(netlab_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough
    $<$<BOOL:${NETLAB_WERROR}>:-Werror>)

# Version string shared by every binary's --version.
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.hpp.in
    ${PROJECT_BINARY_DIR}/generated/netlab/version.hpp @ONLY)

# netlab_add_app(NAME <exe> MAIN <main.cpp> LIBS <core libs...>)
# A thin executable over a core library, with --help/--version smoke tests.
function(netlab_add_app)
    cmake_parse_arguments(ARG "" "NAME;MAIN" "LIBS" ${ARGN})
    add_executable(${ARG_NAME} ${ARG_MAIN})
    target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} netlab::warnings)
    set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
    if(NETLAB_TESTS)
        add_test(NAME smoke.${ARG_NAME}.help COMMAND ${ARG_NAME} --help)
        set_tests_properties(smoke.${ARG_NAME}.help PROPERTIES
            LABELS "unit;smoke" PASS_REGULAR_EXPRESSION "Usage: ${ARG_NAME}")
        add_test(NAME smoke.${ARG_NAME}.version COMMAND ${ARG_NAME} --version)
        set_tests_properties(smoke.${ARG_NAME}.version PROPERTIES
            LABELS "unit;smoke" PASS_REGULAR_EXPRESSION "^${ARG_NAME} ${PROJECT_VERSION}")
        # Usage errors must exit 2 (not 1, not a crash): scripts rely on it.
        add_test(NAME smoke.${ARG_NAME}.bad-option
            COMMAND sh -c "\"$0\" --no-such-option 2>/dev/null; test $? -eq 2" $<TARGET_FILE:${ARG_NAME}>)
        set_tests_properties(smoke.${ARG_NAME}.bad-option PROPERTIES LABELS "unit;smoke")
    endif()
endfunction()
