#!/usr/bin/env node
// A stand-in for a person at a browser for IAM Identity Center sign-ins, used as $BROWSER by
// the `sso login` end-to-end tests. Like driver.js, but on signin-mock's IAM Identity Center
// pages: opens the URL in headless Debian Chromium (playwright-core, no browser download),
// picks the user (#user-NAME) and clicks Allow or Deny on the /authorize page (or, for a device
// verification URL, on the device page), then records the page the flow ends on (aws-login's
// callback page, or the service's result page) as one JSON line in $AWS_LOGIN_DRIVER_LOG.
//
// Environment:
//   AWS_LOGIN_TEST_NODE_MODULES  node_modules holding playwright-core (set by `cargo xtask test`)
//   AWS_LOGIN_TEST_CHROMIUM      the browser (default /usr/bin/chromium)
//   AWS_LOGIN_DRIVER_IDENTITY    SSO user to pick (default alice)
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
    result: (document.querySelector('#result, #error-title') || {}).textContent || null,
    text: document.body ? document.body.innerText.trim() : '',
  }));
}

async function main() {
  const url = process.argv[2];
  if (!url) throw new Error('usage: sso-driver.js URL');
  const modules = process.env.AWS_LOGIN_TEST_NODE_MODULES;
  if (!modules) throw new Error('AWS_LOGIN_TEST_NODE_MODULES is not set; run via cargo xtask test');
  const { chromium } = require(path.join(modules, 'playwright-core'));
  const identity = process.env.AWS_LOGIN_DRIVER_IDENTITY || 'alice';
  const decision = process.env.AWS_LOGIN_DRIVER_DECISION || 'allow';
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
      const redirect = new URL(url).searchParams.get('redirect_uri');
      const forged = `${redirect}?code=forged-code&state=00000000-0000-4000-8000-000000000000`;
      const response = await page.goto(forged);
      record.forged = { status: response ? response.status() : null, ...(await pageSummary(page)) };
    }
    await page.goto(url);
    await page.click(`#user-${identity}`);
    await page.click(decision === 'deny' ? '#deny' : '#allow');
    await page.waitForFunction(
      () => document.querySelector('main#login-succeeded, main#login-failed, #result, #error-title') !== null,
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
