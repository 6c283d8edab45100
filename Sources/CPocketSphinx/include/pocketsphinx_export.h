/* Debian installs PocketSphinx's headers in /usr/include/pocketsphinx, and pocketsphinx.h includes
 * its siblings as <pocketsphinx_export.h>. This forwarder lets <pocketsphinx/pocketsphinx.h> compile without adding
 * /usr/include/pocketsphinx (or sphinxbase's directory, whose err.h would shadow the C library's)
 * to every dependent's header search path. */
#ifndef SWITCHBOARD_FORWARD_POCKETSPHINX_EXPORT_H
#define SWITCHBOARD_FORWARD_POCKETSPHINX_EXPORT_H
#include <pocketsphinx/pocketsphinx_export.h>
#endif
