// Drives IAM Identity Center's pages in headless Chromium as a person would.
// Usage: node sso_browser_check.cjs CHROMIUM URL USER {allow|deny} {authorize|device|device-entry} CALLBACK_PREFIX
//   authorize:    URL is an /authorize URL; pick #user-USER, press the button, report the redirect.
//   device:       URL is verificationUriComplete; pick the user, press the button, report #result.
//   device-entry: URL is "verificationUri|userCode": type the code into #user-code, press #next,
//                 then as for device.
// Prints one JSON line: {"location": "..."} or {"result": "..."}.
const { chromium } = require("playwright-core");

async function main() {
  const [executablePath, url, user, decision, flow, callbackPrefix] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await (await browser.newContext()).newPage();
    let location = null;
    if (flow === "authorize") {
      // Stand in for the CLI's loopback listener: catch the redirect to the callback.
      await page.route((u) => u.href.startsWith(callbackPrefix), async (route) => {
        location = route.request().url();
        await route.fulfill({ status: 200, contentType: "text/html", body: "<p>Done.</p>" });
      });
    }
    if (flow === "device-entry") {
      const [entry, userCode] = url.split("|");
      await page.goto(entry);
      await page.fill("#user-code", userCode);
      await page.click("#next");
      await page.waitForSelector("#shown-code");
    } else {
      const response = await page.goto(url);
      if (response.status() !== 200) throw new Error(`page answered ${response.status()}`);
    }
    if (decision === "allow") await page.check(`#user-${user}`);
    await page.click(decision === "allow" ? "#allow" : "#deny");
    if (flow === "authorize") {
      for (let i = 0; i < 100 && location === null; i++) await page.waitForTimeout(50);
      if (location === null) throw new Error(`no redirect to ${callbackPrefix}; page is ${page.url()}`);
      console.log(JSON.stringify({ location }));
    } else {
      await page.waitForSelector("#result");
      console.log(JSON.stringify({ result: (await page.textContent("#result")).trim() }));
    }
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(`sso browser check failed: ${error.stack || error}`);
  process.exit(1);
});
