import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Prometheus
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardCore
import SwitchboardTelephony
import SwitchboardTools

/// Runs one session's conversation: the single task per connection that feeds the
/// conversation state machine and carries out what it decides.
struct SessionDriver: Sendable {
    let hub: HubContext
    let request: ConnectionRequest
    let relay: NIOLoopBound<SessionRelay>
    let eventLoop: any EventLoop
    let inbox: AsyncStream<Conversation.Input>
    /// Where finished tool calls post their results: the inbox itself (they use its reserve).
    let post: AsyncStream<Conversation.Input>.Continuation
    let logger: Logger

    func run() async {
        let metrics = hub.metrics
        metrics.sessionsOpen.increment()
        metrics.sessionsTotal.increment()
        defer { metrics.sessionsOpen.decrement() }
        let key = request.sessionKey.rawValue
        // A session saved for one customer is not opened for another (a UUID that leaked), and
        // such a connection does not take the live one over.
        if let expected = claimedOwner, let owner = (try? await hub.store.load(key))?.customer.id, owner != expected {
            refuseForeignSession()
            return
        }

        // One connection drives a session: an earlier one for this key saves and closes first.
        let ended = eventLoop.makePromise(of: Void.self)
        let entryID = UUID()
        let relay = self.relay
        let loop = eventLoop
        let previous = hub.live.register(key, LiveSessions.Entry(
            id: entryID, takeOver: { loop.execute { relay.value.takeOver() } }, ended: ended.futureResult))
        var endedSignalled = false
        defer {
            hub.live.remove(key, id: entryID)
            if !endedSignalled { ended.succeed(()) }
        }
        if let previous {
            logger.info("taking the session over from an earlier connection")
            hub.metrics.takeovers.increment()
            previous.takeOver()
            await Self.wait(for: previous.ended, upTo: hub.configuration.takeoverTimeout)
        }

        // Across replicas: take the session's lease; a previous owner elsewhere is told through
        // the store and saves its last turn, which this connection waits for before loading.
        let saver = SessionSaver(store: hub.store, metrics: metrics, logger: logger)
        let taken = await acquireLease(key)
        let lease = taken.lease
        let renewal = lease.map(startRenewing)
        defer { if let renewal { hub.leases.untrack(renewal) } }
        var takenOver = false

        var loaded: SessionState? = taken.state ?? nil
        if case .none = taken.state {
            do {
                loaded = try await hub.store.load(key)
            } catch {
                logger.error("could not load session state; starting afresh", metadata: ["error": "\(error)"])
            }
        }
        var state = loaded ?? SessionState(key: key, activeAgent: hub.catalog.defaultPersona.name)
        if let agent = request.agent, hub.catalog.persona(named: agent) != nil { state.activeAgent = agent }
        state.customer = await hub.resolveCustomer(request.customerSource, saved: state.customer, logger: logger)
        // Checked again on what was loaded under the lease (a save may have landed since).
        if claimedOwner != nil, let owner = loaded?.customer.id, owner != state.customer.id {
            refuseForeignSession()
            if let lease { _ = try? await hub.store.releaseLease(lease) }
            return
        }
        let persona = hub.catalog.persona(named: state.activeAgent) ?? hub.catalog.defaultPersona
        // The session's agents and tools are a snapshot taken now.
        let agents = hub.agentProfiles(for: state.customer)
        var conversation = Conversation(
            configuration: .init(sessionKey: key, hubEvents: request.hubEvents, requestedModel: request.model,
                                 modelDialect: request.dialect, historyTurns: hub.configuration.historyTurns,
                                 agents: agents, router: hub.router, hubTools: hub.tools.names,
                                 maxItemBytes: hub.configuration.maxItemBytes, replayHistory: request.replayHistory,
                                 initialClientSession: request.initialSession.flatMap { try? SessionConfig(json: $0, dialect: .ga) }),
            state: state, agent: agents[persona.name] ?? persona.profile(for: state.customer), clientDialect: request.dialect,
            resumed: loaded != nil && !(loaded?.history.isEmpty ?? true)
        )
        logger.info("session started", metadata: ["agent.name": "\(persona.name)", "session.resumed": "\(conversation.resumed)"])
        let recorder = CallRecorder(request.recordStart, id: request.recording?.recordID, sessionKey: key, customer: state.customer.id, agent: persona.name,
                                    pack: hub.packs?.main.pack.name, log: hub.calls)
        recorder.started()
        // A phone call can be followed (`/realtime?call_id=`) while it lasts.
        let feed = request.call.map { call in CallFeed(ids: [recorder.id, call.callID], description: Self.feedDescription(recorder.snapshot)) }
        if let feed {
            hub.feeds.register(feed)
            let relay = self.relay
            eventLoop.execute { relay.value.follow(feed) }
        }
        defer { if let feed { hub.feeds.remove(feed) } }
        var endReason = CallEndReason.callerHungUp
        let control = SessionCallControl(call: request.call, transferrer: transferrer,
                                         keypad: request.call == nil ? nil : CallLineKeypad(relay: relay), recorder: recorder)
        let toolContext = ToolContext(customer: state.customer, sessionKey: key, call: control)
        var endingFallback = false
        var recordingNotice = request.recording?.policy.notice
        // A call back from a transfer nobody took: the agent says so first.
        var returnNotice = request.call?.notice == .transferFailed ? Self.transferFailedSentence : nil
        // An outbound call listening for a machine starts the silence clock once a person answers.
        let listening = request.call?.outbound.map { $0.voicemail != .ignore } ?? false
        let idle = idlePolicy.map { IdleMonitor(policy: $0, voice: request.call != nil && !listening) }
        request.call?.signals.listen { report in handle(report, recorder: recorder, idle: idle) }

        await perform(conversation.handle(.started), release: nil, conversation: conversation, saver: saver, fence: lease)
        connectModel()

        // Tools run as child tasks beside the conversation: audio, barge-in and cancellation go
        // on while one runs; a hang-up cancels every one still running.
        let calls = ToolCalls()
        await withDiscardingTaskGroup { tools in
        if let idle { tools.addTask { await watch(idle, recorder: recorder, control: control) } }
        for await input in inbox {
            var release: EventRoute.Side?
            switch input {
            case .client(_, .intercept): release = .client
            case .model(_, .intercept): release = .model
            default: release = nil
            }
            // A configured classifier decides the route of an utterance before the conversation sees it.
            idle?.observe(input, audioMilliseconds: { conversation.audioMilliseconds(events: $0, bytes: $1) })
            if request.call == nil { idle?.setVoice(conversation.clientConfig.outputModalities?.contains("audio") == true) }
            if Self.isPressedKeys(input), let keys = Conversation.utterance(in: input) {
                recorder.pressed(keys)
                idle?.callerActive()
            }
            if let utterance = Conversation.utterance(in: input) {
                recorder.userSpoke()
                await stopRecording(ifRefusedIn: utterance, recorder: recorder)
                if let classifier = hub.classifier, let choice = await classifier.classify(utterance, current: conversation.agent.name) {
                    conversation.provideRoute(choice, for: utterance)
                }
            }
            if case .model(let event, _) = input, event.type == "response.done", let usage = event["response"]?.objectValue?["usage"]?.objectValue {
                recorder.modelUsage(usage)
            }
            switch input {
            case .clientClosed: endReason = .callerHungUp
            case .shutdown: endReason = .hubShutdown
            case .takenOver: endReason = .takenOver
            case .modelFailed, .modelClosed: endReason = .failed
            default: break
            }
            // Taken over: the last save is not fenced (the new owner holds the lease and waits for it).
            if case .takenOver = input { takenOver = true }
            // Tool results are inputs too: they are handled before the next event from the relay.
            var inputs = [input]
            while !inputs.isEmpty {
                let next = inputs.removeFirst()
                if case .toolFinished(let result) = next { recorder.toolFinished(result) }
                let actions = conversation.handle(next)
                // A sentence said out of band is in the record's transcript once it is sent.
                if case .say(let sentence, _) = next, !actions.isEmpty { recorder.agentSaid(sentence, agent: recorder.snapshot.agents.last?.agent) }
                await perform(actions, release: release, conversation: conversation, saver: saver, fence: takenOver ? nil : lease)
                // The agent asked to end or transfer the call: done once its answer is.
                if control.hasEnding {
                    if Self.answered(next), let ending = control.takeEnding() {
                        tools.addTask { await carryOut(ending, control: control, recorder: recorder) }
                    } else if !endingFallback {
                        // A model that never answers does not keep the call open.
                        endingFallback = true
                        tools.addTask {
                            try? await Task.sleep(for: Self.endingFallback)
                            if let ending = control.takeEnding() { await carryOut(ending, control: control, recorder: recorder) }
                        }
                    }
                }
                release = nil
                // A recorded call's notice comes first, once the call's audio is set up.
                if let notice = recordingNotice, conversation.clientConfig.outputModalities?.contains("audio") == true {
                    recordingNotice = nil
                    post.yield(.say(notice, purpose: "recording_notice"))
                }
                if let notice = returnNotice, conversation.clientConfig.outputModalities?.contains("audio") == true {
                    returnNotice = nil
                    post.yield(.say(notice, purpose: "transfer_failed"))
                }
                if conversation.isClosed && !endedSignalled {
                    // Saved and closing: a connection waiting to take over may go on.
                    endedSignalled = true
                    ended.succeed(())
                }
                for action in actions {
                    switch action {
                    case .save(let saved):
                        recorder.saved(history: saved.history)
                    case .runTool(let call):
                        recorder.toolStarted(call, agent: conversation.agent.name)
                        guard calls.start() else {
                            inputs.append(.toolFinished(call.answered(with: .error(.toolFailed, "more than \(ToolCalls.limit) tools are running in this session"))))
                            continue
                        }
                        let post = self.post
                        let slow = hub.tools.fillers[call.name].map { filler in
                            (after: filler.after, notice: { @Sendable () -> Void in _ = post.yield(.toolSlow(callID: call.callID, filler: filler.say)) })
                        }
                        tools.addTask {
                            let result = await calls.run(call.callID, { await runTool(call, context: toolContext) },
                                                         stopped: { call.answered(with: ToolResult(outcome: "cancelled")) }, slow: slow)
                            calls.finished()
                            post.yield(.toolFinished(result))
                        }
                    case .cancelTools(let ids):
                        calls.cancel(ids)
                    case .agentSwitched(let from, let to, let reason):
                        recorder.agentSwitched(to: to)
                        hub.metrics.agentSwitches.increment()
                        logger.info("agent switched", metadata: ["agent.from": "\(from)", "agent.to": "\(to)", "agent.reason": "\(reason)"])
                    default:
                        break
                    }
                }
            }
        }
        tools.cancelAll()
        }
        if let recording = request.recording {
            let summary = await recording.recording.stop(keep: true)
            if summary.status == .recorded {
                logger.info("call recorded", metadata: ["recording.path": "\(summary.path)", "recording.seconds": "\(summary.durationSeconds)"])
            }
            recorder.recording(SessionRecording.json(summary))
        }
        recorder.ended(endReason, prices: hub.prices)
        if let cost = recorder.snapshot.cost?.objectValue, let total = cost["total"]?.doubleValue, total > 0 {
            hub.metrics.callCost(pack: hub.packs?.main.pack.name ?? "", currency: cost["currency"]?.stringValue ?? "", amount: total)
        }
        if let analyst = hub.analyst {
            // A chat model takes its time: the session does not wait for it.
            let plan = hub.packs?.main.pack.analysis
            Task { await recorder.analyze(plan: plan, analyst: analyst) }
        } else {
            recorder.analyze(plan: hub.packs?.main.pack.analysis)
        }
        await saver.finish(fence: takenOver ? nil : lease, limit: hub.configuration.finalSaveTimeout)
        if let lease, !takenOver {
            _ = try? await hub.store.releaseLease(lease)
        }
        logger.info("session ended")
    }

