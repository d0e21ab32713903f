/* SPDX-License-Identifier: BSD-3-Clause */
/* No prebuilt databases (a cross build, which cannot run sip_db_gen): compiled at start. */

#include "sip_internal.h"

const struct sip_db_blob sip_db_blobs[1];
const unsigned int sip_n_db_blobs = 0;
