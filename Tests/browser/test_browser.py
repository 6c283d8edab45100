"""The browser voice client (web-static/) in real headless Chromium against the real hub.

Chromium's fake microphone plays a spoken question (espeak-ng); the page streams it to the hub,
which hears it with PocketSphinx, answers with the flight agent and speaks with flite. The tests
read the page as a person would (transcripts, agent badge, sources, status, alerts) and read the
client's own counters (`window.switchboardClient.stats`) for what cannot be seen: samples played
and the barge-in truncation.
"""

from __future__ import annotations

import re
import urllib.request

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser_support import screenshot, wait_for

SAMPLE_RATE = 24000
VOICE_TIMEOUT_S = 60
TEXT_TIMEOUT_S = 30
RECONNECT_TIMEOUT_S = 30


def stats(driver) -> dict:
    return driver.execute_script("return JSON.parse(JSON.stringify(window.switchboardClient.stats))")


def body_data(driver, name: str) -> str:
    return driver.find_element(By.TAG_NAME, "body").get_attribute(f"data-{name}") or ""


def open_client(driver, hub) -> None:
    driver.get(hub.url)
    wait_for(driver, lambda d: body_data(d, "connection") == "open", TEXT_TIMEOUT_S,
             "the page did not connect to the hub")
    wait_for(driver, lambda d: d.find_element(By.ID, "agent-name").text not in ("", "—"), TEXT_TIMEOUT_S,
             "the page never showed the active agent (hub.session.ready)")


def turns(driver, role: str, *, earlier: bool | None = None):
    selector = f"#log .turn.{role}"
    if earlier is True:
        selector += ".earlier"
    elif earlier is False:
        selector += ":not(.earlier)"
    return driver.find_elements(By.CSS_SELECTOR, selector)


def finished_turn(driver, role: str, pattern: str, *, earlier: bool | None = None):
    """The first finished turn of that role whose text matches pattern, or None."""
    regex = re.compile(pattern, re.IGNORECASE)
    for turn in turns(driver, role, earlier=earlier):
        if "pending" in (turn.get_attribute("class") or ""):
            continue
        if regex.search(turn.find_element(By.CSS_SELECTOR, ".text").text):
            return turn
    return None


def alert_text(driver) -> str:
    box = driver.find_element(By.ID, "alert")
    return box.text if box.is_displayed() else ""


def send_text(driver, text: str) -> None:
    box = driver.find_element(By.ID, "message")
    box.click()
    box.send_keys(text, Keys.ENTER)


