"""Helpers the browser tests share: waiting on the page and saving screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from selenium import webdriver
from selenium.webdriver.support.ui import WebDriverWait

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"


def wait_for(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], object], timeout: float,
             message: str):
    """Waits until condition(driver) is truthy and returns it; fails with message otherwise."""
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition, message)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
