#ifndef SWITCHBOARD_CESPEAKNG_SHIM_H
#define SWITCHBOARD_CESPEAKNG_SHIM_H
#include <espeak-ng/speak_lib.h>
#endif
