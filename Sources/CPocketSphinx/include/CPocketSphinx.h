#ifndef SWITCHBOARD_CPOCKETSPHINX_H
#define SWITCHBOARD_CPOCKETSPHINX_H

#include <pocketsphinx/pocketsphinx.h>
#include <sphinxbase/cmd_ln.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>

/// A decoder configuration for the acoustic model directory `hmm` and the pronunciation
/// dictionary `dict`, every other option at its default: the non-variadic front of
/// `cmd_ln_init`, which Swift cannot call. Change further options with the typed setters
/// (`cmd_ln_set_str_r`, `cmd_ln_set_float_r`, `cmd_ln_set_int_r`), which copy their values.
/// Returns NULL when the configuration cannot be built. Release with `cmd_ln_free_r` (`ps_init`
/// retains its own reference).
cmd_ln_t *sb_ps_config(const char *hmm, const char *dict);

/// Sends PocketSphinx's and sphinxbase's log output nowhere (`quiet` non-zero) or to stderr.
/// Process-wide.
void sb_ps_set_quiet(int quiet);

#endif
