extension AnsweringMachineDetector {
    /// How an ``AnsweringMachineDetector`` decides. The word and greeting settings are those of
    /// Asterisk's `app_amd` (`amd.conf`); the beep and message-end settings are the detector's own.
    ///
    /// Every value is checked when a detector is made (``validated``): durations are clamped to
    /// 0 … 10 minutes, counts to 1 … 1 000, levels to −120 … 0 dBFS, frequencies into the
    /// telephone band, fractions to 0 … 1, and a NaN takes the default. Nothing set here can trap
    /// or make the detector allocate without bound.
    public struct Configuration: Sendable, Hashable {
        // MARK: Person or machine

        /// Dead air: with no voice for this long from the start, the decision is
        /// ``AnsweringMachineDecision/silence``. 5 000 ms by default (Twilio's
        /// `MachineDetectionSilenceTimeout`; Asterisk's `initial_silence` is 2 500 and calls it a
        /// machine).
        public var initialSilenceMs: Int
        /// Voice, counted from the first word, after which the greeting is a machine's: a person
        /// says one to three short words and waits; a machine talks on. 1 500 ms by default
        /// (Asterisk's `greeting`).
        public var greetingMs: Int
        /// Silence after a greeting shorter than ``greetingMs`` that makes it a person's: they
        /// said "Hello?" and are waiting for the caller. 1 200 ms by default (Twilio's
        /// `MachineDetectionSpeechEndThreshold`; Asterisk's `after_greeting_silence` is 800,
        /// which takes a machine pausing after its first short sentence for a person).
        public var afterGreetingSilenceMs: Int
        /// Analysis time from the start after which the detector decides with what it has: a
        /// person if any voice was heard (so the caller speaks rather than waits), dead air if
        /// none. 5 000 ms by default (Asterisk's `total_analysis_time`).
        public var totalAnalysisMs: Int
        /// Voice shorter than this is not a word (a click, a breath). 100 ms by default
        /// (Asterisk's `min_word_length`).
        public var minimumWordMs: Int
        /// Silence that separates two words. 50 ms by default (Asterisk's `between_words_silence`).
        public var betweenWordsSilenceMs: Int
        /// Words in the greeting that make it a machine's. 4 by default (Asterisk's
        /// `maximum_number_of_words` is 2 or 3; words here are voice between pauses, and "Hi, can
        /// I help you?" holds three).
        public var maximumWords: Int
        /// One word as long as this makes it a machine (music, a tone, a voice without pauses).
        /// 5 000 ms by default (Asterisk's `maximum_word_length`).
        public var maximumWordMs: Int

        // MARK: Voice

        /// The voice activity detector's activation threshold, 0 … 1
        /// (``VoiceActivityConfiguration/threshold``). 0.5 by default.
        public var voiceThreshold: Double
        /// Frames quieter than this are never voice, dBFS. −55 by default.
        public var minimumVoiceLevelDBFS: Double

        // MARK: End of the machine's greeting

        /// Silence after a machine's last voice that ends its greeting when no beep was heard
        /// (``AnsweringMachineDecision/greetingEnded(at:)``). 2 000 ms by default (Twilio's
        /// `MachineDetectionSpeechEndThreshold` is 1 200; pauses between a greeting's sentences
        /// reach about a second).
        public var messageEndSilenceMs: Int
        /// The longest greeting waited for, from the `machine` decision: past it the detector
        /// reports the greeting ended anyway. 30 000 ms by default.
        public var maximumGreetingMs: Int

        // MARK: Beep

        /// The band a beep's frequency lies in, Hz. 350 … 2 200 by default (beeps are mostly
        /// 400 – 2 000 Hz, commonly near 1 kHz).
        public var beepLowHz: Double
        public var beepHighHz: Double
        /// The shortest tone that counts as a beep. 100 ms by default.
        public var minimumBeepMs: Int
        /// A tone this long is reported without waiting for its end. 4 000 ms by default.
        public var maximumBeepMs: Int
        /// The fraction of a frame's energy (62 Hz – 3.9 kHz) that must lie within ±2 FFT bins
        /// (±62 Hz) of the peak for the frame to be tonal, 0 … 1: a pure tone through G.711 holds
        /// more than 0.95, voiced speech rarely 0.7 and never for long. 0.8 by default.
        public var beepPurity: Double
        /// Tonal frames quieter than this are not a beep, dBFS. −45 by default.
        public var minimumBeepLevelDBFS: Double
        /// How far a beep's frequency may wander between frames, Hz. 40 by default.
        public var beepFrequencyToleranceHz: Double

        // MARK: Time

        /// Frames whose time is within this of where the previous one ended are taken as
        /// contiguous (timestamps rounded to the millisecond, a jittery clock). 10 ms by default.
        public var timeToleranceMs: Int
        /// A gap in the frames' times (lost packets) is analysed as silence up to this long; a
        /// longer gap moves the clock on without analysis. 2 000 ms by default.
        public var maximumConcealmentMs: Int

