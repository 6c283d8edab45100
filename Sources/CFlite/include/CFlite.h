#ifndef SWITCHBOARD_CFLITE_H
#define SWITCHBOARD_CFLITE_H

/// Audio synthesized by flite: mono PCM16 at `sample_rate`. Release with `sb_flite_free`.
typedef struct sb_flite_audio {
    short *samples;
    int count;
    int sample_rate;
} sb_flite_audio;

/// Whether `voice` is one of the linked voices: "kal16", "kal", "slt", "rms", "awb".
int sb_flite_has_voice(const char *voice);

/// Synthesizes `text` (UTF-8, English) with `voice`, slowed down by `duration_stretch` (1 is the
/// voice's own pace; 0 or less keeps it). Returns 0 and fills `out` on success, -1 for an unknown
/// voice, -2 when flite produced no audio. Not thread-safe: flite's voices and lexicon are
/// shared, so every call must come from one thread at a time.
int sb_flite_synthesize(const char *text, const char *voice, float duration_stretch, sb_flite_audio *out);

/// Releases the samples of `audio` and clears it.
void sb_flite_free(sb_flite_audio *audio);

#endif