def test_spoken_question_is_transcribed_answered_played_interrupted_and_resumed(hub, browsers, question_wav):
    driver = browsers.open(audio=question_wav)
    open_client(driver, hub)
    key = driver.execute_script("return window.switchboardClient.sessionKey")
    assert driver.find_element(By.ID, "agent-name").text == "Concierge"

    driver.find_element(By.ID, "mic").click()
    wait_for(driver, lambda d: body_data(d, "mic") == "on", TEXT_TIMEOUT_S, "the microphone did not start")
    assert driver.find_element(By.ID, "mic").get_attribute("aria-pressed") == "true"

    # Both sides' transcripts, the agent that answered and what the answer rests on.
    user = wait_for(driver, lambda d: finished_turn(d, "user", r"\bSB ?204\b"), VOICE_TIMEOUT_S,
                    "the user's spoken question never appeared as a transcript")
    assert re.search(r"flight", user.text, re.IGNORECASE), user.text
    answer = wait_for(driver, lambda d: finished_turn(d, "assistant", r"Flight SB204 from SFO to JFK"),
                      VOICE_TIMEOUT_S, "the agent's answer never appeared")
    assert answer.find_element(By.CSS_SELECTOR, ".who").text == "Flight"
    assert "check_flight_status → found" in answer.find_element(By.CSS_SELECTOR, ".sources").text
    wait_for(driver, lambda d: d.find_element(By.ID, "agent-name").text == "Flight", TEXT_TIMEOUT_S,
             "the agent badge did not switch to the flight agent")
    switch_note = driver.find_element(By.CSS_SELECTOR, "#log .note.switch").text
    assert "Concierge" in switch_note and "Flight" in switch_note, switch_note

    # The answer is heard: the playback worklet counts the samples it actually played.
    wait_for(driver, lambda d: stats(d)["playedSamples"] >= SAMPLE_RATE, VOICE_TIMEOUT_S,
             "less than one second of the answer was played")
    assert int(body_data(driver, "played-samples")) > 0
    screenshot(driver, "voice-answer")

    # The looped question comes again while the answer plays: playback stops, and the hub is
    # told how much of the answer was heard, measured in played samples.
    wait_for(driver, lambda d: stats(d)["truncated"], VOICE_TIMEOUT_S,
             "barge-in: no conversation.item.truncated came back from the hub")
    current = stats(driver)
    cut = current["truncations"][0]
    assert cut["audio_end_ms"] == cut["playedSamples"] * 1000 // SAMPLE_RATE
    assert 0 < cut["playedSamples"] < cut["receivedSamples"], cut
    assert cut["remainingSamples"] > 0, cut
    assert current["truncated"][0] == {"item_id": cut["item_id"], "audio_end_ms": cut["audio_end_ms"]}
    interrupted = driver.find_element(By.CSS_SELECTOR, f'#log .turn[data-item="{cut["item_id"]}"]')
    assert "Interrupted after" in interrupted.text
    assert current["errors"] == [], current["errors"]
    assert current["sentChunks"] > 20 and current["droppedChunks"] == 0, current

    driver.find_element(By.ID, "mic").click()
    wait_for(driver, lambda d: body_data(d, "mic") == "off", TEXT_TIMEOUT_S, "the microphone did not stop")

    full_answer = interrupted.find_element(By.CSS_SELECTOR, ".text").text

    # The page keeps nothing but the session key: the sources after a reload must come from the
    # hub's history (hub.session.ready), not from a cache in the browser.
    driver.execute_script(
        "Object.keys(localStorage).filter(k => k.startsWith('switchboard.grounding.'))"
        ".forEach(k => localStorage.removeItem(k))")
    assert driver.execute_script("return Object.keys(localStorage)") == ["switchboard.sessionKey"]

    # A reload resumes the same session and shows its history, with the sources.
    driver.refresh()
    open_client(driver, hub)
    assert driver.execute_script("return window.switchboardClient.sessionKey") == key
    wait_for(driver, lambda d: stats(d)["resumed"] is True, TEXT_TIMEOUT_S, "hub.session.ready did not say resumed")
    assert driver.find_element(By.ID, "agent-name").text == "Flight"
    wait_for(driver, lambda d: finished_turn(d, "user", r"\bSB ?204\b", earlier=True), TEXT_TIMEOUT_S,
             "the question was not in the resumed history")
    earlier = wait_for(driver, lambda d: finished_turn(d, "assistant", r"Flight SB204 from SFO to JFK", earlier=True),
                       TEXT_TIMEOUT_S, "the answer was not in the resumed history")
    assert "check_flight_status → found" in earlier.find_element(By.CSS_SELECTOR, ".sources").text
    assert "sqlite:flights" in earlier.find_element(By.CSS_SELECTOR, ".sources").text
    # The answer the user talked over keeps only the words heard, and says it was interrupted.
    cut_answers = [turn for turn in turns(driver, "assistant", earlier=True)
                   if "(interrupted" in turn.text]
    assert cut_answers, [turn.text for turn in turns(driver, "assistant", earlier=True)]
    heard = cut_answers[0].find_element(By.CSS_SELECTOR, ".text").text
    assert f"after {cut['audio_end_ms'] / 1000:.1f} s" in cut_answers[0].text, cut_answers[0].text
    assert heard and len(heard) < len(full_answer) and full_answer.startswith(heard.rstrip(".")), (heard, full_answer)
    screenshot(driver, "voice-resumed")


