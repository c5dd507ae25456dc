# server.cmake - included by the top-level CMakeLists.txt: the HTTP
# server's dependencies (libevent with pthreads, jansson) and the web page,
# embedded in the binary as a byte array (no external CDN, nothing to
# install beside the executable).  The page is re-embedded whenever
# page.html changes (it is a configure dependency).
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent libevent_pthreads)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

set(BF_PAGE_SRC ${CMAKE_SOURCE_DIR}/src/server/page.html)
set(BF_PAGE_C ${CMAKE_BINARY_DIR}/generated/bf_server_page.c)
set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${BF_PAGE_SRC})
file(READ ${BF_PAGE_SRC} BF_PAGE_HEX HEX)
string(LENGTH "${BF_PAGE_HEX}" BF_PAGE_HEXLEN)
math(EXPR BF_PAGE_LEN "${BF_PAGE_HEXLEN} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BF_PAGE_BYTES "${BF_PAGE_HEX}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
       "\\1\n" BF_PAGE_BYTES "${BF_PAGE_BYTES}")
file(CONFIGURE OUTPUT ${BF_PAGE_C} CONTENT
"/* Generated from src/server/page.html by src/server/server.cmake: do not edit. */
#include <stddef.h>
const unsigned char bf__server_page[] = {
@BF_PAGE_BYTES@ 0x00};
const size_t bf__server_page_len = @BF_PAGE_LEN@;
" @ONLY)
list(APPEND BF_LIB_SOURCES ${BF_PAGE_C})
