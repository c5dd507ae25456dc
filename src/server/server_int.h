/*
 * server_int.h - private to src/server: the embedded web page (generated
 * at build time from src/server/page.html by src/server/server.cmake).
 */
#ifndef BF_SERVER_INT_H
#define BF_SERVER_INT_H

#include <stddef.h>

extern const unsigned char bf__server_page[];
extern const size_t bf__server_page_len;

#endif
