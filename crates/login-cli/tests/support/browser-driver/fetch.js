#!/usr/bin/env node
// The smallest possible "browser" for tests that do not need a page to click: used as $BROWSER
// while signin-mock runs with --auto-approve, it follows the authorize URL's redirect to
// aws-login's loopback callback and appends what the callback answered to $AWS_LOGIN_DRIVER_LOG.
'use strict';
const fs = require('fs');

const url = process.argv[2];
fetch(url, { redirect: 'follow' })
  .then(async (response) => ({ status: response.status, url: response.url, text: await response.text() }))
  .catch((err) => ({ error: String(err) }))
  .then((record) => {
    const line = JSON.stringify({ pid: process.pid, ...record }) + '\n';
    if (process.env.AWS_LOGIN_DRIVER_LOG) fs.appendFileSync(process.env.AWS_LOGIN_DRIVER_LOG, line);
    process.exit(record.error ? 2 : 0);
  });