def test_typed_questions_on_a_phone_sized_screen(hub, browsers):
    driver = browsers.open(width=360, height=740, phone=True)
    open_client(driver, hub)

    send_text(driver, "What is the status of my hotel reservation H204518?")
    wait_for(driver, lambda d: finished_turn(d, "user", r"hotel reservation H204518"), TEXT_TIMEOUT_S,
             "the typed question did not appear")
    hotel = wait_for(driver, lambda d: finished_turn(d, "assistant", r"H204518|Harbor View"), TEXT_TIMEOUT_S,
                     "no answer to the typed hotel question")
    assert hotel.find_element(By.CSS_SELECTOR, ".who").text == "Hotel"
    assert "check_reservation_status → found" in hotel.find_element(By.CSS_SELECTOR, ".sources").text
    wait_for(driver, lambda d: d.find_element(By.ID, "agent-name").text == "Hotel", TEXT_TIMEOUT_S,
             "the agent badge did not show the hotel agent")
    assert driver.find_element(By.ID, "message").get_attribute("value") == ""
    # A typed question's answer is spoken too.
    wait_for(driver, lambda d: stats(d)["playedSamples"] > SAMPLE_RATE // 2, TEXT_TIMEOUT_S,
             "the typed question's answer was not played")

    send_text(driver, "How many bags can I check on my flight?")
    bags = wait_for(driver, lambda d: finished_turn(d, "assistant", r"checked bag"), TEXT_TIMEOUT_S,
                    "no answer to the baggage question")
    wait_for(driver, lambda d: d.find_element(By.ID, "agent-name").text == "Flight", TEXT_TIMEOUT_S,
             "the agent badge did not switch from hotel to flight")
    sources = bags.find_element(By.CSS_SELECTOR, ".sources").text
    assert "search_flight_knowledgebase → found" in sources
    assert "Checked bags" in sources and "flight/baggage.md" in sources, sources
    notes = [note.text for note in driver.find_elements(By.CSS_SELECTOR, "#log .note.switch")]
    assert any("Hotel handed you over to Flight" in note for note in notes), notes

    # Usable at 360 px: nothing scrolls sideways, and every control is labelled.
    assert driver.execute_script("return window.innerWidth") == 360
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    for button in driver.find_elements(By.CSS_SELECTOR, "button:not([hidden])"):
        if button.is_displayed():
            assert button.accessible_name.strip(), button.get_attribute("outerHTML")
    assert driver.find_element(By.ID, "message").accessible_name == "Message"
    for link in ("/healthz", "/readyz", "/metrics"):
        assert driver.find_element(By.CSS_SELECTOR, f'footer a[href="{link}"]')
    screenshot(driver, "typed-phone")
    assert stats(driver)["errors"] == []
    # The page connected as OpenAI's browser clients do: with a client secret it minted from its origin.
    metrics = urllib.request.urlopen(hub.url + "metrics", timeout=5).read().decode()
    assert re.search(r'switchboard_session_credentials_total\{credential="client_secret"\} [1-9]', metrics), \
        [line for line in metrics.splitlines() if "credentials" in line]


def test_server_error_is_shown_and_the_session_goes_on(hub, browsers):
    driver = browsers.open()
    open_client(driver, hub)
    driver.execute_script(
        "window.switchboardClient.send({type: 'conversation.item.truncate', item_id: 'item_missing',"
        " content_index: 0, audio_end_ms: 0})")
    wait_for(driver, lambda d: "item_not_found" in alert_text(d), TEXT_TIMEOUT_S,
             "the hub's error event was not shown")
    assert "The hub reported an error" in alert_text(driver)
    assert driver.find_element(By.ID, "alert").get_attribute("role") == "alert"
    screenshot(driver, "server-error")

    driver.find_element(By.ID, "alert-dismiss").click()
    assert not driver.find_element(By.ID, "alert").is_displayed()
    assert body_data(driver, "connection") == "open"
    send_text(driver, "Is flight SB204 on time tomorrow?")
    wait_for(driver, lambda d: finished_turn(d, "assistant", r"SB204"), TEXT_TIMEOUT_S,
             "the session did not go on after the error")


