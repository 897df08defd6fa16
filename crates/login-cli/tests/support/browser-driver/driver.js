#!/usr/bin/env node
// A stand-in for a person at a browser, used as $BROWSER by the end-to-end tests.
//
// Opens the URL it is given in headless Debian Chromium (through playwright-core: no browser is
// ever downloaded), signs in on signin-mock's real sign-in page by clicking the identity and
// Allow or Deny, and waits for the page the flow ends on: aws-login's callback page
// (same-device) or the confirmation page with the code to paste (remote). What it saw is
// appended as one JSON line to $AWS_LOGIN_DRIVER_LOG.
//
// Environment:
//   AWS_LOGIN_TEST_NODE_MODULES  node_modules holding playwright-core (set by `cargo xtask test`)
//   AWS_LOGIN_TEST_CHROMIUM      the browser (default /usr/bin/chromium)
//   AWS_LOGIN_DRIVER_IDENTITY    identity to pick on the sign-in page (default alice)
//   AWS_LOGIN_DRIVER_DECISION    allow | deny (default allow)
//   AWS_LOGIN_DRIVER_FORGE_STATE 1: first visit the callback with a wrong state, record the page
//   AWS_LOGIN_DRIVER_LOG         file to append the JSON result to
'use strict';

const fs = require('fs');
const path = require('path');

const DEADLINE_MS = 60_000;

function log(record) {
  const line = JSON.stringify({ pid: process.pid, ...record }) + '\n';
  if (process.env.AWS_LOGIN_DRIVER_LOG) fs.appendFileSync(process.env.AWS_LOGIN_DRIVER_LOG, line);
  process.stdout.write(line);
}

async function pageSummary(page) {
  return page.evaluate(() => ({
    url: location.href,
    title: document.title,
    id: (document.querySelector('main[id]') || {}).id || null,
    text: document.body ? document.body.innerText.trim() : '',
    code: (document.querySelector('#code') || {}).textContent || null,
  }));
}

async function main() {
  const url = process.argv[2];
  if (!url) throw new Error('usage: driver.js URL');
  const modules = process.env.AWS_LOGIN_TEST_NODE_MODULES;
  if (!modules) throw new Error('AWS_LOGIN_TEST_NODE_MODULES is not set; run via cargo xtask test');
  const { chromium } = require(path.join(modules, 'playwright-core'));
  const identity = process.env.AWS_LOGIN_DRIVER_IDENTITY || 'alice';
  const decision = process.env.AWS_LOGIN_DRIVER_DECISION || 'allow';

  // playwright-core starts Chromium with a fresh temporary profile of its own.
  const browser = await chromium.launch({
    executablePath: process.env.AWS_LOGIN_TEST_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    const record = { decision, identity };

    if (process.env.AWS_LOGIN_DRIVER_FORGE_STATE === '1') {
      // What a malicious page could do: send the callback a code with a state it made up.
      const redirect = new URL(url).searchParams.get('redirect_uri');
      const forged = `${redirect}?code=forged-code&state=00000000-0000-4000-8000-000000000000`;
      const response = await page.goto(forged);
      record.forged = { status: response ? response.status() : null, ...(await pageSummary(page)) };
    }

    await page.goto(url);
    await page.click(`#identity-${identity}`);
    const button = decision === 'deny' ? '#deny' : '#allow';
    await page.click(button);
    // The flow ends on aws-login's page (main#login-succeeded / #login-failed) or, for --remote,
    // on the confirmation page's code, or on the service's own error page.
    await page.waitForFunction(
      () => document.querySelector('main#login-succeeded, main#login-failed, #code, #error') !== null,
      null,
      { timeout: 30_000 },
    ).catch(() => {});
    Object.assign(record, await pageSummary(page));
    log(record);
  } finally {
    await browser.close();
  }
}

const timer = setTimeout(() => {
  log({ error: `driver gave up after ${DEADLINE_MS} ms` });
  process.exit(3);
}, DEADLINE_MS);
main().then(
  () => { clearTimeout(timer); },
  (err) => { log({ error: String(err && err.stack || err) }); process.exit(2); },
);
