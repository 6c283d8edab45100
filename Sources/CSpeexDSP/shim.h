#ifndef SWITCHBOARD_CSPEEXDSP_SHIM_H
#define SWITCHBOARD_CSPEEXDSP_SHIM_H
#include <speex/speex_resampler.h>
#include <speex/speex_preprocess.h>
#endif