        /// A configuration; the defaults are described on each property.
        public init(
            initialSilenceMs: Int = 5_000,
            greetingMs: Int = 1_500,
            afterGreetingSilenceMs: Int = 1_200,
            totalAnalysisMs: Int = 5_000,
            minimumWordMs: Int = 100,
            betweenWordsSilenceMs: Int = 50,
            maximumWords: Int = 4,
            maximumWordMs: Int = 5_000,
            voiceThreshold: Double = 0.5,
            minimumVoiceLevelDBFS: Double = -55,
            messageEndSilenceMs: Int = 2_000,
            maximumGreetingMs: Int = 30_000,
            beepLowHz: Double = 350,
            beepHighHz: Double = 2_200,
            minimumBeepMs: Int = 100,
            maximumBeepMs: Int = 4_000,
            beepPurity: Double = 0.8,
            minimumBeepLevelDBFS: Double = -45,
            beepFrequencyToleranceHz: Double = 40,
            timeToleranceMs: Int = 10,
            maximumConcealmentMs: Int = 2_000
        ) {
            self.initialSilenceMs = initialSilenceMs
            self.greetingMs = greetingMs
            self.afterGreetingSilenceMs = afterGreetingSilenceMs
            self.totalAnalysisMs = totalAnalysisMs
            self.minimumWordMs = minimumWordMs
            self.betweenWordsSilenceMs = betweenWordsSilenceMs
            self.maximumWords = maximumWords
            self.maximumWordMs = maximumWordMs
            self.voiceThreshold = voiceThreshold
            self.minimumVoiceLevelDBFS = minimumVoiceLevelDBFS
            self.messageEndSilenceMs = messageEndSilenceMs
            self.maximumGreetingMs = maximumGreetingMs
            self.beepLowHz = beepLowHz
            self.beepHighHz = beepHighHz
            self.minimumBeepMs = minimumBeepMs
            self.maximumBeepMs = maximumBeepMs
            self.beepPurity = beepPurity
            self.minimumBeepLevelDBFS = minimumBeepLevelDBFS
            self.beepFrequencyToleranceHz = beepFrequencyToleranceHz
            self.timeToleranceMs = timeToleranceMs
            self.maximumConcealmentMs = maximumConcealmentMs
        }

        /// The range every duration is clamped to: 0 … 10 minutes.
        public static let durationRange = 0...600_000
        /// The range of ``maximumWords``.
        public static let wordsRange = 1...1_000
        /// The range of the levels, dBFS.
        public static let levelRange = -120.0...0.0
        /// The range of the beep band's edges, Hz: inside the telephone band at 8 kHz.
        public static let frequencyRange = 100.0...3_800.0

        /// This configuration with every value brought into its range (NaNs take the default),
        /// the beep band's edges in order and a beep at least one frame long. The detector runs
        /// on this.
        public var validated: Configuration {
            let defaults = Configuration()
            func duration(_ value: Int) -> Int {
                min(max(value, Self.durationRange.lowerBound), Self.durationRange.upperBound)
            }
            func clamp(_ value: Double, _ range: ClosedRange<Double>, _ fallback: Double) -> Double {
                value.isNaN ? fallback : min(max(value, range.lowerBound), range.upperBound)
            }
            var checked = self
            checked.initialSilenceMs = duration(initialSilenceMs)
            checked.greetingMs = duration(greetingMs)
            checked.afterGreetingSilenceMs = duration(afterGreetingSilenceMs)
            checked.totalAnalysisMs = duration(totalAnalysisMs)
            checked.minimumWordMs = duration(minimumWordMs)
            checked.betweenWordsSilenceMs = duration(betweenWordsSilenceMs)
            checked.maximumWords = min(max(maximumWords, Self.wordsRange.lowerBound), Self.wordsRange.upperBound)
            checked.maximumWordMs = duration(maximumWordMs)
            checked.voiceThreshold = clamp(voiceThreshold, 0...1, defaults.voiceThreshold)
            checked.minimumVoiceLevelDBFS = clamp(minimumVoiceLevelDBFS, Self.levelRange, defaults.minimumVoiceLevelDBFS)
            checked.messageEndSilenceMs = duration(messageEndSilenceMs)
            checked.maximumGreetingMs = duration(maximumGreetingMs)
            let low = clamp(beepLowHz, Self.frequencyRange, defaults.beepLowHz)
            let high = clamp(beepHighHz, Self.frequencyRange, defaults.beepHighHz)
            checked.beepLowHz = min(low, high)
            checked.beepHighHz = max(low, high)
            checked.minimumBeepMs = max(duration(minimumBeepMs), AnsweringMachineDetector.frameMs)
            checked.maximumBeepMs = max(duration(maximumBeepMs), checked.minimumBeepMs)
            checked.beepPurity = clamp(beepPurity, 0...1, defaults.beepPurity)
            checked.minimumBeepLevelDBFS = clamp(minimumBeepLevelDBFS, Self.levelRange, defaults.minimumBeepLevelDBFS)
            checked.beepFrequencyToleranceHz = clamp(beepFrequencyToleranceHz, 0...1_000, defaults.beepFrequencyToleranceHz)
            checked.timeToleranceMs = duration(timeToleranceMs)
            checked.maximumConcealmentMs = duration(maximumConcealmentMs)
            return checked
        }
    }
}
