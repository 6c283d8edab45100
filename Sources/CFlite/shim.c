#include "CFlite.h"

#include <flite/flite.h>
#include <stdlib.h>
#include <string.h>

/* The voices' registration functions are not declared in flite's installed headers. */
cst_voice *register_cmu_us_kal16(const char *voxdir);
cst_voice *register_cmu_us_kal(const char *voxdir);
cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);

typedef cst_voice *(*sb_flite_register)(const char *voxdir);

static struct {
    const char *name;
    sb_flite_register reg;
    cst_voice *voice;
} voices[] = {
    {"kal16", register_cmu_us_kal16, NULL},
    {"kal", register_cmu_us_kal, NULL},
    {"slt", register_cmu_us_slt, NULL},
    {"rms", register_cmu_us_rms, NULL},
    {"awb", register_cmu_us_awb, NULL},
};

static int initialized = 0;

static int voice_index(const char *name) {
    if (name == NULL) {
        return -1;
    }
    for (size_t index = 0; index < sizeof(voices) / sizeof(voices[0]); index++) {
        if (strcmp(voices[index].name, name) == 0) {
            return (int)index;
        }
    }
    return -1;
}

static cst_voice *voice_named(const char *name) {
    int index = voice_index(name);
    if (index < 0) {
        return NULL;
    }
    if (!initialized) {
        flite_init();
        initialized = 1;
    }
    if (voices[index].voice == NULL) {
        voices[index].voice = voices[index].reg(NULL);
    }
    return voices[index].voice;
}

int sb_flite_has_voice(const char *voice) {
    return voice_index(voice) >= 0;
}

int sb_flite_synthesize(const char *text, const char *voice_name, float duration_stretch, sb_flite_audio *out) {
    memset(out, 0, sizeof(*out));
    cst_voice *voice = voice_named(voice_name);
    if (voice == NULL) {
        return -1;
    }
    if (duration_stretch > 0) {
        flite_feat_set_float(voice->features, "duration_stretch", duration_stretch);
    } else {
        flite_feat_remove(voice->features, "duration_stretch");
    }
    cst_wave *wave = flite_text_to_wave(text, voice);
    if (wave == NULL) {
        return -2;
    }
    int count = wave->num_samples * (wave->num_channels > 0 ? wave->num_channels : 1);
    out->sample_rate = wave->sample_rate;
    if (count > 0) {
        out->samples = malloc((size_t)count * sizeof(short));
        if (out->samples == NULL) {
            delete_wave(wave);
            return -2;
        }
        memcpy(out->samples, wave->samples, (size_t)count * sizeof(short));
        out->count = count;
    }
    delete_wave(wave);
    return 0;
}

void sb_flite_free(sb_flite_audio *audio) {
    free(audio->samples);
    audio->samples = NULL;
    audio->count = 0;
}