def test_lost_connection_is_shown_and_the_page_reconnects(own_hub, browsers):
    driver = browsers.open()
    open_client(driver, own_hub)
    send_text(driver, "Is flight SB204 on time tomorrow?")
    wait_for(driver, lambda d: finished_turn(d, "assistant", r"SB204"), TEXT_TIMEOUT_S, "no answer before the outage")

    own_hub.stop(crash=True)
    wait_for(driver, lambda d: body_data(d, "connection") == "reconnecting", RECONNECT_TIMEOUT_S,
             "the page did not notice the lost connection")
    status = driver.find_element(By.ID, "connection").text
    assert "Connection lost, reconnecting" in status, status
    wait_for(driver, lambda d: "connection to the hub was lost" in alert_text(d), RECONNECT_TIMEOUT_S,
             "no message about the lost connection")
    screenshot(driver, "connection-lost")

    own_hub.start()
    # No "Retry now" click: the automatic retry with backoff must get there on its own.
    wait_for(driver, lambda d: body_data(d, "connection") == "open", RECONNECT_TIMEOUT_S,
             "the page did not reconnect after the hub came back")
    assert driver.find_element(By.ID, "connection").text == "Reconnected"
    assert not driver.find_element(By.ID, "alert").is_displayed()
    assert stats(driver)["connects"] >= 2
    # The page kept the conversation on screen and the new connection works.
    assert finished_turn(driver, "assistant", r"SB204") is not None
    send_text(driver, "What is the status of my hotel reservation H204518?")
    wait_for(driver, lambda d: finished_turn(d, "assistant", r"H204518|Harbor View"), TEXT_TIMEOUT_S,
             "no answer after reconnecting")


def test_denied_microphone_is_explained_and_typing_still_works(hub, browsers):
    driver = browsers.open(allow_microphone=False)
    open_client(driver, hub)

    # Keyboard only: Tab to the microphone button and press Enter.
    for _ in range(12):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") == "mic":
            break
    assert driver.switch_to.active_element.get_attribute("id") == "mic", "the microphone button is not reachable by Tab"
    ActionChains(driver).send_keys(Keys.ENTER).perform()

    wait_for(driver, lambda d: "Microphone access was denied" in alert_text(d), TEXT_TIMEOUT_S,
             "no message for the denied microphone")
    assert body_data(driver, "mic") == "denied"
    assert "Microphone blocked" in driver.find_element(By.ID, "mic-state").text
    screenshot(driver, "microphone-denied")

    send_text(driver, "Is flight SB204 on time tomorrow?")
    wait_for(driver, lambda d: finished_turn(d, "assistant", r"SB204"), TEXT_TIMEOUT_S,
             "typing did not work with the microphone denied")


def test_a_second_tab_takes_the_session_over(hub, browsers):
    driver = browsers.open()
    open_client(driver, hub)
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    open_client(driver, hub)
    second = driver.current_window_handle

    driver.switch_to.window(first)
    wait_for(driver, lambda d: body_data(d, "connection") == "taken-over", TEXT_TIMEOUT_S,
             "the first tab did not learn that the second took the session")
    assert "opened in another tab" in alert_text(driver)

    # It does not fight for the session by itself; "Continue here" takes it back.
    driver.switch_to.window(second)
    assert body_data(driver, "connection") == "open"
    driver.switch_to.window(first)
    driver.find_element(By.ID, "alert-action").click()
    wait_for(driver, lambda d: body_data(d, "connection") == "open", TEXT_TIMEOUT_S,
             "Continue here did not reconnect")
    driver.switch_to.window(second)
    wait_for(driver, lambda d: body_data(d, "connection") == "taken-over", TEXT_TIMEOUT_S,
             "the second tab was not told it lost the session")

