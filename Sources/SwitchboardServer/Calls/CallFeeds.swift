import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore
import Synchronization

/// What the followers of a live phone call hear: every server event its session sends the call
/// (the model's events, with audio) and the call's own events (`output_audio_buffer.started`,
/// `.stopped`, `.cleared` as the phone plays the agent's audio; `input_audio_buffer.
/// dtmf_event_received` for each key the caller presses), as OpenAI's sideband connection to a
/// SIP call does. A follower opens `/realtime?call_id=ID` (or `/v1/realtime`) with an admin key;
/// it only listens. A follower that cannot keep up misses events rather than slowing the call.
final class CallFeed: Sendable {
    /// The call record's id and the provider's call id: either finds the feed.
    let ids: [String]
    /// What a follower is told first.
    let description: JSONObject
    private let followers = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    /// How many are following, read on every event the call sends without taking the lock.
    private let count = Atomic<Int>(0)

    /// Bytes queued on a follower's connection beyond which its events are dropped.
    static let maximumBacklog = 4 * 1024 * 1024

    init(ids: [String], description: JSONObject) {
        self.ids = ids
        self.description = description
    }

    var isFollowed: Bool { count.load(ordering: .relaxed) > 0 }

    /// Sends `event` (one JSON server event) to every follower.
    func publish(_ event: ByteBuffer) {
        let channels = followers.withLockedValue { Array($0.values) }
        for channel in channels {
            // A slow follower misses events; the call never waits for it.
            guard channel.isWritable else { continue }
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: event), promise: nil)
        }
    }

    func publish(_ event: RealtimeEvent) {
        guard isFollowed else { return }
        publish(event.encoded(allocator: ByteBufferAllocator()))
    }

    func add(_ channel: any Channel) {
        let added = followers.withLockedValue { $0.updateValue(channel, forKey: ObjectIdentifier(channel)) == nil }
        if added { count.add(1, ordering: .relaxed) }
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: RealtimeEvent(type: "hub.call.followed", [
            ("event_id", .string(RealtimeID.event())), ("call", .object(description)),
        ]).encoded(allocator: channel.allocator)), promise: nil)
    }

    func remove(_ channel: any Channel) {
        let removed = followers.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) != nil }
        if removed { count.subtract(1, ordering: .relaxed) }
    }

    /// The call ended: every follower is told so and closed (1000).
    func end() {
        let channels = followers.withLockedValue { followers -> [any Channel] in
            defer { followers = [:] }
            return Array(followers.values)
        }
        count.store(0, ordering: .relaxed)
        for channel in channels {
            var data = channel.allocator.buffer(capacity: 32)
            data.write(webSocketErrorCode: .normalClosure)
            data.writeString("the call ended")
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }
}

/// The live calls on this replica that can be followed, by record id and provider call id.
final class CallFeeds: Sendable {
    private let feeds = NIOLockedValueBox<[String: CallFeed]>([:])

    func register(_ feed: CallFeed) {
        feeds.withLockedValue { feeds in for id in feed.ids { feeds[id] = feed } }
    }

    func remove(_ feed: CallFeed) {
        feeds.withLockedValue { feeds in
            for id in feed.ids where feeds[id] === feed { feeds[id] = nil }
        }
        feed.end()
    }

    func feed(for id: String) -> CallFeed? {
        feeds.withLockedValue { $0[id] }
    }
}

/// A follower's connection: it listens; what it sends is answered with an error (pings with
/// pongs, a close with a close).
final class CallFollower: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let feed: CallFeed

    init(feed: CallFeed) { self.feed = feed }

    func handlerAdded(context: ChannelHandlerContext) {
        // A follower that cannot keep up is let go past its backlog.
        context.channel.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: CallFeed.maximumBacklog / 2, high: CallFeed.maximumBacklog))
            .whenComplete { _ in }
        feed.add(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        feed.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            var reply = context.channel.allocator.buffer(capacity: 2)
            reply.write(webSocketErrorCode: .normalClosure)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply))).whenComplete { _ in
                context.close(promise: nil)
            }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .text, .binary:
            let error = RealtimeError(type: "invalid_request_error", code: "read_only",
                                      message: "This connection follows a call: it receives the call's events and sends none.")
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: error.event.encoded(allocator: context.channel.allocator))),
                                  promise: nil)
        default:
            break
        }
    }
}
