/// What the phone bridges count. The hub's metrics implement it (Prometheus); a test can
/// count in memory.
package protocol TelephonyMetrics: AnyObject, Sendable {
    /// The caller talked over the agent and the phone's queued audio was cleared.
    func callBargeIn(channel: String)
    /// A message or packet of a call dropped as unreadable, or a stream ended, by reason.
    func callDropped(_ reason: String)
    /// How a Twilio stream's caller was proven (`verified`, `forged`, `expired`, …).
    func twilioCaller(_ outcome: String)
    /// SIP digest authentication outcomes.
    func sipAuth(_ outcome: String, count: Int)
    /// SIP calls refused by a limit (`max_calls`, `invite_rate`, `overload`).
    func sipRefused(_ reason: String, count: Int)
    /// SIP requests answered with an error status.
    func sipRejected(status: Int, count: Int)
    /// Offers whose media address was confined to the signalling peer.
    func sipMediaAddressConfined(count: Int)
    /// An RTP packet from a source other than the call's.
    func sipRTPForeignPacket()
    /// A call hung up because its RTP stopped.
    func sipRTPTimeout()
}
