#include "CPocketSphinx.h"

cmd_ln_t *sb_ps_config(const char *hmm, const char *dict) {
    /* cmd_ln_init copies every string it is given into the configuration. */
    return cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict, NULL);
}

void sb_ps_set_quiet(int quiet) {
    err_set_logfp(quiet ? NULL : stderr);
}
