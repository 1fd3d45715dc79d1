# cmake/windows-deps.cmake - the libraries of the Windows build, from the prefix that
# .ci/lib/windows-deps.sh cross-builds (static libuv, jansson, OpenSSL, cmocka; no libpcap).
#
# They are imported under the names pkg_check_modules gives on Linux (PkgConfig::LIBUV, ...),
# so the rest of CMakeLists.txt links them the same way on both systems. Every library is
# static and the executables link with -static: ucscan.exe is one file, no DLL to ship.
if(NOT UC_WIN_PREFIX OR NOT EXISTS ${UC_WIN_PREFIX}/lib/libuv.a)
  message(FATAL_ERROR "UC_WIN_PREFIX must name the prefix .ci/lib/windows-deps.sh built "
                      "(got '${UC_WIN_PREFIX}'); `bash .ci/windows` does it all")
endif()

# What each library needs from Windows itself.
set(UC_WIN_LIBUV_SYS ws2_32 iphlpapi userenv psapi dbghelp ole32 shell32 advapi32 user32)
set(UC_WIN_OPENSSL_SYS ws2_32 crypt32 bcrypt advapi32 user32)

function(uc_win_import name)
  cmake_parse_arguments(U "" "" "LIBS;SYSTEM" ${ARGN})
  add_library(PkgConfig::${name} INTERFACE IMPORTED)
  set(paths)
  foreach(lib ${U_LIBS})
    set(p ${UC_WIN_PREFIX}/lib/lib${lib}.a)
    if(NOT EXISTS ${p})
      message(FATAL_ERROR "${p} is missing: rebuild the prefix (bash .ci/lib/windows-deps.sh)")
    endif()
    list(APPEND paths ${p})
  endforeach()
  set_target_properties(PkgConfig::${name} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES ${UC_WIN_PREFIX}/include
    INTERFACE_LINK_LIBRARIES "${paths};${U_SYSTEM}")
endfunction()

uc_win_import(LIBUV LIBS uv SYSTEM ${UC_WIN_LIBUV_SYS})
uc_win_import(JANSSON LIBS jansson SYSTEM advapi32)
uc_win_import(OPENSSL LIBS ssl crypto SYSTEM ${UC_WIN_OPENSSL_SYS})
# The tests' own helper threads are POSIX threads: mingw's winpthreads, linked statically into
# the test programs only (ucscan.exe uses libuv's threads).
uc_win_import(CMOCKA LIBS cmocka SYSTEM pthread)

# Windows 8.1 / Server 2012 R2 and later (Lync Server 2013 and Skype for Business Server 2015
# run there); C99 printf formats (%zu, %llu) from mingw's own stdio, not msvcrt's.
add_compile_definitions(_WIN32_WINNT=0x0603 WINVER=0x0603 WIN32_LEAN_AND_MEAN NOMINMAX
                        __USE_MINGW_ANSI_STDIO=1)
# The POSIX pieces mingw lacks, for every source (common/wincompat/uc_wincompat.h).
include_directories(BEFORE SYSTEM ${CMAKE_SOURCE_DIR}/common/wincompat)
add_compile_options(-include ${CMAKE_SOURCE_DIR}/common/wincompat/uc_wincompat.h)
add_link_options(-static -static-libgcc)

# Unit tests of what Windows does not have, left out of the Windows build:
#   test_fdroom       RLIMIT_NOFILE and the descriptor table (fcntl F_GETFD)
#   test_listen_loop  raw POSIX sockets, /proc/self and RLIMIT_NOFILE around the listener;
#                     the listener under Wine is tested end to end (tests/windows/)
#   test_tcp_sweep    the connect sweep (epoll, sockets that connect again): Linux only
set(UC_WIN_SKIP_TESTS ${CMAKE_SOURCE_DIR}/tests/unit/test_fdroom.c
                      ${CMAKE_SOURCE_DIR}/tests/unit/test_listen_loop.c
                      ${CMAKE_SOURCE_DIR}/tests/unit/test_tcp_sweep.c)
