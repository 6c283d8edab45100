/* Debian installs PocketSphinx's headers in /usr/include/pocketsphinx, and pocketsphinx.h includes
 * its siblings as <ps_mllr.h>. This forwarder lets <pocketsphinx/pocketsphinx.h> compile without adding
 * /usr/include/pocketsphinx (or sphinxbase's directory, whose err.h would shadow the C library's)
 * to every dependent's header search path. */
#ifndef SWITCHBOARD_FORWARD_PS_MLLR_H
#define SWITCHBOARD_FORWARD_PS_MLLR_H
#include <pocketsphinx/ps_mllr.h>
#endif
