import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import Testing
@testable import SwitchboardServer

@Suite("a quiet caller: reprompt, then goodbye")
struct IdleMonitorTests {
    let start = ContinuousClock.now
    let policy = IdlePolicy(repromptAfter: .seconds(10), hangUpAfter: .seconds(5))

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }
    func model(_ type: String) -> Conversation.Input { .model(RealtimeEvent(type: type), route: .intercept) }
    /// 8 bytes of audio a millisecond, no framing: `milliseconds` of audio.
    func audio(_ milliseconds: Int) -> Conversation.Input { .modelAudio(events: 1, bytes: milliseconds * 8) }
    let perByte: (Int, Int) -> Double = { _, bytes in Double(bytes) / 8 }

    @Test func silenceIsRepromptedOnceThenHungUp() {
        let idle = IdleMonitor(policy: policy, voice: true, now: start)
        #expect(idle.due(now: at(9.9)) == nil)
        #expect(idle.due(now: at(10)) == .reprompt)
        #expect(idle.due(now: at(10.5)) == nil, "once")
        // The reprompt is said: 2 s of audio from 10.5 s.
        idle.observe(model("response.created"), audioMilliseconds: perByte, now: at(10.5))
        idle.observe(audio(2000), audioMilliseconds: perByte, now: at(10.5))
        idle.observe(model("response.done"), audioMilliseconds: perByte, now: at(10.6))
        #expect(idle.due(now: at(17.4)) == nil, "the clock starts when the reprompt has played (12.5 s)")
        #expect(idle.due(now: at(17.5)) == .hangUp)
        #expect(idle.due(now: at(30)) == nil, "once")
    }

    @Test func theCallerSpeakingStartsTheClockAgain() {
        let idle = IdleMonitor(policy: policy, voice: true, now: start)
        #expect(idle.due(now: at(10)) == .reprompt)
        idle.observe(model("input_audio_buffer.speech_started"), audioMilliseconds: perByte, now: at(11))
        #expect(idle.due(now: at(20.9)) == nil)
        #expect(idle.due(now: at(21)) == .reprompt, "a second silence is reprompted again, not hung up")
    }

    @Test func theClockWaitsWhileTheAgentTalksOrThinks() {
        let idle = IdleMonitor(policy: policy, voice: true, now: start)
        idle.observe(model("response.created"), audioMilliseconds: perByte, now: at(1))
        #expect(idle.due(now: at(30)) == nil, "a response in progress")
        // 8 s of answer sent at once at 30 s: it plays until 38 s.
        idle.observe(audio(8000), audioMilliseconds: perByte, now: at(30))
        idle.observe(model("response.done"), audioMilliseconds: perByte, now: at(30))
        #expect(idle.due(now: at(47.9)) == nil)
        #expect(idle.due(now: at(48)) == .reprompt)
    }

    @Test func aBargeInEndsTheAgentsPlayback() {
        let idle = IdleMonitor(policy: policy, voice: true, now: start)
        idle.observe(audio(60000), audioMilliseconds: perByte, now: at(0))
        idle.observe(model("input_audio_buffer.speech_started"), audioMilliseconds: perByte, now: at(2))
        #expect(idle.due(now: at(12)) == .reprompt)
    }

    @Test func keysAndMessagesAreSignsOfLife() {
        let idle = IdleMonitor(policy: policy, voice: true, now: start)
        idle.callerActive(now: at(8))
        #expect(idle.due(now: at(17)) == nil)
        idle.observe(.client(RealtimeEvent(type: "conversation.item.create"), route: .intercept), audioMilliseconds: perByte, now: at(16))
        #expect(idle.due(now: at(25.9)) == nil)
        #expect(idle.due(now: at(26)) == .reprompt)
    }

    @Test func aSessionNobodyHearsIsNeverIdle() {
        let idle = IdleMonitor(policy: policy, voice: false, now: start)
        #expect(idle.due(now: at(1000)) == nil)
        idle.setVoice(true)
        #expect(idle.due(now: at(1000)) == .reprompt)
    }

    @Test func absurdAudioCountsDoNotTrap() {
        let idle = IdleMonitor(policy: policy, voice: true, now: start)
        idle.observe(.modelAudio(events: .max, bytes: .max), audioMilliseconds: { _, _ in .infinity }, now: at(0))
        idle.observe(.modelAudio(events: 1, bytes: 1), audioMilliseconds: { _, _ in -.infinity }, now: at(0))
        idle.observe(.modelAudio(events: 1, bytes: 1), audioMilliseconds: { _, _ in .nan }, now: at(0))
        #expect(idle.due(now: at(10)) == nil, "at most ten minutes of audio is counted per delta")
        #expect(idle.due(now: at(610)) == .reprompt)
    }
}
