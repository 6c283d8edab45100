// Audio helpers; see PCM16, G711, Resampler, VoiceActivityDetector.
