"""A headless Chromium driven by Selenium (Debian's chromium, chromium-driver
and python3-selenium) for the real-browser tests, with a screenshot of every
step in build/test-artifacts/browser/ (not committed) so a failure can be
seen, and the browser console kept to fail on CSP violations and errors."""
import os
import re
import tempfile

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import rig

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# One folder per nginx the suite runs against (make test runs it twice).
ARTIFACTS = os.path.join(
    rig.TOP, "build", "test-artifacts", "browser",
    "debian" if rig.NGINX_BUILD == rig.BUILD else os.path.basename(rig.NGINX_BUILD))


class Browser:
    def __init__(self, workdir, name):
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        # Root in a container: no user namespaces for Chromium's sandbox.
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                    "--disable-gpu", "--no-first-run", "--window-size=1000,1300",
                    "--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-", dir=workdir)):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(20)
        self.dir = os.path.join(ARTIFACTS, re.sub(r"[^\w.-]+", "_", name))
        os.makedirs(self.dir, exist_ok=True)
        for old in os.listdir(self.dir):
            os.remove(os.path.join(self.dir, old))
        self.step = 0

    def quit(self):
        self.driver.quit()

    def shot(self, what):
        self.step += 1
        self.driver.save_screenshot(os.path.join(self.dir, f"{self.step:02d}-{what}.png"))

    def go(self, url):
        self.driver.get(url)

    def find(self, css):
        return WebDriverWait(self.driver, 10).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def click(self, css):
        WebDriverWait(self.driver, 10).until(
            EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def type(self, css, text):
        el = self.find(css)
        el.clear()
        el.send_keys(text)

    def text(self, css):
        return self.find(css).text

    def wait_text(self, css, pattern):
        """Waits until the element's text matches the regex; returns it."""
        def matching_text(d):
            text = d.find_element(By.CSS_SELECTOR, css).text
            return text if re.search(pattern, text) else None

        try:
            # the page may navigate meanwhile (sign-out reloads it): an
            # element of the old page is stale, look it up again
            return WebDriverWait(
                self.driver, 10,
                ignored_exceptions=(NoSuchElementException,
                                    StaleElementReferenceException),
            ).until(matching_text)
        except TimeoutException:
            raise AssertionError(
                f"{css} never matched {pattern!r} at {self.url()}; it reads "
                f"{self.driver.find_element(By.CSS_SELECTOR, css).text!r}; "
                f"console: {self.driver.get_log('browser')}") from None

    def wait_page(self, kind):
        """One of the module's pages: <main class="oauth-page oauth-page--KIND">."""
        return self.find(f"main.oauth-page--{kind}")

    def url(self):
        return self.driver.current_url

    def session_storage(self, key):
        return self.driver.execute_script("return sessionStorage.getItem(arguments[0])", key)

    def console_errors(self, expected=()):
        """Console entries at SEVERE (CSP violations, script errors, failed
        loads) since the last call, but for those holding one of the
        `expected` strings; the favicon nobody serves is ignored."""
        entries = self.driver.get_log("browser")
        return [e["message"] for e in entries if e["level"] == "SEVERE"
                and not any(s in e["message"] for s in ("favicon.ico", *expected))]
