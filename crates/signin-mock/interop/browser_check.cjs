// Drives the mock's sign-in page in headless Chromium the way a person would: pick an identity,
// press Allow (or Deny), and report where the browser was sent. For the remote flow it reads the
// code from the confirmation page and presses its copy button.
// Usage: node browser_check.cjs CHROMIUM AUTHORIZE_URL IDENTITY {allow|deny} {same|remote} CALLBACK_PREFIX
// Prints one JSON line: {"location": "..."} or {"pasted": "...", "copied": "..."}.
const { chromium } = require("playwright-core");

async function main() {
  const [executablePath, url, identity, decision, flow, callbackPrefix] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    let location = null;
    if (flow === "same") {
      // Stand in for the CLI's loopback listener: catch the redirect to the callback.
      await page.route((u) => u.href.startsWith(callbackPrefix), async (route) => {
        location = route.request().url();
        await route.fulfill({ status: 200, contentType: "text/html", body: "<p>You can close this window.</p>" });
      });
    }
    const response = await page.goto(url);
    if (response.status() !== 200) throw new Error(`sign-in page answered ${response.status()}`);
    await page.check(`#identity-${identity}`);
    await page.click(decision === "allow" ? "#allow" : "#deny");
    if (flow === "same") {
      await page.waitForLoadState("load");
      for (let i = 0; i < 100 && location === null; i++) await page.waitForTimeout(50);
      if (location === null) throw new Error(`no redirect to ${callbackPrefix}; page is ${page.url()}`);
      console.log(JSON.stringify({ location }));
    } else {
      await page.waitForURL((u) => u.pathname === "/v1/sessions/confirmation");
      const pasted = (await page.textContent("#code") || "").trim();
      await page.click("#copy");
      await page.waitForFunction(() => document.getElementById("copied").textContent.length > 0);
      const copied = await page.textContent("#copied");
      console.log(JSON.stringify({ pasted, copied, location: page.url() }));
    }
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(`browser check failed: ${error.stack || error}`);
  process.exit(1);
});
