/*
 * store_int.h - private declarations of the results store, for store.c
 * and its unit test only.
 */
#ifndef BORDERFLOW_STORE_INT_H
#define BORDERFLOW_STORE_INT_H

#include "borderflow/store.h"

/* The value of PRAGMA application_id in every borderflow store: the bytes
 * "BdFl", so that file(1) and other tools can tell what the file is.  The
 * authoritative mark is still meta.application = 'borderflow'. */
#define BF__STORE_APPLICATION_ID 0x4264466C

/* Checks the whole store behind s: SQLite's integrity_check and
 * foreign_key_check, then the store's own invariants:
 *   - every stored replication has exactly one rep_metrics row per metric
 *     key of its run (a replication is whole or absent);
 *   - a run has finished_at exactly when its status is not 'running';
 *   - aggregates exist only for finished runs, and then for every key or
 *     none; ci_low/ci_high are NULL exactly when half_width is.
 * Returns BF_OK, or BF_ESTORE with the first violation in err->msg.
 * Reads every page: O(size of the file).  For asserts and tests. */
bf_status bf__store_check(bf_store *s, bf_error *err);

#endif