    /// The customer id an untrusted client's session will have (`.some(nil)`: a guest), which a
    /// saved session must belong to; `nil`: not checked (trusted backends, phone bridges).
    private var claimedOwner: String?? {
        guard let principal = request.principal, !principal.isTrusted else { return nil }
        switch request.customerSource {
        case .demo: return .some(hub.configuration.demoCustomerID)
        case .proven(let customer): return .some(customer.id)
        case .guest: return .some(nil)
        case .saved, .phone: return nil
        }
    }

    private func refuseForeignSession() {
        logger.notice("session refused: it belongs to another customer")
        hub.metrics.sessionsRefused.increment()
        hub.metrics.error("session_not_allowed")
        let relay = self.relay
        eventLoop.execute {
            relay.value.sendError(.invalidRequest("session_not_allowed", "This session belongs to another customer.", param: "session_state_key"))
            relay.value.closeClient(code: .policyViolation, reason: "session belongs to another customer")
        }
    }

    /// Takes the session's lease for this replica. When another replica held it, waits (at most
    /// the takeover timeout) for that replica to save the session's last turn. Returns the lease
    /// and, when it is known to be current, the saved state (`.some(nil)`: nothing saved), so
    /// the session does not read it a second time.
    private func acquireLease(_ key: String) async -> (lease: SessionLease?, state: SessionState??) {
        // `nil` when the read failed, `.some(nil)` when nothing is saved.
        let before: SessionState??
        do { before = .some(try await hub.store.load(key)) } catch { before = nil }
        let lease: SessionLease
        do {
            lease = try await hub.store.acquireLease(key: key, owner: hub.configuration.replicaID, ttl: hub.configuration.leaseTTL)
        } catch {
            logger.warning("could not take the session's lease; going on without one", metadata: ["error": "\(error)"])
            return (nil, nil)
        }
        // Nobody held the session (or this replica did, and its session has saved): what was
        // read before taking the lease is current.
        guard let previous = lease.previousOwner, previous != hub.configuration.replicaID else { return (lease, before) }
        logger.info("taking the session over from another replica", metadata: ["session.previous_owner": "\(previous)"])
        hub.metrics.takeovers.increment()
        // A previous owner nobody heard (a crashed replica) has no last turn to save.
        guard lease.previousOwnerNotified else { return (lease, nil) }
        let deadline = ContinuousClock.now + hub.configuration.takeoverTimeout
        while ContinuousClock.now < deadline {
            let now = try? await hub.store.load(key)
            if let state = now, state.version > ((before ?? nil)?.version ?? -1) { return (lease, .some(state)) }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return (lease, nil)
    }

    /// Has the hub's lease renewer keep `lease`; a lease another connection took ends this session.
    private func startRenewing(_ lease: SessionLease) -> LeaseRenewer.Ticket {
        let relay = self.relay
        let loop = eventLoop
        return hub.leases.track(lease) {
            loop.execute { relay.value.takeOver() }
        }
    }

    /// Waits for `future`, at most `limit`.
    private static func wait(for future: EventLoopFuture<Void>, upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await future.get() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// What a phone bridge found out: who answered; a machine's greeting over, so the voicemail
    /// message is left (said word for word, then the call ends once it has played) or the call
    /// hung up.
    private func handle(_ report: CallSignals.Report, recorder: CallRecorder, idle: IdleMonitor?) {
        switch report {
        case .answeredBy(let who):
            recorder.answered(by: who.rawValue)
            if who != .machine {
                idle?.callerActive()
                idle?.setVoice(true)
            }
        case .voicemailReady(let action):
            recorder.ending(.voicemail)
            let post = self.post
            switch action {
            case .leaveMessage(let message):
                logger.info("leaving the voicemail message")
                post.yield(.say(message, purpose: "voicemail"))
                let played = { await self.playedOut() }
                Task {
                    // The message starts within a moment; the bridge then waits for it to play.
                    try? await Task.sleep(for: .seconds(1))
                    await played()
                    post.yield(.shutdown(code: 1000, reason: "voicemail left"))
                }
            case .hangUp, .ignore:
                logger.info("an answering machine answered; hanging up")
                post.yield(.shutdown(code: 1000, reason: "answering machine"))
            }
        }
    }

    /// Whether `input` is the message a phone bridge makes of the keys a caller pressed.
    static func isPressedKeys(_ input: Conversation.Input) -> Bool {
        guard case .client(let event, _) = input, event.type == "conversation.item.create" else { return false }
        return event["event_id"]?.stringValue?.hasPrefix(CallBridge.pressedKeysEventPrefix) == true
    }

    /// What this session does when its caller goes quiet: the pack's `idle:`, else the
    /// standard policy on phone calls.
    private var idlePolicy: IdlePolicy? {
        switch hub.packs?.main.pack.idle {
        case .some(.some(let policy)): return policy
        case .some(.none): return nil
        case .none: return request.call != nil ? .standard : nil
        }
    }

    /// A caller who says they do not consent is not recorded: the recording stops and its file
    /// is deleted; the record says so.
    private func stopRecording(ifRefusedIn utterance: String, recorder: CallRecorder) async {
        guard let recording = request.recording, recording.policy.isRefusal(utterance) else { return }
        let summary = await recording.recording.stop(keep: false)
        guard summary.status == .deleted else { return }
        logger.info("the caller refused the recording; it is deleted")
        recorder.recording(SessionRecording.refused)
    }

    /// Reprompts a quiet caller, then says goodbye and ends the session (end reason `timeout`).
    private func watch(_ idle: IdleMonitor, recorder: CallRecorder, control: SessionCallControl) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(250)) } catch { return }
            // A caller on hold for a transfer is not quiet: the clock starts again after it.
            if control.isTransferring {
                idle.callerActive()
                continue
            }
            switch idle.due() {
            case .reprompt?:
                logger.info("the caller is quiet; asking whether they are still there")
                post.yield(.say(idle.policy.reprompt, purpose: "idle_reprompt"))
            case .hangUp?:
                logger.info("the caller stayed quiet; ending the call")
                recorder.ending(.timeout)
                post.yield(.say(idle.policy.goodbye, purpose: "idle_goodbye"))
                // The goodbye's audio starts within a moment; the phone bridge then lets it play out.
                let limit = ContinuousClock.now + .seconds(20)
                do {
                    try await Task.sleep(for: .seconds(1))
                    while ContinuousClock.now < min(idle.playbackEnd, limit) { try await Task.sleep(for: .milliseconds(100)) }
                } catch { return }
                post.yield(.shutdown(code: 1000, reason: "the caller was silent"))
                return
            case nil:
                break
            }
        }
    }

    /// What a call's follower is told about it first.
    static func feedDescription(_ record: CallRecord) -> JSONObject {
        JSONObject([
            ("id", .string(record.id)), ("provider_call_id", record.providerCallID.map { .string($0) } ?? .null),
            ("channel", .string(record.channel.rawValue)), ("direction", .string(record.direction.rawValue)),
            ("from", record.from.map { .string($0) } ?? .null), ("to", record.to.map { .string($0) } ?? .null),
        ])
    }

    /// What the agent says when a transfer did not go through.
    static let transferFailedSentence = "I'm sorry, I could not put you through just now. Is there anything else I can help you with?"

    /// How long an ended or transferred call waits for the agent's last answer.
    static let endingFallback: Duration = .seconds(15)

    /// Whether `input` completes an answer of the agent to the caller: an in-band `response.done`
    /// with something said (not only tool calls, not a filler).
    static func answered(_ input: Conversation.Input) -> Bool {
        guard case .model(let event, _) = input, event.type == "response.done", let response = event["response"]?.objectValue else { return false }
        if response["metadata"]?.objectValue?["switchboard"] != nil { return false }
        return response["output"]?.arrayValue?.contains { $0.objectValue?["type"]?.stringValue == "message" } ?? false
    }

    /// Hangs up or transfers, once the caller has heard the agent's last words.
    private func carryOut(_ ending: SessionCallControl.Ending, control: SessionCallControl, recorder: CallRecorder) async {
        switch ending {
        case .hangUp(let reason):
            logger.info("the agent ended the call", metadata: ["call.reason": "\(reason?.prefix(200) ?? "")"])
            recorder.ending(.agentEnded)
            // The phone bridge lets the last words play before it hangs up.
            post.yield(.shutdown(code: 1000, reason: "the agent ended the call"))
        case .transfer(let destination, let reason):
            await playedOut()
            do {
                let handling = try await control.performTransfer(destination, reason: reason)
                logger.info("call transferred", metadata: ["transfer.destination": "\(destination.name)", "transfer.method": "\(handling.method)"])
                if handling.settledLater {
                    recorder.transferHandedOff(method: handling.method)
                } else {
                    recorder.transferFinished(error: nil, method: handling.method)
                }
                // The provider hands the call over and ends this leg; close it if it does not.
                // A bridged call stays up with the person: the session leaves it at once.
                if handling.method != "bridge" { try? await Task.sleep(for: .seconds(10)) }
                post.yield(.shutdown(code: 1000, reason: "the call was transferred"))
            } catch {
                logger.warning("the transfer failed", metadata: ["transfer.destination": "\(destination.name)", "error": "\(error)"])
                hub.metrics.error("transfer_failed")
                recorder.transferFinished(error: "\(error)".prefix(300).description)
                post.yield(.say(Self.transferFailedSentence, purpose: "transfer_failed"))
            }
        }
    }

    /// Waits until the phone has played the audio sent so far (at most the bridge's limit).
    private func playedOut() async {
        let relay = self.relay
        let future = eventLoop.flatSubmit { relay.value.whenCallPlayedOut() }
        try? await future.get()
    }

    /// How this session's call is transferred: Twilio's REST API for a Twilio call, a REFER for
    /// a SIP call (whose line also presses keys).
    private var transferrer: (any CallTransferrer)? {
        guard let call = request.call else { return nil }
        switch call.channel {
        case "twilio": return TwilioCalls(configuration: hub.configuration)
        case "sip": return hub.sip.map { SIPCallLine(bridge: $0, trunk: hub.configuration.sipTrunk, callerID: hub.configuration.sipCallerID) }
        default: return nil
        }
    }

    private func runTool(_ call: ToolCallRequest, context: ToolContext) async -> ToolCallResult {
        let started = ContinuousClock.now
        let result = await hub.tools.call(call, context: context)
        hub.metrics.toolCall(hub.tools.names.contains(call.name) ? call.name : "unknown", outcome: result.outcome, duration: ContinuousClock.now - started)
        logger.info("tool called", metadata: ["tool.name": "\(call.name)", "tool.outcome": "\(result.outcome)"])
        return result
    }

    private func connectModel() {
        let model = hub.model
        let request = ModelSessionRequest(dialect: self.request.dialect, model: self.request.model,
                                          sessionKey: self.request.sessionKey.rawValue, logger: logger)
        let relay = self.relay
        let metrics = hub.metrics
        let timeout = hub.configuration.relay.modelConnectTimeout
        let logger = self.logger
        eventLoop.execute {
            let started = ContinuousClock.now
            let timer = relay.value.eventLoopForTimers.scheduleTask(in: timeout) {
                relay.value.modelFailed(ModelError("no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
            }
            model.connect(request, on: relay.value.eventLoopForTimers, sink: relay.value).whenComplete { result in
                timer.cancel()
                metrics.modelConnectSeconds.record(ContinuousClock.now - started)
                switch result {
                case .success(let box):
                    relay.value.modelOpened(box.link)
                case .failure(let error):
                    logger.warning("model session failed to open", metadata: ["error": "\(error)"])
                    relay.value.modelFailed(error as? ModelError ?? ModelError("\(error)"))
                }
            }
        }
    }

    private func perform(_ actions: [Conversation.Action], release: EventRoute.Side?, conversation: Conversation,
                         saver: SessionSaver, fence: SessionLease?) async {
        for case .save(let state) in actions {
            if await saver.save(state, fence: fence) == .superseded, !conversation.isClosed {
                // Another connection owns the session now: this one ends.
                let relay = self.relay
                eventLoop.execute { relay.value.takeOver() }
            }
        }
        let clientDialect = conversation.clientDialect
        let modelDialect = conversation.configuration.modelDialect
        let relay = self.relay
        let toLoop = actions.filter { if case .save = $0 { return false } else { return true } }
        guard !toLoop.isEmpty || release != nil else { return }
        eventLoop.execute {
            relay.value.perform(toLoop, release: release, clientDialect: clientDialect, modelDialect: modelDialect)
        }
    }
}
